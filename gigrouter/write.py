"""Put a rendered tree on disk atomically, or compare it with what is there.

The tree is written into a temporary sibling directory and swapped in only when every file is
written; the temporary directory is always removed. A directory is replaced only when it is
empty or carries gigrouter's metadata file, so a wrong ``--out`` can never wipe anything.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gigrouter.errors import Location, OutputDirError, Problem
from gigrouter.layout import METADATA_FILE
from gigrouter.render import RenderedTree


@dataclass(frozen=True)
class Drift:
    """How a directory differs from a rendered tree (paths relative, POSIX)."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    diff: str = ""

    @property
    def clean(self) -> bool:
        return not (self.added or self.removed or self.changed)


def ensure_replaceable(out_dir: Path) -> None:
    """Refuse a path that is a file, or a non-empty directory gigrouter did not write."""
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise OutputDirError(
            [Problem(Location(str(out_dir)), "is not a directory; refusing to replace it")]
        )
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / METADATA_FILE).is_file():
        raise OutputDirError(
            [
                Problem(
                    Location(str(out_dir)),
                    f"is not empty and has no {METADATA_FILE}, so gigrouter did not create it;"
                    " refusing to replace it (choose an empty or new directory)",
                )
            ]
        )


def _write_files(tree: RenderedTree, root: Path) -> None:
    for rel, text in tree.files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)


def write_tree(
    tree: RenderedTree, out_dir: Path, verify: Callable[[Path], None] | None = None
) -> Drift:
    """Replace ``out_dir`` with exactly ``tree``; returns what changed.

    ``verify`` is called with the fully written staging directory before the swap; when it
    raises, ``out_dir`` is left as it was and the staging directory is removed.
    """
    out_dir = Path(os.path.abspath(out_dir))
    ensure_replaceable(out_dir)
    before = compare(tree, out_dir) if out_dir.is_dir() else Drift(added=tree.paths())
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.gigrouter-new-", dir=parent))
    except OSError as exc:
        raise OutputDirError(
            [Problem(Location(str(parent)), f"cannot write: {exc.strerror}")]
        ) from None
    retired: Path | None = None
    try:
        _write_files(tree, staging)
        os.chmod(staging, 0o755)
        if verify is not None:
            verify(staging)
        if out_dir.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.gigrouter-old-", dir=parent))
            os.rename(out_dir, retired / "tree")
            try:
                os.rename(staging, out_dir)
            except OSError:
                os.rename(retired / "tree", out_dir)
                raise
        else:
            os.rename(staging, out_dir)
    except OSError as exc:
        raise OutputDirError([Problem(Location(str(out_dir)), f"cannot write: {exc}")]) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    return before


def read_tree(root: Path) -> dict[str, str | None]:
    """Every file under ``root`` by relative POSIX path; None for files that are not UTF-8."""
    files: dict[str, str | None] = {}
    if not root.is_dir():
        return files
    for path in sorted(root.rglob("*")):
        if path.is_file():
            rel = path.relative_to(root).as_posix()
            try:
                files[rel] = path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                files[rel] = None
    return files


def compare(tree: RenderedTree, out_dir: Path) -> Drift:
    """What writing ``tree`` would change in ``out_dir``, with a unified diff of each file."""
    current = read_tree(out_dir)
    added = sorted(set(tree.files) - set(current))
    removed = sorted(set(current) - set(tree.files))
    changed = sorted(p for p in set(tree.files) & set(current) if current[p] != tree.files[p])
    chunks: list[str] = []
    for rel in sorted(set(added) | set(removed) | set(changed)):
        old = current.get(rel)
        new = tree.files.get(rel)
        old_lines = [] if old is None else old.splitlines(keepends=True)
        new_lines = [] if new is None else new.splitlines(keepends=True)
        if rel in current and old is None:
            chunks.append(f"Binary file {rel} differs\n")
            continue
        diff = difflib.unified_diff(
            old_lines,
            new_lines,
            fromfile="/dev/null" if rel in added else f"a/{rel}",
            tofile="/dev/null" if rel in removed else f"b/{rel}",
        )
        chunks.append("".join(line if line.endswith("\n") else line + "\n" for line in diff))
    return Drift(added, removed, changed, "".join(chunks))

"""Put a rendered tree on disk atomically, or compare it with what is there.

The tree is written into a temporary sibling directory and exchanged with the old one in one
``renameat2(RENAME_EXCHANGE)``, so at every instant the path holds either the old tree or the new
one, whatever kills the process (where the kernel or file system cannot exchange, two renames
with a moment between them). The old tree is then removed; temporaries that an earlier, killed
run left behind are removed by the next one. Runs on one directory take turns (a lock on its
parent).

A directory is replaced only when gigrouter can show that it wrote it: empty, or holding its
metadata file whose recorded top-level entries cover everything there, and no ``.git``
anywhere, so a wrong ``--out`` (a home directory, a clone of the GitOps repo) can never wipe
anything. Trees are read without following symbolic links: a link is an error naming it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import difflib
import errno
import fcntl
import hashlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gigrouter import safeyaml
from gigrouter.errors import Location, OutputDirError, Problem
from gigrouter.layout import METADATA_FILE
from gigrouter.render import RenderedTree

FAILPOINT_VARIABLE = "GIGROUTER_FAILPOINT"  # tests: SIGKILL the process at a named step


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
    """Refuse a path that is a file or a link, or a non-empty directory that gigrouter cannot
    show it wrote (see the module docstring)."""
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise OutputDirError(
            [Problem(Location(str(out_dir)), "is not a directory; refusing to replace it")]
        )
    if not out_dir.is_dir():
        return
    present = sorted(entry.name for entry in os.scandir(out_dir))
    if not present:
        return

    def refuse(why: str) -> OutputDirError:
        return OutputDirError([Problem(Location(str(out_dir)), f"{why}; refusing to replace it")])

    def checkout(git_dir: str) -> OutputDirError:
        return refuse(
            f"holds {git_dir}, so it is (or contains) a git checkout, perhaps a clone of the"
            " GitOps repo, which gigrouter never replaces (render into out/; publish commits)"
        )

    # Cheapest first: a directory that is not gigrouter's (`--out ~`, `--out /usr`) is refused
    # before anything walks it.
    if ".git" in present:
        raise checkout(".git")
    entries = _recorded_entries(out_dir / METADATA_FILE)
    if entries is None:
        raise refuse(
            f"is not empty and has no readable {METADATA_FILE} listing what gigrouter wrote,"
            " so gigrouter did not create it (choose an empty or new directory)"
        )
    foreign = [name for name in present if name not in entries]
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise refuse(
            f"holds {shown}, which {METADATA_FILE} does not list as gigrouter's; move them out"
            " or choose another directory"
        )
    git_dir = next(_git_dirs(out_dir), None)  # only gigrouter's own entries are left to walk
    if git_dir is not None:
        raise checkout(git_dir)


def _git_dirs(root: Path) -> Iterator[str]:
    """Relative paths of every ``.git`` below ``root`` (links are not followed)."""
    for top, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            if name == ".git":
                yield Path(top, name).relative_to(root).as_posix()


def _recorded_entries(metadata: Path) -> frozenset[str] | None:
    """The top-level entries the metadata file says gigrouter wrote, or None when it is not
    gigrouter's metadata file."""
    if metadata.is_symlink() or not metadata.is_file():
        return None
    try:
        text = safeyaml.read_text(metadata)
    except (OSError, safeyaml.Unreadable):
        return None
    # A render checks its target before validating and again under the lock before the swap:
    # the same text is parsed once (at 3,000 services the bounded parse of the provenance
    # section took 0.12 s and 16 MB each time). Keyed by the digest of the text just read,
    # so a changed file is always parsed anew.
    digest = hashlib.sha256(text.encode()).digest()
    if digest not in _ENTRIES:
        _ENTRIES.clear()
        _ENTRIES[digest] = _entries_of(text)
    return _ENTRIES[digest]


_ENTRIES: dict[bytes, frozenset[str] | None] = {}  # the last metadata text's, by its digest


def _entries_of(text: str) -> frozenset[str] | None:
    try:  # out/ may come from a pull request: read within bounds (no alias bomb)
        data: Any = safeyaml.load(text)
    except (yaml.YAMLError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or "gigrouter" not in data:
        return None
    entries = data.get("entries")
    if not isinstance(entries, list):
        return None
    return frozenset(e for e in entries if isinstance(e, str) and e not in ("", ".", "..", ".git"))


def _write_files(tree: RenderedTree, root: Path) -> None:
    for rel, text in tree.files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)


def write_tree(
    tree: RenderedTree,
    out_dir: Path,
    verify: Callable[[Path], None] | None = None,
    lock: Path | None = None,
) -> Drift:
    """Replace ``out_dir`` with exactly ``tree``; returns what changed.

    ``verify`` is called with the fully written staging directory before the swap; when it
    raises, ``out_dir`` is left as it was and the staging directory is removed. ``lock`` is the
    directory whose lock the run holds (default: ``out_dir``'s parent): give every run that
    writes into one tree the same one, an environment's tree inside out/ included.
    """
    given = out_dir  # messages name the directory as the user gave it
    out_dir = Path(os.path.abspath(out_dir))
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputDirError(
            [Problem(Location(str(parent)), f"cannot write: {exc.strerror}")]
        ) from None
    with _turn(Path(os.path.abspath(lock)) if lock is not None else parent):
        ensure_replaceable(given)
        _remove_stale(out_dir)
        before = compare(tree, given) if out_dir.is_dir() else Drift(added=tree.paths())
        try:
            staging = Path(tempfile.mkdtemp(prefix=_temp_prefix(out_dir), dir=parent))
        except OSError as exc:
            raise OutputDirError(
                [Problem(Location(str(parent)), f"cannot write: {exc.strerror}")]
            ) from None
        try:
            _write_files(tree, staging)
            os.chmod(staging, 0o755)
            if verify is not None:
                verify(staging)
            _failpoint("staged")
            if out_dir.exists():
                _swap(staging, out_dir)  # staging now holds the old tree
                _failpoint("swapped")
            else:
                os.rename(staging, out_dir)
        except OSError as exc:
            raise OutputDirError(
                [Problem(Location(_as_given(exc, staging, given)), _reason(exc))]
            ) from None
        finally:
            _remove(staging)
    return before


def _as_given(exc: OSError, staging: Path, given: Path) -> str:
    """The path a failed write names, as the user knows it: inside OUT, not the staging tree."""
    name = exc.filename if isinstance(exc.filename, str) else ""
    if name.startswith(str(staging)):
        inner = name[len(str(staging)) :].lstrip("/")
        return str(given / inner) if inner else str(given)
    return str(given)


def _reason(exc: OSError) -> str:
    """``cannot write: <what the system says>``, without errno numbers or temporary paths."""
    return f"cannot write: {(exc.strerror or str(exc)).lower()}"


def _temp_prefix(out_dir: Path) -> str:
    return f".{out_dir.name}.gigrouter-tmp-"


@contextlib.contextmanager
def _turn(parent: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``parent`` (the directory itself, so no lock file is left)."""
    fd = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_stale(out_dir: Path) -> None:
    """Remove what a killed run left beside ``out_dir``: its staging or retired trees, named
    exactly as ``tempfile.mkdtemp`` names them (``.out.gigrouter-tmp-<8 characters>[-old]``)."""
    name = re.compile(re.escape(_temp_prefix(out_dir)) + r"[a-z0-9_]{8}(?:-old)?")
    for entry in os.scandir(out_dir.parent):
        if name.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
            _remove(Path(entry.path))


def _remove(path: Path) -> None:
    """Remove a tree gigrouter made, read-only subdirectories included. Best effort: what
    cannot be removed even then is left (the next run tries again), never an error, since the
    render itself is done."""
    root = os.path.abspath(path)

    def writable_then_retry(function: Any, target: str, _: Any) -> None:
        for where in (os.path.dirname(target), target):
            where = os.path.abspath(where)
            inside = where == root or where.startswith(root + os.sep)  # never the user's own
            if inside and not os.path.islink(where):
                with contextlib.suppress(OSError):
                    os.chmod(where, stat.S_IRWXU)
        with contextlib.suppress(OSError):
            function(target)

    if os.path.lexists(path):
        with contextlib.suppress(OSError):
            shutil.rmtree(path, onerror=writable_then_retry)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where that is not possible."""
    # The process's own symbols (libc is loaded): ctypes.util.find_library would run
    # ``ldconfig -p`` in a child process, a fork of the whole render (its peak memory counts).
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # this file system or kernel cannot exchange
    raise OSError(code, os.strerror(code), str(b))


def _swap(staging: Path, out_dir: Path) -> None:
    """Put ``staging``'s tree at ``out_dir`` and the old tree at ``staging``."""
    if _exchange(staging, out_dir):
        return
    held = staging.with_name(staging.name + "-old")
    os.rename(out_dir, held)
    _failpoint("halfway")  # the moment the exchange exists to avoid: no tree at out_dir
    try:
        os.rename(staging, out_dir)
    except OSError:
        os.rename(held, out_dir)
        raise
    os.rename(held, staging)


def _failpoint(step: str) -> None:
    if os.environ.get(FAILPOINT_VARIABLE) == step:
        os.kill(os.getpid(), 9)


def read_tree(root: Path, *, hidden: bool = True) -> dict[str, str | None]:
    """Every file under ``root`` by relative POSIX path; None for files that are not UTF-8.

    Links are never followed: a symbolic link anywhere in the tree (or the tree itself being
    one) is an OutputDirError naming it, never its target or content, as Argo CD's repo server
    refuses such repos. ``hidden=False`` leaves out names starting with a dot.
    """
    return dict(sorted(_tree_files(root, hidden=hidden)))


def _tree_files(root: Path, *, hidden: bool = True) -> Iterator[tuple[str, str | None]]:
    """``read_tree``'s files one at a time, in walk order (a caller that keeps few of them
    never holds the whole tree)."""
    if root.is_symlink():
        raise _link_error(root)
    if not root.is_dir():
        return
    for top, dirs, names in os.walk(root):
        here = Path(top)
        if not hidden:
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            names = [n for n in names if not n.startswith(".")]
        for name in (*dirs, *names):
            if (here / name).is_symlink():
                raise _link_error(here / name)
        for name in names:
            path = here / name
            if not path.is_file():
                continue  # a socket or a fifo: nothing gigrouter writes or reads
            rel = path.relative_to(root).as_posix()
            try:
                yield rel, path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                yield rel, None
            except OSError as exc:
                raise OutputDirError(
                    [Problem(Location(str(path)), f"cannot read: {exc.strerror}")]
                ) from None


def _link_error(path: Path) -> OutputDirError:
    return OutputDirError(
        [
            Problem(
                Location(str(path)),
                "is a symbolic link; gigrouter never writes links and does not follow them in"
                " a tree it reads (one could point outside it): remove it",
            )
        ]
    )


def compare(tree: RenderedTree, out_dir: Path) -> Drift:
    """What writing ``tree`` would change in ``out_dir``, with a unified diff of each file."""
    # Only the text of files that differ is kept: a large tree is never held twice.
    present: set[str] = set()
    current: dict[str, str | None] = {}
    for rel, text in _tree_files(out_dir):
        present.add(rel)
        if rel not in tree.files or text != tree.files[rel]:
            current[rel] = text
    added = sorted(set(tree.files) - present)
    removed = sorted(present - set(tree.files))
    changed = sorted(p for p in current if p in tree.files)
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

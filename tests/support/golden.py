"""Golden files and trees, and what ``pytest --update-golden`` does with them.

Without the flag a test compares and fails on any difference. With it, a test rewrites what
differs and then still FAILS, naming the files, so an update never passes unreviewed; it passes
only when nothing had to change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from gigrouter.render import RenderedTree
from gigrouter.write import compare, write_tree

REPO = Path(__file__).resolve().parents[2]


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def fail_if_updated(paths: Iterable[Path]) -> None:
    """Fail when an update rewrote ``paths``; nothing rewritten, nothing to review."""
    changed = sorted(_shown(p) for p in paths)
    if changed:
        pytest.fail(
            f"golden updated: {', '.join(changed)}; "
            "review the diff and re-run without --update-golden",
            pytrace=False,
        )


def check_files(expected: Mapping[Path, str], update: bool) -> None:
    """Each golden file must hold exactly its text (compared, or rewritten with ``update``)."""
    stale = {
        path: text
        for path, text in expected.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    }
    if not update:
        missing = [_shown(p) for p in stale if not p.is_file()]
        assert not missing, (
            f"golden files missing: {', '.join(missing)}; run pytest --update-golden"
        )
        for path, text in stale.items():
            assert text == path.read_text(encoding="utf-8"), (
                f"{_shown(path)} is stale: run pytest --update-golden and review the diff"
            )
        return
    for path, text in stale.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    fail_if_updated(stale)


def check_tree(tree: RenderedTree, expected: Path, update: bool) -> None:
    """The directory ``expected`` must hold exactly ``tree``: no file more, less or other."""
    drift = compare(tree, expected)
    if not update:
        assert drift.clean, (
            f"{_shown(expected)} is stale; run `make render` (or pytest --update-golden)"
            " and review:\n" + drift.diff
        )
        return
    if drift.clean:
        return
    write_tree(tree, expected)
    fail_if_updated(expected / p for p in (*drift.added, *drift.removed, *drift.changed))

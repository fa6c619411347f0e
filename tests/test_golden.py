"""Golden trees: out/ for the default platform, and smaller cases under tests/golden/.

`pytest --update-golden` rewrites what differs and fails naming it, so the diff is reviewed like
code before the run passes (tests/support/golden.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import DEFAULT_CONFIG, REPO
from support.golden import check_files, check_tree

from gigrouter.pipeline import build_trees, combine
from gigrouter.render import RenderedTree

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "config.yaml").is_file())


def test_out_is_a_fresh_render_of_the_default_config(update_golden: bool) -> None:
    check_tree(combine(build_trees(DEFAULT_CONFIG, everything=True)), REPO / "out", update_golden)


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 2


@pytest.mark.parametrize("case", CASES)
def test_golden_case(case: str, update_golden: bool) -> None:
    tree = combine(build_trees(GOLDEN / case / "config.yaml", everything=True))
    check_tree(tree, GOLDEN / case / "expected", update_golden)


# --- what --update-golden does (tests/support/golden.py) ---------------------------------------


def test_an_update_rewrites_a_stale_file_and_fails_naming_it(tmp_path: Path) -> None:
    stale, fresh, missing = tmp_path / "stale.txt", tmp_path / "fresh.txt", tmp_path / "new/m.txt"
    stale.write_text("old\n", encoding="utf-8")
    fresh.write_text("same\n", encoding="utf-8")
    expected = {stale: "new\n", fresh: "same\n", missing: "born\n"}
    with pytest.raises(AssertionError, match=r"^golden files missing: .*new/m\.txt;"):
        check_files(expected, update=False)
    with pytest.raises(AssertionError, match=r"stale\.txt is stale"):
        check_files({stale: "new\n", fresh: "same\n"}, update=False)
    with pytest.raises(pytest.fail.Exception) as failed:
        check_files(expected, update=True)
    assert str(failed.value) == (
        f"golden updated: {missing}, {stale}; review the diff and re-run without --update-golden"
    )
    assert {p: p.read_text(encoding="utf-8") for p in expected} == expected
    check_files(expected, update=True)  # nothing left to change: passes, and so does a compare
    check_files(expected, update=False)


def test_an_update_rewrites_a_stale_tree_and_fails_naming_its_files(tmp_path: Path) -> None:
    config = GOLDEN / CASES[0] / "config.yaml"
    tree = combine(build_trees(config, everything=True))
    target = tmp_path / "expected"
    check_tree_updates_to(tree, target)  # from nothing: every file is added
    # a stray file inside a directory gigrouter owns (one at the top, which the metadata file
    # does not list, would make write_tree refuse the directory as not gigrouter's)
    edited = sorted(tree.files)[0]
    extra = next(p for p in sorted(tree.files) if "/" in p).split("/")[0] + "/stray.yaml"
    (target / edited).write_text("edited\n", encoding="utf-8")
    (target / extra).write_text("x: 1\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="-edited"):
        check_tree(tree, target, update=False)
    with pytest.raises(pytest.fail.Exception) as failed:
        check_tree(tree, target, update=True)
    names = ", ".join(sorted([str(target / edited), str(target / extra)]))
    assert str(failed.value).startswith(f"golden updated: {names}; review the diff")
    check_tree(tree, target, update=True)
    check_tree(tree, target, update=False)


def check_tree_updates_to(tree: RenderedTree, target: Path) -> None:
    with pytest.raises(pytest.fail.Exception) as failed:
        check_tree(tree, target, update=True)
    assert str(failed.value).count(str(target)) == len(tree.files)
    assert {
        p.relative_to(target).as_posix(): p.read_text(encoding="utf-8")
        for p in target.rglob("*")
        if p.is_file()
    } == tree.files

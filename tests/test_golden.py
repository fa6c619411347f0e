"""Golden trees: out/ for the default platform, and smaller cases under tests/golden/.

`pytest --update-golden` rewrites them; the diff is then reviewed like code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import DEFAULT_CONFIG, REPO

from gigrouter.pipeline import build_trees, combine
from gigrouter.write import compare, write_tree

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "config.yaml").is_file())


def check_tree(config: Path, expected: Path, update: bool) -> None:
    tree = combine(build_trees(config, everything=True))
    if update:
        write_tree(tree, expected)
        return
    drift = compare(tree, expected)
    assert drift.clean, (
        f"{expected} is stale; run `make render` (or pytest --update-golden) and review:\n"
        + drift.diff
    )


def test_out_is_a_fresh_render_of_the_default_config(update_golden: bool) -> None:
    check_tree(DEFAULT_CONFIG, REPO / "out", update_golden)


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 2


@pytest.mark.parametrize("case", CASES)
def test_golden_case(case: str, update_golden: bool) -> None:
    check_tree(GOLDEN / case / "config.yaml", GOLDEN / case / "expected", update_golden)

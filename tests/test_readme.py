"""The README stays true: its quick start, its rule table, the commands it shows."""

from __future__ import annotations

import re

from helpers import REPO

from gigrouter.validate.runner import all_rules

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_quick_start_is_exactly_make_render_and_make_test() -> None:
    section = README.split("## Quick start", 1)[1].split("##", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert blocks[0] == "make render\nmake test\n"


def test_rule_table_lists_every_rule_exactly() -> None:
    section = README.split("The rules:", 1)[1].split("\n\n", 2)[1]
    rows = dict(re.findall(r"^\| `([a-z0-9-]+)` \| (.+) \|$", section, re.M))
    assert rows == all_rules()


def test_make_targets_named_in_the_readme_exist() -> None:
    makefile = (REPO / "Makefile").read_text()
    for target in set(re.findall(r"`make ([a-z-]+)`", README)):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_every_deviation_is_documented() -> None:
    section = README.split("## Where the seed would break", 1)[1].split("\n## ", 1)[0]
    numbers = [int(n) for n in re.findall(r"^(\d+)\. \*\*", section, re.M)]
    assert numbers == list(range(1, 12))

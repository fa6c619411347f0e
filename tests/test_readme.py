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
    assert numbers == list(range(1, 13))


def _options_of() -> dict[str, set[str]]:
    """Every command's option names (and the root's), from the app itself."""
    import typer.main

    from gigrouter.cli import app

    root = typer.main.get_command(app)
    names = {"": {o for p in root.params for o in (*p.opts, *p.secondary_opts)}}
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        names[name] = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
    return names


def test_every_command_and_flag_the_readme_shows_exists() -> None:
    options = _options_of()
    shown = re.findall(r"`(gigrouter [^`]+)`", README)
    for block in re.findall(r"```(?:sh|bash)\n(.*?)```", README, re.S):
        shown += [line.split("#", 1)[0].strip() for line in block.splitlines()]
    checked = 0
    for text in shown:
        if not text.startswith("gigrouter ") or text.startswith("gigrouter <"):
            continue  # prose that names gigrouter (its git identity), not a command line
        words = text.split()
        flags_before = [w for w in words[1:] if w.startswith("-")]
        command = next((w for w in words[1:] if not w.startswith(("-", "[")) and w in options), "")
        for word in words[1:]:
            flag = word.strip("[]").split("=", 1)[0].split("|")[0].split("\\")[0]
            if not flag.startswith("-") or flag == "-":
                continue
            known = options[command] | options[""]
            assert flag in known, f"README shows {flag!r} for `gigrouter {command}`: {text}"
            checked += 1
        assert command or flags_before, text
    assert checked > 40  # the table alone shows this many: the scan really ran

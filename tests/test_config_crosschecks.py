"""The config's cross-key checks (waves, depends_on, externals, ...), one golden case each.

The checks are those of ``Platform.cross_check`` and every validator of the model that compares
several keys (model validators, and field validators that read other fields).
``tests/golden_config_errors/<check>/config.yaml`` is a small edit of a valid golden config (its
first line names which: ``# from: tests/golden/...``) that breaks exactly one check;
``expected.txt`` is the exact text the CLI prints for it (``error: file:line: key path:
message``, the file as given to ``--config``). A meta-test finds every check with ``ast`` (the
finder ``tests/mutants.py`` uses for its check-off mutants) and requires a case for each.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from mutants import CheckSite, config_check_sites
from support.cli import invoke

import gigrouter.model
from gigrouter.config.load import load_platform
from gigrouter.errors import ConfigError

CASES_DIR = Path(__file__).resolve().parent / "golden_config_errors"
REPO = CASES_DIR.parents[1]
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())
HEADER = "# from: "
MAX_CHANGED_LINES = 12  # a case is a small edit of its base, not a new config


def expected_of(case: str) -> str:
    return (CASES_DIR / case / "expected.txt").read_text(encoding="utf-8")


def message_of(line: str) -> str:
    """The message of one printed error: ``error: file:line: key path: message``."""
    assert line.startswith("error: "), line
    parts = line.removeprefix("error: ").split(": ", 2)
    assert len(parts) == 3, f"not 'file:line: key path: message': {line!r}"
    return parts[2]


def base_of(case: str) -> Path:
    first = (CASES_DIR / case / "config.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(HEADER), f"{case}/config.yaml must start with '{HEADER}<base config>'"
    return REPO / first.removeprefix(HEADER)


def sites() -> list[CheckSite]:
    package = Path(gigrouter.model.__file__).parent
    return config_check_sites(
        {f"gigrouter/model/{p.name}": p.read_text(encoding="utf-8") for p in package.glob("*.py")}
    )


def test_there_are_cases() -> None:
    assert CASES, f"no cases under {CASES_DIR}"


@pytest.mark.parametrize("case", CASES)
def test_loading_the_case_gives_exactly_the_expected_errors(case: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_platform(CASES_DIR / case / "config.yaml", display="config.yaml")
    printed = "".join(f"error: {line}\n" for line in info.value.lines())
    assert printed == expected_of(case)


@pytest.mark.parametrize("case", CASES)
def test_the_cli_prints_exactly_the_expected_text(case: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("render", "--config", "config.yaml", "--out", str(out), cwd=CASES_DIR / case)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == expected_of(case)
    assert not out.exists(), "a bad config must write nothing"


@pytest.mark.parametrize("case", CASES)
def test_each_case_is_a_small_edit_of_a_valid_config(case: str) -> None:
    base = base_of(case)
    load_platform(base)  # the base is valid: the edit alone breaks the check
    ours = (CASES_DIR / case / "config.yaml").read_text(encoding="utf-8").splitlines()
    ours = [line for line in ours if not line.startswith(("# from: ", "# invalid: "))]
    theirs = base.read_text(encoding="utf-8").splitlines()
    changed = [
        line
        for line in difflib.unified_diff(theirs, ours, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed, f"{case} is its base unchanged"
    assert len(changed) <= MAX_CHANGED_LINES, f"{case} changes {len(changed)} lines of {base}"


@pytest.mark.parametrize("case", CASES)
def test_each_case_breaks_one_check_once(case: str) -> None:
    lines = expected_of(case).splitlines()
    assert len(lines) == 1, f"{case}: one error expected, got {lines}"


def key_path_of(line: str) -> str:
    return line.removeprefix("error: ").split(": ", 2)[1]


def candidates(line: str) -> list[str]:
    """What the check may have written for one printed error: its message, or the message
    after the last keys of the key path (the loader moves a key a message starts with into
    the key path, to point at that key's line)."""
    message, keys = message_of(line), key_path_of(line).split(".")
    return [message] + [".".join(keys[-k:]) + ": " + message for k in range(1, len(keys))]


def case_owner(line: str, found: list[CheckSite]) -> CheckSite:
    """The check that printed ``line``, read as one of its candidate messages."""
    for message in candidates(line):
        if any(s.pattern().fullmatch(message) for s in found):
            return owner_of(message, found)
    return owner_of(message_of(line), found)


def owner_of(message: str, found: list[CheckSite]) -> CheckSite:
    """The check that printed ``message``: of the checks whose message it fits, the most
    specific (the one with the most fixed text), which must be the only one that specific."""
    fits = [s for s in found if s.pattern().fullmatch(message)]
    assert fits, f"no cross-key check prints {message!r}"
    best = max(len(s.fixed_text()) for s in fits)
    top = [s for s in fits if len(s.fixed_text()) == best]
    assert len(top) == 1, f"{message!r} fits {[f'{s.file}:{s.line}' for s in top]} equally"
    return top[0]


def test_every_cross_key_check_has_a_case() -> None:
    """Each check (Platform.cross_check and the validators comparing several keys) prints the
    message of at least one case, and each case's message comes from one check."""
    found = sites()
    owners = {case: case_owner(expected_of(case).splitlines()[0], found) for case in CASES}
    covered = set(owners.values())
    uncovered = [
        f"{s.file}:{s.line} {s.key_path}: {s.message!r}" for s in found if s not in covered
    ]
    assert not uncovered, f"cross-key checks without a case under {CASES_DIR}: {uncovered}"


def test_the_most_specific_check_owns_a_message() -> None:
    wide = CheckSite("m.py", 1, 0, 1, "applications[{}].name", "{} is defined twice")
    narrow = CheckSite("m.py", 2, 0, 2, "Services", "service {} is defined twice")
    assert owner_of("service 'a' is defined twice", [wide, narrow]) == narrow
    assert owner_of("'a' is defined twice", [wide, narrow]) == wide
    with pytest.raises(AssertionError, match="no cross-key check"):
        owner_of("something else", [wide, narrow])


def test_the_check_finder_sees_every_kind_of_check() -> None:
    """The finder reads the messages of the checks, placeholders where values go."""
    messages = {site.message for site in sites()}
    assert "wave {} of {} must be later than wave {} of its dependency {}" in messages
    assert "depends_on forms a cycle: {}" in messages
    assert "{} is declared twice" in messages
    assert "an application cannot depend on itself" in messages  # a model validator
    assert any(m.startswith("ssl_redirect {} is not among") for m in messages)  # reads `info`

"""requirements/runtime.txt and requirements/dev.txt agree with pyproject.toml.

`make render` installs runtime.txt and `make test` adds dev.txt, so a dependency declared in
pyproject.toml but missing from its lock file, or pinned outside its declared range, would
install something other than what pyproject.toml promises (or nothing at all).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from gigrouter.validate.schema import SUPPORTED_BUNDLE

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = REPO / "pyproject.toml"
RUNTIME = REPO / "requirements" / "runtime.txt"
DEV = REPO / "requirements" / "dev.txt"

PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;#]+)")
VIA = re.compile(r"#\s*via\s+(?P<names>.+)")


@dataclass(frozen=True)
class Lock:
    pins: dict[str, Version]
    """Canonical name -> pinned version."""
    via: dict[str, set[str]]
    """Canonical name -> what requires it, from the ``# via`` comment under its pin."""


def parse_lock(text: str, label: str) -> Lock:
    pins: dict[str, Version] = {}
    via: dict[str, set[str]] = {}
    last = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            found = VIA.fullmatch(line)
            if found and last:
                via[last] = {canonicalize_name(n.strip()) for n in found["names"].split(",")}
            continue
        match = PIN.fullmatch(line)
        if match is None:
            raise AssertionError(f"{label}:{number}: not NAME==VERSION: {raw!r}")
        last = canonicalize_name(match["name"])
        if last in pins:
            raise AssertionError(f"{label}:{number}: {last} is pinned twice")
        pins[last] = Version(match["version"])
    return Lock(pins, via)


def problems(pyproject: str, runtime_text: str, dev_text: str) -> list[str]:
    """Everything that makes the two lock files disagree with ``pyproject``."""
    project = tomllib.loads(pyproject)["project"]
    name = canonicalize_name(project["name"])
    declared_runtime = [Requirement(r) for r in project["dependencies"]]
    declared_dev = [Requirement(r) for r in project["optional-dependencies"]["dev"]]
    runtime = parse_lock(runtime_text, "runtime.txt")
    dev = parse_lock(dev_text, "dev.txt")
    found = []
    for label, lock, declared in (
        ("runtime.txt", runtime, declared_runtime),
        ("dev.txt", dev, declared_runtime),
        ("dev.txt", dev, declared_dev),
    ):
        for req in declared:
            key: str = canonicalize_name(req.name)
            if key not in lock.pins:
                found.append(f"{label}: {req} is declared but not pinned")
            elif not req.specifier.contains(lock.pins[key], prereleases=True):
                found.append(f"{label}: {key}=={lock.pins[key]} does not satisfy {req}")
    for key, version in runtime.pins.items():
        if key not in dev.pins:
            found.append(f"dev.txt: {key} is in runtime.txt but not here")
        elif dev.pins[key] != version:
            found.append(f"dev.txt: {key}=={dev.pins[key]} but runtime.txt has {version}")
    # Only what gigrouter needs at run time may be in runtime.txt: every pin there is required
    # by gigrouter or by another runtime pin (packaging is, through kubernetes-validate).
    for key in runtime.pins:
        parents = runtime.via.get(key, set())
        if not parents & ({name} | set(runtime.pins)):
            dev_only = key in {canonicalize_name(r.name) for r in declared_dev}
            what = "a dev tool" if dev_only else "required by nothing that gigrouter needs"
            found.append(f"runtime.txt: {key} is {what} (via {', '.join(sorted(parents))})")
    return found


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_lock_files_match_pyproject() -> None:
    assert problems(read(PYPROJECT), read(RUNTIME), read(DEV)) == []


def test_lock_files_are_the_closure_installed_here() -> None:
    """requirements/freeze.py, run in this environment, writes what is committed: the pins
    are what the tests run with, and every ``# via`` is true."""
    result = subprocess.run(
        [sys.executable, str(REPO / "requirements" / "freeze.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_kubernetes_validate_cap_is_the_one_the_code_names() -> None:
    project = tomllib.loads(read(PYPROJECT))["project"]
    declared = [
        Requirement(r) for r in project["dependencies"] if r.startswith("kubernetes-validate")
    ]
    assert len(declared) == 1
    assert Requirement(SUPPORTED_BUNDLE).specifier == declared[0].specifier


# The checker itself, on broken inputs -------------------------------------------------------

PYPROJECT_TEXT = """
[project]
name = "demo"
dependencies = ["alpha>=1,<2", "beta>=2"]
[project.optional-dependencies]
dev = ["pytest>=8,<10"]
"""
RUNTIME_TEXT = "alpha==1.5\n    # via demo\nbeta==2.0\n    # via demo\nzeta==1\n    # via beta\n"
DEV_TEXT = RUNTIME_TEXT + "pytest==9.0\n    # via demo[dev]\npluggy==1.0\n    # via pytest\n"


def test_consistent_inputs_have_no_problems() -> None:
    assert problems(PYPROJECT_TEXT, RUNTIME_TEXT, DEV_TEXT) == []


@pytest.mark.parametrize(
    ("runtime", "dev", "expected"),
    [
        (
            RUNTIME_TEXT.replace("alpha==1.5", "alpha==2.1"),
            DEV_TEXT.replace("alpha==1.5", "alpha==2.1"),
            [
                "runtime.txt: alpha==2.1 does not satisfy alpha<2,>=1",
                "dev.txt: alpha==2.1 does not satisfy alpha<2,>=1",
            ],
        ),
        (
            RUNTIME_TEXT.replace("beta==2.0\n    # via demo\n", ""),
            DEV_TEXT,
            [
                "runtime.txt: beta>=2 is declared but not pinned",
                "runtime.txt: zeta is required by nothing that gigrouter needs (via beta)",
            ],
        ),
        (
            RUNTIME_TEXT,
            DEV_TEXT.replace("pytest==9.0\n", "").replace("zeta==1", "zeta==1.1"),
            [
                "dev.txt: pytest<10,>=8 is declared but not pinned",
                "dev.txt: zeta==1.1 but runtime.txt has 1",
            ],
        ),
        (
            RUNTIME_TEXT + "pytest==9.0\n    # via demo[dev]\n",
            DEV_TEXT,
            ["runtime.txt: pytest is a dev tool (via demo[dev])"],
        ),
    ],
    ids=["outside-the-range", "runtime-pin-missing", "dev-pin-missing-or-different", "dev-tool"],
)
def test_each_disagreement_is_named(runtime: str, dev: str, expected: list[str]) -> None:
    assert problems(PYPROJECT_TEXT, runtime, dev) == expected


def test_a_line_that_is_not_a_pin_is_rejected() -> None:
    with pytest.raises(AssertionError, match=r"runtime.txt:1: not NAME==VERSION: 'alpha>=1'"):
        problems(PYPROJECT_TEXT, "alpha>=1\n", DEV_TEXT)


def test_the_fuzz_extra_is_pinned_in_its_own_lock() -> None:
    project = tomllib.loads(read(PYPROJECT))["project"]
    declared = [Requirement(r) for r in project["optional-dependencies"]["fuzz"]]
    lock = parse_lock(read(REPO / "requirements" / "fuzz.txt"), "fuzz.txt")
    assert declared, "the fuzz extra names what make fuzz installs"
    for req in declared:
        key = canonicalize_name(req.name)
        assert key in lock.pins, f"fuzz.txt: {req} is declared but not pinned"
        assert req.specifier.contains(lock.pins[key], prereleases=True), (key, lock.pins[key])
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "requirements/fuzz.txt" in makefile

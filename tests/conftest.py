"""Shared fixtures: the repository's paths, the shared oracles, and --update-golden."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEFAULT_CONFIG = REPO / "config" / "platform.yaml"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*/expected (and out/) from a fresh render",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def shared_crds() -> Path:
    """../shared/crds beside the repository; tests that need it skip, saying why, without it."""
    crds = SHARED / "crds"
    if not crds.is_dir():
        pytest.skip(f"upstream CRD oracles not found at {crds} (CI always has ../shared)")
    return crds


@pytest.fixture(scope="session")
def gigrouter_exe() -> str:
    """The installed console script of the environment running the tests."""
    candidate = Path(sys.executable).parent / "gigrouter"
    found = str(candidate) if candidate.exists() else shutil.which("gigrouter")
    if not found:
        pytest.fail("the gigrouter console script is not installed (run `make test`)")
    return found


@pytest.fixture
def default_text() -> str:
    return DEFAULT_CONFIG.read_text(encoding="utf-8")

"""Shared fixtures: the repository's paths, the shared oracles, and --update-golden."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from support.shared import in_ci, require_dir, shared_dir, upstream_crds_dir

REPO = Path(__file__).resolve().parent.parent
SHARED = shared_dir()
DEFAULT_CONFIG = REPO / "config" / "platform.yaml"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*/expected (and out/) from a fresh render",
    )


def pytest_configure(config: pytest.Config) -> None:
    if in_ci() and config.getoption("--update-golden"):
        raise pytest.UsageError(
            "--update-golden is not allowed in CI: golden files are rewritten and reviewed"
            " locally, CI only compares"
        )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def shared_crds() -> Path:
    """../shared/crds beside the repository: without it a test skips, or under CI fails."""
    return require_dir(upstream_crds_dir(), "upstream CRD oracle directory")


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

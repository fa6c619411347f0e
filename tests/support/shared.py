"""The oracles in ../shared beside the repository, and what their absence means.

Locally a test that needs them skips, naming the missing directory. Under CI (the ``CI``
environment variable set to anything non-empty) the same absence FAILS the test, so a CI run
cannot pass by quietly skipping every comparison with the upstream CRDs. ``GIGROUTER_SHARED``
overrides where ../shared is (tests/test_ci_strict.py points it at a missing directory).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_VARIABLE = "GIGROUTER_SHARED"


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def shared_dir() -> Path:
    """../shared beside the repository, or ``$GIGROUTER_SHARED`` when that is set."""
    override = os.environ.get(SHARED_VARIABLE)
    return Path(override) if override else REPO.parent / "shared"


def upstream_crds_dir() -> Path:
    return shared_dir() / "crds"


def require_dir(path: Path, what: str) -> Path:
    """``path`` when it is a directory; otherwise skip the test, or under CI fail it."""
    if path.is_dir():
        return path
    message = f"{what} {path} is absent"
    if in_ci():
        pytest.fail(
            f"{message}, and CI must have it (../shared beside the repository, or"
            f" ${SHARED_VARIABLE})",
            pytrace=False,
        )
    pytest.skip(f"{message} (CI always has it; ${SHARED_VARIABLE} can point elsewhere)")

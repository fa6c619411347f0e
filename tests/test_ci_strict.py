"""Under CI (``CI`` set to anything non-empty) the suite cannot pass by skipping or rewriting.

A missing ../shared (the upstream CRD oracles) fails every test that needs it, instead of
skipping it, and ``--update-golden`` is refused for the whole session. Each case runs pytest
in a subprocess on real tests of this suite, with ../shared pointed at a missing directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# The three places that need ../shared/crds: the conftest fixture and the two modules that
# compare gigrouter's schemas with the upstream CRDs.
NEEDS_SHARED = [
    "tests/test_manifests_valid.py::test_upstream_crd_oracle_rejects_unknown_fields",
    "tests/validate/test_crd.py::test_upstream_crds_load",
    "tests/validate/test_custom_kinds.py::test_custom_and_crd_errors_share_one_wording",
]


def pytest_run(*args: str, ci: str | None, shared: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIGROUTER_SHARED": str(shared)}
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_missing_shared_skips_locally(tmp_path: Path) -> None:
    result = pytest_run(*NEEDS_SHARED, ci=None, shared=tmp_path / "missing")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(NEEDS_SHARED)} skipped" in result.stdout
    assert str(tmp_path / "missing" / "crds") in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_shared_fails_in_ci(tmp_path: Path, ci: str) -> None:
    missing = tmp_path / "missing"
    result = pytest_run(*NEEDS_SHARED, ci=ci, shared=missing)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "skipped" not in result.stdout
    # A fixture that fails is an error at setup; a test body that fails is a failure.
    assert result.stdout.count(f"{missing / 'crds'} is absent, and CI must have it") >= len(
        NEEDS_SHARED
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert "passed" not in summary, summary


@pytest.mark.slow
def test_an_empty_ci_variable_is_not_ci(tmp_path: Path) -> None:
    result = pytest_run(NEEDS_SHARED[1], ci="", shared=tmp_path / "missing")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout


@pytest.mark.slow
def test_update_golden_is_refused_in_ci(tmp_path: Path) -> None:
    harmless = "tests/test_lock.py::test_consistent_inputs_have_no_problems"
    refused = pytest_run("--update-golden", harmless, ci="true", shared=tmp_path)
    assert refused.returncode == pytest.ExitCode.USAGE_ERROR, refused.stdout + refused.stderr
    assert "--update-golden is not allowed in CI" in refused.stderr
    assert "passed" not in refused.stdout
    allowed = pytest_run("--update-golden", harmless, ci=None, shared=tmp_path)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "1 passed" in allowed.stdout

"""The installed `gigrouter` command: exit codes, messages, no tracebacks, any working directory."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers import DEFAULT_CONFIG, REPO


def run(exe: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run(
        [exe, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_render_from_another_directory(gigrouter_exe: str, tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    result = run(
        gigrouter_exe, "render", "--config", str(DEFAULT_CONFIG), "--out", str(out), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "rendered 72 files" in result.stdout  # the base platform and staging, with READMEs
    assert (out / "argocd" / "apps.yaml").read_text() == (REPO / "out/argocd/apps.yaml").read_text()
    check = run(
        gigrouter_exe,
        "render",
        "--config",
        str(DEFAULT_CONFIG),
        "--out",
        str(out),
        "--check",
        cwd=tmp_path,
    )
    assert check.returncode == 0
    assert "up to date" in check.stdout


def test_check_drift_exits_1_with_a_diff(gigrouter_exe: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(gigrouter_exe, "render", "-c", str(DEFAULT_CONFIG), "-o", str(out), cwd=tmp_path)
    (out / "frontend" / "service.yaml").write_text("edited\n")
    result = run(
        gigrouter_exe, "render", "-c", str(DEFAULT_CONFIG), "-o", str(out), "--check", cwd=tmp_path
    )
    assert result.returncode == 1
    assert "  changed: frontend/service.yaml" in result.stdout
    assert "-edited" in result.stdout
    assert (out / "frontend" / "service.yaml").read_text() == "edited\n"


def test_bad_config_exits_2_with_location(gigrouter_exe: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEFAULT_CONFIG.read_text().replace("replicas: 2", "replicas: two", 1))
    result = run(
        gigrouter_exe, "render", "--config", str(bad), "--out", str(tmp_path / "o"), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "replicas: two" in t)
    assert f"error: {bad}:{line}: components.backend.replicas:" in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("target", [".", "home"])
def test_refuses_to_wipe_a_foreign_directory(
    gigrouter_exe: str, tmp_path: Path, target: str
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.tex").write_text("years of work\n")
    out = "." if target == "." else str(victim)
    result = run(gigrouter_exe, "render", "--config", str(DEFAULT_CONFIG), "--out", out, cwd=victim)
    assert result.returncode == 2
    assert "refusing to replace it" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in victim.iterdir()) == ["thesis.tex"]


def test_missing_config_and_bad_usage(gigrouter_exe: str, tmp_path: Path) -> None:
    missing = run(gigrouter_exe, "render", "--config", "nope.yaml", cwd=tmp_path)
    assert missing.returncode == 2
    assert "error: nope.yaml: config file not found" in missing.stderr
    usage = run(gigrouter_exe, "render", "--bogus", cwd=tmp_path)
    assert usage.returncode == 2
    assert "Traceback" not in usage.stderr


def test_schema_command(gigrouter_exe: str, tmp_path: Path) -> None:
    result = run(gigrouter_exe, "schema", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == (REPO / "config" / "platform.schema.json").read_text()


def test_module_entry_point(tmp_path: Path) -> None:
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "gigrouter", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "render" in result.stdout

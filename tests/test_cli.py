"""The `gigrouter` command: exit codes, messages, no tracebacks, any working directory.

The CLI's behaviour is tested in-process (support.cli.invoke); one smoke test runs the installed
console script and the module entry point for real.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import DEFAULT_CONFIG, REPO
from support.cli import invoke


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_installed_console_script_and_module_entry_point(gigrouter_exe: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    helped = run(gigrouter_exe, "--help")
    assert helped.returncode == 0, helped.stderr
    assert "render" in helped.stdout and "validate" in helped.stdout
    checked = run(gigrouter_exe, "render", "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == f"out: up to date ({len(files_under(REPO / 'out'))} files)\n"
    module = run(sys.executable, "-m", "gigrouter", "--help")
    assert module.returncode == 0, module.stderr
    assert "render" in module.stdout


def test_render_from_another_directory(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    result = invoke("render", "--config", str(DEFAULT_CONFIG), "--out", str(out), cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    written = files_under(out)
    # the base platform and staging, with READMEs: the files of the committed out/
    assert sorted(written) == sorted(files_under(REPO / "out"))
    assert (out / "argocd" / "apps.yaml").read_text() == (REPO / "out/argocd/apps.yaml").read_text()
    count = len(written)
    assert result.stdout == (
        f"rendered {count} files into {out} ({count} added, 0 removed, 0 changed)\n"
    )
    check = invoke(
        "render", "--config", str(DEFAULT_CONFIG), "--out", str(out), "--check", cwd=tmp_path
    )
    assert check.exit_code == 0, check.stdout + check.stderr
    assert check.stdout == f"{out}: up to date ({count} files)\n"
    assert files_under(out) == written


def test_check_drift_exits_1_with_a_diff(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        invoke("render", "-c", str(DEFAULT_CONFIG), "--out", str(out), cwd=tmp_path).exit_code == 0
    )
    (out / "frontend" / "service.yaml").write_text("edited\n")
    result = invoke("render", "-c", str(DEFAULT_CONFIG), "--out", str(out), "--check", cwd=tmp_path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        f"{out}: differs from a fresh render of {DEFAULT_CONFIG}",
        "  changed: frontend/service.yaml",
    ]
    assert "-edited" in lines
    assert (out / "frontend" / "service.yaml").read_text() == "edited\n"


def test_bad_config_exits_2_with_location(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEFAULT_CONFIG.read_text().replace("replicas: 2", "replicas: two", 1))
    result = invoke("render", "--config", str(bad), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "replicas: two" in t)
    assert f"error: {bad}:{line}: components.backend.replicas:" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("target", [".", "home"])
def test_refuses_to_wipe_a_foreign_directory(tmp_path: Path, target: str) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.tex").write_text("years of work\n")
    out = "." if target == "." else str(victim)
    result = invoke("render", "--config", str(DEFAULT_CONFIG), "--out", out, cwd=victim)
    assert result.exit_code == 2
    assert "refusing to replace it" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in victim.iterdir()) == ["thesis.tex"]


def test_missing_config_and_bad_usage(tmp_path: Path) -> None:
    missing = invoke("render", "--config", "nope.yaml", cwd=tmp_path)
    assert missing.exit_code == 2
    assert "error: nope.yaml: config file not found" in missing.stderr
    usage = invoke("render", "--bogus", cwd=tmp_path)
    assert usage.exit_code == 2
    assert "No such option: --bogus" in usage.stderr
    assert "Traceback" not in usage.stderr
    assert list(tmp_path.iterdir()) == []


def test_schema_command(tmp_path: Path) -> None:
    result = invoke("schema", cwd=tmp_path)
    assert result.exit_code == 0
    assert result.stdout == (REPO / "config" / "platform.schema.json").read_text()


def test_invoke_runs_in_the_given_directory_and_goes_back(tmp_path: Path) -> None:
    before = Path.cwd()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "platform.yaml").write_text(DEFAULT_CONFIG.read_text())
    result = invoke("render", cwd=tmp_path)  # the defaults: config/platform.yaml into out
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("rendered ") and " into out (" in result.stdout
    assert (tmp_path / "out" / "argocd" / "apps.yaml").is_file()
    assert Path.cwd() == before

"""`pip install .` ships the templates: the installed package renders from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import DEFAULT_CONFIG, REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(REPO)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (found,) = dist.glob("gigrouter-*.whl")
    return found


@pytest.mark.slow
def test_wheel_contains_every_template(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = sorted(
        p.relative_to(REPO / "templates").as_posix() for p in (REPO / "templates").rglob("*.j2")
    )
    assert templates
    missing = [t for t in templates if f"gigrouter/templates/{t}" not in names]
    assert missing == []


@pytest.mark.slow
def test_installed_wheel_renders_without_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import gigrouter.render as r; print(r.__file__); print(r.templates_dir())"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    module_file, templates = where.stdout.splitlines()
    assert module_file.startswith(str(target))
    assert templates.startswith(str(target))
    out = tmp_path / "out"
    subprocess.run(
        [sys.executable, "-m", "gigrouter", "render", "--config", str(DEFAULT_CONFIG), "--out", str(out)],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert (out / "backend" / "job.yaml").read_text() == (REPO / "out/backend/job.yaml").read_text()

"""Small trees for the hostile tests, and the installed command run as CI runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

METADATA = "gigrouter:\n  format: 1\nargocd:\n  namespace: argocd\n  applicationHealthCheck: true\n"
CONFIG_MAP = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\n"
    "data:\n  greeting: hello\n"
)
TIME_BOUND = 20.0  # seconds; a hang fails instead of stalling the suite
EXE = str(Path(sys.executable).parent / "gigrouter")


def config_map(name: str) -> str:
    return CONFIG_MAP.format(name=name)


def make_tree(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    """A valid tree (metadata + one ConfigMap) plus ``files``."""
    root.mkdir(parents=True, exist_ok=True)
    everything: dict[str, str | bytes] = {
        "gigrouter-metadata.yaml": METADATA,
        "base.yaml": config_map("base"),
        **(files or {}),
    }
    for rel, content in everything.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@dataclass
class Run:
    code: int
    out: str
    seconds: float


def gigrouter(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """The installed console script, as CI runs it: no terminal, a time bound."""
    started = time.monotonic()
    result = subprocess.run(
        [EXE, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=TIME_BOUND * 2,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        check=False,
    )
    return Run(result.returncode, result.stdout + result.stderr, time.monotonic() - started)


def assert_clean_failure(run: Run, code: int, *needles: str) -> None:
    """Exit ``code``, no traceback, every needle in the output, within the time bound."""
    assert "Traceback" not in run.out, run.out
    assert run.code == code, run.out
    for needle in needles:
        assert needle in run.out, (needle, run.out)
    assert run.seconds < TIME_BOUND, run.seconds

"""The gigrouter command in-process, through typer's CliRunner, from a chosen directory.

The console script itself is smoke-tested once (tests/test_cli.py); everything else about the
CLI's behaviour (exit codes, messages, which stream they go to) is tested through ``invoke``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from gigrouter.cli import app


@dataclass(frozen=True)
class Result:
    """What one run of the command gave: its exit code and the two streams, kept apart."""

    exit_code: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    """Run the block in ``path``, and go back to where we were afterwards, whatever happens."""
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def invoke(*args: str, cwd: Path | None = None) -> Result:
    """``gigrouter ARGS...`` run in this process with ``cwd`` (default: the current directory)
    as its working directory.

    An exception that escapes the command is re-raised, traceback and all, instead of being
    turned into exit code 1: a crash must fail the test, never pass as "findings".
    typer vendors click 8.3's runner, which always captures stderr apart from stdout.
    """
    runner = CliRunner()
    with working_directory(cwd if cwd is not None else Path.cwd()):
        result = runner.invoke(app, list(args), catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)

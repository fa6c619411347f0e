"""The error tree. Core code raises these; only ``cli.py`` prints them and picks exit codes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file, a 1-based line (0 when unknown) and a dotted key path."""

    file: str
    line: int = 0
    key_path: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.key_path:
            where += f": {self.key_path}"
        return where


@dataclass(frozen=True)
class Problem:
    """One message tied to one location."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class GigrouterError(Exception):
    """Base of every error a user can cause. ``exit_code`` is what the CLI exits with."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(Location(""), problems)]
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        out = []
        for p in self.problems:
            out.append(str(p) if p.location.file else p.message)
        return out


class ConfigError(GigrouterError):
    """The platform config cannot be read or does not fit the model (exit 2)."""


class UsageError(GigrouterError):
    """A command was called with arguments that cannot work (exit 2)."""


class OutputDirError(GigrouterError):
    """The output directory cannot be written safely (exit 2)."""


class TemplateError(GigrouterError):
    """A template failed to render or produced broken YAML: a bug in gigrouter's templates."""

    exit_code = 3


class ValidationFailed(GigrouterError):
    """The rendered tree has validation errors, so it was not written (exit 1)."""

    exit_code = 1

    def __init__(self, report: object, errors: int) -> None:
        self.report = report
        super().__init__(
            f"the rendered tree has {errors} validation error{'s' if errors != 1 else ''};"
            " nothing was written"
        )


class PublishError(GigrouterError):
    """Publishing failed: git could not read or push the target, or the branch holds a render
    whose source cannot be ordered against ours (exit 1)."""

    exit_code = 1


def did_you_mean(value: str, options: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the option closest to ``value``, or ''."""
    close = difflib.get_close_matches(value, sorted(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""

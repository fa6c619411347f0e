"""What validate reports: findings with a severity, a stable rule id, a place and a resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True, order=True)
class Resource:
    """The identity of one Kubernetes object."""

    api_version: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}"

    def as_dict(self) -> dict[str, str]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }


@dataclass(frozen=True, order=True)
class Origin:
    """The config key (and its file and line) that produced a field of a rendered tree."""

    file: str
    line: int
    key: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} {self.key}" if self.key else where

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "key": self.key}


@dataclass(frozen=True)
class Finding:
    """One problem. ``file`` is relative to the validated tree (POSIX); ``line`` is 1-based,
    0 when unknown: the line of the field ``path`` (``spec.ports[0].targetPort``) when the
    finding is about one, else of the document. ``origin``: for a tree gigrouter rendered, the
    config key that produced the field."""

    severity: Severity
    rule: str
    message: str
    file: str
    line: int = 0
    resource: Resource | None = None
    waived_because: str | None = None
    path: str = ""
    origin: Origin | None = None

    def as_dict(self) -> dict[str, Any]:
        """The finding as reports write it (``--format json``, plan's warnings); ``path`` and
        ``config`` only when known."""
        out: dict[str, Any] = {
            "severity": self.severity.value,
            "rule": self.rule,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "resource": self.resource.as_dict() if self.resource is not None else None,
        }
        if self.path:
            out["path"] = self.path
        if self.origin is not None:
            out["config"] = self.origin.as_dict()
        return out

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.severity.rank, self.rule, self.message)


@dataclass
class Report:
    """Every finding of one run, plus what was looked at."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    resources: int = 0

    def sorted(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    @property
    def infos(self) -> int:
        return self.count(Severity.INFO)

    def clean(self) -> bool:
        """No errors and no unwaived warnings (waived findings are infos)."""
        return self.errors == 0 and self.warnings == 0

    def summary(self) -> dict[str, int]:
        return {
            "errors": self.errors,
            "warnings": self.warnings,
            "infos": self.infos,
            "files": self.files,
            "resources": self.resources,
        }

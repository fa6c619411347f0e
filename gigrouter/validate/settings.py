"""A repository's own validate settings: ``.gigrouter.yaml`` at the tree root, or the
``validate:`` section of ``gigrouter-metadata.yaml``.

Shaped after kube-linter's ``.kube-linter.yaml`` (checks to include and exclude, paths to
ignore), with what a GitOps tree needs besides::

    rules:
      image-tag: error                  # a rule's severity: error, warning or info
      readiness-probe-missing:          # or off, which needs a reason
        severity: off
        reason: the mesh sidecar answers the probes
    exclude:                            # tree paths not read at all (globs, ** crosses '/')
      - docs/**
    externals:                          # objects made outside the tree
      - {kind: Secret, namespace: argocd, name: argocd-redis, keys: [auth]}

A mistake in the file is a :class:`~gigrouter.errors.ConfigError` naming the file, line and
key (exit 2), never a silently ignored setting: an unknown rule id gets a "did you mean".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gigrouter.errors import ConfigError, Location, Problem
from gigrouter.validate.context import External, Options
from gigrouter.validate.findings import Finding, Severity

SETTINGS_FILE = ".gigrouter.yaml"
METADATA_SECTION = "validate"
RULE_DISABLED = "rule-disabled"
RULES = {
    RULE_DISABLED: (
        "A rule the repository's .gigrouter.yaml turns off (with its reason) found something;"
        " its findings are counted, not listed."
    ),
}
SEVERITY = {RULE_DISABLED: "info"}

_KEYS = ("rules", "exclude", "externals")
_RULE_KEYS = ("severity", "reason")
_EXTERNAL_KEYS = ("kind", "namespace", "name", "keys", "ports")
_SEVERITIES = ("error", "warning", "info", "off")


@dataclass(frozen=True)
class Disabled:
    rule: str
    reason: str
    where: str  # file:line of the setting, for the message


@dataclass(frozen=True)
class Settings:
    """What a repository says about its own validation."""

    file: str = ""  # where the settings came from ('' when there are none)
    severities: Mapping[str, Severity] = field(default_factory=dict)
    disabled: Mapping[str, Disabled] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    externals: tuple[External, ...] = ()

    def options(self, options: Options) -> Options:
        """``options`` with the settings' externals added."""
        if not self.externals:
            return options
        return replace(options, externals=options.externals + self.externals)

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """Findings with the settings' severities; a disabled rule's findings become one info
        per rule, saying how many were not listed and why."""
        out: list[Finding] = []
        dropped: dict[str, int] = {}
        for finding in findings:
            if finding.rule in self.disabled:
                dropped[finding.rule] = dropped.get(finding.rule, 0) + 1
                continue
            wanted = self.severities.get(finding.rule)
            if wanted is not None and finding.waived_because is None:
                finding = replace(finding, severity=wanted)
            out.append(finding)
        for rule, count in sorted(dropped.items()):
            off = self.disabled[rule]
            many = "finding is" if count == 1 else "findings are"
            out.append(
                Finding(
                    Severity.INFO,
                    RULE_DISABLED,
                    f"rule {rule} is off ({off.reason}): {count} {many} not listed; set by"
                    f" {off.where}",
                    self.file,
                    int(off.where.rpartition(":")[2] or 0),
                )
            )
        return out


# --- globs ------------------------------------------------------------------------------------


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A tree-path glob as a regex: ``**`` matches across '/', ``*`` and ``?`` within one
    segment, ``[...]`` a class. A pattern that names a directory takes everything below it."""
    out = ""
    i = 0
    text = pattern.strip("/")
    while i < len(text):
        char = text[i]
        if text.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        if text.startswith("**", i):
            out += ".*"
            i += 2
            continue
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[":
            end = text.find("]", i + 2)
            if end < 0:
                out += re.escape(char)
            else:
                body = text[i + 1 : end]
                negate = body.startswith("!")
                out += "[" + ("^" if negate else "") + re.escape(body[negate:]) + "]"
                i = end
        else:
            out += re.escape(char)
        i += 1
    return re.compile(f"^{out}(?:/.*)?$")


def excluder(patterns: Iterable[str]) -> Callable[[str], bool] | None:
    """A test "is this tree path excluded" for ``patterns``, or None when there are none."""
    compiled = [glob_regex(p) for p in patterns if p.strip("/")]
    if not compiled:
        return None
    return lambda path: any(r.match(path) for r in compiled)


# --- reading ----------------------------------------------------------------------------------


def read_settings(root: Path, known: Collection[str]) -> Settings:
    """The settings of the tree at ``root``: its ``.gigrouter.yaml``, else the ``validate:``
    section of its metadata file; none when it has neither. ``known``: every rule id."""
    from gigrouter import safeyaml
    from gigrouter.validate.tree import METADATA_FILE

    for name, section in ((SETTINGS_FILE, None), (METADATA_FILE, METADATA_SECTION)):
        path = root / name
        if not path.is_file() or path.is_symlink():
            continue
        try:
            text = safeyaml.read_text(path)
        except safeyaml.Unreadable as exc:
            if section is not None:
                return Settings()  # the tree's own walk reports an unreadable metadata file
            raise ConfigError([Problem(Location(name), exc.reason)]) from None
        if section is None or _SECTION.search(text):
            return parse_settings(text, name, known, section)
    return Settings()


_SECTION = re.compile(rf"^{METADATA_SECTION}\s*:", re.M)


def parse_settings(
    text: str, file: str, known: Collection[str], section: str | None = None
) -> Settings:
    """Settings from the text of ``file`` (under the key ``section`` when given), for the rules
    ``known``; every mistake is reported at once, at its line."""
    from gigrouter.config.source import parse_yaml, render_path
    from gigrouter.errors import did_you_mean

    source = parse_yaml(text, file, allow_empty=True)
    base: tuple[str | int, ...] = (section,) if section else ()
    data: Any = source.data
    if section:
        data = data.get(section) if isinstance(data, dict) else None
        if data is None:
            return Settings(file=file)
    problems: list[Problem] = []

    def problem(path: tuple[str | int, ...], message: str) -> None:
        full = base + path
        problems.append(Problem(Location(file, source.line_of(full), render_path(full)), message))

    if not isinstance(data, dict):
        problem((), f"expected a mapping with {', '.join(_KEYS)}, got {_type(data)}")
        raise ConfigError(problems)
    for key in data:
        if key not in _KEYS:
            problem((key,), f"unknown key {key!r}{did_you_mean(str(key), set(_KEYS))}")

    known = set(known)
    severities: dict[str, Severity] = {}
    disabled: dict[str, Disabled] = {}
    rules = data.get("rules", {})
    if not isinstance(rules, dict):
        problem(("rules",), f"expected a mapping of rule id to severity, got {_type(rules)}")
        rules = {}
    for rule, value in rules.items():
        at: tuple[str | int, ...] = ("rules", rule)
        if rule not in known:
            hint = did_you_mean(str(rule), known) or "; gigrouter validate --list-rules lists them"
            problem(at, f"unknown rule {rule!r}{hint}")
            continue
        reason: Any = None
        if isinstance(value, dict):
            for key in value:
                if key not in _RULE_KEYS:
                    problem((*at, key), f"unknown key {key!r}; a rule takes severity and reason")
            severity, reason = value.get("severity"), value.get("reason")
            at_severity: tuple[str | int, ...] = (*at, "severity")
            if "severity" not in value:
                problem(at, "no severity: set severity to error, warning, info or off")
                continue
        else:
            severity, at_severity = value, at
        if severity is False:  # `off` unquoted is YAML 1.1's false
            severity = "off"
        if not isinstance(severity, str) or severity not in _SEVERITIES:
            problem(
                at_severity,
                f"severity {severity!r} is not one of {', '.join(_SEVERITIES)}",
            )
            continue
        if reason is not None and (not isinstance(reason, str) or not reason.strip()):
            problem((*at, "reason"), "reason must be a non-empty string")
            continue
        if severity == "off":
            if reason is None:
                problem(at, f"turning {rule} off needs a reason: {{severity: off, reason: ...}}")
                continue
            where = f"{file}:{source.line_of(base + at)}"
            disabled[str(rule)] = Disabled(str(rule), " ".join(reason.split()), where)
        else:
            severities[str(rule)] = Severity(severity)

    exclude = data.get("exclude", [])
    patterns: list[str] = []
    if not isinstance(exclude, list):
        problem(("exclude",), f"expected a list of path globs, got {_type(exclude)}")
        exclude = []
    for i, item in enumerate(exclude):
        if not isinstance(item, str) or not item.strip("/ "):
            problem(("exclude", i), f"expected a path glob such as docs/**, got {item!r}")
        else:
            patterns.append(item.strip())

    externals: list[External] = []
    declared = data.get("externals", [])
    if not isinstance(declared, list):
        problem(("externals",), f"expected a list of objects, got {_type(declared)}")
        declared = []
    for i, item in enumerate(declared):
        at = ("externals", i)
        if not isinstance(item, dict):
            problem(at, f"expected a mapping with kind, namespace and name, got {_type(item)}")
            continue
        bad = [k for k in item if k not in _EXTERNAL_KEYS]
        for key in bad:
            problem((*at, key), f"unknown key {key!r}{did_you_mean(str(key), set(_EXTERNAL_KEYS))}")
        kind, name, namespace = item.get("kind"), item.get("name"), item.get("namespace", "")
        ok = not bad
        for key, value in (("kind", kind), ("name", name)):
            if not isinstance(value, str) or not value:
                problem((*at, key) if key in item else at, f"{key} must be a non-empty string")
                ok = False
        if namespace is None:
            namespace = ""
        if not isinstance(namespace, str):
            problem((*at, "namespace"), "namespace must be a string (empty: cluster-scoped)")
            ok = False
        keys = item.get("keys", [])
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            problem((*at, "keys"), "keys must be a list of strings")
            ok = False
        ports = item.get("ports", [])
        if not isinstance(ports, list) or not all(
            isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536 for p in ports
        ):
            problem((*at, "ports"), "ports must be a list of port numbers (1-65535)")
            ok = False
        if ok:
            externals.append(
                External(str(kind), str(namespace), str(name), tuple(keys), tuple(ports))
            )
    if problems:
        raise ConfigError(problems)
    return Settings(file, severities, disabled, tuple(patterns), tuple(externals))


def _type(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )

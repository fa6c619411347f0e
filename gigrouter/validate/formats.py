"""Render a validate :class:`Report` as text, JSON, JUnit XML, GitHub workflow commands or SARIF.

Every function here is pure: it returns a ``str`` and prints nothing. Output depends only on the
arguments (findings are taken in :meth:`Report.sorted` order, nothing reads the clock or the
environment), so the same report always gives the same bytes.

Format decisions:

``to_json``
    One object ``{"findings": [...], "summary": {...}}``; each finding has the keys
    ``severity, rule, message, file, line, resource`` (``resource`` is ``null`` or an object
    with ``apiVersion, kind, namespace, name``), plus ``path`` (the field's path, when the
    finding is about a field; ``line`` is then that field's) and ``config`` (``file, line,
    key`` of the config key that produced the field, for a tree gigrouter rendered) when known.
    A waived finding is an ``info`` whose message
    starts with ``waived (<reason>):``. Non-ASCII is written as ``\\uXXXX`` escapes, so the
    output is plain ASCII whatever the terminal's encoding.

``to_github``
    One workflow command per finding: error -> ``::error``, warning -> ``::warning``,
    info (including waived findings) -> ``::notice``. ``file`` is the path the user gave,
    normalised (``./out`` and ``out/`` become ``out/``, ``.`` no prefix), joined with the
    finding's PATH-relative file. ``line=`` is left out when the line is unknown (0).

``to_junit``
    One ``<testsuites>`` holding one ``<testsuite>``. A ``<testcase>`` per resource seen in the
    findings (``classname`` = file, ``name`` = ``Kind/namespace/name``, or ``Kind/name`` for a
    cluster-scoped object) and one per file for findings without a resource (``name`` = file).
    A testcase with errors or (unwaived) warnings gets exactly ONE ``<failure>`` — several
    ``<failure>`` elements in one testcase are dropped or rejected by many JUnit readers — whose
    ``type`` is the space-separated, sorted list of the failing rule ids, whose ``message`` is
    the first failing finding's message (errors before warnings) plus ``(and N more)``, and whose
    text lists every failing finding, one per line. Infos, waived findings included, never fail:
    they are listed in the testcase's ``<system-out>``. ``tests`` counts testcases, ``failures``
    counts testcases with a ``<failure>``, ``errors`` and ``skipped`` are always 0 (``errors``
    means "the test itself crashed" in JUnit). Resources without findings are not listed (only
    findings name resources); a report without any findings gets one passing testcase
    ``no findings`` so that readers which reject empty suites accept it. The suite carries
    ``<properties>`` with the report's summary counts. Characters XML 1.0 cannot hold are
    written as ``\\xNN`` / ``\\uNNNN``.

``to_sarif``
    SARIF 2.1.0, one run, ``tool.driver.rules`` for exactly the rule ids used (sorted, described
    from ``rules``, falling back to the id), results in report order with ``ruleIndex``; level
    error/warning/note. Locations are URIs relative to ``%SRCROOT%`` (percent-encoded), with a
    ``region`` only when the line is known and a ``logicalLocations`` entry (``kind`` "object",
    ``fullyQualifiedName`` ``Kind/namespace/name``) when the finding names a resource. Waived
    findings carry ``suppressions: [{"kind": "inSource", "justification": reason}]`` (the waiver
    is an annotation in the manifest itself). A finding with a config origin carries it in
    ``relatedLocations`` (URI relative to the working directory, message ``set by KEY``).
    ``%SRCROOT%`` is the validated directory unless
    ``path_prefix`` is given, in which case URIs are ``prefix/file`` (as for ``to_github``) and
    ``%SRCROOT%`` is the directory the prefix is relative to; ``srcroot_uri`` (an absolute URI)
    is written to ``originalUriBaseIds`` when known, otherwise only a description is.

``to_text``
    Findings grouped by file: a header line with the file, then one line per finding
    ``  LINE  SEVERITY  RULE  RESOURCE  MESSAGE`` (columns aligned over the whole report, ``-``
    for an unknown line or no resource, continuation lines of a multi-line message indented to
    the message column, and under it ``from FILE:LINE KEY`` when the config key that produced
    the field is known), a blank line between files, then a summary line such as
    ``3 errors, 1 warning, 2 infos in 30 files (40 resources)`` or, with no errors and no
    warnings, ``clean: no errors or warnings, 2 infos in 30 files (40 resources)``. ANSI colours
    only when ``color`` is true: the severity word red (error) or yellow (warning), info lines
    dim as a whole, file headers bold, the summary red/yellow/green. Control characters in
    files, rules, resources and messages are shown as ``\\xNN`` so that a manifest cannot drive
    the terminal (with or without ``color``).
"""

from __future__ import annotations

import json
import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from gigrouter.validate.findings import Finding, Origin, Report, Resource, Severity

__all__ = [
    "normalise_prefix",
    "summary_line",
    "to_github",
    "to_json",
    "to_junit",
    "to_sarif",
    "to_text",
]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"


# --- shared helpers -------------------------------------------------------------------------


def normalise_prefix(path_prefix: str) -> str:
    """The path the user gave as a prefix for PATH-relative files: ``""`` or ending in ``/``.

    ``"./out"``, ``"out/"`` and ``"out"`` give ``"out/"``; ``"."``, ``"./"`` and ``""`` give
    ``""``; ``"/abs/out"`` gives ``"/abs/out/"``.
    """
    if not path_prefix:
        return ""
    norm = posixpath.normpath(path_prefix)
    if norm == ".":
        return ""
    return norm.rstrip("/") + "/"


def _join(prefix: str, file: str) -> str:
    if not file:
        return prefix.rstrip("/") if prefix not in ("", "/") else prefix
    return prefix + file


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(report: Report) -> str:
    """``3 errors, 1 warning, 2 infos in 30 files (40 resources)``, or ``clean: ...``."""
    where = f"in {_plural(report.files, 'file')} ({_plural(report.resources, 'resource')})"
    if report.clean():
        infos = f", {_plural(report.infos, 'info')}" if report.infos else ""
        return f"clean: no errors or warnings{infos} {where}"
    counts = ", ".join(
        (
            _plural(report.errors, "error"),
            _plural(report.warnings, "warning"),
            _plural(report.infos, "info"),
        )
    )
    return f"{counts} {where}"


# --- JSON -----------------------------------------------------------------------------------


def to_json(report: Report) -> str:
    """The whole report as one JSON object, findings sorted, indent 2, trailing newline."""
    document = {
        "findings": [finding.as_dict() for finding in report.sorted()],
        "summary": report.summary(),
    }
    return json.dumps(document, indent=2) + "\n"


# --- GitHub workflow commands ---------------------------------------------------------------

_GITHUB_COMMAND = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
}


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def to_github(report: Report, path_prefix: str) -> str:
    """One ``::error``/``::warning``/``::notice`` workflow command per finding.

    ``path_prefix`` is PATH as the user gave it on the command line; it is normalised with
    :func:`normalise_prefix` and put in front of every finding's file.
    """
    prefix = normalise_prefix(path_prefix)
    lines = []
    for finding in report.sorted():
        props = []
        path = _join(prefix, finding.file)
        if path:
            props.append(f"file={_escape_property(path)}")
        if finding.line > 0:
            props.append(f"line={finding.line}")
        props.append(f"title={_escape_property(finding.rule)}")
        command = _GITHUB_COMMAND[finding.severity]
        lines.append(f"::{command} {','.join(props)}::{_escape_data(finding.message)}")
    return "".join(line + "\n" for line in lines)


# --- JUnit XML ------------------------------------------------------------------------------


def _xml_char_ok(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _xml_safe(value: str) -> str:
    if all(_xml_char_ok(ord(char)) for char in value):
        return value
    out = []
    for char in value:
        code = ord(char)
        if _xml_char_ok(code):
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def _finding_line(finding: Finding) -> str:
    where = f"{finding.file}:{finding.line}" if finding.line > 0 else finding.file
    resource = f" {finding.resource}" if finding.resource is not None else ""
    return f"{where}: {finding.severity.value} [{finding.rule}]{resource}: {finding.message}"


def _testcase_key(finding: Finding) -> tuple[str, int, str, str]:
    """Group key and order: per file, file-level testcase first, then resources by name."""
    res = finding.resource
    if res is None:
        return (finding.file, 0, "", "")
    return (finding.file, 1, str(res), res.api_version)


def _testcase_name(finding: Finding) -> str:
    return str(finding.resource) if finding.resource is not None else finding.file


def to_junit(report: Report, suite_name: str = "gigrouter validate") -> str:
    """JUnit XML: a testcase per resource (and per file for resource-less findings)."""
    groups: dict[tuple[str, int, str, str], list[Finding]] = {}
    for finding in report.sorted():
        groups.setdefault(_testcase_key(finding), []).append(finding)

    testcases: list[ET.Element] = []
    failed = 0
    for key in sorted(groups):
        findings = groups[key]
        first = findings[0]
        case = ET.Element(
            "testcase",
            {
                "classname": _xml_safe(first.file),
                "name": _xml_safe(_testcase_name(first)),
                "time": "0",
            },
        )
        failing = sorted(
            (f for f in findings if f.severity is not Severity.INFO),
            key=lambda f: (f.severity.rank, f.sort_key()),
        )
        infos = [f for f in findings if f.severity is Severity.INFO]
        if failing:
            failed += 1
            message = failing[0].message
            if len(failing) > 1:
                message += f" (and {len(failing) - 1} more)"
            failure = ET.SubElement(
                case,
                "failure",
                {
                    "message": _xml_safe(message),
                    "type": _xml_safe(" ".join(sorted({f.rule for f in failing}))),
                },
            )
            failure.text = _xml_safe("\n".join(_finding_line(f) for f in failing))
        if infos:
            out = ET.SubElement(case, "system-out")
            out.text = _xml_safe("\n".join(_finding_line(f) for f in infos))
        testcases.append(case)

    if not testcases:
        testcases.append(
            ET.Element(
                "testcase",
                {"classname": _xml_safe(suite_name), "name": "no findings", "time": "0"},
            )
        )

    counts = {
        "tests": str(len(testcases)),
        "failures": str(failed),
        "errors": "0",
        "skipped": "0",
        "time": "0",
    }
    root = ET.Element("testsuites", {"name": _xml_safe(suite_name), **counts})
    suite = ET.SubElement(root, "testsuite", {"name": _xml_safe(suite_name), **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in report.summary().items():
        ET.SubElement(properties, "property", {"name": name, "value": str(value)})
    suite.extend(testcases)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


# --- SARIF ----------------------------------------------------------------------------------

_SARIF_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
}

# RFC 3986 pchar minus ":" (a ":" in the first segment of a relative reference reads as a scheme)
_URI_SAFE = "/!$&'()*+,;=@"


def _uri(path: str) -> str:
    return quote(path, safe=_URI_SAFE)


def _logical_location(resource: Resource) -> dict[str, Any]:
    return {
        "name": resource.name,
        "fullyQualifiedName": str(resource),
        "kind": "object",
    }


def _sarif_location(finding: Finding, prefix: str) -> dict[str, Any] | None:
    location: dict[str, Any] = {}
    path = _join(prefix, finding.file)
    if path:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": _uri(path), "uriBaseId": SRCROOT},
        }
        if finding.line > 0:
            physical["region"] = {"startLine": finding.line}
        location["physicalLocation"] = physical
    if finding.resource is not None:
        location["logicalLocations"] = [_logical_location(finding.resource)]
    return location or None


def _sarif_origin(origin: Origin) -> dict[str, Any]:
    """The config key that produced the field: a related location, its URI relative to the
    directory the run was started in (where the config file was read)."""
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(origin.file)}}
    if origin.line > 0:
        physical["region"] = {"startLine": origin.line}
    return {
        "id": 1,
        "physicalLocation": physical,
        "message": {"text": f"set by {origin.key}" if origin.key else "set here"},
    }


def _rule_ids(findings: Iterable[Finding]) -> list[str]:
    return sorted({finding.rule for finding in findings})


def to_sarif(
    report: Report,
    rules: dict[str, str],
    tool_version: str,
    *,
    path_prefix: str = "",
    srcroot_uri: str | None = None,
) -> str:
    """SARIF 2.1.0 log with one run of the ``gigrouter`` driver.

    ``rules`` maps rule ids to one-line descriptions. ``path_prefix`` (optional, normalised like
    for :func:`to_github`) is put in front of every file; ``srcroot_uri``, if known, is the
    absolute URI (ending in ``/``) that ``%SRCROOT%`` stands for.
    """
    prefix = normalise_prefix(path_prefix)
    findings = report.sorted()
    rule_ids = _rule_ids(findings)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}

    results: list[dict[str, Any]] = []
    for finding in findings:
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": _SARIF_LEVEL[finding.severity],
            "message": {"text": finding.message},
        }
        location = _sarif_location(finding, prefix)
        result["locations"] = [location] if location is not None else []
        if finding.origin is not None:
            result["relatedLocations"] = [_sarif_origin(finding.origin)]
        if finding.waived_because is not None:
            result["suppressions"] = [{"kind": "inSource", "justification": finding.waived_because}]
        results.append(result)

    srcroot: dict[str, Any]
    if srcroot_uri is not None:
        srcroot = {"uri": srcroot_uri if srcroot_uri.endswith("/") else srcroot_uri + "/"}
    else:
        what = "the directory given to gigrouter validate"
        if prefix:
            what = "the directory gigrouter validate was run from"
        srcroot = {"description": {"text": what[0].upper() + what[1:]}}

    driver: dict[str, Any] = {
        "name": "gigrouter",
        "version": tool_version,
        "rules": [
            {"id": rule_id, "shortDescription": {"text": rules.get(rule_id) or rule_id}}
            for rule_id in rule_ids
        ],
    }
    log = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {SRCROOT: srcroot},
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


# --- text -----------------------------------------------------------------------------------

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_RED = "\x1b[31m"
_YELLOW = "\x1b[33m"
_GREEN = "\x1b[32m"

_SEVERITY_COLOR = {Severity.ERROR: _RED, Severity.WARNING: _YELLOW, Severity.INFO: _DIM}


def _printable(value: str) -> str:
    """Control characters (other than tab) as ``\\xNN``; newlines are handled by the caller."""
    out = []
    for char in value:
        code = ord(char)
        if char == "\t" or not (code < 0x20 or 0x7F <= code <= 0x9F):
            out.append(char)
        else:
            out.append(f"\\x{code:02x}")
    return "".join(out)


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{_RESET}" if color and style else text


def to_text(report: Report, color: bool) -> str:
    """Findings grouped by file, one aligned line each, then a summary line."""
    findings = report.sorted()
    rows: list[tuple[Finding, tuple[str, str, str, str]]] = [
        (
            f,
            (
                str(f.line) if f.line > 0 else "-",
                f.severity.value,
                _printable(f.rule),
                _printable(str(f.resource)) if f.resource is not None else "-",
            ),
        )
        for f in findings
    ]
    widths = [max((len(row[i]) for _, row in rows), default=0) for i in range(4)]

    lines: list[str] = []
    current: str | None = None
    for finding, (line, severity, rule, resource) in rows:
        if finding.file != current:
            if current is not None:
                lines.append("")
            current = finding.file
            lines.append(_paint(_printable(finding.file) or "(no file)", _BOLD, color))
        cells = (
            f"{line:>{widths[0]}}",
            f"{severity:<{widths[1]}}",
            f"{rule:<{widths[2]}}",
            f"{resource:<{widths[3]}}",
        )
        head = "  " + "  ".join(cells) + "  "
        indent = " " * len(head)
        message_lines = [_printable(part) for part in finding.message.splitlines() or [""]]
        if finding.origin is not None:
            message_lines.append(f"from {_printable(str(finding.origin))}")
        style = _SEVERITY_COLOR[finding.severity]
        if color and finding.severity is not Severity.INFO:
            # only the severity word is coloured; the rest stays in the terminal's colour
            painted = (cells[0], _paint(cells[1], style, color), cells[2], cells[3])
            head = "  " + "  ".join(painted) + "  "
            lines.append(head + message_lines[0])
            lines.extend(indent + part for part in message_lines[1:])
        else:
            text = [head + message_lines[0]] + [indent + part for part in message_lines[1:]]
            lines.extend(_paint(part, style, color) for part in text)

    summary = summary_line(report)
    if color:
        style = _RED if report.errors else _YELLOW if report.warnings else _GREEN
        summary = _paint(summary, style, color)
    if lines:
        lines.append("")
    lines.append(summary)
    return "\n".join(lines) + "\n"

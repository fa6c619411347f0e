"""The config key behind each finding of a tree gigrouter rendered, and fixes in its terms.

The tree's metadata file carries the render's provenance (``gigrouter.provenance``): for each
object, and for the fields a config key sets, the file and key. A finding on a mapped object
gets the entry of the longest field path that holds the finding's ``path`` as its ``origin``,
with the key's line when ``lines`` knows it (``provenance.Lines``: render's source maps, or
the config file read from disk); for the rules in ``CONFIG_FIXES`` the fix at the end of the
message (after the last ``; ``) is said in config keys instead of manifest fields, since the
manifest is regenerated and an edit to it would be lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from gigrouter import provenance
from gigrouter.validate.findings import Finding, Origin


@dataclass(frozen=True)
class ConfigFix:
    """How a rule's fix reads in config terms: ``field`` is the config key below the object
    (or container) the fix sets; ``text`` the fix, with ``{key}`` (that key's dotted path) and
    ``{at}`` (its file:line, or where it goes). ``other``: the fix is about another
    object, which the message names first as ``Kind 'name'``."""

    field: str
    text: str
    other: bool = False


CONFIG_FIXES = {
    "image-tag": ConfigFix("image", "pin a version tag or a digest (image@sha256:...) in {key}"),
    "resources-missing": ConfigFix(
        "resources",
        "set {key}.requests (cpu and memory) and {key}.limits.memory",
    ),
    "readiness-probe-missing": ConfigFix(
        "readiness_probe",
        "add {key} (type http, tcp or exec) that succeeds only when it can serve",
    ),
    "wave-order": ConfigFix("wave", "give it an earlier sync step: a lower {key} ({at})", True),
    "apply-order": ConfigFix("wave", "lower {key} to at most this object's wave ({at})", True),
}

_OTHER = re.compile(r"^(?P<kind>[A-Za-z]+) '(?P<name>[^']+)'")


def attach(
    findings: Iterable[Finding], metadata: dict[str, Any], lines: provenance.Lines | None = None
) -> Iterator[Finding]:
    """``findings`` with the origin of each mapped one, the fixes of ``CONFIG_FIXES`` in
    config keys; unchanged when the tree's metadata holds no provenance. Without ``lines``
    the origins name no line."""
    lines = lines or provenance.Lines()
    mapped = provenance.parse(metadata.get(provenance.SECTION))
    for finding in findings:
        res = finding.resource
        found = None
        if mapped and res is not None:
            found = provenance.lookup(
                mapped, provenance.object_id(res.kind, res.namespace, res.name), finding.path
            )
        if found is None:
            yield finding
            continue
        entry = found[0]
        origin = Origin(entry.file, lines.line(entry), entry.key)
        yield _in_config_terms(replace(finding, origin=origin), mapped, lines)


def _in_config_terms(
    finding: Finding, mapped: provenance.Provenance, lines: provenance.Lines
) -> Finding:
    fix = CONFIG_FIXES.get(finding.rule)
    head, sep, _ = finding.message.rpartition("; ")
    if fix is None or not sep or finding.origin is None or finding.resource is None:
        return finding
    entry = provenance.Entry(finding.origin.file, finding.origin.key)
    if fix.other:
        named = _OTHER.match(finding.message)
        if named is None:
            return finding
        obj = provenance.object_id(named["kind"], finding.resource.namespace, named["name"])
        other = provenance.lookup(mapped, obj, provenance.WAVE_ANNOTATION)
        if other is None:
            return finding
        entry = other[0]
    key = entry.key if entry.key.endswith("." + fix.field) else f"{entry.key}.{fix.field}"
    line = lines.line(entry)
    text = fix.text.format(key=key, at=f"{entry.file}:{line}" if line else entry.file)
    return replace(finding, message=f"{head}{sep}{text}")

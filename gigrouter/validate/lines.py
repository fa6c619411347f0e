"""Point a finding at the line of its field, not of its document.

A finding about an object carries the document's line until this module moves it to the line
of the field it is about: the finding's ``path`` when the rule gave one, else the first field
path its message names that exists in the document (``spec.ports[0] of Service web ...``), else
a field the rule is always about (``api-removed`` -> ``apiVersion``). Only files that have such
findings are read again, composed (YAML nodes with their marks, nothing constructed), once per
file; a path that does not resolve leaves the finding where it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gigrouter.validate.findings import Finding

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

# Rules whose message names no field but which are always about one (tried in order).
RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "api-removed": ("apiVersion",),
    "sync-wave-format": ("metadata.annotations.argocd.argoproj.io/sync-wave",),
    "hook-unknown": ("metadata.annotations.argocd.argoproj.io/hook",),
    "secret-in-git": ("stringData", "data"),
    "document-incomplete": ("metadata",),
}

# Rules that name a container (or other object part) and are about one field of it.
RULE_CHILD: dict[str, tuple[str, ...]] = {
    "image-tag": ("image",),
    "resources-missing": ("resources",),
}

# A field path as messages write it: dotted keys (which may hold '/' and '-', as annotation
# keys do) and [index] parts.
_TOKEN = re.compile(r"[A-Za-z][\w\-./]*(?:\[\d+\][\w\-./]*)*")
_INDEX = re.compile(r"\[(\d+)\]")


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def resolve(node: Node, path: str) -> tuple[int, int, Node | None]:
    """Walk ``path`` from ``node``: (line of the deepest field reached, characters of ``path``
    consumed, the node reached when the whole path resolved, else None). Mapping keys are
    matched longest first, so a key holding dots (an annotation) is one step."""
    pos, line = 0, 0
    current: Node = node
    while pos < len(path):
        if path[pos] == ".":
            pos += 1
            continue
        index = _INDEX.match(path, pos)
        if index is not None:
            i = int(index.group(1))
            if not isinstance(current, SequenceNode) or i >= len(current.value):
                return line, pos, None
            current = current.value[i]
            line, pos = _line(current), index.end()
            continue
        if not isinstance(current, MappingNode):
            return line, pos, None
        best: tuple[Node, Node] | None = None
        for key, value in current.value:
            if not isinstance(key, ScalarNode):
                continue
            text = str(key.value)
            end = pos + len(text)
            fits = path.startswith(text, pos) and (end == len(path) or path[end] in ".[")
            if fits and (best is None or len(text) > len(str(best[0].value))):
                best = (key, value)
        if best is None:
            return line, pos, None
        line, pos, current = _line(best[0]), pos + len(str(best[0].value)), best[1]
    return line, pos, current


def field_line(node: Node, message: str, path: str = "", rule: str = "") -> tuple[int, str]:
    """(line, field path) of what a finding is about inside the document ``node``; (0, '')
    when nothing in it names a field of the document."""
    if path:
        line, used, _ = resolve(node, path)
        if line:
            return line, path[:used].rstrip(".")
    tokens = [t.rstrip(".:/-") for t in _TOKEN.findall(message)]
    for i, token in enumerate(tokens):
        if "." not in token and "[" not in token:
            continue
        line, used, reached = resolve(node, token)
        # Only a message that starts with the path ("spec.selector: required") may name a
        # field that is not there (its parent is then the place); elsewhere a path that does
        # not resolve is prose, or the fix ("set spec.ingressClassName").
        if not line or (reached is None and not message.startswith(token)):
            continue
        found = token[:used].rstrip(".")
        # A later token may name a field inside the one found: "(spec...containers[0]) runs
        # with securityContext.privileged: true".
        if reached is not None:
            for later in tokens[i + 1 :]:
                if "." not in later and "[" not in later:
                    continue  # a lone word ("port") is prose, not a field
                deeper, used_later, inner = resolve(reached, later)
                if deeper and used_later == len(later) and inner is not None:
                    return deeper, f"{found}.{later}"
            for child in RULE_CHILD.get(rule, ()):
                deeper, used_child, _ = resolve(reached, child)
                if deeper and used_child == len(child):
                    return deeper, f"{found}.{child}"
        return line, found
    annotations = _child(_child(node, "metadata"), "annotations")
    if annotations is not None:
        for token in tokens:
            line, used, _ = resolve(annotations, token)
            if line and used == len(token):
                return line, f"metadata.annotations.{token}"
    for candidate in RULE_FIELDS.get(rule, ()):
        line, used, _ = resolve(node, candidate)
        if line and used == len(candidate):
            return line, candidate
    return 0, ""


def _child(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            found: Node = v
            return found
    return None


def document_nodes(text: str) -> dict[int, Node]:
    """The node of each document of ``text`` by the line it starts on, the items of a
    ``List`` kind too (by theirs); empty when the text does not compose."""
    try:
        roots = [n for n in yaml.compose_all(text, Loader=_Loader) if n is not None]
    except yaml.YAMLError:
        return {}
    out: dict[int, Node] = {}
    for root in roots:
        out.setdefault(_line(root), root)
        items = _child(root, "items")
        if isinstance(items, SequenceNode):
            for item in items.value:
                out.setdefault(_line(item), item)
    return out


def locate(findings: Iterable[Finding], text_of: Callable[[str], str | None]) -> list[Finding]:
    """``findings`` with the line (and ``path``) of the field each is about, where the
    document names it; ``text_of`` gives a file's text (tree-relative path)."""
    cache: dict[str, dict[int, Node]] = {}
    out: list[Finding] = []
    for finding in findings:
        if finding.resource is None or not finding.file or finding.line <= 0:
            out.append(finding)
            continue
        nodes = cache.get(finding.file)
        if nodes is None:
            text = text_of(finding.file)
            nodes = cache[finding.file] = document_nodes(text) if text is not None else {}
        node = nodes.get(finding.line)
        if node is None:  # the rule already named a line of its own
            out.append(finding)
            continue
        line, path = field_line(node, finding.message, finding.path, finding.rule)
        out.append(replace(finding, line=line, path=path) if line else finding)
    return out

"""What the API server rejects that no OpenAPI schema check sees: list keys, integer widths and
the CEL rules of ``--crd`` kinds.

``kubectl apply --dry-run=server`` (and Argo CD's server-side apply) refuses an object whose
list-map entries share a key (two env vars ``FOO`` in one container, two ports 80/TCP, two
volumes or mounts at one path), whose integer does not fit its ``int32``/``int64`` field, or
whose custom resource fails a rule of its CRD's ``x-kubernetes-validations``. The list keys and
integer formats are read from the schemas themselves (kubernetes-validate's for built-in kinds,
the CRD's own ``openAPIV3Schema`` for ``--crd`` kinds), so every list the server treats as a map
is covered, not a hand-kept few. Rules covered elsewhere are not repeated here: container names
across ``containers`` and ``initContainers``, label, annotation, name and quantity syntax and
requests above limits are ``value-invalid`` (``gigrouter/validate/values.py``); unknown fields
(strict field validation) are ``schema`` and ``custom-schema``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

from gigrouter.validate.base import format_path
from gigrouter.validate.cel import rule_set
from gigrouter.validate.context import Context, dig, pod_template
from gigrouter.validate.crd import KindKey, load_crd_openapi
from gigrouter.validate.findings import Finding, Severity
from gigrouter.validate.schema import KubernetesSchemas
from gigrouter.validate.tree import Document

SEVERITY = {
    "list-key-duplicate": "error",
    "integer-range": "error",
    "crd-rule": "error",
    "crd-rule-unchecked": "info",
}

RULES = {
    "list-key-duplicate": (
        "Two entries of a list the API server keys (env names, container ports with protocol,"
        " volumes, volume mounts, Service ports and port names...) have the same key."
    ),
    "integer-range": "An integer does not fit the int32 or int64 field that holds it.",
    "crd-rule": "A custom resource fails an x-kubernetes-validations (CEL) rule of its --crd CRD.",
    "crd-rule-unchecked": (
        "A CEL rule of a --crd CRD that cannot be judged offline: a transition rule (oldSelf),"
        " or one the offline CEL engine cannot evaluate."
    ),
}

_RANGES: Final = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
# Key fields the API server defaults before it compares entries (ports are TCP unless told).
_KEY_DEFAULTS: Final = {"protocol": "TCP"}
# (definition, property) lists whose keys value-invalid already checks, across lists too.
_COVERED: Final = frozenset(
    {
        ("io.k8s.api.core.v1.PodSpec", "containers"),
        ("io.k8s.api.core.v1.PodSpec", "initContainers"),
        ("io.k8s.api.core.v1.PodSpec", "ephemeralContainers"),
    }
)
_REF: Final = "#/$defs/"
_INDEXES: Final = re.compile(r"\[\d+\]")


def check(ctx: Context) -> Iterator[Finding]:
    k8s = KubernetesSchemas(ctx.options.kubernetes_version)
    crds = _crd_schemas(ctx.options.crd_files)
    unchecked: set[tuple[str, str, str]] = set()
    for doc in ctx.tree.documents:
        key = (doc.api_version, doc.kind)
        custom = crds.get(key)
        if custom is not None:
            walker = _Walker()
            walker.walk(custom, doc.data, ())
            rules = rule_set(custom)
            outcomes = rules.check(doc.data) if rules is not None else []
        elif k8s.has_schema(*key):
            definitions = _definitions(k8s.schema_version)
            name = _kind_definitions(k8s.schema_version).get(key)
            if name is None:
                continue
            walker = _Walker(definitions)
            walker.walk({"$ref": _REF + name}, doc.data, ())
            walker.duplicates.extend(_name_duplicates(doc))
            outcomes = []
        else:
            continue
        for message in walker.duplicates:
            yield ctx.finding(doc, Severity.ERROR, "list-key-duplicate", message)
        for message in walker.ranges:
            yield ctx.finding(doc, Severity.ERROR, "integer-range", message)
        for outcome in outcomes:
            where = f"{outcome.path}: " if outcome.path else ""
            if outcome.checked:
                yield ctx.finding(doc, Severity.ERROR, "crd-rule", where + outcome.message)
                continue
            # Once per kind and rule in a tree (the first object), not once per object.
            said = (*key, _INDEXES.sub("[*]", where + outcome.message))
            if said not in unchecked:
                unchecked.add(said)
                yield ctx.finding(doc, Severity.INFO, "crd-rule-unchecked", where + outcome.message)


def _crd_schemas(paths: tuple[str, ...]) -> dict[KindKey, Mapping[str, Any]]:
    schemas: dict[KindKey, Mapping[str, Any]] = {}
    for path in paths:
        schemas.update(load_crd_openapi(Path(path)))
    return schemas


# --------------------------------------------------------------------------------------------
# The built-in schemas (kubernetes-validate's bundle, as gigrouter/validate/schema.py reads it)


@cache
def _definitions(schema_version: str) -> Mapping[str, Any]:
    from gigrouter.validate.schema import _DEFINITIONS, _load_json

    loaded: Mapping[str, Any] = _load_json(f"v{schema_version}.0-local-strict", _DEFINITIONS)
    return loaded["$defs"]  # type: ignore[no-any-return]


@cache
def _kind_definitions(schema_version: str) -> Mapping[KindKey, str]:
    index: dict[KindKey, str] = {}
    for name, schema in _definitions(schema_version).items():
        if name.startswith("io.k8s.apimachinery."):
            continue
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            group, version = gvk.get("group", ""), gvk.get("version", "")
            index[(f"{group}/{version}" if group else version, gvk.get("kind", ""))] = name
    return index


# --------------------------------------------------------------------------------------------
# Walking a document along its schema


class _Walker:
    """Collects list-key duplicates and out-of-range integers of one document."""

    def __init__(self, definitions: Mapping[str, Any] | None = None) -> None:
        self._definitions = definitions or {}
        self.duplicates: list[str] = []
        self.ranges: list[str] = []

    def _resolve(self, node: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
        """(schema node, its definition name or '') with ``$ref`` and one-branch ``allOf``
        followed."""
        name = ""
        for _ in range(8):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(_REF):
                name = ref[len(_REF) :]
                node = self._definitions.get(name, {})
                continue
            branches = node.get("allOf")
            if isinstance(branches, list) and len(branches) == 1:
                node = branches[0] if isinstance(branches[0], Mapping) else {}
                continue
            break
        return node, name

    def walk(self, node: Mapping[str, Any], value: Any, path: tuple[str | int, ...]) -> None:
        node, definition = self._resolve(node)
        if isinstance(value, int) and not isinstance(value, bool):
            self._check_range(node, value, path)
        elif isinstance(value, dict):
            props = node.get("properties")
            props = props if isinstance(props, Mapping) else {}
            extra = node.get("additionalProperties")
            for name, item in value.items():
                sub = props.get(name)
                if isinstance(sub, Mapping):
                    if not (isinstance(item, list) and (definition, name) in _COVERED):
                        self.walk(sub, item, (*path, str(name)))
                    else:
                        self._walk_items(sub, item, (*path, str(name)))
                elif isinstance(extra, Mapping):
                    self.walk(extra, item, (*path, str(name)))
        elif isinstance(value, list):
            self._check_keys(node, value, path)
            self._walk_items(node, value, path)

    def _walk_items(
        self, node: Mapping[str, Any], value: list[Any], path: tuple[str | int, ...]
    ) -> None:
        node, _ = self._resolve(node)
        items = node.get("items")
        if isinstance(items, Mapping):
            for i, item in enumerate(value):
                self.walk(items, item, (*path, i))

    def _check_range(
        self, node: Mapping[str, Any], value: int, path: tuple[str | int, ...]
    ) -> None:
        bounds = _RANGES.get(str(node.get("format", "")))
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            self.ranges.append(
                f"{format_path(list(path))}: {value} does not fit an {node['format']}"
                f" ({bounds[0]} to {bounds[1]}); the API server rejects the object"
            )

    def _check_keys(
        self, node: Mapping[str, Any], value: list[Any], path: tuple[str | int, ...]
    ) -> None:
        list_type = node.get("x-kubernetes-list-type")
        if list_type == "set" and self._definitions:  # CRD sets are uniqueItems (custom-schema)
            seen_items: dict[str, int] = {}
            for i, item in enumerate(value):
                text = json.dumps(item, sort_keys=True, default=str)
                if text in seen_items:
                    where = format_path([*path, i])
                    first = format_path([*path, seen_items[text]])
                    self.duplicates.append(
                        f"{where}: duplicate entry {text} (also {first}); the list is a set"
                    )
                else:
                    seen_items[text] = i
            return
        keys = node.get("x-kubernetes-list-map-keys")
        if list_type != "map" or not isinstance(keys, list) or not keys:
            return
        items, _ = self._resolve(node.get("items") or {})
        item_props = items.get("properties")
        item_props = item_props if isinstance(item_props, Mapping) else {}
        seen: dict[tuple[str, ...], int] = {}
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                continue
            parts: list[str] = []
            for key in keys:
                found = item.get(key, _default(item_props.get(key), key))
                if found is None:
                    break  # an entry without its key is the schema's business
                parts.append(json.dumps(found, default=str))
            else:
                entry = tuple(parts)
                if entry in seen:
                    shown = ", ".join(f"{k}={v}" for k, v in zip(keys, entry, strict=True))
                    first = format_path([*path, seen[entry]])
                    self.duplicates.append(
                        f"{format_path([*path, i])}: duplicate entry for key [{shown}] (also"
                        f" {first}); the API server keys this list by"
                        f" {', '.join(str(k) for k in keys)}"
                    )
                else:
                    seen[entry] = i


def _default(prop: object, key: str) -> Any:
    if isinstance(prop, Mapping) and "default" in prop:
        return prop["default"]
    return _KEY_DEFAULTS.get(key)


def _name_duplicates(doc: Document) -> Iterator[str]:
    """Service port names and the port names of each container are unique too, though the
    list is keyed by number and protocol."""
    if doc.group == "" and doc.kind == "Service":
        yield from _unique_names(dig(doc.data, "spec", "ports"), "spec.ports", "port name")
    template = pod_template(doc)
    if template is not None:
        for path, container in template.containers():
            yield from _unique_names(container.get("ports"), f"{path}.ports", "port name")


def _unique_names(items: object, path: str, what: str) -> Iterator[str]:
    if not isinstance(items, list):
        return
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str) or not name:
            continue
        if name in seen:
            yield f"{path}[{i}].name: duplicate {what} {name!r} (also {path}[{seen[name]}])"
        else:
            seen[name] = i

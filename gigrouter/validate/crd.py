"""CustomResourceDefinitions turned into validators, and the JSON Schema error wording.

A CRD's ``openAPIV3Schema`` is OpenAPI 3.0 with Kubernetes extensions, not JSON Schema. The
API server reads it as a *structural* schema: unknown fields are pruned (or, with strict field
validation, rejected), ``nullable`` allows ``null``, ``x-kubernetes-*`` markers change what a
node accepts, and defaults are filled in before validation. :func:`crd_to_jsonschema` rewrites
such a schema into a JSON Schema (draft 2020-12) that ``jsonschema`` runs with the same verdict
on a manifest, as far as plain schema rules go (CEL rules and ``format`` are not checked).

This module also owns the wording of schema errors. :func:`collect_errors` turns the raw
``jsonschema`` errors into short :class:`SchemaError` messages; ``custom_kinds`` uses it too.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, TypeGuard

import yaml

from gigrouter.errors import ConfigError, Location, Problem
from gigrouter.validate.base import SchemaError, format_path

JsonSchema = dict[str, Any]
KindKey = tuple[str, str]
"""``(apiVersion, kind)``, for example ``("argoproj.io/v1alpha1", "Application")``."""

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

# OpenAPI keywords that mean the same in JSON Schema 2020-12 and are copied unchanged.
# Everything not named here or handled below (description, default, format, example,
# nullable, x-kubernetes-*, ...) is dropped: it is either an annotation or would be misread.
_SAME_KEYWORDS: Final = frozenset(
    {
        "type",
        "enum",
        "pattern",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "minimum",
        "maximum",
        "multipleOf",
    }
)
_INT_OR_STRING: Final = ("integer", "string")
_CRD_API_GROUP: Final = "apiextensions.k8s.io/"
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# --------------------------------------------------------------------------------------------
# Package data shared with custom_kinds


@cache
def _packaged_schema_text(name: str) -> str:
    return resources.files("gigrouter").joinpath("schemas").joinpath(name).read_text("utf-8")


def packaged_schema(name: str) -> JsonSchema:
    """A fresh copy of ``gigrouter/schemas/<name>``, parsed from the installed package."""
    loaded: JsonSchema = json.loads(_packaged_schema_text(name))
    return loaded


def object_meta_schema(*, strict: bool = True) -> JsonSchema:
    """The schema of ``metadata`` (ObjectMeta), ready to embed in another schema.

    Strict mode rejects unknown fields, as the API server does under strict field validation;
    otherwise they are allowed (the server would prune them).
    """
    schema = packaged_schema("objectmeta.json")
    for key in ("$schema", "$id", "title"):
        schema.pop(key, None)
    if not strict:
        _open_objects(schema)
    return schema


def _open_objects(schema: JsonSchema) -> None:
    if schema.get("additionalProperties") is False:
        del schema["additionalProperties"]
    for sub in schema.get("properties", {}).values():
        _open_objects(sub)
    if isinstance(schema.get("items"), dict):
        _open_objects(schema["items"])


# --------------------------------------------------------------------------------------------
# CRD -> JSON Schema


def crd_to_jsonschema(openapi_v3_schema: Mapping[str, Any], strict: bool = True) -> JsonSchema:
    """Convert a structural ``openAPIV3Schema`` (the root of one CRD version) to JSON Schema.

    * ``nullable: true`` adds ``null`` to the allowed types (and to ``enum``);
    * ``x-kubernetes-int-or-string`` becomes ``type: [integer, string]``;
    * ``x-kubernetes-preserve-unknown-fields`` leaves that object open (a node with it and no
      ``type`` accepts any value);
    * ``x-kubernetes-embedded-resource`` requires non-empty ``apiVersion`` and ``kind`` and
      checks ``metadata`` as ObjectMeta;
    * ``x-kubernetes-list-type: set`` becomes ``uniqueItems``;
    * a required field that has a ``default`` is no longer required (the server fills it in);
    * OpenAPI 3.0 boolean ``exclusiveMinimum``/``exclusiveMaximum`` become 2020-12 numbers;
    * with ``strict``, every object node that is not preserve-unknown-fields and has no
      ``additionalProperties`` gets ``additionalProperties: false`` (an object node without
      ``properties`` therefore accepts only ``{}``, which is what the server keeps of it).

    At the root, ``apiVersion``, ``kind`` and ``metadata`` are always allowed; ``metadata`` is
    checked as ObjectMeta plus whatever the CRD itself says about it.
    """
    root = _convert(openapi_v3_schema, strict=strict, structural=True)
    root["type"] = "object"
    props: JsonSchema = root.setdefault("properties", {})
    declared = _declared_properties(openapi_v3_schema)
    props["apiVersion"] = _with_declared({"type": "string"}, declared.get("apiVersion"))
    props["kind"] = _with_declared({"type": "string"}, declared.get("kind"))
    props["metadata"] = _with_declared(object_meta_schema(strict=strict), declared.get("metadata"))
    return {"$schema": DIALECT, **root}


def _declared_properties(node: Mapping[str, Any]) -> Mapping[str, Any]:
    props = node.get("properties")
    return props if isinstance(props, Mapping) else {}


def _with_declared(builtin: JsonSchema, declared: Mapping[str, Any] | None) -> JsonSchema:
    """``builtin`` plus any value rules a CRD adds to that field (``name`` pattern, ...)."""
    if declared is None:
        return builtin
    extra = _convert(declared, strict=False, structural=False)
    if set(extra) <= {"type"} and extra.get("type") in (None, builtin.get("type")):
        return builtin
    return {"allOf": [builtin, extra]}


def _convert(node: Mapping[str, Any], *, strict: bool, structural: bool) -> JsonSchema:
    """Convert one node. ``structural`` is false inside allOf/anyOf/oneOf/not branches, which
    in a CRD only add value rules and must not close objects."""
    out: JsonSchema = {k: copy.deepcopy(v) for k, v in node.items() if k in _SAME_KEYWORDS}

    props = _declared_properties(node)
    if "properties" in node:
        out["properties"] = {
            name: _convert(sub, strict=strict, structural=structural) for name, sub in props.items()
        }
    required = [
        name
        for name in node.get("required", [])
        if not (isinstance(props.get(name), Mapping) and "default" in props[name])
    ]
    if required:
        out["required"] = required

    items = node.get("items")
    if isinstance(items, Mapping):
        out["items"] = _convert(items, strict=strict, structural=structural)
    additional = node.get("additionalProperties")
    if isinstance(additional, Mapping):
        out["additionalProperties"] = _convert(additional, strict=strict, structural=structural)
    elif additional is False:
        out["additionalProperties"] = False
    for keyword in ("allOf", "anyOf", "oneOf"):
        branches = node.get(keyword)
        if isinstance(branches, list):
            out[keyword] = [_convert(b, strict=strict, structural=False) for b in branches]
    if isinstance(node.get("not"), Mapping):
        out["not"] = _convert(node["not"], strict=strict, structural=False)

    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(flag) is True and bound in node:
            out[flag] = out.pop(bound)

    if node.get("x-kubernetes-int-or-string") is True:
        out["type"] = list(_INT_OR_STRING)
        if _only_int_or_string(out.get("anyOf")):
            del out["anyOf"]
    if node.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True
    if node.get("x-kubernetes-embedded-resource") is True:
        _add_embedded_resource_fields(out, props, strict=strict)

    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    is_object = "properties" in out or out.get("type") == "object"
    if structural and strict and is_object and not preserve and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable") is True:
        _allow_null(out)
    return out


def _only_int_or_string(branches: object) -> bool:
    if not isinstance(branches, list):
        return False
    types = sorted(b.get("type", "") for b in branches if isinstance(b, dict) and len(b) == 1)
    return len(types) == len(branches) and tuple(types) == _INT_OR_STRING


def _add_embedded_resource_fields(
    out: JsonSchema, declared: Mapping[str, Any], *, strict: bool
) -> None:
    non_empty: JsonSchema = {"type": "string", "minLength": 1}
    props: JsonSchema = out.setdefault("properties", {})
    props["apiVersion"] = _with_declared(dict(non_empty), declared.get("apiVersion"))
    props["kind"] = _with_declared(dict(non_empty), declared.get("kind"))
    props["metadata"] = _with_declared(object_meta_schema(strict=strict), declared.get("metadata"))
    required: list[str] = out.setdefault("required", [])
    required.extend(name for name in ("apiVersion", "kind") if name not in required)


def _allow_null(out: JsonSchema) -> None:
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        kind.append("null")
    if isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"].append(None)


# --------------------------------------------------------------------------------------------
# Reading CRD files


def load_crds(path: Path, *, strict: bool = True) -> dict[KindKey, JsonSchema]:
    """Read a CRD file, or every ``*.yaml``/``*.yml`` file under a directory (recursively).

    Files may hold several documents; documents that are not CustomResourceDefinitions are
    skipped. Returns ``{("group/version", kind): json_schema}`` for every served version.
    Both ``apiextensions.k8s.io/v1`` and the old ``v1beta1`` layout are understood; a CRD with
    ``preserveUnknownFields: true`` is converted non-strictly. When two documents define the
    same version and kind, the one read last (files in sorted path order) wins.

    Raises :class:`ConfigError` when the path is missing, a file is not YAML, or a CRD has no
    group or kind.
    """
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in {".yaml", ".yml"}
        )
    elif path.is_file():
        files = [path]
    else:
        raise ConfigError([Problem(Location(str(path)), "CRD file or directory does not exist")])
    schemas: dict[KindKey, JsonSchema] = {}
    for file in files:
        for doc in _read_documents(file):
            if _is_crd(doc):
                schemas.update(_crd_version_schemas(doc, file, strict=strict))
    return schemas


def _read_documents(file: Path) -> Iterator[object]:
    try:
        text = file.read_text(encoding="utf-8")
        yield from yaml.load_all(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise ConfigError([Problem(Location(str(file), line), f"not valid YAML: {exc}")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(Location(str(file)), f"cannot read CRD file: {exc}")]) from exc


def _is_crd(doc: object) -> TypeGuard[Mapping[str, Any]]:
    return (
        isinstance(doc, Mapping)
        and doc.get("kind") == "CustomResourceDefinition"
        and str(doc.get("apiVersion", "")).startswith(_CRD_API_GROUP)
    )


def _crd_version_schemas(
    crd: Mapping[str, Any], file: Path, *, strict: bool
) -> dict[KindKey, JsonSchema]:
    spec = crd.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    group = spec.get("group")
    names = spec.get("names")
    kind = names.get("kind") if isinstance(names, Mapping) else None
    if not (isinstance(group, str) and group and isinstance(kind, str) and kind):
        name = (crd.get("metadata") or {}).get("name", "?")
        raise ConfigError(
            [
                Problem(
                    Location(str(file), key_path="spec"),
                    f"CustomResourceDefinition {name} has no spec.group or spec.names.kind",
                )
            ]
        )
    crd_strict = strict and spec.get("preserveUnknownFields") is not True
    shared = (spec.get("validation") or {}).get("openAPIV3Schema")
    versions = spec.get("versions") or []
    if not versions and isinstance(spec.get("version"), str):
        versions = [{"name": spec["version"], "served": True}]
    out: dict[KindKey, JsonSchema] = {}
    for version in versions:
        if not isinstance(version, Mapping) or version.get("served", True) is not True:
            continue
        schema = (version.get("schema") or {}).get("openAPIV3Schema") or shared
        if not isinstance(schema, Mapping):
            schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        key = (f"{group}/{version.get('name')}", kind)
        out[key] = crd_to_jsonschema(schema, strict=crd_strict)
    return out


# --------------------------------------------------------------------------------------------
# Running schemas and wording their errors (shared with custom_kinds)


def compile_validator(schema: JsonSchema, registry: Any = None) -> Any:
    """A draft 2020-12 validator for ``schema``; ``registry`` resolves cross-file ``$ref``.

    jsonschema is imported here, not at module load: clean documents never need it.
    """
    from jsonschema import Draft202012Validator

    if registry is None:
        return Draft202012Validator(schema)
    return Draft202012Validator(schema, registry=registry)


def document_kind(doc: object) -> KindKey | None:
    """``(apiVersion, kind)`` of a manifest, or None when either is missing or not a string."""
    if not isinstance(doc, Mapping):
        return None
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if isinstance(api_version, str) and isinstance(kind, str):
        return (api_version, kind)
    return None


def collect_errors(validator: Any, instance: object) -> list[SchemaError]:
    """Every problem ``validator`` finds in ``instance``, worded for people, sorted by path.

    One error per unknown field and per missing required field (the path names the field);
    when a value has the wrong type, other complaints about that same value are dropped.
    """
    found: dict[tuple[tuple[str | int, ...], str], bool] = {}
    for error in validator.iter_errors(instance):
        for parts, message, is_type in _describe(error):
            found.setdefault((parts, message), is_type)
    typed = {parts for (parts, _), is_type in found.items() if is_type}
    kept = [
        (parts, message)
        for (parts, message), is_type in found.items()
        if is_type or parts not in typed
    ]
    kept.sort(key=lambda item: (_natural_key(item[0]), item[1]))
    return [SchemaError(format_path(parts), message) for parts, message in kept]


def _natural_key(parts: tuple[str | int, ...]) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in parts)


def _describe(error: Any) -> Iterator[tuple[tuple[str | int, ...], str, bool]]:
    """(path parts, message, is-a-type-error) for one raw jsonschema error."""
    parts: tuple[str | int, ...] = tuple(error.absolute_path)
    keyword = error.validator
    expected = error.validator_value
    value = error.instance
    if keyword == "additionalProperties" and expected is False and isinstance(value, dict):
        known = sorted(error.schema.get("properties", {}))
        for name in value:
            if name not in known:
                yield (*parts, name), _unknown_field(str(name), known), False
    elif keyword == "required" and isinstance(value, dict):
        for name in expected:
            if name not in value:
                yield (*parts, name), f'missing required field "{name}"', False
    elif keyword == "type":
        yield parts, f"expected {_type_words(expected)}, got {_value_words(value)}", True
    else:
        yield parts, _keyword_message(error, keyword, expected, value), False


def _keyword_message(error: Any, keyword: str, expected: Any, value: Any) -> str:
    size = len(value) if isinstance(value, str | list | dict) else 0
    match keyword:
        case "enum":
            allowed = ", ".join(_json(v) for v in expected)
            hint = (
                _suggest(str(value), [str(v) for v in expected]) if isinstance(value, str) else ""
            )
            return f"{_json(value)} is not an allowed value; use one of: {allowed}{hint}"
        case "const":
            return f"must be {_json(expected)}"
        case "pattern":
            return f"{_json(value)} does not match the pattern {expected}"
        case "minLength":
            return "must not be empty" if expected == 1 else f"must be at least {expected} long"
        case "maxLength":
            return f"is {size} characters long; at most {expected} allowed"
        case "minItems":
            return f"must have at least {expected} item(s)"
        case "maxItems":
            return f"has {size} items; at most {expected} allowed"
        case "uniqueItems":
            return "must not contain duplicate items"
        case "minProperties":
            return f"must set at least {expected} field(s)"
        case "maxProperties":
            names = ", ".join(str(k) for k in value) if isinstance(value, dict) else ""
            return f"sets {size} fields ({names}); at most {expected} allowed"
        case "minimum":
            return f"must be at least {expected}, got {_json(value)}"
        case "maximum":
            return f"must be at most {expected}, got {_json(value)}"
        case "exclusiveMinimum":
            return f"must be greater than {expected}, got {_json(value)}"
        case "exclusiveMaximum":
            return f"must be less than {expected}, got {_json(value)}"
        case "anyOf" | "oneOf":
            from jsonschema.exceptions import best_match

            best = best_match(error.context) if error.context else None
            if best is None:
                return "matches more than one allowed form"
            detail = next(iter(_describe(best)), None)
            if detail is None:
                return "matches none of the allowed forms"
            where = format_path(detail[0][len(error.absolute_path) :])
            return f"matches none of the allowed forms ({where + ': ' if where else ''}{detail[1]})"
        case "not":
            return "is not allowed here"
        case _:
            return str(error.message)


def _unknown_field(name: str, known: list[str]) -> str:
    return f'unknown field "{name}"{_suggest(name, known)}'


def _suggest(word: str, candidates: list[str]) -> str:
    by_case = {c.lower(): c for c in candidates}
    match = by_case.get(word.lower())
    if match is None:
        close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
        match = close[0] if close else None
    return f'; did you mean "{match}"?' if match is not None and match != word else ""


def _type_words(expected: object) -> str:
    if isinstance(expected, list):
        return " or ".join(str(t) for t in expected)
    return str(expected)


def _value_words(value: object) -> str:
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return f"boolean {_json(value)}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {_json(shown)}"
    if isinstance(value, list):
        return "array"
    return "object"


def _json(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


# --------------------------------------------------------------------------------------------
# A set of CRD schemas


class CrdSchemas:
    """Schemas of custom resources, keyed by ``(apiVersion, kind)``.

    Validators are compiled on first use and kept; :meth:`add` replaces schemas (and forgets
    the validators of the kinds it replaces).
    """

    def __init__(self, crds: Mapping[KindKey, JsonSchema] | None = None) -> None:
        self._schemas: dict[KindKey, JsonSchema] = {}
        self._validators: dict[KindKey, Any] = {}
        if crds:
            self.add(crds)

    def add(self, crds: Mapping[KindKey, JsonSchema]) -> None:
        """Add or replace schemas, for example the result of :func:`load_crds`."""
        for key, schema in crds.items():
            self._schemas[key] = schema
            self._validators.pop(key, None)

    def has_schema(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self._schemas

    def known_kinds(self) -> list[KindKey]:
        return sorted(self._schemas)

    def validate(self, doc: Mapping[str, Any]) -> list[SchemaError]:
        """All schema errors of one manifest, sorted by path (empty when it is valid).

        Raises ``KeyError`` when there is no schema for the document's apiVersion and kind;
        ask :meth:`has_schema` first.
        """
        key = document_kind(doc)
        if key is None or key not in self._schemas:
            raise KeyError(f"no CRD schema for {key[0]} {key[1]}" if key else "no apiVersion/kind")
        validator = self._validators.get(key)
        if validator is None:
            validator = self._validators[key] = compile_validator(self._schemas[key])
        return collect_errors(validator, doc)

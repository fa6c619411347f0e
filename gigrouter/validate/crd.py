"""CustomResourceDefinitions turned into validators, and the JSON Schema error wording.

A CRD's ``openAPIV3Schema`` is OpenAPI 3.0 with Kubernetes extensions, not JSON Schema. The
API server reads it as a *structural* schema: unknown fields are pruned (or, with strict field
validation, rejected), ``nullable`` allows ``null``, ``x-kubernetes-*`` markers change what a
node accepts, and defaults are filled in before validation. :func:`crd_to_jsonschema` rewrites
such a schema into a JSON Schema (draft 2020-12) that ``jsonschema`` runs with the same verdict
on a manifest, as far as plain schema rules go (CEL rules, list-map keys and integer formats
are checked by ``rules/apiserver.py`` on the schema :func:`load_crd_openapi` keeps).

This module also owns the wording of schema errors. :func:`collect_errors` turns the raw
``jsonschema`` errors into short :class:`SchemaError` messages; ``custom_kinds`` uses it too.
"""

from __future__ import annotations

import copy
import difflib
import json
import os
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, TypeGuard

import yaml

from gigrouter import safeyaml
from gigrouter.errors import ConfigError, Location, Problem
from gigrouter.validate.base import SchemaError, format_path
from gigrouter.validate.patterns import PatternError, compile_re2

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

    Raises :class:`ConfigError` naming the file when the path is missing, a file cannot be
    read or is not YAML (within :mod:`~gigrouter.safeyaml`'s bounds), a document is
    not a mapping, a CRD has no group or kind, or its schema is not one the API server would
    accept (wrong keyword types, ``$ref``, a pattern RE2 cannot compile). Inside a directory,
    symlinks that lead out of it are refused, not followed.
    """
    return dict(_load(path, strict)[0])


def load_crd_openapi(path: Path) -> dict[KindKey, Mapping[str, Any]]:
    """The ``openAPIV3Schema`` of every served version of the CRDs :func:`load_crds` reads at
    ``path``, as written (``x-kubernetes-validations`` and list types included), for the checks
    that walk the CRD's own schema. The same objects for every call of one run (cached)."""
    return dict(_load(path, True)[1])


def _load(
    path: Path, strict: bool
) -> tuple[dict[KindKey, JsonSchema], dict[KindKey, Mapping[str, Any]]]:
    if path.is_dir():
        files = _crd_files(path)
    elif path.is_file():
        files = [path]
    else:
        raise ConfigError([Problem(Location(str(path)), "CRD file or directory does not exist")])
    try:
        signature = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    except OSError:
        signature = None
    cached = _loaded.get((signature, strict)) if signature is not None else None
    if cached is not None:  # every tree of one run (environments too) reads the same --crd
        return cached
    raw: dict[KindKey, Mapping[str, Any]] = {}
    loaded = (_load_files(files, strict, raw), raw)
    if signature is not None:
        if len(_loaded) >= 16:  # the --crd paths of one run, not every file a test writes
            _loaded.clear()
        _loaded[(signature, strict)] = loaded
    return loaded


_loaded: dict[
    tuple[object, bool], tuple[dict[KindKey, JsonSchema], dict[KindKey, Mapping[str, Any]]]
] = {}


def _load_files(
    files: list[Path], strict: bool, raw: dict[KindKey, Mapping[str, Any]]
) -> dict[KindKey, JsonSchema]:
    schemas: dict[KindKey, JsonSchema] = {}
    for file in files:
        for index, doc in enumerate(_read_documents(file)):
            if doc is None:
                continue
            if not isinstance(doc, Mapping):
                raise ConfigError(
                    [Problem(Location(str(file)), f"document {index + 1} is not a mapping")]
                )
            if _is_crd(doc):
                schemas.update(_crd_version_schemas(doc, file, strict=strict, raw=raw))
    return schemas


def _crd_files(folder: Path) -> list[Path]:
    """The YAML files under ``folder``; directory links are not entered, file links must stay
    inside ``folder``."""
    root = os.path.realpath(folder)
    found: list[Path] = []
    for current, dirs, names in os.walk(folder, onerror=_unlistable):
        dirs.sort()
        for name in sorted(names):
            file = Path(current) / name
            if file.suffix.lower() not in {".yaml", ".yml"}:
                continue
            if file.is_symlink():
                target = os.path.realpath(file)
                if os.path.commonpath([root, target]) != root:
                    raise ConfigError(
                        [Problem(Location(str(file)), "is a symlink out of the CRD directory")]
                    )
            found.append(file)
    return sorted(found)


def _unlistable(exc: OSError) -> None:
    where = exc.filename if isinstance(exc.filename, str) else "--crd"
    raise ConfigError([Problem(Location(where), f"cannot list it: {exc.strerror}")])


def _read_documents(file: Path) -> list[object]:
    try:
        return list(safeyaml.load_all(safeyaml.read_text(file)))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or type(exc).__name__  # no snippet of the file
        raise ConfigError(
            [Problem(Location(str(file), line), f"not valid YAML: {safeyaml.cut(problem, 200)}")]
        ) from None
    except safeyaml.Unreadable as exc:
        raise ConfigError(
            [Problem(Location(str(file)), f"cannot read CRD file: {exc.reason}")]
        ) from None


def _is_crd(doc: object) -> TypeGuard[Mapping[str, Any]]:
    return (
        isinstance(doc, Mapping)
        and doc.get("kind") == "CustomResourceDefinition"
        and str(doc.get("apiVersion", "")).startswith(_CRD_API_GROUP)
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _crd_version_schemas(
    crd: Mapping[str, Any],
    file: Path,
    *,
    strict: bool,
    raw: dict[KindKey, Mapping[str, Any]] | None = None,
) -> dict[KindKey, JsonSchema]:
    spec = _mapping(crd.get("spec"))
    group = spec.get("group")
    kind = _mapping(spec.get("names")).get("kind")
    name = safeyaml.cut(str(_mapping(crd.get("metadata")).get("name", "?")), 100)
    if not (isinstance(group, str) and group and isinstance(kind, str) and kind):
        raise ConfigError(
            [
                Problem(
                    Location(str(file), key_path="spec"),
                    f"CustomResourceDefinition {name} has no spec.group or spec.names.kind",
                )
            ]
        )

    def bad(key_path: str, message: str) -> ConfigError:
        where = Location(str(file), key_path=key_path)
        return ConfigError([Problem(where, f"CustomResourceDefinition {name}: {message}")])

    crd_strict = strict and spec.get("preserveUnknownFields") is not True
    validation = spec.get("validation")
    if validation is not None and not isinstance(validation, Mapping):
        raise bad("spec.validation", "must be a mapping")
    shared = _mapping(validation).get("openAPIV3Schema")
    versions = spec.get("versions")
    if versions is None:
        versions = []
    if not isinstance(versions, list):
        raise bad("spec.versions", "must be a list")
    if not versions and isinstance(spec.get("version"), str):
        versions = [{"name": spec["version"], "served": True}]
    out: dict[KindKey, JsonSchema] = {}
    for index, version in enumerate(versions):
        where = f"spec.versions[{index}]"
        if not isinstance(version, Mapping):
            raise bad(where, "must be a mapping")
        if version.get("served", True) is not True:
            continue
        if not isinstance(version.get("name"), str) or not version["name"]:
            raise bad(f"{where}.name", "must be a non-empty string")
        holder = version.get("schema")
        if holder is not None and not isinstance(holder, Mapping):
            raise bad(f"{where}.schema", "must be a mapping")
        schema = _mapping(holder).get("openAPIV3Schema") or shared
        schema_path = f"{where}.schema.openAPIV3Schema"
        if schema is None:
            schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        problems = schema_problems(schema, schema_path)
        if problems:
            raise ConfigError(
                [
                    Problem(
                        Location(str(file), key_path=path),
                        f"CustomResourceDefinition {name}: {message}",
                    )
                    for path, message in problems
                ]
            )
        key = (f"{group}/{version['name']}", kind)
        out[key] = crd_to_jsonschema(schema, strict=crd_strict)
        if raw is not None:
            raw[key] = schema
    return out


_TYPES: Final = frozenset({"object", "array", "string", "integer", "number", "boolean"})
_COUNTS: Final = (
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
)
_NUMBERS: Final = ("minimum", "maximum", "multipleOf")
_BOOLEANS: Final = (
    "exclusiveMinimum",
    "exclusiveMaximum",
    "uniqueItems",
    "nullable",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-embedded-resource",
)
_CHOICES: Final = {
    "x-kubernetes-list-type": ("atomic", "set", "map"),
    "x-kubernetes-map-type": ("atomic", "granular"),
}
_MAX_PROBLEMS: Final = 20


def schema_problems(schema: object, path: str = "openAPIV3Schema") -> list[tuple[str, str]]:
    """Why the API server would refuse ``schema`` as a CRD's ``openAPIV3Schema``, as
    (key path, message) pairs; empty when it is one :func:`crd_to_jsonschema` can convert.

    Checked: every node is a mapping; keyword values have the types OpenAPI gives them;
    ``$ref`` is absent (CRDs may not use it); every ``pattern`` compiles on RE2, the engine the
    API server uses (a pattern needing backtracking is refused here, not run)."""
    problems: list[tuple[str, str]] = []
    stack: list[tuple[object, str]] = [(schema, path)]
    while stack and len(problems) < _MAX_PROBLEMS:
        node, where = stack.pop()
        if not isinstance(node, Mapping):
            problems.append((where, f"a schema must be a mapping, got {_value_words(node)}"))
            continue
        problems.extend(_node_problems(node, where))
        props = node.get("properties")
        if props is not None:
            if isinstance(props, Mapping):
                for key in sorted(props, key=str, reverse=True):
                    stack.append((props[key], f"{where}.properties.{key}"))
            else:
                problems.append((f"{where}.properties", "must be a mapping"))
        for keyword in ("items", "not"):
            if keyword in node:
                stack.append((node[keyword], f"{where}.{keyword}"))
        additional = node.get("additionalProperties")
        if isinstance(additional, Mapping):
            stack.append((additional, f"{where}.additionalProperties"))
        elif additional is not None and not isinstance(additional, bool):
            problems.append((f"{where}.additionalProperties", "must be a boolean or a schema"))
        for keyword in ("allOf", "anyOf", "oneOf"):
            branches = node.get(keyword)
            if branches is None:
                continue
            if not isinstance(branches, list):
                problems.append((f"{where}.{keyword}", "must be a list of schemas"))
                continue
            for i in reversed(range(len(branches))):
                stack.append((branches[i], f"{where}.{keyword}[{i}]"))
    return problems[:_MAX_PROBLEMS]


def _node_problems(node: Mapping[str, Any], where: str) -> Iterator[tuple[str, str]]:
    if "$ref" in node:
        yield f"{where}.$ref", "$ref is not allowed in a CRD schema; inline the definition"
    kind = node.get("type")
    if kind is not None and (not isinstance(kind, str) or kind not in _TYPES):
        yield f"{where}.type", f"must be one of {', '.join(sorted(_TYPES))}"
    if "enum" in node and not isinstance(node["enum"], list):
        yield f"{where}.enum", "must be a list"
    required = node.get("required")
    if required is not None and (
        not isinstance(required, list) or not all(isinstance(r, str) for r in required)
    ):
        yield f"{where}.required", "must be a list of field names"
    for keyword in _COUNTS:
        value = node.get(keyword)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            yield f"{where}.{keyword}", "must be a non-negative integer"
    for keyword in _NUMBERS:
        value = node.get(keyword)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            yield f"{where}.{keyword}", "must be a number"
    if isinstance(node.get("multipleOf"), int | float) and not node["multipleOf"] > 0:
        yield f"{where}.multipleOf", "must be greater than 0"
    for keyword in _BOOLEANS:
        if keyword in node and not isinstance(node[keyword], bool):
            yield f"{where}.{keyword}", "must be true or false"
    for keyword, allowed in _CHOICES.items():
        if keyword in node and node[keyword] not in allowed:
            yield f"{where}.{keyword}", f"must be one of {', '.join(allowed)}"
    keys = node.get("x-kubernetes-list-map-keys")
    if keys is not None and (
        not isinstance(keys, list) or not all(isinstance(k, str) for k in keys)
    ):
        yield f"{where}.x-kubernetes-list-map-keys", "must be a list of field names"
    rules = node.get("x-kubernetes-validations")
    if rules is not None and (
        not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules)
    ):
        yield f"{where}.x-kubernetes-validations", "must be a list of rules"
    pattern = node.get("pattern")
    if pattern is not None:
        if not isinstance(pattern, str):
            yield f"{where}.pattern", "must be a string"
        else:
            try:
                compile_re2(pattern)
            except PatternError as exc:
                yield (
                    f"{where}.pattern",
                    f"is not a regular expression the API server (RE2) accepts: {exc}",
                )


# --------------------------------------------------------------------------------------------
# Running schemas and wording their errors (shared with custom_kinds)


def compile_validator(schema: JsonSchema, registry: Any = None) -> Any:
    """A draft 2020-12 validator for ``schema``; ``registry`` resolves cross-file ``$ref``.

    jsonschema is imported here, not at module load: clean documents never need it.
    """
    from gigrouter.validate.patterns import validator_class

    cls = validator_class()  # patterns on RE2, uniqueItems in linear time
    if registry is None:
        return cls(schema)
    return cls(schema, registry=registry)


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
    from gigrouter.validate.schema import MAX_ERRORS, too_many_errors

    found: dict[tuple[tuple[str | int, ...], str], bool] = {}
    for count, error in enumerate(validator.iter_errors(instance)):
        if count >= MAX_ERRORS:  # a hostile document must not take minutes to report
            found.setdefault(((), too_many_errors(MAX_ERRORS)), False)
            break
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
    # str(): YAML mapping keys may be null, numbers or booleans, which do not sort with text
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in parts)


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

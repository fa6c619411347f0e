"""A fast yes/no check of a document against a JSON Schema, for the keywords Kubernetes'
schemas use.

jsonschema walks every schema through a generic, error-collecting engine: about a millisecond
per manifest. Most manifests are valid, so validation first asks this compiled predicate; only
a document it rejects goes through jsonschema, which then explains every error. Both must give
the same verdict; tests check that on a corpus and on thousands of single-field edits.

A schema using a keyword this module does not implement raises :class:`Unsupported` when it is
compiled, and the caller keeps using jsonschema for that kind.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from gigrouter.validate.patterns import Pattern, compile_trusted
from gigrouter.validate.patterns import unique as _unique

Check = Callable[[Any], bool]

# Keywords that never affect the verdict (annotations, and `format`, which jsonschema ignores
# unless a format checker is configured).
_IGNORED = {
    "description", "title", "default", "examples", "format", "$schema", "$id", "$defs",
    "definitions", "$comment", "readOnly", "writeOnly", "deprecated",
}  # fmt: skip


class Unsupported(Exception):
    """The schema uses a keyword the fast check does not implement."""


def _is_type(name: str) -> Check:
    if name == "object":
        return lambda v: isinstance(v, dict)
    if name == "array":
        return lambda v: isinstance(v, list)
    if name == "string":
        return lambda v: isinstance(v, str)
    if name == "boolean":
        return lambda v: isinstance(v, bool)
    if name == "null":
        return lambda v: v is None
    if name == "number":
        return lambda v: isinstance(v, int | float) and not isinstance(v, bool)
    if name == "integer":
        return lambda v: (
            (isinstance(v, int) and not isinstance(v, bool))
            or (isinstance(v, float) and math.isfinite(v) and v.is_integer())
        )
    raise Unsupported(f"type {name!r}")


def _same(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers, 1 equals 1.0, containers compare deeply."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


class Compiler:
    """Compiles schemas into predicates, resolving ``$ref`` through ``resolve``."""

    def __init__(
        self, resolve: Callable[[str, str], tuple[Mapping[str, Any], str]], lazy: bool = True
    ) -> None:
        """``resolve(ref, base)`` returns the referenced schema and the document it lives in
        (``base`` is the document holding the ``$ref``, for relative references). With
        ``lazy``, subschemas compile on first use, and :class:`Unsupported` can then be raised
        by a check itself; callers treat that like a schema they cannot compile."""
        self._resolve = resolve
        self._lazy = lazy
        self._done: dict[int, Check] = {}

    def lazy(self, schema: Any, base: str) -> Check:
        """A check compiled on its first use: most fields of a large schema (a PodSpec) never
        occur in a document, so their subschemas are never compiled."""
        if not self._lazy:
            return self.compile(schema, base)
        compiled: list[Check] = []

        def check(v: Any) -> bool:
            if not compiled:
                compiled.append(self.compile(schema, base))
            return compiled[0](v)

        return check

    def compile(self, schema: Any, base: str = "") -> Check:
        if schema is True or schema == {}:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, Mapping):
            raise Unsupported(f"schema {schema!r}")
        key = id(schema)
        if key in self._done:
            return self._done[key]
        # A placeholder first, so recursive $refs compile to a call through it.
        cell: list[Check] = []

        def forward(v: Any) -> bool:
            return cell[0](v)

        self._done[key] = forward
        check = self._build(schema, base)
        cell.append(check)
        self._done[key] = check
        return check

    def _build(self, schema: Mapping[str, Any], base: str) -> Check:
        checks: list[Check] = []
        for keyword in schema:
            if keyword in _IGNORED or keyword.startswith("x-"):
                continue
            if keyword not in _KEYWORDS:
                raise Unsupported(keyword)
        if "$ref" in schema:
            target, target_base = self._resolve(str(schema["$ref"]), base)
            checks.append(self.lazy(target, target_base))
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            checks.append(_any_type([_is_type(str(n)) for n in names]))
        if "enum" in schema:
            checks.append(_one_of_values(list(schema["enum"])))
        if "const" in schema:
            checks.append(_one_of_values([schema["const"]]))
        checks.extend(self._object(schema, base))
        checks.extend(self._array(schema, base))
        checks.extend(self._scalars(schema))
        for keyword in ("allOf", "anyOf", "oneOf"):
            if keyword in schema:
                subs = [self.compile(s, base) for s in schema[keyword]]
                checks.append(_combine(keyword, subs))
        if "not" in schema:
            checks.append(_negate(self.compile(schema["not"], base)))
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]
        return _all(tuple(checks))

    def _object(self, schema: Mapping[str, Any], base: str) -> list[Check]:
        out: list[Check] = []
        props = {k: self.lazy(s, base) for k, s in (schema.get("properties") or {}).items()}
        patterns = [
            (compile_trusted(str(p)), self.compile(s, base))
            for p, s in (schema.get("patternProperties") or {}).items()
        ]
        extra = schema.get("additionalProperties", True)
        extra_check = None if extra is True or extra == {} else self.compile(extra, base)
        required = list(schema.get("required") or [])
        low, high = schema.get("minProperties"), schema.get("maxProperties")
        names = self.compile(schema["propertyNames"], base) if "propertyNames" in schema else None

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for name in required:
                if name not in v:
                    return False
            if (low is not None and len(v) < low) or (high is not None and len(v) > high):
                return False
            for name, value in v.items():
                if names is not None and not names(name):
                    return False
                matched = False
                sub = props.get(name)
                if sub is not None:
                    matched = True
                    if not sub(value):
                        return False
                for pattern, pattern_check in patterns:
                    if pattern.search(name):
                        matched = True
                        if not pattern_check(value):
                            return False
                if not matched and extra_check is not None and not extra_check(value):
                    return False
            return True

        if props or patterns or extra_check or required or low or high or names:
            out.append(check)
        return out

    def _array(self, schema: Mapping[str, Any], base: str) -> list[Check]:
        if "prefixItems" in schema or "contains" in schema:
            raise Unsupported("prefixItems/contains")
        item = self.lazy(schema["items"], base) if "items" in schema else None
        low, high = schema.get("minItems"), schema.get("maxItems")
        unique = schema.get("uniqueItems") is True
        if item is None and low is None and high is None and not unique:
            return []

        def check(v: Any) -> bool:
            if not isinstance(v, list):
                return True
            if (low is not None and len(v) < low) or (high is not None and len(v) > high):
                return False
            if item is not None and not all(item(x) for x in v):
                return False
            return not unique or _unique(v)

        return [check]

    def _scalars(self, schema: Mapping[str, Any]) -> list[Check]:
        out: list[Check] = []
        if "pattern" in schema:
            out.append(_pattern(compile_trusted(str(schema["pattern"]))))
        low, high = schema.get("minLength"), schema.get("maxLength")
        if low is not None or high is not None:
            out.append(_length(low, high))
        bounds = {k: schema[k] for k in _BOUNDS if k in schema}
        if bounds:
            out.append(_bounded(bounds))
        if "multipleOf" in schema:
            raise Unsupported("multipleOf")
        return out


_BOUNDS: dict[str, Callable[[float, float], bool]] = {
    "minimum": lambda v, b: v >= b,
    "maximum": lambda v, b: v <= b,
    "exclusiveMinimum": lambda v, b: v > b,
    "exclusiveMaximum": lambda v, b: v < b,
}


def _any_type(tests: list[Check]) -> Check:
    def check(v: Any) -> bool:
        return any(test(v) for test in tests)

    return check


def _one_of_values(allowed: list[Any]) -> Check:
    def check(v: Any) -> bool:
        return any(_same(v, x) for x in allowed)

    return check


def _all(checks: tuple[Check, ...]) -> Check:
    def check(v: Any) -> bool:
        return all(c(v) for c in checks)

    return check


def _always(v: Any) -> bool:
    return True


def _never(v: Any) -> bool:
    return False


def _combine(keyword: str, subs: list[Check]) -> Check:
    def all_of(v: Any) -> bool:
        return all(c(v) for c in subs)

    def any_of(v: Any) -> bool:
        return any(c(v) for c in subs)

    def one_of(v: Any) -> bool:
        return sum(1 for c in subs if c(v)) == 1

    return {"allOf": all_of, "anyOf": any_of, "oneOf": one_of}[keyword]


def _negate(inner: Check) -> Check:
    def check(v: Any) -> bool:
        return not inner(v)

    return check


def _pattern(pattern: Pattern) -> Check:
    def check(v: Any) -> bool:
        return not isinstance(v, str) or pattern.search(v) is not None

    return check


def _length(low: int | None, high: int | None) -> Check:
    def check(v: Any) -> bool:
        if not isinstance(v, str):
            return True
        return (low is None or len(v) >= low) and (high is None or len(v) <= high)

    return check


def _bounded(bounds: dict[str, float]) -> Check:
    def check(v: Any) -> bool:
        if not isinstance(v, int | float) or isinstance(v, bool):
            return True
        return all(_BOUNDS[k](v, b) for k, b in bounds.items())

    return check


_KEYWORDS = {
    "$ref", "type", "enum", "const", "properties", "patternProperties", "additionalProperties",
    "required", "minProperties", "maxProperties", "propertyNames", "items", "minItems",
    "maxItems", "uniqueItems", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "allOf", "anyOf", "oneOf", "not", "multipleOf",
    "prefixItems", "contains",
}  # fmt: skip

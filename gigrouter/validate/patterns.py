"""Regular expressions and JSON Schema keywords that take linear time on hostile input.

The API server checks a CRD's ``pattern`` with Go's regexp (RE2 semantics: no backreferences or
lookarounds, and no catastrophic backtracking). Python's ``re`` backtracks, so ``^(a+)+$``
against ``"a" * 40 + "!"`` would hang validate; here every schema pattern runs on RE2
(``google-re2``), and a pattern RE2 cannot compile is refused where it is declared.

:func:`validator_class` is jsonschema's draft 2020-12 validator with ``pattern`` and
``patternProperties`` on RE2 and ``uniqueItems`` in linear time (jsonschema's own falls back to
comparing every pair of unsortable items).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any, Protocol

from gigrouter.errors import GigrouterError


class MissingRe2Error(GigrouterError):
    """google-re2 is not installed: schema patterns cannot run safely (exit 2, not a fallback
    to backtracking ``re``)."""

    def __init__(self) -> None:
        super().__init__(
            "gigrouter runs schema patterns on RE2 and needs the google-re2 package"
            " (pip install google-re2)"
        )


@cache
def _re2() -> Any:
    try:
        import re2  # type: ignore[import-untyped]
    except ImportError:
        raise MissingRe2Error() from None
    return re2


class Pattern(Protocol):
    def search(self, text: str) -> object: ...


class PatternError(ValueError):
    """A pattern that RE2 cannot compile (backreferences, lookarounds, bad syntax)."""


def _options() -> Any:
    options = _re2().Options()
    options.log_errors = False  # RE2 would print every failed compile to stderr
    return options


@cache
def compile_re2(pattern: str) -> Pattern:
    """``pattern`` compiled by RE2; :class:`PatternError` when RE2 rejects it."""
    re2 = _re2()
    try:
        compiled: Pattern = re2.compile(pattern, options=_options())
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args else ""
        if isinstance(detail, bytes):  # pragma: no cover - depends on the binding
            detail = detail.decode("utf-8", "replace")
        raise PatternError(str(detail or "RE2 cannot compile it")) from None
    return compiled


@cache
def compile_trusted(pattern: str) -> Pattern:
    """A pattern from gigrouter's own schemas or the bundled Kubernetes ones: RE2 when it can,
    else Python's ``re`` (those patterns are reviewed, the strings they meet are not)."""
    try:
        return compile_re2(pattern)
    except PatternError:
        return re.compile(pattern)


def _key(value: Any) -> str:
    """A canonical text of a JSON value: equal values (``1 == 1.0``, not ``true == 1``) agree."""

    def normal(v: Any) -> Any:
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, int | float):
            return v
        if isinstance(v, Mapping):
            return {"o": sorted((str(k), normal(x)) for k, x in v.items())}
        if isinstance(v, list | tuple):
            return {"a": [normal(x) for x in v]}
        return {"r": repr(v)}

    return json.dumps(normal(value), sort_keys=True, default=repr)


def unique(items: list[Any]) -> bool:
    """No two items of ``items`` are equal as JSON values; linear time."""
    seen: set[str] = set()
    for item in items:
        key = _key(item)
        if key in seen:
            return False
        seen.add(key)
    return True


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "string"):
        return
    if compile_trusted(str(pattern)).search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: Mapping[str, Any], instance: Any, schema: Any
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        compiled = compile_trusted(str(pattern))
        for key, value in instance.items():
            if compiled.search(str(key)) is not None:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _unique_items(validator: Any, wanted: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if wanted and validator.is_type(instance, "array") and not unique(instance):
        yield ValidationError(f"{instance!r} has non-unique elements")


@cache
def validator_class() -> Any:
    """Draft 2020-12 with the keywords above replaced (built once, on first use). A subclass,
    so it still is a ``Draft202012Validator`` to anyone who asks."""
    import warnings

    from jsonschema import Draft202012Validator

    keywords = {
        **Draft202012Validator.VALIDATORS,
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "uniqueItems": _unique_items,
    }
    with warnings.catch_warnings():  # jsonschema discourages subclasses; this one only swaps
        warnings.simplefilter("ignore", DeprecationWarning)  # keyword functions

        class HardenedValidator(Draft202012Validator):  # type: ignore[misc]
            VALIDATORS = keywords

    return HardenedValidator

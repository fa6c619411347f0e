"""The External Secrets providers written as raw blocks (Vault, GCP, Azure), checked when the
config loads against gigrouter's own schema of each: ``gigrouter/schemas/`` +
``PROVIDER_SCHEMA_FILE``, the same file ``validate`` checks rendered SecretStores with.

A problem is raised as a pydantic ``ValidationError`` whose location is the key path inside the
block, so the config error names the file, the line and the key (``...provider.vault.auth``).
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from typing import Any, Final

from pydantic_core import PydanticCustomError, ValidationError

PROVIDER_SCHEMA_FILE: Final = "secretstore-providers.json"
RAW_PROVIDERS: Final = ("vault", "gcpsm", "azurekv")

Loc = tuple[str | int, ...]


@cache
def provider_schemas() -> dict[str, Any]:
    """The parsed schema file, from the installed package. Callers must not modify it."""
    text = resources.files("gigrouter").joinpath("schemas", PROVIDER_SCHEMA_FILE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def provider_schema(name: str) -> dict[str, Any]:
    """A self-contained schema of provider ``name`` (its ``$defs`` travel with it)."""
    document = provider_schemas()
    return {
        "$schema": document["$schema"],
        "$ref": f"#/$defs/{name}",
        "$defs": document["$defs"],
    }


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator  # loaded only when a raw block is given

    return Draft202012Validator(provider_schema(name))


def provider_problems(name: str, block: Any) -> list[tuple[Loc, str, Any]]:
    """(key path inside the block, message, the offending scalar or None) for every problem of
    ``block``, in path order. The config loader adds `` (got <value>)`` for a scalar."""
    found: dict[tuple[Loc, str], Any] = {}
    for error in _validator(name).iter_errors(block):
        for loc, message, shown in _worded(error):
            found[(loc, message)] = shown
    ordered = sorted(found, key=lambda p: ([str(x) for x in p[0]], p[1]))
    return [(loc, message, found[(loc, message)]) for loc, message in ordered]


def check_provider(name: str, block: Any) -> None:
    """Raise a ValidationError located inside the block when ``block`` breaks the schema."""
    problems = provider_problems(name, block)
    if problems:
        raise ValidationError.from_exception_data(
            "provider",
            [
                {
                    "type": PydanticCustomError(
                        "secret_store_provider", "{message}", {"message": m}
                    ),
                    "loc": loc,
                    "input": shown,
                }
                for loc, m, shown in problems
            ],
        )


_TYPES: Final = {
    "string": "a string",
    "object": "a mapping",
    "array": "a list",
    "boolean": "true or false",
    "integer": "an integer",
}


def _scalar(value: Any) -> Any:
    return None if isinstance(value, dict | list) else value


def _worded(error: Any) -> list[tuple[Loc, str, Any]]:
    """One jsonschema error as (key path, message, value to show), worded like gigrouter's
    other config errors."""
    loc: Loc = tuple(error.absolute_path)
    kind, value, schema = error.validator, error.instance, error.schema
    if kind == "additionalProperties" and isinstance(value, dict):
        known = sorted(schema.get("properties", {}))
        return [
            ((*loc, key), f"unknown key {key!r}{_did_you_mean(key, known)}", None)
            for key in sorted(set(value) - set(known))
        ]
    if kind == "required" and isinstance(value, dict):
        missing = [key for key in error.validator_value if key not in value]
        return [((*loc, key), "this key is required", None) for key in missing]
    if kind == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPES.get(n, n) for n in names)
        return [(loc, f"must be {wanted}", _scalar(value))]
    if kind == "enum":
        shown = [repr(v) for v in error.validator_value]
        options = " or ".join([", ".join(shown[:-1]), shown[-1]] if len(shown) > 2 else shown)
        return [(loc, f"must be {options}", _scalar(value))]
    if kind in ("minProperties", "maxProperties") and isinstance(value, dict):
        options = ", ".join(sorted(schema.get("properties", {})))
        many = "exactly one" if "minProperties" in schema else "at most one"
        return [(loc, f"give {many} of {options} (got {len(value)})", None)]
    if kind == "minLength":
        return [(loc, "must not be empty", None)]
    if kind == "pattern":
        return [(loc, f"must match {schema['pattern']!r}", _scalar(value))]
    if kind == "minimum":
        return [(loc, f"must be at least {error.validator_value}", _scalar(value))]
    return [(loc, str(error.message), None)]  # pragma: no cover - the file uses only the above


def _did_you_mean(value: str, options: list[str]) -> str:
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""

"""Read the platform config: YAML to plain data, with a line for every key path.

Duplicate keys, merge keys, several documents and non-string keys are errors, all reported in
one run with their line. The loader is libyaml's when PyYAML was built with it.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel

from gigrouter.config.source import (
    KeyPath,
    SourceMap,
    _cut,
    parse_yaml,
    read_yaml,
    render_path,
)
from gigrouter.errors import ConfigError, Problem, did_you_mean
from gigrouter.giturl import redact
from gigrouter.model import Platform

__all__ = [
    "DOMAIN_PLACEHOLDER",
    "KeyPath",
    "SourceMap",
    "build_platform",
    "did_you_mean",
    "expand_domain",
    "load_platform",
    "parse_yaml",
    "read_yaml",
    "render_path",
]


# --- the model ------------------------------------------------------------------------------


def load_platform(path: Path, display: str | None = None) -> Platform:
    """Read ``path`` and build the Platform; every problem is reported at once with its line."""
    source = read_yaml(path, display)
    return build_platform(source)


def build_platform(source: SourceMap) -> Platform:
    data = dict(source.data)
    data.pop("$schema", None)
    data, problems = expand_domain(data, source)
    if problems:
        raise ConfigError(problems)
    try:
        platform = Platform.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigError(_pydantic_problems(exc, source)) from None
    problems = [Problem(source.location(path), message) for path, message in platform.cross_check()]
    if problems:
        raise ConfigError(problems)
    return platform


# Keys whose values are host names (``hosts``: lists of them). Helm values and parameters go
# to the chart as written, so ``{domain}`` there is left alone.
_HOST_KEYS = frozenset({"host", "host_header"})
_HOSTS_KEYS = frozenset({"hosts"})
_VERBATIM_KEYS = frozenset({"helm"})
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|[{}]")
DOMAIN_PLACEHOLDER = "{domain}"


def expand_domain(data: Any, source: SourceMap) -> tuple[Any, list[Problem]]:
    """``data`` with ``{domain}`` in every host replaced by the platform's ``domain`` (an
    environment's merged data carries its own), and a problem for any other placeholder."""
    domain = data.get("domain") if isinstance(data, dict) else None
    problems: list[Problem] = []

    def host(value: str, path: KeyPath) -> str:
        if not isinstance(domain, str):
            return value  # no usable domain: the model reports it, and the host after it
        text = value.replace(DOMAIN_PLACEHOLDER, domain)
        rest = _PLACEHOLDER.search(value.replace(DOMAIN_PLACEHOLDER, ""))
        prefix = value.removesuffix(DOMAIN_PLACEHOLDER)
        placed = prefix != value and DOMAIN_PLACEHOLDER not in prefix
        placed = placed and (prefix == "" or (prefix.endswith(".") and not prefix.endswith("..")))
        if DOMAIN_PLACEHOLDER in value and rest is None and not placed:
            problems.append(
                Problem(
                    source.location(path),
                    f"host {_cut(value)!r}: {DOMAIN_PLACEHOLDER} stands for whole labels at the"
                    f" end of a host (like 'api.{DOMAIN_PLACEHOLDER}' or '{DOMAIN_PLACEHOLDER}')",
                )
            )
        if rest is not None:
            problems.append(
                Problem(
                    source.location(path),
                    f"{rest.group(0)!r} in host {_cut(value)!r} is not a placeholder gigrouter"
                    f" knows: only {DOMAIN_PLACEHOLDER} is replaced (by domain)",
                )
            )
        return text

    def walk(node: Any, path: KeyPath) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, value in node.items():
                here = (*path, key)
                if key in _VERBATIM_KEYS:
                    out[key] = value
                elif key in _HOST_KEYS and isinstance(value, str):
                    out[key] = host(value, here)
                elif key in _HOSTS_KEYS and isinstance(value, list):
                    out[key] = [
                        host(v, (*here, i)) if isinstance(v, str) else walk(v, (*here, i))
                        for i, v in enumerate(value)
                    ]
                else:
                    out[key] = walk(value, here)
            return out
        if isinstance(node, list):
            return [walk(v, (*path, i)) for i, v in enumerate(node)]
        return node

    return walk(data, ()), problems


def _data_path(loc: tuple[str | int, ...], data: Any) -> KeyPath:
    """Keep the parts of a pydantic location that are keys of the data (drops union tags)."""
    out: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and isinstance(part, str):
            if part in node:
                out.append(part)
                node = node[part]
            # a missing key: point at where it belongs (a key that is not last is the tag of
            # a discriminated union, such as an ingress profile's `generic`)
            elif _looks_like_field(part) and i == len(loc) - 1:
                out.append(part)
                node = None
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
    return tuple(out)


_UNION_TAGS = {"str", "int", "float", "bool", "list", "dict"}


def _looks_like_field(part: str) -> bool:
    """Union members show up in pydantic locations as type tags; field names do not."""
    return part.isidentifier() and part not in _UNION_TAGS


def _with_value(message: str, error: Any) -> str:
    """``message`` showing the offending value once, cut when long: `` (got 70000)`` added, or
    a long value the message quotes cut in place."""
    value = error.get("input")
    if isinstance(value, dict | list) or value is None:
        return message
    whole = repr(value) if isinstance(value, str) else str(value)
    masked = redact(whole)  # a URL's credentials are never printed, not even as the bad value
    shown = masked if len(masked) <= 60 else masked[:57] + "..."
    if whole in message:
        return message.replace(whole, shown)
    if masked in message:
        return message.replace(masked, shown)
    return f"{message} (got {shown})"


def _message(error: Any) -> str:
    msg = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg


# A message of a check that starts with the key it is about, below the model it checks:
# `ingress.routes[0].port: 81 is not a port ...`.
_KEY_PREFIX = re.compile(
    r"^([a-z_][a-z0-9_]*(?:\[\d+\])*(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])*)*): (.+)$", re.S
)
_KEY_PART = re.compile(r"([a-z_][a-z0-9_]*)|\[(\d+)\]")


def _deepen(path: KeyPath, message: str, source: SourceMap) -> tuple[KeyPath, str]:
    """A model check's error at the key its message starts with, when the config has that key
    below ``path`` (so the line is the key's, not the model's); else as it is."""
    while (found := _KEY_PREFIX.match(message)) is not None:
        below: list[str | int] = [
            name if name else int(index) for name, index in _KEY_PART.findall(found.group(1))
        ]
        deeper = (*path, *below)
        if deeper not in source.lines:
            break
        path, message = deeper, found.group(2)
    return path, message


def _pydantic_problems(exc: pydantic.ValidationError, source: SourceMap) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[KeyPath] = set()
    for error in exc.errors():
        path = _data_path(tuple(error["loc"]), source.data)
        if error["type"] == "extra_forbidden":
            key = str(path[-1]) if path else ""
            fields = _fields_at(Platform, path[:-1])
            message = f"unknown key {key!r}{did_you_mean(key, fields)}"
        elif error["type"] == "missing":
            message = "this key is required" + _required_hint(path)
        else:
            path, message = _deepen(path, _with_value(_message(error), error), source)
        if path in seen:  # a union reports once per member; the first is the closest
            continue
        seen.add(path)
        problems.append(Problem(source.location(path), message))
    return problems


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (through Optional, list, dict, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _required_hint(path: KeyPath) -> str:
    """`` (what to put there)`` for a missing key whose field has a description, else ''."""
    *parents, key = path or ("",)
    current: type[BaseModel] | None = Platform
    for part in parents:
        if current is None or isinstance(part, int):
            continue
        info = current.model_fields.get(part)
        current = _model_in(info.annotation) if info else None
    field_info = current.model_fields.get(str(key)) if current is not None else None
    described = field_info.description if field_info is not None else None
    return f": {described}" if described else ""


def _fields_at(model: type[BaseModel], path: KeyPath) -> list[str]:
    current: type[BaseModel] | None = model
    for part in path:
        if current is None:
            return []
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part)
        current = _model_in(info.annotation) if info else None
    return sorted(current.model_fields) if current is not None else []

"""The single YAML policy: how gigrouter reads template output and how it writes every file.

Writing is deterministic to the byte: one dumper, block style, keys in the order the templates
give them, LF endings, a final newline. A string is written plain only when every YAML 1.1 and
1.2 reader (PyYAML, go-yaml in kubectl and Argo CD) reads it back as the same string; anything
else is quoted, so ``"yes"``, ``"0755"``, ``"1e3"``, ``"null"`` and ``"12:30"`` stay strings.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

try:
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./=@+-]*(:[A-Za-z0-9_./=@+-]+)*$")
_RESERVED = {
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
}  # fmt: skip


_LINE_BREAKS = frozenset("\x85\u2028\u2029\ufeff")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    tag = "tag:yaml.org,2002:str"
    if _PLAIN.match(value) and value.lower() not in _RESERVED:
        return dumper.represent_scalar(tag, value)
    if any(ch in _LINE_BREAKS or not (ch.isprintable() or ch == "\n") for ch in value):
        return dumper.represent_scalar(tag, value, style='"')
    if "\n" in value.rstrip("\n") and _block_safe(value):
        return dumper.represent_scalar(tag, value, style="|")
    return dumper.represent_scalar(tag, value, style="'")


def _block_safe(value: str) -> bool:
    """A literal block reads back exactly when no line has trailing blanks or leading space."""
    return (
        not value.startswith((" ", "\n"))
        and not value.endswith("\n\n")
        and all(line == line.rstrip(" ") for line in value.split("\n"))
    )


class Dumper(_BaseDumper):
    """PyYAML's safe dumper (libyaml when available) with gigrouter's string policy."""


Dumper.add_representer(str, _represent_str)  # type: ignore[arg-type]


def dump(value: Any) -> str:
    """One YAML document, block style, no document markers."""
    return yaml.dump(
        value,
        Dumper=Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=1_000_000,
        line_break="\n",
    )


def dump_all(documents: list[Any], header: str = "") -> str:
    """Several documents separated by ``---``, after an optional comment header."""
    parts = [dump(doc) for doc in documents]
    body = "---\n".join(parts)
    if header:
        comment = "".join(f"# {line}\n" if line else "#\n" for line in header.split("\n"))
        return comment + ("---\n" + body if len(parts) > 1 else body)
    return body


def load_all(text: str) -> list[Any]:
    """Parse a YAML stream with the fast safe loader; empty documents are dropped."""
    return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]


# --- the quoting filter -------------------------------------------------------------------


def _plain_char(code: int) -> bool:
    """Characters a YAML double-quoted scalar may carry unescaped."""
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _escape(value: str) -> str:
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif _plain_char(code):
            out.append(ch)
        elif 0xD800 <= code <= 0xDFFF:
            raise ValueError(f"U+{code:04X} (a lone surrogate) cannot be written to YAML")
        elif code <= 0xFF:
            out.append(f"\\x{code:02X}")
        else:
            out.append(f"\\u{code:04X}")
    out.append('"')
    return "".join(out)


def flow(value: Any) -> str:
    """``value`` as a one-line YAML flow node that reads back as exactly the same data.

    Strings are always double-quoted with escapes, so no value can become YAML structure;
    this is the only way values enter templates (the ``q`` filter).
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be written to YAML")
        return repr(value)
    if isinstance(value, str):
        return _escape(value)
    if isinstance(value, dict):
        items = ", ".join(f"{flow(str_key(k))}: {flow(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    raise TypeError(f"{type(value).__name__} cannot be written to YAML")


def str_key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"mapping key {key!r} is not a string")
    return key

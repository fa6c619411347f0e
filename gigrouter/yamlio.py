"""The single YAML policy: how gigrouter reads template output and how it writes every file.

Writing is deterministic to the byte: one dumper, block style, keys in the order the templates
give them, LF endings, a final newline. A string is written plain only when every YAML 1.1 and
1.2 reader (PyYAML, go-yaml in kubectl and Argo CD) reads it back as the same string; anything
else is quoted, so ``"yes"``, ``"0755"``, ``"1e3"``, ``"null"`` and ``"12:30"`` stay strings.
"""

from __future__ import annotations

import functools
import math
import re
import sys
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


def _printable(ch: str) -> bool:
    """libyaml's printable set for what it writes unescaped (it escapes astral characters)."""
    code = ord(ch)
    return (
        0x20 <= code <= 0x7E
        or (0xA0 <= code <= 0xD7FF and code not in (0x2028, 0x2029))
        or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)
    )


# ``_printable`` as character classes, for whole strings at once (the per-character test is
# the definition; these are the speed): printable, printable or a line break, and printable
# but neither '"' nor '\\' (written inside double quotes as they are).
_PRINTABLE_ABOVE_ASCII = r"\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
_PRINTABLE_OR_BREAK = re.compile(r"[\n\x20-\x7e" + _PRINTABLE_ABOVE_ASCII + "]*")
_QUOTABLE_AS_IS = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e" + _PRINTABLE_ABOVE_ASCII + "]*")


def string_style(value: str) -> str:
    """How a string is written: '' plain, "'" single-quoted, '|' literal block, '"' escaped."""
    if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED:
        return ""
    if not _PRINTABLE_OR_BREAK.fullmatch(value):
        return '"'
    if "\n" in value:
        return "|" if _block_safe(value) else '"'
    return "'"


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    """The same policy for PyYAML's dumper, kept as the oracle the emitter is tested against."""
    style = string_style(value)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style or None)


def _block_safe(value: str) -> bool:
    """A literal block reads back exactly when no line has trailing blanks, the text does not
    start with a space or a break, and it ends in at most one break."""
    return (
        not value.startswith((" ", "\n"))
        and not value.endswith("\n\n")
        and all(line == line.rstrip(" ") for line in value.split("\n"))
    )


class Dumper(_BaseDumper):
    """PyYAML's safe dumper (libyaml when available) with gigrouter's string policy."""


Dumper.add_representer(str, _represent_str)  # type: ignore[arg-type]


def dump_with_pyyaml(value: Any) -> str:
    """The same document through PyYAML's dumper: the oracle ``dump`` is tested against."""
    return yaml.dump(
        value,
        Dumper=Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=1_000_000,
        line_break="\n",
    )


# --- the emitter --------------------------------------------------------------------------
# A small block-style writer for plain data (dicts, lists, strings, numbers, booleans, None).
# It writes what libyaml writes for the same data and string policy, several times faster
# because it skips the node graph; tests compare the two byte for byte.

_ESCAPES = {
    "\0": "0", "\x07": "a", "\x08": "b", "\t": "t", "\n": "n", "\x0b": "v", "\x0c": "f",
    "\r": "r", "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\u2028": "L", "\u2029": "P",
}  # fmt: skip
_LONG_KEY = 1000  # implicit keys must stay under 1024 characters: longer ones use "? key"


def _double_quoted(value: str) -> str:
    """A double-quoted scalar: every character a YAML 1.1 or 1.2 reader could take as a line
    break or that is not printable is escaped; lone surrogates (only Python strings have
    them; no YAML escape stands for one) are refused."""
    if _QUOTABLE_AS_IS.fullmatch(value):
        return '"' + value + '"'
    out = ['"']
    for ch in value:
        if _printable(ch) and ch not in '"\\':
            out.append(ch)
            continue
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            raise ValueError(f"U+{code:04X} (a lone surrogate) cannot be written to YAML")
        if ch in _ESCAPES:
            out.append("\\" + _ESCAPES[ch])
        elif code <= 0xFF:
            out.append(f"\\x{code:02X}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04X}")
        else:
            out.append(f"\\U{code:08X}")
    out.append('"')
    return "".join(out)


def _inline(value: Any) -> str:
    """A scalar on one line (strings that need a literal block never come here)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value).lower()
        if "." not in text and "e" in text:
            text = text.replace("e", ".0e", 1)
        return text
    if isinstance(value, str):
        style = string_style(value)
        if style == "":
            return value
        if style == "'":
            return "'" + value.replace("'", "''") + "'"
        return _double_quoted(value)
    raise TypeError(f"{type(value).__name__} cannot be written to YAML")


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"mapping key {key!r} is not a string")
    return _string_key(key)


@functools.lru_cache(maxsize=8192)
def _string_key(key: str) -> str:
    """A mapping key as written (keys repeat in every document: each is styled once)."""
    return _double_quoted(key) if string_style(key) == "|" else _inline(key)


def _scalar(prefix: str, value: Any, indent: int, out: list[str]) -> None:
    if isinstance(value, str) and string_style(value) == "|":
        body = value[:-1] if value.endswith("\n") else value
        out.append(prefix + ("|" if value.endswith("\n") else "|-"))
        pad = " " * indent
        out.extend(pad + line if line else "" for line in body.split("\n"))
    elif isinstance(value, dict):
        out.append(prefix + "{}")  # a non-empty mapping never comes here
    elif isinstance(value, list):
        out.append(prefix + "[]")
    else:
        out.append(prefix + _inline(value))


def _nested(head: str, value: Any, indent: int, out: list[str]) -> None:
    """``value`` (a non-empty collection) written with its first line after ``head``."""
    lines: list[str] = []
    if isinstance(value, dict):
        _mapping(value, indent, lines)
    else:
        _sequence(value, indent, lines)
    lines[0] = head + lines[0][indent:]
    out.extend(lines)


def _mapping(mapping: dict[Any, Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for key, value in mapping.items():
        text = _key(key)
        if len(text) > _LONG_KEY:
            out.append(f"{pad}? {text}")
            if isinstance(value, dict | list) and value:
                _nested(f"{pad}: ", value, indent + 2, out)
            else:
                _scalar(f"{pad}: ", value, indent + 2, out)
        elif isinstance(value, dict) and value:
            out.append(f"{pad}{text}:")
            _mapping(value, indent + 2, out)
        elif isinstance(value, list) and value:
            out.append(f"{pad}{text}:")
            _sequence(value, indent, out)
        else:
            _scalar(f"{pad}{text}: ", value, indent + 2, out)


def _sequence(items: list[Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for value in items:
        if isinstance(value, dict | list) and value:
            _nested(f"{pad}- ", value, indent + 2, out)
        else:
            _scalar(f"{pad}- ", value, indent + 2, out)


def dump(value: Any) -> str:
    """One YAML document, block style, no document markers."""
    lines: list[str] = []
    if isinstance(value, dict | list) and value:
        _nested("", value, 0, lines)
    elif isinstance(value, str) and string_style(value) == "|":
        return dump_with_pyyaml(value)
    else:
        _scalar("", value, 2, lines)
    lines.append("")
    return "\n".join(lines)


def dump_all(documents: list[Any], header: str = "") -> str:
    """Several documents separated by ``---``, after an optional comment header."""
    parts = [dump(doc) for doc in documents]
    body = "---\n".join(parts)
    if header:
        comment = "".join(f"# {line}\n" if line else "#\n" for line in header.split("\n"))
        return comment + ("---\n" + body if len(parts) > 1 else body)
    return body


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"


class Loader(_Loader):
    """The safe loader, building plain mappings, sequences and strings directly: PyYAML's
    constructor goes through a generator per collection and a lookup per node, half of the time
    of reading template output. Anything else (other tags, merge keys, collections as keys) is
    left to PyYAML's constructor, so the data is always what ``yaml.safe_load`` gives.

    Strings are interned: a render keeps the documents of every file for validation, and the
    same keys and values ("apiVersion", "apps/v1", a namespace) repeat in every document."""

    def construct_document(self, node: yaml.Node) -> Any:
        data = self._build(node)
        self.constructed_objects = {}
        self.recursive_objects = {}
        self.state_generators = []
        self.deep_construct = False
        return data

    def _build(self, node: yaml.Node) -> Any:
        kind = type(node)
        if kind is yaml.ScalarNode and node.tag == _STR:
            return sys.intern(node.value)
        if kind is yaml.ScalarNode:
            return self.construct_object(node, deep=True)
        if node in self.constructed_objects:  # an alias of a collection built before
            return self.constructed_objects[node]
        if kind is yaml.MappingNode and node.tag == _MAP:
            pairs: list[tuple[yaml.Node, yaml.Node]] = node.value
            if any(type(k) is not yaml.ScalarNode or k.tag == _MERGE for k, _ in pairs):
                return self.construct_object(node, deep=True)
            mapping: dict[Any, Any] = {}
            self.constructed_objects[node] = mapping
            for key, value in pairs:
                mapping[self._build(key)] = self._build(value)
            return mapping
        if kind is yaml.SequenceNode and node.tag == _SEQ:
            items: list[Any] = []
            self.constructed_objects[node] = items
            items.extend(self._build(item) for item in node.value)
            return items
        return self.construct_object(node, deep=True)


def load_all(text: str) -> list[Any]:
    """Parse a YAML stream with the fast safe loader; empty documents are dropped."""
    return [doc for doc in yaml.load_all(text, Loader=Loader) if doc is not None]


# --- the quoting filter -------------------------------------------------------------------


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
        return _double_quoted(value)
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

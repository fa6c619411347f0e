"""Read untrusted files and YAML within fixed bounds.

``validate`` runs in CI on trees (and ``--crd`` files) that strangers control, so reading them
must not follow a link out of the tree, block on a FIFO, read a file of any size, expand YAML
aliases exponentially, nest deeper than the checks can recurse, or crash on a value Python
cannot hold (an integer of 5,000 digits, a date that does not exist). Everything here turns such
input into a :class:`LimitError` or :class:`Unreadable` with a short reason, which callers report
as a finding; nothing here prints or exits.

Documents are read the way ``kubectl`` and the API server read them (``sigs.k8s.io/yaml`` over
go-yaml v2), not as PyYAML's YAML 1.1 resolver would: :func:`go_scalar` holds the rules, pinned
against go-yaml's ``resolve.go`` in ``tests/test_safeyaml_goyaml.py``. In short: a plain scalar
is a bool only as ``true/false/yes/no/on/off/y/n`` in lower, Title or UPPER case; null only as
``~``, ``null`` (three cases) or nothing; an int as Go's ``strconv.ParseInt`` base 0 reads it
(``017`` and ``0o17`` are 15, ``0x1F`` 31, ``1_000`` 1000); a float by go-yaml's pattern
(``1e3`` is 1000); everything else, ``=``, ``1:20`` and timestamps included, is a string.
Tags go-yaml does not know are ignored (the node's plain value is kept), ``<<`` merges in
document order (a later key wins), and mapping keys become JSON strings (``yes:`` is
``"true"``). What JSON cannot hold (``.inf``, ``.nan``, a ``null`` key) is an error, as kubectl
says "error converting YAML to JSON". A duplicate key keeps its last value and is recorded
(:attr:`Loaded.duplicates`), so callers can report it.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
import re
import stat
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_FILE_BYTES: Final = 4 * 1024 * 1024
"""A file larger than this is not read (Kubernetes stores at most ~1.5 MiB per object)."""
MAX_NODES: Final = 500_000
"""Nodes one file may hold once every alias is expanded (the largest upstream CRD has ~46,000)."""
MAX_DEPTH: Final = 100
"""Nesting levels one document may have (real manifests and CRDs stay under 40)."""
MAX_MESSAGE: Final = 1000
"""Characters of a finding's message; longer ones (a huge quoted value) are cut."""
_STREAM_CHECK_BYTES: Final = 64 * 1024
"""Texts longer than this are first counted event by event, stopping at the budget, so a
large file of tiny nodes is refused before its (slow) node graph is built."""


class LimitError(yaml.YAMLError):
    """The YAML text is within the syntax but beyond a bound (size, aliases, depth, values)."""

    def __init__(self, problem: str, mark: Any = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class Unreadable(Exception):
    """A file that could not be read, with a reason fit for a finding (no file content)."""

    def __init__(self, reason: str, too_large: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_large = too_large


def cut(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to about ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def read_bytes(path: Path | str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of one regular file, opened without following a final symlink and without
    blocking (a FIFO is refused, not waited on); at most ``limit`` bytes."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise Unreadable(_os_reason(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable("not a regular file")
        if info.st_size > limit:
            raise Unreadable(_too_large(info.st_size, limit), too_large=True)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise Unreadable(_too_large(size, limit), too_large=True)
        return b"".join(chunks)
    except OSError as exc:
        raise Unreadable(_os_reason(exc)) from None
    finally:
        os.close(fd)


def read_text(path: Path | str, limit: int = MAX_FILE_BYTES) -> str:
    """:func:`read_bytes` decoded as UTF-8 (:class:`Unreadable` when it is not)."""
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 text") from None


def _too_large(size: int, limit: int) -> str:
    return f"the file is {size} bytes; at most {limit} are read"


def _os_reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


# --- scalars, keys and mappings as go-yaml v2 and sigs.k8s.io/yaml read them -----------------

_TAG = "tag:yaml.org,2002:"
STR: Final = _TAG + "str"
BOOL: Final = _TAG + "bool"
INT: Final = _TAG + "int"
FLOAT: Final = _TAG + "float"
NULL: Final = _TAG + "null"
TIMESTAMP: Final = _TAG + "timestamp"
BINARY: Final = _TAG + "binary"
MERGE: Final = _TAG + "merge"
_MAP: Final = _TAG + "map"
_SEQ: Final = _TAG + "seq"
_PLAIN: Final = "tag:gigrouter,2024:plain"
"""The tag the resolver gives every untagged plain scalar: :func:`go_scalar` decides its type."""

# resolve.go's resolveTable: the first character says what a plain scalar may be.
_HINTS: Final = {
    **dict.fromkeys("+-", "S"),
    **dict.fromkeys("0123456789", "D"),
    **dict.fromkeys("yYnNtTfFoO~", "M"),
    ".": ".",
}
_WORDS: Final[dict[str, tuple[str, Any]]] = {
    **{w: (BOOL, True) for w in ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE")},
    **{w: (BOOL, True) for w in ("on", "On", "ON")},
    **{w: (BOOL, False) for w in ("n", "N", "no", "No", "NO", "false", "False", "FALSE")},
    **{w: (BOOL, False) for w in ("off", "Off", "OFF")},
    **{w: (NULL, None) for w in ("", "~", "null", "Null", "NULL")},
    **{w: (FLOAT, math.nan) for w in (".nan", ".NaN", ".NAN")},
    **{w: (FLOAT, math.inf) for w in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{w: (FLOAT, -math.inf) for w in ("-.inf", "-.Inf", "-.INF")},
    "<<": (MERGE, "<<"),
}
_GO_FLOAT: Final = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT: Final = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")  # strconv.ParseFloat of ".5"
# strconv.ParseInt(s, 0, 64): a sign, then a base prefix (0x, 0o, 0b, or 0 for octal) or decimal.
_GO_INT: Final = re.compile(
    r"(?P<sign>[-+]?)(?:0[xX](?P<hex>[0-9a-fA-F]+)|0[oO](?P<oct>[0-7]+)|0[bB](?P<bin>[01]+)"
    r"|(?P<octal>0[0-7]*)|(?P<dec>[1-9][0-9]*))"
)
_INT64: Final = 1 << 63
_UINT64: Final = 1 << 64
# go-yaml's timestamp layouts (2006-1-2, then T/t or a space and 15:4:5.999999999, a zone only
# after T/t). Only an explicit !!timestamp needs the check: an untagged value that looks like
# a timestamp decodes (into interface{}) as the string it is, which is also what any other
# scalar that starts with four digits and a '-' becomes.
_TIMESTAMP: Final = re.compile(
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:(?:[Tt](?P<tz_time>[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?)"
    r"(?:Z|[-+][0-9]{2}:[0-9]{2}))|(?: [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?))?"
)


def _go_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 0, 64)``, else ``ParseUint`` (no sign), else None."""
    if len(text) > 70:  # more digits than 64 bits hold in any base (and than int() will read)
        return None
    match = _GO_INT.fullmatch(text)
    if match is None:
        return None
    if match["hex"] is not None:
        value = int(match["hex"], 16)
    elif match["oct"] is not None:
        value = int(match["oct"], 8)
    elif match["bin"] is not None:
        value = int(match["bin"], 2)
    elif match["octal"] is not None:
        value = int(match["octal"], 8)
    else:
        value = int(match["dec"])
    if match["sign"] == "-":
        value = -value
    if -_INT64 <= value < _INT64 or (not match["sign"] and value < _UINT64):
        return value
    return None


def go_scalar(text: str, tag: str = "") -> tuple[str, Any]:
    """The tag and value go-yaml v2 gives a scalar (``resolve.go``): ``tag`` is '' for an
    untagged plain scalar, else the explicit tag. Raises ValueError as go-yaml fails ("cannot
    decode !!str `x` as a !!int")."""
    if tag in (STR, BINARY):
        return tag, text
    if tag not in ("", BOOL, INT, FLOAT, NULL, TIMESTAMP):
        return tag, text  # a tag go-yaml cannot resolve: the value is the text
    rtag, value = _go_resolve(text, tag)
    if tag in ("", rtag):
        return rtag, value
    if tag == FLOAT and rtag == INT:
        return FLOAT, float(value)
    raise ValueError(f"cannot decode {_short(rtag)} `{text}` as a {_short(tag)}")


def _go_resolve(text: str, tag: str) -> tuple[str, Any]:
    hint = _HINTS.get(text[0]) if text else "M"
    if hint is None:
        return STR, text
    word = _WORDS.get(text)
    if word is not None:
        return word
    if hint == ".":
        if _DOT_FLOAT.fullmatch(text):
            return FLOAT, float(text)
    elif hint in "DS":
        if tag == TIMESTAMP and _is_timestamp(text):
            return TIMESTAMP, text
        plain = text.replace("_", "")
        number = _go_int(plain)
        if number is not None:
            return INT, number
        if _GO_FLOAT.fullmatch(plain):
            real = float(plain)
            if not math.isinf(real):  # ParseFloat's range error: go-yaml keeps the string
                return FLOAT, real
    return STR, text


def _is_timestamp(text: str) -> bool:
    import datetime

    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return False
    try:
        datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return False
    return True


def _short(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


def json_key(key: Any) -> str:
    """A mapping key as ``sigs.k8s.io/yaml`` makes it a JSON object key (ValueError when it
    has none: null, a collection, an integer beyond int64)."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int) and -_INT64 <= key < _INT64:
        return str(key)
    if isinstance(key, float):
        return _go_float32(key)
    shown = "null" if key is None else cut(repr(key), 60)
    raise ValueError(f"a mapping key must be a string, number or boolean, not {shown}")


def _go_float32(value: float) -> str:
    """``strconv.FormatFloat(value, 'g', -1, 32)``, with go-yaml's names for the infinities."""
    if math.isnan(value):
        return ".nan"
    try:
        single = struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        single = math.copysign(math.inf, value)
    if math.isinf(single):
        return ".inf" if single > 0 else "-.inf"
    if single == 0:
        return "-0" if math.copysign(1, single) < 0 else "0"
    for precision in range(1, 10):  # the shortest decimal that reads back as the same float32
        text = f"{single:.{precision - 1}e}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            break
    mantissa, _, exponent = text.partition("e")
    sign = "-" if mantissa.startswith("-") else ""
    digits = mantissa.lstrip("-").replace(".", "").rstrip("0") or "0"
    exp = int(exponent)
    if exp < -4 or exp >= 6:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    point = exp + 1
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def json_value(value: Any) -> Any:
    """A decoded scalar as the API server receives it through JSON: a float without a
    fraction is an integer there (``replicas: 1.0`` is 1); NaN and the infinities cannot be
    sent at all (ValueError, as kubectl's "json: unsupported value")."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            name = ".nan" if math.isnan(value) else ".inf" if value > 0 else "-.inf"
            raise ValueError(
                f"{name} is a float JSON cannot hold, so kubectl refuses the file (json:"
                " unsupported value); quote it if a string is meant"
            )
        if value.is_integer() and abs(value) < 1e21:  # what json.Marshal writes without '.'
            return int(value)
    return value


@dataclass(frozen=True)
class Duplicate:
    """A mapping key given twice in one mapping (the decoder keeps the last value)."""

    key: str
    line: int  # 1-based line of the repeated key
    first_line: int


class BoundedLoader(_BaseLoader):
    """The safe loader, reading as go-yaml v2 does (see the module docstring) and refusing
    documents beyond :data:`MAX_NODES` (aliases expanded), :data:`MAX_DEPTH` or with recursive
    aliases, and values JSON cannot hold."""

    nodes_left: int = MAX_NODES

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.duplicates: list[Duplicate] = []
        # without a '*' there is no alias: every node has one parent (see tree_size)
        self.alias_free = isinstance(stream, str) and "*" not in stream

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else STR  # quoted and block scalars are strings
        return _SEQ if kind is SequenceNode else _MAP

    def construct_document(self, node: Node) -> Any:
        size = tree_size(node, self.nodes_left) if self.alias_free else None
        self.nodes_left -= measure(node, self.nodes_left) if size is None else size
        return super().construct_document(node)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            # cannot decode !!str as !!int, .inf into JSON, a null key, bad !!binary, ...
            raise ConstructorError(
                None, None, f"cannot read the value: {cut(str(exc), 160)}", node.start_mark
            ) from None

    def go_value(self, node: Node) -> Any:
        """A scalar's go-yaml value (before the JSON conversion)."""
        text = str(node.value)
        if node.tag == _PLAIN:
            return go_scalar(text)[1]
        if node.tag == BINARY:
            try:
                raw = base64.b64decode(re.sub(r"[\r\n]", "", text), validate=True)
            except binascii.Error:
                raise ValueError("!!binary value contains invalid base64 data") from None
            return raw.decode("utf-8", "replace")
        return go_scalar(text, str(node.tag))[1]

    def go_scalar_node(self, node: Node) -> Any:
        text = node.value
        tag = node.tag
        if tag == STR or (tag == _PLAIN and text and text[0] not in _HINTS):
            return text  # most scalars: a word no go-yaml type starts with
        return json_value(self.go_value(node))

    def _scalar(self, node: Node) -> Any:
        """:meth:`go_scalar_node` without :meth:`construct_object`'s bookkeeping (a scalar
        is never recursive, and an alias of one may be read twice), errors at its line."""
        try:
            return self.go_scalar_node(node)
        except (ValueError, OverflowError) as exc:
            raise ConstructorError(
                None, None, f"cannot read the value: {cut(str(exc), 160)}", node.start_mark
            ) from None

    def _child(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        return self.construct_object(node, deep=True)

    def go_node(self, node: Node) -> Any:
        """Any node without a tag go-yaml knows (``!Ref``, ``!!set``, ``!!omap``): the value
        its shape gives, as go-yaml decodes it into ``interface{}``."""
        if isinstance(node, ScalarNode):
            return self.go_scalar_node(node)
        if isinstance(node, SequenceNode):
            return self.go_sequence(node)
        return self.go_mapping(node)

    def go_sequence(self, node: Node) -> list[Any]:
        return [self._child(child) for child in node.value]

    def go_mapping(self, node: Node) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            text, tag = key_node.value, key_node.tag
            if tag == STR or (tag == _PLAIN and text and text[0] not in _HINTS and text != "<<"):
                key = text
            elif isinstance(key_node, ScalarNode):
                if (tag == _PLAIN and text == "<<") or tag == MERGE:
                    self._merge(value_node, out)
                    continue
                try:
                    key = json_key(self.go_value(key_node))
                except (ValueError, OverflowError) as exc:
                    raise ConstructorError(
                        None, None, f"cannot read the key: {cut(str(exc), 160)}",
                        key_node.start_mark,
                    ) from None  # fmt: skip
            else:
                raise ConstructorError(
                    None, None, "a mapping key must be a string, number or boolean, not a"
                    f" {'list' if isinstance(key_node, SequenceNode) else 'mapping'}",
                    key_node.start_mark,
                )  # fmt: skip
            if key in first:
                line = key_node.start_mark.line + 1
                self.duplicates.append(Duplicate(key, line, first[key]))
            else:
                first[key] = key_node.start_mark.line + 1
            out[key] = self._child(value_node)
        return out

    def _merge(self, node: Node, out: dict[str, Any]) -> None:
        """go-yaml v2's ``<<``: the merged keys are set where the ``<<`` stands (so a key after
        it wins, a key before it loses); of a list of mappings, the earlier ones win."""
        if isinstance(node, MappingNode):
            out.update(self.construct_object(node, deep=True))
        elif isinstance(node, SequenceNode) and all(isinstance(n, MappingNode) for n in node.value):
            for item in reversed(node.value):
                out.update(self.construct_object(item, deep=True))
        else:
            raise ConstructorError(
                None, None, "map merge requires map or sequence of maps as the value",
                node.start_mark,
            )  # fmt: skip


# A registry of its own (PyYAML's set, omap, timestamp and value constructors are not go-yaml's);
# tags it does not hold fall to go_node.
BoundedLoader.yaml_multi_constructors = {}
BoundedLoader.yaml_constructors = {
    _PLAIN: BoundedLoader.go_scalar_node,
    STR: BoundedLoader.go_scalar_node,
    BOOL: BoundedLoader.go_scalar_node,
    INT: BoundedLoader.go_scalar_node,
    FLOAT: BoundedLoader.go_scalar_node,
    NULL: BoundedLoader.go_scalar_node,
    TIMESTAMP: BoundedLoader.go_scalar_node,
    BINARY: BoundedLoader.go_scalar_node,
    _SEQ: BoundedLoader.go_sequence,
    _MAP: BoundedLoader.go_mapping,
    None: BoundedLoader.go_node,
}


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def measure(root: Node, budget: int = MAX_NODES) -> int:
    """The number of nodes of ``root`` with every alias expanded; raises :class:`LimitError`
    beyond ``budget`` nodes, :data:`MAX_DEPTH` levels, or on a recursive alias. Shared nodes
    (aliases) are measured once, so this takes time linear in the text, not in the expansion."""
    if isinstance(root, ScalarNode):
        return 1
    sizes: dict[int, tuple[int, int]] = {}  # id(collection) -> (expanded size, depth)
    active: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            size, deepest = 1, 1
            for child in _children(node):
                if isinstance(child, ScalarNode):
                    size += 1
                else:
                    child_size, child_depth = sizes[id(child)]
                    size += child_size
                    deepest = max(deepest, child_depth + 1)
            active.discard(key)
            if size > budget:
                raise LimitError(
                    f"the document expands to more than {budget} nodes (YAML aliases included);"
                    " split it or drop the aliases",
                    node.start_mark,
                )
            if deepest > MAX_DEPTH:
                raise LimitError(f"nesting deeper than {MAX_DEPTH} levels", node.start_mark)
            sizes[key] = (size, deepest)
            continue
        if key in sizes:
            continue
        if key in active:
            raise LimitError("a recursive alias (an anchor used inside itself)", node.start_mark)
        active.add(key)
        stack.append((node, True))
        stack.extend(
            (child, False)
            for child in _children(node)
            if not isinstance(child, ScalarNode) and id(child) not in sizes
        )
    return sizes[id(root)][0]


def tree_size(root: Node, budget: int = MAX_NODES) -> int | None:
    """:func:`measure` of a document without aliases, where no node is shared: a plain
    recursive count, about twice as fast. None when the document is beyond a bound; then
    :func:`measure` raises the error (at the node it names)."""
    try:
        size = _plain_size(root, 1)
    except _Beyond:
        return None
    return size if size <= budget else None


class _Beyond(Exception):
    """Nesting beyond MAX_DEPTH (raised before the count recurses any deeper)."""


def _plain_size(node: Node, depth: int) -> int:
    if node.__class__ is ScalarNode:
        return 1
    if depth > MAX_DEPTH:
        raise _Beyond
    size = 1
    below = depth + 1
    if node.__class__ is MappingNode:
        for key, value in node.value:
            size += 1 if key.__class__ is ScalarNode else _plain_size(key, below)
            size += 1 if value.__class__ is ScalarNode else _plain_size(value, below)
    else:
        for child in node.value:
            size += 1 if child.__class__ is ScalarNode else _plain_size(child, below)
    return size


def _stream_check(text: str) -> None:
    """Count the events of a long text with aliases expanded, stopping at the budget."""
    anchors: dict[str, int] = {}
    open_nodes: list[tuple[str | None, int]] = []
    count = 0
    loader = _BaseLoader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if event is None:
                break
            if isinstance(event, yaml.AliasEvent):
                if any(anchor == event.anchor for anchor, _ in open_nodes):
                    raise LimitError(
                        "a recursive alias (an anchor used inside itself)", event.start_mark
                    )
                count += anchors.get(str(event.anchor), 1)
            elif isinstance(event, yaml.ScalarEvent):
                count += 1
                if event.anchor is not None:
                    anchors[event.anchor] = 1
            elif isinstance(event, yaml.CollectionStartEvent):
                count += 1
                open_nodes.append((event.anchor, count))
                if len(open_nodes) > MAX_DEPTH:
                    raise LimitError(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
            elif isinstance(event, yaml.CollectionEndEvent) and open_nodes:
                anchor, start = open_nodes.pop()
                if anchor is not None:
                    anchors[anchor] = count - start + 1
            if count > MAX_NODES:
                raise LimitError(
                    f"the file expands to more than {MAX_NODES} nodes (YAML aliases included);"
                    " split it or drop the aliases",
                    event.start_mark,
                )
    finally:
        loader.dispose()


@dataclass
class Loaded:
    """One non-empty document of a stream: its data, the 1-based line its content starts
    on, its node (for the lines of what it holds), and the keys it repeats."""

    data: Any
    line: int
    node: Node
    duplicates: list[Duplicate] = field(default_factory=list)


def load_documents(text: str) -> Iterator[Loaded]:
    """Every non-empty document of ``text`` with its line, node and duplicate keys, parsed
    once, within the bounds (raises ``yaml.YAMLError``)."""
    if len(text) > _STREAM_CHECK_BYTES:
        _stream_check(text)
    loader = BoundedLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            loader.duplicates = []
            data = loader.construct_document(node)
            if data is not None:
                yield Loaded(data, node.start_mark.line + 1, node, loader.duplicates)
    finally:
        loader.dispose()


def load_all(text: str) -> Iterator[Any]:
    """Every document of ``text``, within the bounds (raises ``yaml.YAMLError``); a repeated
    key keeps its last value, as the API server's decoder does."""
    if len(text) > _STREAM_CHECK_BYTES:
        _stream_check(text)
    yield from yaml.load_all(text, Loader=BoundedLoader)


def load(text: str) -> Any:
    """The single document of ``text`` (None when empty), within the bounds."""
    documents = list(load_all(text))
    if len(documents) > 1:
        raise LimitError("expected one YAML document, found several")
    return documents[0] if documents else None

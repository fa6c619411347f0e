"""Read untrusted files and YAML within fixed bounds.

``validate`` runs in CI on trees (and ``--crd`` files) that strangers control, so reading them
must not follow a link out of the tree, block on a FIFO, read a file of any size, expand YAML
aliases exponentially, nest deeper than the checks can recurse, or crash on a value Python
cannot hold (an integer of 5,000 digits, a date that does not exist). Everything here turns such
input into a :class:`LimitError` or :class:`Unreadable` with a short reason, which callers report
as a finding; nothing here prints or exits.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
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


class BoundedLoader(_BaseLoader):
    """The safe loader, refusing documents beyond :data:`MAX_NODES` (aliases expanded),
    :data:`MAX_DEPTH` or with recursive aliases, and values Python cannot construct."""

    nodes_left: int = MAX_NODES

    def construct_document(self, node: Node) -> Any:
        self.nodes_left -= measure(node, self.nodes_left)
        return super().construct_document(node)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            # int() beyond Python's digit limit, dates that do not exist, ...
            raise ConstructorError(
                None, None, f"cannot read the value: {cut(str(exc), 120)}", node.start_mark
            ) from None


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


def load_all(text: str) -> Iterator[Any]:
    """Every document of ``text``, within the bounds (raises ``yaml.YAMLError``)."""
    if len(text) > _STREAM_CHECK_BYTES:
        _stream_check(text)
    yield from yaml.load_all(text, Loader=BoundedLoader)


def load(text: str) -> Any:
    """The single document of ``text`` (None when empty), within the bounds."""
    documents = list(load_all(text))
    if len(documents) > 1:
        raise LimitError("expected one YAML document, found several")
    return documents[0] if documents else None

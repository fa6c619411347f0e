"""Stage 1a: YAML text -> data with the line of every key (``SourceMap``), read by the config
loader, the overlay merge, set-image, validate's settings and provenance. It needs no model, so
what only reads config lines stays off the model's import cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gigrouter.errors import ConfigError, Location, Problem

try:  # libyaml's parser is several times faster; the pure-Python one behaves the same.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

KeyPath = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Maps key paths of a loaded document to the 1-based line they start on.

    A merged document (an environment overlay on the base config) also records, in ``files``,
    the file each key path came from when it is not ``file``.
    """

    file: str
    lines: dict[KeyPath, int] = field(default_factory=dict)
    data: Any = None
    files: dict[KeyPath, str] = field(default_factory=dict)

    def origin(self, path: KeyPath) -> tuple[str, int]:
        """File and line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            key = tuple(path[:end])
            line = self.lines.get(key)
            if line:
                return self.files.get(key, self.file), line
        return self.file, 0

    def line_of(self, path: KeyPath) -> int:
        return self.origin(path)[1]

    def location(self, path: KeyPath) -> Location:
        file, line = self.origin(path)
        return Location(file, line, render_path(path, self.data))


def render_path(path: KeyPath, data: Any = None) -> str:
    """``("apps", 2, "wave")`` as ``apps[backend].wave`` when item 2 is named, else ``apps[2]``."""
    out = ""
    node = data
    for part in path:
        if isinstance(part, int):
            label: str = str(part)
            if isinstance(node, list) and 0 <= part < len(node):
                item = node[part]
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    label = item["name"]
                node = item
            else:
                node = None
            out += f"[{label}]"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


# The tags a config node may carry: YAML's core schema, nothing that constructs objects.
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null")
)
# Plain scalars that YAML 1.1 resolves to types the config has no use for: read as the text
# written, as Kubernetes' reader does (a date stays "2024-01-01", a lone "=" stays "=").
_TEXT_TAGS = frozenset({"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"})
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
MAX_DEPTH = 100  # far deeper than any config; Python's recursion limit stays out of reach


class _Builder:
    """Plain data from a composed node graph, refusing what a config never needs: explicit
    tags, aliases (and so alias bombs and recursive aliases), and absurd nesting."""

    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.constructor = yaml.constructor.SafeConstructor()
        self.seen: dict[int, int] = {}  # id(node) -> its line: a node met twice is an alias

    def problem(self, node: yaml.Node, path: KeyPath, message: str) -> None:
        loc = Location(self.source.file, node.start_mark.line + 1, render_path(path))
        self.problems.append(Problem(loc, message))

    def build(self, node: yaml.Node, path: KeyPath, parent_line: int = 1) -> Any:
        if len(path) > MAX_DEPTH:
            self.problem(node, path[:3], f"nested deeper than {MAX_DEPTH} levels")
            return None
        if id(node) in self.seen:
            # the node is the anchored one: the alias itself is where its parent is
            loc = Location(self.source.file, parent_line, render_path(path))
            message = (
                f"a YAML alias repeats the node of line {self.seen[id(node)]}; aliases are not"
                " supported in the config, write the value out"
            )
            self.problems.append(Problem(loc, message))
            return None
        self.seen[id(node)] = node.start_mark.line + 1
        allowed = (
            _SCALAR_TAGS | _TEXT_TAGS
            if isinstance(node, yaml.ScalarNode)
            else {_MAP_TAG}
            if isinstance(node, yaml.MappingNode)
            else {_SEQ_TAG}
        )
        if node.tag not in allowed:
            self.problem(
                node,
                path,
                f"the tag {_short_tag(node.tag)} is not allowed: a config holds strings, numbers,"
                " booleans, null, lists and mappings",
            )
            return None
        self.source.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.problem(
                        key_node, path, "merge keys (<<) are not supported; write the keys out"
                    )
                    continue
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problem(key_node, path, "a key must be a plain string")
                    continue
                if key_node.tag not in _SCALAR_TAGS:
                    self.problem(key_node, path, f"a key cannot carry the tag {key_node.tag}")
                    continue
                key = self.scalar(key_node, path)
                if key is None and self.problems:
                    continue
                if not isinstance(key, str):
                    self.problem(
                        key_node,
                        path,
                        f"key {key_node.value!r} is read as {type(key).__name__}; quote it",
                    )
                    continue
                if key in out:
                    self.problem(
                        key_node,
                        (*path, key),
                        f"duplicate key {key!r} (first defined at line {first_line[key]})",
                    )
                    continue
                first_line[key] = key_node.start_mark.line + 1
                self.source.lines[(*path, key)] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, (*path, key), key_node.start_mark.line + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            line = node.start_mark.line + 1
            return [self.build(item, (*path, i), line) for i, item in enumerate(node.value)]
        return self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: KeyPath) -> Any:
        if node.tag in _TEXT_TAGS:
            return str(node.value)
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError) as exc:  # e.g. an integer of 5,000 digits
            self.problem(node, path, f"cannot read {_cut(str(node.value))!r}: {_cut(str(exc))}")
            return None


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_yaml(text: str, file: str, allow_empty: bool = False) -> SourceMap:
    """Parse one YAML document into plain data and its line map; raise ConfigError on problems.
    ``allow_empty``: a file with no document (empty, or only comments) is an empty mapping."""
    source = SourceMap(file)
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        detail = exc.problem or str(exc)
        row = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
        if mark is not None and "\t" in row[: mark.column + 1]:
            column = row.index("\t") + 1
            detail = f"a tab at column {column}: YAML indents with spaces, never tabs"
        raise ConfigError([Problem(Location(file, line), f"not valid YAML: {detail}")]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML cannot carry
        line = text.count("\n", 0, exc.position) + 1
        what = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        problem = f"not valid YAML: the character {what} is not allowed ({exc.reason})"
        raise ConfigError([Problem(Location(file, line), problem)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(Location(file), f"not valid YAML: {exc}")]) from None
    except RecursionError:  # only the pure-Python parser recurses; libyaml stops at depth 1000
        raise ConfigError([Problem(Location(file), "not valid YAML: nested too deeply")]) from None
    nodes = [n for n in nodes if n is not None]
    if not nodes and allow_empty:
        source.data = {}
        return source
    if not nodes:
        raise ConfigError([Problem(Location(file, 1), "the file is empty; expected a mapping")])
    if len(nodes) > 1:
        line = nodes[1].start_mark.line + 1
        raise ConfigError([Problem(Location(file, line), "expected one YAML document, found more")])
    builder = _Builder(source)
    data = builder.build(nodes[0], ())
    if builder.problems:
        raise ConfigError(builder.problems)
    if data is None and allow_empty:  # a document marker and nothing else
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([Problem(Location(file, 1), "the config must be a mapping of keys")])
    source.data = data
    return source


def read_yaml(path: Path, display: str | None = None, allow_empty: bool = False) -> SourceMap:
    """Read and parse ``path``; ``display`` is the name used in messages (default: as given)."""
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([Problem(Location(name), "config file not found")]) from None
    except OSError as exc:
        raise ConfigError([Problem(Location(name), f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            [
                Problem(
                    Location(name, line),
                    f"not UTF-8 text: byte 0x{raw[exc.start]:02X} at byte offset {exc.start}"
                    f" (column {column}): {exc.reason}; save the file as UTF-8",
                )
            ]
        ) from None
    return parse_yaml(text, name, allow_empty)

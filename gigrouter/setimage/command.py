"""Change one component's image in the platform config, touching only that value's text.

A round-trip YAML parser (ruamel.yaml) finds where the value is written; the file's text is then
edited at exactly that span, so comments, key order, quoting and every other line stay as they
were and ``git diff`` shows one changed line. The edited text must load and render before it
replaces the file.

With an environment, the file is that environment's overlay. When the overlay does not set the
image yet (it is inherited from the base config), the shortest key path that sets it is added
to the overlay as new lines after the last line of the deepest mapping (or list of named items)
the overlay already has on that path; a web service of ``services.items`` becomes a named item
``- name: X`` with its ``image``, which the overlay merge matches by name. Every other byte of
the overlay stays as it was.
"""

from __future__ import annotations

import copy
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gigrouter.config.load import (
    KeyPath,
    build_platform,
    did_you_mean,
    parse_yaml,
    read_yaml,
)
from gigrouter.config.overlay import load_environment, merge, overlay_path
from gigrouter.errors import ConfigError, GigrouterError, Location, Problem, UsageError
from gigrouter.model import Platform
from gigrouter.pipeline import build_trees, tree_outputs
from gigrouter.render import render
from gigrouter.types import DIGEST_LENGTHS, image, image_tag


@dataclass(frozen=True)
class SetImageResult:
    """What set_image did: ``changed`` is False when ``new`` was already the value."""

    component: str
    old: str
    new: str
    changed: bool
    key_path: str = ""
    line: int = 0
    file: str = ""  # the file edited (or, when unchanged, where the value is set)
    added: bool = False  # the key was added to an environment overlay that inherited it


def image_components(platform: Platform) -> dict[str, KeyPath]:
    """Every configured component that has an image, by name, with the key path of its image.

    A component is named by its key under ``components`` (``fluent_bit`` is ``fluent-bit``), a
    nested one by its own key (the backend's ``redis``), an item of a list by its ``name`` (a
    web service of ``services``). A name that two components share is qualified with the names
    of the components around it (``services.frontend``). The migration Job has no image of its
    own: it runs the backend's.
    """
    return {name: path for name, _, path in _components(platform)}


def _components(platform: Platform) -> list[tuple[str, str, KeyPath]]:
    """(name, qualified name, key path of the image) of every component and every workload of an
    application (``orders.orders-api``; sidecars and init containers below it) with an image."""
    found: list[tuple[tuple[str, ...], KeyPath]] = []

    def walk(model: BaseModel, chain: tuple[str, ...], path: KeyPath) -> None:
        fields = type(model).model_fields
        if "image" in fields and chain:
            found.append((chain, (*path, "image")))
        for field in fields:
            value = getattr(model, field)
            if isinstance(value, BaseModel):
                walk(value, (*chain, field.replace("_", "-")), (*path, field))
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    name = getattr(item, "name", None)
                    if isinstance(item, BaseModel) and isinstance(name, str):
                        walk(item, (*chain, name), (*path, field, index))

    walk(platform.components, (), ("components",))
    for i, app in enumerate(platform.applications):
        for j, w in enumerate(app.workloads):
            walk(w, (app.name, w.name), ("applications", i, "workloads", j))
    short = [chain[-1] for chain, _ in found]
    return [
        (chain[-1] if short.count(chain[-1]) == 1 else ".".join(chain), ".".join(chain), path)
        for chain, path in found
    ]


def set_image(
    config: Path, component: str, image_or_tag: str, env: str | None = None
) -> SetImageResult:
    """Set ``component``'s image to a full reference, or replace just its tag.

    A value without ':', '/' or '@' is a tag: it replaces the tag of the current reference
    (registry, port and repository stay; a digest is dropped, as it pins the old image).
    With ``env`` the environment's overlay is edited (the key added when the overlay does not
    set it yet), and the current value is the environment's (overlay over base).
    Raises UsageError for an unknown component or environment or an invalid reference,
    ConfigError when the config does not load or the value cannot be edited in place.
    """
    target = _target_file(config, env)
    display = str(target)
    if env is not None:
        return _set_in_overlay(config, env, target, component, image_or_tag)
    source = read_yaml(target, display)
    platform = build_platform(source)
    name, path = _component(platform, component, display)
    location = source.location(path)
    old = _get(source.data, path)
    new = _new_reference(old, image_or_tag)
    if new == old:
        return SetImageResult(name, old, new, False, location.key_path, location.line, display)
    text = _read_text(target)
    new_text = _edit(text, path, old, new, location)
    _check(new_text, source.data, path, new, display)
    _write_and_build(config, target, text, new_text)
    return SetImageResult(name, old, new, True, location.key_path, location.line, display)


def _target_file(config: Path, env: str | None) -> Path:
    """The file to edit: the base config, or the environment's overlay (a UsageError naming
    the known environments when there is none of that name)."""
    if env is not None:
        return overlay_path(config, env)
    return config


def _component(platform: Platform, component: str, display: str) -> tuple[str, KeyPath]:
    """The name and image key path of ``component``, or a UsageError listing the valid names."""
    components = image_components(platform)
    wanted = component.replace("_", "-")
    name = next((n for n, q, _ in _components(platform) if wanted in (n, q)), None)
    if name is None:
        valid = ", ".join(components) or "none"
        hint = did_you_mean(wanted, list(components))
        raise UsageError(
            [
                Problem(
                    Location(display),
                    f"no component {component!r} with an image{hint};"
                    f" components with an image: {valid}",
                )
            ]
        )
    return name, components[name]


def _write_and_build(config: Path, target: Path, text: str, new_text: str) -> None:
    """Replace ``target`` with ``new_text``; put ``text`` back when the base config and every
    environment no longer load and render."""
    _replace(target, new_text)
    try:
        build_trees(config, everything=True)  # the base config and every environment on it
    except GigrouterError:
        _replace(target, text)
        raise


# --- environment overlays -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """An item of a list of named items, by its name (its index differs between base,
    overlay and merged list)."""

    name: str


_Step = str | _Item


def _set_in_overlay(
    config: Path, env: str, target: Path, component: str, image_or_tag: str
) -> SetImageResult:
    display = str(target)
    platform = load_environment(config, env, display=str(config))
    base = read_yaml(config, str(config))
    overlay = read_yaml(target, display)
    merged = merge(base, overlay)
    name, path = _component(platform, component, display)
    old = _get(merged.data, path)
    new = _new_reference(old, image_or_tag)
    steps = _named_steps(merged.data, path)
    found, missing = _split(overlay.data, steps)
    if new == old:
        where = overlay if not missing else base
        at = found if not missing else path
        loc = where.location(at)
        return SetImageResult(name, old, new, False, loc.key_path, loc.line, loc.file)
    text = _read_text(target)
    expected = copy.deepcopy(overlay.data)
    if missing:
        new_text = _insert(text, found, missing, new, overlay.location(found))
        _add(_get(expected, found), missing, new)
    else:
        new_text = _edit(text, found, old, new, overlay.location(found))
        _get(expected, found[:-1])[found[-1]] = new
    try:
        edited = parse_yaml(new_text, display)
    except ConfigError:  # pragma: no cover - guards the text arithmetic
        edited = None
    if edited is None or edited.data != expected:  # pragma: no cover - guards the arithmetic
        raise ConfigError(
            [
                Problem(
                    overlay.location(found),
                    f"cannot add {_render_steps(steps)} to the overlay in place; add it by hand",
                )
            ]
        )
    location = edited.location(_split(edited.data, steps)[0])
    _write_and_build(config, target, text, new_text)
    after = load_environment(config, env, display=str(config))
    node: Any = after
    for part in image_components(after)[name]:
        node = node[part] if isinstance(part, int) else getattr(node, part)
    if node != new:  # pragma: no cover - the merge would have to ignore the key
        _replace(target, text)
        raise ConfigError([Problem(location, "the overlay's image does not take effect")])
    return SetImageResult(
        name, old, new, True, location.key_path, location.line, display, bool(missing)
    )


def _render_steps(steps: list[_Step]) -> str:
    out = ""
    for step in steps:
        out += f"[{step.name}]" if isinstance(step, _Item) else (f".{step}" if out else step)
    return out


def _named_steps(data: Any, path: KeyPath) -> list[_Step]:
    """``path`` of the merged data with list indexes replaced by the items' names."""
    steps: list[_Step] = []
    for part in path:
        data = data[part]
        steps.append(_Item(data["name"]) if isinstance(part, int) else part)
    return steps


def _split(data: Any, steps: list[_Step]) -> tuple[KeyPath, list[_Step]]:
    """The longest prefix of ``steps`` that ``data`` has (as a key path), and the rest."""
    found: list[str | int] = []
    for i, step in enumerate(steps):
        if isinstance(step, _Item):
            index = None
            if isinstance(data, list):
                index = next(
                    (
                        j
                        for j, item in enumerate(data)
                        if isinstance(item, dict) and item.get("name") == step.name
                    ),
                    None,
                )
            if index is None:
                return tuple(found), steps[i:]
            found.append(index)
            data = data[index]
        else:
            if not isinstance(data, dict) or step not in data:
                return tuple(found), steps[i:]
            found.append(step)
            data = data[step]
    return tuple(found), []


def _nested(steps: list[_Step], value: str) -> Any:
    """The data that ``steps`` (the first a key or an item) set to ``value`` add."""
    if not steps:
        return value
    first, rest = steps[0], steps[1:]
    if isinstance(first, _Item):
        item = {"name": first.name}
        item.update(_nested(rest, value))
        return item
    inner = _nested(rest, value)
    return {first: [inner] if rest and isinstance(rest[0], _Item) else inner}


def _add(node: Any, steps: list[_Step], value: str) -> None:
    if isinstance(steps[0], _Item):
        node.append(_nested(steps, value))
    else:
        node.update(_nested(steps, value))


def _insert(text: str, found: KeyPath, missing: list[_Step], value: str, where: Location) -> str:
    """``text`` with the keys ``missing`` (set to ``value``) added to the node at ``found``."""
    root: Node = YAML(typ="rt").compose(text)
    node = root
    for part in found:
        child = _child(node, part)
        if child is None:  # pragma: no cover - found comes from the same text
            raise ConfigError([Problem(where, "cannot find where to add the image")])
        node = child
    wants_map = isinstance(missing[0], str)
    kind_ok = isinstance(node, MappingNode if wants_map else SequenceNode)
    flow = bool(getattr(node, "flow_style", False))
    if not kind_ok or not (node.value or flow):
        raise ConfigError(
            [
                Problem(
                    where,
                    f"cannot add {_render_steps(missing)} here: expected a non-empty"
                    f" {'mapping' if wants_map else 'list of named items'}",
                )
            ]
        )
    if flow:
        return _insert_flow(text, node, missing, value, where)
    eol = "\r\n" if "\r\n" in text else "\n"
    step, offset = _indents(text, root)
    if wants_map:
        lines = _block(missing, value, node.value[0][0].start_mark.column, step, offset)
    else:
        lines = _block_item(missing, value, _dash_column(text, node.value[0]), step, offset)
    position = _after_last_line(text, node)
    added = "".join(line + eol for line in lines)
    if position == len(text) and not text.endswith("\n"):
        added = eol + added.removesuffix(eol)
    return text[:position] + added + text[position:]


def _last_leaf(node: Node) -> Node:
    while not getattr(node, "flow_style", False):
        if isinstance(node, MappingNode) and node.value:
            node = node.value[-1][1]
        elif isinstance(node, SequenceNode) and node.value:
            node = node.value[-1]
        else:
            break
    return node


def _after_last_line(text: str, node: Node) -> int:
    """The index just after the line on which the block ``node``'s last value ends."""
    leaf = _last_leaf(node)
    end: int = leaf.end_mark.index
    if leaf.end_mark.column == 0:  # a block scalar ends at the start of the next line
        return end
    newline = text.find("\n", end)
    return len(text) if newline == -1 else newline + 1


def _dash_column(text: str, item: Node) -> int:
    """The column of the ``-`` in front of a block sequence item."""
    index: int = item.start_mark.index - 1
    while index >= 0 and text[index] == " ":
        index -= 1
    column: int = item.start_mark.column
    if index >= 0 and text[index] == "-":
        return column - (int(item.start_mark.index) - index)
    return max(column - 2, 0)  # pragma: no cover - e.g. an item behind a tag or anchor


def _indents(text: str, root: Node) -> tuple[int, int]:
    """The file's indentation: of a nested mapping, and of a list under its key."""
    step: int | None = None
    offset: int | None = None
    pending = [root]
    while pending and (step is None or offset is None):
        node = pending.pop(0)
        if not isinstance(node, MappingNode) or node.flow_style:
            if isinstance(node, SequenceNode) and not node.flow_style:
                pending.extend(node.value)
            continue
        for key, value in node.value:
            column = key.start_mark.column
            block = not getattr(value, "flow_style", False) and bool(value.value)
            if step is None and block and isinstance(value, MappingNode):
                step = value.value[0][0].start_mark.column - column
            if offset is None and block and isinstance(value, SequenceNode):
                offset = _dash_column(text, value.value[0]) - column
            pending.append(value)
    step = step if step and step > 0 else 2
    return step, offset if offset is not None and offset >= 0 else step


def _block(steps: list[_Step], value: str, column: int, step: int, offset: int) -> list[str]:
    """Block-style lines setting ``steps`` (the first a key) to ``value``."""
    key, rest = str(steps[0]), steps[1:]
    pad = " " * column
    if not rest:
        return [f"{pad}{key}: {_scalar(value)}"]
    if isinstance(rest[0], _Item):
        return [f"{pad}{key}:", *_block_item(rest, value, column + offset, step, offset)]
    return [f"{pad}{key}:", *_block(rest, value, column + step, step, offset)]


def _block_item(steps: list[_Step], value: str, dash: int, step: int, offset: int) -> list[str]:
    """A new named list item (``- name: X``) with ``steps[1:]`` set to ``value``."""
    item = steps[0]
    assert isinstance(item, _Item)
    return [
        f"{' ' * dash}- name: {_scalar(item.name)}",
        *_block(steps[1:], value, dash + 2, step, offset),
    ]


def _scalar(value: str) -> str:
    """``value`` plain when it reads back as itself, else double-quoted."""
    try:
        if _plain_reads_as(value) == value:
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value)


def _flow_pair(steps: list[_Step], value: str) -> str:
    return f"{json.dumps(str(steps[0]))}: {_flow_value(steps[1:], value)}"


def _flow_value(steps: list[_Step], value: str) -> str:
    if not steps:
        return json.dumps(value)
    if isinstance(steps[0], _Item):
        return f"[{_flow_item(steps, value)}]"
    return f"{{{_flow_pair(steps, value)}}}"


def _flow_item(steps: list[_Step], value: str) -> str:
    item = steps[0]
    assert isinstance(item, _Item)
    return f'{{"name": {json.dumps(item.name)}, {_flow_pair(steps[1:], value)}}}'


def _insert_flow(text: str, node: Node, missing: list[_Step], value: str, where: Location) -> str:
    """Add to a flow mapping or sequence (JSON too), after its last entry."""
    close: int = node.end_mark.index - 1
    if text[close : close + 1] not in ("}", "]"):  # pragma: no cover - marks of flow nodes
        raise ConfigError([Problem(where, "cannot find the end of the flow collection")])
    last = close - 1
    while last >= 0 and text[last] in " \t\r\n":
        last -= 1
    item = isinstance(missing[0], _Item)
    entry = _flow_item(missing, value) if item else _flow_pair(missing, value)
    separator = {"{": "", "[": "", ",": " "}.get(text[last], ", ")
    return text[: last + 1] + separator + entry + text[last + 1 :]


def split_reference(reference: str) -> tuple[str, str, str]:
    """``registry:port/repo:tag@digest`` as (name, tag, digest); missing parts are ''."""
    rest, _, digest = reference.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        return rest[:colon], rest[colon + 1 :], digest
    return rest, "", digest


_DIGEST_LIKE = re.compile(r"^(?P<algorithm>[A-Za-z][A-Za-z0-9]*):(?P<hex>[0-9A-Fa-f]+)$")


def _new_reference(old: str, image_or_tag: str) -> str:
    """What ``IMAGE_OR_TAG`` makes of the current reference ``old``.

    ``sha256:<64 hex>`` (any registered algorithm) pins the current repository to that digest:
    ``repo@sha256:...``, the tag dropped (the digest alone decides what runs). A value with
    ':', '/' or '@' is a whole reference (``repo:tag@sha256:...`` kept as given). Anything
    else is a tag that replaces the current one.
    """
    where = Location("IMAGE_OR_TAG")
    try:
        digest = _digest(image_or_tag)
        name, _, _ = split_reference(old)
        if digest is not None:
            return image(f"{name}@{digest}")
        if any(ch in image_or_tag for ch in ":/@"):
            return image(image_or_tag)
        return image(f"{name}:{image_tag(image_or_tag)}")
    except ValueError as exc:
        raise UsageError([Problem(where, str(exc))]) from None


def _digest(value: str) -> str | None:
    """``value`` when it is a content digest; None when it is no digest at all; ValueError
    when it looks like one but cannot be (wrong length, upper case)."""
    match = _DIGEST_LIKE.fullmatch(value)
    if match is None:
        return None
    if match["algorithm"].lower() not in DIGEST_LENGTHS:
        if len(match["hex"]) < 32:
            return None  # a repository and a tag that happen to be hex, such as web:1234
        raise ValueError(
            f"{value!r} looks like a digest, but {match['algorithm']!r} is not a digest"
            f" algorithm images use ({', '.join(DIGEST_LENGTHS)}); to name a repository and a"
            " tag, give the registry too"
        )
    algorithm, hex_digits = match["algorithm"], match["hex"]
    length = DIGEST_LENGTHS[algorithm.lower()]
    if algorithm != algorithm.lower() or hex_digits != hex_digits.lower():
        raise ValueError(f"{value!r}: a digest is written in lower case")
    if len(hex_digits) != length:
        raise ValueError(
            f"{value!r} is not a {algorithm} digest: that is {length} hex digits, not"
            f" {len(hex_digits)} (a digest pins the current repository: set-image COMPONENT"
            f" {algorithm}:<{length} hex digits>)"
        )
    return value


def _get(data: Any, path: KeyPath) -> Any:
    for part in path:
        data = data[part]
    return data


def _read_text(path: Path) -> str:
    # newline="" keeps CRLF files as they are: only the value's characters change.
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def _locate(text: str, path: KeyPath, location: Location) -> ScalarNode:
    """The node of ``path`` in the round-trip parse of ``text``."""
    try:
        node: Node = YAML(typ="rt").compose(text)
    except RuamelError as exc:  # pragma: no cover - the config already parsed with PyYAML
        raise ConfigError([Problem(location, f"cannot edit in place: {exc}")]) from None
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        node = child
    else:
        if isinstance(node, ScalarNode):
            return node
    raise ConfigError([Problem(location, "cannot find the value to edit in place")])


def _child(node: Node, part: str | int) -> Node | None:
    if isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: Node = node.value[part]
        return item
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == part:
                found: Node = value
                return found
    return None


def _edit(text: str, path: KeyPath, old: str, new: str, location: Location) -> str:
    node = _locate(text, path, location)
    start, end = node.start_mark.index, node.end_mark.index
    written = text[start:end]
    style = node.style or ""
    quote = style if style in ("'", '"') else ""
    if written != f"{quote}{old}{quote}" or "\n" in written:
        raise ConfigError(
            [
                Problem(
                    location,
                    "the image is written with an anchor, alias, tag or block style, which"
                    " set-image does not edit; write it as a plain or quoted value on one line",
                )
            ]
        )
    if not quote and _plain_reads_as(new) != new:
        quote = '"'  # e.g. '1:20' reads as a sexagesimal number when plain
    return f"{text[:start]}{quote}{new}{quote}{text[end:]}"


def _plain_reads_as(value: str) -> Any:
    return yaml.safe_load(f"v: {value}\n")["v"]


def _check(new_text: str, old_data: Any, path: KeyPath, new: str, display: str) -> None:
    """The edited text must hold exactly the old data with the one new value, load and render."""
    try:
        source = parse_yaml(new_text, display)
        platform = build_platform(source)
    except ConfigError as error:
        problems = [
            Problem(p.location, f"{p.message} (after the edit; nothing was written)")
            for p in error.problems
        ]
        raise ConfigError(problems) from None
    expected = copy.deepcopy(old_data)
    node = expected
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = new
    if source.data != expected:  # pragma: no cover - guards the span arithmetic
        raise ConfigError([Problem(source.location(path), "the in-place edit went wrong")])
    render(tree_outputs(platform, Path(display).name))


def _replace(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` atomically, keeping its mode (through a symlink, if any)."""
    real = Path(os.path.realpath(target))
    fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", dir=real.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, real.stat().st_mode & 0o7777)
        os.replace(tmp, real)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError([Problem(Location(str(target)), f"cannot write: {exc}")]) from None

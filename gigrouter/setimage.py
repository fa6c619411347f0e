"""Change one component's image in the platform config, touching only that value's text.

A round-trip YAML parser (ruamel.yaml) finds where the value is written; the file's text is then
edited at exactly that span, so comments, key order, quoting and every other line stay as they
were and ``git diff`` shows one changed line. The edited text must load and render before it
replaces the file.
"""

from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gigrouter.config import (
    KeyPath,
    build_platform,
    did_you_mean,
    parse_yaml,
    read_yaml,
)
from gigrouter.errors import ConfigError, GigrouterError, Location, Problem, UsageError
from gigrouter.layout import plan
from gigrouter.model import Platform
from gigrouter.pipeline import build_trees
from gigrouter.render import render
from gigrouter.types import image, image_tag


@dataclass(frozen=True)
class SetImageResult:
    """What set_image did: ``changed`` is False when ``new`` was already the value."""

    component: str
    old: str
    new: str
    changed: bool
    key_path: str = ""
    line: int = 0


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
    """(name, qualified name, key path of the image) of every component with an image."""
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
    Raises UsageError for an unknown component or an invalid reference, ConfigError when the
    config does not load or the value cannot be edited in place.
    """
    target = _target_file(config, env)
    display = str(target)
    source = read_yaml(target, display)
    platform = build_platform(source)
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
    path = components[name]
    location = source.location(path)
    old = _get(source.data, path)
    new = _new_reference(old, image_or_tag)
    if new == old:
        return SetImageResult(name, old, new, False, location.key_path, location.line)
    text = _read_text(target)
    new_text = _edit(text, path, old, new, location)
    _check(new_text, source.data, path, new, display)
    _replace(target, new_text)
    try:
        build_trees(target, everything=True)  # the base config and every environment on it
    except GigrouterError:
        _replace(target, text)
        raise
    return SetImageResult(name, old, new, True, location.key_path, location.line)


def _target_file(config: Path, env: str | None) -> Path:
    """The file to edit: the base config. Environment overlays plug in here."""
    if env is not None:
        raise UsageError(
            [Problem(Location("--env"), "set-image does not edit environment overlays yet")]
        )
    return config


def split_reference(reference: str) -> tuple[str, str, str]:
    """``registry:port/repo:tag@digest`` as (name, tag, digest); missing parts are ''."""
    rest, _, digest = reference.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        return rest[:colon], rest[colon + 1 :], digest
    return rest, "", digest


def _new_reference(old: str, image_or_tag: str) -> str:
    where = Location("IMAGE_OR_TAG")
    try:
        if any(ch in image_or_tag for ch in ":/@"):
            return image(image_or_tag)
        name, _, _ = split_reference(old)
        return image(f"{name}:{image_tag(image_or_tag)}")
    except ValueError as exc:
        raise UsageError([Problem(where, str(exc))]) from None


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
    render(plan(platform, Path(display).name))


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

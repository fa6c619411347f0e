"""Environments: ``environments/<name>.yaml`` beside the config overlays the base config.

Maps merge, lists of named items merge by ``name``, other lists (and scalars) replace. The
merged document keeps, for every key, the file and line it came from, so a model error in an
overlay points at the overlay.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gigrouter.config import KeyPath, SourceMap, build_platform, read_yaml
from gigrouter.errors import ConfigError, Location, Problem, UsageError
from gigrouter.model import Platform

ENVIRONMENTS_DIR = "environments"
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def environments_dir(config: Path) -> Path:
    return config.parent / ENVIRONMENTS_DIR


def environment_names(config: Path) -> list[str]:
    """The environments defined beside ``config``, sorted; bad file names are config errors."""
    folder = environments_dir(config)
    if not folder.is_dir():
        return []
    names = []
    problems = []
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        if not _NAME.fullmatch(path.stem) or len(path.stem) > 40:
            problems.append(
                Problem(
                    Location(str(path)),
                    "an environment file name must be a short DNS label, like staging.yaml",
                )
            )
            continue
        names.append(path.stem)
    if problems:
        raise ConfigError(problems)
    if len(set(names)) != len(names):
        raise ConfigError(
            [Problem(Location(str(folder)), "an environment is defined by both .yaml and .yml")]
        )
    return names


def overlay_path(config: Path, name: str) -> Path:
    folder = environments_dir(config)
    for suffix in (".yaml", ".yml"):
        if (folder / f"{name}{suffix}").is_file():
            return folder / f"{name}{suffix}"
    known = environment_names(config)
    hint = f"; known: {', '.join(known)}" if known else f"; none is defined in {folder}"
    raise UsageError([Problem(Location("--env"), f"no environment named {name!r}{hint}")])


def _named(items: Any) -> bool:
    return isinstance(items, list) and all(
        isinstance(i, dict) and isinstance(i.get("name"), str) for i in items
    )


class _Merger:
    def __init__(self, base: SourceMap, overlay: SourceMap) -> None:
        self.base = base
        self.overlay = overlay
        self.out = SourceMap(base.file)
        self.problems: list[Problem] = []

    def record(self, source: SourceMap, src: KeyPath, dst: KeyPath) -> None:
        if src in source.lines:
            self.out.lines[dst] = source.lines[src]
            if source is self.overlay:
                self.out.files[dst] = self.overlay.file

    def copy(self, source: SourceMap, value: Any, src: KeyPath, dst: KeyPath) -> Any:
        self.record(source, src, dst)
        if isinstance(value, dict):
            return {k: self.copy(source, v, (*src, k), (*dst, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.copy(source, v, (*src, i), (*dst, i)) for i, v in enumerate(value)]
        return value

    def merge(self, b: Any, o: Any, bpath: KeyPath, opath: KeyPath, dst: KeyPath) -> Any:
        if isinstance(b, dict) and isinstance(o, dict):
            self.record(self.base, bpath, dst)
            self.record(self.overlay, opath, dst)
            out: dict[str, Any] = {}
            for key, value in b.items():
                if key in o:
                    out[key] = self.merge(value, o[key], (*bpath, key), (*opath, key), (*dst, key))
                else:
                    out[key] = self.copy(self.base, value, (*bpath, key), (*dst, key))
            for key, value in o.items():
                if key not in b:
                    out[key] = self.copy(self.overlay, value, (*opath, key), (*dst, key))
            return out
        if _named(b) and _named(o):
            self.record(self.base, bpath, dst)
            self.record(self.overlay, opath, dst)
            merged: list[Any] = [
                self.copy(self.base, item, (*bpath, i), (*dst, i)) for i, item in enumerate(b)
            ]
            position = {item["name"]: i for i, item in enumerate(b)}
            seen: dict[str, int] = {}  # overlay item names -> their first index
            for j, item in enumerate(o):
                if item["name"] in seen:
                    # Merging both would silently keep one; say which two collide instead.
                    first = self.overlay.line_of((*opath, seen[item["name"]]))
                    self.problems.append(
                        Problem(
                            self.overlay.location((*opath, j)),
                            f"{item['name']!r} is listed twice in this overlay"
                            f" (first at line {first})",
                        )
                    )
                    continue
                seen[item["name"]] = j
                i = position.get(item["name"])
                if i is None:
                    position[item["name"]] = len(merged)
                    merged.append(self.copy(self.overlay, item, (*opath, j), (*dst, len(merged))))
                else:
                    merged[i] = self.merge(b[i], item, (*bpath, i), (*opath, j), (*dst, i))
            return merged
        return self.copy(self.overlay, o, opath, dst)


def merge(base: SourceMap, overlay: SourceMap) -> SourceMap:
    """The overlay applied to the base, with every key's origin."""
    merger = _Merger(base, overlay)
    merger.out.data = merger.merge(base.data, overlay.data, (), (), ())
    if merger.problems:
        raise ConfigError(merger.problems)
    merger.out.lines[()] = base.lines.get((), 1)
    return merger.out


def load_environment(config: Path, name: str, display: str | None = None) -> Platform:
    """The platform of environment ``name``: the base config with its overlay applied."""
    path = overlay_path(config, name)
    base = read_yaml(config, display)
    overlay_display = str(Path(display).parent / ENVIRONMENTS_DIR / path.name) if display else None
    overlay = read_yaml(path, overlay_display, allow_empty=True)  # empty: equal to the base
    overlay.data.pop("$schema", None)
    gitops = overlay.data.get("gitops")
    merged = merge(base, overlay)
    if not (isinstance(gitops, dict) and "path" in gitops):
        # By default an environment's tree lives in environments/<name>/ of the same repo.
        base_gitops = merged.data.setdefault("gitops", {})
        if isinstance(base_gitops, dict):
            prefix = str(base_gitops.get("path") or "").strip("/")
            base_gitops["path"] = "/".join(p for p in (prefix, ENVIRONMENTS_DIR, name) if p)
    return build_platform(merged)

"""Environments: ``environments/<name>.yaml`` beside the config overlays the base config.

Maps merge, lists of named items merge by ``name``, other lists (and scalars) replace. The
merged document keeps, for every key, the file and line it came from, so a model error in an
overlay points at the overlay.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gigrouter.config.load import KeyPath, SourceMap, build_platform, read_yaml, render_path
from gigrouter.errors import ConfigError, Location, Problem, UsageError
from gigrouter.model import Platform, did_you_mean

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
        self.warnings: list[Problem] = []  # overlay items that the base list does not have

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
                    # Added, as it may be meant; but a typo of a base name would add an item
                    # silently instead of changing one, so say so.
                    hint = did_you_mean(item["name"], {str(x["name"]) for x in b})
                    self.warnings.append(
                        Problem(
                            self.overlay.location((*opath, j)),
                            f"{item['name']!r} is not in the base list"
                            f" {render_path(bpath, self.base.data) or '(top level)'}, so this"
                            f" overlay adds it{hint}",
                        )
                    )
                    position[item["name"]] = len(merged)
                    merged.append(self.copy(self.overlay, item, (*opath, j), (*dst, len(merged))))
                else:
                    merged[i] = self.merge(b[i], item, (*bpath, i), (*opath, j), (*dst, i))
            return merged
        return self.copy(self.overlay, o, opath, dst)


def merge(base: SourceMap, overlay: SourceMap, warnings: list[Problem] | None = None) -> SourceMap:
    """The overlay applied to the base, with every key's origin. ``warnings`` receives the
    overlay items that a list of named items of the base does not have (added all the same)."""
    merger = _Merger(base, overlay)
    merger.out.data = merger.merge(base.data, overlay.data, (), (), ())
    if merger.problems:
        raise ConfigError(merger.problems)
    if warnings is not None:
        warnings.extend(merger.warnings)
    merger.out.lines[()] = base.lines.get((), 1)
    return merger.out


def load_environment(config: Path, name: str, display: str | None = None) -> Platform:
    """The platform of environment ``name``: the base config with its overlay applied."""
    return read_environment(config, name, display)[0]


def read_environment(
    config: Path, name: str, display: str | None = None
) -> tuple[Platform, list[Problem]]:
    """The platform of environment ``name`` and the overlay's warnings (items it adds to a
    named list of the base, which may be typos)."""
    platform, warnings, _ = read_environment_source(config, name, display)
    return platform, warnings


def read_environment_source(
    config: Path, name: str, display: str | None = None
) -> tuple[Platform, list[Problem], SourceMap]:
    """``read_environment`` and the merged source map (a key the overlay sets points at the
    overlay's file and line)."""
    path = overlay_path(config, name)
    base = read_yaml(config, display)
    overlay_display = str(Path(display).parent / ENVIRONMENTS_DIR / path.name) if display else None
    overlay = read_yaml(path, overlay_display, allow_empty=True)  # empty: equal to the base
    overlay.data.pop("$schema", None)
    suffix = _namespace_suffix(overlay)
    gitops = overlay.data.get("gitops")
    warnings: list[Problem] = []
    merged = merge(base, overlay, warnings)
    if suffix:
        merged.data = suffix_namespaces(merged.data, suffix)
    if not (isinstance(gitops, dict) and "path" in gitops):
        # By default an environment's tree lives in environments/<name>/ of the same repo.
        base_gitops = merged.data.setdefault("gitops", {})
        if isinstance(base_gitops, dict):
            prefix = str(base_gitops.get("path") or "").strip("/")
            base_gitops["path"] = "/".join(p for p in (prefix, ENVIRONMENTS_DIR, name) if p)
    try:
        platform = build_platform(merged)
    except ConfigError as error:
        # An item the overlay adds by a misspelt name lacks the base's required keys: the
        # errors about it make sense only with the "did you mean", so it comes along.
        notes = [Problem(w.location, f"note: {w.message}") for w in warnings]
        raise ConfigError([*error.problems, *notes]) from None
    return platform, warnings, merged


NAMESPACE_SUFFIX = "namespace_suffix"


def _namespace_suffix(overlay: SourceMap) -> str:
    """The overlay's ``namespace_suffix`` (removed from its data), '' without one."""
    if NAMESPACE_SUFFIX not in overlay.data:
        return ""
    value = overlay.data.pop(NAMESPACE_SUFFIX)
    if isinstance(value, str) and _NAME.fullmatch(value) and len(value) <= 40:
        return value
    raise ConfigError(
        [
            Problem(
                overlay.location((NAMESPACE_SUFFIX,)),
                f"{value!r} is not a namespace suffix: a short DNS label such as 'staging',"
                " appended as '-staging' to every application's namespace",
            )
        ]
    )


# Not rewritten: the Argo CD block (where the Application objects live, not where they deploy)
# and chart values, which reach the chart as written.
_KEEP_NAMESPACES_UNDER = frozenset({"argocd", "helm"})


def suffix_namespaces(data: Any, suffix: str) -> Any:
    """``data`` with "-<suffix>" appended to every application's namespace and to every
    reference to one of those namespaces (``namespace`` keys, lists under ``*namespaces`` keys),
    so an environment on the base's cluster deploys beside it, not over it."""
    apps = data.get("applications") if isinstance(data, dict) else None
    owned = {
        a["namespace"]
        for a in (apps if isinstance(apps, list) else [])
        if isinstance(a, dict) and isinstance(a.get("namespace"), str)
    }

    def moved(value: Any) -> Any:
        return f"{value}-{suffix}" if isinstance(value, str) and value in owned else value

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _KEEP_NAMESPACES_UNDER:
                out[key] = value
            elif key == "namespace":
                out[key] = moved(value)
            elif key.endswith("namespaces") and isinstance(value, list):
                out[key] = [moved(v) for v in value]
            else:
                out[key] = walk(value)
        return out

    return walk(data)

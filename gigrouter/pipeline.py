"""The commands as plain functions: config -> model -> layout -> render -> (validate) -> write.

``cli.py`` calls these and turns their results into output and exit codes; tests call them
directly.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gigrouter.config import load_platform
from gigrouter.docs import pages
from gigrouter.errors import ValidationFailed
from gigrouter.layout import METADATA_FILE, Output, TreeSettings, header, metadata, outputs
from gigrouter.layout.appsets import application_sets
from gigrouter.model import Platform
from gigrouter.overlay import ENVIRONMENTS_DIR, environment_names, load_environment, overlay_path
from gigrouter.render import RenderedTree, render
from gigrouter.validate.context import Options
from gigrouter.validate.findings import Report
from gigrouter.validate.runner import validate_memory
from gigrouter.validate.tree import MemoryFiles
from gigrouter.write import Drift, compare, ensure_replaceable, write_tree


@dataclass(frozen=True)
class RenderResult:
    platform: Platform
    tree: RenderedTree
    drift: Drift
    written: bool
    report: Report


@dataclass(frozen=True)
class Built:
    """One rendered tree: the base platform (environment None) or one environment."""

    environment: str | None
    platform: Platform
    tree: RenderedTree

    @property
    def prefix(self) -> str:
        """Where the tree goes inside out/."""
        return f"{ENVIRONMENTS_DIR}/{self.environment}/" if self.environment else ""


def load_all(config: Path) -> dict[str | None, Platform]:
    """The base platform (key None) and every environment's, loaded and checked."""
    platforms: dict[str | None, Platform] = {None: load_platform(config, display=_display(config))}
    for name in environment_names(config):
        platforms[name] = load_environment(config, name, display=_display(config))
    return platforms


def _prefix(platforms: dict[str | None, Platform], env: str | None) -> str:
    """Environments sharing an Argo CD instance with another tree get prefixed app names."""
    if env is None:
        return ""
    instance = platforms[env].argocd.instance
    shared = any(p.argocd.instance == instance for k, p in platforms.items() if k != env)
    return f"{env}-" if shared else ""


def _settings(
    platforms: dict[str | None, Platform], env: str | None, config_name: str
) -> TreeSettings:
    extra = (ENVIRONMENTS_DIR,) if env is None and len(platforms) > 1 else ()
    # The base tree's README lists the environment trees beside it.
    envs = tuple(k for k in platforms if k is not None) if env is None else ()
    if platforms[None].argocd.applicationsets is None:
        return TreeSettings(env, _prefix(platforms, env), extra, environments=envs)
    # ApplicationSet mode: the base tree's argocd/ holds one ApplicationSet per application;
    # environment trees carry only their manifests.
    if env is not None:
        return TreeSettings(env, _prefix(platforms, env), extra, applications="none")
    plain = {k: TreeSettings(k, _prefix(platforms, k)) for k in platforms}
    sets = tuple(application_sets(platforms, plain, config_name))
    return TreeSettings(None, "", extra, applications="sets", extra_outputs=sets, environments=envs)


def tree_outputs(
    platform: Platform, config_name: str = "platform.yaml", settings: TreeSettings | None = None
) -> list[Output]:
    """Every file of one rendered tree, in a stable order: layout's manifests, the docs pages
    about them and the metadata file."""
    settings = settings or TreeSettings()
    head = header(config_name)
    manifests = outputs(platform, config_name, settings)
    found = manifests + pages(platform, settings, head, manifests)
    meta = metadata(platform, found, settings)
    found.append(Output(METADATA_FILE, None, documents=(meta,), header=head))
    return sorted(found, key=lambda o: o.path)


def build_trees(config: Path, env: str | None = None, everything: bool = False) -> list[Built]:
    """Render in memory: the base tree (env None), one environment, or with ``everything`` the
    base and every environment."""
    if env is not None:
        overlay_path(config, env)  # a clear error for an unknown name, before anything else
    platforms = load_all(config)
    names: list[str | None] = list(platforms) if everything else [env]
    return [
        Built(
            name,
            platforms[name],
            render(
                tree_outputs(platforms[name], config.name, _settings(platforms, name, config.name))
            ),
        )
        for name in names
    ]


def build(config: Path, env: str | None = None) -> tuple[Platform, RenderedTree]:
    """Load the config (or one environment of it) and render that tree in memory."""
    (built,) = build_trees(config, env)
    return built.platform, built.tree


def combine(trees: list[Built]) -> RenderedTree:
    """One tree holding each environment's under environments/<name>/."""
    files: dict[str, str] = {}
    documents: dict[str, list[Any]] = {}
    for built in trees:
        files.update({built.prefix + path: text for path, text in built.tree.files.items()})
        documents.update({built.prefix + p: d for p, d in built.tree.documents.items()})
    return RenderedTree(dict(sorted(files.items())), documents)


def render_to(
    config: Path,
    out: Path,
    check: bool = False,
    options: Options | None = None,
    env: str | None = None,
) -> RenderResult:
    """Render ``config`` into ``out`` (atomically), or with ``check`` only compare.

    Without ``env``, out/ receives the base platform and every environment under
    environments/<name>/; with ``env``, only that environment's tree, in
    out/environments/<name>/. The tree is validated before it replaces the target; with
    errors nothing is written and ValidationFailed carries the report.
    """
    # Every run writing into this out/ (the whole of it, or one environment's tree inside it)
    # holds the same lock: the one of out/'s parent.
    lock = Path(os.path.abspath(out)).parent
    if env is not None:
        (built,) = build_trees(config, env)
        out = out / built.prefix.rstrip("/")
        platform, tree = built.platform, built.tree
    else:
        trees = build_trees(config, everything=True)
        platform, tree = trees[0].platform, combine(trees)
    if not check:
        ensure_replaceable(out)
    # The tree is validated as it will be written (the documents the render parsed, with the
    # text for line numbers), before anything touches the disk.
    report = validate_memory(MemoryFiles(tree.files, tree.documents), options)
    if report.errors:
        raise ValidationFailed(report, report.errors)
    if check:
        with tempfile.TemporaryDirectory(prefix="gigrouter-check-") as scratch:
            # The check renders to a real temporary tree, as a write would, then compares.
            write_tree(tree, Path(scratch) / "tree")
            return RenderResult(platform, tree, compare(tree, out), False, report)
    drift = write_tree(tree, out, lock=lock)
    return RenderResult(platform, tree, drift, True, report)


def schema_json() -> str:
    """The JSON Schema of the platform config, as written to config/platform.schema.json."""
    schema = Platform.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "gigrouter platform config"
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _display(config: Path) -> str:
    """The config path as the user gave it, for messages."""
    return str(config)

"""The commands as plain functions: config -> model -> layout -> render -> (validate) -> write.

``cli.py`` calls these and turns their results into output and exit codes; tests call them
directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from gigrouter import provenance, safeyaml
from gigrouter.config.load import SourceMap, build_platform, read_yaml
from gigrouter.config.overlay import (
    ENVIRONMENTS_DIR,
    NAMESPACE_SUFFIX,
    environment_names,
    overlay_path,
    read_environment_source,
)
from gigrouter.config.passthrough import repo_files
from gigrouter.docs import pages
from gigrouter.errors import ConfigError, Location, Problem, ValidationFailed
from gigrouter.helm import CHART_CRD_GROUPS, CHART_CRD_SWITCHES, CLUSTER_CONTROLLERS
from gigrouter.layout import (
    METADATA_FILE,
    Output,
    TreeSettings,
    header,
    metadata,
    outputs,
    registry,
)
from gigrouter.layout.appsets import application_sets
from gigrouter.model import Application, Platform
from gigrouter.ownership import collisions, destination_cluster
from gigrouter.render import RenderedTree, render
from gigrouter.validate.context import Options
from gigrouter.validate.findings import Finding, Report, Severity
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
    # What loading the config found worth saying that is not an error (overlay items that the
    # base does not have).
    warnings: tuple[Problem, ...] = field(default=(), compare=False)
    # The source map it was built from (an environment's merged one): the lines of its
    # provenance, which the tree does not write.
    source: SourceMap | None = field(default=None, compare=False)

    @property
    def prefix(self) -> str:
        """Where the tree goes inside out/."""
        return f"{ENVIRONMENTS_DIR}/{self.environment}/" if self.environment else ""


def load_all(config: Path) -> dict[str | None, Platform]:
    """The base platform (key None) and every environment's, loaded and checked."""
    return _load_all(config)[0]


def _load_all(
    config: Path,
) -> tuple[
    dict[str | None, Platform], dict[str | None, list[Problem]], dict[str | None, SourceMap]
]:
    """``load_all``, each platform's warnings and its source map (an environment's merged)."""
    sources: dict[str | None, SourceMap] = {None: read_yaml(config, _display(config))}
    platforms: dict[str | None, Platform] = {None: build_platform(sources[None])}
    warnings: dict[str | None, list[Problem]] = {None: []}
    for name in environment_names(config):
        platforms[name], warnings[name], sources[name] = read_environment_source(
            config, name, _display(config)
        )
    return platforms, warnings, sources


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
    parts = registry.parts(platform)  # built once: layout writes the files, docs the rows
    manifests = outputs(platform, config_name, settings, parts)
    found = manifests + pages(platform, settings, head, manifests, parts)
    meta = metadata(platform, found, settings)
    found.append(Output(METADATA_FILE, None, documents=(meta,), header=head))
    return sorted(found, key=lambda o: o.path)


def build_trees(config: Path, env: str | None = None, everything: bool = False) -> list[Built]:
    """Render in memory: the base tree (env None), one environment, or with ``everything`` the
    base and every environment."""
    if env is not None:
        overlay_path(config, env)  # a clear error for an unknown name, before anything else
    platforms, warnings, sources = _load_all(config)
    names: list[str | None] = list(platforms) if everything else [env]
    built = []
    for name in names:
        settings = replace(
            _settings(platforms, name, config.name),
            copied=repo_files(platforms[name], config, _display(config), name),
        )
        tree = render(tree_outputs(platforms[name], config.name, settings))
        tree = _with_provenance(tree, config, platforms[name], sources[name], settings)
        built.append(Built(name, platforms[name], tree, tuple(warnings[name]), sources[name]))
    return built


def _with_provenance(
    tree: RenderedTree,
    config: Path,
    platform: Platform,
    source: SourceMap,
    settings: TreeSettings,
) -> RenderedTree:
    """``tree`` with its metadata file's ``provenance:`` section: the config key of each
    object (and of the fields a key sets) the render holds."""
    found = provenance.build_section(
        platform,
        source,
        tree.documents,
        provenance.shown_files(config, source),
        settings.app_prefix,
    )
    (meta,) = tree.documents[METADATA_FILE]
    meta = provenance.with_section(meta, found)
    files = dict(tree.files)
    files[METADATA_FILE] = provenance.dump_metadata(meta, header(config.name))
    return RenderedTree(files, {**tree.documents, METADATA_FILE: [meta]})


def check_collisions(config: Path, trees: list[Built]) -> None:
    """Refuse trees that would own the same objects on one cluster: a ConfigError at the
    overlay of the later tree, naming the objects and both trees."""
    problems = []
    named = [(_tree_name(b.environment), b.platform, b.tree) for b in trees]
    by_name = {_tree_name(b.environment): b.environment for b in trees}
    for found in collisions(named):
        env = by_name[found.second]
        assert env is not None  # the base tree comes first, so the later one is an environment
        shown = ", ".join(str(o) for o in found.objects[:_SHOWN])
        more = len(found.objects) - _SHOWN
        if more > 0:
            shown += f" and {more} more"
        advice = (
            f"Give environment {env!r} its own cluster (argocd.destination_server or"
            f" argocd.destination_name) or namespaces of its own ({NAMESPACE_SUFFIX}: {env})"
        )
        apps = sorted({o.application for o in found.objects if o.application})
        if apps and all(o.namespace == "" for o in found.objects):
            items = _disabling(apps)
            them = "them" if len(found.objects) != 1 else "it"
            advice = (
                f"Cluster-scoped objects have no namespace, so namespaces of its own do not move"
                f" {them}: give environment {env!r} its own cluster (argocd.destination_server or"
                f" argocd.destination_name), or deploy {them} from one tree only (in this"
                f" overlay, applications: [{items}])"
            )
        problems.append(
            Problem(
                _overlay_location(config, env),
                f"{found.first} and {found.second} would both deploy to {found.cluster.label}"
                f" and own the same {len(found.objects)} object"
                f"{'s' if len(found.objects) != 1 else ''}: {shown}. {advice}",
            )
        )
    if problems:
        raise ConfigError(problems)


_SHOWN = 12  # objects named in a collision message


def _disabling(apps: list[str]) -> str:
    """The overlay items that disable ``apps``, as a message shows them."""
    return ", ".join(f"{{name: {name}, enabled: false}}" for name in apps)


CHART_TWICE = "chart-installed-twice"


@dataclass
class _Releases:
    """One tree's releases of one chart on one cluster: the applications by what they bring
    that a second copy on the cluster would share (``crds``, or ``controller`` with the value
    that sets its releases apart)."""

    chart: str
    roles: dict[str, list[str]] = field(default_factory=dict)
    groups: tuple[str, ...] = ()


def chart_warnings(config: Path, trees: list[Built]) -> list[Finding]:
    """A chart released by two trees on one cluster (an environment on the base's cluster with
    a ``namespace_suffix``) that the releases would share: its CRDs, which are cluster-scoped
    (a known chart, or ``helm.crd_groups``, when the release installs them: see
    ``_installs_crds``), or its controller,
    which watches every namespace (:data:`~gigrouter.helm.CLUSTER_CONTROLLERS`), so both
    releases reconcile the same objects. One warning per chart and later tree, at its
    overlay, saying what to do."""
    first: dict[tuple[tuple[str, ...], str], dict[str, str]] = {}
    found: list[Finding] = []
    for built in trees:
        cluster = destination_cluster(built.platform.argocd)
        mine: dict[tuple[tuple[str, ...], str], _Releases] = {}
        for app in built.platform.active_applications():
            helm = app.helm
            if helm is None:
                continue
            key = (cluster.key, f"{helm.repo_url} {helm.chart}")
            releases = mine.setdefault(key, _Releases(helm.chart))
            groups = tuple(helm.crd_groups) or CHART_CRD_GROUPS.get(helm.chart, ())
            if groups and _installs_crds(built, app):
                releases.roles.setdefault("crds", []).append(app.name)
                releases.groups = releases.groups or groups
            for role in _controller_roles(built, app):
                releases.roles.setdefault(role, []).append(app.name)
        twice: list[tuple[_Releases, list[str], dict[str, str]]] = []
        for key, releases in mine.items():
            before = first.setdefault(key, {})
            shared = [role for role in releases.roles if role in before]
            if shared and built.environment is not None:
                twice.append((releases, shared, dict(before)))
            for role in releases.roles:
                before.setdefault(role, _tree_name(built.environment))
        # Every application this overlay is told to disable, so that no warning tells it to
        # drop from a depends_on an application another warning disables anyway.
        disabled = {
            name
            for releases, shared, _ in twice
            if any(role != "crds" for role in shared)  # a CRDs-only warning disables nothing
            for role in shared
            for name in releases.roles[role]
        }
        for releases, shared, before in twice:
            found.append(
                _chart_twice(config, built, cluster.label, releases, shared, before, disabled)
            )
    return found


def _installs_crds(built: Built, app: Application) -> bool:
    """Whether the release installs its chart's CRDs: a chart whose CRDs are templates decides
    by its values (``CHART_CRD_SWITCHES``), any other unless ``helm.skip_crds``."""
    assert app.helm is not None
    switch = CHART_CRD_SWITCHES.get(app.helm.chart)
    if switch is None:
        return not app.helm.skip_crds
    keys, default = switch
    for key in keys:
        value = _helm_value(built, app, key)
        if isinstance(value, bool):
            return value
    return default


def _controller_roles(built: Built, app: Application) -> list[str]:
    """What a second release of a cluster-wide controller would share with this one: ``controller``,
    or, for a chart whose releases can be set apart, each value that must differ
    (``controller <key>=<value>``, ``controller release=<name>``); none when the chart runs no
    such controller or its values turn it off."""
    assert app.helm is not None
    facts = CLUSTER_CONTROLLERS.get(app.helm.chart)
    if facts is None:
        return []
    if facts.off and _helm_value(built, app, facts.off) is False:
        return []
    if not facts.apart:
        return ["controller"]
    roles = []
    for keys, default in facts.apart:
        value = _helm_value(built, app, keys)
        shown = value if isinstance(value, str) and value else default
        roles.append(f"controller {'.'.join(keys)}={shown}")
    if facts.release_named:
        roles.append(f"controller release={app.helm.release_name or app.name}")
    return roles


_UNSET = object()


def _helm_value(built: Built, app: Application, keys: tuple[str, ...]) -> Any:
    """The value of ``keys`` in the release's values, as Argo CD passes them: ``parameters``
    over inline ``values`` over the values file in the tree; None when no source sets it."""
    assert app.helm is not None
    dotted = ".".join(keys)
    if dotted in app.helm.parameters:
        given = app.helm.parameters[dotted]
        return {"true": True, "false": False}.get(given.strip().lower(), given)
    sources: list[Any] = [app.helm.values]
    if app.helm.values_in_repo or app.helm.values_file is not None:
        assert app.path is not None  # the model requires it
        documents = built.tree.documents.get(app.path.rstrip("/") + "/values.yaml")
        if documents:
            sources.append(documents[0])
        else:
            text = built.tree.files.get(app.path.rstrip("/") + "/values.yaml")
            if text is not None:
                with contextlib.suppress(yaml.YAMLError):  # validate reports the file
                    sources.append(safeyaml.load(text))
    for source in sources:
        node: Any = source
        for key in keys:
            node = node.get(key, _UNSET) if isinstance(node, dict) else _UNSET
        if node is not _UNSET:
            return node
    return None


def _chart_twice(
    config: Path,
    built: Built,
    cluster: str,
    releases: _Releases,
    shared: list[str],
    before: dict[str, str],
    also_disabled: set[str],
) -> Finding:
    """The warning for one chart that a later tree releases on a cluster where ``before``
    (role -> tree) already does: what the two releases would share, and what to do
    (``also_disabled``: the applications the overlay's other warnings disable)."""
    assert built.environment is not None
    where = _overlay_location(config, built.environment)
    apps = sorted({name for role in shared for name in releases.roles[role]})
    names = ", ".join(f"applications[{name}]" for name in apps)
    other = before[shared[0]]
    controllers = [role for role in shared if role != "crds"]
    switch = CHART_CRD_SWITCHES.get(releases.chart)
    text = f"{names}: chart {releases.chart!r} is also installed by {other} on {cluster}"
    if not controllers:
        return Finding(
            Severity.WARNING,
            CHART_TWICE,
            f"{text}; its CRDs ({', '.join(releases.groups)}) are cluster-scoped, so two"
            f" Applications would own them: set {_crds_off(switch)} for it in this overlay (the"
            " other release's CRDs serve both), or give the environment a cluster of its own",
            where.file,
            where.line,
        )
    facts = CLUSTER_CONTROLLERS[releases.chart]
    apart = own = ""
    if facts.apart:
        key, _, value = controllers[0].partition(" ")[2].partition("=")
        what = "release name" if key == "release" else key
        apart = f" with the same {what} ({value!r})"
        keys = [".".join(k) for k, _ in facts.apart]
        if facts.release_named:
            keys.append("helm.release_name")
        own = f", or set this release apart: {', '.join(keys)} of its own in this overlay"
    crds = ""
    if "crds" in shared:
        crds = f"; its CRDs ({', '.join(releases.groups)}) are cluster-scoped too"
    disabled = set(apps)
    dependents = sorted(
        a.name
        for a in built.platform.active_applications()
        if a.name not in disabled | also_disabled and disabled & set(a.depends_on)
    )
    items = _disabling(sorted(disabled))
    then = ""
    if dependents:
        then = (
            f", and drop {'them' if len(disabled) > 1 else 'it'} from the depends_on of"
            f" {', '.join(map(repr, dependents))}: render refuses a dependency on a disabled"
            " application"
        )
    return Finding(
        Severity.WARNING,
        CHART_TWICE,
        f"{text}{apart}. Its controller watches {facts.reconciles}, so two releases on one"
        " cluster reconcile the same objects, whatever their namespaces and helm.skip_crds"
        f"{crds}. Disable it in this overlay (applications: [{items}]{then}) so the release"
        f" of {other} serves both trees{own}, or give the environment a cluster of its own"
        " (argocd.destination_server or argocd.destination_name)",
        where.file,
        where.line,
    )


def _tree_name(env: str | None) -> str:
    return f"environment {env!r}" if env is not None else "the base platform"


def _overlay_location(config: Path, env: str) -> Location:
    """The overlay of ``env``, at its destination keys when it has them."""
    path = overlay_path(config, env)
    shown = str(Path(_display(config)).parent / ENVIRONMENTS_DIR / path.name)
    source = read_yaml(path, shown, allow_empty=True)
    for key in (NAMESPACE_SUFFIX, "argocd"):
        if (key,) in source.lines:
            return Location(shown, source.lines[(key,)], key)
    return Location(shown, 1)


def load_warnings(trees: list[Built]) -> list[Finding]:
    """The trees' load warnings as findings of a report (file and line of the config)."""
    return [
        Finding(
            Severity.WARNING,
            "overlay-new-item",
            f"{w.location.key_path}: {w.message}" if w.location.key_path else w.message,
            w.location.file,
            w.location.line,
        )
        for b in trees
        for w in b.warnings
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
        overlay_path(config, env)  # a clear error for an unknown name, before anything else
    # Every tree is built, also for one environment's: it must not collide with the others.
    trees = build_trees(config, everything=True)
    check_collisions(config, trees)
    if env is not None:
        (built,) = [b for b in trees if b.environment == env]
        out = out / built.prefix.rstrip("/")
        platform, tree, mine = built.platform, built.tree, [built]
        del built
    else:
        platform, tree, mine = trees[0].platform, combine(trees), trees
    if not check:
        ensure_replaceable(out)
    # The tree is validated as it will be written (the documents the render parsed, with the
    # text for line numbers), before anything touches the disk.
    lines = provenance.source_lines(config, [b.source for b in mine if b.source is not None])
    report = validate_memory(MemoryFiles(tree.files, tree.documents), options, lines=lines)
    report.findings.extend(load_warnings(mine))
    report.findings.extend(chart_warnings(config, trees))
    if report.errors:
        raise ValidationFailed(report, report.errors)
    # The parsed documents were validation's: only the text is written, and the write's reads
    # of the old tree reuse their memory (the peak of a large render).
    tree = RenderedTree(tree.files)
    trees.clear()
    mine.clear()
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


def environment_schema_json() -> str:
    """The JSON Schema of an environment overlay, as written to config/environment.schema.json:
    the platform's with nothing required (an overlay gives only what differs; a named list
    item only its ``name`` and what changes), unknown keys still refused, plus the overlay's
    own ``namespace_suffix``."""
    schema = _without_required(Platform.model_json_schema())
    schema["properties"][NAMESPACE_SUFFIX] = {
        "description": (
            "Appended as '-<suffix>' to every application's namespace (and to the references"
            " to those namespaces), so the environment can share the base's cluster"
        ),
        "maxLength": 40,
        "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        "title": "Namespace Suffix",
        "type": "string",
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "gigrouter environment overlay"
    schema["description"] = (
        "An environment overlay (config/environments/NAME.yaml): maps merge into the platform"
        " config, lists of named items merge by name, other lists replace."
    )
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _without_required(node: Any) -> Any:
    """A JSON Schema with every ``required`` list removed, at every depth (a property that is
    itself named "required" is a schema, not a list, and stays)."""
    if isinstance(node, dict):
        return {
            key: _without_required(value)
            for key, value in node.items()
            if not (key == "required" and isinstance(value, list))
        }
    if isinstance(node, list):
        return [_without_required(item) for item in node]
    return node


def _display(config: Path) -> str:
    """The config path as the user gave it, for messages."""
    return str(config)


def _crds_off(switch: tuple[tuple[tuple[str, ...], ...], bool] | None) -> str:
    """How an overlay keeps a release's CRDs out: the chart's values switch, else skip_crds."""
    if switch is None:
        return "helm.skip_crds: true"
    return f"helm.values {'.'.join(switch[0][0])}: false"

"""Which config key produced each object (and some fields) of a rendered tree.

Built after render from the platform, the config's source map (an environment's merged one,
whose keys an overlay set point at the overlay) and the rendered documents; written into the
tree's metadata file as ``provenance:``, one line per object or field::

    Deployment/backend/backend: config/platform.yaml components.backend
    Deployment/backend/backend spec.replicas: config/platform.yaml components.backend.replicas

and read back by validate, which gives each finding on a mapped object the entry of the
longest field path that is a prefix of the finding's path (its ``origin``). Files are named
from the directory above the config's (``config/platform.yaml``), the same wherever the
command runs, so the tree stays byte-identical.

The tree names no line: an edit that only moves keys (a comment added at the top) leaves it
unchanged. The line is looked up when a finding is reported (``Lines``): during render from
the source maps in memory (``source_lines``), for a tree on disk by reading the config file
the entry names (``ConfigFiles``); when that file is not there, the origin has no line.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gigrouter import yamlio
from gigrouter.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from gigrouter.config.source import KeyPath, SourceMap
    from gigrouter.model import Platform

# Validate reads provenance on every run but builds none: the config loader and the model are
# imported only where the map is built, or where a finding needs a config file's lines.

SECTION = "provenance"

# Where each pod-template kind keeps its pod spec.
POD_SPECS = {
    "Deployment": "spec.template.spec",
    "StatefulSet": "spec.template.spec",
    "DaemonSet": "spec.template.spec",
    "ReplicaSet": "spec.template.spec",
    "Job": "spec.template.spec",
    "CronJob": "spec.jobTemplate.spec.template.spec",
}
# A container's manifest field -> the config key of a container (presets and catalogue alike).
CONTAINER_FIELDS = {
    "image": "image",
    "resources": "resources",
    "readinessProbe": "readiness_probe",
    "livenessProbe": "liveness_probe",
    "env": "env",
    "command": "command",
    "args": "args",
}
# Config lists whose items are containers of the pod beside the workload's own.
_CONTAINER_LISTS = {"containers": ("sidecars",), "initContainers": ("init_containers",)}
WAVE_ANNOTATION = "metadata.annotations.argocd.argoproj.io/sync-wave"


@dataclass(frozen=True, slots=True)
class Entry:
    """One config key: its file (as the tree names it) and dotted key path."""

    file: str
    key: str

    def __str__(self) -> str:
        return f"{self.file} {self.key}"


# object ("Kind/namespace/name") -> field path ("" for the object itself) -> its entry
Provenance = dict[str, dict[str, Entry]]

# "FILE KEY"; a tree an older gigrouter wrote says "FILE:LINE KEY", whose line is not used.
_LINE = re.compile(r"^(?P<file>\S.*?)(?::\d+)? (?P<key>\S+)$")


def object_id(kind: str, namespace: str, name: str) -> str:
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


class _Builder:
    def __init__(self, platform: Platform, source: SourceMap, files: Mapping[str, str]) -> None:
        self.platform = platform
        self.source = source
        self.files = files  # the source map's file names -> the names the tree shows

    def entry(self, path: KeyPath) -> Entry:
        from gigrouter.config.source import render_path

        file, _ = self.source.origin(path)
        return Entry(self.files.get(file, file), render_path(path, self.source.data))

    def has(self, path: KeyPath) -> bool:
        return path in self.source.lines

    def node(self, path: KeyPath) -> Any:
        node = self.source.data
        for part in path:
            if isinstance(node, dict) and isinstance(part, str):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return None
        return node

    def fields_of(self, doc: dict[str, Any], at: KeyPath) -> dict[str, Entry]:
        """The entries of the object made from ``at``: its own ("") and its fields'."""
        fields = {"": self.entry(at)}
        for field, key in self.fields(doc, at):
            entry = self.entry(key)
            if entry != fields[""]:  # the container that is the workload itself
                fields[field] = entry
        return fields

    def fields(self, doc: dict[str, Any], at: KeyPath) -> Iterator[tuple[str, KeyPath]]:
        """(field path, config key path) of the fields of ``doc`` a config key sets, for the
        object made from ``at``; only keys the config writes (a default has no line)."""
        kind = doc.get("kind")
        found = doc.get("spec")
        spec: dict[str, Any] = found if isinstance(found, dict) else {}
        if self.has((*at, "wave")):
            yield WAVE_ANNOTATION, (*at, "wave")
        if kind in POD_SPECS:
            if "replicas" in spec and self.has((*at, "replicas")):
                yield "spec.replicas", (*at, "replicas")
            yield from self._containers(_dig(doc, POD_SPECS[str(kind)]), POD_SPECS[str(kind)], at)
        elif kind == "Ingress":
            yield from self._rules(spec, at)
        elif kind == "Service":
            ports = spec.get("ports")
            parent = at[:-1] if at and at[-1] == "service" else at
            for key in ((*at, "port"), (*parent, "port")):
                if isinstance(ports, list) and len(ports) == 1 and self.has(key):
                    yield "spec.ports[0]", key
                    break

    def _containers(self, pod: Any, base: str, at: KeyPath) -> Iterator[tuple[str, KeyPath]]:
        if not isinstance(pod, dict):
            return
        config = self.node(at)
        own = config.get("name") if isinstance(config, dict) else None
        for section, lists in _CONTAINER_LISTS.items():
            containers = pod.get(section)
            if not isinstance(containers, list):
                continue
            for i, container in enumerate(containers):
                name = container.get("name") if isinstance(container, dict) else None
                key = self._container_key(name, own, at, lists, section, len(containers))
                if key is None:
                    continue
                here = f"{base}.{section}[{i}]"
                yield here, key
                for field, config_field in CONTAINER_FIELDS.items():
                    owner = self._owner(key, config_field)
                    if field in container and owner and self.has((*owner, config_field)):
                        yield f"{here}.{field}", (*owner, config_field)

    def _owner(self, key: KeyPath, field: str) -> KeyPath | None:
        """The nearest of ``key`` and its parents whose model has ``field``: a migration Job
        runs the backend's image, which only the backend's key sets."""
        for end in range(len(key), -1, -1):
            model = _model_at(self.platform, key[:end])
            if model is not None and field in type(model).model_fields:
                return key[:end]
        return None

    def _container_key(
        self, name: Any, own: Any, at: KeyPath, lists: tuple[str, ...], section: str, count: int
    ) -> KeyPath | None:
        """The config key of the container called ``name``: the workload's own container, or
        an item of one of ``lists`` with that name."""
        for listed in lists:
            items = self.node((*at, listed))
            for j, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict) and item.get("name") == name:
                    return (*at, listed, j)
        if section == "containers" and (name == own or count == 1):
            return at
        return None

    def _rules(self, spec: dict[str, Any], at: KeyPath) -> Iterator[tuple[str, KeyPath]]:
        routes = self.node((*at, "routes"))
        rules = spec.get("rules")
        if not isinstance(routes, list) or not isinstance(rules, list):
            return
        domain = self.node(("domain",))
        for i, rule in enumerate(rules):
            host = rule.get("host") if isinstance(rule, dict) else None
            for j, route in enumerate(routes):
                written = route.get("host") if isinstance(route, dict) else None
                if isinstance(written, str) and isinstance(domain, str):
                    written = written.replace("{domain}", domain)
                if host is not None and written == host and self.has((*at, "routes", j, "host")):
                    yield f"spec.rules[{i}].host", (*at, "routes", j, "host")
                    break


def _model_at(platform: Platform, path: KeyPath) -> BaseModel | None:
    """The model object at ``path`` of the platform (the config data's key path)."""
    from pydantic import BaseModel

    node: Any = platform
    for part in path:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
        elif isinstance(node, BaseModel):
            node = getattr(node, part, None)
        else:
            return None
    return node if isinstance(node, BaseModel) else None


def _dig(doc: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def _object_key(path: KeyPath) -> KeyPath:
    """The key of an object from the key path of its name (``components.backend.name`` ->
    ``components.backend``)."""
    return path[:-1] if path and path[-1] == "name" else path


def shown_files(config: Path, source: SourceMap) -> dict[str, str]:
    """The source map's file names -> the name the tree writes: relative to the directory
    above the config's (``config/platform.yaml``, ``config/environments/staging.yaml``)."""
    root = Path(source.file).parent
    top = config.resolve().parent.name
    out: dict[str, str] = {}
    for file in {source.file, *source.files.values()}:
        try:
            rel = Path(file).relative_to(root).as_posix()
        except ValueError:
            rel = Path(file).name
        out[file] = f"{top}/{rel}" if top else rel
    return out


def build(
    platform: Platform,
    source: SourceMap,
    documents: Mapping[str, list[Any]],
    files: Mapping[str, str],
    app_prefix: str = "",
) -> Provenance:
    """The provenance of a rendered tree: every object the model names (by the key path of
    its name) that the render holds, the Applications (``applications[name]``), and the
    fields a config key sets (see ``_Builder.fields``). ``files``: source map file names ->
    as shown (``shown_files``); ``app_prefix``: the prefix of the tree's Application names."""
    return dict(_objects(platform, source, documents, files, app_prefix))


def build_section(
    platform: Platform,
    source: SourceMap,
    documents: Mapping[str, list[Any]],
    files: Mapping[str, str],
    app_prefix: str = "",
) -> dict[str, str]:
    """``section(build(...))`` without holding the whole map: each object's lines are made
    in order, one object at a time (at 3,000 services the map was a twentieth of a render's
    peak memory)."""
    lines: dict[str, str] = {}
    for obj, fields in _objects(platform, source, documents, files, app_prefix):
        lines.update(_lines(obj, fields))
    return lines


def _objects(
    platform: Platform,
    source: SourceMap,
    documents: Mapping[str, list[Any]],
    files: Mapping[str, str],
    app_prefix: str,
) -> Iterator[tuple[str, dict[str, Entry]]]:
    """Each object of :func:`build`, sorted, with its entries (made when it is reached)."""
    builder = _Builder(platform, source, files)
    found = _found(platform, documents, app_prefix)
    for obj in sorted(found):
        yield obj, builder.fields_of(*found[obj])


def _found(
    platform: Platform, documents: Mapping[str, list[Any]], app_prefix: str
) -> dict[str, tuple[dict[str, Any], KeyPath]]:
    """The objects ``build`` maps, each with its first document and its config key path."""
    named: dict[tuple[str, str, str], KeyPath] = {}
    apps: dict[str, KeyPath] = {}
    for i, app in enumerate(platform.applications):
        if not app.enabled:
            continue
        apps[app_prefix + app.name] = ("applications", i)
        listed = platform.components.objects(app.manifests) if app.manifests else []
        for j, workload in enumerate(app.workloads):
            at: KeyPath = ("applications", i, "workloads", j)
            listed.extend((kind, name, (*at, *sub)) for kind, name, sub in workload.objects())
        for kind, name, path in listed:
            ns = "" if kind == "ClusterSecretStore" else app.namespace
            named.setdefault((kind, ns, name), _object_key(path))
    apps.setdefault(app_prefix + platform.argocd.root.name, ("argocd", "root"))
    found: dict[str, tuple[dict[str, Any], KeyPath]] = {}
    for file in sorted(documents):
        for doc in documents[file]:
            if not isinstance(doc, dict) or not isinstance(doc.get("metadata"), dict):
                continue
            kind, meta = str(doc.get("kind", "")), doc["metadata"]
            name, ns = str(meta.get("name", "")), str(meta.get("namespace") or "")
            if kind == "Application" and name in apps:
                at = apps[name]
            elif (kind, ns, name) in named:
                at = named[(kind, ns, name)]
            else:
                continue
            found.setdefault(object_id(kind, ns, name), (doc, at))
    return found


def section(provenance: Provenance) -> dict[str, str]:
    """The metadata file's ``provenance:`` mapping: one line per object (and container), and
    one per field whose key :func:`lookup` cannot derive from them (so a large platform's
    metadata stays small: at 1,000 services the field lines were 2 MB)."""
    return {
        label: line for obj in sorted(provenance) for label, line in _lines(obj, provenance[obj])
    }


def _lines(obj: str, fields: dict[str, Entry]) -> Iterator[tuple[str, str]]:
    """The section's lines of one object, in order."""
    for field in sorted(fields):
        if field and _derived(fields, field) == fields[field]:
            continue
        yield f"{obj} {field}" if field else obj, str(fields[field])


# The last step of a field path below an object's (or container's) own entry -> the config key
# below that entry's key that sets it.
_DERIVED = {
    WAVE_ANNOTATION: "wave",
    "spec.replicas": "replicas",
    "spec.ports[0]": "port",
    **CONTAINER_FIELDS,
}
_CONTAINER = re.compile(r"\.(containers|initContainers)\[\d+\]$")


def _derived(fields: dict[str, Entry], field: str) -> Entry | None:
    """The entry :func:`lookup` derives for ``field`` from the nearest entry above it (the
    object's, or its container's): that entry's key and the config key of the last step."""
    for suffix, config in _DERIVED.items():
        if field.endswith(suffix) and (field == suffix or field[: -len(suffix)].endswith(".")):
            parent = field[: -len(suffix)].rstrip(".")
            above = fields.get(parent)
            if above is None and _CONTAINER.search(parent):
                above = fields.get("")  # the workload's own container has the object's key
            if above is not None:
                return Entry(above.file, f"{above.key}.{config}")
    return None


def parse(section: Any) -> Provenance:
    """The ``provenance:`` mapping of a metadata file read back; lines that do not parse are
    left out (a hand-edited metadata file loses their origins, nothing else)."""
    out: Provenance = {}
    if not isinstance(section, dict):
        return out
    for label, value in section.items():
        found = _LINE.match(value) if isinstance(value, str) else None
        if not isinstance(label, str) or found is None:
            continue
        obj, _, field = label.partition(" ")
        entry = Entry(found["file"], found["key"])
        out.setdefault(obj, {})[field] = entry
    return out


def lookup(provenance: Provenance, obj: str, path: str) -> tuple[Entry, str] | None:
    """The entry of the longest field path of ``obj`` that is ``path`` or a parent of it, with
    that field path (a field the metadata leaves out is derived from the object's or its
    container's entry); None when the object is not mapped."""
    fields = provenance.get(obj)
    if not fields:
        return None
    best = ""
    for field in fields:
        if field and len(field) > len(best) and _within(path, field):
            best = field
    for suffix in _DERIVED:
        start = path.find(suffix, len(best))
        if start < 0 or (start and path[start - 1] != "."):
            continue
        candidate = path[: start + len(suffix)]
        if len(candidate) > len(best) and _within(path, candidate):
            derived = _derived(fields, candidate)
            if derived is not None:
                return derived, candidate
    if best not in fields:
        return None
    return fields[best], best


def _within(path: str, field: str) -> bool:
    return path == field or (path.startswith(field) and path[len(field)] in ".[")


def with_section(metadata: dict[str, Any], lines: dict[str, str]) -> dict[str, Any]:
    """``metadata`` with its ``provenance:`` section ``lines`` (after every other key)."""
    return {**metadata, SECTION: lines}


def dump_metadata(metadata: dict[str, Any], header: str) -> str:
    return yamlio.dump_all([metadata], header)


class Lines:
    """The line of a config key: file (as the tree names it) -> dotted key path -> line.
    A key with no line of its own (a default below a key the config writes) has the line of
    its nearest parent in the same file, as the source map's ``origin`` gives it."""

    def __init__(self) -> None:
        self.index: dict[str, dict[str, int]] = {}
        # Source maps added and not yet indexed: a render with no finding to place never
        # builds the index (a dotted key for every key of the config).
        self._pending: list[tuple[SourceMap, Mapping[str, str]]] = []

    def add(self, source: SourceMap, files: Mapping[str, str]) -> None:
        """The keys of ``source`` (a merged one's under the file each came from), its file
        names shown as ``files`` says (``shown_files``); indexed when first asked for."""
        self._pending.append((source, files))

    def _indexed(self) -> dict[str, dict[str, int]]:
        from gigrouter.config.source import render_path

        while self._pending:
            source, files = self._pending.pop(0)
            for path, line in source.lines.items():
                file = source.files.get(path, source.file)
                keys = self.index.setdefault(files.get(file, file), {})
                keys.setdefault(render_path(path, source.data), line)
        return self.index

    def keys(self, file: str) -> dict[str, int] | None:
        return self._indexed().get(file)

    def line(self, entry: Entry) -> int:
        """The line of ``entry``'s key, 0 when its file or key is unknown."""
        keys = self.keys(entry.file)
        if not keys:
            return 0
        parts = _KEY_PART.findall(entry.key)
        for end in range(len(parts), -1, -1):  # down to "": the document's first line
            line = keys.get("".join(parts[:end]))
            if line:
                return line
        return 0


# One step of a dotted key path: ".name", "name" (the first) or "[item]".
_KEY_PART = re.compile(r"\[[^\]]*\]|\.?[^.\[]+")


def source_lines(config: Path, sources: Iterable[SourceMap]) -> Lines:
    """The lines of the source maps render loaded from ``config`` (the base's, an
    environment's merged one), named as the tree names them."""
    lines = Lines()
    for source in sources:
        lines.add(source, shown_files(config, source))
    return lines


class ConfigFiles(Lines):
    """The lines of the config files a tree on disk names, read when first asked for: the
    entry's path relative to the first of ``bases`` that holds it (the directory above the
    config's: a tree's parent when it sits beside config/, the grandparent when it sits in
    the config's directory, or the working directory). A path that is absolute, climbs out
    (``..``) or is not YAML is not read; a file that is not there or does not parse gives no
    lines."""

    def __init__(self, bases: Sequence[Path]) -> None:
        super().__init__()
        self.bases = tuple(bases)

    def keys(self, file: str) -> dict[str, int] | None:
        if file not in self.index:
            self.index[file] = {}
            found = self._find(file)
            if found is not None:
                from gigrouter.config.source import read_yaml

                with contextlib.suppress(ConfigError):
                    self.add(read_yaml(found, file, allow_empty=True), {})
        return self._indexed()[file]

    def _find(self, file: str) -> Path | None:
        rel = Path(file)
        if rel.is_absolute() or ".." in rel.parts or rel.suffix not in (".yaml", ".yml"):
            return None
        for base in self.bases:
            if (base / rel).is_file():
                return base / rel
        return None


def disk_lines(tree: Path) -> ConfigFiles:
    """``ConfigFiles`` for the tree at ``tree``."""
    top = Path(tree).absolute()
    return ConfigFiles((top.parent, top.parent.parent, Path.cwd()))

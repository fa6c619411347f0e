"""Read a GitOps repo tree into documents that know their file, line, Application and namespace.

The app-of-apps is read from the tree itself: every ``argoproj.io`` Application found says
which directory it syncs and into which namespace, so a resource without a namespace gets the
destination namespace of the Application whose path holds its file. Helm values files named in
``valueFiles``, gigrouter's metadata file and documentation are understood, not flagged.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gigrouter import parallel, safeyaml
from gigrouter.errors import Location, Problem, UsageError
from gigrouter.validate import defaults
from gigrouter.validate.findings import Finding, Resource, Severity
from gigrouter.validate.scope import Scopes

if TYPE_CHECKING:
    from gigrouter.validate.shapes import Source

METADATA_FILE = "gigrouter-metadata.yaml"
ENVIRONMENTS_DIR = "environments"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_SEPARATOR = re.compile(r"^---(\s|$)")


@dataclass(frozen=True)
class AppInfo:
    """What one Argo CD Application in the tree says about the files it syncs."""

    name: str
    file: str
    namespace: str  # destination namespace
    paths: tuple[str, ...]  # tree-relative directories it syncs (manifest sources)
    value_files: tuple[str, ...]  # tree-relative Helm values files
    charts: tuple[str, ...]  # Helm charts it installs
    document: dict[str, Any]
    recurse: bool = False  # directory.recurse: subdirectories are synced too


@dataclass(slots=True)
class Document:
    """One YAML document of the tree."""

    file: str
    line: int
    data: dict[str, Any]
    app: AppInfo | None = None
    namespace: str = ""
    # the object as the file writes it, when the API server's defaults (validate.defaults)
    # filled in ``data``; rules about what the author wrote read this
    written: dict[str, Any] | None = None
    # keys its text gives twice (reported with its resource once namespaces are known)
    duplicates: list[safeyaml.Duplicate] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.data.get("apiVersion", ""))

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.data.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def annotations(self) -> dict[str, Any]:
        ann = self.metadata.get("annotations")
        return ann if isinstance(ann, dict) else {}

    @property
    def labels(self) -> dict[str, Any]:
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, dict) else {}

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.data.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def resource(self) -> Resource:
        return Resource(self.api_version, self.kind, self.namespace, self.name)


@dataclass
class Tree:
    """Everything validate knows about one GitOps repo tree."""

    root: Path
    prefix: str  # added to file paths in findings (the environment's directory, or '')
    files: list[str] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    applications: list[AppInfo] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    values_files: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    repo_path: str = ""
    memory: MemoryFiles | None = None
    # tree path -> the real file to read for it; only files inside the tree's bounds are here
    sources: dict[str, Path] = field(default_factory=dict)
    own: bool = False  # gigrouter rendered it (it has the metadata file)
    snippet: bool = False  # one file of a folder of examples, validated alone
    # trees found inside this one and validated beside it (rendered overlays, snippet files)
    variants: list[Tree] = field(default_factory=list)
    # the scope of each kind as this tree knows it: its own CRDs, then the tables (rules across
    # trees add the other trees' CRDs and --crd: rules/ownership.py)
    scopes: Scopes = field(default_factory=Scopes)

    @property
    def unresolved(self) -> Severity:
        """The default severity of a reference nothing in the tree resolves."""
        if self.own:
            return Severity.ERROR
        return Severity.INFO if self.snippet else Severity.WARNING

    def text(self, rel: str) -> str | None:
        """The text of one file of the tree (from memory or disk), None if it is not there,
        is not readable UTF-8, is too large, or is reached through a link out of the tree."""
        if self.memory is not None:
            return self.memory.texts.get(rel)
        source = self.sources.get(rel)
        if source is None:
            return None
        try:
            return safeyaml.read_text(source)
        except safeyaml.Unreadable:
            return None

    def manifests(self) -> Iterator[Document]:
        return iter(self.documents)


def _documents_with_lines(text: str) -> list[int]:
    """The 1-based line where each document of a YAML stream starts its content."""
    starts: list[int] = []
    pending = 1
    content_seen = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _SEPARATOR.match(line):
            if content_seen:
                starts.append(pending)
            rest = line[3:].strip()
            inline = bool(rest) and not rest.startswith("#")  # `--- {kind: ...}` starts here
            pending = number if inline else number + 1
            content_seen = inline
            continue
        stripped = line.strip()
        if not content_seen and stripped and not stripped.startswith("#"):
            pending = number
            content_seen = True
    if content_seen:
        starts.append(pending)
    return starts


def relative_to_repo(path: str, repo_path: str) -> str | None:
    """A repo path as a tree path (``repo_path`` is the tree's place in the repo)."""
    clean = str(PurePosixPath(path.strip("/"))) if path.strip("/") else ""
    if clean == ".":
        clean = ""
    if not repo_path:
        return clean
    if clean == repo_path:
        return ""
    if clean.startswith(repo_path + "/"):
        return clean[len(repo_path) + 1 :]
    return None


_REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)  # Helm reads URLs itself


def _inside_repo(path: str) -> str | None:
    """``path`` (relative to the repo root) normalised, or None when it climbs out of it."""
    clean = posixpath.normpath(path.strip("/") or ".")
    if clean == ".." or clean.startswith("../"):
        return None
    return "" if clean == "." else clean


def _app_info(
    doc: Document, repo_path: str, repo_url: str | None, outside: list[str] | None = None
) -> AppInfo:
    """What an Application syncs from this tree; sources of other repos are left out. Values
    files that leave the repository are not read; each adds a message to ``outside``."""
    if outside is None:
        outside = []
    spec = doc.spec
    raw = spec.get("sources")
    if not isinstance(raw, list):
        raw = [spec.get("source")]
    sources = [s for s in raw if isinstance(s, dict)]
    refs = {str(s["ref"]): s for s in sources if isinstance(s.get("ref"), str)}

    def local(src: dict[str, Any]) -> bool:
        return repo_url is None or src.get("repoURL") == repo_url

    paths: list[str] = []
    value_files: list[str] = []
    charts: list[str] = []
    recurse = False
    for src in sources:
        if isinstance(src.get("chart"), str):
            charts.append(src["chart"])
        if isinstance(src.get("directory"), dict) and src["directory"].get("recurse") is True:
            recurse = True
        source_path = src.get("path")
        if isinstance(source_path, str) and local(src) and not src.get("chart"):
            rel = relative_to_repo(source_path, repo_path)
            if rel is not None:
                paths.append(rel)
        helm = src.get("helm")
        if not isinstance(helm, dict) or not isinstance(helm.get("valueFiles"), list):
            continue
        for vf in helm["valueFiles"]:
            if not isinstance(vf, str) or _REMOTE.match(vf):
                continue
            if vf.startswith("$"):  # $ref/path: relative to the root of the ref source's repo
                ref, _, rest = vf[1:].partition("/")
                if ref in refs and local(refs[ref]):
                    inside = _inside_repo(rest)
                    rel = relative_to_repo(inside, repo_path) if inside is not None else None
                    if rel is not None:  # outside: the argocd rules say it is not in the tree
                        value_files.append(rel)
            elif isinstance(source_path, str) and local(src):  # relative to the source's path
                if vf.startswith("/"):
                    outside.append(
                        f"values file {vf!r} is an absolute path; write it relative to the"
                        f" source path {source_path!r}"
                    )
                    continue
                inside = _inside_repo(f"{source_path.strip('/')}/{vf}")
                if inside is None:
                    outside.append(
                        f"values file {vf!r} resolves outside the repository; Argo CD refuses"
                        " value files outside the repo root"
                    )
                    continue
                rel = relative_to_repo(inside, repo_path)
                if rel is not None:
                    value_files.append(rel)
    dest = spec.get("destination")
    if not isinstance(dest, dict):
        dest = {}
    return AppInfo(
        name=doc.name,
        file=doc.file,
        namespace=str(dest.get("namespace", "") or ""),
        paths=tuple(paths),
        value_files=tuple(value_files),
        charts=tuple(charts),
        document=doc.data,
        recurse=recurse,
    )


@dataclass(frozen=True)
class MemoryFiles:
    """A tree that is not on disk: each file's text and, when already parsed, its documents
    (a render validates what it is about to write without reading it back)."""

    texts: dict[str, str]
    parsed: dict[str, list[Any]] = field(default_factory=dict)

    def environments(self) -> list[str]:
        """Names of environments/<name>/ trees that carry their own metadata file."""
        suffix = "/" + METADATA_FILE
        return sorted(
            {
                p.split("/")[1]
                for p in self.texts
                if p.startswith(ENVIRONMENTS_DIR + "/") and p.endswith(suffix) and p.count("/") == 2
            }
        )

    def below(self, prefix: str) -> MemoryFiles:
        """The files under ``prefix`` (a directory path ending in '/'), re-rooted there."""
        n = len(prefix)
        return MemoryFiles(
            {k[n:]: v for k, v in self.texts.items() if k.startswith(prefix)},
            {k[n:]: v for k, v in self.parsed.items() if k.startswith(prefix)},
        )


def load_tree(
    root: Path,
    prefix: str = "",
    skip_environments: bool = True,
    memory: MemoryFiles | None = None,
    bound: Path | None = None,
    render: bool = False,
    exclude: Callable[[str], bool] | None = None,
) -> Tree:
    """Read every manifest under ``root`` (or in ``memory``); environments/<name>/ trees are left
    to their own load. A file whose tree path (``prefix`` included) ``exclude`` accepts is not
    read at all, and nothing is reported about it.

    On disk nothing outside ``bound`` (default ``root``) is read: a symlink whose target leaves
    it, dangles or loops is a finding naming the link, never followed; a link that stays inside
    is read once, at its target. Files that cannot be read, are too large, or hold YAML beyond
    the bounds of :mod:`gigrouter.safeyaml` are findings too. Raises
    :class:`UsageError` when ``root`` itself cannot be listed."""
    tree = Tree(root=root, prefix=prefix, memory=memory)
    if memory is not None:
        listing: list[str] = sorted(memory.texts)
        environments = set(memory.environments())
    else:
        environments = set(environment_roots(root))
        skipped = environments if skip_environments else set()
        listing = _walk(tree, bound if bound is not None else root, skipped)
    tree.own = METADATA_FILE in listing
    from gigrouter.validate import shapes

    sources = shapes.find_sources(
        (r for r in listing if _shape_candidate(r, environments if skip_environments else set())),
        lambda rel: _text_of(tree, rel),
    )
    meta_text = _text_of(tree, METADATA_FILE) if tree.own else None
    if meta_text is not None:
        # a render hands over the metadata it wrote: not parsed again (at 3,000 services its
        # provenance section is 1.6 MB of YAML)
        held = memory.parsed.get(METADATA_FILE) if memory is not None else None
        try:
            meta = held[0] if held and len(held) == 1 else safeyaml.load(meta_text)
        except yaml.YAMLError as exc:
            tree.findings.append(_yaml_finding(METADATA_FILE, exc))
            meta = None
        if isinstance(meta, dict):
            tree.metadata = meta
            gitops = meta.get("gitops")
            if isinstance(gitops, dict) and isinstance(gitops.get("path"), str):
                tree.repo_path = gitops["path"].strip("/")
    reads: list[str] = []  # the manifests to read from disk, in order
    for rel in listing:
        parts = PurePosixPath(rel).parts
        in_environment = len(parts) > 2 and parts[0] == ENVIRONMENTS_DIR
        if skip_environments and in_environment and parts[1] in environments:
            continue
        if any(part.startswith(".") for part in parts):
            continue
        if exclude is not None and exclude(prefix + rel):
            continue
        tree.files.append(rel)
        if sources and shapes.owner(rel, sources) is not None:
            continue  # a chart's or kustomization's file: rendered (--render) or reported once
        if rel == METADATA_FILE or not rel.endswith(MANIFEST_SUFFIXES):
            continue
        if memory is not None:
            _read_text(tree, rel, memory.texts[rel], memory.parsed.get(rel))
        else:
            reads.append(rel)
    _read_files(tree, reads)
    gitops = tree.metadata.get("gitops")
    repo_url = gitops.get("repoURL") if isinstance(gitops, dict) else None
    if not isinstance(repo_url, str):
        repo_url = None
    outside: list[tuple[Document, str]] = []
    for doc in tree.documents:
        if doc.kind == "Application" and doc.group == "argoproj.io":
            problems: list[str] = []
            tree.applications.append(_app_info(doc, tree.repo_path, repo_url, problems))
            outside.extend((doc, message) for message in problems)
    for app in tree.applications:
        tree.values_files.update(app.value_files)
    meta_values = tree.metadata.get("valuesFiles")
    if isinstance(meta_values, list):
        tree.values_files.update(
            str(v["path"]) for v in meta_values if isinstance(v, dict) and "path" in v
        )
    # Values files are Helm input, not manifests (but they must still be valid YAML).
    tree.documents = [d for d in tree.documents if d.file not in tree.values_files]
    tree.findings = [
        f
        for f in tree.findings
        if (f.file not in tree.values_files or f.rule in _FILE_RULES)
        and not (exclude is not None and f.file and exclude(prefix + f.file))
    ]
    tree.scopes = tree.scopes.with_documents(d.data for d in tree.documents)
    _assign_apps(tree)
    _shapes(tree, sources, render)
    if not tree.own:
        _examples(tree, sources)
    for doc, message in outside:
        tree.findings.append(
            Finding(Severity.ERROR, "argocd-app-path", message, doc.file, doc.line, doc.resource)
        )
    return tree


# Findings about a file itself, kept for values files too (which are otherwise not manifests).
_FILE_RULES = frozenset(
    {"yaml-invalid", "yaml-duplicate-key", "document-too-large", "symlink-outside-tree"}
)


def _walk(tree: Tree, bound: Path, environments: set[str]) -> list[str]:
    """Every file under ``tree.root`` as a tree path, sorted; fills ``tree.sources`` with the
    real file each one is read from and adds a finding for every link out of ``bound``, every
    directory that cannot be listed and every entry that is not a regular file. Hidden
    directories (``.git``) and the ``environments`` trees named are not entered."""
    skip = {f"{ENVIRONMENTS_DIR}/{name}" for name in environments}
    try:
        real_root = Path(os.path.realpath(tree.root))
        real_bound = Path(os.path.realpath(bound))
        top = list(os.scandir(real_root))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError([Problem(Location(str(tree.root)), f"cannot list it: {reason}")]) from None
    regular: dict[str, Path] = {}
    links: dict[str, Path] = {}
    pending: list[tuple[str, list[os.DirEntry[str]]]] = [("", top)]
    while pending:
        folder, entries = pending.pop()
        for entry in sorted(entries, key=lambda e: e.name):
            rel = f"{folder}{entry.name}"
            try:
                if entry.is_symlink():
                    target = _link_target(tree, entry, rel, real_bound)
                    if target is not None and target.is_file():
                        links[rel] = target
                elif entry.is_dir(follow_symlinks=False):
                    if entry.name.startswith(".") or rel in skip:
                        continue
                    try:
                        pending.append((rel + "/", list(os.scandir(entry.path))))
                    except OSError as exc:
                        reason = exc.strerror or type(exc).__name__  # no absolute path
                        tree.findings.append(
                            _unreadable(rel, f"cannot list the directory: {reason}")
                        )
                elif entry.is_file(follow_symlinks=False):
                    regular[rel] = Path(entry.path)
                elif not entry.name.startswith("."):
                    mode = entry.stat(follow_symlinks=False).st_mode
                    tree.findings.append(_unreadable(rel, f"not a regular file ({_kind(mode)})"))
            except OSError as exc:
                tree.findings.append(_unreadable(rel, exc.strerror or type(exc).__name__))
    read = set(regular.values())
    for rel, target in links.items():
        if target not in read:  # a link inside the tree is read once, at its target
            regular[rel] = target
            read.add(target)
    tree.sources = regular
    return sorted(regular)


def _link_target(tree: Tree, entry: os.DirEntry[str], rel: str, bound: Path) -> Path | None:
    """Where an in-bounds symlink leads (a finding and None for any other link)."""
    hidden = any(part.startswith(".") for part in PurePosixPath(rel).parts)
    try:
        os.stat(entry.path)  # follows the link: dangling links and loops fail here
    except OSError:
        if not hidden:
            tree.findings.append(
                _link_finding(rel, "is a symlink that dangles or loops; Argo CD refuses it")
            )
        return None
    target = Path(os.path.realpath(entry.path))
    if target != bound and bound not in target.parents:
        if not hidden:
            tree.findings.append(
                _link_finding(
                    rel,
                    "is a symlink that points outside the tree; it was not followed (Argo CD's"
                    " repo server refuses repositories with out-of-bounds symlinks)",
                )
            )
        return None
    return target


def _link_finding(rel: str, message: str) -> Finding:
    return Finding(Severity.ERROR, "symlink-outside-tree", f"{rel} {message}", rel)


def _unreadable(rel: str, reason: str) -> Finding:
    return Finding(Severity.ERROR, "yaml-invalid", f"cannot read {rel}: {reason}", rel)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file or directory"


def _text_of(tree: Tree, rel: str) -> str | None:
    """The text of one file, or None with a finding on why it could not be read."""
    if tree.memory is not None:
        text = tree.memory.texts.get(rel)
        if text is not None and len(text) > safeyaml.MAX_FILE_BYTES:
            tree.findings.append(_too_large(rel, f"it has {len(text)} characters"))
            return None
        return text
    source = tree.sources.get(rel)
    if source is None:
        return None
    try:
        return safeyaml.read_text(source)
    except safeyaml.Unreadable as exc:
        if exc.too_large:
            tree.findings.append(_too_large(rel, exc.reason))
        elif exc.reason == "not UTF-8 text":
            tree.findings.append(
                Finding(
                    Severity.ERROR, "yaml-invalid", "not UTF-8 text; Argo CD cannot read it", rel
                )
            )
        else:
            tree.findings.append(_unreadable(rel, exc.reason))
        return None


def _too_large(rel: str, reason: str) -> Finding:
    return Finding(
        Severity.ERROR,
        "document-too-large",
        f"not read: {reason}; at most {safeyaml.MAX_FILE_BYTES} bytes are read per file",
        rel,
    )


def environment_roots(root: Path) -> list[str]:
    """The names of environments/<name>/ trees that are gigrouter trees of their own: real
    directories (not symlinks) holding a metadata file."""
    env_dir = root / ENVIRONMENTS_DIR
    if env_dir.is_symlink() or not env_dir.is_dir():
        return []
    try:
        entries = sorted(os.scandir(env_dir), key=lambda e: e.name)
    except OSError:
        return []  # the root's walk reports it
    return [
        e.name
        for e in entries
        if e.is_dir(follow_symlinks=False) and os.path.lexists(os.path.join(e.path, METADATA_FILE))
    ]


def _yaml_finding(rel: str, exc: yaml.YAMLError) -> Finding:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 0
    problem = getattr(exc, "problem", None) or str(exc)
    rule = "document-too-large" if isinstance(exc, safeyaml.LimitError) else "yaml-invalid"
    return Finding(
        Severity.ERROR,
        rule,
        safeyaml.cut(f"not valid YAML: {problem}; fix the syntax so Argo CD can read the file")
        if rule == "yaml-invalid"
        else f"not read: {problem}",
        rel,
        line,
    )


# Files from which reading a tree is shared with a forked copy of the process (gigrouter.parallel).
PARALLEL_FILES = 200


def _read_files(tree: Tree, rels: list[str]) -> None:
    """Read and parse the manifests ``rels`` from disk into ``tree``, in order; from
    :data:`PARALLEL_FILES` on, the second half is parsed by a copy of this process, and its
    documents and findings are added after the first half's, as reading in order adds them."""

    def read(part: list[str]) -> tuple[list[Document], list[Finding]]:
        into = Tree(root=tree.root, prefix=tree.prefix, sources=tree.sources)
        for rel in part:
            text = _text_of(into, rel)
            if text is not None:
                _read_text(into, rel, text, None)
        return into.documents, into.findings

    if len(rels) < PARALLEL_FILES:
        parts = [read(rels)]
    else:
        middle = len(rels) // 2
        parts = list(parallel.split(lambda: read(rels[:middle]), lambda: read(rels[middle:])))
    for documents, findings in parts:
        tree.documents.extend(documents)
        tree.findings.extend(findings)


def _read_text(tree: Tree, rel: str, text: str, parsed: list[Any] | None) -> None:
    """Add the documents of one file (``parsed`` when a render already holds them), each
    ``List`` expanded into its items, and a finding per repeated mapping key."""
    if parsed is not None:
        starts = _documents_with_lines(text)
        if len(starts) != len(parsed):  # comments-only documents and the like: best effort
            starts = (starts + [0] * len(parsed))[: len(parsed)]
        for data, line in zip(parsed, starts, strict=True):
            _add_object(tree, rel, line, data, None)
        return
    try:
        loaded = list(safeyaml.load_documents(text))
    except yaml.YAMLError as exc:
        tree.findings.append(_yaml_finding(rel, exc))
        return
    for document in loaded:
        first = len(tree.documents)
        _add_object(tree, rel, document.line, document.data, document.node)
        added = tree.documents[first:]
        for duplicate in document.duplicates:
            # the object it belongs to is the last one starting above it
            holders = [d for d in added if 0 < d.line <= duplicate.line] or added[:1]
            if holders:
                holders[-1].duplicates.append(duplicate)
            else:
                tree.findings.append(_duplicate_finding(rel, duplicate, None))


def _duplicate_finding(rel: str, duplicate: safeyaml.Duplicate, doc: Document | None) -> Finding:
    return Finding(
        Severity.ERROR,
        "yaml-duplicate-key",
        safeyaml.cut(
            f"the key {duplicate.key!r} is given twice in one mapping (first at line"
            f" {duplicate.first_line}); the API server keeps only the last value, and kubectl"
            " kustomize and strict field validation refuse the file: remove one of them",
            300,
        ),
        rel,
        duplicate.line,
        doc.resource if doc is not None else None,
    )


def _list_items(data: Any) -> list[Any] | None:
    """The items of a ``List`` (``kind: List``, or a ``*List`` kind whose items are all
    objects, as ``kubectl get -o yaml`` writes them), None for any other document."""
    if not isinstance(data, dict):
        return None
    kind, items = data.get("kind"), data.get("items")
    if not isinstance(kind, str) or not isinstance(items, list):
        return None
    if kind == "List":
        return items
    if kind.endswith("List") and items and all(isinstance(item, dict) for item in items):
        return items
    return None


def _item_nodes(node: Node | None) -> list[Node]:
    """The nodes of the items of a List's node (the last ``items`` key wins, as in the data)."""
    found: list[Node] = []
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == "items":
                found = list(value.value) if isinstance(value, SequenceNode) else []
    return found


def _add_object(tree: Tree, rel: str, line: int, data: Any, node: Node | None) -> None:
    """One document, or each item of a List at its own line. Items of a typed list (a
    ``ConfigMapList``) that name neither kind nor apiVersion are of the list's item kind, as
    the API machinery's unstructured decoding makes them."""
    items = _list_items(data)
    if items is None:
        _add_document(tree, rel, line, data)
        return
    nodes = _item_nodes(node)
    if len(nodes) != len(items):
        nodes = []
    list_kind = str(data["kind"])
    for index, item in enumerate(items):
        item_node = nodes[index] if nodes else None
        item_line = item_node.start_mark.line + 1 if item_node is not None else line
        if (
            list_kind != "List"
            and isinstance(item, dict)
            and not item.get("kind")
            and not item.get("apiVersion")
        ):
            item = {
                "apiVersion": data.get("apiVersion"),
                "kind": list_kind.removesuffix("List"),
                **item,
            }
        _add_object(tree, rel, item_line, item, item_node)


def _add_document(tree: Tree, rel: str, line: int, data: Any) -> None:
    if not isinstance(data, dict):
        tree.findings.append(
            Finding(
                Severity.ERROR,
                "document-incomplete",
                "a manifest must be a mapping with apiVersion, kind and metadata.name",
                rel,
                line,
            )
        )
        return
    stored = defaults.apply(data)
    doc = Document(rel, line, stored, written=data if stored is not data else None)
    missing = [
        k for k in ("apiVersion", "kind") if not isinstance(data.get(k), str) or not data.get(k)
    ]
    if not doc.name and not doc.metadata.get("generateName"):
        missing.append("metadata.name")
    if missing:
        tree.findings.append(
            Finding(
                Severity.ERROR,
                "document-incomplete",
                f"the document has no {', '.join(missing)}; Argo CD cannot apply it",
                rel,
                line,
            )
        )
        if "apiVersion" in missing or "kind" in missing:
            return
    tree.documents.append(doc)


def _syncs(app: AppInfo, path: str, folder: str) -> bool:
    """Whether ``app``'s source ``path`` takes the files of directory ``folder``."""
    inside = path == "" or folder == path or folder.startswith(path + "/")
    return folder == path or (app.recurse and inside)


def owners(tree: Tree, doc: Document) -> list[AppInfo]:
    """Every Application of the tree that syncs the document's file (one, unless paths
    overlap: two Applications of one directory, or a recursing one above another's)."""
    folder = doc.file.rpartition("/")[0]
    return [app for app in tree.applications if any(_syncs(app, p, folder) for p in app.paths)]


def namespace_in(doc: Document, app: AppInfo | None, scopes: Scopes | None = None) -> str:
    """The namespace the object lands in when ``app`` syncs it: '' for a cluster-scoped kind
    (``scopes``, by default the tables of known kinds), even when the file gives one (the API
    server drops it), else the file's namespace or the Application's destination."""
    if (scopes or _TABLES).of(doc.api_version, doc.kind):
        return ""
    explicit = doc.metadata.get("namespace")
    if isinstance(explicit, str) and explicit:
        return explicit
    return "" if app is None else app.namespace


_TABLES = Scopes()


def _assign_apps(tree: Tree) -> None:
    """Attach each document to the Application whose path holds its file; fill namespaces;
    report the keys each document repeats, now that its resource is known."""
    by_depth = sorted(
        ((p, app) for app in tree.applications for p in app.paths),
        key=lambda item: -len(item[0]),
    )
    for doc in tree.documents:
        folder = doc.file.rpartition("/")[0]
        for path, app in by_depth:
            if _syncs(app, path, folder):
                doc.app = app
                break
        doc.namespace = namespace_in(doc, doc.app, tree.scopes)
        tree.findings.extend(_duplicate_finding(doc.file, d, doc) for d in doc.duplicates)


# --- trees that are not one plain repository ------------------------------------------------


def _shape_candidate(rel: str, environments: set[str]) -> bool:
    """Whether ``rel`` is read by this tree's load and names a chart or kustomization."""
    from gigrouter.validate import shapes

    parts = PurePosixPath(rel).parts
    if any(part.startswith(".") for part in parts):
        return False
    if len(parts) > 2 and parts[0] == ENVIRONMENTS_DIR and parts[1] in environments:
        return False
    return parts[-1] in (shapes.CHART_FILE, *shapes.KUSTOMIZATION_FILES)


def _app_of(tree: Tree, folder: str) -> AppInfo | None:
    """The Application that syncs directory ``folder`` (the deepest path wins)."""
    paths = [(p, app) for app in tree.applications for p in app.paths]
    for path, owner in sorted(paths, key=lambda item: -len(item[0])):
        if _syncs(owner, path, folder):
            return owner
    return None


def _shapes(tree: Tree, sources: list[Source], render: bool) -> None:
    """Report each chart and kustomization once, or (``render``, on disk) validate what its
    tool renders: into this tree, or as a tree of its own for a variant (an overlay)."""
    from gigrouter.validate import shapes

    if not sources:
        return
    users: dict[str, list[str]] = {}
    for source in sources:
        for used in source.uses:
            users.setdefault(used, []).append(source.shown)
    if not render or tree.memory is not None:
        for source in sources:
            if shapes.owner(source.file, sources) == source:  # a subchart renders with its parent
                tree.findings.append(shapes.unrendered(source, users.get(source.folder, [])))
        return
    tops = shapes.roots(sources)
    apart = shapes.variants(tops, sources)
    for source in tops:
        out = shapes.render(source, tree.root)
        tree.findings.extend(out.findings)
        target = tree
        if source.folder in apart:
            target = Tree(
                root=tree.root, prefix=tree.prefix, sources=tree.sources, scopes=tree.scopes
            )
            tree.variants.append(target)
        app = _app_of(tree, source.folder)
        for rel, line, data in out.documents:
            first = len(target.documents)
            _add_document(target, rel, line, data)
            target.scopes = target.scopes.with_documents(d.data for d in target.documents[first:])
            for doc in target.documents[first:]:
                doc.app = app
                doc.namespace = namespace_in(doc, app, target.scopes)


_TEMPLATE_MARK = "{{"
# Folder names that documentation and example collections use (compared per path segment).
EXAMPLE_FOLDERS = frozenset(
    {"doc", "docs", "documentation", "example", "examples", "sample", "samples", "snippets"}
)


def _no_object(tree: Tree, rel: str) -> bool:
    """Whether every document of the file is a mapping without apiVersion and kind (read
    again only for files that gave no object at all)."""
    try:
        docs = [d for d in safeyaml.load_all(tree.text(rel) or "") if d is not None]
    except yaml.YAMLError:
        return False
    return bool(docs) and all(
        isinstance(d, dict) and "apiVersion" not in d and "kind" not in d for d in docs
    )


def _synced(tree: Tree, rel: str) -> bool:
    return _app_of(tree, rel.rpartition("/")[0]) is not None


def _examples(tree: Tree, sources: list[Source]) -> None:
    """Documentation and example folders of a hand-written tree (see the README's "On
    repositories nobody here wrote"). Only files no Application syncs are looked at, since
    what Argo CD syncs must be manifests:

    - a YAML file that yields no object and only ``document-incomplete`` findings (no
      apiVersion or kind: a tool's config, Helm values, a fragment), or that is not YAML and
      holds ``{{`` (a template), is not a manifest: one info instead of its errors;
    - a folder named as documentation is (``docs``, ``examples``, ``samples``, ``snippets``, at
      any depth) where two files define one object holds alternative examples, not one
      deployment: each of its files is validated as a tree of its own, where an unresolved
      reference is info (an example names what the reader creates). Anywhere else two files
      defining one object stay ``duplicate-resource``.
    """
    from gigrouter.validate import shapes

    by_file: dict[str, list[Finding]] = {}
    for finding in tree.findings:
        by_file.setdefault(finding.file, []).append(finding)
    with_objects = {doc.file for doc in tree.documents}
    kept: list[Finding] = []
    for file, found in by_file.items():
        rules = {f.rule for f in found}
        plain = file and file not in with_objects and not _synced(tree, file)
        template = rules == {"yaml-invalid"} and _TEMPLATE_MARK in (tree.text(file) or "")
        if plain and ((rules == {"document-incomplete"} and _no_object(tree, file)) or template):
            what = "is a template ({{ }})" if template else "holds no apiVersion and kind"
            kept.append(
                Finding(
                    Severity.INFO,
                    "not-a-manifest",
                    f"{file} {what}, so it is not a Kubernetes manifest and is not validated"
                    " (no Application syncs it)",
                    file,
                )
            )
        else:
            kept.extend(found)
    tree.findings = kept
    folders: dict[str, dict[tuple[str, str, str], set[str]]] = {}
    for doc in tree.documents:
        if sources and shapes.owner(doc.file, sources) is not None:
            continue  # rendered: the chart or kustomization is one deployment
        if doc.app is not None:
            continue
        key = (doc.kind, doc.namespace, doc.name)
        folders.setdefault(doc.file.rpartition("/")[0], {}).setdefault(key, set()).add(doc.file)
    for folder, objects in sorted(folders.items()):
        files = sorted({f for held in objects.values() for f in held})
        twice = sorted((key, held) for key, held in objects.items() if len(held) > 1)
        if not twice or not EXAMPLE_FOLDERS & set(PurePosixPath(folder).parts):
            continue
        (kind, _, name), where = twice[0]
        note = f"; {kind} {name} is defined in {' and '.join(sorted(where))}"
        tree.findings.append(
            Finding(
                Severity.INFO,
                "snippet-folder",
                f"{folder}/ is a folder of examples that no Application syncs{note}: each of"
                f" its {len(files)} files is validated alone",
                files[0],
            )
        )
        moved = set(files)
        for file in files:
            alone = Tree(
                root=tree.root,
                prefix=tree.prefix,
                sources=tree.sources,
                snippet=True,
                scopes=tree.scopes,
            )
            alone.files = [file]
            alone.documents = [d for d in tree.documents if d.file == file]
            tree.variants.append(alone)
        tree.documents = [d for d in tree.documents if d.file not in moved]

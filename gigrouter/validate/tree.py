"""Read a GitOps repo tree into documents that know their file, line, Application and namespace.

The app-of-apps is read from the tree itself: every ``argoproj.io`` Application found says
which directory it syncs and into which namespace, so a resource without a namespace gets the
destination namespace of the Application whose path holds its file. Helm values files named in
``valueFiles``, gigrouter's metadata file and documentation are understood, not flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from gigrouter.validate.findings import Finding, Resource, Severity

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

METADATA_FILE = "gigrouter-metadata.yaml"
ENVIRONMENTS_DIR = "environments"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_SEPARATOR = re.compile(r"^---(\s|$)")

# Kinds that live outside namespaces (the common ones; CRDs add theirs through the metadata).
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "PriorityClass",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "APIService",
        "RuntimeClass",
        "CSIDriver",
        "CSINode",
        "VolumeAttachment",
        "CertificateSigningRequest",
        "FlowSchema",
        "PriorityLevelConfiguration",
        "ClusterSecretStore",
        "ClusterExternalSecret",
        "ClusterIssuer",
    }
)


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


@dataclass
class Document:
    """One YAML document of the tree."""

    file: str
    line: int
    data: dict[str, Any]
    app: AppInfo | None = None
    namespace: str = ""

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

    def text(self, rel: str) -> str | None:
        """The text of one file of the tree (from memory or disk), None if it is not there."""
        if self.memory is not None:
            return self.memory.texts.get(rel)
        try:
            return (self.root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
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


def _app_info(doc: Document, repo_path: str, repo_url: str | None) -> AppInfo:
    """What an Application syncs from this tree; sources of other repos are left out."""
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
            if not isinstance(vf, str):
                continue
            if vf.startswith("$"):  # $ref/path: relative to the root of the ref source's repo
                ref, _, rest = vf[1:].partition("/")
                if ref in refs and local(refs[ref]):
                    rel = relative_to_repo(rest, repo_path)
                    if rel is not None:
                        value_files.append(rel)
            elif isinstance(source_path, str) and local(src):  # relative to the source's path
                rel = relative_to_repo(f"{source_path.strip('/')}/{vf}", repo_path)
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
    root: Path, prefix: str = "", skip_environments: bool = True, memory: MemoryFiles | None = None
) -> Tree:
    """Read every manifest under ``root`` (or in ``memory``); environments/<name>/ trees are left
    to their own load."""
    tree = Tree(root=root, prefix=prefix, memory=memory)
    meta_text = memory.texts.get(METADATA_FILE) if memory is not None else None
    if memory is None and (root / METADATA_FILE).is_file():
        meta_text = (root / METADATA_FILE).read_text(encoding="utf-8")
    if meta_text is not None:
        try:
            meta = yaml.load(meta_text, Loader=_Loader)
        except yaml.YAMLError as exc:
            tree.findings.append(_yaml_finding(METADATA_FILE, exc))
            meta = None
        if isinstance(meta, dict):
            tree.metadata = meta
            gitops = meta.get("gitops")
            if isinstance(gitops, dict) and isinstance(gitops.get("path"), str):
                tree.repo_path = gitops["path"].strip("/")
    if memory is not None:
        listing: list[str] = sorted(memory.texts)
        environments = set(memory.environments())
    else:
        listing = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        environments = set(environment_roots(root))
    for rel in listing:
        parts = PurePosixPath(rel).parts
        in_environment = len(parts) > 2 and parts[0] == ENVIRONMENTS_DIR
        if skip_environments and in_environment and parts[1] in environments:
            continue
        if any(part.startswith(".") for part in parts):
            continue
        tree.files.append(rel)
        if rel == METADATA_FILE or not rel.endswith(MANIFEST_SUFFIXES):
            continue
        if memory is not None:
            _read_text(tree, rel, memory.texts[rel], memory.parsed.get(rel))
        else:
            _read_file(tree, root / rel, rel)
    gitops = tree.metadata.get("gitops")
    repo_url = gitops.get("repoURL") if isinstance(gitops, dict) else None
    if not isinstance(repo_url, str):
        repo_url = None
    for doc in tree.documents:
        if doc.kind == "Application" and doc.group == "argoproj.io":
            tree.applications.append(_app_info(doc, tree.repo_path, repo_url))
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
        f for f in tree.findings if f.file not in tree.values_files or f.rule == "yaml-invalid"
    ]
    _assign_apps(tree)
    return tree


def environment_roots(root: Path) -> list[str]:
    """The names of environments/<name>/ trees that are gigrouter trees of their own."""
    env_dir = root / ENVIRONMENTS_DIR
    if not env_dir.is_dir():
        return []
    return sorted(p.name for p in env_dir.iterdir() if (p / METADATA_FILE).is_file())


def _yaml_finding(rel: str, exc: yaml.YAMLError) -> Finding:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 0
    problem = getattr(exc, "problem", None) or str(exc)
    return Finding(
        Severity.ERROR,
        "yaml-invalid",
        f"not valid YAML: {problem}; fix the syntax so Argo CD can read the file",
        rel,
        line,
    )


def _read_file(tree: Tree, path: Path, rel: str) -> None:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        tree.findings.append(
            Finding(Severity.ERROR, "yaml-invalid", "not UTF-8 text; Argo CD cannot read it", rel)
        )
        return
    _read_text(tree, rel, text, None)


def _read_text(tree: Tree, rel: str, text: str, parsed: list[Any] | None) -> None:
    if parsed is None:
        try:
            parsed = [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
        except yaml.YAMLError as exc:
            tree.findings.append(_yaml_finding(rel, exc))
            return
    starts = _documents_with_lines(text)
    non_empty = parsed
    if len(starts) != len(non_empty):  # comments-only documents and the like: best effort
        starts = (starts + [0] * len(non_empty))[: len(non_empty)]
    for data, line in zip(non_empty, starts, strict=True):
        if (
            isinstance(data, dict)
            and data.get("kind") == "List"
            and isinstance(data.get("items"), list)
        ):
            for item in data["items"]:
                _add_document(tree, rel, line, item)
        else:
            _add_document(tree, rel, line, data)


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
    doc = Document(rel, line, data)
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


def _assign_apps(tree: Tree) -> None:
    """Attach each document to the Application whose path holds its file; fill namespaces."""
    by_depth = sorted(
        ((p, app) for app in tree.applications for p in app.paths),
        key=lambda item: -len(item[0]),
    )
    for doc in tree.documents:
        folder = doc.file.rpartition("/")[0]
        for path, app in by_depth:
            inside = path == "" or folder == path or folder.startswith(path + "/")
            if folder == path or (app.recurse and inside):
                doc.app = app
                break
        explicit = doc.metadata.get("namespace")
        if isinstance(explicit, str) and explicit:
            doc.namespace = explicit
        elif doc.kind in CLUSTER_SCOPED:
            doc.namespace = ""
        elif doc.app is not None:
            doc.namespace = doc.app.namespace

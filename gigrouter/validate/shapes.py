"""Directories of a tree that are not plain manifests: Helm charts and kustomizations.

A Helm chart (a directory with ``Chart.yaml``) holds Go templates and values, and a
kustomization (``kustomization.yaml``, ``kustomization.yml`` or ``Kustomization``) holds bases,
patches and generator inputs: neither is what the cluster receives, so their files are never
validated as manifests. Each is reported once as info, or with ``--render`` rendered by the
tool that owns it (``helm template DIR``, ``kubectl kustomize DIR``) and what comes out is
validated as that directory's documents, each named by the source file it came from where the
tool says (Helm's ``# Source:`` comments, kustomize's origin annotations).

Kustomizations that other kustomizations build on (``resources``, ``bases``, ``components``) are
bases: they are rendered as part of the ones using them. Kustomizations nothing uses are
rendered on their own; two or more of them that share a base are variants (``overlays/dev``,
``overlays/prod``), each validated as a tree of its own, as ``environments/<name>/`` trees are.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gigrouter import safeyaml
from gigrouter.validate.findings import Finding, Severity

CHART_FILE = "Chart.yaml"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
RENDER_TIMEOUT_SECONDS = 120

RULES: dict[str, str] = {
    "helm-chart": (
        "A Helm chart directory: its templates are validated only when rendered (--render)."
    ),
    "kustomization": (
        "A kustomization: its bases and patches are validated only when rendered (--render)."
    ),
    "render-failed": (
        "--render could not render a chart or kustomization (its tool failed or is not on PATH)."
    ),
    "not-a-manifest": (
        "A YAML file of a hand-written tree that no Application syncs holds no Kubernetes object."
    ),
    "snippet-folder": (
        "A docs or examples folder whose files define one object twice: each is validated alone."
    ),
}

# The severity each rule reports at ("render-failed" is a warning when the tool is missing).
SEVERITY = {
    "helm-chart": "info",
    "kustomization": "info",
    "render-failed": "error",
    "not-a-manifest": "info",
    "snippet-folder": "info",
}

_SOURCE_COMMENT = re.compile(r"^# Source: (\S+)\s*$", re.M)
_SEPARATOR = re.compile(r"^---\s*$", re.M)
# kubectl's log prefix on its error line (E1204 18:29:50.2110  2792 run.go:72] "command failed")
_KLOG = re.compile(r'^[EWI]\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err=', re.M)


@dataclass(frozen=True)
class Source:
    """A directory that a tool renders."""

    tool: str  # "helm" or "kustomize"
    folder: str  # tree path of the directory ('' for the tree's root)
    file: str  # tree path of its Chart.yaml or kustomization file
    uses: tuple[str, ...] = ()  # folders of the kustomizations it builds on

    @property
    def shown(self) -> str:
        return self.folder or "."

    def holds(self, rel: str) -> bool:
        return self.folder == "" or rel.startswith(self.folder + "/")


@dataclass
class Rendered:
    """What rendering one source gave: (tree path, line, object) per document, and findings."""

    documents: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _folder(rel: str) -> str:
    return rel.rpartition("/")[0]


def find_sources(files: Iterable[str], read: Callable[[str], str | None]) -> list[Source]:
    """Every chart and kustomization among the tree's ``files`` (``read`` gives a file's text)."""
    listed = set(files)
    found: list[Source] = []
    for rel in sorted(listed):
        name = rel.rpartition("/")[2]
        if name == CHART_FILE:
            found.append(Source("helm", _folder(rel), rel))
        elif name in KUSTOMIZATION_FILES:
            folder = _folder(rel)
            if any(s.folder == folder and s.tool == "kustomize" for s in found):
                continue  # kustomize itself refuses two; the first one is reported
            found.append(Source("kustomize", folder, rel, _uses(folder, read(rel), listed)))
    return found


def _uses(folder: str, text: str | None, files: set[str]) -> tuple[str, ...]:
    """The tree folders holding a kustomization that this one lists as a resource or base."""
    try:
        data = safeyaml.load(text) if text is not None else None
    except yaml.YAMLError:
        data = None  # kubectl kustomize reports it when rendered
    if not isinstance(data, dict):
        return ()
    used: list[str] = []
    for key in ("resources", "bases", "components"):
        entries = data.get(key)
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, str) or "://" in entry or entry.startswith("/"):
                continue
            path = posixpath.normpath(posixpath.join(folder, entry))
            if path == ".":
                path = ""
            if path.startswith("../") or path == "..":
                continue
            prefix = f"{path}/" if path else ""
            if any(f"{prefix}{name}" in files for name in KUSTOMIZATION_FILES):
                used.append(path)
    return tuple(used)


def owner(rel: str, sources: list[Source]) -> Source | None:
    """The source a file belongs to: the outermost chart holding it (subcharts render with
    their parent), else the innermost kustomization holding it."""
    charts = [s for s in sources if s.tool == "helm" and s.holds(rel)]
    if charts:
        return min(charts, key=lambda s: len(s.folder))
    kustomizations = [s for s in sources if s.tool == "kustomize" and s.holds(rel)]
    return max(kustomizations, key=lambda s: len(s.folder)) if kustomizations else None


def roots(sources: list[Source]) -> list[Source]:
    """The sources rendered on their own: charts inside no other chart, kustomizations no
    other kustomization uses (and inside no chart)."""
    used = {u for s in sources for u in s.uses}
    return [s for s in sources if owner(s.file, sources) == s and s.folder not in used]


def variants(tops: list[Source], sources: list[Source]) -> set[str]:
    """The folders of root kustomizations that share a base with another: each is a tree."""
    by_folder = {s.folder: s for s in sources if s.tool == "kustomize"}

    def bases(source: Source) -> set[str]:
        seen: set[str] = set()
        pending = list(source.uses)
        while pending:
            folder = pending.pop()
            if folder in seen:
                continue
            seen.add(folder)
            if folder in by_folder:
                pending.extend(by_folder[folder].uses)
        return seen

    closure = {s.folder: bases(s) for s in tops if s.tool == "kustomize"}
    return {
        folder
        for folder, mine in closure.items()
        if any(mine & theirs for other, theirs in closure.items() if other != folder)
    }


def unrendered(source: Source, used_by: list[str]) -> Finding:
    """The one info a chart or kustomization gets when it is not rendered."""
    if source.tool == "helm":
        return Finding(
            Severity.INFO,
            "helm-chart",
            f"{source.shown} is a Helm chart: its templates are Go templates, not manifests,"
            " so they are not validated; render it first (helm template), or pass --render",
            source.file,
        )
    what = f"a kustomize base of {', '.join(used_by)}" if used_by else "a kustomization"
    return Finding(
        Severity.INFO,
        "kustomization",
        f"{source.shown} is {what}: its bases, patches and generators are not validated as"
        " plain manifests; render it first (kubectl kustomize), or pass --render",
        source.file,
    )


def render(source: Source, root: Path) -> Rendered:
    """Render one source with its tool; a missing tool or a failed run is a finding."""
    tool = "helm" if source.tool == "helm" else "kubectl"
    command = "helm template" if source.tool == "helm" else "kubectl kustomize"
    out = Rendered()
    if shutil.which(tool) is None:
        out.findings.append(
            Finding(
                Severity.WARNING,
                "render-failed",
                f"{tool} is not on PATH, so {source.shown} was neither rendered nor validated:"
                f" install {tool}, or run {command} {source.shown} and validate its output",
                source.file,
            )
        )
        return out
    real_root = Path(os.path.realpath(root))
    folder = real_root / source.folder if source.folder else real_root
    with tempfile.TemporaryDirectory(prefix="gigrouter-render-") as scratch:
        rel = ""
        if source.tool == "helm":
            args = ["helm", "template", str(folder)]
        else:
            # A kustomization around the one to render, asking kustomize to annotate each
            # object with the file it came from (kustomize takes only relative resources).
            rel = os.path.relpath(folder, scratch)
            (Path(scratch) / "kustomization.yaml").write_text(
                f"resources:\n- {rel}\nbuildMetadata: [originAnnotations]\n", encoding="utf-8"
            )
            args = ["kubectl", "kustomize", scratch]
        try:
            done = subprocess.run(
                args,
                capture_output=True,
                text=True,
                check=False,
                timeout=RENDER_TIMEOUT_SECONDS,
                cwd=scratch,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            out.findings.append(_failed(source, command, type(exc).__name__))
            return out
        if done.returncode != 0:
            reason = _KLOG.sub("", done.stderr.strip()).replace(scratch, "<render>")
            reason = reason.replace(f"{real_root}/", "").replace(f"{rel}/" if rel else "", "")
            reason = reason or f"exit {done.returncode}"
            out.findings.append(_failed(source, command, reason))
            return out
        if source.tool == "helm":
            _helm_documents(source, done.stdout, out)
        else:
            _kustomize_documents(source, done.stdout, Path(scratch), real_root, out)
    return out


def _failed(source: Source, command: str, reason: str) -> Finding:
    return Finding(
        Severity.ERROR,
        "render-failed",
        safeyaml.cut(f"{command} {source.shown} failed, as it would for Argo CD: {reason}", 400),
        source.file,
    )


def _load(text: str, source: Source, out: Rendered) -> list[Any]:
    try:
        return [d for d in safeyaml.load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        out.findings.append(
            Finding(
                Severity.ERROR,
                "render-failed",
                safeyaml.cut(f"the rendered output of {source.shown} is not valid YAML: {exc}"),
                source.file,
            )
        )
        return []


def _helm_documents(source: Source, text: str, out: Rendered) -> None:
    """Each document of ``helm template`` output, named by its ``# Source:`` template."""
    for chunk in _SEPARATOR.split(text):
        found = _SOURCE_COMMENT.search(chunk)
        rel = source.file
        if found is not None:
            inside = found.group(1).partition("/")[2]  # '<chart>/templates/x.yaml'
            rel = f"{source.folder}/{inside}" if source.folder else inside
        for data in _load(chunk, source, out):
            if isinstance(data, dict):
                out.documents.append((rel, 0, data))


def _kustomize_documents(
    source: Source, text: str, scratch: Path, root: Path, out: Rendered
) -> None:
    """Each object of ``kubectl kustomize`` output, named by the file its origin annotation
    gives (the kustomization file for generated objects), the annotation removed."""
    lines: dict[str, dict[tuple[str, str], int]] = {}
    for data in _load(text, source, out):
        if not isinstance(data, dict):
            continue
        rel = source.file
        meta = data.get("metadata")
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        if isinstance(annotations, dict) and ORIGIN_ANNOTATION in annotations:
            origin = _origin(annotations.pop(ORIGIN_ANNOTATION), scratch, root)
            if not annotations and isinstance(meta, dict):
                del meta["annotations"]
            if origin is not None:
                rel = origin
        out.documents.append((rel, _line_of(rel, data, root, lines), data))


def _origin(raw: Any, scratch: Path, root: Path) -> str | None:
    """The tree path of the file an origin annotation names (None: outside the tree)."""
    try:
        origin = yaml.safe_load(raw) if isinstance(raw, str) else None
    except yaml.YAMLError:
        return None
    if not isinstance(origin, dict):
        return None
    path = origin.get("path") or origin.get("configuredIn")
    if not isinstance(path, str):
        return None
    full = os.path.normpath(os.path.join(scratch, path))
    rel = os.path.relpath(full, root)
    if rel.startswith(".."):
        return None
    return Path(rel).as_posix()


def _line_of(
    rel: str, data: dict[str, Any], root: Path, cache: dict[str, dict[tuple[str, str], int]]
) -> int:
    """The line where the object starts in its source file (0 when it cannot be told)."""
    if rel not in cache:
        cache[rel] = {}
        try:
            text = safeyaml.read_text(root / rel)
            docs = list(safeyaml.load_all(text))
        except (safeyaml.Unreadable, yaml.YAMLError, OSError):
            docs, text = [], ""
        starts = _starts(text)
        for doc, line in zip(docs, starts, strict=False):
            if isinstance(doc, dict) and isinstance(doc.get("metadata"), dict):
                cache[rel][(str(doc.get("kind")), str(doc["metadata"].get("name")))] = line
    found = cache[rel]
    kind = str(data.get("kind"))
    meta = data.get("metadata")
    name = str(meta.get("name")) if isinstance(meta, dict) else ""
    if (kind, name) in found:
        return found[(kind, name)]
    near = [line for (k, n), line in found.items() if k == kind and n and n in name]
    return near[0] if len(near) == 1 else 0


def _starts(text: str) -> list[int]:
    """The line each document of a YAML stream starts at (documents separated by ---)."""
    starts: list[int] = []
    pending: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("---"):
            pending = None
            continue
        stripped = line.strip()
        if pending is None and stripped and not stripped.startswith("#"):
            pending = number
            starts.append(number)
    return starts

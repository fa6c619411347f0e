"""``gigrouter diff``: what a fresh render of the config would change in the output tree.

The fresh render is the tree ``render`` would write (the pipeline's ``build_trees``); the other
side is the output directory on disk or, with ``against``, the output tree committed at a git
ref (read with ``git ls-tree`` and ``git cat-file`` from the repository holding it). Both sides
are read by validate's loader (``load_tree``), so objects get their namespaces from the
Application that syncs them, exactly as validate and plan see them.

Changes are reported per resource, keyed by apiVersion, kind, namespace and name (not by file):
added, removed, changed (with the changed field paths) and moved (same resource, another file).
A Helm-sourced Application also shows its chart version change and its values changes, including
those in the values files it reads. Every changed file comes with a unified diff.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from gigrouter import safeyaml, yamlio
from gigrouter.errors import Location, Problem, UsageError
from gigrouter.layout import METADATA_FILE
from gigrouter.validate.context import dig
from gigrouter.validate.tree import ENVIRONMENTS_DIR, Document, Tree, environment_roots, load_tree
from gigrouter.write import read_tree

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()


@dataclass(frozen=True, order=True)
class ResourceKey:
    """The identity of one object; ``tree`` is '' or the environment's 'environments/<name>/'."""

    tree: str
    api_version: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        env = f"[{self.tree.rstrip('/')}] " if self.tree else ""
        return f"{env}{self.kind} {where}{self.name}"


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: Any  # MISSING when the field was added
    new: Any  # MISSING when the field was removed


@dataclass(frozen=True)
class ResourceChange:
    status: str  # added, removed, changed, moved
    key: ResourceKey
    old_file: str | None
    new_file: str | None
    fields: tuple[FieldChange, ...] = ()
    helm: tuple[str, ...] = ()  # chart version and values changes of a Helm-sourced app
    application: str = ""  # the Argo CD Application that syncs it ('' when none does)

    @property
    def file(self) -> str:
        return str(self.new_file or self.old_file)


@dataclass(frozen=True)
class FileChange:
    path: str
    status: str  # added, removed, changed
    diff: str  # unified diff (a/PATH, b/PATH), or a line saying a binary file differs
    added_lines: int = 0
    removed_lines: int = 0
    application: str = ""  # the Application that syncs (or reads values from) the file


@dataclass(frozen=True)
class Diff:
    before: str  # what was compared: "out", or "HEAD:out"
    after: str  # "a fresh render of config/platform.yaml"
    resources: tuple[ResourceChange, ...] = ()
    files: tuple[FileChange, ...] = field(default_factory=tuple)

    @property
    def clean(self) -> bool:
        return not self.files

    def count(self, status: str) -> int:
        return sum(1 for r in self.resources if r.status == status)


def diff_config(
    config: Path, out: Path, against: str | None = None, env: str | None = None
) -> Diff:
    """What rendering ``config`` would change in ``out`` (or in ``out`` as committed at the git
    ref ``against``). ``env`` compares one environment's tree, out/environments/<env>/."""
    from gigrouter.pipeline import build_trees, combine

    if env is None:
        fresh = combine(build_trees(config, everything=True)).files
    else:
        (built,) = build_trees(config, env)
        fresh = built.tree.files
        out = out / ENVIRONMENTS_DIR / env
    if against is None:
        current = _read_dir(out)
        before = str(out)
    else:
        current, before = _read_ref(out, against)
    return compare_files(current, dict(fresh), before, f"a fresh render of {config}")


def compare_files(
    old: dict[str, str | None], new: dict[str, str | None], before: str, after: str
) -> Diff:
    """The resource and file changes from the tree ``old`` to the tree ``new`` (path -> text;
    None for a file that is not UTF-8)."""
    files = _file_changes(old, new)
    if not files:
        return Diff(before, after)
    with tempfile.TemporaryDirectory(prefix="gigrouter-diff-") as scratch:
        old_trees = _load(Path(scratch) / "old", old)
        new_trees = _load(Path(scratch) / "new", new)
    owners = {**_owners(old_trees), **_owners(new_trees)}
    resources = [
        replace(r, application=owners.get(r.file, "")) if not r.application else r
        for r in _resource_changes(old_trees, new_trees, old, new)
    ]
    files = [replace(f, application=owners.get(f.path, "")) for f in files]
    return Diff(before, after, tuple(resources), tuple(files))


def _owners(trees: list[Tree]) -> dict[str, str]:
    """Whole-tree file path -> the Application that syncs it or reads it as values."""
    out: dict[str, str] = {}
    for tree in trees:
        env = f"[{tree.prefix.rstrip('/')}] " if tree.prefix else ""
        for app in tree.applications:
            for values in app.value_files:
                out[tree.prefix + values] = env + app.name
        for doc in tree.documents:
            if doc.app is not None:
                file = doc.file if doc.file.startswith(tree.prefix) else tree.prefix + doc.file
                out.setdefault(file, env + doc.app.name)
    return out


# --- reading the two sides ------------------------------------------------------------------


def _visible(rel: str) -> bool:
    return not any(part.startswith(".") for part in PurePosixPath(rel).parts)


def _decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _read_dir(out: Path) -> dict[str, str | None]:
    """OUT's files, read as render --check reads them (links are refused, not followed)."""
    if out.exists() and not out.is_dir() and not out.is_symlink():
        raise UsageError([Problem(Location(str(out)), "is not a directory")])
    return read_tree(out, hidden=False)


def _git(
    args: list[str], cwd: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise UsageError("--against needs git, which is not installed") from None


def _read_ref(out: Path, ref: str) -> tuple[dict[str, str | None], str]:
    """The files of ``out`` as committed at ``ref``, by path relative to ``out``."""
    if not ref or ref.startswith("-"):
        raise UsageError([Problem(Location("--against"), f"{ref!r} is not a git ref")])
    absolute = Path(os.path.abspath(out))
    start = absolute
    while not start.is_dir():
        start = start.parent
    top = _git(["rev-parse", "--show-toplevel"], start)
    if top.returncode != 0:
        raise UsageError(
            [Problem(Location(str(out)), "--against needs OUT inside a git repository")]
        )
    root = Path(top.stdout.decode().strip()).resolve()
    try:
        rel = absolute.resolve().relative_to(root).as_posix()
    except ValueError:
        raise UsageError(
            [Problem(Location(str(out)), f"is outside the git repository at {root}")]
        ) from None
    commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    if commit.returncode != 0:
        raise UsageError([Problem(Location("--against"), f"{ref!r} names no commit in {root}")])
    sha = commit.stdout.decode().strip()
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", sha, "--", rel], root)
    if listing.returncode != 0:
        raise UsageError([Problem(Location("--against"), listing.stderr.decode().strip())])
    prefix = "" if rel == "." else rel + "/"
    blobs: list[tuple[str, str]] = []
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.decode("utf-8", "surrogateescape").partition("\t")
        mode, kind, blob = meta.split()
        if kind != "blob" or mode == "120000" or not path.startswith(prefix):
            continue
        inner = path[len(prefix) :]
        if _visible(inner):
            blobs.append((inner, blob))
    files: dict[str, str | None] = {}
    if blobs:
        batch = _git(["cat-file", "--batch"], root, "".join(f"{b}\n" for _, b in blobs).encode())
        data = batch.stdout
        position = 0
        for inner, _ in blobs:
            header_end = data.index(b"\n", position)
            size = int(data[position:header_end].split()[2])
            start_at = header_end + 1
            files[inner] = _decode(data[start_at : start_at + size])
            position = start_at + size + 1
    label = f"{ref}:{rel}" if rel != "." else ref
    return dict(sorted(files.items())), label


def _load(root: Path, files: dict[str, str | None]) -> list[Tree]:
    """Write ``files`` under ``root`` and read them as validate does: the tree and each
    environments/<name>/ tree inside it."""
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"\xff" if text is None else text.encode("utf-8"))
    root.mkdir(parents=True, exist_ok=True)
    trees = [load_tree(root)]
    for name in environment_roots(root):
        prefix = f"{ENVIRONMENTS_DIR}/{name}/"
        trees.append(load_tree(root / ENVIRONMENTS_DIR / name, prefix=prefix))
    return trees


# --- files ----------------------------------------------------------------------------------


def _file_changes(old: dict[str, str | None], new: dict[str, str | None]) -> list[FileChange]:
    changes = []
    for rel in sorted(set(old) | set(new)):
        if rel in old and rel in new and old[rel] == new[rel]:
            continue
        status = "added" if rel not in old else "removed" if rel not in new else "changed"
        before, after = old.get(rel), new.get(rel)
        if (rel in old and before is None) or (rel in new and after is None):
            changes.append(FileChange(rel, status, f"Binary file {rel} differs\n"))
            continue
        lines = list(
            difflib.unified_diff(
                [] if before is None else before.splitlines(keepends=True),
                [] if after is None else after.splitlines(keepends=True),
                fromfile="/dev/null" if status == "added" else f"a/{rel}",
                tofile="/dev/null" if status == "removed" else f"b/{rel}",
            )
        )
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        plus = sum(1 for ln in lines if ln.startswith("+") and not ln.startswith("+++"))
        minus = sum(1 for ln in lines if ln.startswith("-") and not ln.startswith("---"))
        changes.append(FileChange(rel, status, text, plus, minus))
    return changes


# --- resources ------------------------------------------------------------------------------


def _keyed(trees: list[Tree]) -> dict[ResourceKey, Document]:
    out: dict[ResourceKey, Document] = {}
    for tree in trees:
        for doc in tree.documents:
            name = doc.name or f"{doc.metadata.get('generateName', '')}*"
            key = ResourceKey(tree.prefix, doc.api_version, doc.kind, doc.namespace, name)
            n = 2
            while key in out:  # the same object twice: keep both, the later one numbered
                key = ResourceKey(
                    tree.prefix, doc.api_version, doc.kind, doc.namespace, f"{name}#{n}"
                )
                n += 1
            doc.file = tree.prefix + doc.file
            out[key] = doc
    return out


def _values_files(trees: list[Tree]) -> dict[tuple[str, str], list[str]]:
    """(tree prefix, Application name) -> the values files it reads, as paths in the whole tree."""
    return {
        (tree.prefix, app.name): [tree.prefix + v for v in app.value_files]
        for tree in trees
        for app in tree.applications
    }


def _resource_changes(
    old_trees: list[Tree],
    new_trees: list[Tree],
    old_files: dict[str, str | None],
    new_files: dict[str, str | None],
) -> list[ResourceChange]:
    old, new = _keyed(old_trees), _keyed(new_trees)
    old_values, new_values = _values_files(old_trees), _values_files(new_trees)
    changes = []
    for key in sorted(set(old) | set(new)):
        if key not in new:
            changes.append(ResourceChange("removed", key, old[key].file, None))
            continue
        if key not in old:
            changes.append(ResourceChange("added", key, None, new[key].file))
            continue
        a, b = old[key], new[key]
        fields = field_changes(a.data, b.data)
        helm: list[str] = []
        if key.kind == "Application" and a.group == "argoproj.io":
            app = (key.tree, key.name)
            helm = _chart_changes(a.data, b.data)
            values = _values_changes(
                old_values.get(app, []), new_values.get(app, []), old_files, new_files
            )
            fields += values
            if values or any(".helm.values" in f.path for f in fields):
                count = sum(1 for f in fields if ".helm.values" in f.path or f in values)
                helm.append(f"values: {count} field{'s' if count != 1 else ''} changed")
        if a.file != b.file:
            changes.append(ResourceChange("moved", key, a.file, b.file, tuple(fields), tuple(helm)))
        elif fields:
            changes.append(
                ResourceChange("changed", key, a.file, b.file, tuple(fields), tuple(helm))
            )
    return changes


def _sources(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    sources = dig(data, "spec", "sources")
    if isinstance(sources, list):
        return [(f"spec.sources[{i}]", s) for i, s in enumerate(sources) if isinstance(s, dict)]
    source = dig(data, "spec", "source")
    return [("spec.source", source)] if isinstance(source, dict) else []


def _chart_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before = {str(s["chart"]): s.get("targetRevision") for _, s in _sources(old) if "chart" in s}
    after = {str(s["chart"]): s.get("targetRevision") for _, s in _sources(new) if "chart" in s}
    notes = []
    for chart in sorted(set(before) | set(after)):
        if chart not in before:
            notes.append(f"chart {chart} {after[chart]} added")
        elif chart not in after:
            notes.append(f"chart {chart} {before[chart]} removed")
        elif before[chart] != after[chart]:
            notes.append(f"chart {chart}: {before[chart]} -> {after[chart]}")
    return notes


def _values_changes(
    old_paths: list[str],
    new_paths: list[str],
    old_files: dict[str, str | None],
    new_files: dict[str, str | None],
) -> list[FieldChange]:
    changes: list[FieldChange] = []
    for path in sorted(set(old_paths) | set(new_paths)):
        a = _yaml(old_files.get(path)) if path in old_paths else MISSING
        b = _yaml(new_files.get(path)) if path in new_paths else MISSING
        if a is MISSING or b is MISSING:
            if a != b:
                changes.append(FieldChange(f"values({path})", a, b))
            continue
        changes.extend(field_changes(a, b, f"values({path})"))
    return changes


def _yaml(text: str | None) -> Any:
    if text is None:
        return None
    try:  # a values file from the tree (at --against, a pull request's): the bounded reader
        return safeyaml.load(text)
    except (yaml.YAMLError, ValueError, RecursionError):
        return text


# --- field paths ----------------------------------------------------------------------------


def _segment(key: Any) -> str:
    text = str(key)
    simple = text.replace("_", "a").replace("-", "a").isalnum() and not text[:1].isdigit()
    return f".{text}" if simple else f'["{text}"]'


def _join(path: str, key: Any) -> str:
    segment = _segment(key)
    return segment[1:] if not path and segment.startswith(".") else path + segment


def _names(items: list[Any]) -> list[str] | None:
    names = [i.get("name") if isinstance(i, dict) else None for i in items]
    if all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
        return [str(n) for n in names]
    return None


def field_changes(old: Any, new: Any, path: str = "") -> list[FieldChange]:
    """The paths where ``new`` differs from ``old``: ``spec.replicas``,
    ``metadata.annotations["argocd.argoproj.io/sync-wave"]``, ``containers[name=app].image``
    (list items with unique names are matched by name), ``ports[0].port``."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in sorted(set(old) | set(new), key=str):
            sub = _join(path, key)
            if key not in old:
                changes.append(FieldChange(sub, MISSING, new[key]))
            elif key not in new:
                changes.append(FieldChange(sub, old[key], MISSING))
            else:
                changes.extend(field_changes(old[key], new[key], sub))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        old_names, new_names = _names(old), _names(new)
        if old_names is not None and new_names is not None and (old_names or new_names):
            return _named_list_changes(old, new, old_names, new_names, path)
        changes = []
        for i in range(max(len(old), len(new))):
            sub = f"{path}[{i}]"
            if i >= len(old):
                changes.append(FieldChange(sub, MISSING, new[i]))
            elif i >= len(new):
                changes.append(FieldChange(sub, old[i], MISSING))
            else:
                changes.extend(field_changes(old[i], new[i], sub))
        return changes
    if old == new and type(old) is type(new):
        return []
    return [FieldChange(path, old, new)]


def _named_list_changes(
    old: list[Any], new: list[Any], old_names: list[str], new_names: list[str], path: str
) -> list[FieldChange]:
    changes = []
    by_old = dict(zip(old_names, old, strict=True))
    by_new = dict(zip(new_names, new, strict=True))
    for name in [*old_names, *(n for n in new_names if n not in by_old)]:
        sub = f"{path}[name={name}]"
        if name not in by_new:
            changes.append(FieldChange(sub, by_old[name], MISSING))
        elif name not in by_old:
            changes.append(FieldChange(sub, MISSING, by_new[name]))
        else:
            changes.extend(field_changes(by_old[name], by_new[name], sub))
    common_old = [n for n in old_names if n in by_new]
    common_new = [n for n in new_names if n in by_old]
    if common_old != common_new:
        changes.append(FieldChange(f"{path}(order)", common_old, common_new))
    return changes


# --- two environments -------------------------------------------------------------------------


def diff_environments(config: Path, old_env: str | None, new_env: str | None) -> Diff:
    """Fresh renders of two environments of ``config`` (None: the base platform) compared
    resource by resource, with the Application name prefix each environment gets (when trees
    share an Argo CD) taken off both, so the same app in the two meets itself."""
    from gigrouter.pipeline import build_trees

    built = {b.environment: b for b in build_trees(config, everything=True)}
    for env in (old_env, new_env):
        if env not in built:
            known = ", ".join(sorted(e for e in built if e is not None)) or "none"
            raise UsageError(
                [Problem(Location("--env" if env == old_env else "--to-env"),
                         f"no environment {env!r} in {config}; known: {known}")]
            )  # fmt: skip
    if old_env == new_env:
        raise UsageError([Problem(Location("--to-env"), "compares an environment with itself")])
    sides = [_unprefixed(built[env].tree.files, built[env].platform) for env in (old_env, new_env)]
    label = {None: "the base platform"}
    return compare_files(
        sides[0],
        sides[1],
        f"environment {old_env}" if old_env else label[None],
        f"environment {new_env}" if new_env else label[None],
    )


def _unprefixed(files: dict[str, str], platform: Any) -> dict[str, str | None]:
    """``files`` with this tree's Application name prefix taken off every name it is on."""
    meta = yaml.safe_load(files.get(METADATA_FILE, "") or "{}")
    root = dig(meta, "argocd", "root") if isinstance(meta, dict) else None
    base_root = platform.argocd.root.name
    if not isinstance(root, str) or root == base_root or not root.endswith(base_root):
        return dict(files)
    prefix = root[: len(root) - len(base_root)]
    names = {prefix + app.name for app in platform.applications} | {root}

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {strip(k): strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, str) and value in names:
            return value[len(prefix) :]
        return value

    out: dict[str, str | None] = {}
    for rel, text in files.items():
        if not rel.endswith((".yaml", ".yml")):
            out[rel] = text
            continue
        header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
        documents = [strip(d) for d in yaml.safe_load_all(text) if d is not None]
        comment = "\n".join(line[2:] if line.startswith("# ") else line[1:]
                            for line in header.splitlines())  # fmt: skip
        out[rel] = yamlio.dump_all(documents, comment) if documents else text
    return out

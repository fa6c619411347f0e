"""``gigrouter plan``: the order in which Argo CD will apply a GitOps tree, read offline.

The tree is read by validate's loader (``load_tree``), so plan sees exactly the Applications,
documents and namespaces that validate sees. The order follows gitops-engine:

- the root app (the Application that syncs the Application manifests) comes first; its tasks
  are the child Application objects;
- then each child Application, ordered by its wave in the parent (ties by name), with its own
  tasks sorted by phase (PreSync, Sync, PostSync, SyncFail), wave, kind rank and name; objects
  with the same phase, wave, kind and name are in an order Argo CD leaves unspecified (Go's
  unstable sort), which plan makes deterministic by namespace, file and line;
- after the sort a Namespace moves in front of the first task in it, and a CRD in front of the
  first custom resource of its group and kind, taking that task's phase and wave;
- ``CreateNamespace=true`` adds a PreSync task for the destination namespace when the app's
  own (non-hook) manifests hold no Namespace of that name; Argo CD runs it only when the
  namespace does not exist yet;
- a Helm chart is one step: its content is rendered by Argo CD and not known offline.

Warnings are validate's findings about order (the rules in ``PLAN_RULES``), with their
severity and waivers, plus plan's own ``not-synced`` infos for objects Argo CD never applies
in a sync (``Skip``, ``PreDelete``/``PostDelete`` and other ignored hooks, files no
Application syncs).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gigrouter.errors import Location, Problem, UsageError
from gigrouter.plan.dependencies import Dependency, app_dependencies, sources
from gigrouter.safeyaml import cut
from gigrouter.validate.context import Options, as_list, dig
from gigrouter.validate.findings import Finding, Severity
from gigrouter.validate.rules import argocd
from gigrouter.validate.runner import _apply_waivers as apply_waivers
from gigrouter.validate.runner import build_context
from gigrouter.validate.syncorder import (
    HELM_HOOK,
    HOOK,
    KIND_RANK,
    PHASES,
    delete_policies,
    hook_source,
    phases,
    sync_options,
    wave,
)
from gigrouter.validate.tree import AppInfo, Document, Tree, load_tree, relative_to_repo

# Validate rules whose findings say something about the order (or what is left out of it).
PLAN_RULES = frozenset(
    {
        "app-wave-unwaited",
        "applicationset-unordered",
        "apply-order",
        "crd-order",
        "document-incomplete",
        "hook-unknown",
        "job-immutable",
        "namespace-missing",
        "sync-wave-format",
        "wave-order",
        "yaml-invalid",
        "document-too-large",  # a file plan could not read is a file it cannot order
        "symlink-outside-tree",
    }
)
NOT_SYNCED = "not-synced"
HELM_CHART = "HelmChart"
REMOTE_SOURCE = "RemoteSource"
CREATE_NAMESPACE = "CreateNamespace=true"
ALWAYS_THERE = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


@dataclass(frozen=True)
class Hook:
    """How a hook task runs: its phase type, delete policies and where the hook came from."""

    type: str
    delete_policies: tuple[str, ...]
    default_policy: bool  # no policy was set, so gitops-engine uses BeforeHookCreation
    source: str  # "argocd" (argocd.argoproj.io/hook) or "helm" (helm.sh/hook, mapped)

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "deletePolicies": list(self.delete_policies),
            "defaultPolicy": self.default_policy,
            "source": self.source,
        }

    def describe(self) -> str:
        policies = ",".join(self.delete_policies) + (" (default)" if self.default_policy else "")
        origin = " from helm.sh/hook" if self.source == "helm" else ""
        return f"{self.type} hook{origin}, delete: {policies}"


@dataclass(frozen=True)
class PlanStep:
    """One task of one Application's sync."""

    app: str
    phase: str
    wave: int
    kind: str
    namespace: str
    name: str
    file: str
    hook: Hook | None = None
    note: str = ""  # for text output: why the task is where it is, or what it stands for

    def as_dict(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "phase": self.phase,
            "wave": self.wave,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "file": self.file,
            "hook": self.hook.as_dict() if self.hook else None,
        }


@dataclass(frozen=True)
class AppPlan:
    """One Application and its tasks, in order."""

    name: str
    file: str
    namespace: str  # destination
    wave: int  # its wave in the parent app's sync
    parent: str | None  # the app that syncs its manifest (None: the root, or nothing syncs it)
    source: str  # what it syncs, for people
    steps: tuple[PlanStep, ...]


@dataclass(frozen=True)
class Plan:
    path: str
    apps: tuple[AppPlan, ...]
    warnings: tuple[Finding, ...]
    dependencies: tuple[Dependency, ...] = ()
    health_check: bool | None = None  # argocd-cm has the Application health check

    @property
    def steps(self) -> list[PlanStep]:
        return [s for app in self.apps for s in app.steps]

    @property
    def errors(self) -> int:
        return sum(1 for w in self.warnings if w.severity is Severity.ERROR)


# --- building the plan ----------------------------------------------------------------------


@dataclass
class _Task:
    step: PlanStep
    key: tuple[int, int, int, str, str, str, int]  # phase, wave, kind rank, name; tie-breaks
    stamped_namespace: str = ""  # as gitops-engine stamps it: explicit, else the destination
    namespace_dep: str | None = None  # a Namespace (core group): its name
    crd_dep: str | None = None  # a CRD: group/kind it defines
    group_kind: str | None = None  # what a custom resource needs: group/kind


def plan_tree(path: Path, env: str | None = None, options: Options | None = None) -> Plan:
    """The sync plan of the GitOps tree at ``path`` (``env``: environments/<env>/ inside it)."""
    if env is not None:
        if not env or env.startswith(".") or any(c in env for c in "/\\\0") or ".." in env:
            raise UsageError([Problem(Location("--env"), f"{env!r} is not an environment name")])
        path = path / "environments" / env
    if not path.is_dir():
        reason = "no such directory" if not path.exists() else "is not a directory"
        raise UsageError([Problem(Location(str(path)), reason)])
    return plan_of(load_tree(path), str(path), options)


def plan_of(tree: Tree, path: str, options: Options | None = None) -> Plan:
    """The sync plan of a loaded tree (``path`` is how the plan names it)."""
    ctx = build_context(tree, options or Options())
    # The loader's findings and the Argo CD rules (where every order rule lives), waived as
    # `validate` waives them; the schema and other checks have nothing to say about order.
    checked = [*tree.findings, *argocd.check(ctx)]
    findings = [
        replace(f, message=cut(f.message))
        for f in apply_waivers(checked, ctx)
        if f.rule in PLAN_RULES
    ]
    apps, not_synced = _app_plans(tree)
    names = {a.name for a in apps}
    warnings = sorted(
        findings + not_synced, key=lambda f: (f.severity.rank, f.file, f.line, f.rule, f.message)
    )
    return Plan(
        path=path,
        apps=tuple(apps),
        warnings=tuple(warnings),
        # Only between apps of this tree: the metadata (depends_on, the CRD apps) names apps
        # that a tree may not hold, such as an environment tree of ApplicationSet mode.
        dependencies=tuple(
            d
            for d in app_dependencies(tree, ctx.crd_groups)
            if d.before in names and d.after in names
        ),
        health_check=ctx.health_check,
    )


def _app_key(app: AppInfo) -> tuple[str, str]:
    return (app.file, app.name)


def _app_plans(tree: Tree) -> tuple[list[AppPlan], list[Finding]]:
    docs = {
        (d.file, d.name): d
        for d in tree.documents
        if d.kind == "Application" and d.group == "argoproj.io"
    }
    infos = {_app_key(a): a for a in tree.applications}
    parent: dict[tuple[str, str], tuple[str, str] | None] = {}
    for key in infos:
        owner = docs[key].app if key in docs else None
        parent[key] = _app_key(owner) if owner is not None and _app_key(owner) != key else None
    children: dict[tuple[str, str] | None, list[tuple[str, str]]] = {}
    for key, up in parent.items():
        children.setdefault(up, []).append(key)

    def app_wave(key: tuple[str, str]) -> int:
        return wave(docs[key]) if key in docs else 0

    for up, keys in children.items():
        if up is None:  # roots (apps that sync Applications) first
            keys.sort(key=lambda k: (0 if k in children else 1, app_wave(k), k[1], k[0]))
        else:
            keys.sort(key=lambda k: (app_wave(k), k[1], k[0]))
    ordered: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def visit(key: tuple[str, str]) -> None:
        if key in seen:
            return
        seen.add(key)
        ordered.append(key)
        for child in children.get(key, []):
            visit(child)

    for key in children.get(None, []):
        visit(key)
    for key in sorted(infos, key=lambda k: (app_wave(k), k[1], k[0])):  # cycles
        visit(key)
    repo_url = _repo_url(tree)
    plans = []
    for key in ordered:
        app = infos[key]
        up = parent[key]
        plans.append(
            AppPlan(
                name=app.name,
                file=app.file,
                namespace=app.namespace,
                wave=app_wave(key),
                parent=up[1] if up else None,
                source=_describe_source(app, repo_url),
                steps=tuple(_app_steps(tree, app, repo_url)),
            )
        )
    return plans, _not_synced(tree)


def _repo_url(tree: Tree) -> str | None:
    gitops = tree.metadata.get("gitops")
    url = gitops.get("repoURL") if isinstance(gitops, dict) else None
    return url if isinstance(url, str) else None


def _chart_ref(src: dict[str, Any]) -> str:
    version = src.get("targetRevision")
    return f"{src['chart']}@{version}" if version else str(src["chart"])


def _is_remote(src: dict[str, Any], repo_url: str | None) -> bool:
    """A path source in another repository (content not in this tree)."""
    return (
        "chart" not in src
        and "ref" not in src
        and repo_url is not None
        and src.get("repoURL") != repo_url
    )


def _describe_source(app: AppInfo, repo_url: str | None) -> str:
    parts = []
    for src in sources(app):
        if isinstance(src.get("chart"), str):
            parts.append(f"Helm chart {_chart_ref(src)} from {src.get('repoURL', '?')}")
        elif _is_remote(src, repo_url):
            parts.append(f"{src.get('repoURL', '?')} path {src.get('path', '')!r}")
    parts.extend(f"{p or '.'}/" for p in app.paths)
    return ", ".join(parts) or "nothing"


def _display_name(doc: Document) -> str:
    if doc.name:
        return doc.name
    return f"{doc.metadata.get('generateName', '')}*"  # named at sync time


def _task(step: PlanStep, kind_rank: int, sort_name: str, line: int) -> _Task:
    return _Task(
        step,
        (PHASES[step.phase], step.wave, kind_rank, sort_name, step.namespace, step.file, line),
    )


def _app_steps(tree: Tree, app: AppInfo, repo_url: str | None) -> list[PlanStep]:
    tasks: list[_Task] = []
    own_namespaces: set[str] = set()
    for doc in tree.documents:
        if doc.app is None or _app_key(doc.app) != _app_key(app):
            continue
        is_namespace = doc.kind == "Namespace" and doc.group == ""
        source = hook_source(doc)
        if is_namespace and (source is None or _skip_only(doc)):
            own_namespaces.add(doc.name)  # gitops-engine counts non-hook manifests only
        found = list(dict.fromkeys(phases(doc)))
        for phase in found:
            hook = None
            if source is not None:
                policies, default = delete_policies(doc)
                hook = Hook(phase, policies, default, source)
            step = PlanStep(
                app.name,
                phase,
                wave(doc),
                doc.kind,
                doc.namespace,
                _display_name(doc),
                doc.file,
                hook,
            )
            task = _task(step, KIND_RANK.get(doc.kind, 0), _display_name(doc).rstrip("*"), doc.line)
            explicit = doc.metadata.get("namespace")
            task.stamped_namespace = (
                explicit if isinstance(explicit, str) and explicit else app.namespace
            )
            if is_namespace:
                task.namespace_dep = doc.name
            elif doc.kind == "CustomResourceDefinition" and doc.group == "apiextensions.k8s.io":
                group, kind = dig(doc.data, "spec", "group"), dig(doc.data, "spec", "names", "kind")
                if isinstance(group, str) and isinstance(kind, str):
                    task.crd_dep = f"{group}/{kind}"
            else:
                task.group_kind = f"{doc.group}/{doc.kind}"
            tasks.append(task)
    creates = CREATE_NAMESPACE in sync_options(app) and app.namespace not in own_namespaces
    managed = dig(app.document, "spec", "syncPolicy", "managedNamespaceMetadata") is not None
    if creates and app.namespace and (app.namespace not in ALWAYS_THERE or managed):
        step = PlanStep(
            app.name,
            "PreSync",
            0,
            "Namespace",
            "",
            app.namespace,
            app.file,
            note=(
                "CreateNamespace=true with managedNamespaceMetadata: applied on every sync"
                if managed
                else "CreateNamespace=true: runs only when the namespace is missing"
            ),
        )
        task = _task(step, KIND_RANK["Namespace"], app.namespace, 0)
        task.namespace_dep = app.namespace
        tasks.append(task)
    tasks.sort(key=lambda t: t.key)
    _pull_forward(tasks, lambda t: t.namespace_dep, lambda t: t.stamped_namespace or None)
    _pull_forward(tasks, lambda t: t.crd_dep, lambda t: t.group_kind)
    steps = [t.step for t in tasks]
    pseudo = []
    for src in sources(app):
        if isinstance(src.get("chart"), str):
            pseudo.append(
                PlanStep(
                    app.name,
                    "Sync",
                    0,
                    HELM_CHART,
                    app.namespace,
                    _chart_ref(src),
                    app.file,
                    note="rendered by Argo CD from the chart; its objects are not known offline",
                )
            )
        elif _is_remote(src, repo_url):
            pseudo.append(
                PlanStep(
                    app.name,
                    "Sync",
                    0,
                    REMOTE_SOURCE,
                    app.namespace,
                    f"{src.get('repoURL', '')}//{src.get('path', '')}",
                    app.file,
                    note="another repository; its objects are not known offline",
                )
            )
    first_sync = next((i for i, s in enumerate(steps) if PHASES[s.phase] >= 0), len(steps))
    return steps[:first_sync] + pseudo + steps[first_sync:]


def _skip_only(doc: Document) -> bool:
    """``argocd.argoproj.io/hook: Skip`` alone: not a hook to gitops-engine, just never applied."""
    types = {t.strip() for t in str(doc.annotations.get(HOOK, "")).split(",")}
    return HOOK in doc.annotations and types & {*PHASES, "Skip"} == {"Skip"}


def _pull_forward(tasks: list[_Task], is_dep: Any, refers_to: Any) -> None:
    """gitops-engine's adjustDeps: a dependency sorted after the first task that needs it moves
    just before that task and takes its phase and wave."""
    first: dict[str, int] = {}
    for i in range(len(tasks)):
        task = tasks[i]
        dep = is_dep(task)
        if dep is not None:
            if dep in first:
                index = first[dep]
                target = tasks[index].step
                was = task.step
                task.step = replace(
                    was,
                    phase=target.phase,
                    wave=target.wave,
                    note=_join(
                        was.note,
                        f"pulled forward from {was.phase} wave {was.wave}, before"
                        f" {target.kind} {target.name}",
                    ),
                )
                tasks.insert(index, tasks.pop(i))
                for k, v in first.items():
                    if v >= index:
                        first[k] = v + 1
        else:
            ref = refers_to(task)
            if ref is not None and ref not in first:
                first[ref] = i


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _set_paths(tree: Tree) -> dict[str, str]:
    """Directories that ApplicationSets' list elements sync (tree-relative) -> the set's name.

    Their Applications are generated at run time, so plan cannot order them; it says so
    through the applicationset-unordered rule instead of calling these files unsynced."""
    paths: dict[str, str] = {}
    for doc in tree.documents:
        if doc.kind != "ApplicationSet" or doc.group != "argoproj.io":
            continue
        stack = list(as_list(doc.spec.get("generators")))
        while stack:
            generator = stack.pop()
            if not isinstance(generator, dict):
                continue
            for nested in ("matrix", "merge"):
                inner = generator.get(nested)
                if isinstance(inner, dict):
                    stack.extend(as_list(inner.get("generators")))
            elements = (
                generator.get("list", {}).get("elements")
                if isinstance(generator.get("list"), dict)
                else None
            )
            for element in as_list(elements):
                spec = element.get("spec") if isinstance(element, dict) else None
                sources: list[Any] = []
                if isinstance(spec, dict):
                    sources = as_list(spec.get("sources")) or [spec.get("source")]
                for source in sources:
                    if isinstance(source, dict) and isinstance(source.get("path"), str):
                        rel = relative_to_repo(source["path"], tree.repo_path)
                        if rel is not None:
                            paths[rel] = doc.name
    return paths


def _not_synced(tree: Tree) -> list[Finding]:
    out = []
    set_paths = _set_paths(tree)
    for doc in tree.documents:
        if doc.app is None and doc.file.rpartition("/")[0] in set_paths:
            continue  # synced by an Application an ApplicationSet generates
        if doc.app is None:
            if doc.kind == "Application" and doc.group == "argoproj.io":
                continue  # an app nothing syncs is still planned, as a root
            out.append(
                Finding(
                    Severity.INFO,
                    NOT_SYNCED,
                    "no Application syncs this file's directory, so Argo CD never applies it",
                    doc.file,
                    doc.line,
                    doc.resource,
                )
            )
        elif not phases(doc):
            ann = doc.annotations
            value = ann[HOOK] if HOOK in ann else ann.get(HELM_HOOK)
            key = HOOK if HOOK in ann else HELM_HOOK
            out.append(
                Finding(
                    Severity.INFO,
                    NOT_SYNCED,
                    f"{key}: {value!r} takes the object out of every sync phase, so a sync never"
                    " applies it",
                    doc.file,
                    doc.line,
                    doc.resource,
                )
            )
    return out

"""Check 4: what Argo CD does with the tree — the app-of-apps, namespaces, waves and order.

Ordering follows gitops-engine: inside one Application, objects are applied by phase (PreSync,
Sync, PostSync), then wave, then kind rank, then name, and a step waits for the previous one to
be healthy. A dependency that must be healthy first (a SecretStore before its ExternalSecret, an
ExternalSecret before the pods that read its Secret, the migration Job before the Deployment)
therefore needs a strictly earlier (phase, wave) step; other dependencies only need to come
earlier in that order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gigrouter.validate.context import Context, dig, pod_refs
from gigrouter.validate.findings import Finding, Severity
from gigrouter.validate.rules import references
from gigrouter.validate.syncorder import (
    HOOK,
    HOOK_TYPES,
    KIND_RANK,
    PHASES,
    WAVE,
    Step,
    atoi,
    is_hook,
    order_key,
    phases,
    step,
    sync_options,
    wave,
)
from gigrouter.validate.tree import AppInfo, Document, relative_to_repo

# The ordering helpers live in gigrouter.validate.syncorder (shared with `gigrouter plan`);
# these names stay importable from here.
__all__ = [
    "KIND_RANK",
    "PHASES",
    "RULES",
    "Step",
    "atoi",
    "check",
    "is_hook",
    "order_key",
    "phases",
    "step",
    "sync_options",
    "wave",
]

RULES = {
    "applicationset-unordered": (
        "ApplicationSets carry sync waves, but the Applications they generate are not ordered"
        " by them."
    ),
    "argocd-app-path": "A child Application syncs a path (or values file) that is not in the tree.",
    "argocd-app-namespace": "An Application is not in the namespace Argo CD runs in.",
    "namespace-missing": (
        "Nothing creates a namespace that objects or Applications use"
        " (CreateNamespace=true or a Namespace manifest)."
    ),
    "sync-wave-format": "A sync-wave annotation is not an integer written as a string.",
    "hook-unknown": "An argocd.argoproj.io/hook annotation names no hook type Argo CD knows.",
    "wave-order": (
        "A dependency that must be healthy first is not in a strictly earlier sync step"
        " (phase, wave)."
    ),
    "apply-order": "A dependency is applied after the object that needs it.",
    "crd-order": "A custom resource is synced before (or with) the Application installing its CRD.",
    "job-immutable": "A plain Job under Argo CD: its pod template is immutable.",
    "app-wave-unwaited": (
        "Child Applications have waves, but argocd-cm lacks the Application health check,"
        " so the waves do not wait."
    ),
    "replace-with-ssa": "Replace=true takes precedence over ServerSideApply=true.",
}

ALWAYS_THERE = {"default", "kube-system", "kube-public", "kube-node-lease"}


def check(ctx: Context) -> Iterator[Finding]:
    yield from _annotations(ctx)
    yield from _applications(ctx)
    yield from _namespaces(ctx)
    yield from _ordering(ctx)
    yield from _crd_order(ctx)
    yield from _jobs(ctx)
    yield from _application_sets(ctx)


def _application_sets(ctx: Context) -> Iterator[Finding]:
    """Waves on ApplicationSets order only the creation of the sets, never their Applications."""
    sets = sorted(
        (d for d in ctx.index.of_kind("ApplicationSet") if d.group == "argoproj.io"),
        key=lambda d: (wave(d), d.file, d.line),
    )
    if len({wave(d) for d in sets}) < 2:
        return
    yield ctx.finding(
        sets[-1],
        Severity.WARNING,
        "applicationset-unordered",
        "ApplicationSets here have different sync waves, but the Applications they generate sync"
        " on their own: a wave waits at most for the ApplicationSet object, not for the"
        " Applications it creates, so dependencies between them are not enforced; enable"
        " Progressive Syncs (RollingSync) or keep these applications in an app-of-apps",
    )


# --- annotations --------------------------------------------------------------------------


def _annotations(ctx: Context) -> Iterator[Finding]:
    for doc in ctx.tree.documents:
        ann = doc.annotations
        if WAVE in ann and atoi(ann[WAVE]) is None:
            value = ann[WAVE]
            how = (
                f"quote it: '{value}'" if isinstance(value, int) else "write an integer such as '3'"
            )
            yield ctx.finding(
                doc,
                Severity.ERROR,
                "sync-wave-format",
                f"sync-wave {value!r} is not an integer string, so Argo CD silently uses wave 0;"
                f" {how}",
            )
        if HOOK in ann:
            types = [t.strip() for t in str(ann[HOOK]).split(",") if t.strip()]
            unknown = [t for t in types if t not in HOOK_TYPES]
            if unknown or not types:
                yield ctx.finding(
                    doc,
                    Severity.ERROR,
                    "hook-unknown",
                    f"hook {ann[HOOK]!r} names no type Argo CD knows, so the object is ignored;"
                    f" use one of {', '.join(sorted(HOOK_TYPES))}",
                )


# --- the app-of-apps ----------------------------------------------------------------------


def _repo_url(ctx: Context) -> str | None:
    gitops = ctx.tree.metadata.get("gitops")
    if isinstance(gitops, dict) and isinstance(gitops.get("repoURL"), str):
        return str(gitops["repoURL"])
    return None


def _argocd_namespace(ctx: Context) -> str | None:
    argocd = ctx.tree.metadata.get("argocd")
    if isinstance(argocd, dict) and isinstance(argocd.get("namespace"), str):
        return str(argocd["namespace"])
    return None


def _sources(app: AppInfo) -> list[dict[str, Any]]:
    sources = dig(app.document, "spec", "sources")
    if isinstance(sources, list):
        return [s for s in sources if isinstance(s, dict)]
    source = dig(app.document, "spec", "source")
    return [source] if isinstance(source, dict) else []


def _local(repo: str | None, own: set[str], source: dict[str, Any]) -> bool:
    """Whether ``source`` reads this tree's repository. Without the metadata's repoURL, the
    tree's own repositories (``own``) are those whose Git sources sync a directory of the tree;
    a source of any other repository (another team's, an example repo) is not looked for here."""
    if repo is not None:
        return source.get("repoURL") == repo
    url = source.get("repoURL")
    return not isinstance(url, str) or references.normalise_repo(url) in own


def _tree_path(ctx: Context, repo_path: str) -> str | None:
    return relative_to_repo(repo_path, ctx.tree.repo_path)


def _applications(ctx: Context) -> Iterator[Finding]:
    repo = _repo_url(ctx)
    own = references.own_repositories(ctx) if repo is None else set()
    files = set(ctx.tree.files)
    dirs = {f.rsplit("/", 1)[0] if "/" in f else "" for f in files}
    argocd_ns = _argocd_namespace(ctx)
    docs = {(d.file, d.name): d for d in ctx.tree.documents if d.kind == "Application"}
    waves: dict[str, int] = {}
    for app in ctx.tree.applications:
        doc = docs.get((app.file, app.name))
        if doc is None:
            continue
        waves[app.name] = wave(doc)
        ns = doc.metadata.get("namespace")
        if argocd_ns and ns and ns != argocd_ns:
            yield ctx.finding(
                doc,
                Severity.ERROR,
                "argocd-app-namespace",
                f"the Application is in namespace {ns!r}, but Argo CD runs in {argocd_ns!r} and"
                f" only watches Applications there; set metadata.namespace: {argocd_ns}",
            )
        sources = _sources(app)
        local = [s for s in sources if _local(repo, own, s)]
        for src in local:
            path = src.get("path")
            if isinstance(path, str) and not src.get("chart"):
                rel = _tree_path(ctx, path)
                if rel is None:
                    yield ctx.finding(
                        doc,
                        Severity.ERROR,
                        "argocd-app-path",
                        f"source path {path!r} is outside this tree (which is"
                        f" {ctx.tree.repo_path!r} of the repo); fix the path",
                    )
                elif rel not in dirs:
                    yield ctx.finding(
                        doc,
                        Severity.ERROR,
                        "argocd-app-path",
                        f"source path {path!r} has no files in the tree, so Argo CD would sync"
                        " nothing (or fail); render or fix the directory",
                    )
        for src in sources:
            helm = src.get("helm")
            value_files = helm.get("valueFiles") if isinstance(helm, dict) else None
            for vf in value_files if isinstance(value_files, list) else []:
                if not isinstance(vf, str) or not vf.startswith("$"):
                    continue
                ref, _, rest = vf.partition("/")
                ref_source = next((s for s in sources if f"${s.get('ref')}" == ref), None)
                if ref_source is None:
                    yield ctx.finding(
                        doc,
                        Severity.ERROR,
                        "argocd-app-path",
                        f"valueFiles entry {vf!r} names {ref}, but no source has ref:"
                        f" {ref.lstrip('$')}",
                    )
                    continue
                if not _local(repo, own, ref_source):
                    continue
                rel = _tree_path(ctx, rest)
                if rel is None or rel not in files:
                    yield ctx.finding(
                        doc,
                        Severity.ERROR,
                        "argocd-app-path",
                        f"values file {vf!r} is not in the tree; Helm would fail to render",
                    )
        options = sync_options(app)
        if "Replace=true" in options and "ServerSideApply=true" in options:
            yield ctx.finding(
                doc,
                Severity.INFO,
                "replace-with-ssa",
                "Replace=true takes precedence over ServerSideApply=true; for CRDs Argo CD then"
                " updates instead of replacing, which is safe, but server-side apply is not used",
            )
    distinct = set(waves.values())
    if len(distinct) > 1 and ctx.health_check is not True:
        first = min((d for d in docs.values() if d.name in waves), key=lambda d: (d.file, d.line))
        yield ctx.finding(
            first,
            Severity.WARNING,
            "app-wave-unwaited",
            "child Applications use sync waves, but Argo CD has no health check for"
            " argoproj.io/Application by default (since 1.8), so the parent does not wait for"
            " a wave to be Healthy; add resource.customizations.health.argoproj.io_Application"
            " to argocd-cm (see the README) and record it in gigrouter-metadata.yaml",
        )


# --- namespaces ---------------------------------------------------------------------------


def _namespaces(ctx: Context) -> Iterator[Finding]:
    created = set(ALWAYS_THERE)
    argocd_ns = _argocd_namespace(ctx)
    for doc in ctx.tree.documents:
        if doc.kind == "Namespace" and doc.api_version == "v1":
            created.add(doc.name)
        if doc.kind == "Application" and doc.group == "argoproj.io":
            ns = doc.metadata.get("namespace")
            if isinstance(ns, str):
                created.add(ns)  # Argo CD runs there, so it exists
    if argocd_ns:
        created.add(argocd_ns)
    for app in ctx.tree.applications:
        if "CreateNamespace=true" in sync_options(app) and app.namespace:
            created.add(app.namespace)
    docs = {(d.file, d.name): d for d in ctx.tree.documents if d.kind == "Application"}
    for app in ctx.tree.applications:
        app_doc = docs.get((app.file, app.name))
        if app_doc is not None and app.namespace and app.namespace not in created:
            yield ctx.finding(
                app_doc,
                Severity.ERROR,
                "namespace-missing",
                f"destination namespace {app.namespace!r} is created by nothing; add"
                " CreateNamespace=true to syncOptions or a Namespace manifest",
            )
    reported: set[str] = set()
    for doc in ctx.tree.documents:
        ns = doc.namespace
        if ns and ns not in created and ns not in reported and doc.app is not None:
            if doc.app.namespace == ns:
                continue  # reported once on the Application above
            reported.add(ns)
            yield ctx.finding(
                doc,
                Severity.ERROR,
                "namespace-missing",
                f"namespace {ns!r} is created by nothing in the tree; add a Namespace manifest"
                " or an Application with that destination and CreateNamespace=true",
            )


# --- order inside one Application ---------------------------------------------------------


def _same_sync(a: Document, b: Document) -> bool:
    return a.app is not None and a.app == b.app


def _image_repo(image: str) -> str:
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def _ordering(ctx: Context) -> Iterator[Finding]:
    index = ctx.index
    # ExternalSecret -> SecretStore (must be Ready first)
    secret_makers: dict[tuple[str, str], Document] = {}
    for es in index.of_kind("ExternalSecret"):
        target = dig(es.data, "spec", "target", "name") or es.name
        secret_makers[(es.namespace, str(target))] = es
        store_name = dig(es.data, "spec", "secretStoreRef", "name")
        store_kind = dig(es.data, "spec", "secretStoreRef", "kind") or "SecretStore"
        if store_kind == "SecretStore" and isinstance(store_name, str):
            store = index.get("SecretStore", es.namespace, store_name)
            if store is not None and _same_sync(es, store):
                yield from _strictly_before(ctx, store, es, "the SecretStore must be Ready")
    for store in index.of_kind("SecretStore"):
        sa = dig(store.data, "spec", "provider", "aws", "auth", "jwt", "serviceAccountRef", "name")
        if isinstance(sa, str):
            account = index.get("ServiceAccount", store.namespace, sa)
            if account is not None and _same_sync(store, account):
                yield from _not_after(ctx, account, store)
    for template in index.pod_templates:
        owner = template.owner
        refs = list(pod_refs(template))
        for name in sorted({r.name for r in refs if r.kind == "Secret"}):
            maker = secret_makers.get((template.namespace, name))
            if maker is not None and _same_sync(maker, owner):
                yield from _strictly_before(
                    ctx, maker, owner, f"Secret {name!r} must exist before the pods start"
                )
            secret = index.get("Secret", template.namespace, name)
            if secret is not None and _same_sync(secret, owner):
                yield from _not_after(ctx, secret, owner)
        for name in sorted({r.name for r in refs if r.kind == "ConfigMap"}):
            cm = index.get("ConfigMap", template.namespace, name)
            if cm is not None and _same_sync(cm, owner):
                yield from _not_after(ctx, cm, owner)
        sa_name = template.spec.get("serviceAccountName")
        if isinstance(sa_name, str):
            account = index.get("ServiceAccount", template.namespace, sa_name)
            if account is not None and _same_sync(account, owner):
                yield from _not_after(ctx, account, owner)
    # A Job running a Deployment's image (a migration) must complete before the Deployment.
    jobs = [t for t in index.pod_templates if t.owner.kind == "Job"]
    for template in index.pod_templates:
        if template.owner.kind not in ("Deployment", "StatefulSet"):
            continue
        images = {_image_repo(str(c.get("image", ""))) for _, c in template.containers()}
        for job in jobs:
            if job.namespace != template.namespace or not _same_sync(job.owner, template.owner):
                continue
            job_images = {_image_repo(str(c.get("image", ""))) for _, c in job.containers()}
            if images & job_images:
                yield from _strictly_before(
                    ctx,
                    job.owner,
                    template.owner,
                    "the migration Job must complete before the new pods start",
                )


def _strictly_before(ctx: Context, first: Document, then: Document, why: str) -> Iterator[Finding]:
    a, b = step(first), step(then)
    if a is None or b is None or a < b:
        return
    yield ctx.finding(
        then,
        Severity.ERROR,
        "wave-order",
        f"{first.kind} {first.name!r} ({a.describe()}) must be healthy before this {then.kind}"
        f" ({b.describe()}): {why}; give {first.kind} {first.name!r} an earlier sync step"
        " (a lower argocd.argoproj.io/sync-wave, or an earlier phase)",
    )


def _not_after(ctx: Context, first: Document, then: Document) -> Iterator[Finding]:
    a, b = order_key(first), order_key(then)
    if a is None or b is None or a < b:
        return
    yield ctx.finding(
        then,
        Severity.ERROR,
        "apply-order",
        f"{first.kind} {first.name!r} is applied after this {then.kind}, which needs it"
        f" (Argo CD orders by phase, wave, kind, name); lower the sync-wave of"
        f" {first.kind} {first.name!r} to at most this {then.kind}'s",
    )


# --- custom resources after their CRDs ----------------------------------------------------


def _crd_order(ctx: Context) -> Iterator[Finding]:
    app_waves: dict[str, int] = {}
    app_docs = {
        d.name: d
        for d in ctx.tree.documents
        if d.kind == "Application" and d.group == "argoproj.io"
    }
    for name, doc in app_docs.items():
        app_waves[name] = wave(doc)
    groups = dict(ctx.crd_groups)
    for crd in ctx.index.of_kind("CustomResourceDefinition"):
        group = dig(crd.data, "spec", "group")
        if isinstance(group, str) and crd.app is not None:
            groups.setdefault(group, crd.app.name)
    reported: set[tuple[str, str]] = set()
    for doc in ctx.tree.documents:
        installer = groups.get(doc.group)
        if installer is None or doc.app is None or doc.app.name == installer:
            continue
        if installer not in app_waves or doc.app.name not in app_waves:
            continue
        if app_waves[doc.app.name] > app_waves[installer]:
            continue
        key = (doc.app.name, doc.group)
        if key in reported:
            continue
        reported.add(key)
        yield ctx.finding(
            doc,
            Severity.ERROR,
            "crd-order",
            f"{doc.kind} needs the CRDs of {doc.group}, which Application {installer!r} installs"
            f" in wave {app_waves[installer]}, but this object's Application"
            f" {doc.app.name!r} syncs in wave {app_waves[doc.app.name]}; give"
            f" {doc.app.name!r} a later wave than {installer!r}",
        )


# --- Jobs -----------------------------------------------------------------------------------


def _jobs(ctx: Context) -> Iterator[Finding]:
    for job in ctx.index.of_kind("Job"):
        if job.app is None or is_hook(job):
            continue
        options = str(job.annotations.get("argocd.argoproj.io/sync-options", ""))
        if "Force=true" in options and "Replace=true" in options:
            continue
        yield ctx.finding(
            job,
            Severity.WARNING,
            "job-immutable",
            "a plain Job's pod template is immutable, so the next sync with a new image fails;"
            " make it a hook (argocd.argoproj.io/hook: Sync with hook-delete-policy:"
            " BeforeHookCreation), or set sync-options Force=true,Replace=true",
        )

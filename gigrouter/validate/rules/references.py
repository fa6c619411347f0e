"""Every reference resolves; everything Argo CD pulls is pinned.

The objects that name another object beyond the pod's ConfigMaps and Secrets (those are
:mod:`integrity`'s): autoscalers and their scale targets, PodDisruptionBudgets and Prometheus
Operator monitors and the pods or Services they select (with their ports), PersistentVolumeClaims
of pod volumes, pull secrets of ServiceAccounts and their type, Ingress TLS secrets, RBAC
bindings and their subjects and roles, priority classes. A target that nothing in the tree (nor a
declared external) creates goes through :meth:`Context.unresolved`, the one place that sets the
severity of what cannot be resolved in this tree; a target that is there but cannot work (a
DaemonSet under an HPA, a Role bound cluster-wide) is an error.

Pinning: an Argo CD Application or ApplicationSet that installs a Helm chart at a version range,
``*``, ``latest`` or no version, or that syncs a branch of another repository than the tree's
own, deploys whatever is published there next, without a commit here: a warning (``--strict``
fails on it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from gigrouter.validate.context import (
    Context,
    PodTemplate,
    as_dict,
    as_list,
    as_str,
    dig,
)
from gigrouter.validate.findings import Finding, Severity
from gigrouter.validate.rules import alb
from gigrouter.validate.rules.integrity import (
    CORE,
    Selector,
    Sources,
    _container_ports,
    _templates_matching,
    parse_selector,
)
from gigrouter.validate.tree import Document

RULES: dict[str, str] = {
    "scale-target-ref": (
        "An HPA, VPA or KEDA ScaledObject targets a workload that is not in its namespace, or"
        " one that cannot be scaled."
    ),
    "pdb-selects-nothing": "A PodDisruptionBudget selector matches no pod template.",
    "monitor-selects-nothing": (
        "A ServiceMonitor or PodMonitor selects no Service or pod in the namespaces it watches."
    ),
    "monitor-port": (
        "A ServiceMonitor or PodMonitor endpoint names a port the selected Services or pods"
        " do not have."
    ),
    "pvc-ref": "A pod volume claims a PersistentVolumeClaim that nothing creates.",
    "pull-secret-type": (
        "An imagePullSecrets entry names a Secret that is not of type"
        " kubernetes.io/dockerconfigjson (the kubelet ignores it)."
    ),
    "ingress-tls-secret": (
        "An Ingress TLS secretName names a Secret nothing creates (no Secret, Certificate or"
        " cert-manager annotation), or one without tls.crt and tls.key."
    ),
    "rbac-subject-ref": (
        "A RoleBinding or ClusterRoleBinding binds a ServiceAccount that does not exist."
    ),
    "rbac-role-ref": (
        "A RoleBinding or ClusterRoleBinding refers to a Role or ClusterRole that does not exist."
    ),
    "priority-class-ref": "A pod uses a priorityClassName that no PriorityClass defines.",
    "argocd-unpinned": (
        "An Argo CD source pulls a moving version: a Helm chart range, *, latest or none, or a"
        " branch of another repository."
    ),
}

# Built-in kinds (API group, kind) with a scale subresource: what an HPA or KEDA can scale.
SCALABLE = frozenset(
    {
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "ReplicaSet"),
        (CORE, "ReplicationController"),
        ("argoproj.io", "Rollout"),  # Argo Rollouts declares the scale subresource
    }
)
# Built-in kinds that own pods: what a VPA can target (besides scalable custom resources).
POD_CONTROLLERS = SCALABLE | frozenset(
    {("apps", "DaemonSet"), ("batch", "Job"), ("batch", "CronJob")}
)
# API groups of Kubernetes itself: a kind of these groups not in the sets above has no pods.
BUILTIN_GROUPS = frozenset(
    {
        CORE,
        "apps",
        "batch",
        "policy",
        "autoscaling",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "scheduling.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "node.k8s.io",
        "apiextensions.k8s.io",
        "admissionregistration.k8s.io",
    }
)
# PriorityClasses every cluster has.
BUILTIN_PRIORITY_CLASSES = frozenset({"system-cluster-critical", "system-node-critical"})
# ClusterRoles the API server creates (plus every system:* role).
BUILTIN_CLUSTER_ROLES = frozenset({"cluster-admin", "admin", "edit", "view"})
# Ingress annotations under which cert-manager's ingress-shim makes the TLS Secret.
CERT_MANAGER_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")
TLS_ACME = "kubernetes.io/tls-acme"
TLS_KEYS = ("tls.crt", "tls.key")
PULL_SECRET_TYPES = frozenset({"kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg"})
RBAC = "rbac.authorization.k8s.io"
MONITORING = "monitoring.coreos.com"


def check(ctx: Context) -> Iterator[Finding]:
    yield from _scale_targets(ctx)
    yield from _disruption_budgets(ctx)
    yield from _monitors(ctx)
    yield from _pod_specs(ctx)
    yield from _service_account_pull_secrets(ctx)
    yield from _ingress_tls(ctx)
    yield from _bindings(ctx)
    yield from _pinning(ctx)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _charts_hint(ctx: Context, namespaces: list[str], what: str) -> str:
    charts = sorted(
        {
            app.name
            for app in ctx.tree.applications
            if app.charts and (app.namespace in namespaces or not namespaces)
        }
    )
    if not charts:
        return ""
    return f" (if the Helm chart of {', '.join(charts)} creates {what}, declare it)"


def _named(ctx: Context, kind: str, name: str) -> list[Document]:
    """Cluster-scoped objects of ``kind`` named ``name`` (whatever namespace a file gave them)."""
    return [d for d in ctx.index.of_kind(kind) if d.name == name]


# --------------------------------------------------------------------------------------------
# scale-target-ref
# --------------------------------------------------------------------------------------------


def _scale_refs(ctx: Context) -> Iterator[tuple[Document, str, dict[str, Any], str]]:
    """(autoscaler, field, reference, what it needs of the target: scale or pods)."""
    for doc in ctx.index.of_kind("HorizontalPodAutoscaler"):
        if doc.group == "autoscaling":
            yield doc, "spec.scaleTargetRef", as_dict(doc.spec.get("scaleTargetRef")), "scale"
    for doc in ctx.index.of_kind("VerticalPodAutoscaler"):
        if doc.group == "autoscaling.k8s.io":
            yield doc, "spec.targetRef", as_dict(doc.spec.get("targetRef")), "pods"
    for doc in ctx.index.of_kind("ScaledObject"):
        if doc.group == "keda.sh":
            ref = dict(as_dict(doc.spec.get("scaleTargetRef")))
            ref.setdefault("kind", "Deployment")  # KEDA's defaults
            ref.setdefault("apiVersion", "apps/v1")
            yield doc, "spec.scaleTargetRef", ref, "scale"


def _has_scale_subresource(ctx: Context, group: str, kind: str) -> bool | None:
    """Whether a custom kind declares the scale subresource (None: its CRD is not in the tree)."""
    for crd in ctx.index.of_kind("CustomResourceDefinition"):
        spec = crd.spec
        if spec.get("group") != group or dig(spec, "names", "kind") != kind:
            continue
        return any(
            isinstance(v, dict) and isinstance(dig(v, "subresources", "scale"), dict)
            for v in as_list(spec.get("versions"))
        ) or isinstance(dig(spec, "subresources", "scale"), dict)
    return None


def _scale_targets(ctx: Context) -> Iterator[Finding]:
    for doc, field, ref, needs in _scale_refs(ctx):
        kind, name = as_str(ref.get("kind")), as_str(ref.get("name"))
        if not kind or not name:
            continue  # the schema rules report a missing kind or name
        api_version = as_str(ref.get("apiVersion"))
        group = api_version.rpartition("/")[0] if api_version else None
        ns = doc.namespace
        targets = [
            d
            for d in ctx.index.by_key.get((kind, ns, name), [])
            if group is None or d.group == group
        ]
        if not targets:
            if (kind, ns, name) in ctx.externals:
                continue
            others = sorted(
                {
                    f"{d.kind} {name}"
                    for d in ctx.tree.documents
                    if d.name == name
                    and d.namespace == ns
                    and d.kind != kind
                    and (d.group, d.kind) in POD_CONTROLLERS
                }
            )
            hint = f" (there is a {' and a '.join(others)}: fix {field}.kind)" if others else ""
            yield ctx.unresolved(
                doc,
                "scale-target-ref",
                f"{field} names {kind} {name}"
                f"{f' of {api_version}' if api_version else ''}, which is not in namespace"
                f" {ns or '(none)'}{hint}, so the {doc.kind} has nothing to act on: fix the"
                f" name or kind, add the {kind} to the tree,"
                f" {ctx.declare_external(kind, ns, name)}"
                f"{_charts_hint(ctx, [ns], f'the {kind}')}",
            )
            continue
        target = targets[0]
        key = (target.group, target.kind)
        allowed = SCALABLE if needs == "scale" else POD_CONTROLLERS
        if key in allowed:
            continue
        if target.group in BUILTIN_GROUPS:
            works = False
        else:
            declared = _has_scale_subresource(ctx, target.group, target.kind)
            works = declared is not False
        if works:
            continue
        what = (
            "has no scale subresource, so the autoscaler cannot set its replicas"
            if needs == "scale"
            else "owns no pods, so there is nothing to size"
        )
        fix = (
            "target a Deployment, StatefulSet or ReplicaSet (a DaemonSet runs one pod per node"
            " and is not scaled)"
            if needs == "scale"
            else "target the Deployment, StatefulSet, DaemonSet, Job or CronJob of the pods"
        )
        yield ctx.finding(
            doc,
            Severity.ERROR,
            "scale-target-ref",
            f"{field} names {target.kind} {name}, which {what}: {fix}",
        )


# --------------------------------------------------------------------------------------------
# pdb-selects-nothing
# --------------------------------------------------------------------------------------------


def _disruption_budgets(ctx: Context) -> Iterator[Finding]:
    for doc in ctx.index.of_kind("PodDisruptionBudget"):
        if doc.group != "policy":
            continue
        raw = doc.spec.get("selector")
        if raw is None:
            yield ctx.finding(
                doc,
                Severity.WARNING,
                "pdb-selects-nothing",
                f"PodDisruptionBudget {doc.name} has no spec.selector, which selects no pods, so"
                f" it protects nothing: set spec.selector.matchLabels to the labels of the pods"
                f" it guards",
            )
            continue
        selector = parse_selector(raw)
        if selector is None or selector.empty:
            continue  # malformed (schema rules), or {}: every pod of the namespace
        if _templates_matching(ctx, doc.namespace, selector):
            continue
        yield ctx.finding(
            doc,
            Severity.WARNING,
            "pdb-selects-nothing",
            f"spec.selector of PodDisruptionBudget {doc.name} selects {selector}, but no pod"
            f" template in namespace {doc.namespace or '(none)'} has those labels, so node"
            f" drains evict those pods unguarded: fix spec.selector or the pod labels"
            f"{_selector_hint(ctx, doc.namespace, 'pdb-selects-nothing')}",
        )


def _selector_hint(ctx: Context, namespace: str, rule: str) -> str:
    charts = sorted(
        app.name for app in ctx.tree.applications if app.charts and app.namespace == namespace
    )
    if not charts:
        return ""
    return (
        f"; if the pods come from the Helm chart of {', '.join(charts)}, waive this with the"
        f" annotation ignore-check.gigrouter.io/{rule} and a reason"
    )


# --------------------------------------------------------------------------------------------
# monitor-selects-nothing, monitor-port
# --------------------------------------------------------------------------------------------


def _watched_namespaces(ctx: Context, doc: Document) -> list[str] | None:
    """The namespaces a monitor looks in (None: every namespace)."""
    selector = as_dict(doc.spec.get("namespaceSelector"))
    if selector.get("any") is True:
        return None
    names = [n for n in as_list(selector.get("matchNames")) if isinstance(n, str) and n]
    return names or [doc.namespace]


def _monitors(ctx: Context) -> Iterator[Finding]:
    for doc in ctx.index.of_kind("ServiceMonitor", "PodMonitor"):
        if doc.group != MONITORING:
            continue
        selector = parse_selector(doc.spec.get("selector"))
        if selector is None:
            continue
        namespaces = _watched_namespaces(ctx, doc)
        if doc.kind == "ServiceMonitor":
            yield from _service_monitor(ctx, doc, selector, namespaces)
        else:
            yield from _pod_monitor(ctx, doc, selector, namespaces)


def _no_match(
    ctx: Context, doc: Document, selector: Selector, namespaces: list[str] | None, what: str
) -> Finding:
    where = "any namespace" if namespaces is None else f"namespace {', '.join(sorted(namespaces))}"
    charts = sorted(
        {
            app.name
            for app in ctx.tree.applications
            if app.charts and (namespaces is None or app.namespace in namespaces)
        }
    )
    hint = (
        f"; if the {what}s come from the Helm chart of {', '.join(charts)}, waive this with the"
        f" annotation ignore-check.gigrouter.io/monitor-selects-nothing and a reason"
        if charts
        else ""
    )
    return ctx.finding(
        doc,
        Severity.WARNING,
        "monitor-selects-nothing",
        f"spec.selector of {doc.kind} {doc.name} selects {selector}, but no {what} in {where}"
        f" has those labels, so Prometheus scrapes nothing: fix spec.selector, the labels, or"
        f" spec.namespaceSelector (without it only the {doc.kind}'s own namespace"
        f" {doc.namespace or '(none)'} is watched){hint}",
    )


def _service_monitor(
    ctx: Context, doc: Document, selector: Selector, namespaces: list[str] | None
) -> Iterator[Finding]:
    services = [
        s
        for s in ctx.index.of_kind("Service")
        if s.group == CORE
        and (namespaces is None or s.namespace in namespaces)
        and selector.matches(s.labels)
    ]
    if not services:
        yield _no_match(ctx, doc, selector, namespaces, "Service")
        return
    names: set[str] = set()
    for service in services:
        for port in as_list(service.spec.get("ports")):
            if isinstance(port, dict) and isinstance(port.get("name"), str) and port["name"]:
                names.add(port["name"])
    selected = ", ".join(sorted(f"{s.namespace}/{s.name}" for s in services))
    for i, endpoint in enumerate(as_list(doc.spec.get("endpoints"))):
        port = as_str(as_dict(endpoint).get("port"))
        if not port or port in names:
            continue
        yield ctx.finding(
            doc,
            Severity.ERROR,
            "monitor-port",
            f"spec.endpoints[{i}].port is {port!r}, but no selected Service ({selected}) has a"
            f" port of that name (named: {', '.join(sorted(names)) or 'none'}), so Prometheus"
            f" gets no target for it: use a Service port's name (not a number or the"
            f" container's port name), or name the Service port {port}",
        )


def _pod_monitor(
    ctx: Context, doc: Document, selector: Selector, namespaces: list[str] | None
) -> Iterator[Finding]:
    spaces = namespaces if namespaces is not None else sorted(ctx.index.templates_by_namespace)
    templates: list[PodTemplate] = []
    for ns in spaces:
        templates.extend(_templates_matching(ctx, ns, selector))
    if not templates:
        yield _no_match(ctx, doc, selector, namespaces, "pod template")
        return
    names = {
        p.name
        for t in templates
        for _, container in t.containers()
        for p in _container_ports(container)
        if p.name
    }
    owners = ", ".join(sorted({f"{t.owner.kind}/{t.owner.name}" for t in templates}))
    for i, endpoint in enumerate(as_list(doc.spec.get("podMetricsEndpoints"))):
        port = as_str(as_dict(endpoint).get("port"))
        if not port or port in names:
            continue
        yield ctx.finding(
            doc,
            Severity.ERROR,
            "monitor-port",
            f"spec.podMetricsEndpoints[{i}].port is {port!r}, but no container of the selected"
            f" pods ({owners}) has a port of that name (named:"
            f" {', '.join(sorted(names)) or 'none'}), so Prometheus gets no target for it: use"
            f" a containerPort's name, or name the container port {port}",
        )


# --------------------------------------------------------------------------------------------
# pvc-ref, priority-class-ref, pull-secret-type (pod specs)
# --------------------------------------------------------------------------------------------


def _claim_templates(ctx: Context, namespace: str) -> list[str]:
    """Prefixes of the claims StatefulSets of ``namespace`` make: ``<template>-<set>-``."""
    out: list[str] = []
    for doc in ctx.index.of_kind("StatefulSet"):
        if doc.group != "apps" or doc.namespace != namespace:
            continue
        for tpl in as_list(doc.spec.get("volumeClaimTemplates")):
            claim = as_str(dig(tpl, "metadata", "name"))
            if claim:
                out.append(f"{claim}-{doc.name}-")
    return out


def _claim_made(ctx: Context, namespace: str, claim: str) -> bool:
    if ctx.exists("PersistentVolumeClaim", namespace, claim):
        return True
    for prefix in _claim_templates(ctx, namespace):
        if claim.startswith(prefix) and claim[len(prefix) :].isdigit():
            return True
    return False


def _pod_specs(ctx: Context) -> Iterator[Finding]:
    makers: SecretMakers | None = None
    for template in ctx.index.pod_templates:
        doc, ns, spec = template.owner, template.namespace, template.spec
        for k, volume in enumerate(as_list(spec.get("volumes"))):
            claim = as_str(dig(volume, "persistentVolumeClaim", "claimName"))
            if not claim or _claim_made(ctx, ns, claim):
                continue
            yield ctx.unresolved(
                doc,
                "pvc-ref",
                f"{template.path}.volumes[{k}].persistentVolumeClaim.claimName is {claim}, but"
                f" no PersistentVolumeClaim {claim} is in namespace {ns or '(none)'}, so the pod"
                f" stays Pending: add the PersistentVolumeClaim to the tree, fix the name,"
                f" {ctx.declare_external('PersistentVolumeClaim', ns, claim)}",
            )
        priority = as_str(spec.get("priorityClassName"))
        if (
            priority
            and priority not in BUILTIN_PRIORITY_CLASSES
            and not _named(ctx, "PriorityClass", priority)
            and not ctx.exists("PriorityClass", "", priority)
        ):
            yield ctx.unresolved(
                doc,
                "priority-class-ref",
                f"{template.path}.priorityClassName is {priority}, but no PriorityClass"
                f" {priority} is in the tree, so the API server rejects the pods: add the"
                f" PriorityClass (scheduling.k8s.io/v1), use system-cluster-critical or"
                f" system-node-critical, {ctx.declare_external('PriorityClass', '', priority)}",
            )
        for k, pull in enumerate(as_list(spec.get("imagePullSecrets"))):
            name = as_str(as_dict(pull).get("name"))
            if name:
                if makers is None:
                    makers = _secret_makers(ctx)
                field = f"{template.path}.imagePullSecrets[{k}]"
                yield from _pull_secret_type(ctx, makers, doc, ns, name, field)


SecretMakers = dict[tuple[str, str], list[tuple[Document, str]]]


def _secret_makers(ctx: Context) -> SecretMakers:
    """(namespace, name) -> (maker, Secret type) of each plain, sealed or external Secret."""
    out: SecretMakers = {}
    for doc in ctx.index.of_kind("Secret"):
        if doc.group == CORE:
            out.setdefault((doc.namespace, doc.name), []).append(
                (doc, as_str(doc.data.get("type")) or "Opaque")
            )
    for doc in ctx.index.of_kind("SealedSecret"):
        if doc.group == "bitnami.com":
            name = as_str(dig(doc.spec, "template", "metadata", "name")) or doc.name
            out.setdefault((doc.namespace, name), []).append(
                (doc, as_str(dig(doc.spec, "template", "type")) or "Opaque")
            )
    for doc in ctx.index.of_kind("ExternalSecret"):
        target = as_dict(doc.spec.get("target"))
        if doc.group != "external-secrets.io" or (
            as_str(target.get("creationPolicy")) or "Owner"
        ) not in ("Owner", "Orphan"):
            continue
        name = as_str(target.get("name")) or doc.name
        out.setdefault((doc.namespace, name), []).append(
            (doc, as_str(dig(target, "template", "type")) or "Opaque")
        )
    return out


def _pull_secret_type(
    ctx: Context, makers: SecretMakers, doc: Document, namespace: str, name: str, field: str
) -> Iterator[Finding]:
    for secret, found in makers.get((namespace, name), []):
        if found in PULL_SECRET_TYPES:
            continue
        where = "spec.target.template.type" if secret.kind == "ExternalSecret" else "type"
        if secret.kind == "SealedSecret":
            where = "spec.template.type"
        yield ctx.finding(
            doc,
            Severity.ERROR,
            "pull-secret-type",
            f"{field} names Secret {name}, which {secret.resource} ({ctx.tree.prefix}{secret.file}:"
            f"{secret.line}) makes with type {found}; the kubelet reads pull credentials only"
            f" from a Secret of type kubernetes.io/dockerconfigjson (key .dockerconfigjson), so"
            f" the image pull is unauthenticated: set {where} to kubernetes.io/dockerconfigjson",
        )
        return


def _service_account_pull_secrets(ctx: Context) -> Iterator[Finding]:
    sources: Sources | None = None
    makers: SecretMakers | None = None
    for doc in ctx.index.of_kind("ServiceAccount"):
        if doc.group != CORE:
            continue
        for k, pull in enumerate(as_list(doc.data.get("imagePullSecrets"))):
            name = as_str(as_dict(pull).get("name"))
            if not name:
                continue
            field = f"imagePullSecrets[{k}]"
            if sources is None:
                sources = Sources(ctx)
            if any(p.creates for p in sources.providers("Secret", doc.namespace, name)):
                if makers is None:
                    makers = _secret_makers(ctx)
                yield from _pull_secret_type(ctx, makers, doc, doc.namespace, name, field)
                continue
            yield ctx.unresolved(
                doc,
                "secret-ref",
                f"{field} of ServiceAccount {doc.name} names Secret {name}, which nothing creates"
                f" in namespace {doc.namespace or '(none)'}, so its pods pull images without"
                f" credentials: fix the name, add the Secret (type"
                f" kubernetes.io/dockerconfigjson) or an ExternalSecret whose target is this"
                f" name, {ctx.declare_external('Secret', doc.namespace, name)}",
            )


# --------------------------------------------------------------------------------------------
# ingress-tls-secret
# --------------------------------------------------------------------------------------------


def _ingress_tls(ctx: Context) -> Iterator[Finding]:
    classes: alb.Classes | None = None
    sources: Sources | None = None
    for doc in ctx.index.of_kind("Ingress"):
        if doc.group != "networking.k8s.io":
            continue
        entries = [
            (i, as_str(as_dict(t).get("secretName")))
            for i, t in enumerate(as_list(doc.spec.get("tls")))
        ]
        entries = [(i, s) for i, s in entries if s]
        if not entries:
            continue
        annotations = {str(k): str(v) for k, v in doc.annotations.items()}
        if classes is None:
            classes = alb.ingress_classes(ctx)
        class_name = as_str(doc.spec.get("ingressClassName")) or None
        if alb.is_alb(annotations, class_name, classes):
            i, secret = entries[0]
            yield ctx.finding(
                doc,
                Severity.INFO,
                "ingress-tls-secret",
                f"spec.tls[{i}].secretName {secret} is not read: the AWS Load Balancer"
                f" Controller serves an ACM certificate (found from spec.tls hosts or the"
                f" alb.ingress.kubernetes.io/certificate-arn annotation), never a Secret",
            )
            continue
        shim = any(annotations.get(a, "").strip() for a in CERT_MANAGER_ANNOTATIONS) or (
            annotations.get(TLS_ACME, "").strip().lower() == "true"
        )
        if sources is None:
            sources = Sources(ctx)
        for i, secret in entries:
            field = f"spec.tls[{i}].secretName"
            providers = sources.providers("Secret", doc.namespace, secret)
            if not any(p.creates for p in providers):
                if shim:
                    continue  # cert-manager's ingress-shim makes a Certificate for this Secret
                yield ctx.unresolved(
                    doc,
                    "ingress-tls-secret",
                    f"{field} is {secret}, but nothing creates Secret {secret} in namespace"
                    f" {doc.namespace or '(none)'} (no Secret, cert-manager Certificate,"
                    f" ExternalSecret or SealedSecret, and no cert-manager.io/cluster-issuer"
                    f" annotation on the Ingress), so the controller serves its default"
                    f" certificate: fix the name, add a Certificate whose secretName is"
                    f" {secret} (or the cert-manager.io/cluster-issuer annotation),"
                    f" {ctx.declare_external('Secret', doc.namespace, secret)}",
                )
                continue
            if any(p.keys is None for p in providers):
                continue
            have = frozenset().union(*(p.keys or frozenset() for p in providers))
            missing = [k for k in TLS_KEYS if k not in have]
            if missing:
                by = "; ".join(p.what for p in providers)
                yield ctx.finding(
                    doc,
                    Severity.ERROR,
                    "ingress-tls-secret",
                    f"{field} is {secret}, but {by} has no {' and no '.join(missing)} (it has:"
                    f" {', '.join(sorted(have)) or 'no keys'}), so the controller cannot serve"
                    f" it: make it a kubernetes.io/tls Secret with tls.crt and tls.key",
                )


# --------------------------------------------------------------------------------------------
# rbac-subject-ref, rbac-role-ref
# --------------------------------------------------------------------------------------------


def _bindings(ctx: Context) -> Iterator[Finding]:
    for doc in ctx.index.of_kind("RoleBinding", "ClusterRoleBinding"):
        if doc.group != RBAC:
            continue
        cluster = doc.kind == "ClusterRoleBinding"
        for i, subject in enumerate(as_list(doc.data.get("subjects"))):
            subject = as_dict(subject)
            if as_str(subject.get("kind")) != "ServiceAccount":
                continue  # Users and Groups come from the authenticator
            name = as_str(subject.get("name"))
            ns = as_str(subject.get("namespace")) or ("" if cluster else doc.namespace)
            field = f"subjects[{i}]"
            if not name:
                continue
            if not ns:
                yield ctx.finding(
                    doc,
                    Severity.ERROR,
                    "rbac-subject-ref",
                    f"{field} is ServiceAccount {name} without a namespace; a"
                    f" ClusterRoleBinding must say which namespace's ServiceAccount it binds"
                    f" (the API server rejects it): set {field}.namespace",
                )
                continue
            if name == "default" or ctx.exists("ServiceAccount", ns, name):
                continue
            yield ctx.unresolved(
                doc,
                "rbac-subject-ref",
                f"{field} binds ServiceAccount {ns}/{name}, which is not in the tree, so the"
                f" permissions go to no one (or to whoever creates that name later): fix the"
                f" name or namespace, add the ServiceAccount,"
                f" {ctx.declare_external('ServiceAccount', ns, name)}"
                f"{_charts_hint(ctx, [ns], 'the ServiceAccount')}",
            )
        yield from _role_ref(ctx, doc, cluster)


def _role_ref(ctx: Context, doc: Document, cluster: bool) -> Iterator[Finding]:
    ref = as_dict(doc.data.get("roleRef"))
    kind, name = as_str(ref.get("kind")), as_str(ref.get("name"))
    if not kind or not name:
        return
    if kind == "Role":
        if cluster:
            yield ctx.finding(
                doc,
                Severity.ERROR,
                "rbac-role-ref",
                f"roleRef names Role {name}, but a ClusterRoleBinding can only refer to a"
                f" ClusterRole (the API server rejects it): use a RoleBinding in the Role's"
                f" namespace, or make the Role a ClusterRole",
            )
            return
        if ctx.exists("Role", doc.namespace, name):
            return
        hint = (
            f" (there is a ClusterRole {name}: set roleRef.kind: ClusterRole)"
            if _named(ctx, "ClusterRole", name)
            else ""
        )
        yield ctx.unresolved(
            doc,
            "rbac-role-ref",
            f"roleRef names Role {name}, which is not in namespace {doc.namespace or '(none)'}"
            f"{hint} (a RoleBinding refers to a Role of its own namespace), so the binding"
            f" grants nothing: fix the name or kind, add the Role,"
            f" {ctx.declare_external('Role', doc.namespace, name)}",
        )
        return
    if kind != "ClusterRole":
        return  # the schema rules report another kind
    if name in BUILTIN_CLUSTER_ROLES or name.startswith("system:"):
        return
    if _named(ctx, "ClusterRole", name) or ctx.exists("ClusterRole", "", name):
        return
    hint = (
        f" (there is a Role {name} in namespace {doc.namespace}: set roleRef.kind: Role)"
        if not cluster and ctx.exists("Role", doc.namespace, name)
        else ""
    )
    yield ctx.unresolved(
        doc,
        "rbac-role-ref",
        f"roleRef names ClusterRole {name}, which is not in the tree and is not one the API"
        f" server creates (cluster-admin, admin, edit, view, system:*){hint}, so the binding"
        f" grants nothing: fix the name or kind, add the ClusterRole,"
        f" {ctx.declare_external('ClusterRole', '', name)}"
        f"{_charts_hint(ctx, [], 'the ClusterRole')}",
    )


# --------------------------------------------------------------------------------------------
# argocd-unpinned
# --------------------------------------------------------------------------------------------

_COMMIT = re.compile(r"^[0-9a-f]{40}$", re.I)
# A tag as repositories write them: a version (v1.2.3, 1.2, 2024.01.5, v1.2.3-rc.1).
_TAG = re.compile(r"^v?\d+(\.\d+)*([-+][0-9A-Za-z.+-]+)?$")
# What makes a Helm targetRevision a semver constraint rather than one version.
_RANGE = re.compile(r"[\^~<>*|!]|\s-\s|,|(^|\.)[xX](\.|$)|\s")
_FLOATING = frozenset({"", "latest", "*", "head"})


def normalise_repo(url: str) -> str:
    """A repository URL compared without scheme, credentials, ``.git`` or case."""
    text = url.strip()
    scp = re.match(r"^[\w.-]+@([\w.-]+):(.*)$", text)  # git@github.com:org/repo
    if scp:
        host, path = scp.group(1), scp.group(2)
    else:
        try:
            parts = urlsplit(text if "://" in text else f"//{text}")
            host, path = parts.hostname or "", parts.path
        except ValueError:  # "[" or "//[::1": not a URL (git reads it as a local path)
            host, path = "", text
    path = path.strip("/").lower().removesuffix(".git")
    return f"{host.lower().removeprefix('www.')}/{path}"


def _sources(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = spec.get("sources")
    if not isinstance(raw, list):
        raw = [spec.get("source")]
    return [s for s in raw if isinstance(s, dict)]


def _pullers(ctx: Context) -> Iterator[tuple[Document, str, list[dict[str, Any]]]]:
    """(Application or ApplicationSet, field of its sources, the sources)."""
    for doc in ctx.index.of_kind("Application"):
        if doc.group == "argoproj.io":
            yield doc, "spec", _sources(doc.spec)
    for doc in ctx.index.of_kind("ApplicationSet"):
        if doc.group == "argoproj.io":
            yield doc, "spec.template.spec", _sources(as_dict(dig(doc.spec, "template", "spec")))


def own_repositories(ctx: Context) -> set[str]:
    """The tree's own repository: the metadata's gitops.repoURL, else every repository whose
    Git source syncs a directory that is in the tree (an app-of-apps points at itself)."""
    gitops = as_dict(ctx.tree.metadata.get("gitops"))
    declared = as_str(gitops.get("repoURL"))
    if declared:
        return {normalise_repo(declared)}
    dirs = {f.rpartition("/")[0] for f in ctx.tree.files}
    own: set[str] = set()
    for _doc, _field, sources in _pullers(ctx):
        for src in sources:
            path, url = as_str(src.get("path")).strip("/"), as_str(src.get("repoURL"))
            if url and not src.get("chart") and _in_tree(path, dirs):
                own.add(normalise_repo(url))
    return own


def _in_tree(path: str, dirs: set[str]) -> bool:
    """Whether a source path (from the repository root) is a directory of the tree, the tree
    being the repository or a folder of it (``k8s/apps`` is the tree's ``apps``)."""
    if path in dirs or path in ("", "."):
        return True
    return any(d and path.endswith("/" + d) for d in dirs)


def _example_version(revision: str) -> str:
    found = re.search(r"\d+(\.\d+){0,2}", revision)
    if not found:
        return "1.2.3"
    parts = found.group(0).split(".")
    return ".".join(parts + ["0"] * (3 - len(parts)))


def _pinning(ctx: Context) -> Iterator[Finding]:
    own: set[str] | None = None
    for doc, base, sources in _pullers(ctx):
        many = isinstance(dig(doc.data, *base.split("."), "sources"), list)
        for i, src in enumerate(sources):
            field = f"{base}.sources[{i}]" if many else f"{base}.source"
            url = as_str(src.get("repoURL"))
            raw = src.get("targetRevision")
            revision = "" if raw is None else str(raw).strip()
            if not url or "{{" in url or "{{" in revision or "$" in revision:
                continue  # generated by an ApplicationSet template: known only at run time
            at = f"{field}.targetRevision" if "targetRevision" in src else field
            chart = as_str(src.get("chart"))
            if chart:
                if revision.lower() in _FLOATING:
                    said = f"{revision!r}" if revision else "no targetRevision"
                    yield ctx.finding(
                        doc,
                        Severity.WARNING,
                        "argocd-unpinned",
                        f"{field} installs Helm chart {chart} from {url} at {said}, so Argo CD"
                        f" deploys whatever version the chart repository publishes next, without"
                        f" a commit here: set {field}.targetRevision to one exact chart version"
                        f" (the newest listed by `helm search repo {chart}`, for example 1.2.3)",
                        path=at,
                    )
                elif _RANGE.search(revision):
                    yield ctx.finding(
                        doc,
                        Severity.WARNING,
                        "argocd-unpinned",
                        f"{field}.targetRevision {revision!r} of Helm chart {chart} is a version"
                        f" range, so Argo CD upgrades the chart to the newest matching release on"
                        f" its own, without a commit here: pin it to one exact version (for"
                        f" example {_example_version(revision)})",
                        path=at,
                    )
                continue
            if _COMMIT.match(revision) or (_TAG.match(revision) and revision.lower() != "head"):
                continue
            if own is None:
                own = own_repositories(ctx)
            if normalise_repo(url) in own:
                continue  # the tree's own repository follows its own branch by design
            branch = revision or "HEAD"
            yield ctx.finding(
                doc,
                Severity.WARNING,
                "argocd-unpinned",
                f"{field} syncs branch {branch} of {url}, which is not this tree's repository,"
                f" so every push there deploys here without a commit in this repository: set"
                f" {field}.targetRevision to a tag or a full 40-character commit SHA of {url}",
                path=at,
            )

"""The one registry of what an application renders: the seed's presets by component name, and
the workload catalogue's kinds and companion objects. Layout writes the files from it; docs
list the rows it returns. Adding a kind or a resource is one model, one template and one entry
here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gigrouter.layout import presets, workloads
from gigrouter.layout.inventory import Facts, Image, Policy, SecretItem, Service
from gigrouter.layout.presets import Part, route_rows
from gigrouter.layout.secrets import store_fact
from gigrouter.model import KINDS, Application, Platform, WorkloadSpec

Preset = Callable[[Platform, Application, Mapping[str, str]], Part]

# component name (applications[].manifests) -> its entry
PRESETS: dict[str, Preset] = {
    "backend": presets.backend,
    "frontend": presets.frontend,
    "memcached": presets.memcached,
    "logging": presets.logging,
    "services": presets.services,
    # kube-prometheus-stack is a Helm source; its values file is written by the layout itself.
    "observability": lambda platform, app, labels: Part(),
}

# workload kind -> the template of the workload object
KIND_TEMPLATES: dict[str, str] = {kind: f"workloads/{kind}.yaml.j2" for kind in KINDS}


@dataclass(frozen=True)
class Companion:
    """An object rendered beside a workload: its template and the views it takes (none, one or
    several objects per workload)."""

    kind: str
    template: str
    views: Callable[[Platform, Application, WorkloadSpec, Mapping[str, str]], list[Any]]


def _one(view: Any) -> list[Any]:
    return [] if view is None else [view]


# In file order. Objects a workload needs exist before it in the file (Argo CD orders by wave
# and kind anyway); the Service and what routes or scales come after.
BEFORE: tuple[Companion, ...] = (
    Companion(
        "ServiceAccount",
        "workloads/ServiceAccount.yaml.j2",
        lambda p, a, w, labels: _one(workloads.account_object(w, labels)),
    ),
    Companion(
        "ConfigMap",
        "workloads/ConfigMap.yaml.j2",
        lambda p, a, w, labels: workloads.config_map_objects(w, labels),
    ),
    Companion(
        "SecretStore",
        "workloads/SecretStore.yaml.j2",
        lambda p, a, w, labels: _one(workloads.store_object(p, w, labels)),
    ),
    Companion(
        "ExternalSecret",
        "workloads/ExternalSecret.yaml.j2",
        lambda p, a, w, labels: workloads.external_secret_objects(w, labels),
    ),
)
AFTER: tuple[Companion, ...] = (
    Companion(
        "Service",
        "workloads/Service.yaml.j2",
        lambda p, a, w, labels: _one(workloads.service_object(w, labels)),
    ),
    Companion(
        "Ingress",
        "workloads/Ingress.yaml.j2",
        lambda p, a, w, labels: _one(workloads.ingress_object(p, w)),
    ),
    Companion(
        "HorizontalPodAutoscaler",
        "workloads/HorizontalPodAutoscaler.yaml.j2",
        lambda p, a, w, labels: _one(workloads.hpa_object(w, labels)),
    ),
    Companion(
        "PodDisruptionBudget",
        "workloads/PodDisruptionBudget.yaml.j2",
        lambda p, a, w, labels: _one(workloads.pdb_object(w, labels)),
    ),
    Companion(
        "NetworkPolicy",
        "workloads/NetworkPolicy.yaml.j2",
        lambda p, a, w, labels: _one(workloads.policy_object(w, labels, a.namespace)),
    ),
    Companion(
        "extra manifest",
        "workloads/manifest.yaml.j2",
        lambda p, a, w, labels: list(w.extra_manifests),
    ),
)


def workload_part(
    platform: Platform, app: Application, w: WorkloadSpec, labels: Mapping[str, str]
) -> Part:
    """One workload's file and its docs rows."""
    documents: list[dict[str, Any]] = []
    for c in BEFORE:
        documents += [
            {"template": c.template, "view": v} for v in c.views(platform, app, w, labels)
        ]
    documents.append(
        {"template": KIND_TEMPLATES[w.kind], "view": workloads.workload_object(w, labels)}
    )
    for c in AFTER:
        documents += [
            {"template": c.template, "view": v} for v in c.views(platform, app, w, labels)
        ]
    part = Part(files=[(f"{w.name}.yaml", "workloads/file.yaml.j2", {"documents": documents})])
    _workload_rows(part.facts, platform, app, w)
    return part


def _workload_rows(out: Facts, platform: Platform, app: Application, w: WorkloadSpec) -> None:
    ns = app.namespace
    out.workloads.append(Image(app.name, ns, w.kind, w.name, w.image))
    for c in [*w.init_containers, *w.sidecars]:
        out.workloads.append(Image(app.name, ns, w.kind, f"{w.name}/{c.name}", c.image))
    ports = w.service_ports()
    if w.service is not None and ports:
        out.services.append(
            Service(app.name, ns, w.service_name(), ports[0]["port"], f"{w.kind} {w.name}")
        )
    route_rows(out, platform, app, workloads.resolved_ingress(w), None)
    if w.network_policy is not None:
        policy = workloads.policy_object(w, {}, ns)
        assert policy is not None
        port = w.ports[0].container_port if w.ports else 0
        own = (ns,) if w.network_policy.same_namespace else ()
        froms = tuple(dict.fromkeys((*own, *w.network_policy.allow_from_namespaces)))
        out.policies.append(Policy(app.name, ns, policy["name"], w.name, port, froms))
    if w.secret_store is not None:
        out.stores.append(store_fact(platform, app.name, ns, w.secret_store, w.account_name()))
    for es in w.external_secrets:
        for item in es.data:
            out.secrets.append(
                SecretItem(
                    app.name,
                    ns,
                    es.name,
                    w.store_of(es)[0],
                    es.target or es.name,
                    item.secret_key,
                    item.remote_key,
                    item.property,
                    es.refresh_interval,
                )
            )


def part(platform: Platform, app: Application, labels: Mapping[str, str]) -> Part:
    """Everything ``app`` renders into its path: its preset's files, then one file per workload."""
    found = Part()
    if app.manifests is not None:
        preset = PRESETS[app.manifests]
        own = preset(platform, app, labels)
        found.files += own.files
        found.facts.extend(own.facts)
    for w in app.workloads:
        own = workload_part(platform, app, w, labels)
        found.files += own.files
        found.facts.extend(own.facts)
    return found

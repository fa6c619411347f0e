"""The one registry of what an application renders: the workload catalogue's kinds and companion
objects, for an application's own workloads and for the catalogue instances of the seed preset
it deploys (placed in the seed's files by ``layout.presets``). Layout writes the files from it;
docs list the rows it returns. Adding a kind or a resource is one model, one template and one entry
here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gigrouter.layout import presets, workloads
from gigrouter.layout.files import part_of
from gigrouter.layout.inventory import Facts, Image, Part, Policy, Route, SecretItem, Service
from gigrouter.layout.secrets import STORE_TEMPLATE, store_fact
from gigrouter.model import KINDS, Application, Platform, WorkloadSpec

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
        STORE_TEMPLATE,
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


def workload_documents(
    platform: Platform, app: Application, w: WorkloadSpec, labels: Mapping[str, str]
) -> list[tuple[str, dict[str, Any]]]:
    """The workload's objects in file order, each as (kind, what the file template takes)."""
    documents: list[tuple[str, dict[str, Any]]] = []
    for c in BEFORE:
        documents += [
            (c.kind, {"template": c.template, "view": v}) for v in c.views(platform, app, w, labels)
        ]
    view = workloads.workload_object(w, labels)
    documents.append((w.kind, {"template": KIND_TEMPLATES[w.kind], "view": view}))
    for c in AFTER:
        documents += [
            (c.kind, {"template": c.template, "view": v}) for v in c.views(platform, app, w, labels)
        ]
    return documents


def workloads_part(
    platform: Platform,
    app: Application,
    placed: list[tuple[WorkloadSpec, Mapping[str, str]]],
    labels: Mapping[str, str],
) -> Part:
    """The files of ``placed`` workloads and their docs rows: each object in the file its
    placement names for its kind, else in its workload's own file, ``<name>.yaml``."""
    files: dict[str, list[dict[str, Any]]] = {}
    part = Part()
    for w, where in placed:
        ingresses = []
        for kind, document in workload_documents(platform, app, w, labels):
            files.setdefault(where.get(kind, f"{w.name}.yaml"), []).append(document)
            if kind == "Ingress":
                ingresses.append(document["view"])
        _workload_rows(part.facts, platform, app, w, ingresses)
    part.files = [
        (name, "workloads/file.yaml.j2", {"documents": documents})
        for name, documents in files.items()
    ]
    return part


def _workload_rows(
    out: Facts,
    platform: Platform,
    app: Application,
    w: WorkloadSpec,
    ingresses: list[dict[str, Any]],
) -> None:
    """The docs rows of one workload (``ingresses``: the views its Ingress was rendered from)."""
    ns = app.namespace
    out.workloads.append(Image(app.name, ns, w.kind, w.name, w.image))
    for c in [*w.init_containers, *w.sidecars]:
        out.workloads.append(Image(app.name, ns, w.kind, f"{w.name}/{c.name}", c.image))
    ports = w.service_ports()
    if w.service is not None and ports:
        out.services.append(
            Service(app.name, ns, w.service_name(), ports[0]["port"], f"{w.kind} {w.name}")
        )
    for view in ingresses:
        _route_rows(out, app, view)
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


def _route_rows(out: Facts, app: Application, view: dict[str, Any]) -> None:
    """One row per host and path of the Ingress rendered from ``view`` (``ingress_view``)."""
    ingress = view["spec"]
    for rule in view["rules"]:
        secret = next((t["secretName"] for t in view["tls"] if rule["host"] in t["hosts"]), "")
        for p in rule["paths"]:
            out.routes.append(
                Route(
                    rule["host"],
                    p["path"],
                    p["path_type"],
                    p["service"],
                    p["port"],
                    app.namespace,
                    ingress.name,
                    ingress.group_order,
                    app.name,
                    profile=view["profile"],
                    tls_secret=secret,
                )
            )


def part(platform: Platform, app: Application, labels: Mapping[str, str]) -> Part:
    """Everything ``app`` renders into its path: its preset's workloads, in the seed's files,
    then one file per workload of its own."""
    found = Part()
    placed: list[tuple[WorkloadSpec, Mapping[str, str]]] = []
    if app.manifests is not None:
        instances = platform.components.instances(app.manifests)
        placed += [(w, presets.placement(app.manifests, i)) for i, w in enumerate(instances)]
        found.extend(presets.shared_store(platform, app, labels))
    placed += [(w, {}) for w in app.workloads]
    found.extend(workloads_part(platform, app, placed, labels))
    return found


def parts(platform: Platform) -> dict[str, Part]:
    """Each active application with a path -> what it renders there (built once per tree: the
    layout writes the files, the docs list the rows)."""
    labels = part_of(platform)
    return {
        app.name: part(platform, app, labels)
        for app in platform.active_applications()
        if app.path is not None
    }

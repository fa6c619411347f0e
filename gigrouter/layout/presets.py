"""The seed's components as registry entries: each returns the files it renders and the rows
(routes, Services, images, stores, secrets, policies) the docs list for them.

The presets keep their own templates so that the default render stays byte-identical; new
platforms use the workload catalogue (``layout.workloads``) instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gigrouter.layout.files import (
    FLUENT_BIT_CONFIG_DIR,
    container_view,
    ingress_view,
    resources_view,
    wave_annotation,
    web_service_names,
    workload_view,
)
from gigrouter.layout.inventory import Facts, Image, Policy, Route, SecretItem, Service
from gigrouter.layout.secrets import STORE_TEMPLATE, store_context, store_fact
from gigrouter.model import (
    Application,
    IngressSpec,
    Platform,
    SecretStoreSpec,
    Workload,
)

FileSpec = tuple[str, str, dict[str, Any]]  # file name inside the app's path, template, context


@dataclass
class Part:
    """What one registry entry renders into an app's directory, and the docs rows for it."""

    files: list[FileSpec] = field(default_factory=list)
    facts: Facts = field(default_factory=Facts)


def backend(platform: Platform, app: Application, labels: Mapping[str, str]) -> Part:
    b = platform.components.backend
    part = Part()
    if b is None:
        return part
    files = part.files
    container = container_view(b, b.port, b.port_name)
    job_container = {
        **container,
        "command": list(b.migration.command),
        "port": None,
        "readiness": None,
        "liveness": None,
    }
    job_container["resources"] = resources_view(b.migration.resources)
    hook = {
        "argocd.argoproj.io/hook": "Sync",
        "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
    }
    if b.create_service_account:
        sa_annotations = wave_annotation(b.secret_store.wave)
        if b.irsa_role_arn is not None:
            sa_annotations["eks.amazonaws.com/role-arn"] = b.irsa_role_arn
        files.append(
            (
                "serviceAccount.yaml",
                "backend/serviceAccount.yaml.j2",
                {"name": b.service_account, "annotations": sa_annotations},
            )
        )
    files += [
        (
            "configMap.yaml",
            "backend/configMap.yaml.j2",
            {"cm": b.config_map, "annotations": wave_annotation(b.config_map.wave)},
        ),
        (
            "SecretStore.yaml",
            STORE_TEMPLATE,
            store_context(
                platform, b.secret_store, b.service_account, wave_annotation(b.secret_store.wave)
            ),
        ),
        (
            "ExternalSecret.yaml",
            "backend/ExternalSecret.yaml.j2",
            {
                "es": b.external_secret,
                "store": b.secret_store,
                "annotations": wave_annotation(b.external_secret.wave),
            },
        ),
        (
            "job.yaml",
            "backend/job.yaml.j2",
            {
                "job": b.migration,
                "service_account": b.service_account,
                "container_spec": job_container,
                "annotations": {**hook, **wave_annotation(b.migration.wave)},
            },
        ),
        ("deployment.yaml", "backend/deployment.yaml.j2", {"this": workload_view(b, labels)}),
        ("service.yaml", "backend/service.yaml.j2", {"this": workload_view(b, labels)}),
        ("redis.yaml", "backend/redis.yaml.j2", {"this": workload_view(b.redis, labels)}),
        (
            "redis-service.yaml",
            "backend/redis-service.yaml.j2",
            {"this": workload_view(b.redis, labels)},
        ),
    ]
    if b.ingress is not None:
        view = ingress_view(platform, b.ingress, b)
        files.append(("ingress.yaml", "backend/ingress.yaml.j2", {"this": view}))
    out, ns = part.facts, app.namespace
    deployment_rows(out, app, b)
    out.workloads.append(Image(app.name, ns, "Job", b.migration.name, b.image))
    deployment_rows(out, app, b.redis)
    route_rows(out, platform, app, b.ingress, b)
    assert b.service_account is not None  # the model requires it
    store_row(out, platform, app, b.secret_store, b.service_account)
    es = b.external_secret
    for item in es.data:
        out.secrets.append(
            SecretItem(
                app.name,
                ns,
                es.name,
                b.secret_store.name,
                es.target_name,
                item.secret_key,
                item.remote_key,
                item.property,
                es.refresh_interval,
            )
        )
    return part


def frontend(platform: Platform, app: Application, labels: Mapping[str, str]) -> Part:
    f = platform.components.frontend
    part = Part()
    if f is None:
        return part
    part.files += [
        ("deployment.yaml", "frontend/deployment.yaml.j2", {"this": workload_view(f, labels)}),
        ("service.yaml", "frontend/service.yaml.j2", {"this": workload_view(f, labels)}),
    ]
    if f.ingress is not None:
        view = ingress_view(platform, f.ingress, f)
        part.files.append(("ingress.yaml", "frontend/ingress.yaml.j2", {"this": view}))
    deployment_rows(part.facts, app, f)
    route_rows(part.facts, platform, app, f.ingress, f)
    return part


def memcached(platform: Platform, app: Application, labels: Mapping[str, str]) -> Part:
    m = platform.components.memcached
    part = Part()
    if m is None:
        return part
    view = workload_view(m, labels)
    part.files += [
        ("deployment.yaml", "memcached/deployment.yaml.j2", {"this": view}),
        ("service.yaml", "memcached/service.yaml.j2", {"this": view}),
    ]
    deployment_rows(part.facts, app, m)
    if m.network_policy is not None:
        np = m.network_policy
        part.files.append(
            (
                "networkpolicy.yaml",
                "memcached/networkpolicy.yaml.j2",
                {"policy": np, "selector": view["selector"], "port": m.port},
            )
        )
        policy = Policy(
            app.name, app.namespace, np.name, m.name, m.port, tuple(np.allow_from_namespaces)
        )
        part.facts.policies.append(policy)
    return part


def logging(platform: Platform, app: Application, labels: Mapping[str, str]) -> Part:
    lg = platform.components.logging
    part = Part()
    if lg is None:
        return part
    fb = lg.fluent_bit
    selector = {"app": fb.name}
    part.files += [
        (
            "elasticsearch.yaml",
            "logging/elasticsearch.yaml.j2",
            {"this": workload_view(lg.elasticsearch, labels)},
        ),
        ("kibana.yaml", "logging/kibana.yaml.j2", {"this": workload_view(lg.kibana, labels)}),
        (
            "fluentd.yaml",
            "logging/fluentd.yaml.j2",
            {
                "fb": fb,
                "config_name": f"{fb.name}-config",
                "config_dir": FLUENT_BIT_CONFIG_DIR,
                "selector": selector,
                "pod_labels": {**labels, **selector},
                "container_spec": {
                    **container_view(fb, fb.http_port, "http"),
                    "args": [f"--config={FLUENT_BIT_CONFIG_DIR}/fluent-bit.conf"],
                },
                "es_host": lg.elasticsearch.service.name,
                "es_port": lg.elasticsearch.service.port,
            },
        ),
        (
            "ingress.yaml",
            "logging/ingress.yaml.j2",
            {"this": ingress_view(platform, lg.ingress, None)},
        ),
    ]
    out = part.facts
    deployment_rows(out, app, lg.elasticsearch)
    deployment_rows(out, app, lg.kibana)
    out.workloads.append(Image(app.name, app.namespace, "DaemonSet", fb.name, fb.image))
    route_rows(out, platform, app, lg.ingress, None)
    return part


def services(platform: Platform, app: Application, labels: Mapping[str, str]) -> Part:
    """One file per web service, plus the SecretStore their ExternalSecrets read from."""
    s = platform.components.services
    part = Part()
    if s is None:
        return part
    files, out = part.files, part.facts
    store = s.secret_store
    if store is not None:
        files.append(
            (
                "secretstore.yaml",
                STORE_TEMPLATE,
                store_context(platform, store, s.service_account, wave_annotation(store.wave)),
            )
        )
        if s.service_account is not None:
            store_row(out, platform, app, store, s.service_account)
    for w in s.items:
        view = workload_view(w, labels)
        config_name, secrets_name = web_service_names(w)
        extra = []
        if w.config:
            extra.append({"configMapRef": {"name": config_name}})
        if w.secrets:
            extra.append({"secretRef": {"name": secrets_name}})
        view["container"] = {**view["container"], "env_from": view["container"]["env_from"] + extra}
        files.append(
            (
                f"{w.name}.yaml",
                "services/service.yaml.j2",
                {
                    "this": view,
                    "config_name": config_name,
                    "secrets_name": secrets_name,
                    "store_name": store.name if store is not None else "",
                    "store_kind": store.kind if store is not None else "SecretStore",
                    "support_annotations": wave_annotation(w.support_wave),
                    "route": ingress_view(platform, w.ingress, w) if w.ingress else None,
                },
            )
        )
        deployment_rows(out, app, w)
        route_rows(out, platform, app, w.ingress, w)
        for item in w.secrets:  # the model requires a store for them
            out.secrets.append(
                SecretItem(
                    app.name,
                    app.namespace,
                    secrets_name,
                    store.name if store is not None else "",
                    secrets_name,
                    item.secret_key,
                    item.remote_key,
                    item.property,
                    w.refresh_interval,
                )
            )
    return part


# --- docs rows shared by the entries ----------------------------------------------------------


def deployment_rows(out: Facts, app: Application, w: Workload) -> None:
    out.workloads.append(Image(app.name, app.namespace, "Deployment", w.name, w.image))
    out.services.append(
        Service(app.name, app.namespace, w.service.name, w.service.port, f"Deployment {w.name}")
    )


def route_rows(
    out: Facts,
    platform: Platform,
    app: Application,
    ingress: IngressSpec | None,
    owner: Any,
) -> None:
    """One row per host and path of ``ingress`` (``owner``: the workload it belongs to)."""
    if ingress is None:
        return
    view = ingress_view(platform, ingress, owner)
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


def store_row(
    out: Facts, platform: Platform, app: Application, store: SecretStoreSpec, account: str
) -> None:
    out.stores.append(store_fact(platform, app.name, app.namespace, store, account))

"""What a rendered tree deploys, as rows for the generated docs: routes, Services, images,
SecretStores and ExternalSecret keys, NetworkPolicies and Helm charts, app by app.

They come from the platform model through layout's own views (``ingress_view`` resolves each
route's Service and port, ``observability_values`` gives the chart values that create Grafana's
Ingress) and follow the layout's rules for which component is rendered, so the docs list what
the manifests hold; the tests check the rows against the rendered documents. Only references
are kept: never a value of a ConfigMap, an environment variable or Helm values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gigrouter.layout import ingress_view, observability_values, web_service_names
from gigrouter.model import Application, IngressSpec, Platform, SecretStoreSpec, Workload

GRAFANA_SERVICE_PORT = 80  # the grafana chart's service.port default
GRAFANA_FULLNAME_MAX = 63


@dataclass(frozen=True)
class Route:
    """One host and path of the shared ALB and where it sends the request."""

    host: str
    path: str
    path_type: str
    service: str
    port: int
    namespace: str
    ingress: str  # the Ingress (manifest) or the chart values key that creates it
    order: int | None  # alb.ingress.kubernetes.io/group.order
    app: str
    by_chart: bool = False


@dataclass(frozen=True)
class Service:
    app: str
    namespace: str
    name: str
    port: int
    workload: str  # the workload it selects, as 'Deployment backend'


@dataclass(frozen=True)
class Image:
    """An image and the workload that runs it."""

    app: str
    namespace: str
    kind: str
    name: str
    image: str


@dataclass(frozen=True)
class Store:
    app: str
    namespace: str
    name: str
    provider: str
    region: str
    service_account: str


@dataclass(frozen=True)
class SecretItem:
    """One key of an ExternalSecret: a reference, never a value."""

    app: str
    namespace: str
    external_secret: str
    store: str
    target: str
    secret_key: str
    remote_key: str
    property: str | None
    refresh: str


@dataclass(frozen=True)
class Policy:
    app: str
    namespace: str
    name: str
    workload: str  # the Deployment whose pods it selects (by app=<name>)
    port: int
    from_namespaces: tuple[str, ...]


@dataclass(frozen=True)
class Chart:
    app: str
    namespace: str
    chart: str
    version: str
    repo: str
    release: str
    values: str  # where its values come from (never the values themselves)


@dataclass
class Facts:
    """The rows, filled app by app by ``facts``."""

    routes: list[Route] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    workloads: list[Image] = field(default_factory=list)
    stores: list[Store] = field(default_factory=list)
    secrets: list[SecretItem] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    def of(self, app: str) -> Facts:
        """Only the facts of the application ``app``."""
        return Facts(
            [r for r in self.routes if r.app == app],
            [s for s in self.services if s.app == app],
            [w for w in self.workloads if w.app == app],
            [s for s in self.stores if s.app == app],
            [s for s in self.secrets if s.app == app],
            [p for p in self.policies if p.app == app],
            [c for c in self.charts if c.app == app],
        )


def facts(platform: Platform) -> Facts:
    """What the tree deploys, app by app in config order, as the layout renders it."""
    out = Facts()
    comps = platform.components
    for app in platform.active_applications():
        ns = app.namespace
        if app.helm is not None:
            out.charts.append(_chart(app))
            if app.helm.values_in_repo and app.path is not None:
                out.routes.extend(_chart_routes(platform, app))
        if app.manifests is None or app.path is None:
            continue
        if app.manifests == "backend" and comps.backend is not None:
            b = comps.backend
            _workload(out, app, b)
            out.workloads.append(Image(app.name, ns, "Job", b.migration.name, b.image))
            _workload(out, app, b.redis)
            _routes(out, platform, app, b.ingress, b)
            assert b.service_account is not None  # the model requires it
            _store(out, platform, app, b.secret_store, b.service_account)
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
        elif app.manifests == "frontend" and comps.frontend is not None:
            _workload(out, app, comps.frontend)
            _routes(out, platform, app, comps.frontend.ingress, comps.frontend)
        elif app.manifests == "memcached" and comps.memcached is not None:
            m = comps.memcached
            _workload(out, app, m)
            if m.network_policy is not None:
                np = m.network_policy
                policy = Policy(
                    app.name, ns, np.name, m.name, m.port, tuple(np.allow_from_namespaces)
                )
                out.policies.append(policy)
        elif app.manifests == "logging" and comps.logging is not None:
            lg = comps.logging
            _workload(out, app, lg.elasticsearch)
            _workload(out, app, lg.kibana)
            fb = lg.fluent_bit
            out.workloads.append(Image(app.name, ns, "DaemonSet", fb.name, fb.image))
            _routes(out, platform, app, lg.ingress, None)
        elif app.manifests == "services" and comps.services is not None:
            services = comps.services
            store = services.secret_store
            if store is not None and services.service_account is not None:
                _store(out, platform, app, store, services.service_account)
            for w in services.items:
                _workload(out, app, w)
                _routes(out, platform, app, w.ingress, w)
                _, secrets_name = web_service_names(w)
                for item in w.secrets:  # the model requires a store for them
                    out.secrets.append(
                        SecretItem(
                            app.name,
                            ns,
                            secrets_name,
                            store.name if store is not None else "",
                            secrets_name,
                            item.secret_key,
                            item.remote_key,
                            item.property,
                            w.refresh_interval,
                        )
                    )
    out.routes.sort(key=lambda r: (r.host, r.path, r.namespace, r.ingress))
    return out


def _workload(out: Facts, app: Application, w: Workload) -> None:
    out.workloads.append(Image(app.name, app.namespace, "Deployment", w.name, w.image))
    out.services.append(
        Service(app.name, app.namespace, w.service.name, w.service.port, f"Deployment {w.name}")
    )


def _routes(
    out: Facts,
    platform: Platform,
    app: Application,
    ingress: IngressSpec | None,
    owner: Workload | None,
) -> None:
    if ingress is None:
        return
    for rule in ingress_view(platform, ingress, owner)["rules"]:
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
                )
            )


def _store(
    out: Facts, platform: Platform, app: Application, store: SecretStoreSpec, account: str
) -> None:
    region = store.region or platform.aws.region
    out.stores.append(Store(app.name, app.namespace, store.name, store.service, region, account))


def _chart(app: Application) -> Chart:
    helm = app.helm
    assert helm is not None
    where = []
    if helm.values_in_repo and app.path is not None:
        where.append(f"{app.path}/values.yaml")
    if helm.values:
        where.append("inline values")
    if helm.parameters:
        where.append("parameters")
    return Chart(
        app.name,
        app.namespace,
        helm.chart,
        helm.version,
        helm.repo_url,
        helm.release_name or app.name,
        ", ".join(where) or "chart defaults",
    )


def _chart_routes(platform: Platform, app: Application) -> list[Route]:
    """The Ingress the kube-prometheus-stack chart creates for Grafana from the values file."""
    assert app.helm is not None
    section = observability_values(platform).get("grafana")
    if not isinstance(section, dict) or section.get("enabled") is False:
        return []
    ingress = section.get("ingress")
    if not isinstance(ingress, dict) or ingress.get("enabled") is not True:
        return []
    name = grafana_fullname(app.helm.release_name or app.name, section)
    service = section.get("service")
    port = service.get("port") if isinstance(service, dict) else None
    namespace = section.get("namespaceOverride") or app.namespace
    annotations = ingress.get("annotations")
    order = annotations.get("alb.ingress.kubernetes.io/group.order") if annotations else None
    hosts = ingress.get("hosts")
    return [
        Route(
            str(host),
            str(ingress.get("path", "/")),
            str(ingress.get("pathType", "Prefix")),
            name,
            port if isinstance(port, int) else GRAFANA_SERVICE_PORT,
            str(namespace),
            "grafana.ingress",
            int(order) if isinstance(order, str) and order.lstrip("-").isdigit() else None,
            app.name,
            by_chart=True,
        )
        for host in (hosts if isinstance(hosts, list) else [])
    ]


def grafana_fullname(release: str, section: dict[str, Any]) -> str:
    """The grafana chart's ``grafana.fullname``: its Service and Ingress name."""
    override = section.get("fullnameOverride")
    if isinstance(override, str) and override:
        return override[:GRAFANA_FULLNAME_MAX].rstrip("-")
    chart = section.get("nameOverride")
    chart = chart if isinstance(chart, str) and chart else "grafana"
    name = release if chart in release else f"{release}-{chart}"
    return name[:GRAFANA_FULLNAME_MAX].rstrip("-")


def split_image(reference: str) -> tuple[str, str, str]:
    """``registry:port/repo:tag@digest`` as (name, tag, digest); missing parts are ''."""
    rest, _, digest = reference.partition("@")
    slash, colon = rest.rfind("/"), rest.rfind(":")
    if colon > slash:
        return rest[:colon], rest[colon + 1 :], digest
    return rest, "", digest

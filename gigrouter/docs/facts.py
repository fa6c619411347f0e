"""What a rendered tree deploys, as rows for the generated docs: routes, Services, images,
SecretStores and ExternalSecret keys, NetworkPolicies and Helm charts, app by app.

The rows of what an app renders come from layout's registry, which returns them with the files;
the Helm charts and the Ingress kube-prometheus-stack creates from its values are added here.
The tests check the rows against the rendered documents. Only references are kept: never a
value of a ConfigMap, an environment variable or Helm values.
"""

from __future__ import annotations

from collections.abc import Mapping

from gigrouter.helm import GRAFANA_SERVICE_PORT, grafana_fullname
from gigrouter.layout import observability_values, registry
from gigrouter.layout.inventory import (
    Chart,
    Facts,
    Image,
    Part,
    Policy,
    Route,
    SecretItem,
    Service,
    Store,
)
from gigrouter.model import Application, Platform

__all__ = [
    "Chart",
    "Facts",
    "Image",
    "Policy",
    "Route",
    "SecretItem",
    "Service",
    "Store",
    "facts",
    "grafana_fullname",
    "split_image",
]


def facts(platform: Platform, parts: Mapping[str, Part] | None = None) -> Facts:
    """What the tree deploys, app by app in config order, as the layout renders it: the rows
    each registry entry returns with its files (``parts``: the layout's, when already built),
    and the Helm charts."""
    out = Facts()
    parts = parts if parts is not None else registry.parts(platform)
    for app in platform.active_applications():
        if app.helm is not None:
            out.charts.append(_chart(app))
            if app.helm.values_in_repo and app.path is not None:
                out.routes.extend(_chart_routes(platform, app))
        if app.path is not None:
            out.extend(parts[app.name].facts)
    out.routes.sort(key=lambda r: (r.host, r.path, r.namespace, r.ingress))
    return out


def _chart(app: Application) -> Chart:
    helm = app.helm
    assert helm is not None
    where = []
    if helm.in_repo and app.path is not None:
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
    spec = platform.components.observability and platform.components.observability.grafana.ingress
    profile = (spec.profile or platform.default_profile_name() or "") if spec else ""
    tls = [t for t in ingress.get("tls") or [] if isinstance(t, dict)]
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
            profile=profile,
            tls_secret=next(
                (str(t.get("secretName")) for t in tls if host in (t.get("hosts") or [])), ""
            ),
        )
        for host in (hosts if isinstance(hosts, list) else [])
    ]


def split_image(reference: str) -> tuple[str, str, str]:
    """``registry:port/repo:tag@digest`` as (name, tag, digest); missing parts are ''."""
    rest, _, digest = reference.partition("@")
    slash, colon = rest.rfind("/"), rest.rfind(":")
    if colon > slash:
        return rest[:colon], rest[colon + 1 :], digest
    return rest, "", digest

"""Chart facts that render, docs, validate and plan share, written once: the CRD groups each
well-known chart installs, the charts whose controller watches the whole cluster, and the names
the grafana chart gives its objects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The API groups of the CRDs a chart installs (unless its source sets helm.skipCrds), from the
# charts' crds/ and templates. A config adds others with applications[].helm.crd_groups.
CHART_CRD_GROUPS: dict[str, tuple[str, ...]] = {
    "aws-load-balancer-controller": ("elbv2.k8s.aws",),
    "external-secrets": ("external-secrets.io", "generators.external-secrets.io"),
    "kube-prometheus-stack": ("monitoring.coreos.com",),
    "cert-manager": ("cert-manager.io", "acme.cert-manager.io"),
}

# Charts whose CRDs are templates switched by values, not files of crds/ (so helm.skipCrds
# leaves them alone): the values keys, the first set one deciding, and the chart's default.
CHART_CRD_SWITCHES: dict[str, tuple[tuple[tuple[str, ...], ...], bool]] = {
    # crds.enabled since v1.15 (default false); installCRDs before, deprecated, default false
    "cert-manager": ((("crds", "enabled"), ("installCRDs",)), False),
    "external-secrets": ((("installCRDs",),), True),
}


@dataclass(frozen=True)
class ClusterController:
    """A chart whose controller reconciles objects in every namespace of its cluster: a second
    release on that cluster reconciles the same objects as the first, whatever namespace it is
    installed in and whether or not it installs its CRDs.

    ``reconciles``: what it acts on, for messages. ``off``: the values key that, false, leaves
    the controller out of a release (a release kept for the chart's CRDs). ``apart``: the
    values keys (each with the chart's default) that give each release objects of its own;
    two releases meet unless every one of them differs (an ingress controller's IngressClass
    and controller class). ``release_named``: the chart names cluster-scoped objects (its
    ClusterRole, its admission webhooks) after the release, so the release names must differ
    too."""

    reconciles: str
    off: tuple[str, ...] = ()
    apart: tuple[tuple[tuple[str, ...], str], ...] = ()
    release_named: bool = False


# Charts whose controller watches the whole cluster by default, from the charts' values and
# the projects' documentation.
CLUSTER_CONTROLLERS: dict[str, ClusterController] = {
    "aws-load-balancer-controller": ClusterController(
        "the Ingresses of its IngressClass, Services of type LoadBalancer and"
        " TargetGroupBindings in every namespace, each backed by an AWS load balancer"
    ),
    "ingress-nginx": ClusterController(
        "the Ingresses of its IngressClass in every namespace",
        apart=(
            (("controller", "ingressClassResource", "name"), "nginx"),
            (("controller", "ingressClassResource", "controllerValue"), "k8s.io/ingress-nginx"),
        ),
        release_named=True,
    ),
    "cert-manager": ClusterController(
        "the Certificates, Issuers, ClusterIssuers and annotated Ingresses of every namespace"
    ),
    "external-secrets": ClusterController(
        "the ExternalSecrets, SecretStores and ClusterSecretStores of every namespace"
    ),
    "kube-prometheus-stack": ClusterController(
        "the Prometheus, Alertmanager, ServiceMonitor and PrometheusRule objects of every"
        " namespace (the Prometheus Operator)",
        off=("prometheusOperator", "enabled"),
    ),
    "traefik": ClusterController("the Ingresses and IngressRoutes of every namespace"),
}

GRAFANA_SERVICE_PORT = 80  # the grafana chart's service.port default
NAME_MAX = 63  # Helm's `trunc 63`: a DNS label


def helm_trunc(name: str, limit: int = NAME_MAX) -> str:
    """Helm's ``trunc 63 | trimSuffix "-"``: cut to the limit, then drop one trailing '-'."""
    cut = name[:limit]
    return cut[:-1] if cut.endswith("-") else cut


def grafana_fullname(release: str, section: dict[str, Any]) -> str:
    """The grafana chart's ``grafana.fullname`` (its Service and Ingress name) for release
    ``release`` and its values ``section``: fullnameOverride, else the release name when it
    contains the chart name (nameOverride or "grafana"), else ``<release>-<chart>``."""
    override = section.get("fullnameOverride")
    if isinstance(override, str) and override:
        return helm_trunc(override)
    chart = section.get("nameOverride")
    chart = chart if isinstance(chart, str) and chart else "grafana"
    return helm_trunc(release if chart in release else f"{release}-{chart}")

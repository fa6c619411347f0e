"""Chart facts that render, docs, validate and plan share, written once: the CRD groups each
well-known chart installs, and the names the grafana chart gives its objects."""

from __future__ import annotations

from typing import Any

# The API groups of the CRDs a chart installs (unless its source sets helm.skipCrds), from the
# charts' crds/ and templates. A config adds others with applications[].helm.crd_groups.
CHART_CRD_GROUPS: dict[str, tuple[str, ...]] = {
    "aws-load-balancer-controller": ("elbv2.k8s.aws",),
    "external-secrets": ("external-secrets.io", "generators.external-secrets.io"),
    "kube-prometheus-stack": ("monitoring.coreos.com",),
    "cert-manager": ("cert-manager.io", "acme.cert-manager.io"),
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

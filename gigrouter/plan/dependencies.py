"""What each Application needs from another, as far as the tree shows it (for plan's diagram).

Declared dependencies come from the metadata file (the config's ``depends_on``); the others are
inferred: an app whose objects use API groups another app's chart or CRDs
install; an app with ALB Ingresses (or ALB Ingress values) and the app installing the AWS Load
Balancer Controller; an app whose Ingress or strings reach a Service of another app (a Helm
release's Services by their release-name prefix); the app behind a NetworkPolicy and the
namespaces it admits (ingress) or reaches (egress).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from gigrouter.helm import CHART_CRD_GROUPS
from gigrouter.validate.context import as_dict, as_list, dig
from gigrouter.validate.tree import AppInfo, Document, Tree


@dataclass(frozen=True)
class Dependency:
    """``before`` must be in place for ``after`` (inferred from the tree)."""

    before: str
    after: str
    reasons: tuple[str, ...]


def sources(app: AppInfo) -> list[dict[str, Any]]:
    """The Application's sources (spec.sources, or spec.source alone)."""
    found = dig(app.document, "spec", "sources")
    if not isinstance(found, list):
        found = [dig(app.document, "spec", "source")]
    return [s for s in found if isinstance(s, dict)]


_ALB_VALUES = re.compile(r"alb\.ingress\.kubernetes\.io/|ingressClassName['\"]?\s*:\s*['\"]?alb\b")


def app_dependencies(tree: Tree, crd_groups: dict[str, str]) -> list[Dependency]:
    """What each app needs from another, as far as the tree shows it."""
    found: dict[tuple[str, str], set[str]] = {}

    def need(before: str, after: str, why: str) -> None:
        if before and after and before != after:
            found.setdefault((before, after), set()).add(why)

    declared = tree.metadata.get("dependsOn")
    if isinstance(declared, dict):
        for after, befores in declared.items():
            for before in befores if isinstance(befores, list) else []:
                need(str(before), str(after), "depends_on in the config")
    groups = dict(crd_groups)
    for doc in tree.documents:
        if doc.kind == "CustomResourceDefinition" and doc.app is not None:
            group = dig(doc.data, "spec", "group")
            if isinstance(group, str):
                groups.setdefault(group, doc.app.name)
    controllers = [a.name for a in tree.applications if "aws-load-balancer-controller" in a.charts]
    services = {
        (d.namespace, d.name): d.app.name
        for d in tree.documents
        if d.kind == "Service" and d.group == "" and d.app is not None
    }
    by_namespace: dict[str, list[str]] = {}
    for app in tree.applications:
        by_namespace.setdefault(app.namespace, []).append(app.name)
        for src in sources(app):
            chart = src.get("chart")
            if (
                isinstance(chart, str)
                and chart in CHART_CRD_GROUPS
                and dig(src, "helm", "skipCrds") is True
            ):
                for group in CHART_CRD_GROUPS[str(chart)]:
                    if group in groups:
                        need(groups[group], app.name, f"CRDs {group}")
        if _ALB_VALUES.search(_values_text(tree, app)):
            for controller in controllers:
                need(controller, app.name, "ALB Ingress")
    releases = _releases(tree)
    for doc in tree.documents:
        if doc.app is None:
            continue
        name = doc.app.name
        if doc.group in groups:
            need(groups[doc.group], name, f"CRDs {doc.group}")
        if doc.kind == "Ingress" and _is_alb(doc):
            for controller in controllers:
                need(controller, name, "ALB Ingress")
            for svc in _ingress_services(doc):
                owner = services.get((doc.namespace, svc))
                if owner is None:
                    owner = next(
                        (a for ns, r, a in releases if ns == doc.namespace and svc.startswith(r)),
                        None,
                    )
                if owner is not None:
                    need(owner, name, f"Service {doc.namespace}/{svc}")
        if doc.kind == "NetworkPolicy":
            for ns in _peer_namespaces(doc, "ingress", "from"):
                for client in by_namespace.get(ns, []):
                    need(name, client, f"NetworkPolicy admits {ns}")
            for ns in _peer_namespaces(doc, "egress", "to"):
                for server in by_namespace.get(ns, []):
                    need(server, name, f"NetworkPolicy egress to {ns}")
        for text in _strings(doc.data):
            for (ns, svc), owner in services.items():
                if re.search(rf"(?<![\w.-]){re.escape(svc)}\.{re.escape(ns)}(?![\w-])", text):
                    need(owner, name, f"Service {ns}/{svc}")
    return [Dependency(b, a, tuple(sorted(why))) for (b, a), why in sorted(found.items())]


def _values_text(tree: Tree, app: AppInfo) -> str:
    parts = []
    for src in sources(app):
        helm = src.get("helm")
        if isinstance(helm, dict):
            for key in ("valuesObject", "values"):
                if key in helm:
                    parts.append(_json_text(helm[key]))
    for rel in app.value_files:
        text = tree.text(rel)  # None for files not in the tree (or reached through a link out)
        if text is not None:
            parts.append(text)
    return "\n".join(parts)


def _json_text(value: Any) -> str:
    """``value`` as text to search; YAML may hold keys and values JSON cannot sort or write."""
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def _releases(tree: Tree) -> list[tuple[str, str, str]]:
    """(namespace, release name + '-', app) of each Helm app: chart objects carry the prefix."""
    out = []
    for app in tree.applications:
        for src in sources(app):
            if isinstance(src.get("chart"), str):
                release = dig(src, "helm", "releaseName")
                out.append((app.namespace, f"{release or app.name}-", app.name))
    return out


def _is_alb(doc: Document) -> bool:
    return doc.spec.get("ingressClassName") == "alb" or any(
        str(k).startswith("alb.ingress.kubernetes.io/") for k in doc.annotations
    )


def _ingress_services(doc: Document) -> list[str]:
    names = []
    default = dig(doc.spec, "defaultBackend", "service", "name")
    if isinstance(default, str):
        names.append(default)
    for rule in as_list(doc.spec.get("rules")):
        for path in as_list(dig(rule, "http", "paths")):
            name = dig(path, "backend", "service", "name")
            if isinstance(name, str):
                names.append(name)
    return sorted(set(names))


def _peer_namespaces(doc: Document, section: str, peer_key: str) -> list[str]:
    """Namespaces a NetworkPolicy's ingress (from) or egress (to) peers select by name."""
    names = []
    for rule in as_list(doc.spec.get(section)):
        for peer in as_list(as_dict(rule).get(peer_key)):
            labels = dig(peer, "namespaceSelector", "matchLabels")
            if isinstance(labels, dict):
                ns = labels.get("kubernetes.io/metadata.name")
                if isinstance(ns, str):
                    names.append(ns)
    return sorted(set(names))


def _strings(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for v in data.values() for s in _strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in _strings(v)]
    return []

"""Hostnames inside the tree's domain.

Each tree's metadata file names the platform's ``domain`` (an environment's own, when it
overrides it). An Ingress host outside that domain is almost always a route copied from another
environment: staging answering on production's hostname. Ingresses a chart renders from a values
file (``grafana.ingress.hosts``) are checked too, at the values file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gigrouter.validate.context import Context
from gigrouter.validate.findings import Finding, Resource, Severity
from gigrouter.validate.rules.alb import chart_ingresses, virtual_identity
from gigrouter.validate.tree import METADATA_FILE, AppInfo

RULES: dict[str, str] = {
    "host-outside-domain": (
        "An Ingress host is neither the tree's domain (gigrouter-metadata.yaml) nor below it."
    ),
}


def in_domain(host: str, domain: str) -> bool:
    """Whether ``host`` is ``domain`` or a name below it (``*.domain`` included)."""
    host = host.strip().rstrip(".").lower()
    domain = domain.strip().rstrip(".").lower()
    return host == domain or host.endswith("." + domain)


def _hosts(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(host, field path) of every rule host and TLS host of an Ingress spec."""
    found: list[tuple[str, str]] = []
    rules = spec.get("rules")
    if isinstance(rules, list):
        for i, rule in enumerate(rules):
            if isinstance(rule, dict) and isinstance(rule.get("host"), str):
                found.append((rule["host"], f"spec.rules[{i}].host"))
    found.extend(_tls_hosts(spec))
    return found


def _tls_hosts(spec: dict[str, Any], prefix: str = "spec.") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    tls = spec.get("tls")
    if not isinstance(tls, list):
        return found
    for i, entry in enumerate(tls):
        hosts = entry.get("hosts") if isinstance(entry, dict) else None
        if isinstance(hosts, list):
            found.extend(
                (h, f"{prefix}tls[{i}].hosts[{j}]")
                for j, h in enumerate(hosts)
                if isinstance(h, str)
            )
    return found


def _chart_hosts(ingress: dict[str, Any]) -> list[tuple[str, str]]:
    """Hosts of ``<key>.ingress`` in a values file: ``hosts`` as names or ``{host: ...}``."""
    found: list[tuple[str, str]] = []
    hosts = ingress.get("hosts")
    if isinstance(hosts, list):
        for i, host in enumerate(hosts):
            if isinstance(host, dict):
                host = host.get("host")
            if isinstance(host, str):
                found.append((host, f"hosts[{i}]"))
    found.extend(_tls_hosts(ingress, prefix=""))
    return found


def _outside(hosts: list[tuple[str, str]], domain: str) -> Iterator[tuple[str, list[str]]]:
    """Each host outside ``domain`` once, with every field that names it."""
    fields: dict[str, list[str]] = {}
    for host, path in hosts:
        if host.strip() and not in_domain(host, domain):
            fields.setdefault(host.strip(), []).append(path)
    yield from fields.items()


def _message(host: str, fields: list[str], ingress: str, domain: str) -> str:
    return (
        f"host {host!r} ({', '.join(fields)}) of {ingress} is outside the domain {domain!r} of"
        f" this tree ({METADATA_FILE}), so the route would answer on another domain's"
        f" hostname; use {domain} or a name ending in .{domain}, or change the domain"
    )


def check(ctx: Context) -> Iterator[Finding]:
    domain = ctx.tree.metadata.get("domain")
    if not isinstance(domain, str) or not domain.strip():
        return
    for doc in ctx.index.of_kind("Ingress"):
        ident = f"Ingress {doc.namespace}/{doc.name}" if doc.namespace else f"Ingress {doc.name}"
        for host, fields in _outside(_hosts(doc.spec), domain):
            yield ctx.finding(
                doc, Severity.WARNING, "host-outside-domain", _message(host, fields, ident, domain)
            )
    for chart in chart_ingresses(ctx):
        outside = list(_outside(_chart_hosts(chart.ingress), domain))
        targets: list[AppInfo | None] = [*chart.apps] if chart.apps else [None]
        for app in targets:
            namespace, name = virtual_identity(chart.key, chart.section, chart.values, app)
            label = f"Ingress {namespace}/{name} (rendered by the chart from {chart.key}.ingress)"
            for host, fields in outside:
                where = [f"{chart.key}.ingress.{f}" for f in fields]
                yield Finding(
                    Severity.WARNING,
                    "host-outside-domain",
                    _message(host, where, label, domain),
                    chart.file,
                    chart.line,
                    Resource("networking.k8s.io/v1", "Ingress", namespace, name),
                )

"""host-outside-domain: every Ingress host of a tree is its metadata's domain or below it."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from treeutil import app, context, metadata, obj

from gigrouter.validate.findings import Finding, Resource, Severity
from gigrouter.validate.rules import hosts
from gigrouter.validate.runner import validate_path

OUT = Path(__file__).resolve().parents[2] / "out"
DOMAIN = "shop.example.com"


def ingress(
    name: str, rule_hosts: list[str | None], tls: list[list[str]] | None = None
) -> dict[str, Any]:
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    rules: list[dict[str, Any]] = []
    for host in rule_hosts:
        rule: dict[str, Any] = {
            "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}
        }
        if host is not None:
            rule["host"] = host
        rules.append(rule)
    spec: dict[str, Any] = {"ingressClassName": "nginx", "rules": rules}
    if tls is not None:
        spec["tls"] = [{"hosts": h, "secretName": f"tls-{i}"} for i, h in enumerate(tls)]
    return obj("Ingress", name, "web", api="networking.k8s.io/v1", spec=spec)


def run(tmp_path: Path, files: dict[str, Any], domain: str | None = DOMAIN) -> list[Finding]:
    meta = metadata()
    if domain is not None:
        meta["domain"] = domain
    ctx = context(tmp_path, {"gigrouter-metadata.yaml": meta, **files})
    return list(hosts.check(ctx))


@pytest.mark.parametrize(
    ("host", "inside"),
    [
        ("shop.example.com", True),
        ("api.shop.example.com", True),
        ("*.shop.example.com", True),
        ("SHOP.Example.COM", True),
        ("shop.example.com.", True),
        ("example.com", False),
        ("myshop.example.com", False),  # a suffix of the text, not of the name
        ("shop.example.com.evil.org", False),
        ("*.example.com", False),
    ],
)
def test_in_domain(host: str, inside: bool) -> None:
    assert hosts.in_domain(host, DOMAIN) is inside


def test_hosts_inside_the_domain_are_clean(tmp_path: Path) -> None:
    files = {
        "web/ingress.yaml": ingress(
            "web", [DOMAIN, "api." + DOMAIN, None], tls=[["*." + DOMAIN, DOMAIN]]
        )
    }
    assert run(tmp_path, files) == []


def test_a_rule_host_outside_the_domain_warns_naming_host_domain_and_ingress(
    tmp_path: Path,
) -> None:
    findings = run(tmp_path, {"web/ingress.yaml": ingress("web", [DOMAIN, "example.org"])})
    assert [(f.rule, f.severity, f.file, f.line) for f in findings] == [
        ("host-outside-domain", Severity.WARNING, "web/ingress.yaml", 1)
    ]
    message = findings[0].message
    assert "host 'example.org' (spec.rules[1].host)" in message
    assert "Ingress web/web" in message
    assert f"domain '{DOMAIN}'" in message
    assert findings[0].resource == Resource("networking.k8s.io/v1", "Ingress", "web", "web")


def test_tls_hosts_are_checked_and_each_host_is_reported_once(tmp_path: Path) -> None:
    doc = ingress("web", ["other.org"], tls=[["other.org", "tls.other.org"]])
    findings = run(tmp_path, {"web/ingress.yaml": doc})
    assert [f.message.split(" of ")[0] for f in findings] == [
        "host 'other.org' (spec.rules[0].host, spec.tls[0].hosts[0])",
        "host 'tls.other.org' (spec.tls[0].hosts[1])",
    ]


def test_a_tree_without_a_domain_is_not_checked(tmp_path: Path) -> None:
    assert run(tmp_path, {"web/ingress.yaml": ingress("web", ["example.org"])}, None) == []


def test_chart_values_hosts_are_checked_at_the_values_file(tmp_path: Path) -> None:
    monitoring = app("monitoring", None, "monitoring", chart="kube-prometheus-stack")
    monitoring["spec"]["source"]["helm"] = {"releaseName": "monitoring"}
    meta = metadata()
    meta["domain"] = DOMAIN
    meta["valuesFiles"] = [{"application": "monitoring", "path": "observability/values.yaml"}]
    values = textwrap.dedent(
        """\
        grafana:
          ingress:
            enabled: true
            ingressClassName: nginx
            hosts:
              - grafana.example.org
            tls:
              - hosts: [grafana.shop.example.com]
        """
    )
    ctx = context(
        tmp_path,
        {
            "gigrouter-metadata.yaml": meta,
            "argocd/monitoring.yaml": monitoring,
            "observability/values.yaml": values,
        },
    )
    findings = list(hosts.check(ctx))
    assert [(f.rule, f.file, f.line) for f in findings] == [
        ("host-outside-domain", "observability/values.yaml", 2)
    ]
    assert "host 'grafana.example.org' (grafana.ingress.hosts[0])" in findings[0].message
    assert findings[0].resource == Resource(
        "networking.k8s.io/v1", "Ingress", "monitoring", "monitoring-grafana"
    )


def test_the_rendered_out_tree_keeps_every_host_in_its_domain() -> None:
    report = validate_path(OUT)
    assert [f for f in report.findings if f.rule == "host-outside-domain"] == []


def test_a_staging_route_on_the_production_domain_warns_in_the_staging_tree(
    tmp_path: Path,
) -> None:
    tree = tmp_path / "out"
    shutil.copytree(OUT, tree)
    ingress_file = tree / "environments/staging/frontend/ingress.yaml"
    text = ingress_file.read_text()
    assert "host: staging.yassinabuelsheikh.store" in text
    ingress_file.write_text(
        text.replace("staging.yassinabuelsheikh.store", "yassinabuelsheikh.store")
    )
    found = [f for f in validate_path(tree).findings if f.rule == "host-outside-domain"]
    assert [(f.file, f.severity) for f in found] == [
        ("environments/staging/frontend/ingress.yaml", Severity.WARNING)
    ]
    assert "domain 'staging.yassinabuelsheikh.store'" in found[0].message

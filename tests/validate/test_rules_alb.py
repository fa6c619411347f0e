"""Rules for AWS ALB ingress groups (gigrouter.validate.rules.alb)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from gigrouter.validate.context import Options
from gigrouter.validate.findings import Finding, Resource, Severity
from gigrouter.validate.rules import alb, security
from gigrouter.validate.runner import build_context
from gigrouter.validate.tree import load_tree

OUT = Path(__file__).resolve().parents[2] / "out"
P = "alb.ingress.kubernetes.io/"
HOST = "shop.example.com"
CERT = "arn:aws:acm:eu-north-1:111122223333:certificate/abc"


def ingress(
    name: str,
    namespace: str,
    paths: list[tuple[str, str]] | None = None,
    *,
    host: str | None = HOST,
    group: str | None = "shared",
    order: str | None = None,
    class_name: str | None = "alb",
    https: bool = True,
    **extra: str,
) -> dict[str, Any]:
    """An Ingress; ``extra`` adds alb annotations (underscores become dashes)."""
    annotations: dict[str, str] = {P + "scheme": "internet-facing"}
    if group is not None:
        annotations[P + "group.name"] = group
    if order is not None:
        annotations[P + "group.order"] = order
    if https:
        annotations[P + "certificate-arn"] = CERT
        annotations[P + "listen-ports"] = '[{"HTTP": 80}, {"HTTPS": 443}]'
        annotations[P + "ssl-redirect"] = "443"
    for key, value in extra.items():
        full = key if "/" in key else P + key.replace("_", "-")
        annotations[full] = value
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {
                    "path": path,
                    "pathType": path_type,
                    "backend": {"service": {"name": name, "port": {"number": 80}}},
                }
                for path, path_type in (paths or [("/", "Prefix")])
            ]
        }
    }
    if host is not None:
        rule["host"] = host
    spec: dict[str, Any] = {"rules": [rule]}
    if class_name is not None:
        spec["ingressClassName"] = class_name
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
        "spec": spec,
    }


def write(root: Path, rel: str, *docs: dict[str, Any]) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")


def run(root: Path) -> list[Finding]:
    return list(alb.check(build_context(load_tree(root), Options())))


def of(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def serious(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is not Severity.INFO]


# --------------------------------------------------------------------------- the real tree


def test_rendered_out_tree_has_no_errors_or_warnings() -> None:
    ctx = build_context(load_tree(OUT), Options())
    findings = list(alb.check(ctx)) + list(security.check(ctx))
    assert serious(findings) == []
    # the grafana ingress of the chart values is part of the shared group
    groups, members = alb.collect_groups(ctx)
    virtual = [m for m in members if m.values_key == "grafana"]
    assert [(m.file, m.namespace, m.name) for m in virtual] == [
        ("observability/values.yaml", "monitoring", "monitoring-grafana")
    ]
    shared = [g for g in groups if g.key == "shared-alb"]
    assert len(shared) == 1 and len(shared[0].members) == 4


def test_all_rules_documented() -> None:
    assert set(alb.RULES) == {
        "alb-exclusive-conflict",
        "alb-https-listener-missing",
        "alb-duplicate-route",
        "alb-shadowed-path",
        "alb-order-implicit",
        "ingress-class-missing",
        "ingress-class-annotation-deprecated",
        "alb-invalid-annotation",
        "alb-scheme-default",
        "alb-annotations-ignored",
    }


def test_consistent_group_is_clean(tmp_path: Path) -> None:
    write(tmp_path, "api/ingress.yaml", ingress("api", "api", [("/api", "Prefix")], order="10"))
    write(tmp_path, "web/ingress.yaml", ingress("web", "web", order="20"))
    assert run(tmp_path) == []


# --------------------------------------------------------------------------- 1. exclusive


def test_exclusive_conflict_names_both_members_and_values(tmp_path: Path) -> None:
    write(tmp_path, "api/ingress.yaml", ingress("api", "api", [("/api", "Prefix")], order="10"))
    web = ingress("web", "web", order="20")
    web["metadata"]["annotations"][P + "scheme"] = "internal"
    write(tmp_path, "web/ingress.yaml", web)
    findings = run(tmp_path)
    assert [(f.rule, f.severity, f.file) for f in findings] == [
        ("alb-exclusive-conflict", Severity.ERROR, "web/ingress.yaml")
    ]
    message = findings[0].message
    assert "'internal'" in message and "'internet-facing'" in message
    assert "api/api" in message and "web/web" in message
    assert findings[0].resource == Resource("networking.k8s.io/v1", "Ingress", "web", "web")


def test_exclusive_annotation_on_one_member_only_is_fine(tmp_path: Path) -> None:
    write(
        tmp_path,
        "api/ingress.yaml",
        ingress("api", "api", [("/api", "Prefix")], order="10", wafv2_acl_arn="arn:waf:1"),
    )
    write(tmp_path, "web/ingress.yaml", ingress("web", "web", order="20"))
    assert run(tmp_path) == []


def test_merge_annotations_may_differ(tmp_path: Path) -> None:
    api = ingress("api", "api", [("/api", "Prefix")], order="10", tags="team=api")
    web = ingress("web", "web", order="20", tags="team=web")
    web["metadata"]["annotations"][P + "certificate-arn"] = CERT + "-other"
    write(tmp_path, "api/ingress.yaml", api)
    write(tmp_path, "web/ingress.yaml", web)
    assert run(tmp_path) == []


def test_subnets_compare_without_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        "api/ingress.yaml",
        ingress("api", "api", [("/api", "Prefix")], order="10", subnets="subnet-a, subnet-b"),
    )
    write(
        tmp_path, "web/ingress.yaml", ingress("web", "web", order="20", subnets="subnet-b,subnet-a")
    )
    assert run(tmp_path) == []
    write(tmp_path, "web/ingress.yaml", ingress("web", "web", order="20", subnets="subnet-c"))
    assert [f.rule for f in run(tmp_path)] == ["alb-exclusive-conflict"]


def test_load_balancer_attributes_conflict_per_key(tmp_path: Path) -> None:
    key = "load_balancer_attributes"
    write(
        tmp_path,
        "api/ingress.yaml",
        ingress(
            "api",
            "api",
            [("/api", "Prefix")],
            order="10",
            **{key: "idle_timeout.timeout_seconds=60"},
        ),
    )
    write(
        tmp_path,
        "web/ingress.yaml",
        ingress("web", "web", order="20", **{key: "routing.http2.enabled=true"}),
    )
    assert run(tmp_path) == []
    write(
        tmp_path,
        "web/ingress.yaml",
        ingress("web", "web", order="20", **{key: "idle_timeout.timeout_seconds=120"}),
    )
    findings = run(tmp_path)
    assert [(f.rule, f.severity, f.file) for f in findings] == [
        ("alb-exclusive-conflict", Severity.ERROR, "web/ingress.yaml")
    ]
    assert "idle_timeout.timeout_seconds=120" in findings[0].message
    assert "idle_timeout.timeout_seconds=60" in findings[0].message


def test_separate_groups_do_not_conflict(tmp_path: Path) -> None:
    write(tmp_path, "api/ingress.yaml", ingress("api", "api", [("/api", "Prefix")], group="one"))
    web = ingress("web", "web", group="two")
    web["metadata"]["annotations"][P + "scheme"] = "internal"
    write(tmp_path, "web/ingress.yaml", web)
    assert run(tmp_path) == []


# --------------------------------------------------------------------------- 2. https listener


def test_https_listener_missing_on_a_member(tmp_path: Path) -> None:
    write(tmp_path, "api/ingress.yaml", ingress("api", "api", [("/api", "Prefix")], order="10"))
    web = ingress("web", "web", order="20", https=False, listen_ports='[{"HTTP": 80}]')
    write(tmp_path, "web/ingress.yaml", web)
    findings = run(tmp_path)
    assert [(f.rule, f.severity, f.file) for f in findings] == [
        ("alb-https-listener-missing", Severity.ERROR, "web/ingress.yaml")
    ]
    assert '{"HTTPS": 443}' in findings[0].message and "api/api" in findings[0].message


def test_default_listen_ports_follow_certificate(tmp_path: Path) -> None:
    # no listen-ports, no certificate: the default is HTTP 80 only, so the redirect hides it
    write(tmp_path, "api/ingress.yaml", ingress("api", "api", [("/api", "Prefix")], order="10"))
    write(tmp_path, "web/ingress.yaml", ingress("web", "web", order="20", https=False))
    assert [f.rule for f in run(tmp_path)] == ["alb-https-listener-missing"]
    # with a certificate the default is HTTPS 443, which the redirect reaches
    write(
        tmp_path,
        "web/ingress.yaml",
        ingress("web", "web", order="20", https=False, certificate_arn=CERT),
    )
    assert run(tmp_path) == []


def test_redirect_to_other_port_needs_that_port(tmp_path: Path) -> None:
    one = ingress("one", "one", order="1", ssl_redirect="8443")
    write(tmp_path, "one/ingress.yaml", one)
    findings = run(tmp_path)
    assert [(f.rule, f.file) for f in findings] == [
        ("alb-https-listener-missing", "one/ingress.yaml")
    ]
    assert "8443" in findings[0].message
    one["metadata"]["annotations"][P + "listen-ports"] = '[{"HTTP": 80}, {"HTTPS": 8443}]'
    write(tmp_path, "one/ingress.yaml", one)
    assert run(tmp_path) == []


# --------------------------------------------------------------------------- 3. duplicates


def test_duplicate_route_across_members(tmp_path: Path) -> None:
    write(tmp_path, "a/ingress.yaml", ingress("a", "a", [("/api", "Prefix")], order="10"))
    b = ingress("b", "b", [("/api/", "Prefix")], order="20")
    b["spec"]["rules"][0]["host"] = HOST.upper()
    write(tmp_path, "b/ingress.yaml", b)
    findings = run(tmp_path)
    assert [(f.rule, f.severity, f.file) for f in findings] == [
        ("alb-duplicate-route", Severity.ERROR, "b/ingress.yaml")
    ]
    assert "a/a" in findings[0].message and "b/b" in findings[0].message


def test_duplicate_route_within_one_ingress(tmp_path: Path) -> None:
    one = ingress("one", "one", [("/api", "Prefix")])
    one["spec"]["rules"].append(one["spec"]["rules"][0])
    write(tmp_path, "one/ingress.yaml", one)
    assert [(f.rule, f.file) for f in run(tmp_path)] == [
        ("alb-duplicate-route", "one/ingress.yaml")
    ]


def test_same_path_on_different_hosts_or_types_is_fine(tmp_path: Path) -> None:
    write(tmp_path, "a/ingress.yaml", ingress("a", "a", [("/api", "Prefix")], order="10"))
    write(
        tmp_path,
        "b/ingress.yaml",
        ingress("b", "b", [("/api", "Prefix")], order="20", host="other.example.com"),
    )
    write(tmp_path, "c/ingress.yaml", ingress("c", "c", [("/api", "Exact")], order="30"))
    assert run(tmp_path) == []


def test_same_route_on_disjoint_listeners_is_fine(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a/ingress.yaml",
        ingress("a", "a", [("/api", "Prefix")], https=False, listen_ports='[{"HTTP": 8080}]'),
    )
    write(
        tmp_path,
        "b/ingress.yaml",
        ingress("b", "b", [("/api", "Prefix")], https=False, listen_ports='[{"HTTP": 9090}]'),
    )
    assert serious(run(tmp_path)) == []


# --------------------------------------------------------------------------- 4. shadowing


def test_catch_all_with_lower_order_shadows(tmp_path: Path) -> None:
    write(tmp_path, "frontend/ingress.yaml", ingress("frontend-ingress", "frontend", order="10"))
    write(
        tmp_path,
        "backend/ingress.yaml",
        ingress("backend-ingress", "backend", [("/api", "Prefix")], order="20"),
    )
    findings = run(tmp_path)
    assert [(f.rule, f.severity, f.file) for f in findings] == [
        ("alb-shadowed-path", Severity.ERROR, "backend/ingress.yaml")
    ]
    assert "/api" in findings[0].message and "frontend/frontend-ingress" in findings[0].message


def test_specific_path_with_lower_order_is_fine(tmp_path: Path) -> None:
    write(tmp_path, "frontend/ingress.yaml", ingress("frontend-ingress", "frontend", order="20"))
    write(
        tmp_path,
        "backend/ingress.yaml",
        ingress("backend-ingress", "backend", [("/api", "Prefix")], order="10"),
    )
    assert run(tmp_path) == []


def test_name_tie_break_in_our_favour_warns(tmp_path: Path) -> None:
    write(tmp_path, "frontend/ingress.yaml", ingress("frontend-ingress", "frontend"))
    write(
        tmp_path,
        "backend/ingress.yaml",
        ingress("backend-ingress", "backend", [("/api", "Prefix")]),
    )
    findings = run(tmp_path)
    assert [(f.rule, f.severity, f.file) for f in findings] == [
        ("alb-order-implicit", Severity.WARNING, "backend/ingress.yaml")
    ]
    assert "group.order" in findings[0].message


def test_name_tie_break_against_us_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a-web/ingress.yaml", ingress("web", "a-web", order="5"))
    write(
        tmp_path, "backend/ingress.yaml", ingress("api", "backend", [("/api", "Prefix")], order="5")
    )
    findings = run(tmp_path)
    assert [(f.rule, f.severity, f.file) for f in findings] == [
        ("alb-shadowed-path", Severity.ERROR, "backend/ingress.yaml")
    ]
    assert "names decide" in findings[0].message


def test_hostless_catch_all_shadows_every_host(tmp_path: Path) -> None:
    write(tmp_path, "a/ingress.yaml", ingress("web", "a", host=None, order="1"))
    write(
        tmp_path,
        "b/ingress.yaml",
        ingress("api", "b", [("/api", "Prefix")], host="api.example.com", order="2"),
    )
    assert [(f.rule, f.file) for f in run(tmp_path)] == [("alb-shadowed-path", "b/ingress.yaml")]


def test_catch_all_of_other_host_does_not_shadow(tmp_path: Path) -> None:
    write(tmp_path, "a/ingress.yaml", ingress("web", "a", host="www.example.com", order="1"))
    write(tmp_path, "b/ingress.yaml", ingress("api", "b", [("/api", "Prefix")], order="2"))
    assert run(tmp_path) == []


def test_paths_inside_one_ingress_are_not_compared(tmp_path: Path) -> None:
    # the controller sorts paths of one rule itself (Exact, then longest Prefix first)
    write(tmp_path, "a/ingress.yaml", ingress("web", "a", [("/", "Prefix"), ("/api", "Prefix")]))
    assert run(tmp_path) == []


# --------------------------------------------------------------------------- 5. ingress class


def test_ingress_class_missing(tmp_path: Path) -> None:
    write(tmp_path, "a/ingress.yaml", ingress("web", "a", class_name=None))
    findings = run(tmp_path)
    assert [(f.rule, f.severity, f.file) for f in findings] == [
        ("ingress-class-missing", Severity.WARNING, "a/ingress.yaml")
    ]
    assert "ingressClassName: alb" in findings[0].message


def test_ingress_class_annotation_is_deprecated_not_missing(tmp_path: Path) -> None:
    legacy = ingress("web", "a", class_name=None, **{"kubernetes.io/ingress.class": "alb"})
    write(tmp_path, "a/ingress.yaml", legacy)
    findings = run(tmp_path)
    assert [(f.rule, f.severity, f.file) for f in findings] == [
        ("ingress-class-annotation-deprecated", Severity.INFO, "a/ingress.yaml")
    ]


def test_other_controllers_are_ignored(tmp_path: Path) -> None:
    nginx = ingress("web", "a", class_name="nginx", group=None, https=False)
    nginx["metadata"]["annotations"] = {"nginx.ingress.kubernetes.io/rewrite-target": "/"}
    legacy = ingress("old", "b", class_name=None, group=None, https=False)
    legacy["metadata"]["annotations"] = {"kubernetes.io/ingress.class": "nginx"}
    write(tmp_path, "a/ingress.yaml", nginx)
    write(tmp_path, "b/ingress.yaml", legacy)
    assert run(tmp_path) == []


def test_ingress_class_of_the_alb_controller_counts(tmp_path: Path) -> None:
    klass = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "public"},
        "spec": {"controller": "ingress.k8s.aws/alb"},
    }
    write(tmp_path, "classes.yaml", klass)
    write(tmp_path, "a/ingress.yaml", ingress("web", "a", class_name="public", order="1"))
    write(
        tmp_path,
        "b/ingress.yaml",
        ingress("api", "b", [("/api", "Prefix")], class_name="public", order="2"),
    )
    assert [f.rule for f in run(tmp_path)] == ["alb-shadowed-path"]


def ingress_class(name: str, controller: str, default: bool = False) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if default:
        metadata["annotations"] = {"ingressclass.kubernetes.io/is-default-class": "true"}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": metadata,
        "spec": {"controller": controller},
    }


@pytest.mark.parametrize(
    "class_name",
    ["nginx", "ingress-nginx", "traefik", "haproxy", "kong", "contour", "istio", "gce", "cilium"],
)
def test_alb_annotations_on_another_controllers_ingress_are_ignored(
    tmp_path: Path, class_name: str
) -> None:
    # The catch-all of an nginx Ingress would shadow the ALB Ingress's /api if it were a member.
    write(tmp_path, "a/ingress.yaml", ingress("web", "a", class_name=class_name, order="1"))
    write(tmp_path, "b/ingress.yaml", ingress("api", "b", [("/api", "Prefix")], order="2"))
    findings = run(tmp_path)
    assert [(f.rule, f.severity, f.file) for f in findings] == [
        ("alb-annotations-ignored", Severity.WARNING, "a/ingress.yaml")
    ]
    message = findings[0].message
    assert f"the {class_name} controller" in message
    assert "ignores ALB annotations: " in message
    assert f"{P}certificate-arn, {P}group.name, {P}group.order" in message
    assert findings[0].resource == Resource("networking.k8s.io/v1", "Ingress", "a", "web")


def test_no_alb_rule_runs_on_a_non_alb_ingress(tmp_path: Path) -> None:
    # Every group rule would fire on these two if they were ALB Ingresses.
    bad = ingress("web", "a", class_name="nginx", group="Bad_Group", scheme="public")
    twice = ingress("web2", "a", class_name="nginx", group="Bad_Group", scheme="internal")
    write(tmp_path, "a/ingress.yaml", bad, twice)
    assert [f.rule for f in run(tmp_path)] == ["alb-annotations-ignored"] * 2


def test_legacy_class_annotation_of_another_controller(tmp_path: Path) -> None:
    legacy = ingress("web", "a", class_name="alb", **{"kubernetes.io/ingress.class": "nginx"})
    write(tmp_path, "a/ingress.yaml", legacy)
    assert [f.rule for f in run(tmp_path)] == ["alb-annotations-ignored"]


def test_ingress_class_in_the_tree_with_another_controller(tmp_path: Path) -> None:
    write(tmp_path, "classes.yaml", ingress_class("public", "k8s.io/ingress-nginx"))
    write(tmp_path, "a/ingress.yaml", ingress("web", "a", class_name="public"))
    [finding] = run(tmp_path)
    assert finding.rule == "alb-annotations-ignored"
    assert "the public controller (k8s.io/ingress-nginx)" in finding.message


def test_alb_class_of_another_controller_in_the_tree_is_not_alb(tmp_path: Path) -> None:
    write(tmp_path, "classes.yaml", ingress_class("alb", "example.com/other"))
    write(tmp_path, "a/ingress.yaml", ingress("web", "a"))
    assert [f.rule for f in run(tmp_path)] == ["alb-annotations-ignored"]


def test_a_well_known_class_is_never_alb(tmp_path: Path) -> None:
    write(tmp_path, "classes.yaml", ingress_class("nginx", "ingress.k8s.aws/alb"))
    write(tmp_path, "a/ingress.yaml", ingress("web", "a", class_name="nginx"))
    assert [f.rule for f in run(tmp_path)] == ["alb-annotations-ignored"]


def test_an_unknown_class_is_not_alb(tmp_path: Path) -> None:
    write(tmp_path, "a/ingress.yaml", ingress("web", "a", class_name="internal-lb"))
    [finding] = run(tmp_path)
    assert (finding.rule, finding.severity) == ("alb-annotations-ignored", Severity.WARNING)
    assert "the internal-lb controller ignores ALB annotations" in finding.message


def test_no_class_with_a_default_class_of_another_controller(tmp_path: Path) -> None:
    write(tmp_path, "classes.yaml", ingress_class("nginx", "k8s.io/ingress-nginx", default=True))
    write(tmp_path, "a/ingress.yaml", ingress("web", "a", class_name=None))
    [finding] = run(tmp_path)
    assert finding.rule == "alb-annotations-ignored"
    assert "the nginx controller (the default IngressClass, k8s.io/ingress-nginx)" in (
        finding.message
    )


def test_no_class_with_a_default_alb_class_stays_alb(tmp_path: Path) -> None:
    write(tmp_path, "classes.yaml", ingress_class("lb", "ingress.k8s.aws/alb", default=True))
    write(tmp_path, "a/ingress.yaml", ingress("web", "a", class_name=None))
    assert [f.rule for f in run(tmp_path)] == ["ingress-class-missing"]


def test_another_controllers_ingress_without_alb_annotations_is_silent(tmp_path: Path) -> None:
    nginx = ingress("web", "a", class_name="nginx", group=None, https=False)
    nginx["metadata"]["annotations"] = {"nginx.ingress.kubernetes.io/ssl-redirect": "true"}
    write(tmp_path, "a/ingress.yaml", nginx)
    assert run(tmp_path) == []


# --------------------------------------------------------------------------- 6. invalid values


@pytest.mark.parametrize(
    ("annotation", "value"),
    [
        ("group.order", "first"),
        ("group.order", "1001"),
        ("group.order", "1.5"),
        ("group.name", "Shared_ALB"),
        ("listen-ports", "[{HTTP: 80}]"),
        ("listen-ports", '[{"http": 80}]'),
        ("listen-ports", '[{"HTTPS": "443"}]'),
        ("listen-ports", "[]"),
        ("scheme", "public"),
        ("target-type", "pod"),
    ],
)
def test_invalid_annotation(tmp_path: Path, annotation: str, value: str) -> None:
    one = ingress("web", "a", order="1", https=False)
    one["metadata"]["annotations"][P + annotation] = value
    write(tmp_path, "a/ingress.yaml", one)
    findings = of(run(tmp_path), "alb-invalid-annotation")
    assert [(f.severity, f.file) for f in findings] == [(Severity.ERROR, "a/ingress.yaml")]
    assert P + annotation in findings[0].message


def test_invalid_ssl_redirect(tmp_path: Path) -> None:
    write(tmp_path, "a/ingress.yaml", ingress("web", "a", ssl_redirect="yes"))
    findings = run(tmp_path)
    assert [(f.rule, f.severity) for f in findings] == [("alb-invalid-annotation", Severity.ERROR)]
    assert "ssl-redirect" in findings[0].message


@pytest.mark.parametrize(
    ("annotation", "value"),
    [
        ("group.order", "-1000"),
        ("group.order", "1000"),
        ("listen-ports", '[{"HTTP": 80, "HTTPS": 443}]'),
        ("scheme", "internal"),
        ("target-type", "instance"),
        ("target-type", "ip"),
    ],
)
def test_valid_annotation_values(tmp_path: Path, annotation: str, value: str) -> None:
    one = ingress("web", "a", order="1")
    one["metadata"]["annotations"][P + annotation] = value
    write(tmp_path, "a/ingress.yaml", one)
    assert run(tmp_path) == []


def test_scheme_default_is_reported_once_per_group(tmp_path: Path) -> None:
    a = ingress("web", "a", order="1")
    b = ingress("api", "b", [("/api", "Prefix")], order="0")
    for doc in (a, b):
        del doc["metadata"]["annotations"][P + "scheme"]
    write(tmp_path, "a/ingress.yaml", a)
    write(tmp_path, "b/ingress.yaml", b)
    findings = run(tmp_path)
    assert [(f.rule, f.severity, f.file) for f in findings] == [
        ("alb-scheme-default", Severity.INFO, "b/ingress.yaml")
    ]
    assert "internet-facing" in findings[0].message


# --------------------------------------------------------------------------- chart values

APPLICATION = textwrap.dedent(
    """\
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata:
      name: monitoring
      namespace: argocd
    spec:
      project: default
      sources:
      - repoURL: https://prometheus-community.github.io/helm-charts
        chart: kube-prometheus-stack
        targetRevision: 58.5.0
        helm:
          releaseName: monitoring
          valueFiles:
          - $values/observability/values.yaml
      - repoURL: https://github.com/example/gitops
        targetRevision: main
        ref: values
      destination:
        server: https://kubernetes.default.svc
        namespace: monitoring
    """
)


def values_file(
    scheme: str = "internet-facing", order: str = "30", host: str = "grafana.example.com"
) -> str:
    return textwrap.dedent(
        f"""\
        # values for kube-prometheus-stack
        prometheus:
          prometheusSpec:
            replicas: 1
        grafana:
          adminPassword: from-a-secret
          ingress:
            enabled: true
            ingressClassName: alb
            annotations:
              alb.ingress.kubernetes.io/group.name: shared
              alb.ingress.kubernetes.io/group.order: '{order}'
              alb.ingress.kubernetes.io/scheme: {scheme}
              alb.ingress.kubernetes.io/certificate-arn: {CERT}
              alb.ingress.kubernetes.io/listen-ports: '[{{"HTTP": 80}}, {{"HTTPS": 443}}]'
              alb.ingress.kubernetes.io/ssl-redirect: '443'
            hosts:
            - {host}
            path: /
            pathType: Prefix
        """
    )


def chart_tree(root: Path, values: str) -> None:
    (root / "argocd").mkdir(parents=True)
    (root / "argocd" / "monitoring.yaml").write_text(APPLICATION, encoding="utf-8")
    (root / "observability").mkdir()
    (root / "observability" / "values.yaml").write_text(values, encoding="utf-8")
    write(root, "backend/ingress.yaml", ingress("api", "backend", [("/api", "Prefix")], order="10"))


def test_chart_values_consistent_member_is_clean(tmp_path: Path) -> None:
    chart_tree(tmp_path, values_file())
    assert run(tmp_path) == []
    ctx = build_context(load_tree(tmp_path), Options())
    _, members = alb.collect_groups(ctx)
    [grafana] = [m for m in members if m.values_key == "grafana"]
    assert (grafana.namespace, grafana.name, grafana.line) == (
        "monitoring",
        "monitoring-grafana",
        7,
    )


def test_chart_values_exclusive_conflict_is_located_at_values_file(tmp_path: Path) -> None:
    chart_tree(tmp_path, values_file(scheme="internal"))
    findings = run(tmp_path)
    assert [(f.rule, f.severity, f.file, f.line) for f in findings] == [
        ("alb-exclusive-conflict", Severity.ERROR, "observability/values.yaml", 7)
    ]
    assert findings[0].resource == Resource(
        "networking.k8s.io/v1", "Ingress", "monitoring", "monitoring-grafana"
    )
    assert "grafana.ingress" in findings[0].message


def test_chart_values_catch_all_shadows_manifest_path(tmp_path: Path) -> None:
    chart_tree(tmp_path, values_file(order="5", host=HOST))
    findings = run(tmp_path)
    assert [(f.rule, f.severity, f.file) for f in findings] == [
        ("alb-shadowed-path", Severity.ERROR, "backend/ingress.yaml")
    ]
    assert "monitoring/monitoring-grafana" in findings[0].message


def test_chart_values_disabled_ingress_is_ignored(tmp_path: Path) -> None:
    chart_tree(tmp_path, values_file(scheme="internal").replace("enabled: true", "enabled: false"))
    assert run(tmp_path) == []


def test_chart_values_prometheus_ingress_gets_chart_name(tmp_path: Path) -> None:
    values = textwrap.dedent(
        """\
        prometheus:
          ingress:
            enabled: true
            ingressClassName: alb
            annotations:
              alb.ingress.kubernetes.io/group.name: shared
            hosts: [prometheus.example.com]
        """
    )
    chart_tree(tmp_path, values)
    ctx = build_context(load_tree(tmp_path), Options())
    _, members = alb.collect_groups(ctx)
    [prom] = [m for m in members if m.values_key == "prometheus"]
    assert (prom.namespace, prom.name, prom.line) == (
        "monitoring",
        "monitoring-kube-prometheus-prometheus",
        2,
    )
    # without listen-ports or a certificate it listens on HTTP 80 only, which the group redirects
    findings = run(tmp_path)
    assert [(f.rule, f.severity, f.file, f.line) for f in findings] == [
        ("alb-https-listener-missing", Severity.ERROR, "observability/values.yaml", 2)
    ]
    assert "prometheus.ingress.annotations" in findings[0].message


def test_chart_values_of_another_controller_are_ignored_at_the_values_file(
    tmp_path: Path,
) -> None:
    chart_tree(tmp_path, values_file(order="5", host=HOST).replace("Name: alb", "Name: nginx"))
    findings = run(tmp_path)  # no alb-shadowed-path: grafana is not in the group
    assert [(f.rule, f.severity, f.file, f.line) for f in findings] == [
        ("alb-annotations-ignored", Severity.WARNING, "observability/values.yaml", 7)
    ]
    assert "grafana.ingress.annotations in observability/values.yaml" in findings[0].message


def test_chart_names() -> None:
    assert alb.kps_fullname("monitoring", {}) == "monitoring-kube-prometheus"
    assert alb.kps_fullname("kube-prometheus-stack", {}) == "kube-prometheus-stack"
    assert alb.kps_fullname("system", {}) == "system-kube-prometheus-sta"
    assert alb.grafana_fullname("monitoring", {}) == "monitoring-grafana"
    assert alb.grafana_fullname("grafana-prod", {}) == "grafana-prod"
    assert alb.grafana_fullname("x", {"fullnameOverride": "dash"}) == "dash"


def test_path_patterns_match_the_controller() -> None:
    assert alb.path_patterns("/", "Prefix") == {"/*"}
    assert alb.path_patterns("/api", "Prefix") == alb.path_patterns("/api/", "Prefix")
    assert alb.path_patterns("/api", "Prefix") == {"/api", "/api/*"}
    assert alb.path_patterns("/api", "Exact") == {"/api"}
    assert alb.path_patterns("/*", "ImplementationSpecific") == {"/*"}
    assert alb.path_patterns("", "ImplementationSpecific") == {"/*"}

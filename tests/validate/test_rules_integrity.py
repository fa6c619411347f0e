"""Tests for gigrouter.validate.rules.integrity: cross-references between the objects of a tree.

Every rule gets trees it must flag (with the exact rule id, severity, file, line and resource)
and correct trees it must leave alone. Trees are small YAML files written into tmp_path and read
with the real loader, so file and line numbers are the ones a user would see.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from gigrouter.validate.context import Options
from gigrouter.validate.findings import Finding, Severity
from gigrouter.validate.rules import integrity
from gigrouter.validate.rules.integrity import Requirement, parse_selector
from gigrouter.validate.runner import build_context
from gigrouter.validate.tree import load_tree

Doc = dict[str, Any]
NS = "shop"
REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "out"
ERROR, WARNING = Severity.ERROR, Severity.WARNING


# --------------------------------------------------------------------------------------------
# Building trees
# --------------------------------------------------------------------------------------------


class Repo:
    """A tree under construction: files of YAML documents, and where each document starts."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def add(self, file: str, *docs: Doc, header: str = "") -> list[int]:
        """Write ``docs`` to ``file``; the 1-based line each document starts on."""
        parts = [yaml.safe_dump(d, sort_keys=False) for d in docs]
        text = header + "---\n".join(parts)
        path = self.root / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        starts, line = [], 1 + header.count("\n")
        for part in parts:
            starts.append(line)
            line += part.count("\n") + 1  # the document and the "---" after it
        return starts

    def check(self, metadata: Doc | None = None) -> list[Finding]:
        if metadata is not None:
            (self.root / "gigrouter-metadata.yaml").write_text(
                yaml.safe_dump(metadata), encoding="utf-8"
            )
        # Unresolved references at error, as in gigrouter's trees (foreign ones default to
        # warning: tests/validate/test_tree_shapes.py).
        ctx = build_context(load_tree(self.root), Options(unresolved=Severity.ERROR))
        return list(integrity.check(ctx))


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


def where(findings: list[Finding]) -> list[tuple[str, Severity, str, int, str]]:
    """What identifies each finding, sorted: rule, severity, file, line and resource."""
    return sorted((f.rule, f.severity, f.file, f.line, str(f.resource)) for f in findings)


def rules(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)


def container(name: str = "web", ports: Any = ((8080, "http"),), **extra: Any) -> Doc:
    c: Doc = {"name": name, "image": "nginx:1.27"}
    if ports:
        c["ports"] = [
            {"containerPort": n, "name": pn} if pn else {"containerPort": n} for n, pn in ports
        ]
    c.update(extra)
    return c


def workload(
    name: str = "web",
    ns: str = NS,
    *,
    kind: str = "Deployment",
    labels: Doc | None = None,
    selector: Any = None,
    containers: list[Doc] | None = None,
    **pod: Any,
) -> Doc:
    labels = {"app": name} if labels is None else labels
    spec: Doc = {"containers": containers if containers is not None else [container(name)]}
    spec.update(pod)
    api = "batch/v1" if kind == "Job" else "apps/v1"
    body: Doc = {"template": {"metadata": {"labels": labels}, "spec": spec}}
    if kind != "Job":
        body = {"selector": {"matchLabels": dict(labels)} if selector is None else selector, **body}
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": name, "namespace": ns},
        "spec": body,
    }


def service(
    name: str = "web",
    ns: str = NS,
    *,
    selector: Doc | None = None,
    ports: list[Doc] | None = None,
    **spec: Any,
) -> Doc:
    body: Doc = {
        "ports": ports
        if ports is not None
        else [{"name": "http", "port": 80, "targetPort": "http"}]
    }
    if selector != {}:
        body["selector"] = selector if selector is not None else {"app": name}
    body.update(spec)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": body,
    }


def obj(kind: str, name: str, ns: str = NS, api: str = "v1", **fields: Any) -> Doc:
    meta: Doc = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": api, "kind": kind, "metadata": meta, **fields}


ESO = "external-secrets.io/v1beta1"


def external_secret(name: str, ns: str = NS, **spec: Any) -> Doc:
    body: Doc = {
        "secretStoreRef": {"name": "store", "kind": "SecretStore"},
        "data": [{"secretKey": "password", "remoteRef": {"key": "db"}}],
    }
    body.update(spec)
    return obj("ExternalSecret", name, ns, ESO, spec=body)


def secret_store(name: str = "store", ns: str = NS, sa: str = "eso") -> Doc:
    provider = {
        "aws": {
            "service": "SecretsManager",
            "region": "eu-north-1",
            "auth": {"jwt": {"serviceAccountRef": {"name": sa}}},
        }
    }
    return obj("SecretStore", name, ns, ESO, spec={"provider": provider})


# --------------------------------------------------------------------------------------------
# The module's contract, and the real rendered tree
# --------------------------------------------------------------------------------------------


def test_rules_are_described_and_every_finding_uses_one(repo: Repo) -> None:
    assert all(desc.strip() for desc in integrity.RULES.values())
    repo.add("a.yaml", obj("ConfigMap", "c"), obj("ConfigMap", "c"))
    env = [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k"}}}]
    repo.add("b.yaml", workload(containers=[container(env=env)]))
    found = repo.check()
    assert {f.rule for f in found} == {"duplicate-resource", "secret-ref"}
    assert all(f.rule in integrity.RULES for f in found)


def test_the_rendered_out_tree_is_clean() -> None:
    tree = load_tree(OUT)
    assert len(tree.documents) > 20  # the real tree, not an empty directory
    ctx = build_context(tree, Options())
    assert ctx.externals  # its metadata declares externals the checks rely on
    found = [f for f in integrity.check(ctx) if f.severity in (ERROR, WARNING)]
    assert found == []


def test_the_rendered_out_tree_breaks_when_an_external_is_forgotten(tmp_path: Path) -> None:
    """The clean verdict above depends on reading the externals: without them it must fail."""
    import shutil

    shutil.copytree(OUT, tmp_path / "out")
    meta_path = tmp_path / "out" / "gigrouter-metadata.yaml"
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    meta["externals"] = [e for e in meta["externals"] if e["name"] != "backend-sa"]
    meta_path.write_text(yaml.safe_dump(meta), encoding="utf-8")
    ctx = build_context(load_tree(tmp_path / "out"), Options())
    found = list(integrity.check(ctx))
    assert where(found) == [
        (
            "service-account-ref",
            ERROR,
            "backend/SecretStore.yaml",
            3,
            "SecretStore/backend/aws-secrets",
        ),
        ("service-account-ref", ERROR, "backend/deployment.yaml", 3, "Deployment/backend/backend"),
        ("service-account-ref", ERROR, "backend/job.yaml", 3, "Job/backend/django-migrate"),
    ]


# --------------------------------------------------------------------------------------------
# The label selector
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({"matchLabels": {"app": "a"}}, {"app": "a", "x": "y"}, True),
        ({"matchLabels": {"app": "a"}}, {"app": "b"}, False),
        ({"matchLabels": {"app": "a"}}, {}, False),
        (
            {"matchExpressions": [{"key": "t", "operator": "In", "values": ["1", "2"]}]},
            {"t": "2"},
            True,
        ),
        (
            {"matchExpressions": [{"key": "t", "operator": "In", "values": ["1"]}]},
            {"t": "2"},
            False,
        ),
        ({"matchExpressions": [{"key": "t", "operator": "In", "values": ["1"]}]}, {}, False),
        ({"matchExpressions": [{"key": "t", "operator": "NotIn", "values": ["1"]}]}, {}, True),
        (
            {"matchExpressions": [{"key": "t", "operator": "NotIn", "values": ["1"]}]},
            {"t": "1"},
            False,
        ),
        ({"matchExpressions": [{"key": "t", "operator": "Exists"}]}, {"t": ""}, True),
        ({"matchExpressions": [{"key": "t", "operator": "Exists"}]}, {"u": "1"}, False),
        ({"matchExpressions": [{"key": "t", "operator": "DoesNotExist"}]}, {"u": "1"}, True),
        ({"matchExpressions": [{"key": "t", "operator": "DoesNotExist"}]}, {"t": "1"}, False),
        ({"matchLabels": {"on": True}}, {"on": "true"}, True),  # YAML booleans, as strings
        ({"matchLabels": {"v": 2}}, {"v": "2"}, True),
        (
            {"matchLabels": {"app": "a"}, "matchExpressions": [{"key": "t", "operator": "Exists"}]},
            {"app": "a"},
            False,
        ),
        ({}, {"anything": "x"}, True),
    ],
)
def test_selector_matching(selector: Doc, labels: Doc, expected: bool) -> None:
    parsed = parse_selector(selector)
    assert parsed is not None
    assert parsed.matches(labels) is expected
    assert (parsed.unmet(labels) == []) is expected


@pytest.mark.parametrize(
    "selector",
    [
        "app=a",
        {"matchLabels": ["app"]},
        {"matchExpressions": [{"key": "t", "operator": "Like", "values": ["a"]}]},
        {"matchExpressions": {"key": "t"}},
    ],
)
def test_malformed_selectors_are_left_to_the_schema_rules(selector: Any) -> None:
    assert parse_selector(selector) is None


def test_plain_selectors_are_a_map() -> None:
    parsed = parse_selector({"app": "a", "tier": "web"}, plain=True)
    assert parsed is not None
    assert parsed.requirements == (
        Requirement("app", "In", frozenset({"a"})),
        Requirement("tier", "In", frozenset({"web"})),
    )
    assert parsed.matches({"app": "a", "tier": "web", "x": "y"})
    assert not parsed.matches({"app": "a"})


# --------------------------------------------------------------------------------------------
# duplicate-resource
# --------------------------------------------------------------------------------------------


def test_duplicate_resource_names_the_first_definition(repo: Repo) -> None:
    first = repo.add("a.yaml", obj("ConfigMap", "settings", data={"A": "1"}))
    dup1 = repo.add("b.yaml", obj("Secret", "other"), obj("ConfigMap", "settings"))
    dup2 = repo.add("c.yaml", obj("ConfigMap", "settings"))
    found = repo.check()
    assert where(found) == [
        ("duplicate-resource", ERROR, "b.yaml", dup1[1], "ConfigMap/shop/settings"),
        ("duplicate-resource", ERROR, "c.yaml", dup2[0], "ConfigMap/shop/settings"),
    ]
    assert all(f"a.yaml:{first[0]}" in f.message for f in found)
    assert all("remove one" in f.message for f in found)


def test_same_name_in_another_namespace_or_kind_is_not_a_duplicate(repo: Repo) -> None:
    repo.add(
        "a.yaml",
        obj("ConfigMap", "settings"),
        obj("ConfigMap", "settings", ns="other"),
        obj("Secret", "settings"),
        obj("Namespace", "settings", ns=""),
    )
    assert repo.check() == []


def test_same_kind_of_another_api_group_is_not_a_duplicate(repo: Repo) -> None:
    calico = obj("NetworkPolicy", "np", api="crd.projectcalico.org/v1", spec={"selector": "all()"})
    knative = obj("Service", "web", api="serving.knative.dev/v1", spec={"template": {}})
    repo.add("a.yaml", workload(), service(), policy({"matchLabels": {"app": "web"}}))
    repo.add("b.yaml", calico, knative)
    assert repo.check() == []


def test_duplicate_resource_also_within_one_file(repo: Repo) -> None:
    lines = repo.add("a.yaml", workload(), workload(), workload())
    found = repo.check()
    assert where(found) == [
        ("duplicate-resource", ERROR, "a.yaml", lines[1], "Deployment/shop/web"),
        ("duplicate-resource", ERROR, "a.yaml", lines[2], "Deployment/shop/web"),
    ]
    assert all(f"a.yaml:{lines[0]}" in f.message for f in found)


def test_objects_with_generate_name_are_not_duplicates(repo: Repo) -> None:
    job = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"generateName": "x-", "namespace": NS},
    }
    repo.add("a.yaml", job, job)
    assert repo.check() == []


# --------------------------------------------------------------------------------------------
# selector-mismatch
# --------------------------------------------------------------------------------------------

BAD_SELECTORS = [
    {"matchLabels": {"app": "other"}},
    {"matchLabels": {"app": "web", "tier": "front"}},
    {"matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}]},
    {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]},
    {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
    {"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]},
    {},
]
GOOD_SELECTORS = [
    {"matchLabels": {"app": "web"}},
    {"matchExpressions": [{"key": "app", "operator": "In", "values": ["api", "web"]}]},
    {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["api"]}]},
    {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
    {"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]},
]
WORKLOADS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"]


@pytest.mark.parametrize("kind", WORKLOADS)
@pytest.mark.parametrize("selector", BAD_SELECTORS)
def test_selector_mismatch(repo: Repo, kind: str, selector: Doc) -> None:
    lines = repo.add("w.yaml", obj("ConfigMap", "c"), workload(kind=kind, selector=selector))
    found = repo.check()
    assert where(found) == [("selector-mismatch", ERROR, "w.yaml", lines[1], f"{kind}/shop/web")]
    assert "spec.template.metadata.labels" in found[0].message


@pytest.mark.parametrize("kind", WORKLOADS)
@pytest.mark.parametrize("selector", GOOD_SELECTORS)
def test_selector_that_matches_is_fine(repo: Repo, kind: str, selector: Doc) -> None:
    repo.add("w.yaml", workload(kind=kind, selector=selector))
    assert repo.check() == []


def test_jobs_pick_their_own_selector(repo: Repo) -> None:
    repo.add("j.yaml", workload("migrate", kind="Job", restartPolicy="Never"))
    assert repo.check() == []


# --------------------------------------------------------------------------------------------
# service-selects-nothing
# --------------------------------------------------------------------------------------------


def test_service_that_selects_nothing(repo: Repo) -> None:
    repo.add("w.yaml", workload())
    lines = repo.add("s.yaml", service("ghost", selector={"app": "ghost"}))
    found = repo.check()
    assert where(found) == [
        ("service-selects-nothing", WARNING, "s.yaml", lines[0], "Service/shop/ghost")
    ]
    assert "app=ghost" in found[0].message


def test_service_selector_only_looks_in_its_own_namespace(repo: Repo) -> None:
    repo.add("w.yaml", workload(ns="elsewhere"))
    lines = repo.add("s.yaml", service())
    assert where(repo.check()) == [
        ("service-selects-nothing", WARNING, "s.yaml", lines[0], "Service/shop/web")
    ]


def test_service_selector_must_match_every_label(repo: Repo) -> None:
    repo.add("w.yaml", workload())
    repo.add("s.yaml", service(selector={"app": "web", "tier": "api"}))
    assert rules(repo.check()) == ["service-selects-nothing"]


@pytest.mark.parametrize(
    "svc",
    [
        service(),  # selects the Deployment
        service("manual", selector={}),  # no selector: endpoints are managed by hand
        service("ext", selector={}, type="ExternalName", externalName="db.example.com"),
        service("job", selector={"app": "migrate"}, ports=[{"port": 80, "targetPort": 8080}]),
    ],
)
def test_service_that_selects_pods_or_has_no_selector(repo: Repo, svc: Doc) -> None:
    repo.add("w.yaml", workload(), workload("migrate", kind="Job", restartPolicy="Never"))
    repo.add("s.yaml", svc)
    assert repo.check() == []


def test_service_can_select_a_bare_pod_and_a_cronjob(repo: Repo) -> None:
    pod = obj("Pod", "solo", metadata={}, spec={"containers": [container()]})
    pod["metadata"] = {"name": "solo", "namespace": NS, "labels": {"app": "solo"}}
    cron = obj(
        "CronJob",
        "tick",
        api="batch/v1",
        spec={
            "schedule": "* * * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "metadata": {"labels": {"app": "tick"}},
                        "spec": {"containers": [container()], "restartPolicy": "Never"},
                    }
                }
            },
        },
    )
    repo.add("w.yaml", pod, cron)
    repo.add("s.yaml", service("solo"), service("tick"))
    assert repo.check() == []


# --------------------------------------------------------------------------------------------
# service-target-port
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("port", "severity"),
    [
        ({"port": 80, "targetPort": "https"}, ERROR),  # no container port of that name
        ({"port": 80, "targetPort": "http", "protocol": "UDP"}, ERROR),  # the name is TCP
        ({"port": 80, "targetPort": 9090}, ERROR),  # a number nobody declares
        ({"port": 9090}, ERROR),  # the default targetPort is the port
    ],
)
def test_service_target_port_not_served(repo: Repo, port: Doc, severity: Severity) -> None:
    repo.add("w.yaml", workload())
    lines = repo.add(
        "s.yaml", service(ports=[{"name": "ok", "port": 81, "targetPort": 8080}, port])
    )
    found = repo.check()
    assert where(found) == [
        ("service-target-port", severity, "s.yaml", lines[0], "Service/shop/web")
    ]
    assert found[0].message.startswith("spec.ports[1] of Service web")


@pytest.mark.parametrize(
    "port",
    [
        {"port": 80, "targetPort": "http"},
        {"port": 80, "targetPort": 8080},
        {"port": 8080},
        {"port": 80, "targetPort": "8080"},  # a digit string is the number
        {"port": 80, "targetPort": "metrics"},  # served by a sidecar init container
    ],
)
def test_service_target_port_served(repo: Repo, port: Doc) -> None:
    sidecar = container("agent", ((9100, "metrics"),), restartPolicy="Always")
    repo.add("w.yaml", workload(initContainers=[sidecar]))
    repo.add("s.yaml", service(ports=[port]))
    assert repo.check() == []


def test_plain_init_containers_serve_no_service(repo: Repo) -> None:
    init = container("setup", ((9100, "metrics"),))
    repo.add("w.yaml", workload(initContainers=[init]))
    repo.add("s.yaml", service(ports=[{"port": 80, "targetPort": "metrics"}]))
    assert where(repo.check()) == [("service-target-port", ERROR, "s.yaml", 1, "Service/shop/web")]


def test_numeric_target_port_is_not_judged_when_pods_declare_no_ports(repo: Repo) -> None:
    repo.add("w.yaml", workload(containers=[container(ports=())]))
    repo.add("s.yaml", service(ports=[{"port": 80, "targetPort": 3000}]))
    assert repo.check() == []


def test_named_target_port_fails_when_pods_declare_no_ports(repo: Repo) -> None:
    repo.add("w.yaml", workload(containers=[container(ports=())]))
    repo.add("s.yaml", service(ports=[{"port": 80, "targetPort": "http"}]))
    assert where(repo.check()) == [("service-target-port", ERROR, "s.yaml", 1, "Service/shop/web")]


def test_target_port_is_not_judged_when_the_service_selects_nothing(repo: Repo) -> None:
    repo.add("s.yaml", service(ports=[{"port": 80, "targetPort": "nope"}]))
    assert rules(repo.check()) == ["service-selects-nothing"]


# --------------------------------------------------------------------------------------------
# probe-port
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("probe", "severity"),
    [
        ({"livenessProbe": {"httpGet": {"path": "/", "port": "healthz"}}}, ERROR),
        ({"readinessProbe": {"tcpSocket": {"port": "web"}}}, ERROR),
        ({"startupProbe": {"httpGet": {"path": "/", "port": 9000}}}, WARNING),
        ({"readinessProbe": {"tcpSocket": {"port": 8000}}}, WARNING),
        ({"livenessProbe": {"grpc": {"port": 9090}}}, WARNING),
    ],
)
def test_probe_port_not_declared(repo: Repo, probe: Doc, severity: Severity) -> None:
    lines = repo.add("w.yaml", obj("ConfigMap", "c"), workload(containers=[container(**probe)]))
    found = repo.check()
    assert where(found) == [("probe-port", severity, "w.yaml", lines[1], "Deployment/shop/web")]
    assert found[0].message.startswith("spec.template.spec.containers[0].")


@pytest.mark.parametrize(
    "probe",
    [
        {"livenessProbe": {"httpGet": {"path": "/", "port": "http"}}},
        {"readinessProbe": {"tcpSocket": {"port": 8080}}},
        {"startupProbe": {"grpc": {"port": 8080}}},
        {"readinessProbe": {"exec": {"command": ["true"]}}},
    ],
)
def test_probe_on_a_declared_port(repo: Repo, probe: Doc) -> None:
    repo.add("w.yaml", workload(containers=[container(**probe)]))
    assert repo.check() == []


def test_numeric_probe_on_a_container_without_ports_is_fine(repo: Repo) -> None:
    c = container(ports=(), readinessProbe={"tcpSocket": {"port": 6379}})
    repo.add("w.yaml", workload(containers=[c]))
    assert repo.check() == []


def test_named_probe_on_a_container_without_ports_is_an_error(repo: Repo) -> None:
    c = container(ports=(), readinessProbe={"httpGet": {"path": "/", "port": "http"}})
    repo.add("w.yaml", workload(containers=[c]))
    assert where(repo.check()) == [("probe-port", ERROR, "w.yaml", 1, "Deployment/shop/web")]


def test_probe_names_resolve_against_the_own_container_only(repo: Repo) -> None:
    main = container(
        "main", ((8080, "http"),), livenessProbe={"httpGet": {"path": "/", "port": "admin"}}
    )
    side = container("side", ((9000, "admin"),))
    repo.add("w.yaml", workload(containers=[main, side]))
    found = repo.check()
    assert where(found) == [("probe-port", ERROR, "w.yaml", 1, "Deployment/shop/web")]
    assert "containers[0].livenessProbe.httpGet.port" in found[0].message


def test_probe_in_a_cronjob_is_checked_too(repo: Repo) -> None:
    c = container(readinessProbe={"httpGet": {"path": "/", "port": "nope"}})
    cron = obj(
        "CronJob",
        "tick",
        api="batch/v1",
        spec={
            "schedule": "* * * * *",
            "jobTemplate": {
                "spec": {"template": {"spec": {"containers": [c], "restartPolicy": "Never"}}}
            },
        },
    )
    repo.add("c.yaml", cron)
    found = repo.check()
    assert where(found) == [("probe-port", ERROR, "c.yaml", 1, "CronJob/shop/tick")]
    assert found[0].message.startswith("spec.jobTemplate.spec.template.spec.containers[0]")


# --------------------------------------------------------------------------------------------
# ingress-backend
# --------------------------------------------------------------------------------------------


def ingress(
    *ports: Doc, service_name: str = "web", default: Doc | None = None, ns: str = NS
) -> Doc:
    paths = [
        {
            "path": f"/{i}",
            "pathType": "Prefix",
            "backend": {"service": {"name": service_name, "port": p}},
        }
        for i, p in enumerate(ports)
    ]
    spec: Doc = {
        "ingressClassName": "alb",
        "rules": [{"host": "a.example.com", "http": {"paths": paths}}],
    }
    if default is not None:
        spec["defaultBackend"] = {"service": default}
    return obj("Ingress", "edge", ns, "networking.k8s.io/v1", spec=spec)


@pytest.mark.parametrize(
    ("ing", "fragment"),
    [
        (ingress({"number": 80}, service_name="nope"), "Service nope"),
        (ingress({"number": 8080}), "port 8080"),  # the container port, not the Service's
        (ingress({"name": "https"}), 'port named "https"'),
        (ingress(default={"name": "gone", "port": {"number": 80}}), "spec.defaultBackend.service"),
        (ingress({"number": 80}, ns="other"), "Service web"),  # the Service is in another namespace
    ],
)
def test_ingress_backend_broken(repo: Repo, ing: Doc, fragment: str) -> None:
    repo.add("w.yaml", workload(), service())
    lines = repo.add("i.yaml", ing)
    found = repo.check()
    ns = ing["metadata"]["namespace"]
    assert where(found) == [("ingress-backend", ERROR, "i.yaml", lines[0], f"Ingress/{ns}/edge")]
    assert fragment in found[0].message


@pytest.mark.parametrize(
    "ing",
    [
        ingress({"number": 80}, {"name": "http"}),
        ingress(default={"name": "web", "port": {"name": "http"}}),
        ingress({"number": 9090}, service_name="prometheus"),  # external with ports
        ingress({"name": "web"}, service_name="prometheus"),  # names are not declared for externals
        ingress({"number": 1234}, service_name="grafana"),  # external without ports
    ],
)
def test_ingress_backend_fine(repo: Repo, ing: Doc) -> None:
    repo.add("w.yaml", workload(), service())
    repo.add("i.yaml", ing)
    meta = {
        "externals": [
            {"kind": "Service", "namespace": NS, "name": "prometheus", "ports": [9090]},
            {"kind": "Service", "namespace": NS, "name": "grafana"},
        ]
    }
    assert repo.check(meta) == []


def test_ingress_backend_port_of_an_external_service(repo: Repo) -> None:
    repo.add("i.yaml", ingress({"number": 9091}, service_name="prometheus"))
    meta = {
        "externals": [{"kind": "Service", "namespace": NS, "name": "prometheus", "ports": [9090]}]
    }
    found = repo.check(meta)
    assert where(found) == [("ingress-backend", ERROR, "i.yaml", 1, "Ingress/shop/edge")]
    assert "9090" in found[0].message


def test_missing_backend_service_points_at_a_chart_deploying_there(repo: Repo) -> None:
    chart_app = argo_app("monitoring", NS)
    chart_app["spec"]["source"] = {
        "repoURL": "https://prometheus-community.github.io/helm-charts",
        "chart": "kube-prometheus-stack",
        "targetRevision": "58.5.0",
    }
    repo.add("argocd/monitoring.yaml", chart_app)
    lines = repo.add("i.yaml", ingress({"number": 80}, service_name="grafana"))
    found = repo.check()
    assert where(found) == [("ingress-backend", ERROR, "i.yaml", lines[0], "Ingress/shop/edge")]
    assert "Helm chart of monitoring" in found[0].message


def test_external_service_in_another_namespace_does_not_count(repo: Repo) -> None:
    repo.add("i.yaml", ingress({"number": 9090}, service_name="prometheus"))
    meta = {"externals": [{"kind": "Service", "namespace": "monitoring", "name": "prometheus"}]}
    assert rules(repo.check(meta)) == ["ingress-backend"]


# --------------------------------------------------------------------------------------------
# configmap-ref
# --------------------------------------------------------------------------------------------


def env_from_cm(name: str, key: str, optional: bool = False) -> Doc:
    ref: Doc = {"name": name, "key": key}
    if optional:
        ref["optional"] = True
    return {"name": "V", "valueFrom": {"configMapKeyRef": ref}}


CM_BROKEN_PODS: list[tuple[str, Doc]] = [
    (
        "containers[0].env[0].valueFrom.configMapKeyRef",
        {"containers": [container(env=[env_from_cm("missing", "A")])]},
    ),
    (
        "containers[0].env[0].valueFrom.configMapKeyRef",
        {"containers": [container(env=[env_from_cm("settings", "NOPE")])]},
    ),
    (
        "containers[0].envFrom[0].configMapRef",
        {"containers": [container(envFrom=[{"configMapRef": {"name": "missing"}}])]},
    ),
    ("volumes[0].configMap", {"volumes": [{"name": "v", "configMap": {"name": "missing"}}]}),
    (
        "volumes[0].configMap",
        {
            "volumes": [
                {
                    "name": "v",
                    "configMap": {"name": "settings", "items": [{"key": "NOPE", "path": "p"}]},
                }
            ]
        },
    ),
    (
        "volumes[0].projected.sources[1].configMap",
        {
            "volumes": [
                {
                    "name": "v",
                    "projected": {
                        "sources": [
                            {"configMap": {"name": "settings"}},
                            {"configMap": {"name": "missing"}},
                        ]
                    },
                }
            ]
        },
    ),
    (
        "initContainers[0].envFrom[0].configMapRef",
        {"initContainers": [container("init", envFrom=[{"configMapRef": {"name": "missing"}}])]},
    ),
    (
        "volumes[0].configMap",
        {
            "volumes": [
                {
                    "name": "v",
                    "configMap": {"name": "remote", "items": [{"key": "NOPE", "path": "p"}]},
                }
            ]
        },
    ),
]
CM_GOOD_PODS: list[Doc] = [
    {"containers": [container(env=[env_from_cm("settings", "A"), env_from_cm("settings", "BIN")])]},
    {"containers": [container(env=[env_from_cm("missing", "A", optional=True)])]},
    {"containers": [container(envFrom=[{"configMapRef": {"name": "missing", "optional": True}}])]},
    {"containers": [container(envFrom=[{"configMapRef": {"name": "settings"}}])]},
    {
        "volumes": [
            {"name": "v", "configMap": {"name": "settings", "items": [{"key": "A", "path": "a"}]}}
        ]
    },
    {"volumes": [{"name": "v", "configMap": {"name": "missing", "optional": True}}]},
    {
        "volumes": [
            {"name": "v", "configMap": {"name": "remote", "items": [{"key": "K", "path": "k"}]}}
        ]
    },
    {
        "volumes": [
            {
                "name": "v",
                "configMap": {"name": "anything", "items": [{"key": "whatever", "path": "k"}]},
            }
        ]
    },
    {
        "volumes": [
            {
                "name": "v",
                "projected": {
                    "sources": [
                        {
                            "configMap": {
                                "name": "kube-root-ca.crt",
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            }
                        }
                    ]
                },
            }
        ]
    },
]
CM_EXTERNALS = {
    "externals": [
        {"kind": "ConfigMap", "namespace": NS, "name": "remote", "keys": ["K"]},
        {"kind": "ConfigMap", "namespace": NS, "name": "anything"},
    ]
}


def pod_with(parts: Doc) -> Doc:
    parts = copy.deepcopy(parts)
    containers = parts.pop("containers", [container()])
    return workload(containers=containers, **parts)


@pytest.mark.parametrize(("field", "pod"), CM_BROKEN_PODS)
def test_configmap_ref_broken(repo: Repo, field: str, pod: Doc) -> None:
    repo.add("cm.yaml", obj("ConfigMap", "settings", data={"A": "1"}, binaryData={"BIN": "AA=="}))
    lines = repo.add("w.yaml", pod_with(pod))
    found = repo.check(CM_EXTERNALS)
    assert where(found) == [("configmap-ref", ERROR, "w.yaml", lines[0], "Deployment/shop/web")]
    assert found[0].message.startswith(f"spec.template.spec.{field} ")


@pytest.mark.parametrize("pod", CM_GOOD_PODS)
def test_configmap_ref_fine(repo: Repo, pod: Doc) -> None:
    repo.add("cm.yaml", obj("ConfigMap", "settings", data={"A": "1"}, binaryData={"BIN": "AA=="}))
    repo.add("w.yaml", pod_with(pod))
    assert repo.check(CM_EXTERNALS) == []


def test_configmap_of_another_namespace_does_not_count(repo: Repo) -> None:
    repo.add("cm.yaml", obj("ConfigMap", "settings", ns="other", data={"A": "1"}))
    repo.add("w.yaml", pod_with({"containers": [container(env=[env_from_cm("settings", "A")])]}))
    found = repo.check()
    assert rules(found) == ["configmap-ref"]
    assert "namespace shop" in found[0].message


# --------------------------------------------------------------------------------------------
# secret-ref
# --------------------------------------------------------------------------------------------


def env_from_secret(name: str, key: str, optional: bool = False) -> Doc:
    ref: Doc = {"name": name, "key": key}
    if optional:
        ref["optional"] = True
    return {"name": "V", "valueFrom": {"secretKeyRef": ref}}


SECRET_SOURCES: list[Doc] = [
    obj("Secret", "plain", data={"A": "MQ=="}, stringData={"B": "2"}),
    external_secret("es-default-name"),  # the Secret is named after the ExternalSecret
    external_secret("es", target={"name": "es-target"}),
    external_secret("es-all", dataFrom=[{"extract": {"key": "db"}}]),
    external_secret("es-merge", target={"name": "merged", "creationPolicy": "Merge"}),
    external_secret(
        "es-tpl",
        target={"template": {"data": {"url": "postgres://{{ .password }}@db"}}},
    ),
    obj("Secret", "tok", type="kubernetes.io/service-account-token"),
    obj(
        "Certificate",
        "cert",
        api="cert-manager.io/v1",
        spec={"secretName": "tls", "issuerRef": {"name": "ca"}, "dnsNames": ["a"]},
    ),
    obj("SealedSecret", "sealed", api="bitnami.com/v1alpha1", spec={"encryptedData": {"S": "AgB"}}),
    secret_store(),
    obj("ServiceAccount", "eso"),
]
SECRET_EXTERNALS = {
    "externals": [
        {"kind": "Secret", "namespace": NS, "name": "remote", "keys": ["K"]},
        {"kind": "Secret", "namespace": NS, "name": "opaque"},
    ]
}
SECRET_BROKEN: list[tuple[str, Doc, str]] = [
    (
        "containers[0].env[0].valueFrom.secretKeyRef",
        {"containers": [container(env=[env_from_secret("missing", "A")])]},
        "nothing creates",
    ),
    (
        "containers[0].env[0].valueFrom.secretKeyRef",
        {"containers": [container(env=[env_from_secret("plain", "C")])]},
        "key C",
    ),
    (
        "containers[0].env[0].valueFrom.secretKeyRef",
        {"containers": [container(env=[env_from_secret("es-target", "user")])]},
        "key user",
    ),
    (
        "containers[0].env[0].valueFrom.secretKeyRef",
        {"containers": [container(env=[env_from_secret("es", "password")])]},
        "nothing creates",
    ),
    (
        "containers[0].env[0].valueFrom.secretKeyRef",
        {"containers": [container(env=[env_from_secret("remote", "X")])]},
        "key X",
    ),
    (
        "containers[0].env[0].valueFrom.secretKeyRef",
        {"containers": [container(env=[env_from_secret("es-tpl", "password")])]},
        "key password",
    ),
    (
        "containers[0].envFrom[0].secretRef",
        {"containers": [container(envFrom=[{"secretRef": {"name": "merged"}}])]},
        "only merges",
    ),
    (
        "volumes[0].secret",
        {"volumes": [{"name": "v", "secret": {"secretName": "missing"}}]},
        "nothing creates",
    ),
    (
        "volumes[0].secret",
        {
            "volumes": [
                {
                    "name": "v",
                    "secret": {"secretName": "tls", "items": [{"key": "tls.pem", "path": "p"}]},
                }
            ]
        },
        "key tls.pem",
    ),
    (
        "volumes[0].projected.sources[0].secret",
        {"volumes": [{"name": "v", "projected": {"sources": [{"secret": {"name": "missing"}}]}}]},
        "nothing creates",
    ),
    ("imagePullSecrets[0]", {"imagePullSecrets": [{"name": "registry"}]}, "nothing creates"),
]
SECRET_GOOD: list[Doc] = [
    {"containers": [container(env=[env_from_secret("plain", "A"), env_from_secret("plain", "B")])]},
    {"containers": [container(env=[env_from_secret("es-default-name", "password")])]},
    {"containers": [container(env=[env_from_secret("es-target", "password")])]},
    {"containers": [container(env=[env_from_secret("es-all", "anything")])]},
    {"containers": [container(env=[env_from_secret("es-tpl", "url")])]},
    {"containers": [container(env=[env_from_secret("missing", "A", optional=True)])]},
    {"containers": [container(envFrom=[{"secretRef": {"name": "missing", "optional": True}}])]},
    {
        "containers": [
            container(env=[env_from_secret("remote", "K"), env_from_secret("opaque", "any")])
        ]
    },
    {
        "containers": [
            container(env=[env_from_secret("tok", "token"), env_from_secret("sealed", "S")])
        ]
    },
    {
        "volumes": [
            {
                "name": "v",
                "secret": {"secretName": "tls", "items": [{"key": "tls.crt", "path": "c"}]},
            }
        ]
    },
    {"volumes": [{"name": "v", "secret": {"secretName": "missing", "optional": True}}]},
    {"imagePullSecrets": [{"name": "opaque"}]},
]


@pytest.mark.parametrize(("field", "pod", "fragment"), SECRET_BROKEN)
def test_secret_ref_broken(repo: Repo, field: str, pod: Doc, fragment: str) -> None:
    repo.add("sources.yaml", *SECRET_SOURCES)
    lines = repo.add("w.yaml", pod_with(pod), header="# a comment first\n")
    found = repo.check(SECRET_EXTERNALS)
    assert where(found) == [("secret-ref", ERROR, "w.yaml", lines[0], "Deployment/shop/web")]
    assert lines[0] == 2
    assert found[0].message.startswith(f"spec.template.spec.{field} ")
    assert fragment in found[0].message


@pytest.mark.parametrize("pod", SECRET_GOOD)
def test_secret_ref_fine(repo: Repo, pod: Doc) -> None:
    repo.add("sources.yaml", *SECRET_SOURCES)
    repo.add("w.yaml", pod_with(pod))
    assert repo.check(SECRET_EXTERNALS) == []


def test_merge_external_secret_adds_keys_to_a_secret_made_elsewhere(repo: Repo) -> None:
    repo.add(
        "s.yaml",
        obj("Secret", "db", data={"user": "dQ=="}),
        external_secret("db-pass", target={"name": "db", "creationPolicy": "Merge"}),
        secret_store(),
        obj("ServiceAccount", "eso"),
    )
    env = [env_from_secret("db", "user"), env_from_secret("db", "password")]
    repo.add("w.yaml", pod_with({"containers": [container(env=env)]}))
    assert repo.check() == []


def test_cluster_external_secret_creates_secrets_in_its_namespaces(repo: Repo) -> None:
    ces = obj(
        "ClusterExternalSecret",
        "shared",
        ns="",
        api=ESO,
        spec={
            "namespaces": [NS],
            "externalSecretSpec": {
                "secretStoreRef": {"name": "cluster", "kind": "ClusterSecretStore"},
                "target": {"name": "shared-creds"},
                "data": [{"secretKey": "token", "remoteRef": {"key": "t"}}],
            },
        },
    )
    repo.add("s.yaml", ces)
    repo.add(
        "w.yaml",
        pod_with({"containers": [container(env=[env_from_secret("shared-creds", "token")])]}),
    )
    repo.add(
        "x.yaml",
        workload(
            "x", ns="other", containers=[container(env=[env_from_secret("shared-creds", "token")])]
        ),
    )
    assert where(repo.check()) == [("secret-ref", ERROR, "x.yaml", 1, "Deployment/other/x")]


# --------------------------------------------------------------------------------------------
# service-account-ref
# --------------------------------------------------------------------------------------------


def test_pod_service_account_missing(repo: Repo) -> None:
    lines = repo.add("w.yaml", obj("ConfigMap", "c"), workload(serviceAccountName="runner"))
    found = repo.check()
    assert where(found) == [
        ("service-account-ref", ERROR, "w.yaml", lines[1], "Deployment/shop/web")
    ]
    assert found[0].message.startswith("spec.template.spec.serviceAccountName is runner")


def test_pod_service_account_of_another_namespace_does_not_count(repo: Repo) -> None:
    repo.add("sa.yaml", obj("ServiceAccount", "runner", ns="other"))
    repo.add("w.yaml", workload(serviceAccountName="runner"))
    assert rules(repo.check()) == ["service-account-ref"]


def test_deprecated_service_account_field_is_checked(repo: Repo) -> None:
    repo.add("w.yaml", workload(serviceAccount="runner"))
    found = repo.check()
    assert rules(found) == ["service-account-ref"]
    assert found[0].message.startswith("spec.template.spec.serviceAccount is runner")


@pytest.mark.parametrize("account", ["default", "in-tree", "declared"])
def test_pod_service_account_fine(repo: Repo, account: str) -> None:
    repo.add("sa.yaml", obj("ServiceAccount", "in-tree"))
    repo.add("w.yaml", workload(serviceAccountName=account))
    meta = {"externals": [{"kind": "ServiceAccount", "namespace": NS, "name": "declared"}]}
    assert repo.check(meta) == []


def test_secret_store_service_account_missing(repo: Repo) -> None:
    lines = repo.add("store.yaml", secret_store(sa="irsa"))
    found = repo.check()
    assert where(found) == [
        ("service-account-ref", ERROR, "store.yaml", lines[0], "SecretStore/shop/store")
    ]
    assert found[0].message.startswith("spec.provider.aws.auth.jwt.serviceAccountRef names")


def test_cluster_secret_store_service_account(repo: Repo) -> None:
    def store(name: str, ref: Doc) -> Doc:
        auth = {"kubernetes": {"serviceAccountRef": ref}}
        provider = {"vault": {"server": "https://vault", "auth": auth}}
        return obj("ClusterSecretStore", name, ns="", api=ESO, spec={"provider": provider})

    repo.add(
        "store.yaml",
        store("a", {"name": "vault", "namespace": "vault"}),  # missing
        store("b", {"name": "vault", "namespace": NS}),  # exists
        store("c", {"name": "vault"}),  # resolved in each ExternalSecret's namespace: not judged
    )
    repo.add("sa.yaml", obj("ServiceAccount", "vault"))
    assert where(repo.check()) == [
        ("service-account-ref", ERROR, "store.yaml", 1, "ClusterSecretStore/a")
    ]


def test_secret_store_service_account_fine(repo: Repo) -> None:
    repo.add("store.yaml", secret_store(sa="irsa"), secret_store("other", sa="declared"))
    repo.add("sa.yaml", obj("ServiceAccount", "irsa"))
    meta = {"externals": [{"kind": "ServiceAccount", "namespace": NS, "name": "declared"}]}
    assert repo.check(meta) == []


# --------------------------------------------------------------------------------------------
# secret-store-ref
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "fragment"),
    [
        ({"name": "nope"}, "SecretStore nope"),
        ({"name": "nope", "kind": "SecretStore"}, "namespace shop"),
        ({"name": "global", "kind": "SecretStore"}, "kind: ClusterSecretStore"),  # wrong kind
        ({"name": "store", "kind": "ClusterSecretStore"}, "kind: SecretStore"),
        ({"name": "elsewhere", "kind": "SecretStore"}, "SecretStore elsewhere"),
    ],
)
def test_secret_store_ref_missing(repo: Repo, ref: Doc, fragment: str) -> None:
    repo.add(
        "stores.yaml",
        secret_store(),
        secret_store("elsewhere", ns="other"),
        obj(
            "ClusterSecretStore",
            "global",
            ns="",
            api=ESO,
            spec={"provider": {"fake": {"data": []}}},
        ),
        obj("ServiceAccount", "eso"),
        obj("ServiceAccount", "eso", ns="other"),
    )
    lines = repo.add("es.yaml", external_secret("creds", secretStoreRef=ref))
    repo.add(
        "w.yaml", pod_with({"containers": [container(env=[env_from_secret("creds", "password")])]})
    )
    found = repo.check()
    assert where(found) == [
        ("secret-store-ref", ERROR, "es.yaml", lines[0], "ExternalSecret/shop/creds")
    ]
    assert fragment in found[0].message


@pytest.mark.parametrize(
    "ref",
    [
        {"name": "store"},
        {"name": "store", "kind": "SecretStore"},
        {"name": "global", "kind": "ClusterSecretStore"},
        {"name": "declared", "kind": "ClusterSecretStore"},
    ],
)
def test_secret_store_ref_fine(repo: Repo, ref: Doc) -> None:
    repo.add(
        "stores.yaml",
        secret_store(),
        obj(
            "ClusterSecretStore",
            "global",
            ns="",
            api=ESO,
            spec={"provider": {"fake": {"data": []}}},
        ),
        obj("ServiceAccount", "eso"),
    )
    repo.add("es.yaml", external_secret("creds", secretStoreRef=ref))
    meta = {"externals": [{"kind": "ClusterSecretStore", "name": "declared"}]}
    assert repo.check(meta) == []


def test_per_item_store_refs_are_checked(repo: Repo) -> None:
    data = [
        {"secretKey": "k", "remoteRef": {"key": "x"}, "sourceRef": {"storeRef": {"name": "gone"}}}
    ]
    repo.add("stores.yaml", secret_store(), obj("ServiceAccount", "eso"))
    repo.add("es.yaml", external_secret("creds", data=data))
    found = repo.check()
    assert where(found) == [("secret-store-ref", ERROR, "es.yaml", 1, "ExternalSecret/shop/creds")]
    assert found[0].message.startswith("spec.data[0].sourceRef.storeRef names SecretStore gone")


# --------------------------------------------------------------------------------------------
# networkpolicy-selects-nothing, networkpolicy-namespace-label, networkpolicy-namespace-unknown
# --------------------------------------------------------------------------------------------


def policy(
    pod_selector: Doc | None = None, *namespace_selectors: Doc, egress: Doc | None = None
) -> Doc:
    spec: Doc = {
        "podSelector": pod_selector if pod_selector is not None else {},
        "policyTypes": ["Ingress"],
    }
    if namespace_selectors:
        spec["ingress"] = [{"from": [{"namespaceSelector": s} for s in namespace_selectors]}]
    if egress is not None:
        spec["policyTypes"].append("Egress")
        spec["egress"] = [{"to": [{"namespaceSelector": egress}]}]
    return obj("NetworkPolicy", "np", api="networking.k8s.io/v1", spec=spec)


@pytest.mark.parametrize(
    "selector",
    [
        {"matchLabels": {"app": "ghost"}},
        {"matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}]},
        {"matchLabels": {"app": "web", "tier": "x"}},
    ],
)
def test_networkpolicy_selects_nothing(repo: Repo, selector: Doc) -> None:
    repo.add("w.yaml", workload(), workload("other", ns="other"))
    lines = repo.add("np.yaml", obj("ConfigMap", "c"), policy(selector))
    found = repo.check()
    assert where(found) == [
        ("networkpolicy-selects-nothing", WARNING, "np.yaml", lines[1], "NetworkPolicy/shop/np")
    ]


@pytest.mark.parametrize(
    "selector",
    [
        {},  # every pod of the namespace
        {"matchLabels": {"app": "web"}},
        {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
    ],
)
def test_networkpolicy_selects_pods(repo: Repo, selector: Doc) -> None:
    repo.add("w.yaml", workload())
    repo.add("np.yaml", policy(selector))
    assert repo.check() == []


def test_networkpolicy_pod_selector_only_looks_in_its_namespace(repo: Repo) -> None:
    repo.add("w.yaml", workload("web", ns="other"))
    repo.add("np.yaml", policy({"matchLabels": {"app": "web"}}))
    assert rules(repo.check()) == ["networkpolicy-selects-nothing"]


@pytest.mark.parametrize(
    ("selector", "egress"),
    [
        ({"matchLabels": {"team": "payments"}}, None),
        ({"matchLabels": {"team": "platform"}}, None),  # the key exists, the value does not
        (None, {"matchExpressions": [{"key": "zone", "operator": "Exists"}]}),
        ({"matchExpressions": [{"key": "team", "operator": "In", "values": ["x", "y"]}]}, None),
    ],
)
def test_networkpolicy_namespace_label_nobody_carries(
    repo: Repo, selector: Doc | None, egress: Doc | None
) -> None:
    repo.add("w.yaml", workload())
    repo.add(
        "ns.yaml", obj("Namespace", NS, ns="", metadata={"name": NS, "labels": {"team": "web"}})
    )
    lines = repo.add("np.yaml", policy({}, *([selector] if selector else []), egress=egress))
    found = repo.check()
    assert where(found) == [
        ("networkpolicy-namespace-label", ERROR, "np.yaml", lines[0], "NetworkPolicy/shop/np")
    ]
    expected_field = "spec.egress[0].to[0]" if egress else "spec.ingress[0].from[0]"
    assert found[0].message.startswith(f"{expected_field}.namespaceSelector requires label")


def argo_app(name: str, ns: str, labels: Doc | None = None) -> Doc:
    spec: Doc = {
        "project": "default",
        "source": {"repoURL": "https://example.com/repo", "path": name, "targetRevision": "main"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": ns},
    }
    if labels:
        spec["syncPolicy"] = {
            "syncOptions": ["CreateNamespace=true"],
            "managedNamespaceMetadata": {"labels": labels},
        }
    return obj("Application", name, ns="argocd", api="argoproj.io/v1alpha1", spec=spec)


@pytest.mark.parametrize(
    "selector",
    [
        {"matchLabels": {"team": "web"}},  # set by the Namespace manifest
        {"matchLabels": {"zone": "eu"}},  # set by Argo CD's managedNamespaceMetadata
        {"matchExpressions": [{"key": "team", "operator": "In", "values": ["x", "web"]}]},
        {"matchExpressions": [{"key": "zone", "operator": "Exists"}]},
        {"matchExpressions": [{"key": "nobody", "operator": "DoesNotExist"}]},
        {"matchExpressions": [{"key": "nobody", "operator": "NotIn", "values": ["a"]}]},
        {"matchLabels": {"kubernetes.io/metadata.name": "shop"}},  # a namespace of a resource
        {"matchLabels": {"kubernetes.io/metadata.name": "empty"}},  # a Namespace manifest
        {"matchLabels": {"kubernetes.io/metadata.name": "payments"}},  # an Application destination
        {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},  # every cluster has it
        {"matchLabels": {"kubernetes.io/metadata.name": "vault"}},  # an external's namespace
        {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "Exists"}]},
        {},  # every namespace
    ],
)
def test_networkpolicy_namespace_selector_fine(repo: Repo, selector: Doc) -> None:
    repo.add("w.yaml", workload())
    repo.add(
        "ns.yaml",
        obj("Namespace", NS, ns="", metadata={"name": NS, "labels": {"team": "web"}}),
        obj("Namespace", "empty", ns=""),
    )
    repo.add("argocd/payments.yaml", argo_app("payments", "payments", {"zone": "eu"}))
    repo.add("np.yaml", policy({}, selector))
    meta = {"externals": [{"kind": "Secret", "namespace": "vault", "name": "token"}]}
    assert repo.check(meta) == []


@pytest.mark.parametrize(
    "selector",
    [
        {"matchLabels": {"kubernetes.io/metadata.name": "bakend"}},
        {
            "matchExpressions": [
                {
                    "key": "kubernetes.io/metadata.name",
                    "operator": "In",
                    "values": ["shop", "bakend"],
                }
            ]
        },
    ],
)
def test_networkpolicy_namespace_unknown(repo: Repo, selector: Doc) -> None:
    repo.add("w.yaml", workload())
    lines = repo.add("np.yaml", policy({}, selector))
    found = repo.check()
    assert where(found) == [
        ("networkpolicy-namespace-unknown", WARNING, "np.yaml", lines[0], "NetworkPolicy/shop/np")
    ]
    assert "bakend" in found[0].message


# --------------------------------------------------------------------------------------------
# Scale: lookups go through the index, not over the whole tree per reference
# --------------------------------------------------------------------------------------------


def test_many_namespaces_stay_fast(repo: Repo) -> None:
    import time

    docs: list[Doc] = []
    for i in range(300):
        ns = f"ns{i}"
        docs += [
            workload(ns=ns, containers=[container(envFrom=[{"configMapRef": {"name": "c"}}])]),
            service(ns=ns),
            obj("ConfigMap", "c", ns=ns, data={"A": "1"}),
            policy(
                {"matchLabels": {"app": "web"}},
                {"matchLabels": {"kubernetes.io/metadata.name": "ns0"}},
            )
            | {"metadata": {"name": "np", "namespace": ns}},
        ]
    repo.add("all.yaml", *docs)
    ctx = build_context(load_tree(repo.root), Options())
    start = time.perf_counter()
    found = list(integrity.check(ctx))
    elapsed = time.perf_counter() - start
    assert found == []
    assert elapsed < 2.0


def test_cluster_external_secret_with_a_namespace_selector_may_reach_any_namespace(
    repo: Repo,
) -> None:
    ces = obj(
        "ClusterExternalSecret",
        "shared",
        ns="",
        api=ESO,
        spec={
            "namespaceSelector": {"matchLabels": {"creds": "yes"}},
            "externalSecretSpec": {
                "secretStoreRef": {"name": "cluster", "kind": "ClusterSecretStore"},
                "data": [{"secretKey": "token", "remoteRef": {"key": "t"}}],
            },
        },
    )
    repo.add("s.yaml", ces)
    env = [env_from_secret("shared", "token"), env_from_secret("shared", "other")]
    lines = repo.add("w.yaml", workload("x", ns="any", containers=[container(env=env)]))
    found = repo.check()
    # The Secret is named after the ClusterExternalSecret; its keys are still known.
    assert where(found) == [("secret-ref", ERROR, "w.yaml", lines[0], "Deployment/any/x")]
    assert "key other" in found[0].message

"""Security and practice rules for pod templates and Secrets (gigrouter.validate.rules.security)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from gigrouter.validate.context import Options
from gigrouter.validate.findings import Finding, Severity
from gigrouter.validate.rules import security
from gigrouter.validate.runner import build_context
from gigrouter.validate.tree import load_tree

OUT = Path(__file__).resolve().parents[2] / "out"


def container(name: str = "app", **changes: Any) -> dict[str, Any]:
    """A container that passes every rule; ``changes`` replace (or, as None, delete) fields."""
    base: dict[str, Any] = {
        "name": name,
        "image": "registry.example.com/team/app:1.4.2",
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": "256Mi"},
        },
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
    }
    for key, value in changes.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def workload(kind: str = "Deployment", pod: dict[str, Any] | None = None) -> dict[str, Any]:
    pod_spec = pod if pod is not None else {"containers": [container()]}
    template = {"metadata": {"labels": {"app": "app"}}, "spec": pod_spec}
    api = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
    spec: dict[str, Any]
    if kind == "CronJob":
        spec = {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template}}}
    elif kind == "Job":
        spec = {"template": template}
    else:
        spec = {"selector": {"matchLabels": {"app": "app"}}, "template": template}
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": "app", "namespace": "shop"},
        "spec": spec,
    }


def write(root: Path, rel: str, *docs: dict[str, Any]) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")


def run(root: Path) -> list[Finding]:
    return list(security.check(build_context(load_tree(root), Options())))


def summary(findings: list[Finding]) -> list[tuple[str, Severity, str]]:
    return [(f.rule, f.severity, f.file) for f in findings]


def test_rules_documented() -> None:
    assert set(security.RULES) == {
        "secret-in-git",
        "image-tag",
        "resources-missing",
        "readiness-probe-missing",
        "privileged",
        "hostpath-writable",
    }


def test_rendered_out_tree_is_clean() -> None:
    ctx = build_context(load_tree(OUT), Options())
    assert ctx.index.pod_templates, "out/ should contain workloads"
    assert [f for f in security.check(ctx) if f.severity is not Severity.INFO] == []


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"])
def test_good_workloads_are_clean(tmp_path: Path, kind: str) -> None:
    write(tmp_path, "app/workload.yaml", workload(kind))
    assert run(tmp_path) == []


# --------------------------------------------------------------------------- secret-in-git


@pytest.mark.parametrize("field", ["data", "stringData"])
def test_secret_with_values(tmp_path: Path, field: str) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        field: {"password": "aHVudGVyMg=="},
    }
    write(tmp_path, "app/secret.yaml", secret)
    findings = run(tmp_path)
    assert summary(findings) == [("secret-in-git", Severity.ERROR, "app/secret.yaml")]
    assert "password" in findings[0].message and "ExternalSecret" in findings[0].message


def test_secret_without_values_and_external_secret_are_fine(tmp_path: Path) -> None:
    empty = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "token", "namespace": "shop"},
        "type": "kubernetes.io/service-account-token",
        "data": {},
    }
    external = {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": "ExternalSecret",
        "metadata": {"name": "db", "namespace": "shop"},
        "spec": {"data": [{"secretKey": "password", "remoteRef": {"key": "db"}}]},
    }
    write(tmp_path, "app/secret.yaml", empty, external)
    assert run(tmp_path) == []


# --------------------------------------------------------------------------- image-tag


@pytest.mark.parametrize(
    "image",
    ["nginx", "nginx:latest", "registry.example.com:5000/team/app", "ghcr.io/org/app:latest"],
)
def test_unpinned_images(tmp_path: Path, image: str) -> None:
    write(tmp_path, "app/deploy.yaml", workload(pod={"containers": [container(image=image)]}))
    findings = run(tmp_path)
    assert summary(findings) == [("image-tag", Severity.WARNING, "app/deploy.yaml")]
    assert repr(image) in findings[0].message


@pytest.mark.parametrize(
    "image",
    [
        "nginx:1.25",
        "registry.example.com:5000/team/app:2.0",
        "nginx@sha256:" + "a" * 64,
        "nginx:latest@sha256:" + "b" * 64,
    ],
)
def test_pinned_images(tmp_path: Path, image: str) -> None:
    write(tmp_path, "app/deploy.yaml", workload(pod={"containers": [container(image=image)]}))
    assert run(tmp_path) == []


# --------------------------------------------------------------------------- resources-missing


def test_resources_missing_lists_what_is_missing(tmp_path: Path) -> None:
    pod = {"containers": [container(resources=None)]}
    write(tmp_path, "app/deploy.yaml", workload(pod=pod))
    findings = run(tmp_path)
    assert summary(findings) == [("resources-missing", Severity.WARNING, "app/deploy.yaml")]
    assert "requests.cpu, requests.memory, limits.memory" in findings[0].message


def test_resources_missing_memory_limit_only(tmp_path: Path) -> None:
    resources = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1"}}
    write(
        tmp_path, "app/deploy.yaml", workload(pod={"containers": [container(resources=resources)]})
    )
    findings = run(tmp_path)
    assert summary(findings) == [("resources-missing", Severity.WARNING, "app/deploy.yaml")]
    assert "sets no limits.memory;" in findings[0].message


def test_resources_missing_in_init_container(tmp_path: Path) -> None:
    init = container("migrate", resources=None, readinessProbe=None)
    pod = {"initContainers": [init], "containers": [container()]}
    write(tmp_path, "app/deploy.yaml", workload(pod=pod))
    findings = run(tmp_path)
    assert summary(findings) == [("resources-missing", Severity.WARNING, "app/deploy.yaml")]
    assert "initContainers[0]" in findings[0].message and "'migrate'" in findings[0].message


def test_requests_defaulted_from_limits_count(tmp_path: Path) -> None:
    resources = {"limits": {"cpu": "500m", "memory": "256Mi"}}
    write(
        tmp_path, "app/deploy.yaml", workload(pod={"containers": [container(resources=resources)]})
    )
    assert run(tmp_path) == []


# --------------------------------------------------------------------------- readiness probes


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "DaemonSet"])
def test_readiness_probe_missing(tmp_path: Path, kind: str) -> None:
    pod = {"containers": [container(readinessProbe=None)]}
    write(tmp_path, "app/workload.yaml", workload(kind, pod))
    findings = run(tmp_path)
    assert summary(findings) == [("readiness-probe-missing", Severity.WARNING, "app/workload.yaml")]


@pytest.mark.parametrize("kind", ["Job", "CronJob"])
def test_batch_workloads_need_no_readiness_probe(tmp_path: Path, kind: str) -> None:
    pod = {"containers": [container(readinessProbe=None)], "restartPolicy": "Never"}
    write(tmp_path, "app/workload.yaml", workload(kind, pod))
    assert run(tmp_path) == []


def test_init_containers_need_no_readiness_probe(tmp_path: Path) -> None:
    pod = {"initContainers": [container("init", readinessProbe=None)], "containers": [container()]}
    write(tmp_path, "app/deploy.yaml", workload(pod=pod))
    assert run(tmp_path) == []


def test_a_sidecar_serving_no_port_needs_no_probe_of_its_own(tmp_path: Path) -> None:
    """A log shipper beside a probed app: the app's readiness gates the pod's."""
    shipper = container("shipper", readinessProbe=None)
    pod = {"containers": [container(ports=[{"containerPort": 8080}]), shipper]}
    write(tmp_path, "app/deploy.yaml", workload(pod=pod))
    assert run(tmp_path) == []


@pytest.mark.parametrize(
    ("app", "sidecar", "flagged"),
    [
        # nothing gates the pod's readiness: both are reported
        ({"readinessProbe": None}, {"readinessProbe": None}, ["app", "shipper"]),
        # a sidecar that serves a port needs its own probe
        ({}, {"readinessProbe": None, "ports": [{"containerPort": 9090}]}, ["shipper"]),
    ],
)
def test_a_container_is_reported_when_nothing_else_gates_it(
    tmp_path: Path, app: dict[str, Any], sidecar: dict[str, Any], flagged: list[str]
) -> None:
    pod = {"containers": [container(**app), container("shipper", **sidecar)]}
    write(tmp_path, "app/deploy.yaml", workload(pod=pod))
    found = [f for f in run(tmp_path) if f.rule == "readiness-probe-missing"]
    assert [f.message.split("'")[1] for f in found] == flagged


# --------------------------------------------------------------------------- privileged


def test_privileged_container(tmp_path: Path) -> None:
    pod = {"containers": [container(securityContext={"privileged": True})]}
    write(tmp_path, "app/deploy.yaml", workload(pod=pod))
    findings = run(tmp_path)
    assert summary(findings) == [("privileged", Severity.WARNING, "app/deploy.yaml")]
    assert "privileged: true" in findings[0].message


@pytest.mark.parametrize("capability", ["SYS_ADMIN", "NET_ADMIN", "ALL", "CAP_SYS_ADMIN"])
def test_escalation_with_dangerous_capability(tmp_path: Path, capability: str) -> None:
    context = {"allowPrivilegeEscalation": True, "capabilities": {"add": [capability]}}
    write(
        tmp_path,
        "app/deploy.yaml",
        workload(pod={"containers": [container(securityContext=context)]}),
    )
    assert summary(run(tmp_path)) == [("privileged", Severity.WARNING, "app/deploy.yaml")]


def test_escalation_unset_counts_as_true(tmp_path: Path) -> None:
    context = {"capabilities": {"add": ["NET_ADMIN"]}}
    write(
        tmp_path,
        "app/deploy.yaml",
        workload(pod={"containers": [container(securityContext=context)]}),
    )
    findings = run(tmp_path)
    assert summary(findings) == [("privileged", Severity.WARNING, "app/deploy.yaml")]
    assert "unset means true" in findings[0].message


def test_privileged_init_container(tmp_path: Path) -> None:
    init = container("sysctl", readinessProbe=None, securityContext={"privileged": True})
    write(
        tmp_path,
        "app/deploy.yaml",
        workload(pod={"initContainers": [init], "containers": [container()]}),
    )
    assert summary(run(tmp_path)) == [("privileged", Severity.WARNING, "app/deploy.yaml")]


@pytest.mark.parametrize(
    "context",
    [
        {"privileged": False, "allowPrivilegeEscalation": False},
        {"allowPrivilegeEscalation": False, "capabilities": {"add": ["NET_ADMIN"]}},
        {"allowPrivilegeEscalation": True, "capabilities": {"add": ["NET_BIND_SERVICE"]}},
        {"capabilities": {"drop": ["ALL"]}},
    ],
)
def test_unprivileged_contexts(tmp_path: Path, context: dict[str, Any]) -> None:
    write(
        tmp_path,
        "app/deploy.yaml",
        workload(pod={"containers": [container(securityContext=context)]}),
    )
    assert run(tmp_path) == []


# --------------------------------------------------------------------------- hostPath


def host_path_pod(read_only: bool | None) -> dict[str, Any]:
    mount: dict[str, Any] = {"name": "varlog", "mountPath": "/var/log"}
    if read_only is not None:
        mount["readOnly"] = read_only
    return {
        "containers": [container(volumeMounts=[mount])],
        "volumes": [{"name": "varlog", "hostPath": {"path": "/var/log"}}],
    }


@pytest.mark.parametrize("read_only", [None, False])
def test_hostpath_writable(tmp_path: Path, read_only: bool | None) -> None:
    write(tmp_path, "app/ds.yaml", workload("DaemonSet", host_path_pod(read_only)))
    findings = run(tmp_path)
    assert summary(findings) == [("hostpath-writable", Severity.WARNING, "app/ds.yaml")]
    assert "'varlog'" in findings[0].message and "readOnly: true" in findings[0].message


def test_hostpath_read_only_is_fine(tmp_path: Path) -> None:
    write(tmp_path, "app/ds.yaml", workload("DaemonSet", host_path_pod(True)))
    assert run(tmp_path) == []


def test_hostpath_not_mounted_and_other_volumes_are_fine(tmp_path: Path) -> None:
    pod = host_path_pod(None)
    pod["containers"][0]["volumeMounts"] = [{"name": "cache", "mountPath": "/cache"}]
    pod["volumes"].append({"name": "cache", "emptyDir": {}})
    write(tmp_path, "app/ds.yaml", workload("DaemonSet", pod))
    assert run(tmp_path) == []


def test_hostpath_writable_in_init_container(tmp_path: Path) -> None:
    pod = host_path_pod(True)
    init = container(
        "prep", readinessProbe=None, volumeMounts=[{"name": "varlog", "mountPath": "/l"}]
    )
    pod["initContainers"] = [init]
    write(tmp_path, "app/ds.yaml", workload("DaemonSet", copy.deepcopy(pod)))
    findings = run(tmp_path)
    assert summary(findings) == [("hostpath-writable", Severity.WARNING, "app/ds.yaml")]
    assert "'prep'" in findings[0].message

"""What the API server rejects beyond the schema: list-map keys, integer widths, port names
(gigrouter/validate/rules/apiserver.py), and that what value-invalid already says is not said
twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from treeutil import context

from gigrouter.validate.findings import Finding
from gigrouter.validate.rules import apiserver


def deployment(containers: list[dict[str, Any]], **pod: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers, **pod},
            },
        },
    }


def container(**fields: Any) -> dict[str, Any]:
    return {"name": "web", "image": "nginx:1.27", **fields}


def findings(tmp_path: Path, *docs: dict[str, Any]) -> list[Finding]:
    ctx = context(tmp_path, {"apps/web.yaml": list(docs)})
    return list(apiserver.check(ctx))


def messages(found: list[Finding], rule: str) -> list[str]:
    return [f.message for f in found if f.rule == rule]


# --- list-map keys -------------------------------------------------------------------------------


def test_duplicate_env_names_in_one_container(tmp_path: Path) -> None:
    env = [{"name": "MODE", "value": "a"}, {"name": "LEVEL", "value": "1"}, {"name": "MODE"}]
    found = findings(tmp_path, deployment([container(env=env)]))
    assert messages(found, "list-key-duplicate") == [
        'spec.template.spec.containers[0].env[2]: duplicate entry for key [name="MODE"]'
        " (also spec.template.spec.containers[0].env[0]); the API server keys this list by name"
    ]


def test_the_same_env_name_in_two_containers_is_fine(tmp_path: Path) -> None:
    env = [{"name": "MODE", "value": "a"}]
    docs = deployment([container(env=env), container(name="side", env=env)])
    assert findings(tmp_path, docs) == []


def test_container_ports_are_keyed_by_port_and_protocol_defaulting_to_tcp(tmp_path: Path) -> None:
    ports = [
        {"containerPort": 53, "name": "dns"},
        {"containerPort": 53, "protocol": "UDP", "name": "dns-udp"},
        {"containerPort": 53, "protocol": "TCP", "name": "dns-tcp"},
    ]
    found = findings(tmp_path, deployment([container(ports=ports)]))
    assert messages(found, "list-key-duplicate") == [
        "spec.template.spec.containers[0].ports[2]: duplicate entry for key"
        ' [containerPort=53, protocol="TCP"] (also spec.template.spec.containers[0].ports[0]);'
        " the API server keys this list by containerPort, protocol"
    ]


def test_container_port_names_are_unique_within_a_container(tmp_path: Path) -> None:
    ports = [{"containerPort": 80, "name": "http"}, {"containerPort": 8080, "name": "http"}]
    found = findings(tmp_path, deployment([container(ports=ports)]))
    assert messages(found, "list-key-duplicate") == [
        "spec.template.spec.containers[0].ports[1].name: duplicate port name 'http'"
        " (also spec.template.spec.containers[0].ports[0])"
    ]


def test_volume_names_and_mount_paths(tmp_path: Path) -> None:
    mounts = [{"name": "a", "mountPath": "/data"}, {"name": "b", "mountPath": "/data"}]
    volumes = [{"name": "a", "emptyDir": {}}, {"name": "b", "emptyDir": {}}, {"name": "a"}]
    found = findings(tmp_path, deployment([container(volumeMounts=mounts)], volumes=volumes))
    assert sorted(m.split(":")[0] for m in messages(found, "list-key-duplicate")) == [
        "spec.template.spec.containers[0].volumeMounts[1]",
        "spec.template.spec.volumes[2]",
    ]


def test_container_names_are_left_to_value_invalid(tmp_path: Path) -> None:
    """value-invalid reports a container name used twice (across initContainers too)."""
    docs = deployment([container(), container()], initContainers=[container()])
    assert messages(findings(tmp_path, docs), "list-key-duplicate") == []


def service(ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"selector": {"app": "web"}, "ports": ports},
    }


def test_service_ports_port_with_protocol_and_names(tmp_path: Path) -> None:
    ports = [
        {"name": "http", "port": 80},
        {"name": "alt", "port": 80, "protocol": "TCP"},
        {"name": "http", "port": 8080},
        {"name": "dns", "port": 80, "protocol": "UDP"},
    ]
    found = findings(tmp_path, service(ports))
    assert sorted(messages(found, "list-key-duplicate")) == [
        'spec.ports[1]: duplicate entry for key [port=80, protocol="TCP"] (also spec.ports[0]);'
        " the API server keys this list by port, protocol",
        "spec.ports[2].name: duplicate port name 'http' (also spec.ports[0])",
    ]


def test_set_lists_of_built_in_kinds(tmp_path: Path) -> None:
    doc = service([{"name": "http", "port": 80}])
    doc["metadata"]["finalizers"] = ["example.com/a", "example.com/a"]
    assert messages(findings(tmp_path, doc), "list-key-duplicate") == [
        'metadata.finalizers[1]: duplicate entry "example.com/a" (also metadata.finalizers[0]);'
        " the list is a set"
    ]


# --- integer widths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replicas", "reported"),
    [(2**31 - 1, False), (2**31, True), (-(2**31), False), (-(2**31) - 1, True)],
)
def test_int32_bounds(tmp_path: Path, replicas: int, reported: bool) -> None:
    doc = deployment([container()])
    doc["spec"]["replicas"] = replicas
    found = messages(findings(tmp_path, doc), "integer-range")
    assert found == (
        [
            f"spec.replicas: {replicas} does not fit an int32 (-2147483648 to 2147483647);"
            " the API server rejects the object"
        ]
        if reported
        else []
    )


def test_int64_bounds(tmp_path: Path) -> None:
    doc = deployment([container()], activeDeadlineSeconds=2**63)
    found = messages(findings(tmp_path, doc), "integer-range")
    assert found == [
        f"spec.template.spec.activeDeadlineSeconds: {2**63} does not fit an int64"
        f" ({-(2**63)} to {2**63 - 1}); the API server rejects the object"
    ]


def test_a_clean_deployment_has_no_findings(tmp_path: Path) -> None:
    ports = [{"containerPort": 80, "name": "http"}, {"containerPort": 80, "protocol": "UDP"}]
    env = [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert findings(tmp_path, deployment([container(ports=ports, env=env)])) == []


def test_unknown_kinds_are_not_walked(tmp_path: Path) -> None:
    doc = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "x"}}
    doc["spec"] = {"env": [{"name": "A"}, {"name": "A"}]}
    assert findings(tmp_path, doc) == []

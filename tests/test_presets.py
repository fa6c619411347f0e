"""The seed's presets are instances of the workload catalogue: what a preset renders is exactly
what its instances render as an application's own ``workloads``, the presets take the
catalogue's container and pod keys, and a preset is refused where its instances would be."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from helpers import DEFAULT_CONFIG, REPO, documents, find

from gigrouter.config.load import build_platform, parse_yaml
from gigrouter.model import Platform
from gigrouter.pipeline import tree_outputs
from gigrouter.render import RenderedTree, render

SERVICES_CONFIG = REPO / "tests" / "golden" / "services" / "config.yaml"
WAVE = "argocd.argoproj.io/sync-wave"


def default_data() -> dict[str, Any]:
    data = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def services_data() -> dict[str, Any]:
    data = json.loads(SERVICES_CONFIG.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def platform_of(data: dict[str, Any]) -> Platform:
    """``data`` loaded as the loader loads a config file (model and cross-key checks)."""
    return build_platform(parse_yaml(json.dumps(data), "platform.yaml"))


def tree_of(data: dict[str, Any]) -> tuple[Platform, RenderedTree]:
    platform = platform_of(data)
    return platform, render(tree_outputs(platform))


def objects_under(tree: RenderedTree, path: str) -> list[str]:
    """The objects of one app directory, each dumped canonically, sorted."""
    found = [
        json.dumps(doc, sort_keys=True) for file, doc in documents(tree) if file.startswith(path)
    ]
    return sorted(found)


def as_workloads(data: dict[str, Any], platform: Platform, component: str) -> dict[str, Any]:
    """``data`` with the app deploying ``component`` deploying the preset's catalogue
    instances as its own ``workloads`` instead."""
    out = copy.deepcopy(data)
    app = next(a for a in out["applications"] if a.get("manifests") == component)
    del app["manifests"]
    app["workloads"] = [
        w.model_dump(mode="json", exclude_defaults=True)
        for w in platform.components.instances(component)
    ]
    return out


PRESETS = [
    ("backend", default_data),
    ("frontend", default_data),
    ("memcached", default_data),
    ("logging", default_data),
    ("services", services_data),
]


@pytest.mark.parametrize(("component", "data_of"), PRESETS, ids=[p[0] for p in PRESETS])
def test_a_preset_renders_exactly_its_catalogue_instances(component: str, data_of: Any) -> None:
    data = data_of()
    platform, preset_tree = tree_of(data)
    app = next(a for a in platform.applications if a.manifests == component)
    assert app.path is not None
    instances = platform.components.instances(component)
    assert instances, f"{component} has no catalogue instances"
    _, catalogue_tree = tree_of(as_workloads(data, platform, component))
    theirs = objects_under(catalogue_tree, app.path + "/")
    ours = objects_under(preset_tree, app.path + "/")
    if component == "services":  # the shared SecretStore belongs to no workload
        store = find(preset_tree, "SecretStore", platform.components.services.secret_store.name)  # type: ignore[union-attr]
        ours.remove(json.dumps(store, sort_keys=True))
    assert ours == theirs
    assert len(ours) >= len(instances) * 2  # each workload and at least its Service


def test_the_seed_presets_are_the_catalogue_kinds_they_render() -> None:
    platform = platform_of(default_data())
    seen = {
        c: [(w.kind, w.name) for w in platform.components.instances(c)]
        for c in ("backend", "frontend", "memcached", "logging", "observability")
    }
    assert seen == {
        "backend": [("Deployment", "backend"), ("Job", "django-migrate"), ("Deployment", "redis")],
        "frontend": [("Deployment", "frontend")],
        "memcached": [("Deployment", "memcached")],
        "logging": [
            ("Deployment", "elasticsearch"),
            ("Deployment", "kibana"),
            ("DaemonSet", "fluent-bit"),
        ],
        "observability": [],
    }
    migration = platform.components.instances("backend")[1]
    assert migration.job is not None and migration.job.hook == "Sync"


def test_the_old_preset_templates_are_gone() -> None:
    """Every workload object comes from templates/workloads/: no preset keeps a template."""
    left = sorted(
        p.relative_to(REPO / "templates").as_posix()
        for p in (REPO / "templates").rglob("*.j2")
        if p.parent.name not in ("workloads", "argocd", "_macros", "observability")
    )
    assert left == []


POD_KEYS: dict[str, Any] = {
    "security_context": {
        "run_as_non_root": True,
        "read_only_root_filesystem": True,
        "allow_privilege_escalation": False,
        "capabilities": {"drop": ["ALL"]},
    },
    "pod_security_context": {"run_as_user": 101, "fs_group": 101},
    "volumes": [{"name": "cache", "empty_dir": {"medium": "Memory"}}],
    "volume_mounts": [{"name": "cache", "mount_path": "/var/cache/nginx"}],
    "scheduling": {
        "node_selector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}],
    },
    "labels": {"team": "web"},
    "pod_annotations": {"prometheus.io/scrape": "false"},
    "sidecars": [{"name": "exporter", "image": "nginx/nginx-prometheus-exporter:1.1.0"}],
    "termination_grace_period_seconds": 20,
}


def test_a_preset_takes_the_catalogue_container_and_pod_keys() -> None:
    data = default_data()
    data["components"]["frontend"].update(copy.deepcopy(POD_KEYS))
    _, tree = tree_of(data)
    deployment = find(tree, "Deployment", "frontend")
    pod = deployment["spec"]["template"]
    spec = pod["spec"]
    main, sidecar = spec["containers"]
    assert main["securityContext"] == {
        "runAsNonRoot": True,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    }
    assert main["volumeMounts"] == [{"name": "cache", "mountPath": "/var/cache/nginx"}]
    assert sidecar == {"name": "exporter", "image": "nginx/nginx-prometheus-exporter:1.1.0"}
    assert spec["securityContext"] == {"runAsUser": 101, "fsGroup": 101}
    assert spec["volumes"] == [{"name": "cache", "emptyDir": {"medium": "Memory"}}]
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert spec["tolerations"] == [
        {"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}
    ]
    assert spec["terminationGracePeriodSeconds"] == 20
    assert pod["metadata"]["labels"]["team"] == "web"
    assert pod["metadata"]["annotations"] == {"prometheus.io/scrape": "false"}
    assert deployment["spec"]["selector"]["matchLabels"] == {"app": "frontend"}
    kubernetes_validate.validate(deployment, "1.30", strict=True)


def test_the_migration_job_shares_the_api_pod_but_not_its_other_containers() -> None:
    data = default_data()
    backend = data["components"]["backend"]
    backend["volumes"] = [{"name": "tmp", "empty_dir": {}}]
    backend["volume_mounts"] = [{"name": "tmp", "mount_path": "/tmp"}]
    backend["sidecars"] = [{"name": "proxy", "image": "envoyproxy/envoy:v1.30.1"}]
    backend["args"] = ["gunicorn", "app.wsgi"]
    backend["init_containers"] = [
        {"name": "wait-for-migrations", "image": "busybox:1.36", "command": ["sleep", "5"]}
    ]
    _, tree = tree_of(data)
    job = find(tree, "Job", "django-migrate")["spec"]["template"]["spec"]
    api = find(tree, "Deployment", "backend")["spec"]["template"]["spec"]
    assert [c["name"] for c in api["containers"]] == ["backend", "proxy"]
    assert [c["name"] for c in job["containers"]] == ["django-migrate"]
    assert api["containers"][0]["args"] == ["gunicorn", "app.wsgi"]
    assert "args" not in job["containers"][0]  # the migration's command is the whole command
    assert [c["name"] for c in api["initContainers"]] == ["wait-for-migrations"]
    assert "initContainers" not in job  # it would wait for the Job itself
    assert job["containers"][0]["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert job["volumes"] == api["volumes"] == [{"name": "tmp", "emptyDir": {}}]


def test_fluent_bit_keeps_its_mounts_and_takes_more() -> None:
    data = default_data()
    data["components"]["logging"]["fluent_bit"].update(
        {
            "volumes": [{"name": "state", "host_path": {"path": "/var/lib/fluent-bit"}}],
            "volume_mounts": [{"name": "state", "mount_path": "/state"}],
            "security_context": {"read_only_root_filesystem": True},
        }
    )
    _, tree = tree_of(data)
    spec = find(tree, "DaemonSet", "fluent-bit")["spec"]["template"]["spec"]
    assert [v["name"] for v in spec["volumes"]] == ["varlog", "config", "state"]
    assert spec["volumes"][2] == {"name": "state", "hostPath": {"path": "/var/lib/fluent-bit"}}
    container = spec["containers"][0]
    assert [m["mountPath"] for m in container["volumeMounts"]] == [
        "/var/log",
        "/fluent-bit/etc/conf",
        "/state",
    ]
    assert container["securityContext"] == {"readOnlyRootFilesystem": True}


def _wave(doc: dict[str, Any]) -> int:
    return int(doc["metadata"].get("annotations", {}).get(WAVE, "0"))


def test_a_service_with_secrets_and_no_waves_syncs_store_then_secret_then_pods() -> None:
    data = services_data()
    services = data["components"]["services"]
    services["secret_store"].pop("wave", None)
    for item in services["items"]:
        item.pop("wave", None)
        item.pop("support_wave", None)
    with_secrets = [item["name"] for item in services["items"] if item.get("secrets")]
    assert with_secrets, "the services case has a service with secrets"
    platform, tree = tree_of(data)
    assert platform.components.services is not None
    store = platform.components.services.secret_store
    assert store is not None
    store_wave = _wave(find(tree, "SecretStore", store.name))
    for name in with_secrets:
        secret = find(tree, "ExternalSecret", f"{name}-secrets")
        assert store_wave < _wave(secret) < _wave(find(tree, "Deployment", name))


def run(exe: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_a_preset_is_refused_where_its_catalogue_instance_would_be(
    gigrouter_exe: str, tmp_path: Path
) -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    anchor = "    name: frontend\n    image: mazenmostafa429/frontend:2\n"
    assert anchor in text
    bad = text.replace(
        anchor, anchor + "    volume_mounts:\n      - {name: cache, mount_path: /cache}\n"
    )
    config = tmp_path / "platform.yaml"
    config.write_text(bad, encoding="utf-8")
    result = run(gigrouter_exe, "render", "--config", str(config), "--out", "out", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    line = bad.splitlines().index("      - {name: cache, mount_path: /cache}") + 1
    assert result.stderr.startswith(
        f"error: {config}:{line}: components.frontend.volume_mounts[cache].name: 'cache' is not"
        " a volume of the workload (its volumes: none)"
    ), result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("component", "data_of"), PRESETS, ids=[p[0] for p in PRESETS])
def test_a_preset_declares_exactly_the_objects_its_instances_render(
    component: str, data_of: Any
) -> None:
    """The objects a preset names for the collision checks and the provenance map (with the
    config key of each) are the objects its catalogue instances render, no more, no less."""
    data = data_of()
    if component == "backend":  # the ServiceAccount too
        data["components"]["backend"]["create_service_account"] = True
        account = data["components"]["backend"]["service_account"]
        data["externals"] = [e for e in data["externals"] if e["name"] != account]
    platform = platform_of(data)
    declared = {(kind, name) for kind, name, _ in platform.components.objects(component)}
    rendered = {
        (kind, name)
        for w in platform.components.instances(component)
        for kind, name, _ in w.objects()
    }
    services = platform.components.services
    if component == "services" and services is not None and services.secret_store is not None:
        rendered.add((services.secret_store.kind, services.secret_store.name))
    assert declared == rendered
    _, tree = tree_of(data)
    app = next(a for a in platform.applications if a.manifests == component)
    assert app.path is not None
    in_tree = {
        (doc["kind"], doc["metadata"]["name"])
        for file, doc in documents(tree)
        if file.startswith(app.path + "/")
    }
    assert in_tree == rendered


def test_memcached_admitting_no_namespace_admits_nothing() -> None:
    """An empty allow list is one rule with no peers, not a rule without `from` (which the
    API reads as: from anywhere)."""
    data = default_data()
    data["components"]["memcached"]["network_policy"]["allow_from_namespaces"] = []
    _, tree = tree_of(data)
    policy = find(tree, "NetworkPolicy", data["components"]["memcached"]["network_policy"]["name"])
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert policy["spec"]["ingress"] == []


def test_a_backend_without_waves_syncs_in_an_order_that_works(
    gigrouter_exe: str, tmp_path: Path
) -> None:
    """Every wave of the backend left out: store, then its ConfigMap and ExternalSecret, then
    the migration that reads them, then the API; render validates the tree, so it must pass."""
    data = default_data()
    backend = data["components"]["backend"]
    for holder in (
        backend,
        *(backend[k] for k in ("config_map", "secret_store")),
        backend["migration"],
    ):
        holder.pop("wave", None)
    for key in ("external_secret", "service", "ingress"):
        backend[key].pop("wave", None)
    config = tmp_path / "platform.yaml"
    config.write_text(json.dumps(data), encoding="utf-8")
    result = run(gigrouter_exe, "render", "--config", str(config), "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    _, tree = tree_of(data)
    store = _wave(find(tree, "SecretStore", backend["secret_store"]["name"]))
    secret = _wave(find(tree, "ExternalSecret", backend["external_secret"]["name"]))
    config_map = _wave(find(tree, "ConfigMap", backend["config_map"]["name"]))
    migration = _wave(find(tree, "Job", backend["migration"]["name"]))
    api = _wave(find(tree, "Deployment", backend["name"]))
    assert store < secret == config_map < migration < api

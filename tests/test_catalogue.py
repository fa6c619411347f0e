"""The workload catalogue, end to end: examples/generic-nginx rendered through the real pipeline,
and variants of it (every kind, every companion), checked for the facts that make the objects
work together (a Service reaches its pods, an HPA scales its Deployment, ...) and against
kubernetes-validate as an independent oracle of the built-in kinds."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pydantic
import pytest
import yaml
from helpers import REPO, documents
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gigrouter.config.load import load_platform
from gigrouter.docs.facts import facts
from gigrouter.errors import ConfigError
from gigrouter.model import KINDS, Platform
from gigrouter.model.catalogue import cron_problem
from gigrouter.pipeline import Built, build_trees, tree_outputs
from gigrouter.render import RenderedTree, render
from gigrouter.validate.runner import validate_memory
from gigrouter.validate.tree import MemoryFiles

EXAMPLE = REPO / "examples" / "generic-nginx" / "platform.yaml"
APP = "payments"
BUILTIN_API_VERSIONS = {
    "v1",
    "apps/v1",
    "batch/v1",
    "networking.k8s.io/v1",
    "policy/v1",
    "autoscaling/v2",
}
HOOK = "argocd.argoproj.io/hook"
HOOK_DELETE = "argocd.argoproj.io/hook-delete-policy"
CLUSTER = {
    "apiVersion": "postgresql.cnpg.io/v1",
    "kind": "Cluster",
    "metadata": {"name": "reports-db", "labels": {"team": "payments"}},
    "spec": {"instances": 2, "storage": {"size": "5Gi"}, "bootstrap": {"initdb": {}}},
}


Doc = dict[str, Any]


@pytest.fixture(scope="module")
def example_built() -> Built:
    built = build_trees(EXAMPLE)
    assert [b.environment for b in built] == [None]
    return built[0]


@pytest.fixture(scope="module")
def example(example_built: Built) -> list[tuple[str, Doc]]:
    return documents(example_built.tree)


def example_data() -> dict[str, Any]:
    """The example's config as data, ``{domain}`` expanded as the loader does."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("{domain}", "payments.example.org")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def with_workloads(*extra: dict[str, Any]) -> Platform:
    """The example with ``extra`` workloads added to its payments application, checked as the
    loader checks it (model and cross-key checks)."""
    data = example_data()
    app = next(a for a in data["applications"] if a["name"] == APP)
    app["workloads"] = [*app["workloads"], *copy.deepcopy(list(extra))]
    platform = Platform.model_validate(data)
    assert platform.cross_check() == []
    return platform


def rendered(platform: Platform) -> tuple[RenderedTree, list[tuple[str, Doc]]]:
    tree = render(tree_outputs(platform))
    return tree, documents(tree)


def one(docs: list[tuple[str, Doc]], kind: str, name: str) -> Doc:
    found = [d for _, d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered"
    return found[0]


def pod_template(doc: Doc) -> Doc:
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template = spec["template"]
    assert isinstance(template, dict)
    return template


def workloads_of(docs: list[tuple[str, Doc]]) -> list[Doc]:
    return [d for _, d in docs if d["kind"] in KINDS and d["apiVersion"] in ("apps/v1", "batch/v1")]


def containers(doc: Doc) -> list[Doc]:
    spec = pod_template(doc)["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def check_services(docs: list[tuple[str, Doc]]) -> int:
    """Every Service selects the pods of exactly one workload, and each of its targetPorts
    resolves to a port of those pods' containers the way the endpoints controller resolves it
    (a name: the container port of that name and the Service port's protocol; a number: a
    declared containerPort of that protocol). Returns how many Service ports were checked."""
    checked = 0
    pods = workloads_of(docs)
    for _, svc in docs:
        if svc["kind"] != "Service":
            continue
        selector = svc["spec"]["selector"]
        assert selector, f"Service {svc['metadata']['name']} selects nothing"
        matching = [w for w in pods if selects(selector, pod_template(w)["metadata"]["labels"])]
        assert len(matching) == 1, (svc["metadata"]["name"], [w["metadata"] for w in matching])
        workload = matching[0]
        # The pod labels also match the workload's own selector: the Service and the workload
        # agree on which pods are its.
        match_labels = workload["spec"].get("selector", {}).get("matchLabels", {})
        assert selects(match_labels, pod_template(workload)["metadata"]["labels"])
        declared = [p for c in pod_template(workload)["spec"]["containers"] for p in c["ports"]]
        for port in svc["spec"]["ports"]:
            target, protocol = port["targetPort"], port.get("protocol", "TCP")
            key = "name" if isinstance(target, str) else "containerPort"
            hits = [p for p in declared if p.get(key) == target and p["protocol"] == protocol]
            assert hits, (
                f"Service {svc['metadata']['name']} port {port['port']}/{protocol}: targetPort"
                f" {target!r} is no container port of {workload['kind']}"
                f" {workload['metadata']['name']} ({declared})"
            )
            checked += 1
    return checked


def check_builtin(docs: list[tuple[str, Doc]]) -> set[str]:
    """kubernetes-validate (strict, 1.30) on every built-in object; the kinds it checked."""
    kinds = set()
    for path, doc in docs:
        if doc["apiVersion"] not in BUILTIN_API_VERSIONS:
            continue
        try:
            kubernetes_validate.validate(doc, "1.30", strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path}: {doc['kind']}/{doc['metadata']['name']}: {exc.message}")
        kinds.add(doc["kind"])
    return kinds


def check_images_documented(platform: Platform, docs: list[tuple[str, Doc]]) -> None:
    """The docs rows (the payments README's images table) name every container of every
    workload, and nothing else."""
    rows = sorted(
        (row.kind, row.name, row.image) for row in facts(platform).workloads if row.app == APP
    )
    seen = []
    for path, doc in docs:
        if not path.startswith(f"{APP}/") or doc not in workloads_of(docs):
            continue
        name = doc["metadata"]["name"]
        for c in containers(doc):
            shown = name if c["name"] == name else f"{name}/{c['name']}"
            seen.append((doc["kind"], shown, c["image"]))
    assert rows == sorted(seen)


# --- the example ---------------------------------------------------------------------------


def test_the_statefulset_has_its_claims_and_its_headless_service(
    example: list[tuple[str, Doc]],
) -> None:
    sts = one(example, "StatefulSet", "cache")
    claims = sts["spec"]["volumeClaimTemplates"]
    assert [c["metadata"]["name"] for c in claims] == ["data"]
    assert claims[0]["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert claims[0]["spec"]["accessModes"] == ["ReadWriteOnce"]
    mounts = pod_template(sts)["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "data", "mountPath": "/data"} in mounts
    service = one(example, "Service", sts["spec"]["serviceName"])
    assert service["spec"]["clusterIP"] == "None"
    assert selects(service["spec"]["selector"], pod_template(sts)["metadata"]["labels"])


def test_the_cronjob_keeps_its_schedule_and_time_zone(example: list[tuple[str, Doc]]) -> None:
    cron = one(example, "CronJob", "nightly-report")
    assert cron["apiVersion"] == "batch/v1"
    assert (cron["spec"]["schedule"], cron["spec"]["timeZone"]) == ("15 2 * * *", "Europe/Berlin")
    job = cron["spec"]["jobTemplate"]["spec"]
    assert (job["backoffLimit"], job["ttlSecondsAfterFinished"]) == (1, 86400)
    assert job["template"]["spec"]["restartPolicy"] == "OnFailure"


def test_the_hpa_targets_the_deployment_which_leaves_replicas_to_it(
    example: list[tuple[str, Doc]],
) -> None:
    hpa = one(example, "HorizontalPodAutoscaler", "api")
    target = hpa["spec"]["scaleTargetRef"]
    deployment = one(example, target["kind"], target["name"])
    assert (target["apiVersion"], deployment["apiVersion"]) == ("apps/v1", "apps/v1")
    assert deployment["kind"] == "Deployment"
    assert "replicas" not in deployment["spec"]
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 6)
    # Without an HPA the replicas are written.
    assert one(example, "Deployment", "web")["spec"]["replicas"] == 2


def test_each_pdb_selects_the_pods_of_its_workload(example: list[tuple[str, Doc]]) -> None:
    pdbs = [d for _, d in example if d["kind"] == "PodDisruptionBudget"]
    assert sorted(p["metadata"]["name"] for p in pdbs) == ["api", "web"]
    for pdb in pdbs:
        selector = pdb["spec"]["selector"]["matchLabels"]
        deployment = one(example, "Deployment", pdb["metadata"]["name"])
        assert selector and selects(selector, pod_template(deployment)["metadata"]["labels"])
        others = [
            w
            for w in workloads_of(example)
            if w is not deployment and selects(selector, pod_template(w)["metadata"]["labels"])
        ]
        assert others == [], f"PDB {pdb['metadata']['name']} also selects {others}"
    assert one(example, "PodDisruptionBudget", "api")["spec"]["minAvailable"] == 1
    assert one(example, "PodDisruptionBudget", "web")["spec"]["maxUnavailable"] == 1


def test_every_service_reaches_a_container_port_of_its_pods(
    example: list[tuple[str, Doc]],
) -> None:
    assert check_services(example) == 3  # api, web, cache


def test_probes_default_to_the_first_container_port(example: list[tuple[str, Doc]]) -> None:
    probed = 0
    for workload in workloads_of(example):
        for c in containers(workload):
            for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
                if kind not in c:
                    continue
                probe = c[kind]
                action = probe.get("httpGet") or probe.get("tcpSocket")
                assert action["port"] == c["ports"][0]["containerPort"], (c["name"], kind)
                probed += 1
    assert probed == 5  # api: three, web and cache: one each


def test_the_example_passes_kubernetes_validate(example: list[tuple[str, Doc]]) -> None:
    assert check_builtin(example) >= {
        "Deployment",
        "StatefulSet",
        "CronJob",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ServiceAccount",
        "NetworkPolicy",
    }


def test_the_readme_lists_every_image_of_the_example(
    example_built: Built, example: list[tuple[str, Doc]]
) -> None:
    platform = example_built.platform
    check_images_documented(platform, example)
    readme = example_built.tree.files[f"{APP}/README.md"]
    for w in workloads_of(example):
        for c in containers(w):
            repository, _, tag = c["image"].rpartition(":")
            assert f"| `{repository}` | `{tag}` | {w['kind']} `{w['metadata']['name']}` |" in readme


# --- variants ------------------------------------------------------------------------------

DAEMON_SET = {
    "name": "node-agent",
    "kind": "DaemonSet",
    "image": "registry.example.org/payments/agent:1.0.0",
    "ports": [{"name": "metrics", "container_port": 9100}],
    "liveness_probe": {"type": "http", "path": "/healthz"},
    "scheduling": {
        "node_selector": {"kubernetes.io/os": "linux"},
        "tolerations": [
            {"operator": "Exists", "effect": "NoSchedule"},
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "toleration_seconds": 30,
            },
            {"key": "dedicated", "value": "payments", "effect": "PreferNoSchedule"},
        ],
        "priority_class_name": "system-node-critical",
    },
    "service": {"ports": [{"name": "metrics", "port": 9100}]},
}
HOOK_JOB = {
    "name": "migrate",
    "kind": "Job",
    "image": "registry.example.org/payments/api:2.3.1",
    "command": ["/app/migrate", "up"],
    "job": {"hook": "PreSync", "backoff_limit": 0, "active_deadline_seconds": 600},
}
UDP_SERVICE = {
    "name": "dns",
    "image": "coredns/coredns:1.11.3",
    "ports": [
        {"name": "dns", "container_port": 5353, "protocol": "UDP"},
        {"name": "dns-tcp", "container_port": 5353},
    ],
    "readiness_probe": {"type": "tcp"},
    "service": {
        "type": "NodePort",
        "ports": [
            {
                "name": "dns",
                "port": 53,
                "target_port": "dns",
                "protocol": "UDP",
                "node_port": 30053,
            },
            {"name": "dns-tcp", "port": 53, "target_port": "dns-tcp"},
        ],
    },
}
VOLUMES = {
    "name": "files",
    "image": "registry.example.org/payments/files:0.4.0",
    "replicas": 1,
    "ports": [{"name": "http", "container_port": 8080}],
    "volumes": [
        {"name": "conf", "config_map": "files-conf"},
        {"name": "creds", "secret": "payments-db-app", "optional": True},
        {"name": "cache", "empty_dir": {"medium": "Memory", "size_limit": "32Mi"}},
    ],
    "volume_mounts": [
        {"name": "conf", "mount_path": "/etc/files", "read_only": True},
        {"name": "creds", "mount_path": "/var/run/creds", "read_only": True},
        {"name": "cache", "mount_path": "/cache", "sub_path": "files"},
    ],
    "config_maps": [{"name": "files-conf", "data": {"files.toml": "root = '/cache'\n"}}],
    "service": {"type": "LoadBalancer", "ports": [{"name": "http", "port": 443}]},
}
SIDECARS = {
    "name": "worker",
    "image": "registry.example.org/payments/worker:3.1.0",
    "ports": [{"name": "http", "container_port": 8080}],
    "readiness_probe": {"type": "http", "path": "/ready"},
    "init_containers": [
        {
            "name": "wait-db",
            "image": "busybox:1.36",
            "command": ["sh", "-c", "until nc -z payments-db-rw 5432; do sleep 2; done"],
        }
    ],
    "sidecars": [
        {
            "name": "proxy",
            "image": "envoyproxy/envoy:v1.31.0",
            "ports": [{"name": "admin", "container_port": 9901}],
            "readiness_probe": {"type": "http", "path": "/ready"},
            "volume_mounts": [{"name": "shared", "mount_path": "/shared"}],
            "security_context": {"run_as_non_root": True, "run_as_user": 101},
        }
    ],
    "volumes": [{"name": "shared", "empty_dir": {}}],
    "volume_mounts": [{"name": "shared", "mount_path": "/shared"}],
    "service": {},
}
STATEFUL = {
    "name": "ledger",
    "kind": "StatefulSet",
    "image": "registry.example.org/payments/ledger:1.2.0",
    "ports": [{"name": "grpc", "container_port": 7000}],
    "volume_claim_templates": [
        {"name": "wal", "size": "2Gi", "storage_class": "fast-ssd"},
        {"name": "archive", "size": "10Gi", "access_modes": ["ReadWriteMany"]},
    ],
    "volume_mounts": [
        {"name": "wal", "mount_path": "/var/lib/ledger/wal"},
        {"name": "archive", "mount_path": "/var/lib/ledger/archive"},
    ],
    "service": {"headless": True},
    "hpa": {"max_replicas": 5, "memory_utilization": 80},
    "pdb": {"max_unavailable": "50%"},
    "extra_manifests": [CLUSTER],
}
VARIANTS: list[dict[str, Any]] = [DAEMON_SET, HOOK_JOB, UDP_SERVICE, VOLUMES, SIDECARS, STATEFUL]


@pytest.fixture(scope="module")
def variants() -> tuple[Platform, RenderedTree, list[tuple[str, Doc]]]:
    platform = with_workloads(*VARIANTS)
    tree, docs = rendered(platform)
    return platform, tree, docs


def test_every_variant_passes_kubernetes_validate(
    variants: tuple[Platform, RenderedTree, list[tuple[str, Doc]]],
) -> None:
    _, _, docs = variants
    assert check_builtin(docs) >= {
        "DaemonSet",
        "Job",
        "StatefulSet",
        "Deployment",
        "CronJob",
        "Service",
        "ConfigMap",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    }


def test_the_oracle_refuses_a_broken_variant(
    variants: tuple[Platform, RenderedTree, list[tuple[str, Doc]]],
) -> None:
    broken = copy.deepcopy(one(variants[2], "DaemonSet", "node-agent"))
    broken["spec"]["template"]["spec"]["tolerations"][0]["tolerationSecond"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.30", strict=True)


def test_every_variant_service_reaches_its_pods(
    variants: tuple[Platform, RenderedTree, list[tuple[str, Doc]]],
) -> None:
    # The example's 3 Service ports, then node-agent 1, dns 2, files 1, worker 1, ledger 1.
    assert check_services(variants[2]) == 3 + 6


def test_the_daemon_set_carries_its_scheduling(
    variants: tuple[Platform, RenderedTree, list[tuple[str, Doc]]],
) -> None:
    ds = one(variants[2], "DaemonSet", "node-agent")
    spec = pod_template(ds)["spec"]
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert spec["tolerations"] == [
        {"operator": "Exists", "effect": "NoSchedule"},
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 30,
        },
        {
            "key": "dedicated",
            "operator": "Equal",
            "value": "payments",
            "effect": "PreferNoSchedule",
        },
    ]
    assert spec["priorityClassName"] == "system-node-critical"
    assert "replicas" not in ds["spec"]
    assert spec["containers"][0]["livenessProbe"]["httpGet"]["port"] == 9100


def test_a_hook_job_is_recreated_on_every_sync(
    variants: tuple[Platform, RenderedTree, list[tuple[str, Doc]]],
) -> None:
    job = one(variants[2], "Job", "migrate")
    annotations = job["metadata"]["annotations"]
    assert (annotations[HOOK], annotations[HOOK_DELETE]) == ("PreSync", "BeforeHookCreation")
    assert (job["spec"]["backoffLimit"], job["spec"]["activeDeadlineSeconds"]) == (0, 600)
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # A CronJob is never a hook, and a Job without `hook` carries no hook annotation.
    plain = with_workloads({**HOOK_JOB, "job": {"backoff_limit": 0}})
    assert HOOK not in one(rendered(plain)[1], "Job", "migrate")["metadata"].get("annotations", {})
    assert HOOK not in one(variants[2], "CronJob", "nightly-report")["metadata"].get(
        "annotations", {}
    )


def test_a_node_port_service_serves_udp(
    variants: tuple[Platform, RenderedTree, list[tuple[str, Doc]]],
) -> None:
    svc = one(variants[2], "Service", "dns")
    assert svc["spec"]["type"] == "NodePort"
    assert svc["spec"]["ports"] == [
        {"name": "dns", "port": 53, "targetPort": "dns", "protocol": "UDP", "nodePort": 30053},
        {"name": "dns-tcp", "port": 53, "targetPort": "dns-tcp", "protocol": "TCP"},
    ]


def test_config_map_and_secret_volumes_are_mounted(
    variants: tuple[Platform, RenderedTree, list[tuple[str, Doc]]],
) -> None:
    docs = variants[2]
    spec = pod_template(one(docs, "Deployment", "files"))["spec"]
    assert spec["volumes"] == [
        {"name": "conf", "configMap": {"name": "files-conf"}},
        {"name": "creds", "secret": {"secretName": "payments-db-app", "optional": True}},
        {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "32Mi"}},
    ]
    assert spec["containers"][0]["volumeMounts"] == [
        {"name": "conf", "mountPath": "/etc/files", "readOnly": True},
        {"name": "creds", "mountPath": "/var/run/creds", "readOnly": True},
        {"name": "cache", "mountPath": "/cache", "subPath": "files"},
    ]
    assert one(docs, "ConfigMap", "files-conf")["data"] == {"files.toml": "root = '/cache'\n"}


def test_sidecars_and_init_containers_keep_their_own_ports_and_probes(
    variants: tuple[Platform, RenderedTree, list[tuple[str, Doc]]],
) -> None:
    worker = one(variants[2], "Deployment", "worker")
    spec = pod_template(worker)["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["wait-db"]
    assert [c["name"] for c in spec["containers"]] == ["worker", "proxy"]
    main, proxy = spec["containers"]
    assert main["readinessProbe"]["httpGet"]["port"] == 8080
    assert proxy["readinessProbe"]["httpGet"]["port"] == 9901
    assert proxy["securityContext"] == {"runAsNonRoot": True, "runAsUser": 101}
    assert (
        main["volumeMounts"]
        == proxy["volumeMounts"]
        == [{"name": "shared", "mountPath": "/shared"}]
    )
    # `service: {}` defaults to one Service port per named port of the main container.
    ports = one(variants[2], "Service", "worker")["spec"]["ports"]
    assert ports == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]


def test_a_scaled_statefulset_and_its_extra_manifest(
    variants: tuple[Platform, RenderedTree, list[tuple[str, Doc]]],
) -> None:
    docs = variants[2]
    sts = one(docs, "StatefulSet", "ledger")
    assert "replicas" not in sts["spec"]
    hpa = one(docs, "HorizontalPodAutoscaler", "ledger")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": "ledger",
    }
    claims = {c["metadata"]["name"]: c["spec"] for c in sts["spec"]["volumeClaimTemplates"]}
    assert claims["wal"]["storageClassName"] == "fast-ssd"
    assert claims["archive"]["accessModes"] == ["ReadWriteMany"]
    assert one(docs, "Service", sts["spec"]["serviceName"])["spec"]["clusterIP"] == "None"
    # Written as given, in the workload's file, after the workload's own objects.
    path, cluster = next((p, d) for p, d in docs if d["kind"] == "Cluster")
    assert cluster == CLUSTER
    assert path == f"{APP}/ledger.yaml"
    assert [d["kind"] for p, d in docs if p == path][-1] == "Cluster"


def test_the_readme_lists_every_image_of_the_variants(
    variants: tuple[Platform, RenderedTree, list[tuple[str, Doc]]],
) -> None:
    platform, tree, docs = variants
    check_images_documented(platform, docs)
    readme = tree.files[f"{APP}/README.md"]
    assert "| `envoyproxy/envoy` | `v1.31.0` | Deployment `worker/proxy` |" in readme
    assert "| `busybox` | `1.36` | Deployment `worker/wait-db` |" in readme


# --- property: Service ports resolve -------------------------------------------------------


@st.composite
def port_layouts(draw: st.DrawFn) -> dict[str, Any]:
    """A workload with 1-4 container ports (some named) and a Service whose ports each point
    at one of them by name, by number or by default (named ones over either protocol)."""
    numbers = draw(st.lists(st.integers(1, 65535), min_size=1, max_size=4, unique=True))
    protocols = draw(
        st.lists(st.sampled_from(["TCP", "UDP"]), min_size=len(numbers), max_size=len(numbers))
    )
    named = draw(st.lists(st.booleans(), min_size=len(numbers), max_size=len(numbers)))
    cports: list[dict[str, Any]] = []
    for i, (number, protocol, has_name) in enumerate(zip(numbers, protocols, named, strict=True)):
        port: dict[str, Any] = {"container_port": number, "protocol": protocol}
        if has_name:
            port["name"] = f"p{i}"
        cports.append(port)
    workload: dict[str, Any] = {
        "name": "prop",
        "image": "registry.example.org/payments/prop:1.0.0",
        "ports": cports,
    }
    if any(named) and draw(st.booleans()):
        workload["service"] = {}  # one Service port per named container port
        return workload
    picks = draw(
        st.lists(st.integers(0, len(cports) - 1), min_size=1, max_size=len(cports), unique=True)
    )
    sports: list[dict[str, Any]] = []
    for j, i in enumerate(picks):
        c = cports[i]
        modes = ["number", "default-number"] + (["name", "default-name"] if "name" in c else [])
        mode = draw(st.sampled_from(modes))
        protocol = c["protocol"]
        if mode in ("name", "default-name"):
            # A named target is matched by name and protocol: half of these try the other one.
            protocol = draw(st.sampled_from([protocol, "TCP", "UDP"]))
        sport: dict[str, Any] = {"name": f"s{j}", "protocol": protocol}
        if mode == "name":
            sport |= {"port": 10000 + j, "target_port": c["name"]}
        elif mode == "number":
            sport |= {"port": 10000 + j, "target_port": c["container_port"]}
        elif mode == "default-name":
            sport |= {"name": c["name"], "port": 10000 + j}
        else:
            sport |= {"port": c["container_port"]}
        sports.append(sport)
    keys = [(p["port"], p["protocol"]) for p in sports]
    if len(set(keys)) != len(keys) or len({p["name"] for p in sports}) != len(sports):
        sports = sports[:1]
    if len(sports) == 1 and draw(st.booleans()):
        sports[0].pop("name")
        number = cports[picks[0]]["container_port"]
        if "target_port" not in sports[0] and sports[0]["port"] != number:
            sports[0]["target_port"] = number
    workload["service"] = {"ports": sports}
    return workload


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(port_layouts())
def test_service_target_ports_always_resolve_to_a_container_port(workload: dict[str, Any]) -> None:
    """What the model accepts renders a Service whose every targetPort is a container port of
    its pods; what it refuses is a named target over another protocol."""
    data = example_data()
    app = next(a for a in data["applications"] if a["name"] == APP)
    app["workloads"] = [workload]
    try:
        platform = Platform.model_validate(data)
    except pydantic.ValidationError as exc:
        [error] = exc.errors()
        sports = workload["service"]["ports"]
        if "which no container port is" in error["msg"]:
            # a numbered target (or the port itself) that no container port of that protocol is
            declared = {(p["container_port"], p["protocol"]) for p in workload["ports"]}
            named = {p["name"] for p in workload["ports"] if "name" in p}
            assert any(
                (target, p["protocol"]) not in declared
                for p in sports
                if not isinstance(p.get("target_port"), str)
                and (p.get("name") not in named or "target_port" in p)
                for target in [p.get("target_port", p["port"])]
            )
            event("refused: a numbered target no container port of its protocol is")
            return
        assert "a Service reaches a named port only over the same protocol" in error["msg"]
        protocols = {p["name"]: p["protocol"] for p in workload["ports"] if "name" in p}
        assert any(
            protocols.get(p.get("target_port", p.get("name"))) not in (None, p["protocol"])
            for p in sports
        )
        event("refused: a named target over another protocol")
        return
    event("accepted")
    assert platform.cross_check() == []
    docs = documents(render(tree_outputs(platform)))
    assert check_services(docs) == len(one(docs, "Service", "prop")["spec"]["ports"]) >= 1
    check_builtin([(p, d) for p, d in docs if d["metadata"]["name"] == "prop"])


STRAY: dict[str, Any] = {
    "name": "stray",
    "image": "registry.example.org/payments/stray:1.0.0",
    "ports": [{"name": "http", "container_port": 8080}],
    "service": {"ports": [{"port": 80}]},  # targetPort defaults to 80: no container's
}


def test_the_property_check_catches_a_port_no_container_has() -> None:
    fine = copy.deepcopy(STRAY)
    fine["service"]["ports"][0]["target_port"] = "http"
    _, docs = rendered(with_workloads(fine))
    one(docs, "Service", "stray")["spec"]["ports"][0]["targetPort"] = 80  # as if it rendered 80
    with pytest.raises(AssertionError, match="targetPort 80 is no container port"):
        check_services(docs)


def test_a_numbered_target_no_container_port_is_is_refused() -> None:
    """The model refuses what the property check would catch: a Service port whose target
    (here the port itself, 80) is no declared container port of its protocol."""
    with pytest.raises(
        pydantic.ValidationError,
        match=re.escape(
            "service port 80/TCP: targets container port 80/TCP, which no container port is"
            " (declared: 8080/TCP)"
        ),
    ):
        with_workloads(STRAY)


@pytest.mark.parametrize(
    "service_port",
    [
        "{name: http, port: 80, target_port: http, protocol: UDP}",
        "{name: http, port: 80, protocol: UDP}",  # the target defaults to the port's name
    ],
)
def test_a_named_target_of_another_protocol_is_refused(service_port: str, tmp_path: Path) -> None:
    """Kubernetes resolves a named targetPort by name and protocol: a UDP Service port naming
    a TCP container port has no endpoints, so the config is refused at the workload's line."""
    text = EXAMPLE.read_text(encoding="utf-8")
    good = "            - {name: http, port: 80, target_port: http}\n"
    assert text.count(good) == 2  # api's and web's
    config = tmp_path / "platform.yaml"
    config.write_text(text.replace(good, f"            - {service_port}\n", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_platform(config, display="platform.yaml")
    assert info.value.lines() == [
        "platform.yaml:62: applications[payments].workloads[api]: service port 80/UDP: its"
        " target, container port 'http', is TCP; a Service reaches a named port only over the"
        " same protocol"
    ]


# --- a workload's own SecretStore and its ExternalSecrets ----------------------------------

AWS_STORE_WORKER: dict[str, Any] = {
    "name": "worker",
    "image": "registry.example.org/payments/worker:1.0.0",
    "service_account": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/w"}},
    "secret_store": {
        "name": "worker-secrets",
        "kind": "ClusterSecretStore",
        "provider": {
            "aws": {
                "service": "SecretsManager",
                "region": "eu-west-1",
                "service_account_namespace": "payments",
            }
        },
        "wave": -2,
    },
    "external_secrets": [
        {"name": "worker-env", "wave": -1, "data": [{"secret_key": "K", "remote_key": "r"}]},
        {
            "name": "shared",
            "store": "platform-store",
            "data": [{"secret_key": "S", "remote_key": "s"}],
        },
    ],
    "env_from": [{"secret": "worker-env"}, {"secret": "shared"}],
}


def test_a_workloads_store_is_rendered_and_read_by_its_external_secrets() -> None:
    platform = with_workloads(AWS_STORE_WORKER)
    _, docs = rendered(platform)
    store = one(docs, "ClusterSecretStore", "worker-secrets")
    assert "namespace" not in store["metadata"]  # cluster-scoped
    account = store["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]
    assert account == {"name": "worker", "namespace": "payments"}
    own = one(docs, "ExternalSecret", "worker-env")["spec"]["secretStoreRef"]
    assert own == {"name": "worker-secrets", "kind": "ClusterSecretStore"}
    other = one(docs, "ExternalSecret", "shared")["spec"]["secretStoreRef"]
    assert other == {"name": "platform-store", "kind": "SecretStore"}
    # The ServiceAccount the store logs in as exists in the store's wave, not after it.
    sa = one(docs, "ServiceAccount", "worker")
    assert sa["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "-2"
    rows = facts(platform)
    assert [(s.name, s.kind) for s in rows.stores if s.app == APP] == [
        ("vault", "SecretStore"),
        ("worker-secrets", "ClusterSecretStore"),
    ]
    assert {s.store for s in rows.secrets if s.external_secret in ("worker-env", "shared")} == {
        "worker-secrets",
        "platform-store",
    }


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda w: w.pop("service_account"),
            "an AWS secret_store authenticates as the workload's ServiceAccount",
        ),
        (
            lambda w: w.pop("secret_store"),
            "external secret 'worker-env' names no `store` and the workload has no `secret_store`",
        ),
    ],
)
def test_a_workloads_secrets_need_their_store_and_account(edit: Any, message: str) -> None:
    worker = copy.deepcopy(AWS_STORE_WORKER)
    edit(worker)
    with pytest.raises(pydantic.ValidationError, match=re.escape(message)):
        with_workloads(worker)


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        ("15 2 * * *", None),
        ("*/5 0-6,22-23 1,15 jan-mar MON-FRI", None),
        ("0 0 ? * 7", None),
        ("@hourly", None),
        ("15 25 * * *", "hour: '25' is outside 0-23"),
        ("60 * * * *", "minute: '60' is outside 0-59"),
        ("0 0 0 * *", "day of month: '0' is outside 1-31"),
        ("0 0 * 13 *", "month: '13' is outside 1-12"),
        ("0 0 * * 8", "day of week: '8' is outside 0-7"),
        ("*/0 * * * *", "minute: step '0' is not a positive number"),
        ("0 2- * * *", "hour: '2-' is not a value or a range"),
        ("0 0 * * 5-1", "day of week: range '5-1' runs backwards"),
        ("? * * * *", "minute: '?' is outside 0-59"),
        ("0 0 * smarch *", "month: 'smarch' is outside 1-12"),
    ],
)
def test_cron_schedules_are_checked_as_the_cronjob_controller_parses_them(
    schedule: str, problem: str | None
) -> None:
    assert cron_problem(schedule) == problem
    cron = {
        "name": "report",
        "kind": "CronJob",
        "image": "registry.example.org/r:1",
        "cron": {"schedule": schedule},
    }
    if problem is None:
        with_workloads(cron)
    else:
        with pytest.raises(pydantic.ValidationError, match=re.escape(problem)):
            with_workloads(cron)


def test_secret_waves_default_to_before_the_workload() -> None:
    """Without explicit waves: ExternalSecrets one wave before the workload, the store (and the
    ServiceAccount it logs in as) one before them; validate agrees with the order."""
    worker = copy.deepcopy(AWS_STORE_WORKER)
    worker["wave"] = 3
    del worker["secret_store"]["wave"]
    del worker["external_secrets"][0]["wave"]
    platform = with_workloads(worker)
    tree, docs = rendered(platform)

    def wave(kind: str, name: str) -> str | None:
        annotations = one(docs, kind, name)["metadata"].get("annotations", {})
        return annotations.get("argocd.argoproj.io/sync-wave")

    assert wave("Deployment", "worker") == "3"
    assert wave("ExternalSecret", "worker-env") == "2"
    assert wave("ClusterSecretStore", "worker-secrets") == "1"
    assert wave("ServiceAccount", "worker") == "1"
    report = validate_memory(MemoryFiles(tree.files, tree.documents))
    assert not [f for f in report.findings if f.rule == "wave-order"]

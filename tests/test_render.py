"""The rendered tree holds every fact of the seed, with its deviations fixed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import DEFAULT_CONFIG, documents, find, load, platform_from_text, render_text

from gigrouter.render import RenderedTree

WAVE = "argocd.argoproj.io/sync-wave"
ALB = "alb.ingress.kubernetes.io/"
CERT = "arn:aws:acm:eu-north-1:231056963705:certificate/5e76be6b-fbf8-474d-a62d-9e746ca23b19"
DOMAIN = "yassinabuelsheikh.store"
SEED_REPO = "https://github.com/NTI-Django-React-Project/k8s-manifests"


@pytest.fixture(scope="module")
def tree() -> RenderedTree:
    return render_text(DEFAULT_CONFIG.read_text(encoding="utf-8"))


def test_seed_file_tree(tree: RenderedTree) -> None:
    assert tree.paths() == [
        "README.md",
        "argocd/apps.yaml",
        "argocd/aws-loadbalancer.yaml",
        "argocd/backend-app.yaml",
        "argocd/external-secrets-app.yaml",
        "argocd/frontend-app.yaml",
        "argocd/logging-app.yaml",
        "argocd/memcached-app.yaml",
        "argocd/monitoring-helm.yaml",
        "argocd/prometheus-crds.yaml",
        "backend/ExternalSecret.yaml",
        "backend/README.md",
        "backend/SecretStore.yaml",
        "backend/configMap.yaml",
        "backend/deployment.yaml",
        "backend/ingress.yaml",
        "backend/job.yaml",
        "backend/redis-service.yaml",
        "backend/redis.yaml",
        "backend/service.yaml",
        "frontend/README.md",
        "frontend/deployment.yaml",
        "frontend/ingress.yaml",
        "frontend/service.yaml",
        "gigrouter-metadata.yaml",
        "logging/README.md",
        "logging/elasticsearch.yaml",
        "logging/fluentd.yaml",
        "logging/ingress.yaml",
        "logging/kibana.yaml",
        "memcached/README.md",
        "memcached/deployment.yaml",
        "memcached/networkpolicy.yaml",
        "memcached/service.yaml",
        "observability/README.md",
        "observability/values.yaml",
    ]
    assert "argocd/cert-manager.yaml" not in tree.files  # disabled stays out


@pytest.mark.parametrize(
    ("file", "name", "wave", "namespace", "path"),
    [
        ("aws-loadbalancer.yaml", "aws-load-balancer-controller", "0", "kube-system", None),
        ("prometheus-crds.yaml", "prometheus-crds", "1", "monitoring", None),
        ("external-secrets-app.yaml", "external-secrets", "2", "external-secrets", None),
        ("monitoring-helm.yaml", "monitoring", "3", "monitoring", None),
        ("memcached-app.yaml", "memcached", "3", "memcached", "memcached"),
        ("backend-app.yaml", "backend", "4", "backend", "backend"),
        ("logging-app.yaml", "logging", "4", "monitoring", "logging"),
        ("frontend-app.yaml", "frontend", "5", "frontend", "frontend"),
    ],
)
def test_child_applications(
    tree: RenderedTree, file: str, name: str, wave: str, namespace: str, path: str | None
) -> None:
    app = load(tree, f"argocd/{file}")
    assert app["kind"] == "Application"
    assert app["metadata"]["name"] == name
    assert app["metadata"]["namespace"] == "argocd"
    assert app["metadata"]["annotations"][WAVE] == wave
    assert app["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    assert app["spec"]["destination"] == {
        "server": "https://kubernetes.default.svc",
        "namespace": namespace,
    }
    sync = app["spec"]["syncPolicy"]
    assert "CreateNamespace=true" in sync["syncOptions"]  # deviation 5
    if path is not None:
        assert app["spec"]["source"] == {
            "repoURL": SEED_REPO,
            "targetRevision": "main",
            "path": path,
        }
        assert sync["automated"] == {"prune": True, "selfHeal": True}


def test_root_app_of_apps(tree: RenderedTree) -> None:
    root = load(tree, "argocd/apps.yaml")
    assert root["metadata"] == {
        "name": "platform",
        "namespace": "argocd",
        "labels": {
            "app.kubernetes.io/part-of": "gig-router",
            "app.kubernetes.io/managed-by": "gigrouter",
        },
    }
    assert root["spec"]["source"] == {
        "repoURL": SEED_REPO,
        "targetRevision": "main",
        "path": "argocd",
    }
    assert root["spec"]["destination"]["namespace"] == "argocd"
    assert root["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}


def helm_source(tree: RenderedTree, file: str) -> dict[str, Any]:
    spec = load(tree, f"argocd/{file}")["spec"]
    return spec["source"] if "source" in spec else spec["sources"][0]


def test_alb_controller_chart(tree: RenderedTree) -> None:
    app = load(tree, "argocd/aws-loadbalancer.yaml")
    src = app["spec"]["source"]
    assert (src["repoURL"], src["chart"], src["targetRevision"]) == (
        "https://aws.github.io/eks-charts",
        "aws-load-balancer-controller",
        "3.0.0",
    )
    assert src["helm"]["valuesObject"] == {
        "clusterName": "gig-route-cluster",
        "region": "eu-north-1",
        "vpcId": "vpc-04bfe886a3143adb7",
        "serviceAccount": {"create": False, "name": "aws-load-balancer-controller"},
    }
    # deviation 8: the regenerated webhook certificate is not drift
    ignored = {(d["kind"], d.get("name")) for d in app["spec"]["ignoreDifferences"]}
    assert ignored == {
        ("Secret", "aws-load-balancer-tls"),
        ("MutatingWebhookConfiguration", "aws-load-balancer-webhook"),
        ("ValidatingWebhookConfiguration", "aws-load-balancer-webhook"),
    }
    assert "RespectIgnoreDifferences=true" in app["spec"]["syncPolicy"]["syncOptions"]


def test_prometheus_crds_only_installs_crds(tree: RenderedTree) -> None:
    app = load(tree, "argocd/prometheus-crds.yaml")
    src = app["spec"]["source"]
    assert (src["chart"], src["targetRevision"]) == ("kube-prometheus-stack", "58.5.0")
    assert src["repoURL"] == "https://prometheus-community.github.io/helm-charts"
    values = src["helm"]["valuesObject"]
    assert values["crds"] == {"enabled": True}
    switched = {k for k, v in values.items() if k != "crds"}
    assert all(
        v == {"enabled": False} or v == {"create": False} for k, v in values.items() if k != "crds"
    )
    # every component the config switches off, and nothing else
    config = platform_from_text(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    (crds_app,) = [a for a in config.applications if a.name == "prometheus-crds"]
    assert crds_app.helm is not None
    assert switched == set(crds_app.helm.values) - {"crds"}
    assert switched  # so the check above is not vacuous
    sync = app["spec"]["syncPolicy"]
    assert sync["automated"]["prune"] is False
    assert {"ServerSideApply=true", "Replace=true"} <= set(sync["syncOptions"])
    assert sync["retry"] == {
        "limit": 5,
        "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"},
    }
    assert app["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]


def test_external_secrets_chart(tree: RenderedTree) -> None:
    src = helm_source(tree, "external-secrets-app.yaml")
    assert (src["repoURL"], src["chart"], src["targetRevision"]) == (
        "https://charts.external-secrets.io",
        "external-secrets",
        "0.9.13",
    )
    assert src["helm"]["valuesObject"] == {"installCRDs": True}


def test_monitoring_multi_source(tree: RenderedTree) -> None:
    spec = load(tree, "argocd/monitoring-helm.yaml")["spec"]
    chart, values = spec["sources"]
    assert (chart["chart"], chart["targetRevision"]) == ("kube-prometheus-stack", "58.5.0")
    assert chart["helm"] == {
        "releaseName": "monitoring",
        "valueFiles": ["$values/observability/values.yaml"],
        "skipCrds": True,
    }
    assert values == {"repoURL": SEED_REPO, "targetRevision": "main", "ref": "values"}


def test_backend_internal_waves(tree: RenderedTree) -> None:
    waves = {
        (doc["kind"], doc["metadata"]["name"]): doc["metadata"].get("annotations", {}).get(WAVE)
        for path, doc in documents(tree)
        if path.startswith("backend/")
    }
    assert waves == {
        ("ConfigMap", "rds-config"): "0",
        ("SecretStore", "aws-secrets"): "1",
        ("ExternalSecret", "rds-db-secret"): "2",
        ("Job", "django-migrate"): "3",
        ("Deployment", "backend"): "4",
        ("Service", "backend"): "5",
        ("Ingress", "backend-ingress"): "6",
        ("Deployment", "redis"): None,
        ("Service", "redis"): None,
    }


def test_every_namespaced_object_has_its_namespace(tree: RenderedTree) -> None:
    apps = {
        "backend": "backend",
        "frontend": "frontend",
        "memcached": "memcached",
        "logging": "monitoring",
        "argocd": "argocd",
    }
    for path, doc in documents(tree):
        assert doc["metadata"]["namespace"] == apps[path.split("/")[0]], path


def test_backend_facts(tree: RenderedTree) -> None:
    cm = find(tree, "ConfigMap", "rds-config")
    assert cm["data"] == {
        "DB_HOST": "gig-route.c1iuiewi0186.eu-north-1.rds.amazonaws.com",
        "DB_NAME": "gig_route",
        "DB_USER": "gig_route_db_user",
        "REDIS_URL": "redis://redis:6379/0",
    }
    deploy = find(tree, "Deployment", "backend")
    assert deploy["spec"]["replicas"] == 2
    pod = deploy["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "backend-sa"
    (c,) = pod["containers"]
    assert (
        c["image"] == "231056963705.dkr.ecr.eu-north-1.amazonaws.com/gig-route-backend:39-ae9ef90"
    )
    assert c["ports"][0]["containerPort"] == 8000
    assert c["envFrom"] == [{"configMapRef": {"name": "rds-config"}}]
    env = {e["name"]: e for e in c["env"]}
    assert env["DB_PASSWORD"]["valueFrom"] == {
        "secretKeyRef": {"name": "rds-db-secret", "key": "DB_PASSWORD"}
    }
    assert env["ALLOWED_HOSTS"]["value"] == (
        "yassinabuelsheikh.store,.yassinabuelsheikh.store,backend,backend.backend,"
        "backend.backend.svc,localhost,127.0.0.1"
    )
    # deviation 11: a probe that the Host check cannot fail
    assert c["readinessProbe"]["tcpSocket"] == {"port": 8000}
    assert set(c["resources"]) == {"requests", "limits"}
    svc = find(tree, "Service", "backend")
    assert svc["spec"]["ports"][0]["port"] == 8000
    assert svc["spec"]["type"] == "ClusterIP"


def test_redis(tree: RenderedTree) -> None:
    redis = find(tree, "Deployment", "redis")
    (c,) = redis["spec"]["template"]["spec"]["containers"]
    assert c["image"] == "redis:7.2-alpine"
    assert c["resources"] == {
        "requests": {"cpu": "50m", "memory": "64Mi"},
        "limits": {"cpu": "200m", "memory": "256Mi"},
    }
    assert "readinessProbe" in c
    assert find(tree, "Service", "redis")["spec"]["ports"][0]["port"] == 6379


def test_secret_store_and_external_secret(tree: RenderedTree) -> None:
    store = find(tree, "SecretStore", "aws-secrets")
    assert store["apiVersion"] == "external-secrets.io/v1beta1"
    assert store["spec"]["provider"]["aws"] == {
        "service": "SecretsManager",
        "region": "eu-north-1",
        "auth": {"jwt": {"serviceAccountRef": {"name": "backend-sa"}}},
    }
    es = find(tree, "ExternalSecret", "rds-db-secret")
    assert es["apiVersion"] == "external-secrets.io/v1beta1"
    # deviation 7: every API-server default spelled out
    assert es["spec"] == {
        "refreshInterval": "1h",
        "secretStoreRef": {"name": "aws-secrets", "kind": "SecretStore"},
        "target": {"name": "rds-db-secret", "creationPolicy": "Owner", "deletionPolicy": "Retain"},
        "data": [
            {
                "secretKey": "DB_PASSWORD",
                "remoteRef": {
                    "key": "rds!db-2b8beca6-8393-45bc-901d-1ca9de0c8346",
                    "property": "password",
                    "conversionStrategy": "Default",
                    "decodingStrategy": "None",
                    "metadataPolicy": "None",
                },
            }
        ],
    }


def test_migration_job_is_a_sync_hook(tree: RenderedTree) -> None:
    job = find(tree, "Job", "django-migrate")
    ann = job["metadata"]["annotations"]
    # deviation 2: wave 3, survives an image change, runs after the ExternalSecret
    assert ann == {
        "argocd.argoproj.io/hook": "Sync",
        "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
        WAVE: "3",
    }
    pod = job["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "backend-sa"
    assert pod["restartPolicy"] == "Never"
    (c,) = pod["containers"]
    assert c["command"] == ["python", "manage.py", "migrate"]
    backend = find(tree, "Deployment", "backend")["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == backend["image"]
    assert c["envFrom"] == backend["envFrom"] and c["env"] == backend["env"]


def test_frontend_listens_on_80(tree: RenderedTree) -> None:
    deploy = find(tree, "Deployment", "frontend")
    assert deploy["spec"]["replicas"] == 2
    (c,) = deploy["spec"]["template"]["spec"]["containers"]
    assert c["image"] == "mazenmostafa429/frontend:2"
    assert c["ports"][0]["containerPort"] == 80  # deviation 3
    svc = find(tree, "Service", "frontend")
    assert svc["spec"]["ports"][0]["port"] == 80
    assert svc["spec"]["ports"][0]["targetPort"] == 80


def alb_annotations(order: str) -> dict[str, str]:
    return {
        ALB + "scheme": "internet-facing",
        ALB + "target-type": "ip",
        ALB + "listen-ports": '[{"HTTP":80},{"HTTPS":443}]',
        ALB + "ssl-redirect": "443",
        ALB + "group.name": "shared-alb",
        ALB + "certificate-arn": CERT,
        ALB + "group.order": order,
    }


@pytest.mark.parametrize(
    ("name", "order", "routes"),
    [
        ("backend-ingress", "10", [(DOMAIN, "/api", "backend", 8000)]),
        ("frontend-ingress", "20", [(DOMAIN, "/", "frontend", 80)]),
        (
            "monitoring-ingress",
            "30",
            [
                (f"kibana.{DOMAIN}", "/", "kibana", 5601),
                (f"prometheus.{DOMAIN}", "/", "monitoring-kube-prometheus-prometheus", 9090),
            ],
        ),
    ],
)
def test_ingresses(
    tree: RenderedTree, name: str, order: str, routes: list[tuple[str, str, str, int]]
) -> None:
    ing = find(tree, "Ingress", name)
    ann = {k: v for k, v in ing["metadata"]["annotations"].items() if k != WAVE}
    ann.pop(ALB + "healthcheck-path", None)
    assert ann == alb_annotations(order)
    assert ing["spec"]["ingressClassName"] == "alb"
    got = [
        (
            rule["host"],
            p["path"],
            p["backend"]["service"]["name"],
            p["backend"]["service"]["port"]["number"],
        )
        for rule in ing["spec"]["rules"]
        for p in rule["http"]["paths"]
    ]
    assert got == routes


def test_backend_api_evaluated_before_frontend_catch_all(tree: RenderedTree) -> None:
    # deviation 9: explicit group.order, lower first
    api = int(
        find(tree, "Ingress", "backend-ingress")["metadata"]["annotations"][ALB + "group.order"]
    )
    root = int(
        find(tree, "Ingress", "frontend-ingress")["metadata"]["annotations"][ALB + "group.order"]
    )
    assert api < root
    health = find(tree, "Ingress", "backend-ingress")["metadata"]["annotations"][
        ALB + "healthcheck-path"
    ]
    assert health == "/api/health/"


def test_grafana_host_routed_once(tree: RenderedTree) -> None:
    # deviation 4: the chart values route Grafana; logging/ingress.yaml does not
    hosts = [
        rule["host"]
        for _, doc in documents(tree)
        if doc["kind"] == "Ingress"
        for rule in doc["spec"]["rules"]
    ]
    values = load(tree, "observability/values.yaml")
    hosts += values["grafana"]["ingress"]["hosts"]
    assert hosts.count(f"grafana.{DOMAIN}") == 1
    assert values["grafana"]["ingress"]["annotations"] == alb_annotations("30")


def test_memcached_network_policy(tree: RenderedTree) -> None:
    deploy = find(tree, "Deployment", "memcached")
    assert deploy["spec"]["replicas"] == 1
    (c,) = deploy["spec"]["template"]["spec"]["containers"]
    assert c["image"] == "memcached:1.6"
    assert find(tree, "Service", "memcached")["spec"]["ports"][0]["port"] == 11211
    policy = find(tree, "NetworkPolicy", "allow-backend-only")
    # deviation 1: a label every namespace really carries
    assert policy["spec"]["ingress"] == [
        {
            "from": [
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "backend"}}}
            ],
            "ports": [{"protocol": "TCP", "port": 11211}],
        }
    ]
    assert policy["spec"]["podSelector"] == {"matchLabels": {"app": "memcached"}}


def test_logging_stack(tree: RenderedTree) -> None:
    es = find(tree, "Deployment", "elasticsearch")
    (c,) = es["spec"]["template"]["spec"]["containers"]
    assert c["image"] == "docker.elastic.co/elasticsearch/elasticsearch:8.11.1"
    env = {e["name"]: e["value"] for e in c["env"]}
    assert env == {
        "discovery.type": "single-node",
        "ES_JAVA_OPTS": "-Xms512m -Xmx512m",
        "xpack.security.enabled": "false",
    }
    assert c["resources"]["limits"]["memory"] == "2Gi"
    assert c["readinessProbe"]["httpGet"]["path"] == "/_cluster/health"
    kb = find(tree, "Deployment", "kibana")["spec"]["template"]["spec"]["containers"][0]
    assert kb["image"] == "docker.elastic.co/kibana/kibana:8.11.1"
    assert kb["env"] == [{"name": "ELASTICSEARCH_HOSTS", "value": "http://elasticsearch:9200"}]
    assert kb["resources"]["requests"]["memory"] == "512Mi"
    assert kb["resources"]["limits"]["memory"] == "1Gi"
    assert kb["readinessProbe"]["httpGet"]["path"] == "/api/status"
    fb = find(tree, "DaemonSet", "fluent-bit")["spec"]["template"]["spec"]
    assert fb["containers"][0]["image"] == "cr.fluentbit.io/fluent/fluent-bit:2.2.2"
    assert all(m.get("readOnly") for m in fb["containers"][0]["volumeMounts"])
    conf = find(tree, "ConfigMap", "fluent-bit-config")["data"]["fluent-bit.conf"]
    assert "Path              /var/log/pods/*/*/*.log" in conf
    assert "Index               fluent-bit" in conf
    assert "Host                elasticsearch" in conf


def test_observability_values(tree: RenderedTree) -> None:
    values = load(tree, "observability/values.yaml")
    spec = values["prometheus"]["prometheusSpec"]
    assert spec == {
        "replicas": 1,
        "retention": "3h",
        "retentionSize": "200MB",
        "resources": {"requests": {"memory": "1Gi"}, "limits": {"memory": "5Gi"}},
    }
    assert values["grafana"]["persistence"] == {"enabled": True, "size": "5Gi"}
    assert values["grafana"]["admin"]["existingSecret"] == "grafana-admin-secret"
    assert values["kube-state-metrics"]["resources"] == {
        "requests": {"cpu": "50m", "memory": "64Mi"},
        "limits": {"cpu": "100m", "memory": "128Mi"},
    }
    assert values["prometheus-node-exporter"]["resources"] == {
        "requests": {"cpu": "50m", "memory": "32Mi"},
        "limits": {"cpu": "100m", "memory": "64Mi"},
    }
    for name in ("kubeEtcd", "kubeControllerManager", "kubeScheduler", "kubeProxy", "coreDns"):
        assert values[name] == {"enabled": False}


def test_metadata_file(tree: RenderedTree) -> None:
    meta = load(tree, "gigrouter-metadata.yaml")
    assert meta["argocd"]["applicationHealthCheck"] is True
    refs = {(e["kind"], e["namespace"], e["name"]) for e in meta["externals"]}
    assert {
        ("ServiceAccount", "backend", "backend-sa"),
        ("Secret", "monitoring", "grafana-admin-secret"),
        ("Service", "monitoring", "monitoring-grafana"),
        ("Service", "monitoring", "monitoring-kube-prometheus-prometheus"),
    } <= refs
    groups = {g for entry in meta["crds"] for g in entry["groups"]}
    assert {"monitoring.coreos.com", "external-secrets.io", "elbv2.k8s.aws"} <= groups
    assert meta["entries"] == sorted({p.split("/")[0] for p in tree.files})
    assert meta["dependsOn"]["frontend"] == ["backend"]
    assert meta["dependsOn"]["backend"] == ["external-secrets", "memcached"]


def test_annotation_and_label_values_are_strings(tree: RenderedTree) -> None:
    for path, doc in documents(tree):
        for section in ("annotations", "labels"):
            for key, value in doc["metadata"].get(section, {}).items():
                assert isinstance(value, str), (path, key, value)


def test_no_secret_values_in_tree(tree: RenderedTree) -> None:
    assert not [d for _, d in documents(tree) if d["kind"] == "Secret"]
    assert "password:" not in json.dumps([d for _, d in documents(tree)]).lower()


def test_a_drained_list_renders_the_same_tree_and_is_emptied() -> None:
    from helpers import platform_from_text

    from gigrouter.pipeline import tree_outputs
    from gigrouter.render import drain, render

    platform = platform_from_text(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    outputs = tree_outputs(platform)
    expected = render(list(outputs))
    drained = render(drain(outputs))
    assert outputs == []
    assert list(drained.files) == list(expected.files)
    assert drained.files == expected.files
    assert drained.documents == expected.documents

"""Tests for gigrouter.validate.rules.references: every reference resolves, every pull is pinned.

Each rule gets a tree it must flag (rule, severity, resource and the words that say what to do)
and the correct twin it must leave alone. Trees are YAML files in tmp_path read by the real
loader. A tree without gigrouter-metadata.yaml is foreign: what it cannot resolve is a warning;
with the metadata (gigrouter's own) it is an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gigrouter.validate.context import Options
from gigrouter.validate.findings import Finding, Severity
from gigrouter.validate.rules import argocd, references
from gigrouter.validate.rules.references import normalise_repo
from gigrouter.validate.runner import build_context, validate_path
from gigrouter.validate.tree import load_tree

Doc = dict[str, Any]
NS = "shop"
ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
OWN_REPO = "https://github.com/acme/gitops.git"


def write(root: Path, files: dict[str, list[Doc]]) -> None:
    for rel, docs in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")


def check(root: Path, *docs: Doc, own: bool = False, rule: str | None = None) -> list[Finding]:
    write(root, {"manifests.yaml": list(docs)})
    if own:
        meta = {"gigrouter": {"format": 1}, "gitops": {"repoURL": OWN_REPO, "path": ""}}
        (root / "gigrouter-metadata.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    ctx = build_context(load_tree(root), Options())
    found = list(references.check(ctx))
    return [f for f in found if rule is None or f.rule == rule]


def got(findings: list[Finding]) -> list[tuple[str, Severity, str]]:
    return sorted((f.rule, f.severity, str(f.resource)) for f in findings)


def meta(kind: str, name: str, api: str, namespace: str | None = NS, **rest: Any) -> Doc:
    m: Doc = {"name": name}
    if namespace:
        m["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": m, **rest}


def workload(
    name: str = "web",
    kind: str = "Deployment",
    labels: Doc | None = None,
    ports: list[Doc] | None = None,
    **pod: Any,
) -> Doc:
    labels = labels or {"app": name}
    container = {"name": "app", "image": "nginx:1.27"}
    if ports is not None:
        container["ports"] = ports
    return meta(
        kind,
        name,
        "apps/v1",
        spec={
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [container], **pod},
            },
        },
    )


# --------------------------------------------------------------------------------------------
# scale-target-ref
# --------------------------------------------------------------------------------------------


def hpa(kind: str, name: str = "web", api: str = "apps/v1") -> Doc:
    ref = {"apiVersion": api, "kind": kind, "name": name}
    return meta(
        "HorizontalPodAutoscaler",
        "web",
        "autoscaling/v2",
        spec={"scaleTargetRef": ref, "minReplicas": 1, "maxReplicas": 3},
    )


def test_an_hpa_of_a_deployment_in_its_namespace_is_fine(tmp_path: Path) -> None:
    assert check(tmp_path, workload(), hpa("Deployment")) == []


def test_an_hpa_of_a_missing_workload_names_the_one_that_is_there(tmp_path: Path) -> None:
    found = check(tmp_path, workload(kind="StatefulSet"), hpa("Deployment"))
    assert got(found) == [("scale-target-ref", WARNING, f"HorizontalPodAutoscaler/{NS}/web")]
    assert "there is a StatefulSet web: fix spec.scaleTargetRef.kind" in found[0].message
    assert "--external Deployment/shop/web" in found[0].message


def test_in_gigrouters_own_tree_a_missing_target_is_an_error(tmp_path: Path) -> None:
    found = check(tmp_path, hpa("Deployment", "api"), own=True)
    assert got(found) == [("scale-target-ref", ERROR, f"HorizontalPodAutoscaler/{NS}/web")]


def test_an_hpa_of_a_workload_in_another_group_is_missing(tmp_path: Path) -> None:
    found = check(tmp_path, workload(), hpa("Deployment", api="extensions/v1beta1"))
    assert got(found) == [("scale-target-ref", WARNING, f"HorizontalPodAutoscaler/{NS}/web")]


def test_an_hpa_of_a_daemonset_is_an_error_a_vpa_of_it_is_not(tmp_path: Path) -> None:
    vpa = meta(
        "VerticalPodAutoscaler",
        "web",
        "autoscaling.k8s.io/v1",
        spec={"targetRef": {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "web"}},
    )
    found = check(tmp_path, workload(kind="DaemonSet"), hpa("DaemonSet"), vpa)
    assert got(found) == [("scale-target-ref", ERROR, f"HorizontalPodAutoscaler/{NS}/web")]
    assert "has no scale subresource" in found[0].message


def test_a_vpa_of_a_configmap_sizes_nothing(tmp_path: Path) -> None:
    vpa = meta(
        "VerticalPodAutoscaler",
        "web",
        "autoscaling.k8s.io/v1",
        spec={"targetRef": {"apiVersion": "v1", "kind": "ConfigMap", "name": "web"}},
    )
    found = check(tmp_path, meta("ConfigMap", "web", "v1", data={"a": "b"}), vpa)
    assert got(found) == [("scale-target-ref", ERROR, f"VerticalPodAutoscaler/{NS}/web")]
    assert "owns no pods" in found[0].message


def test_keda_targets_a_deployment_when_it_names_no_kind(tmp_path: Path) -> None:
    scaled = meta(
        "ScaledObject", "web", "keda.sh/v1alpha1", spec={"scaleTargetRef": {"name": "web"}}
    )
    assert check(tmp_path, workload(), scaled) == []
    other = meta(
        "ScaledObject", "w2", "keda.sh/v1alpha1", spec={"scaleTargetRef": {"name": "nope"}}
    )
    assert got(check(tmp_path, workload(), other)) == [
        ("scale-target-ref", WARNING, f"ScaledObject/{NS}/w2")
    ]


@pytest.mark.parametrize(("subresources", "flagged"), [({"scale": {}}, False), ({}, True)])
def test_a_custom_kind_is_scalable_when_its_crd_says_so(
    tmp_path: Path, subresources: Doc, flagged: bool
) -> None:
    crd = meta(
        "CustomResourceDefinition",
        "widgets.example.com",
        "apiextensions.k8s.io/v1",
        namespace=None,
        spec={
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [
                {"name": "v1", "served": True, "storage": True, "subresources": subresources}
            ],
        },
    )
    widget = meta("Widget", "web", "example.com/v1", spec={})
    found = check(tmp_path, crd, widget, hpa("Widget", api="example.com/v1"))
    assert [f.rule for f in found] == (["scale-target-ref"] if flagged else [])


# --------------------------------------------------------------------------------------------
# pdb-selects-nothing
# --------------------------------------------------------------------------------------------


def pdb(selector: Doc | None) -> Doc:
    spec: Doc = {"minAvailable": 1}
    if selector is not None:
        spec["selector"] = selector
    return meta("PodDisruptionBudget", "web", "policy/v1", spec=spec)


@pytest.mark.parametrize(
    ("selector", "flagged"),
    [
        ({"matchLabels": {"app": "web"}}, False),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "x"]}]}, False),
        ({}, False),  # every pod of the namespace
        ({"matchLabels": {"app": "webapp"}}, True),
        (None, True),  # a policy/v1 PDB without selector selects no pods
    ],
)
def test_a_pdb_must_select_pods_of_its_namespace(
    tmp_path: Path, selector: Doc | None, flagged: bool
) -> None:
    found = check(tmp_path, workload(), pdb(selector))
    assert got(found) == (
        [("pdb-selects-nothing", WARNING, f"PodDisruptionBudget/{NS}/web")] if flagged else []
    )


def test_a_pdb_does_not_select_pods_of_another_namespace(tmp_path: Path) -> None:
    other = workload()
    other["metadata"]["namespace"] = "other"
    assert [f.rule for f in check(tmp_path, other, pdb({"matchLabels": {"app": "web"}}))] == [
        "pdb-selects-nothing"
    ]


# --------------------------------------------------------------------------------------------
# monitor-selects-nothing, monitor-port
# --------------------------------------------------------------------------------------------


def service(name: str = "web", namespace: str = NS, port_name: str = "metrics") -> Doc:
    svc = meta(
        "Service",
        name,
        "v1",
        namespace=namespace,
        spec={"selector": {"app": name}, "ports": [{"name": port_name, "port": 9090}]},
    )
    svc["metadata"]["labels"] = {"app": name}
    return svc


def service_monitor(port: str = "metrics", namespaces: Doc | None = None) -> Doc:
    spec: Doc = {"selector": {"matchLabels": {"app": "web"}}, "endpoints": [{"port": port}]}
    if namespaces is not None:
        spec["namespaceSelector"] = namespaces
    return meta(
        "ServiceMonitor", "web", "monitoring.coreos.com/v1", namespace="monitoring", spec=spec
    )


@pytest.mark.parametrize(
    ("namespaces", "port", "want"),
    [
        ({"matchNames": [NS]}, "metrics", []),
        ({"any": True}, "metrics", []),
        ({"matchNames": [NS]}, "http-metrics", ["monitor-port"]),
        (None, "metrics", ["monitor-selects-nothing"]),  # only its own namespace is watched
        ({"matchNames": ["prod"]}, "metrics", ["monitor-selects-nothing"]),
    ],
)
def test_a_service_monitor_selects_services_and_their_port_names(
    tmp_path: Path, namespaces: Doc | None, port: str, want: list[str]
) -> None:
    found = check(tmp_path, service(), service_monitor(port, namespaces))
    assert [f.rule for f in found] == want
    if want == ["monitor-port"]:
        assert found[0].severity is ERROR
        assert "named: metrics" in found[0].message


def test_a_pod_monitor_checks_container_port_names(tmp_path: Path) -> None:
    pods = workload(ports=[{"name": "metrics", "containerPort": 9090}])

    def pod_monitor(port: str) -> Doc:
        return meta(
            "PodMonitor",
            "web",
            "monitoring.coreos.com/v1",
            spec={
                "selector": {"matchLabels": {"app": "web"}},
                "podMetricsEndpoints": [{"port": port}],
            },
        )

    assert check(tmp_path, pods, pod_monitor("metrics")) == []
    found = check(tmp_path, pods, pod_monitor("http"))
    assert got(found) == [("monitor-port", ERROR, f"PodMonitor/{NS}/web")]


# --------------------------------------------------------------------------------------------
# pvc-ref, priority-class-ref
# --------------------------------------------------------------------------------------------


def claim_volume(claim: str) -> list[Doc]:
    return [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]


def test_a_claimed_pvc_must_be_in_the_namespace(tmp_path: Path) -> None:
    pvc = meta("PersistentVolumeClaim", "data", "v1", spec={"accessModes": ["ReadWriteOnce"]})
    assert check(tmp_path, pvc, workload(volumes=claim_volume("data"))) == []
    found = check(tmp_path, pvc, workload(volumes=claim_volume("dta")))
    assert got(found) == [("pvc-ref", WARNING, f"Deployment/{NS}/web")]
    assert "claimName is dta" in found[0].message


def test_a_claim_a_statefulset_template_makes_resolves(tmp_path: Path) -> None:
    db = workload("db", kind="StatefulSet")
    db["spec"]["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {}}]
    backup = workload("backup", volumes=claim_volume("data-db-0"))
    assert check(tmp_path, db, backup) == []
    assert [
        f.rule for f in check(tmp_path, db, workload("b", volumes=claim_volume("data-db-x")))
    ] == ["pvc-ref"]


@pytest.mark.parametrize(
    ("name", "flagged"),
    [
        ("system-node-critical", False),
        ("system-cluster-critical", False),
        ("high", False),
        ("hihg", True),
    ],
)
def test_a_priority_class_must_exist_or_be_built_in(
    tmp_path: Path, name: str, flagged: bool
) -> None:
    pc = meta("PriorityClass", "high", "scheduling.k8s.io/v1", namespace=None, value=1000)
    found = check(tmp_path, pc, workload(priorityClassName=name))
    assert got(found) == (
        [("priority-class-ref", WARNING, f"Deployment/{NS}/web")] if flagged else []
    )


# --------------------------------------------------------------------------------------------
# pull secrets: pull-secret-type, a ServiceAccount's imagePullSecrets
# --------------------------------------------------------------------------------------------


def pull_secret(kind_type: str) -> Doc:
    return meta("Secret", "registry", "v1", type=kind_type)


@pytest.mark.parametrize(
    ("secret_type", "flagged"),
    [
        ("kubernetes.io/dockerconfigjson", False),
        ("kubernetes.io/dockercfg", False),
        ("Opaque", True),
    ],
)
def test_a_pull_secret_must_have_the_docker_type(
    tmp_path: Path, secret_type: str, flagged: bool
) -> None:
    pods = workload(imagePullSecrets=[{"name": "registry"}])
    found = check(tmp_path, pull_secret(secret_type), pods)
    assert got(found) == ([("pull-secret-type", ERROR, f"Deployment/{NS}/web")] if flagged else [])


def test_an_external_secret_without_template_type_makes_an_opaque_pull_secret(
    tmp_path: Path,
) -> None:
    es = meta(
        "ExternalSecret",
        "registry",
        "external-secrets.io/v1beta1",
        spec={"secretStoreRef": {"name": "s"}, "target": {"name": "registry"}},
    )
    found = check(tmp_path, es, workload(imagePullSecrets=[{"name": "registry"}]))
    assert got(found) == [("pull-secret-type", ERROR, f"Deployment/{NS}/web")]
    assert "spec.target.template.type" in found[0].message


def test_a_service_accounts_pull_secrets_resolve(tmp_path: Path) -> None:
    sa = meta("ServiceAccount", "builder", "v1", imagePullSecrets=[{"name": "registry"}])
    assert check(tmp_path, sa, pull_secret("kubernetes.io/dockerconfigjson")) == []
    found = check(tmp_path, sa)
    assert got(found) == [("secret-ref", WARNING, f"ServiceAccount/{NS}/builder")]
    assert got(check(tmp_path, sa, pull_secret("Opaque"))) == [
        ("pull-secret-type", ERROR, f"ServiceAccount/{NS}/builder")
    ]


# --------------------------------------------------------------------------------------------
# ingress-tls-secret
# --------------------------------------------------------------------------------------------


def ingress(secret: str = "web-tls", klass: str = "nginx", annotations: Doc | None = None) -> Doc:
    doc = meta(
        "Ingress",
        "web",
        "networking.k8s.io/v1",
        spec={
            "ingressClassName": klass,
            "tls": [{"hosts": ["a.example.com"], "secretName": secret}],
        },
    )
    if annotations:
        doc["metadata"]["annotations"] = annotations
    return doc


def tls_secret(keys: tuple[str, ...] = ("tls.crt", "tls.key")) -> Doc:
    return meta("Secret", "web-tls", "v1", type="kubernetes.io/tls", data={k: "eA==" for k in keys})


def test_a_tls_secret_that_nothing_creates(tmp_path: Path) -> None:
    found = check(tmp_path, ingress())
    assert got(found) == [("ingress-tls-secret", WARNING, f"Ingress/{NS}/web")]
    assert "cert-manager.io/cluster-issuer" in found[0].message


@pytest.mark.parametrize(
    "maker",
    [
        tls_secret(),
        meta("Certificate", "web", "cert-manager.io/v1", spec={"secretName": "web-tls"}),
    ],
)
def test_a_tls_secret_made_by_a_secret_or_a_certificate(tmp_path: Path, maker: Doc) -> None:
    assert check(tmp_path, ingress(), maker) == []


@pytest.mark.parametrize(
    "annotations",
    [
        {"cert-manager.io/cluster-issuer": "letsencrypt"},
        {"cert-manager.io/issuer": "local"},
        {"kubernetes.io/tls-acme": "true"},
    ],
)
def test_cert_managers_ingress_shim_makes_the_secret(tmp_path: Path, annotations: Doc) -> None:
    assert check(tmp_path, ingress(annotations=annotations)) == []


def test_a_tls_secret_without_its_keys_is_an_error(tmp_path: Path) -> None:
    found = check(tmp_path, ingress(), tls_secret(("tls.crt",)))
    assert got(found) == [("ingress-tls-secret", ERROR, f"Ingress/{NS}/web")]
    assert "no tls.key" in found[0].message


def test_an_alb_reads_no_tls_secret(tmp_path: Path) -> None:
    found = check(tmp_path, ingress(klass="alb"))
    assert got(found) == [("ingress-tls-secret", INFO, f"Ingress/{NS}/web")]
    assert "ACM" in found[0].message


# --------------------------------------------------------------------------------------------
# rbac-subject-ref, rbac-role-ref
# --------------------------------------------------------------------------------------------


def binding(
    kind: str = "RoleBinding",
    role: tuple[str, str] = ("Role", "deployer"),
    subject: Doc | None = None,
) -> Doc:
    subject = subject if subject is not None else {"kind": "ServiceAccount", "name": "deployer"}
    return meta(
        kind,
        "deployer",
        "rbac.authorization.k8s.io/v1",
        namespace=NS if kind == "RoleBinding" else None,
        subjects=[subject],
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": role[0], "name": role[1]},
    )


SA = meta("ServiceAccount", "deployer", "v1")
ROLE = meta("Role", "deployer", "rbac.authorization.k8s.io/v1", rules=[])
CLUSTER_ROLE = meta(
    "ClusterRole", "reader", "rbac.authorization.k8s.io/v1", namespace=None, rules=[]
)


@pytest.mark.parametrize(
    ("doc", "want"),
    [
        (binding(), []),
        (binding(role=("ClusterRole", "view")), []),
        (binding(role=("ClusterRole", "system:auth-delegator")), []),
        (binding(role=("ClusterRole", "reader")), []),
        (binding("ClusterRoleBinding", ("ClusterRole", "reader"), {"kind": "ServiceAccount", "name": "deployer", "namespace": NS}), []),
        (binding(subject={"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"}), []),
        (binding(subject={"kind": "ServiceAccount", "name": "default", "namespace": "kube-system"}), []),
        (binding(subject={"kind": "ServiceAccount", "name": "deployr"}), [("rbac-subject-ref", WARNING)]),
        (binding(role=("Role", "deploy")), [("rbac-role-ref", WARNING)]),
        (binding(role=("ClusterRole", "deployer")), [("rbac-role-ref", WARNING)]),
        (binding("ClusterRoleBinding", ("Role", "deployer"), {"kind": "ServiceAccount", "name": "deployer", "namespace": NS}), [("rbac-role-ref", ERROR)]),
        (binding("ClusterRoleBinding", ("ClusterRole", "reader")), [("rbac-subject-ref", ERROR)]),
    ],
)  # fmt: skip
def test_bindings_refer_to_existing_accounts_and_roles(
    tmp_path: Path, doc: Doc, want: list[tuple[str, Severity]]
) -> None:
    found = check(tmp_path, SA, ROLE, CLUSTER_ROLE, doc)
    assert sorted((f.rule, f.severity) for f in found) == want


def test_a_role_named_like_the_missing_cluster_role_is_suggested(tmp_path: Path) -> None:
    (found,) = check(tmp_path, SA, ROLE, binding(role=("ClusterRole", "deployer")))
    assert "there is a Role deployer in namespace shop: set roleRef.kind: Role" in found.message


# --------------------------------------------------------------------------------------------
# argocd-unpinned
# --------------------------------------------------------------------------------------------


def application(name: str, source: Doc, kind: str = "Application") -> Doc:
    spec: Doc = {
        "project": "default",
        "source": source,
        "destination": {"server": "https://kubernetes.default.svc", "namespace": NS},
    }
    if kind == "ApplicationSet":
        return meta(
            kind,
            name,
            "argoproj.io/v1alpha1",
            namespace="argocd",
            spec={
                "generators": [{"list": {"elements": []}}],
                "template": {"metadata": {"name": "x"}, "spec": spec},
            },
        )
    return meta(kind, name, "argoproj.io/v1alpha1", namespace="argocd", spec=spec)


def chart(revision: Any) -> Doc:
    source: Doc = {"repoURL": "https://charts.bitnami.com/bitnami", "chart": "redis"}
    if revision is not None:
        source["targetRevision"] = revision
    return source


@pytest.mark.parametrize(
    ("revision", "flagged"),
    [
        ("18.6.1", False),
        ("v1.2.3", False),
        ("1.2.3-rc.1", False),
        ("=1.2.3", False),
        ("^18.6.1", True),
        ("~18.6", True),
        (">=18.0.0 <19.0.0", True),
        ("18.x", True),
        ("18.6.*", True),
        ("*", True),
        ("latest", True),
        ("", True),
        (None, True),
    ],
)
def test_a_helm_chart_version_must_be_one_version(
    tmp_path: Path, revision: Any, flagged: bool
) -> None:
    found = check(tmp_path, application("redis", chart(revision)))
    assert got(found) == (
        [("argocd-unpinned", WARNING, "Application/argocd/redis")] if flagged else []
    )
    if flagged:
        assert "targetRevision" in found[0].message and "exact" in found[0].message


def test_an_application_set_template_is_checked_unless_templated(tmp_path: Path) -> None:
    found = check(tmp_path, application("sets", chart("^1.0.0"), kind="ApplicationSet"))
    assert got(found) == [("argocd-unpinned", WARNING, "ApplicationSet/argocd/sets")]
    assert "spec.template.spec.source.targetRevision '^1.0.0'" in found[0].message
    templated = application("t", chart("{{values.version}}"), kind="ApplicationSet")
    assert check(tmp_path, templated) == []


def git(url: str, revision: str | None, path: str = "guestbook") -> Doc:
    source: Doc = {"repoURL": url, "path": path}
    if revision is not None:
        source["targetRevision"] = revision
    return source


EXAMPLES = "https://github.com/argoproj/argocd-example-apps.git"


@pytest.mark.parametrize(
    ("revision", "flagged"),
    [
        ("53e28ff20cc530b9ada2173fbbd64d48338583ba", False),
        ("v2.1.0", False),
        ("1.0", False),
        ("HEAD", True),
        ("master", True),
        ("feature/new-ui", True),
        ("53e28ff", True),  # a short SHA is not a pin Argo CD resolves
        (None, True),
    ],
)
def test_another_repositorys_git_source_must_be_a_tag_or_commit(
    tmp_path: Path, revision: str | None, flagged: bool
) -> None:
    found = check(tmp_path, application("guestbook", git(EXAMPLES, revision)))
    assert got(found) == (
        [("argocd-unpinned", WARNING, "Application/argocd/guestbook")] if flagged else []
    )
    if flagged:
        assert "tag or a full 40-character commit SHA" in found[0].message


def test_the_trees_own_repository_may_follow_a_branch(tmp_path: Path) -> None:
    write(tmp_path, {"apps/web/deploy.yaml": [workload()]})
    own = application("web", git("git@github.com:acme/gitops.git", "main", path="apps/web"))
    other = application("other", git("https://github.com/acme/gitops", "HEAD", path="apps/gone"))
    assert check(tmp_path, own, other) == []  # both are the tree's repository (same URL)
    found = check(tmp_path, own, application("ext", git(EXAMPLES, "HEAD")), own=True)
    assert got(found) == [("argocd-unpinned", WARNING, "Application/argocd/ext")]


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/Acme/GitOps.git",
        "https://github.com/acme/gitops/",
        "git@github.com:acme/gitops.git",
        "ssh://git@github.com/acme/gitops.git",
        "https://user:token@www.github.com/acme/gitops",
        "github.com/acme/gitops",
    ],
)
def test_repository_urls_compare_without_scheme_credentials_or_suffix(url: str) -> None:
    assert normalise_repo(url) == "github.com/acme/gitops"


@pytest.mark.parametrize(
    ("url", "compared"),
    [("[", "/["), ("https://[oops/Repo.git", "/https://[oops/repo"), ("//[::1", "/[::1")],
)
def test_a_repository_that_is_not_a_url_compares_as_a_path(url: str, compared: str) -> None:
    """urlsplit refuses an unclosed IPv6 bracket; git reads such a remote as a local path,
    and validate (which reads strangers' trees) must not stop on it (found by Hypothesis)."""
    assert normalise_repo(url) == normalise_repo(url.upper()) == compared


def test_a_path_of_another_repository_is_not_looked_for_in_a_foreign_tree(tmp_path: Path) -> None:
    """An app-of-apps pointing at argocd-example-apps: its path is in that repository."""
    write(tmp_path, {"apps/web/deploy.yaml": [workload()]})
    docs = [
        application("web", git(OWN_REPO, "main", path="apps/web")),
        application("typo", git(OWN_REPO, "main", path="apps/wbe")),
        application("guestbook", git(EXAMPLES, "v1.0.0")),
    ]
    write(tmp_path, {"apps.yaml": docs})
    ctx = build_context(load_tree(tmp_path), Options())
    paths = [(f.rule, str(f.resource)) for f in argocd.check(ctx) if f.rule == "argocd-app-path"]
    assert paths == [("argocd-app-path", "Application/argocd/typo")]


def test_a_tree_that_is_a_folder_of_its_repository_knows_its_own_repository(tmp_path: Path) -> None:
    """The tree is the repo's ``k8s/`` folder: its Applications say ``k8s/apps/web``."""
    write(tmp_path, {"apps/web/deploy.yaml": [workload()]})
    own = application("web", git(OWN_REPO, "main", path="k8s/apps/web"))
    assert check(tmp_path, own) == []


def test_a_sealed_secret_names_its_secret_in_its_template(tmp_path: Path) -> None:
    sealed = meta(
        "SealedSecret",
        "sealed-registry",
        "bitnami.com/v1alpha1",
        spec={
            "encryptedData": {".dockerconfigjson": "AgB"},
            "template": {"metadata": {"name": "registry"}, "type": "Opaque"},
        },
    )
    found = check(tmp_path, sealed, workload(imagePullSecrets=[{"name": "registry"}]))
    assert got(found) == [("pull-secret-type", ERROR, f"Deployment/{NS}/web")]
    assert "spec.template.type" in found[0].message


def test_an_unpinned_source_is_reported_at_its_target_revision(tmp_path: Path) -> None:
    check(tmp_path, application("guestbook", git(EXAMPLES, "HEAD")))
    report = validate_path(tmp_path)
    (found,) = [f for f in report.findings if f.rule == "argocd-unpinned"]
    lines = (tmp_path / "manifests.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[found.line - 1].strip() == "targetRevision: HEAD"

"""Check 4: the app-of-apps, namespaces, sync waves and the order Argo CD applies things in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from treeutil import app, context, metadata, obj, rules_of

from gigrouter.validate.rules import argocd
from gigrouter.validate.rules.argocd import Step, atoi, order_key, step
from gigrouter.validate.tree import Document

ROOT = app("platform", "argocd", "argocd")


def run(tmp_path: Path, files: dict[str, Any]) -> list[tuple[str, str]]:
    ctx = context(
        tmp_path, {"gigrouter-metadata.yaml": metadata(), "argocd/apps.yaml": ROOT, **files}
    )
    return rules_of(argocd.check(ctx))


def deployment(
    name: str,
    ns: str,
    wave: str | None = None,
    image: str = "app:1",
    env: Any = None,
    env_from: Any = None,
    sa: str | None = None,
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "image": image}
    if env:
        container["env"] = env
    if env_from:
        container["envFrom"] = env_from
    pod: dict[str, Any] = {"containers": [container]}
    if sa:
        pod["serviceAccountName"] = sa
    return obj(
        "Deployment", name, ns, "apps/v1", wave,
        spec={"selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": pod}},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("-3", -3),
        ("+7", 7),
        ("007", 7),
        ("1.5", None),
        (" 3", None),
        ("0x10", None),
        ("abc", None),
        (5, None),
        ("99999999999999999999", None),
    ],
)
def test_atoi_matches_go(value: object, expected: int | None) -> None:
    assert atoi(value) == expected


def test_sort_key_follows_gitops_engine() -> None:
    def doc(kind: str, name: str, ann: dict[str, str]) -> Document:
        return Document(
            "f.yaml",
            1,
            {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "annotations": ann}},
        )

    pre = doc("Job", "a", {"argocd.argoproj.io/hook": "PreSync"})
    cm = doc("ConfigMap", "z", {"argocd.argoproj.io/sync-wave": "1"})
    deploy = doc("Deployment", "a", {"argocd.argoproj.io/sync-wave": "1"})
    es = doc("ExternalSecret", "a", {"argocd.argoproj.io/sync-wave": "1"})
    helm = doc("Job", "h", {"helm.sh/hook": "post-install", "helm.sh/hook-weight": "-2"})
    skip = doc("Job", "s", {"argocd.argoproj.io/hook": "Skip"})
    keys = [order_key(d) for d in (pre, cm, deploy, es, helm)]
    assert keys == sorted(keys)
    assert step(helm) == Step(1, -2)
    assert step(skip) is None


def test_clean_app_of_apps(tmp_path: Path) -> None:
    files = {
        "argocd/web.yaml": app("web", "web", "web", "1", ["CreateNamespace=true"]),
        "web/cm.yaml": obj("ConfigMap", "cfg", "web", data={"a": "b"}),
    }
    assert run(tmp_path, files) == []


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"argocd/web.yaml": app("web", "missing", "web", options=["CreateNamespace=true"])},
            [("argocd-app-path", "error")],
        ),
        (
            {
                "argocd/web.yaml": app("web", "web", "web"),
                "web/a.yaml": obj("ConfigMap", "a", "web"),
            },
            [("namespace-missing", "error")],
        ),
        (
            {
                "argocd/web.yaml": app("web", "web", "web"),
                "web/ns.yaml": obj("Namespace", "web"),
                "web/a.yaml": obj("ConfigMap", "a", "web"),
            },
            [],
        ),
        (
            {
                "argocd/web.yaml": app("web", "web", "web", options=["CreateNamespace=true"]),
                "web/a.yaml": obj("ConfigMap", "a", "other"),
            },
            [("namespace-missing", "error")],
        ),
    ],
    ids=[
        "path-missing",
        "namespace-not-created",
        "namespace-manifest",
        "object-in-unknown-namespace",
    ],
)
def test_tree_and_namespaces(
    tmp_path: Path, files: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert run(tmp_path, files) == expected


def test_application_outside_argocd_namespace(tmp_path: Path) -> None:
    bad = app("web", "web", "web", options=["CreateNamespace=true"])
    bad["metadata"]["namespace"] = "default"
    files = {"argocd/web.yaml": bad, "web/a.yaml": obj("ConfigMap", "a", "web")}
    assert run(tmp_path, files) == [("argocd-app-namespace", "error")]


@pytest.mark.parametrize(
    ("wave", "bad"), [("1", False), ("-2", False), ("1.5", True), ("one", True)]
)
def test_sync_wave_format(tmp_path: Path, wave: str, bad: bool) -> None:
    files = {
        "argocd/web.yaml": app("web", "web", "web", options=["CreateNamespace=true"]),
        "web/a.yaml": obj("ConfigMap", "a", "web", wave=wave),
    }
    assert run(tmp_path, files) == ([("sync-wave-format", "error")] if bad else [])


def test_unquoted_wave_is_reported(tmp_path: Path) -> None:
    files = {
        "argocd/web.yaml": app("web", "web", "web", options=["CreateNamespace=true"]),
        "web/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: web\n  annotations:\n    argocd.argoproj.io/sync-wave: 3\n",
    }
    ctx = context(
        tmp_path, {"gigrouter-metadata.yaml": metadata(), "argocd/apps.yaml": ROOT, **files}
    )
    (finding,) = list(argocd.check(ctx))
    assert finding.rule == "sync-wave-format" and "quote it: '3'" in finding.message
    assert (finding.file, finding.line) == ("web/a.yaml", 1)


def test_unknown_hook(tmp_path: Path) -> None:
    job = obj("ConfigMap", "a", "web")
    job["metadata"]["annotations"] = {"argocd.argoproj.io/hook": "PreSnyc"}
    files = {
        "argocd/web.yaml": app("web", "web", "web", options=["CreateNamespace=true"]),
        "web/a.yaml": job,
    }
    assert run(tmp_path, files) == [("hook-unknown", "error")]


def backend_files(
    store_wave: str,
    es_wave: str,
    job_wave: str,
    deploy_wave: str,
    job_hook: str | None = "Sync",
    cm_wave: str = "0",
) -> dict[str, Any]:
    es = obj(
        "ExternalSecret", "db", "be", "external-secrets.io/v1beta1", es_wave,
        spec={"secretStoreRef": {"name": "store", "kind": "SecretStore"}, "target": {"name": "db"}, "data": []},
    )  # fmt: skip
    store = obj(
        "SecretStore",
        "store",
        "be",
        "external-secrets.io/v1beta1",
        store_wave,
        spec={"provider": {}},
    )
    env = [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "db", "key": "P"}}}]
    env_from = [{"configMapRef": {"name": "cfg"}}]
    job = deployment("migrate", "be", job_wave, image="registry/app:2", env=env)
    job["kind"], job["apiVersion"] = "Job", "batch/v1"
    job["spec"] = {"template": job["spec"]["template"]}
    if job_hook:
        job["metadata"]["annotations"]["argocd.argoproj.io/hook"] = job_hook
    return {
        "argocd/be.yaml": app("be", "be", "be", options=["CreateNamespace=true"]),
        "be/cm.yaml": obj("ConfigMap", "cfg", "be", wave=cm_wave, data={"a": "b"}),
        "be/store.yaml": store,
        "be/es.yaml": es,
        "be/job.yaml": job,
        "be/deploy.yaml": deployment(
            "api", "be", deploy_wave, image="registry/app:2", env=env, env_from=env_from
        ),
    }


def test_seed_backend_order_is_right(tmp_path: Path) -> None:
    assert run(tmp_path, backend_files("1", "2", "3", "4")) == []


@pytest.mark.parametrize(
    ("waves", "expected"),
    [
        (
            ("2", "2", "3", "4", "Sync", "0"),
            [("wave-order", "error")],
        ),  # store with its ExternalSecret
        (
            ("1", "4", "5", "4", "Sync", "0"),
            [("wave-order", "error"), ("wave-order", "error")],
        ),  # secret after pods
        (
            ("1", "2", "4", "4", "Sync", "0"),
            [("wave-order", "error")],
        ),  # migration with the Deployment
        (
            ("1", "2", "3", "4", "PreSync", "0"),
            [("wave-order", "error")],
        ),  # PreSync hook before its Secret
        (
            ("1", "2", "3", "4", "Sync", "5"),
            [("apply-order", "error")],
        ),  # ConfigMap after the Deployment
    ],
    ids=[
        "store-same-wave",
        "secret-after-pods",
        "job-with-deployment",
        "presync-deadlock",
        "configmap-late",
    ],
)
def test_ordering(tmp_path: Path, waves: tuple[str, ...], expected: list[tuple[str, str]]) -> None:
    store, es, job, deploy, hook, cm = waves
    assert run(tmp_path, backend_files(store, es, job, deploy, hook, cm)) == expected


def test_plain_job_is_warned(tmp_path: Path) -> None:
    assert run(tmp_path, backend_files("1", "2", "3", "4", job_hook=None)) == [
        ("job-immutable", "warning")
    ]


def test_crd_order(tmp_path: Path) -> None:
    meta = metadata(crds=[{"application": "eso", "groups": ["external-secrets.io"]}])
    store = obj("SecretStore", "s", "be", "external-secrets.io/v1beta1", spec={"provider": {}})
    files = {
        "gigrouter-metadata.yaml": meta,
        "argocd/apps.yaml": ROOT,
        "argocd/eso.yaml": app(
            "eso", None, "external-secrets", "2", ["CreateNamespace=true"], chart="external-secrets"
        ),
        "argocd/be.yaml": app("be", "be", "be", "2", ["CreateNamespace=true"]),
        "be/store.yaml": store,
    }
    ctx = context(tmp_path, files)
    assert rules_of(argocd.check(ctx)) == [("crd-order", "error")]
    (tmp_path / "argocd/be.yaml").unlink()
    ctx = context(
        tmp_path, {"argocd/be.yaml": app("be", "be", "be", "3", ["CreateNamespace=true"])}
    )
    assert rules_of(argocd.check(ctx)) == []


@pytest.mark.parametrize(("health", "warned"), [(True, False), (False, True), (None, True)])
def test_child_app_waves_need_the_health_check(
    tmp_path: Path, health: bool | None, warned: bool
) -> None:
    files = {
        "gigrouter-metadata.yaml": metadata(health=health),
        "argocd/apps.yaml": ROOT,
        "argocd/a.yaml": app("a", "a", "a", "0", ["CreateNamespace=true"]),
        "argocd/b.yaml": app("b", "b", "b", "1", ["CreateNamespace=true"]),
        "a/x.yaml": obj("ConfigMap", "x", "a"),
        "b/x.yaml": obj("ConfigMap", "x", "b"),
    }
    found = rules_of(argocd.check(context(tmp_path, files)))
    assert found == ([("app-wave-unwaited", "warning")] if warned else [])


def test_replace_with_server_side_apply_is_info(tmp_path: Path) -> None:
    files = {
        "argocd/crds.yaml": app(
            "crds",
            None,
            "monitoring",
            options=["ServerSideApply=true", "Replace=true", "CreateNamespace=true"],
            chart="kps",
        )
    }
    assert run(tmp_path, files) == [("replace-with-ssa", "info")]


def test_values_file_must_exist(tmp_path: Path) -> None:
    mon = app("mon", None, "monitoring", options=["CreateNamespace=true"], chart="kps")
    src = mon["spec"].pop("source")
    src["helm"] = {"valueFiles": ["$values/observability/values.yaml"]}
    mon["spec"]["sources"] = [
        src,
        {
            "repoURL": "https://git.example.com/gitops.git",
            "targetRevision": "main",
            "ref": "values",
        },
    ]
    assert run(tmp_path, {"argocd/mon.yaml": mon}) == [("argocd-app-path", "error")]
    assert run(tmp_path, {"observability/values.yaml": {"grafana": {"enabled": True}}}) == []


def test_the_rendered_platform_is_clean() -> None:
    from gigrouter.validate.context import Options
    from gigrouter.validate.runner import build_context
    from gigrouter.validate.tree import load_tree

    out = Path(__file__).resolve().parents[2] / "out"
    findings = list(argocd.check(build_context(load_tree(out), Options())))
    assert rules_of(findings) == [("replace-with-ssa", "info")]


def test_crd_groups_of_known_charts_without_metadata(tmp_path: Path) -> None:
    store = obj("SecretStore", "s", "be", "external-secrets.io/v1beta1", spec={"provider": {}})
    crds_skipped = app(
        "mon", None, "monitoring", "0", ["CreateNamespace=true"], chart="kube-prometheus-stack"
    )
    crds_skipped["spec"]["source"]["helm"] = {"skipCrds": True}
    files = {
        "argocd/apps.yaml": ROOT,
        "argocd/eso.yaml": app(
            "eso", None, "external-secrets", "3", ["CreateNamespace=true"], chart="external-secrets"
        ),
        "argocd/mon.yaml": crds_skipped,
        "argocd/be.yaml": app("be", "be", "be", "2", ["CreateNamespace=true"]),
        "be/store.yaml": store,
        "be/monitor.yaml": obj(
            "ServiceMonitor",
            "m",
            "be",
            "monitoring.coreos.com/v1",
            spec={"endpoints": [], "selector": {}},
        ),
    }
    ctx = context(tmp_path, files)
    assert ctx.crd_groups == {"external-secrets.io": "eso", "generators.external-secrets.io": "eso"}
    findings = [f for f in argocd.check(ctx) if f.rule == "crd-order"]
    assert [(f.rule, f.resource.kind if f.resource else "") for f in findings] == [
        ("crd-order", "SecretStore")
    ]

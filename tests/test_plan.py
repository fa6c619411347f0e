"""gigrouter plan: Argo CD's sync order for hand-built trees, the formats, the default platform.

Every expected order below is worked out by hand from Argo CD's documented rules
(gitops-engine's syncTasks.Less and Sort; ARGOCD-NOTES section 1): phase (PreSync -1, Sync 0,
PostSync 1, SyncFail 2), then wave, then kind rank (Namespace first, custom kinds last), then
name; afterwards a Namespace moves in front of the first task in it and a CRD in front of the
first custom resource of its kind, taking that task's phase and wave.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO
from support.cli import invoke
from support.golden import check_files

from gigrouter.errors import UsageError
from gigrouter.plan import formats as plan_formats
from gigrouter.plan.steps import Plan, plan_tree
from gigrouter.validate.findings import Severity

REPO_URL = "https://git.example.com/gitops.git"
GOLDEN = REPO / "tests" / "golden-plan"
Step = tuple[str, int, str, str]  # phase, wave, kind, name


def write(root: Path, files: dict[str, Any]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        docs = content if isinstance(content, list) else [content]
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return root


def metadata(health: bool | None = True) -> dict[str, Any]:
    argocd: dict[str, Any] = {"namespace": "argocd"}
    if health is not None:
        argocd["applicationHealthCheck"] = health
    return {
        "gigrouter": {"format": 1},
        "gitops": {"repoURL": REPO_URL, "revision": "main", "path": ""},
        "argocd": argocd,
    }


def application(
    name: str,
    namespace: str,
    path: str | None = None,
    wave: str | None = None,
    options: list[str] | None = None,
    chart: str | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "argocd"}
    if wave is not None:
        meta["annotations"] = {"argocd.argoproj.io/sync-wave": wave}
    source: dict[str, str | None]
    if chart:
        source = {
            "repoURL": "https://charts.example.com",
            "chart": chart,
            "targetRevision": "1.2.3",
        }
    else:
        source = {"repoURL": REPO_URL, "targetRevision": "main", "path": path}
    spec: dict[str, Any] = {
        "project": "default",
        "source": source,
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
    }
    if options:
        spec["syncPolicy"] = {"syncOptions": options}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": meta,
        "spec": spec,
    }


def obj(
    kind: str,
    name: str,
    api: str = "v1",
    namespace: str | None = None,
    wave: str | None = None,
    ann: dict[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    ann = dict(ann or {})
    if wave is not None:
        ann["argocd.argoproj.io/sync-wave"] = wave
    if ann:
        meta["annotations"] = ann
    return {"apiVersion": api, "kind": kind, "metadata": meta}


def hooked(kind: str, name: str, hook: str, wave: str | None = None, **more: str) -> dict[str, Any]:
    """An Argo CD hook; ``more`` adds annotations: delete_policy=..., helm_hook=..."""
    ann = {"argocd.argoproj.io/hook": hook}
    if "delete_policy" in more:
        ann["argocd.argoproj.io/hook-delete-policy"] = more["delete_policy"]
    if "helm_hook" in more:
        ann["helm.sh/hook"] = more["helm_hook"]
    return obj(kind, name, "batch/v1" if kind == "Job" else "v1", wave=wave, ann=ann)


def helm_hooked(
    kind: str, name: str, hook: str, weight: str | None = None, delete_policy: str | None = None
) -> dict[str, Any]:
    ann = {"helm.sh/hook": hook}
    if weight is not None:
        ann["helm.sh/hook-weight"] = weight
    if delete_policy is not None:
        ann["helm.sh/hook-delete-policy"] = delete_policy
    return obj(kind, name, "batch/v1" if kind == "Job" else "v1", ann=ann)


def one_app(tmp_path: Path, docs: list[dict[str, Any]], options: list[str] | None = None) -> Plan:
    """A root app syncing argocd/, and child app `web` (namespace web) syncing web/ = docs."""
    write(
        tmp_path,
        {
            "gigrouter-metadata.yaml": metadata(),
            "argocd/root.yaml": application("root", "argocd", "argocd"),
            "argocd/web.yaml": application("web", "web", "web", options=options),
            **{f"web/{i:02d}.yaml": doc for i, doc in enumerate(docs)},
        },
    )
    return plan_tree(tmp_path)


def order(plan: Plan, app: str = "web") -> list[Step]:
    return [(s.phase, s.wave, s.kind, s.name) for s in plan.steps if s.app == app]


# --- the order inside one Application -------------------------------------------------------


def test_phase_then_wave_then_kind_then_name(tmp_path: Path) -> None:
    plan = one_app(
        tmp_path,
        [
            obj("Deployment", "api", "apps/v1"),
            obj("ConfigMap", "zz-config"),
            obj("Service", "api", wave="-1"),  # an earlier wave beats every kind
            hooked("Job", "migrate", "PreSync", wave="5"),  # PreSync beats every wave
            hooked("Pod", "smoke", "PostSync", wave="-9"),  # PostSync after every Sync wave
            obj("ConfigMap", "a-config"),  # same kind and wave: by name
            obj("ServiceMonitor", "mon", "monitoring.coreos.com/v1"),  # custom kind: rank 0, last
            hooked("Job", "b-job", "Sync"),  # a Sync hook sorts with the manifests
            hooked("Pod", "notify", "SyncFail"),  # only when the sync fails: after everything
            obj("Namespace", "web"),  # pulled to the first task in it (nothing moves: first)
        ],
    )
    assert order(plan) == [
        ("PreSync", 5, "Namespace", "web"),
        ("PreSync", 5, "Job", "migrate"),
        ("Sync", -1, "Service", "api"),
        ("Sync", 0, "ConfigMap", "a-config"),
        ("Sync", 0, "ConfigMap", "zz-config"),
        ("Sync", 0, "Deployment", "api"),
        ("Sync", 0, "Job", "b-job"),
        ("Sync", 0, "ServiceMonitor", "mon"),
        ("PostSync", -9, "Pod", "smoke"),
        ("SyncFail", 0, "Pod", "notify"),
    ]


def test_kind_rank_follows_gitops_engine(tmp_path: Path) -> None:
    kinds = [
        ("Ingress", "networking.k8s.io/v1"),
        ("CronJob", "batch/v1"),
        ("StatefulSet", "apps/v1"),
        ("DaemonSet", "apps/v1"),
        ("RoleBinding", "rbac.authorization.k8s.io/v1"),
        ("PersistentVolumeClaim", "v1"),
        ("Secret", "v1"),
        ("ServiceAccount", "v1"),
        ("NetworkPolicy", "networking.k8s.io/v1"),
        ("ExternalSecret", "external-secrets.io/v1beta1"),
        ("APIService", "apiregistration.k8s.io/v1"),
    ]
    plan = one_app(tmp_path, [obj(kind, "x", api) for kind, api in kinds])
    assert [k for _, _, k, _ in order(plan)] == [
        "NetworkPolicy",
        "ServiceAccount",
        "Secret",
        "PersistentVolumeClaim",
        "RoleBinding",
        "DaemonSet",
        "StatefulSet",
        "CronJob",
        "Ingress",
        "APIService",
        "ExternalSecret",
    ]


def test_names_break_ties_and_generate_name_sorts_by_its_prefix(tmp_path: Path) -> None:
    gen = hooked("Job", "", "Sync")
    del gen["metadata"]["name"]
    gen["metadata"]["generateName"] = "m-"
    plan = one_app(tmp_path, [obj("Job", "z", "batch/v1"), gen, obj("Job", "b", "batch/v1")])
    assert [name for *_, name in order(plan)] == ["b", "m-*", "z"]


def test_waves_parse_like_go_atoi_and_fall_back_to_helm_weight(tmp_path: Path) -> None:
    plan = one_app(
        tmp_path,
        [
            obj("ConfigMap", "plus", wave="+2"),
            obj("ConfigMap", "bad", wave="1.5"),  # not an integer: wave 0 (and a warning)
            obj("ConfigMap", "weight", ann={"helm.sh/hook-weight": "-3"}),
            obj("ConfigMap", "zero", wave="007"),
        ],
    )
    assert order(plan) == [
        ("Sync", -3, "ConfigMap", "weight"),
        ("Sync", 0, "ConfigMap", "bad"),
        ("Sync", 2, "ConfigMap", "plus"),
        ("Sync", 7, "ConfigMap", "zero"),
    ]
    assert ("sync-wave-format", Severity.ERROR) in {(w.rule, w.severity) for w in plan.warnings}


def test_hooks_with_their_delete_policies(tmp_path: Path) -> None:
    plan = one_app(
        tmp_path,
        [
            hooked("Job", "twice", "PreSync,PostSync"),  # one task per phase
            hooked("Job", "kept", "PostSync", delete_policy="HookSucceeded,HookFailed"),
            hooked("Job", "plain", "Sync"),
        ],
    )
    hooks = {(s.phase, s.name): s.hook for s in plan.steps if s.app == "web"}
    assert order(plan) == [
        ("PreSync", 0, "Job", "twice"),
        ("Sync", 0, "Job", "plain"),
        ("PostSync", 0, "Job", "kept"),
        ("PostSync", 0, "Job", "twice"),
    ]
    kept = hooks[("PostSync", "kept")]
    assert kept is not None
    assert (kept.type, kept.delete_policies, kept.default_policy) == (
        "PostSync",
        ("HookSucceeded", "HookFailed"),
        False,
    )
    plain = hooks[("Sync", "plain")]
    assert plain is not None
    assert (plain.delete_policies, plain.default_policy) == (("BeforeHookCreation",), True)


def test_helm_hooks_map_to_phases_and_argocd_hooks_win(tmp_path: Path) -> None:
    plan = one_app(
        tmp_path,
        [
            helm_hooked("Job", "pre", "pre-install,pre-upgrade", weight="2"),
            helm_hooked("Job", "post", "post-upgrade", delete_policy="hook-succeeded"),
            helm_hooked("Pod", "test", "test"),  # no sync phase: never applied by a sync
            helm_hooked("ConfigMap", "crds", "crd-install"),  # not a hook: a normal Sync object
            # the Argo CD annotation decides; the Helm one is ignored
            hooked("Job", "both", "PostSync", helm_hook="pre-install"),
        ],
    )
    assert order(plan) == [
        ("PreSync", 2, "Job", "pre"),
        ("Sync", 0, "ConfigMap", "crds"),
        ("PostSync", 0, "Job", "both"),
        ("PostSync", 0, "Job", "post"),
    ]
    post = next(s.hook for s in plan.steps if s.name == "post")
    assert post is not None
    assert (post.source, post.delete_policies) == ("helm", ("HookSucceeded",))
    infos = [(w.rule, w.resource.name if w.resource else "") for w in plan.warnings]
    assert ("not-synced", "test") in infos


@pytest.mark.parametrize("hook", ["Skip", "PreDelete", "PostDelete"])
def test_skipped_and_deletion_hooks_are_not_in_the_sync(tmp_path: Path, hook: str) -> None:
    plan = one_app(tmp_path, [hooked("ConfigMap", "left-out", hook), obj("ConfigMap", "in")])
    assert order(plan) == [("Sync", 0, "ConfigMap", "in")]
    skipped = [w for w in plan.warnings if w.rule == "not-synced"]
    assert [(w.severity, w.resource.name if w.resource else "") for w in skipped] == [
        (Severity.INFO, "left-out")
    ]


# --- namespaces and CRDs pulled forward ------------------------------------------------------


def test_namespace_takes_the_phase_and_wave_of_the_first_task_in_it(tmp_path: Path) -> None:
    # gitops-engine's TestSyncTasksSort_NamespaceAndObjectInNamespace: a Namespace at wave 1
    # and a PreSync hook in it at wave 0 give the Namespace in PreSync, wave 0.
    plan = one_app(
        tmp_path,
        [obj("Namespace", "web", wave="1"), hooked("Job", "hook", "PreSync", wave="0")],
    )
    assert order(plan) == [("PreSync", 0, "Namespace", "web"), ("PreSync", 0, "Job", "hook")]
    assert "pulled forward from Sync wave 1" in plan.steps[-2].note


def test_namespace_of_another_name_moves_before_its_first_object(tmp_path: Path) -> None:
    plan = one_app(
        tmp_path,
        [
            obj("ConfigMap", "early", wave="-1"),  # in namespace web (the destination)
            obj("Namespace", "extra", wave="9"),
            obj("ConfigMap", "there", namespace="extra", wave="2"),
        ],
    )
    assert order(plan) == [
        ("Sync", -1, "ConfigMap", "early"),
        ("Sync", 2, "Namespace", "extra"),
        ("Sync", 2, "ConfigMap", "there"),
    ]


def test_crd_moves_before_its_first_custom_resource(tmp_path: Path) -> None:
    crd = obj(
        "CustomResourceDefinition", "widgets.example.com", "apiextensions.k8s.io/v1", wave="3"
    )
    crd["spec"] = {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}}
    plan = one_app(
        tmp_path,
        [crd, obj("Widget", "w", "example.com/v1", wave="0"), obj("ConfigMap", "c", wave="1")],
    )
    assert order(plan) == [
        ("Sync", 0, "CustomResourceDefinition", "widgets.example.com"),
        ("Sync", 0, "Widget", "w"),
        ("Sync", 1, "ConfigMap", "c"),
    ]


def test_create_namespace_adds_a_presync_task(tmp_path: Path) -> None:
    plan = one_app(
        tmp_path,
        [obj("ConfigMap", "c"), hooked("Job", "early", "PreSync", wave="-2")],
        options=["CreateNamespace=true"],
    )
    # The task is PreSync wave 0, then pulled in front of the wave -2 hook in its namespace.
    assert order(plan) == [
        ("PreSync", -2, "Namespace", "web"),
        ("PreSync", -2, "Job", "early"),
        ("Sync", 0, "ConfigMap", "c"),
    ]
    created = next(s for s in plan.steps if s.app == "web")
    assert created.file == "argocd/web.yaml"
    assert "CreateNamespace=true" in created.note


def test_create_namespace_defers_to_a_namespace_manifest(tmp_path: Path) -> None:
    plan = one_app(
        tmp_path, [obj("Namespace", "web"), obj("ConfigMap", "c")], options=["CreateNamespace=true"]
    )
    assert order(plan) == [("Sync", 0, "Namespace", "web"), ("Sync", 0, "ConfigMap", "c")]


# --- Applications ---------------------------------------------------------------------------


def test_root_first_then_children_by_wave_then_name(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "gigrouter-metadata.yaml": metadata(),
            "argocd/root.yaml": application("root", "argocd", "argocd"),
            "argocd/b.yaml": application("b", "b", "b", wave="1"),
            "argocd/a.yaml": application("a", "a", "a", wave="1"),
            "argocd/c.yaml": application("c", "c", "c", wave="0"),
            "argocd/d.yaml": application("d", "kube-system", chart="ingress", wave="-1"),
            "a/cm.yaml": obj("ConfigMap", "a"),
            "b/cm.yaml": obj("ConfigMap", "b"),
            "c/cm.yaml": obj("ConfigMap", "c"),
        },
    )
    plan = plan_tree(tmp_path)
    assert [(a.name, a.wave, a.parent) for a in plan.apps] == [
        ("root", 0, None),
        ("d", -1, "root"),
        ("c", 0, "root"),
        ("a", 1, "root"),
        ("b", 1, "root"),
    ]
    assert order(plan, "root") == [
        ("Sync", -1, "Application", "d"),
        ("Sync", 0, "Application", "c"),
        ("Sync", 0, "Application", "root"),
        ("Sync", 1, "Application", "a"),
        ("Sync", 1, "Application", "b"),
    ]
    # A Helm chart is one step (its content is not known offline).
    assert order(plan, "d") == [("Sync", 0, "HelmChart", "ingress@1.2.3")]


def test_default_platform_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    plan = plan_tree(Path("out"))
    assert [a.name for a in plan.apps] == [
        "platform",
        "aws-load-balancer-controller",
        "prometheus-crds",
        "external-secrets",
        "memcached",
        "monitoring",
        "backend",
        "logging",
        "frontend",
    ]
    backend = [(p, w, k, n) for p, w, k, n in order(plan, "backend")]
    assert backend.index(("Sync", 2, "ExternalSecret", "rds-db-secret")) < backend.index(
        ("Sync", 3, "Job", "django-migrate")
    )
    job = next(s for s in plan.steps if s.name == "django-migrate")
    assert job.hook is not None and job.hook.type == "Sync"
    assert plan.errors == 0


# --- warnings -------------------------------------------------------------------------------


def _shop(tmp_path: Path, health: bool | None, store_wave: str) -> Plan:
    store = obj("SecretStore", "store", "external-secrets.io/v1beta1", wave=store_wave)
    secret = obj("ExternalSecret", "creds", "external-secrets.io/v1beta1", wave="1")
    secret["spec"] = {"secretStoreRef": {"name": "store", "kind": "SecretStore"}}
    write(
        tmp_path,
        {
            "gigrouter-metadata.yaml": metadata(health),
            "argocd/root.yaml": application("root", "argocd", "argocd"),
            "argocd/shop.yaml": application(
                "shop", "shop", "shop", wave="2", options=["CreateNamespace=true"]
            ),
            "argocd/base.yaml": application(
                "base", "base", "base", wave="1", options=["CreateNamespace=true"]
            ),
            "base/cm.yaml": obj("ConfigMap", "c"),
            "shop/store.yaml": store,
            "shop/secret.yaml": secret,
            "shop/job.yaml": obj("Job", "once", "batch/v1"),
        },
    )
    return plan_tree(tmp_path)


def test_risky_order_is_reported_with_severity(tmp_path: Path) -> None:
    plan = _shop(tmp_path, health=None, store_wave="1")
    found = {(w.rule, w.severity) for w in plan.warnings}
    assert ("wave-order", Severity.ERROR) in found  # the store is not in an earlier step
    assert ("app-wave-unwaited", Severity.WARNING) in found
    assert ("job-immutable", Severity.WARNING) in found
    assert plan.errors == 1


def test_a_safe_order_has_no_errors(tmp_path: Path) -> None:
    plan = _shop(tmp_path, health=True, store_wave="0")
    assert plan.errors == 0
    assert {w.rule for w in plan.warnings} == {"job-immutable"}


def test_dependencies_inferred_from_the_tree(tmp_path: Path) -> None:
    policy = obj("NetworkPolicy", "only-api", "networking.k8s.io/v1")
    policy["spec"] = {
        "podSelector": {},
        "ingress": [
            {
                "from": [
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "api"}}}
                ]
            }
        ],
    }
    ingress = obj("Ingress", "web", "networking.k8s.io/v1")
    ingress["spec"] = {"ingressClassName": "alb"}
    write(
        tmp_path,
        {
            "gigrouter-metadata.yaml": {
                **metadata(),
                "crds": [{"application": "operators", "groups": ["example.com"]}],
            },
            "argocd/root.yaml": application("root", "argocd", "argocd"),
            "argocd/alb.yaml": application(
                "alb", "kube-system", chart="aws-load-balancer-controller", wave="0"
            ),
            "argocd/operators.yaml": application("operators", "ops", chart="widgets", wave="0"),
            "argocd/cache.yaml": application("cache", "cache", "cache", wave="1"),
            "argocd/api.yaml": application("api", "api", "api", wave="2"),
            "cache/policy.yaml": policy,
            "api/ingress.yaml": ingress,
            "api/widget.yaml": obj("Widget", "w", "example.com/v1"),
        },
    )
    plan = plan_tree(tmp_path)
    assert [(d.before, d.after, d.reasons) for d in plan.dependencies] == [
        ("alb", "api", ("ALB Ingress",)),
        ("cache", "api", ("NetworkPolicy admits api",)),
        ("operators", "api", ("CRDs example.com",)),
    ]
    mermaid = plan_formats.to_mermaid(plan)
    assert '    app_cache -.->|"NetworkPolicy admits api"| app_api' in mermaid.splitlines()


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such directory"):
        plan_tree(tmp_path / "nope")


# --- formats --------------------------------------------------------------------------------


def test_json_shape(tmp_path: Path) -> None:
    plan = _shop(tmp_path, health=None, store_wave="1")
    data = json.loads(plan_formats.to_json(plan))
    assert list(data) == ["trees", "summary"]
    (tree,) = data["trees"]
    assert list(tree) == ["path", "steps", "warnings", "summary"]
    assert [s["step"] for s in tree["steps"]] == list(range(1, len(plan.steps) + 1))
    errors = sum(1 for w in plan.warnings if w.severity.value == "error")
    assert tree["summary"] == {
        "applications": len(plan.apps),
        "steps": len(plan.steps),
        "errors": errors,
        "warnings": len(plan.warnings) - errors,
    }
    assert data["summary"] == {"trees": 1, **tree["summary"]}
    data = tree
    for step in data["steps"]:
        assert list(step) == [
            "step", "app", "phase", "wave", "kind", "namespace", "name", "file", "hook",
        ]  # fmt: skip
        assert isinstance(step["wave"], int) and not isinstance(step["wave"], bool)
        assert step["phase"] in ("PreSync", "Sync", "PostSync", "SyncFail")
        assert step["hook"] is None or list(step["hook"]) == [
            "type", "deletePolicies", "defaultPolicy", "source",
        ]  # fmt: skip
    for warning in data["warnings"]:
        assert list(warning) == ["severity", "rule", "message", "file", "line", "resource"]
        assert warning["severity"] in ("error", "warning", "info")
    assert {w["rule"] for w in data["warnings"]} >= {"wave-order", "app-wave-unwaited"}
    wave_order = next(w for w in data["warnings"] if w["rule"] == "wave-order")
    assert wave_order["resource"] == {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": "ExternalSecret",
        "namespace": "shop",
        "name": "creds",
    }


def test_mermaid_structure(tmp_path: Path) -> None:
    plan = _shop(tmp_path, health=False, store_wave="0")
    text = plan_formats.to_mermaid(plan)
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert (
        lines.count("    end")
        == len([ln for ln in lines if ln.lstrip().startswith("subgraph ")])
        == 2
    )
    assert '    app_root["root<br/>app of apps"]' in lines
    assert "    app_root --> wave_root_1" in lines
    assert '    wave_root_1 -->|"does not wait"| wave_root_2' in lines
    for line in lines[1:]:
        assert re.match(
            r"^    (subgraph \w+\[\".*\"\]|end|\s*\w+\[\".*\"\]|\w+ (-->|==>|-\.->)(\|\".*\"\|)? \w+)$",
            line,
        ), line


def test_text_has_a_table_per_wave(tmp_path: Path) -> None:
    plan = _shop(tmp_path, health=True, store_wave="0")
    text = plan_formats.to_text(plan)
    assert "root: root app (argocd/root.yaml), syncs argocd/" in text
    assert "wave 2 of root: starts when wave 1 is Healthy" in text
    assert re.search(r"^    step +phase +wave +kind +namespace +name +file", text, re.M)
    assert text.endswith("0 errors, 1 warning\n")


# --- golden: the default platform ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name"), [("text", "plan.txt"), ("json", "plan.json"), ("mermaid", "plan.mmd")]
)
def test_default_platform_golden(
    monkeypatch: pytest.MonkeyPatch, update_golden: bool, fmt: str, name: str
) -> None:
    monkeypatch.chdir(REPO)
    plan = plan_tree(Path("out"))
    render = {
        "text": plan_formats.to_text,
        "json": plan_formats.to_json,
        "mermaid": plan_formats.to_mermaid,
    }[fmt]
    check_files({GOLDEN / name: render(plan)}, update_golden)


# --- the command ----------------------------------------------------------------------------


def test_exit_codes(tmp_path: Path) -> None:
    ok = invoke("plan", "-o", "json", cwd=REPO)
    assert ok.exit_code == 0, ok.stderr
    trees = json.loads(ok.stdout)["trees"]
    assert trees[0]["steps"][0]["app"] == "platform"
    # plan covers the trees validate covers: the base and each environment
    environments = sorted(p.name for p in (REPO / "out" / "environments").iterdir())
    assert [t["path"] for t in trees] == ["out"] + [f"out/environments/{e}" for e in environments]
    assert ok.stdout == plan_formats.to_json(
        [plan_tree(Path("out"))] + [plan_tree(Path("out/environments") / e) for e in environments]
    )
    _shop(tmp_path / "risky", health=None, store_wave="1")
    risky = invoke("plan", "risky", cwd=tmp_path)
    assert risky.exit_code == 1
    assert "error    wave-order  shop/secret.yaml" in risky.stdout
    missing = invoke("plan", "nowhere", cwd=tmp_path)
    assert missing.exit_code == 2
    assert "error: nowhere: no such directory" in missing.stderr
    bad = invoke("plan", "--format", "yaml", cwd=tmp_path)
    assert bad.exit_code == 2
    assert "Traceback" not in bad.stderr + risky.stderr + missing.stderr


def test_readme_examples_are_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Plan\n", 1)[1].split("\n### ", 1)[0]
    plan = plan_tree(Path("out"))
    (mermaid,) = re.findall(r"```mermaid\n(.*?)```", section, re.S)
    assert mermaid == plan_formats.to_mermaid(plan)
    (table,) = re.findall(r"```text\n(.*?)```", section, re.S)
    assert table in plan_formats.to_text(plan)

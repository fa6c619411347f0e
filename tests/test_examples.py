"""The example platforms under examples/: each renders to exactly its committed golden tree,
validates clean, and holds the facts it exists to show (run through the installed command)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO

EXAMPLES = sorted(p.parent for p in (REPO / "examples").glob("*/platform.yaml"))
ALB_PREFIX = "alb.ingress.kubernetes.io/"


def run(exe: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([exe, *args], capture_output=True, text=True, check=False)


def documents(tree: Path) -> list[tuple[str, dict[str, Any]]]:
    """(tree path, document) of every manifest of ``tree``, environment trees included."""
    found = []
    for path in sorted(tree.rglob("*.yaml")):
        rel = path.relative_to(tree).as_posix()
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and "kind" in doc:
                found.append((rel, doc))
    return found


def trees(out: Path) -> dict[str, Path]:
    """The base tree ('') and every environments/<name>/ tree of a rendered out/."""
    found = {"": out}
    for meta in sorted(out.glob("environments/*/gigrouter-metadata.yaml")):
        found[meta.parent.name] = meta.parent
    return found


def own_documents(tree: Path) -> list[tuple[str, dict[str, Any]]]:
    return [(p, d) for p, d in documents(tree) if not p.startswith("environments/")]


def metadata(tree: Path) -> dict[str, Any]:
    data = yaml.safe_load((tree / "gigrouter-metadata.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def ingresses(tree: Path) -> list[dict[str, Any]]:
    return [d for _, d in own_documents(tree) if d["kind"] == "Ingress"]


def test_there_are_three_examples_besides_the_default() -> None:
    assert [p.name for p in EXAMPLES] == ["generic-nginx", "gig-router-tls", "multi-team"]
    for example in EXAMPLES:
        readme = (example / "README.md").read_text(encoding="utf-8")
        assert len(readme.split()) > 40, f"{example.name}/README.md explains the example"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_the_golden_tree_is_a_fresh_render(gigrouter_exe: str, example: Path) -> None:
    config, out = example / "platform.yaml", example / "out"
    result = run(gigrouter_exe, "render", "--check", "--config", str(config), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout + result.stderr


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_validates_clean(gigrouter_exe: str, example: Path) -> None:
    result = run(gigrouter_exe, "validate", str(example / "out"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "clean: no errors or warnings" in result.stdout, result.stdout


@pytest.mark.parametrize("example", [*EXAMPLES, REPO], ids=lambda p: p.name)
def test_no_alb_annotation_on_an_ingress_of_another_controller(example: Path) -> None:
    out = example / "out"
    checked = 0
    for _, doc in documents(out):
        if doc["kind"] != "Ingress" or doc["spec"].get("ingressClassName") == "alb":
            continue
        checked += 1
        annotations = doc["metadata"].get("annotations") or {}
        assert not [k for k in annotations if k.startswith(ALB_PREFIX)], doc["metadata"]["name"]
    if example != REPO:  # every example has Ingresses of another controller
        assert checked


@pytest.mark.parametrize("name", ["generic-nginx", "gig-router-tls", "multi-team"])
def test_every_ingress_has_tls_for_its_hosts(name: str) -> None:
    out = REPO / "examples" / name / "out"
    for tree in trees(out).values():
        found = ingresses(tree)
        assert found
        for ing in found:
            hosts = {r["host"] for r in ing["spec"]["rules"]}
            covered = {h for t in ing["spec"].get("tls", []) for h in t["hosts"]}
            assert hosts <= covered, ing["metadata"]["name"]
            if ing["spec"]["ingressClassName"] != "alb":
                issuer = ing["metadata"]["annotations"].get("cert-manager.io/cluster-issuer")
                assert issuer, ing["metadata"]["name"]


def test_hosts_follow_each_environments_domain() -> None:
    out = REPO / "examples" / "multi-team" / "out"
    domains = {}
    for env, tree in trees(out).items():
        domain = metadata(tree)["domain"]
        domains[env] = domain
        hosts = {r["host"] for ing in ingresses(tree) for r in ing["spec"]["rules"]}
        assert hosts == {domain, f"api.{domain}"}, env
    assert len(set(domains.values())) == len(domains) == 3


def _owned(out: Path) -> dict[tuple[str, str, str, str], list[str]]:
    """(cluster, namespace, kind, name) -> the Applications deploying that object."""
    owners: dict[tuple[str, str, str, str], list[str]] = {}
    for env, tree in trees(out).items():
        docs = own_documents(tree)
        apps = [d for _, d in docs if d["kind"] == "Application"]
        for app in apps:
            dest = app["spec"]["destination"]
            cluster = dest.get("name") or dest.get("server")
            source = app["spec"].get("source") or {}
            path = source.get("path")
            if not path:
                continue
            prefix = f"environments/{env}/" if env else ""
            local = path[len(prefix) :] if path.startswith(prefix) else path
            for rel, doc in docs:
                if rel.startswith(local + "/"):
                    ns = doc["metadata"].get("namespace") or dest.get("namespace", "")
                    key = (cluster, ns, doc["kind"], doc["metadata"]["name"])
                    owners.setdefault(key, []).append(f"{env or 'base'}:{app['metadata']['name']}")
    return owners


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_no_object_is_owned_by_two_applications(example: Path) -> None:
    owners = _owned(example / "out")
    assert owners, "the check saw the objects"
    twice = {k: v for k, v in owners.items() if len(v) > 1}
    assert not twice


def test_environments_get_their_own_clusters() -> None:
    out = REPO / "examples" / "multi-team" / "out"
    clusters = set()
    for env, tree in trees(out).items():
        argocd = metadata(tree)["argocd"]["namespace"]
        apps = [
            d["spec"]["destination"]
            for _, d in own_documents(tree)
            if d["kind"] == "Application" and d["spec"]["destination"]["namespace"] != argocd
        ]
        names = {dest.get("name") or dest["server"] for dest in apps}
        assert len(names) == 1, env  # the root app-of-apps stays on Argo CD's own cluster
        clusters |= names
    assert len(clusters) == 3


def test_generic_cluster_renders_nothing_aws() -> None:
    out = REPO / "examples" / "generic-nginx" / "out"
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(out.rglob("*")) if p.is_file())
    for needle in ("amazonaws", "arn:aws", "alb.ingress", "eks.", "SecretsManager"):
        assert needle not in text, needle
    kinds = {d["kind"] for _, d in documents(out)}
    wanted = {"StatefulSet", "CronJob", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Cluster"}
    assert wanted <= kinds
    sts = next(d for _, d in documents(out) if d["kind"] == "StatefulSet")
    assert sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]


def test_pass_through_manifest_is_copied_byte_for_byte() -> None:
    example = REPO / "examples" / "generic-nginx"
    source = (example / "manifests" / "postgres" / "cluster.yaml").read_bytes()
    assert (example / "out" / "postgres" / "cluster.yaml").read_bytes() == source


def test_chart_values_file_lives_in_the_tree() -> None:
    example = REPO / "examples" / "multi-team"
    values = yaml.safe_load((example / "out" / "kafka" / "values.yaml").read_text(encoding="utf-8"))
    assert values == yaml.safe_load((example / "values" / "kafka.yaml").read_text(encoding="utf-8"))
    app = yaml.safe_load((example / "out" / "argocd" / "kafka.yaml").read_text(encoding="utf-8"))
    sources = app["spec"]["sources"]
    assert any(
        "$values/kafka/values.yaml" in s.get("helm", {}).get("valueFiles", []) for s in sources
    )
    namespaces = {
        a["spec"]["destination"]["namespace"]
        for _, a in own_documents(example / "out")
        if a["kind"] == "Application"
        and a["metadata"]["name"] in ("orders", "catalog", "storefront")
    }
    assert len(namespaces) == 3

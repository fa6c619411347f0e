"""ApplicationSet mode: one ApplicationSet per application for a central Argo CD."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from helpers import DEFAULT_CONFIG

from gigrouter.errors import ConfigError
from gigrouter.pipeline import build_trees, combine
from gigrouter.validate.runner import validate_memory
from gigrouter.validate.tree import MemoryFiles

STAGING = DEFAULT_CONFIG.parent / "environments" / "staging.yaml"


def config_with(tmp_path: Path, generator: str, staging_extra: str = "") -> Path:
    (tmp_path / "environments").mkdir()
    text = DEFAULT_CONFIG.read_text().replace(
        "    path: argocd\n",
        f"    path: argocd\n  applicationsets:\n    generator: {generator}\n",
        1,
    )
    (tmp_path / "platform.yaml").write_text(text)
    shutil.copy(STAGING, tmp_path / "environments" / "staging.yaml")
    if staging_extra:
        with open(tmp_path / "environments" / "staging.yaml", "a") as handle:
            handle.write(staging_extra)
    return tmp_path / "platform.yaml"


def test_list_generator(tmp_path: Path) -> None:
    base, staging = build_trees(config_with(tmp_path, "list"), everything=True)
    assert not [p for p in staging.tree.files if p.startswith("argocd/")]
    assert "backend/deployment.yaml" in staging.tree.files
    appset = yaml.safe_load(base.tree.files["argocd/backend-app.yaml"])
    assert appset["kind"] == "ApplicationSet"
    elements = appset["spec"]["generators"][0]["list"]["elements"]
    assert [(e["appName"], e["environment"]) for e in elements] == [
        ("backend", "base"),
        ("staging-backend", "staging"),
    ]
    assert elements[1]["spec"]["source"]["path"] == "environments/staging/backend"
    assert elements[1]["spec"]["destination"] == {
        "name": "gig-route-staging",
        "namespace": "backend",
    }
    assert appset["spec"]["templatePatch"] == "spec: {{ toJson .spec }}\n"
    assert appset["spec"]["template"]["metadata"]["name"] == "{{ .appName }}"
    monitoring = yaml.safe_load(base.tree.files["argocd/monitoring-helm.yaml"])
    sources = monitoring["spec"]["generators"][0]["list"]["elements"][1]["spec"]["sources"]
    assert sources[0]["helm"]["valueFiles"] == [
        "$values/environments/staging/observability/values.yaml"
    ]
    root = yaml.safe_load(base.tree.files["argocd/apps.yaml"])
    assert root["kind"] == "Application"


def test_waves_on_sets_are_reported(tmp_path: Path) -> None:
    tree = combine(build_trees(config_with(tmp_path, "list"), everything=True))
    report = validate_memory(MemoryFiles(tree.files, tree.documents))
    assert [
        (f.rule, f.severity.value) for f in report.findings if f.rule != "replace-with-ssa"
    ] == [("applicationset-unordered", "warning")]
    assert report.errors == 0


def test_clusters_generator_merges_environment_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        build_trees(config_with(tmp_path, "clusters"), everything=True)
    assert "set argocd.destination_name for: base" in info.value.lines()[0]
    shutil.rmtree(tmp_path / "environments")
    config = config_with(tmp_path, "clusters")
    config.write_text(
        config.read_text().replace(
            "  namespace: argocd\n",
            "  namespace: argocd\n  destination_server: null\n  destination_name: production\n",
            1,
        )
    )
    base, _ = build_trees(config, everything=True)
    merge = yaml.safe_load(base.tree.files["argocd/frontend-app.yaml"])["spec"]["generators"][0][
        "merge"
    ]
    assert merge["mergeKeys"] == ["name"]
    clusters, listed = merge["generators"]
    assert clusters["clusters"]["selector"]["matchExpressions"][0]["values"] == ["base", "staging"]
    assert [e["name"] for e in listed["list"]["elements"]] == ["production", "gig-route-staging"]


def test_sets_pass_the_upstream_crd(tmp_path: Path, shared_crds: Path) -> None:
    from gigrouter.validate.crd import CrdSchemas, load_crds
    from gigrouter.validate.custom_kinds import CustomKindSchemas

    upstream = CrdSchemas(load_crds(shared_crds / "argocd-applicationset-crd.yaml"))
    base, _ = build_trees(config_with(tmp_path, "list"), everything=True)
    sets = [
        d
        for docs in base.tree.documents.values()
        for d in docs
        if d.get("kind") == "ApplicationSet"
    ]
    # one per application of the platform
    assert sorted(d["metadata"]["name"] for d in sets) == sorted(
        a.name for a in base.platform.active_applications()
    )
    for doc in sets:
        assert upstream.validate(doc) == []
        assert CustomKindSchemas().validate(doc) == []


def test_plan_says_generated_applications_are_not_ordered(tmp_path: Path) -> None:
    from gigrouter.pipeline import render_to
    from gigrouter.plan.steps import plan_tree

    out = tmp_path / "out"
    render_to(config_with(tmp_path, "list"), out)
    plan = plan_tree(out)
    assert [w.rule for w in plan.warnings] == ["applicationset-unordered"]

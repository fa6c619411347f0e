"""Environments: overlays merged onto the base config, rendered as trees of their own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from helpers import DEFAULT_CONFIG, REPO

from gigrouter.config.load import load_platform, parse_yaml
from gigrouter.config.overlay import environment_names, load_environment, merge
from gigrouter.errors import ConfigError, UsageError
from gigrouter.pipeline import build_trees, render_to


def test_merge_rules_and_origins() -> None:
    base = parse_yaml(
        "a:\n  x: 1\n  y: 2\nitems:\n  - name: one\n    v: 1\n  - name: two\n    v: 2\nplain: [1, 2]\n",
        "base.yaml",
    )
    over = parse_yaml(
        "a:\n  y: 20\n  z: 30\nitems:\n  - name: two\n    v: 22\n  - name: three\n    v: 3\nplain: [9]\n",
        "env.yaml",
    )
    merged = merge(base, over)
    assert merged.data == {
        "a": {"x": 1, "y": 20, "z": 30},
        "items": [{"name": "one", "v": 1}, {"name": "two", "v": 22}, {"name": "three", "v": 3}],
        "plain": [9],
    }
    assert merged.origin(("a", "x")) == ("base.yaml", 2)
    assert merged.origin(("a", "y")) == ("env.yaml", 2)
    assert merged.origin(("items", 0, "v")) == ("base.yaml", 6)
    assert merged.origin(("items", 1, "v")) == ("env.yaml", 6)
    assert merged.origin(("items", 2, "v")) == ("env.yaml", 8)
    assert merged.origin(("plain", 0)) == ("env.yaml", 9)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    shutil.copy(DEFAULT_CONFIG, tmp_path / "platform.yaml")
    (tmp_path / "environments").mkdir()
    return tmp_path


def write_env(config_dir: Path, name: str, text: str) -> None:
    (config_dir / "environments" / f"{name}.yaml").write_text(text)


def test_overlay_errors_point_at_the_overlay(config_dir: Path) -> None:
    write_env(config_dir, "qa", "components:\n  backend:\n    replicas: -1\n    replicaz: 2\n")
    with pytest.raises(ConfigError) as info:
        load_environment(config_dir / "platform.yaml", "qa", display="config/platform.yaml")
    assert info.value.lines() == [
        "config/environments/qa.yaml:3: components.backend.replicas: Input should be greater"
        " than or equal to 0 (got -1)",
        "config/environments/qa.yaml:4: components.backend.replicaz: unknown key 'replicaz'"
        " (did you mean 'replicas'?)",
    ]


def test_cross_rules_see_the_merged_config(config_dir: Path) -> None:
    write_env(config_dir, "qa", "applications:\n  - name: monitoring\n    wave: 1\n")
    with pytest.raises(ConfigError) as info:
        load_environment(config_dir / "platform.yaml", "qa", display="platform.yaml")
    (line,) = info.value.lines()
    assert line.startswith("environments/qa.yaml:3: applications[monitoring].wave: wave 1")


def test_environment_tree_points_inside_itself(config_dir: Path) -> None:
    write_env(config_dir, "qa", "components:\n  frontend:\n    replicas: 5\n")
    base, qa = build_trees(config_dir / "platform.yaml", everything=True)
    assert qa.environment == "qa" and qa.prefix == "environments/qa/"
    root = yaml.safe_load(qa.tree.files["argocd/apps.yaml"])
    assert root["spec"]["source"]["path"] == "environments/qa/argocd"
    assert root["metadata"]["name"] == "qa-platform"  # shares the default Argo CD instance
    backend = yaml.safe_load(qa.tree.files["argocd/backend-app.yaml"])
    assert backend["metadata"]["name"] == "qa-backend"
    assert backend["spec"]["source"]["path"] == "environments/qa/backend"
    monitoring = yaml.safe_load(qa.tree.files["argocd/monitoring-helm.yaml"])
    chart, _ = monitoring["spec"]["sources"]
    assert chart["helm"]["valueFiles"] == ["$values/environments/qa/observability/values.yaml"]
    assert chart["helm"]["releaseName"] == "monitoring"  # pinned: chart-made names stay
    frontend = yaml.safe_load(qa.tree.files["frontend/deployment.yaml"])
    assert frontend["spec"]["replicas"] == 5
    assert yaml.safe_load(base.tree.files["frontend/deployment.yaml"])["spec"]["replicas"] == 2
    meta = yaml.safe_load(base.tree.files["gigrouter-metadata.yaml"])
    assert "environments" in meta["entries"]


def test_own_instance_keeps_names_and_own_repo_settings(config_dir: Path) -> None:
    write_env(
        config_dir,
        "prod-eu",
        "argocd:\n  instance: eu\n  destination_server: null\n  destination_name: eu-1\n"
        "gitops:\n  repo_url: https://git.example.com/eu.git\n  revision: release\n  path: ''\n",
    )
    _, env = build_trees(config_dir / "platform.yaml", everything=True)
    backend = yaml.safe_load(env.tree.files["argocd/backend-app.yaml"])
    assert backend["metadata"]["name"] == "backend"
    assert backend["spec"]["destination"] == {"name": "eu-1", "namespace": "backend"}
    assert backend["spec"]["source"] == {
        "repoURL": "https://git.example.com/eu.git",
        "targetRevision": "release",
        "path": "backend",
    }
    root = yaml.safe_load(env.tree.files["argocd/apps.yaml"])
    assert root["spec"]["destination"]["server"] == "https://kubernetes.default.svc"


def test_destination_needs_exactly_one_of_server_and_name(config_dir: Path) -> None:
    write_env(config_dir, "qa", "argocd:\n  destination_name: qa\n")
    with pytest.raises(ConfigError) as info:
        load_environment(config_dir / "platform.yaml", "qa", display="platform.yaml")
    assert "give exactly one of destination_server and destination_name" in info.value.lines()[0]


@pytest.mark.parametrize("name", ["Prod", "a_b", "x" * 41])
def test_environment_file_names_are_labels(config_dir: Path, name: str) -> None:
    write_env(config_dir, name, "name: x\n")
    with pytest.raises(ConfigError):
        environment_names(config_dir / "platform.yaml")


def test_render_one_environment(config_dir: Path, tmp_path: Path) -> None:
    write_env(config_dir, "qa", "namespace_suffix: qa\ncomponents:\n  frontend:\n    replicas: 3\n")
    out = tmp_path / "out"
    render_to(config_dir / "platform.yaml", out)
    assert (out / "environments" / "qa" / "gigrouter-metadata.yaml").is_file()
    base_before = (out / "frontend" / "deployment.yaml").read_bytes()
    write_env(config_dir, "qa", "namespace_suffix: qa\ncomponents:\n  frontend:\n    replicas: 4\n")
    assert not render_to(config_dir / "platform.yaml", out, check=True, env="qa").drift.clean
    render_to(config_dir / "platform.yaml", out, env="qa")
    assert "replicas: 4" in (out / "environments/qa/frontend/deployment.yaml").read_text()
    assert (out / "frontend" / "deployment.yaml").read_bytes() == base_before
    assert render_to(config_dir / "platform.yaml", out, check=True).drift.clean
    with pytest.raises(UsageError) as info:
        render_to(config_dir / "platform.yaml", out, env="prod")
    assert info.value.lines() == ["--env: no environment named 'prod'; known: qa"]


def test_the_example_staging_environment_is_rendered() -> None:
    staging = REPO / "out" / "environments" / "staging"
    meta = yaml.safe_load((staging / "gigrouter-metadata.yaml").read_text())
    assert meta["environment"] == "staging"
    assert meta["gitops"]["path"] == "environments/staging"
    app = yaml.safe_load((staging / "argocd" / "frontend-app.yaml").read_text())
    assert app["metadata"]["name"] == "staging-frontend"
    assert app["spec"]["destination"] == {"name": "gig-route-staging", "namespace": "frontend"}


@pytest.mark.parametrize("text", ["", "# staging: the same platform, for now\n", "---\n"])
def test_an_empty_overlay_is_an_environment_equal_to_the_base(config_dir: Path, text: str) -> None:
    write_env(config_dir, "qa", text)
    env = load_environment(config_dir / "platform.yaml", "qa")
    base = load_platform(config_dir / "platform.yaml")
    assert env.model_dump(exclude={"gitops"}) == base.model_dump(exclude={"gitops"})
    assert env.gitops.path == "/".join(p for p in (base.gitops.path, "environments", "qa") if p)

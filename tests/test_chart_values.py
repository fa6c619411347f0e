"""Helm values use exactly the keys the charts define (looked up in each chart's values.yaml,
recorded in tests/data/chart_value_keys.yaml), so no setting is silently ignored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import DEFAULT_CONFIG, find, load

from gigrouter.pipeline import build

KEYS = yaml.safe_load((Path(__file__).parent / "data" / "chart_value_keys.yaml").read_text())
# Below these, a key is free-form data the chart passes through (annotations, resources).
OPAQUE = {"annotations", "resources", "hosts"}


def key_paths(values: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in values.items():
        path = f"{prefix}.{key}" if prefix else key
        out.append(path)
        if isinstance(value, dict) and key not in OPAQUE:
            out.extend(key_paths(value, path))
    return out


def known(chart: str) -> set[str]:
    entry = KEYS[chart]
    return set(entry.get("keys", [])) | set(entry.get("read_by_templates", []))


@pytest.fixture(scope="module")
def tree() -> Any:
    return build(DEFAULT_CONFIG)[1]


@pytest.mark.parametrize(
    ("app", "chart"),
    [
        ("aws-load-balancer-controller", "aws-load-balancer-controller"),
        ("external-secrets", "external-secrets"),
        ("prometheus-crds", "kube-prometheus-stack"),
    ],
)
def test_inline_values_use_chart_keys(tree: Any, app: str, chart: str) -> None:
    values = find(tree, "Application", app)["spec"]["source"]["helm"]["valuesObject"]
    unknown = [k for k in key_paths(values) if k not in known(chart)]
    assert unknown == []


def test_observability_values_use_chart_keys(tree: Any) -> None:
    values = load(tree, "observability/values.yaml")
    unknown = [k for k in key_paths(values) if k not in known("kube-prometheus-stack")]
    assert unknown == []


def test_prometheus_crds_switches_off_every_component(tree: Any) -> None:
    values = find(tree, "Application", "prometheus-crds")["spec"]["source"]["helm"]["valuesObject"]
    toggles = KEYS["kube-prometheus-stack"]["component_toggles"]
    for toggle in toggles:
        section, switch = toggle.split(".")
        expected = section == "crds"
        assert values[section][switch] is expected, toggle


def test_a_typo_would_be_caught() -> None:
    assert "grafana.admin.existingSecrets" not in known("kube-prometheus-stack")
    assert (
        key_paths({"grafana": {"admin": {"existingSecrets": "x"}}})[-1]
        == "grafana.admin.existingSecrets"
    )

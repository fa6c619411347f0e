"""`gigrouter validate` through the CLI (in-process), and render refusing an invalid tree."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import DEFAULT_CONFIG, REPO
from support.cli import invoke

SEED = REPO / "tests" / "fixtures" / "seed"


def test_default_tree_is_clean() -> None:
    result = invoke("validate", cwd=REPO)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "clean: no errors or warnings" in result.stdout
    strict = invoke("validate", "out", "--strict", cwd=REPO)
    assert strict.exit_code == 0


def test_seed_fixture_fails_with_every_format(tmp_path: Path) -> None:
    text = invoke("validate", str(SEED), cwd=tmp_path)
    assert text.exit_code == 1
    assert "networkpolicy-namespace-label" in text.stdout
    assert "\x1b[" not in text.stdout  # not a terminal: no colour

    data = json.loads(invoke("validate", str(SEED), "--format", "json", cwd=tmp_path).stdout)
    assert set(data) == {"findings", "summary"}
    assert data["summary"]["errors"] == sum(1 for f in data["findings"] if f["severity"] == "error")
    first = data["findings"][0]
    assert set(first) == {"severity", "rule", "message", "file", "line", "resource"}
    assert not first["file"].startswith("/")

    junit = ET.fromstring(invoke("validate", str(SEED), "--format", "junit", cwd=tmp_path).stdout)
    assert junit.tag == "testsuites" and int(junit.attrib["failures"]) > 0

    sarif = json.loads(invoke("validate", str(SEED), "--format", "sarif", cwd=tmp_path).stdout)
    assert sarif["version"] == "2.1.0"
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"namespace-missing"}

    github = invoke("validate", "seed", "--format", "github", cwd=SEED.parent).stdout
    # the line of the field the finding is about (the namespaceSelector), not the document
    assert "::error file=seed/memcached/networkpolicy.yaml,line=14," in github


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    for args in (
        ["validate", "missing-dir"],
        ["validate", "--format", "xml"],
        ["validate", "--kubernetes-version", "1.10"],
        ["validate", "--external", "only-two/parts"],
        ["validate", "--crd", "no-such.yaml"],
    ):
        result = invoke(*args, cwd=tmp_path)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr


def test_crd_flag_validates_a_custom_kind(tmp_path: Path) -> None:
    shutil.copytree(REPO / "out", tmp_path / "tree")
    widget_crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.io"},
        "spec": {
            "group": "example.io",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}},
            }}}],
        },
    }  # fmt: skip
    (tmp_path / "crd.json").write_text(json.dumps(widget_crd))
    (tmp_path / "tree/backend/widget.yaml").write_text(
        "apiVersion: example.io/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: backend\nspec:\n  size: big\n"
    )
    unknown = invoke("validate", "tree", "--format", "json", cwd=tmp_path)
    rules = {f["rule"]: f["severity"] for f in json.loads(unknown.stdout)["findings"]}
    assert rules["unknown-kind"] == "warning"
    assert unknown.exit_code == 0
    assert invoke("validate", "tree", "--strict", cwd=tmp_path).exit_code == 1
    checked = invoke("validate", "tree", "--crd", "crd.json", "--format", "json", cwd=tmp_path)
    assert checked.exit_code == 1
    (finding,) = [f for f in json.loads(checked.stdout)["findings"] if f["rule"] == "custom-schema"]
    assert finding["file"] == "backend/widget.yaml" and "spec.size" in finding["message"]


def test_render_refuses_to_write_an_invalid_tree(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        invoke("render", "-c", str(DEFAULT_CONFIG), "--out", str(out), cwd=tmp_path).exit_code == 0
    )
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "bad.yaml"
    # A valid config whose render breaks an ordering rule: the ExternalSecret after the pods.
    bad.write_text(
        DEFAULT_CONFIG.read_text().replace(
            "refresh_interval: 1h\n      wave: 2", "refresh_interval: 1h\n      wave: 5"
        )
    )
    result = invoke("render", "-c", str(bad), "--out", str(out), cwd=tmp_path)
    assert result.exit_code == 1, result.stderr
    assert "wave-order" in result.stderr
    assert "nothing was written" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("fmt", ["json", "junit", "sarif", "github", "text"])
def test_every_format_on_a_clean_tree(fmt: str) -> None:
    result = invoke("validate", "out", "--format", fmt, cwd=REPO)
    assert result.exit_code == 0


def test_env_flags() -> None:
    assert invoke("render", "--env", "staging", "--check", cwd=REPO).exit_code == 0
    assert invoke("validate", "--env", "staging", cwd=REPO).exit_code == 0
    missing = invoke("validate", "--env", "prod", cwd=REPO)
    assert missing.exit_code == 2
    assert "known: staging" in missing.stderr

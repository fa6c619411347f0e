"""`gigrouter validate` through the installed command, and render refusing an invalid tree."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import DEFAULT_CONFIG, REPO

SEED = REPO / "tests" / "fixtures" / "seed"


def run(exe: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_default_tree_is_clean(gigrouter_exe: str) -> None:
    result = run(gigrouter_exe, "validate", cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "clean: no errors or warnings" in result.stdout
    strict = run(gigrouter_exe, "validate", "out", "--strict", cwd=REPO)
    assert strict.returncode == 0


def test_seed_fixture_fails_with_every_format(gigrouter_exe: str, tmp_path: Path) -> None:
    text = run(gigrouter_exe, "validate", str(SEED), cwd=tmp_path)
    assert text.returncode == 1
    assert "networkpolicy-namespace-label" in text.stdout
    assert "\x1b[" not in text.stdout  # not a terminal: no colour

    data = json.loads(
        run(gigrouter_exe, "validate", str(SEED), "--format", "json", cwd=tmp_path).stdout
    )
    assert set(data) == {"findings", "summary"}
    assert data["summary"]["errors"] == sum(1 for f in data["findings"] if f["severity"] == "error")
    first = data["findings"][0]
    assert set(first) == {"severity", "rule", "message", "file", "line", "resource"}
    assert not first["file"].startswith("/")

    junit = ET.fromstring(
        run(gigrouter_exe, "validate", str(SEED), "--format", "junit", cwd=tmp_path).stdout
    )
    assert junit.tag == "testsuites" and int(junit.attrib["failures"]) > 0

    sarif = json.loads(
        run(gigrouter_exe, "validate", str(SEED), "--format", "sarif", cwd=tmp_path).stdout
    )
    assert sarif["version"] == "2.1.0"
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"namespace-missing"}

    github = run(gigrouter_exe, "validate", "seed", "--format", "github", cwd=SEED.parent).stdout
    assert "::error file=seed/memcached/networkpolicy.yaml,line=1," in github


def test_usage_errors_exit_2(gigrouter_exe: str, tmp_path: Path) -> None:
    for args in (
        ["validate", "missing-dir"],
        ["validate", "--format", "xml"],
        ["validate", "--kubernetes-version", "1.10"],
        ["validate", "--external", "only-two/parts"],
        ["validate", "--crd", "no-such.yaml"],
    ):
        result = run(gigrouter_exe, *args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr


def test_crd_flag_validates_a_custom_kind(gigrouter_exe: str, tmp_path: Path) -> None:
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
    unknown = run(gigrouter_exe, "validate", "tree", "--format", "json", cwd=tmp_path)
    rules = {f["rule"]: f["severity"] for f in json.loads(unknown.stdout)["findings"]}
    assert rules["unknown-kind"] == "warning"
    assert unknown.returncode == 0
    assert run(gigrouter_exe, "validate", "tree", "--strict", cwd=tmp_path).returncode == 1
    checked = run(
        gigrouter_exe, "validate", "tree", "--crd", "crd.json", "--format", "json", cwd=tmp_path
    )
    assert checked.returncode == 1
    (finding,) = [f for f in json.loads(checked.stdout)["findings"] if f["rule"] == "custom-schema"]
    assert finding["file"] == "backend/widget.yaml" and "spec.size" in finding["message"]


def test_render_refuses_to_write_an_invalid_tree(gigrouter_exe: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        run(
            gigrouter_exe, "render", "-c", str(DEFAULT_CONFIG), "-o", str(out), cwd=tmp_path
        ).returncode
        == 0
    )
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "bad.yaml"
    # A valid config whose render breaks an ordering rule: the ExternalSecret after the pods.
    bad.write_text(
        DEFAULT_CONFIG.read_text().replace(
            "refresh_interval: 1h\n      wave: 2", "refresh_interval: 1h\n      wave: 5"
        )
    )
    result = run(gigrouter_exe, "render", "-c", str(bad), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "wave-order" in result.stderr
    assert "nothing was written" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("fmt", ["json", "junit", "sarif", "github", "text"])
def test_every_format_on_a_clean_tree(gigrouter_exe: str, fmt: str) -> None:
    result = run(gigrouter_exe, "validate", "out", "--format", fmt, cwd=REPO)
    assert result.returncode == 0


def test_env_flags(gigrouter_exe: str) -> None:
    assert run(gigrouter_exe, "render", "--env", "staging", "--check", cwd=REPO).returncode == 0
    assert run(gigrouter_exe, "validate", "--env", "staging", cwd=REPO).returncode == 0
    missing = run(gigrouter_exe, "validate", "--env", "prod", cwd=REPO)
    assert missing.returncode == 2
    assert "known: staging" in missing.stderr

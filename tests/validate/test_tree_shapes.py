"""Trees that are not one repository: Helm charts, kustomize bases and overlays (rendered with
the real kubectl kustomize under --render), documentation folders and non-manifest YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from gigrouter.validate.context import Options
from gigrouter.validate.findings import Finding, Severity
from gigrouter.validate.runner import validate_path

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          envFrom:
            - configMapRef: {name: web-config}
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def overlays(root: Path) -> Path:
    files = {
        "base/kustomization.yaml": (
            "resources: [deployment.yaml]\nconfigMapGenerator:\n- name: web-config\n"
            "  literals: [MODE=fast]\n"
        ),
        "base/deployment.yaml": DEPLOYMENT,
    }
    for env in ("dev", "prod"):
        files[f"overlays/{env}/kustomization.yaml"] = (
            f"namespace: {env}\nresources: [../../base]\npatches:\n- path: replicas.yaml\n"
        )
        files[f"overlays/{env}/replicas.yaml"] = (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n"
        )
    return write(root, files)


def found(root: Path, render: bool = False) -> list[Finding]:
    return validate_path(root, Options(render=render)).findings


def rules(findings: list[Finding], *severities: Severity) -> list[tuple[str, str]]:
    return sorted((f.rule, f.file) for f in findings if f.severity in severities)


def test_overlays_unrendered_are_one_info_each(tmp_path: Path) -> None:
    report = found(overlays(tmp_path))
    assert rules(report, Severity.ERROR, Severity.WARNING) == []
    assert rules(report, Severity.INFO) == [
        ("kustomization", "base/kustomization.yaml"),
        ("kustomization", "overlays/dev/kustomization.yaml"),
        ("kustomization", "overlays/prod/kustomization.yaml"),
    ]
    base = next(f for f in report if f.file == "base/kustomization.yaml")
    assert "a kustomize base of overlays/dev, overlays/prod" in base.message


def test_rendered_overlays_are_trees_of_their_own(tmp_path: Path) -> None:
    report = validate_path(overlays(tmp_path), Options(render=True))
    # Each overlay's Deployment once: no duplicate-resource, the generated ConfigMap resolves.
    assert [f for f in report.findings if f.rule in ("duplicate-resource", "configmap-ref")] == []
    assert report.resources == 4  # a Deployment and a ConfigMap per overlay
    probes = [f for f in report.findings if f.rule == "readiness-probe-missing"]
    assert sorted(str(f.resource) for f in probes) == ["Deployment/dev/web", "Deployment/prod/web"]
    assert {f.file for f in probes} == {"base/deployment.yaml"}  # the file the object came from


def test_a_kustomization_that_does_not_build_is_an_error(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/kustomization.yaml": "resources: [missing.yaml]\n"})
    report = found(root, render=True)
    assert rules(report, Severity.ERROR) == [("render-failed", "app/kustomization.yaml")]
    assert str(tmp_path) not in report[0].message


CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "chart/values.yaml": "replicas: 1\n",
    "chart/templates/deployment.yaml": "metadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\n",
    "chart/charts/redis/Chart.yaml": "apiVersion: v2\nname: redis\nversion: 1.0.0\n",
    "chart/charts/redis/templates/svc.yaml": "kind: {{ .Values.kind }}\n",
}


def test_a_helm_chart_is_one_info(tmp_path: Path) -> None:
    report = found(write(tmp_path, CHART))
    assert rules(report, Severity.ERROR, Severity.WARNING) == []
    assert rules(report, Severity.INFO) == [("helm-chart", "chart/Chart.yaml")]


def test_render_without_helm_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    report = found(write(tmp_path / "tree", CHART), render=True)
    assert rules(report, Severity.ERROR, Severity.WARNING) == [
        ("render-failed", "chart/Chart.yaml")
    ]
    assert "helm is not on PATH" in report[0].message


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  mode: {mode}\n"


def test_a_docs_folder_of_examples_validates_each_file_alone(tmp_path: Path) -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n"
        "    image: nginx:1.27\n    env:\n    - name: X\n      valueFrom:\n"
        "        secretKeyRef: {name: your-secret, key: k}\n"
    )
    root = write(
        tmp_path,
        {
            "docs/basic.yaml": CM.format(name="example", mode="a"),
            "docs/advanced.yaml": CM.format(name="example", mode="b"),
            "docs/pod.yaml": pod,
            "docs/mkdocs.yml": "site_name: x\nnav: []\n",
        },
    )
    report = found(root)
    assert [f for f in report if f.rule == "duplicate-resource"] == []
    secret = next(f for f in report if f.rule == "secret-ref")
    assert secret.severity is Severity.INFO  # an example names what the reader creates
    assert ("snippet-folder", "docs/advanced.yaml") in rules(report, Severity.INFO)
    assert ("not-a-manifest", "docs/mkdocs.yml") in rules(report, Severity.INFO)


def test_duplicates_synced_by_an_application_stay_errors(tmp_path: Path) -> None:
    app = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\n"
        "  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://x\n"
        "    path: apps\n    targetRevision: v1.0.0\n  destination:\n"
        "    server: https://kubernetes.default.svc\n    namespace: web\n"
    )
    root = write(
        tmp_path,
        {
            "app.yaml": app,
            "apps/one.yaml": CM.format(name="same", mode="a"),
            "apps/two.yaml": CM.format(name="same", mode="b"),
        },
    )
    assert ("duplicate-resource", "apps/two.yaml") in rules(found(root), Severity.ERROR)


def test_a_document_with_api_version_but_no_kind_stays_an_error(tmp_path: Path) -> None:
    root = write(tmp_path, {"docs/cm.yaml": "apiVersion: v1\nmetadata:\n  name: x\n"})
    assert rules(found(root), Severity.ERROR) == [("document-incomplete", "docs/cm.yaml")]


def test_gigrouter_s_own_tree_has_no_snippet_folders(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "gigrouter-metadata.yaml": "gigrouter: {format: 1}\n",
            "docs/a.yaml": CM.format(name="same", mode="a"),
            "docs/b.yaml": CM.format(name="same", mode="b"),
        },
    )
    assert ("duplicate-resource", "docs/b.yaml") in rules(found(root), Severity.ERROR)

"""chart-installed-twice: a chart that two trees release on one cluster and that the releases
would share (its cluster-wide controller, or its CRDs), warned about once per chart and tree at
the overlay, with what to do; the advice, followed, renders clean."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import DEFAULT_CONFIG

from gigrouter.helm import CLUSTER_CONTROLLERS

OVERLAY = "# qa shares the base's cluster\nnamespace_suffix: qa\n"


def project(tmp_path: Path, overlay: str, config: Path = DEFAULT_CONFIG) -> Path:
    folder = tmp_path / "config"
    (folder / "environments").mkdir(parents=True)
    shutil.copy(config, folder / "platform.yaml")
    (folder / "environments" / "qa.yaml").write_text(overlay, encoding="utf-8")
    return folder / "platform.yaml"


def twice(exe: str, config: Path, out: Path) -> list[dict[str, Any]]:
    """The chart-installed-twice findings of ``gigrouter render -o json`` (which must pass)."""
    done = subprocess.run(
        [exe, "render", "-c", str(config), "--out", str(out), "-o", "json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    found = report.get("findings", []) + report.get("warnings", [])
    return [f for f in found if f["rule"] == "chart-installed-twice"]


def test_each_cluster_wide_controller_released_twice_is_one_warning_with_what_to_do(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    config = project(tmp_path, OVERLAY)
    found = twice(gigrouter_exe, config, tmp_path / "out")
    by_chart = {f["message"].split("'")[1]: f for f in found}
    assert len(found) == len(by_chart) == 3
    assert set(by_chart) == {
        "aws-load-balancer-controller",
        "external-secrets",
        "kube-prometheus-stack",
    }
    overlay = str(config.parent / "environments" / "qa.yaml")
    assert {(f["file"], f["line"], f["severity"]) for f in found} == {(overlay, 2, "warning")}
    eso = by_chart["external-secrets"]["message"]
    assert eso.startswith(
        "applications[external-secrets]: chart 'external-secrets' is also installed by the base"
        " platform on the cluster Argo CD instance 'default' runs on (in-cluster). Its"
        " controller watches the ExternalSecrets, SecretStores and ClusterSecretStores of every"
        " namespace, so two releases on one cluster reconcile the same objects, whatever their"
        " namespaces and helm.skip_crds; its CRDs (external-secrets.io,"
        " generators.external-secrets.io) are cluster-scoped too. Disable it in this overlay"
        " (applications: [{name: external-secrets, enabled: false}], and drop it from the"
        " depends_on of 'backend': render refuses a dependency on a disabled application)"
    )
    # one warning for the chart's two releases in the tree: the CRD-only release and the
    # release that runs the operator (prometheus-crds turns prometheusOperator off)
    stack = by_chart["kube-prometheus-stack"]["message"]
    assert stack.startswith("applications[monitoring], applications[prometheus-crds]: ")
    assert "{name: monitoring, enabled: false}, {name: prometheus-crds, enabled: false}" in stack
    assert "depends_on of 'logging'" in stack


def test_skip_crds_does_not_quiet_a_controller(tmp_path: Path, gigrouter_exe: str) -> None:
    overlay = (
        OVERLAY
        + "applications:\n"
        + "".join(
            f"  - name: {name}\n    helm:\n      skip_crds: true\n"
            for name in ("aws-load-balancer-controller", "external-secrets", "prometheus-crds")
        )
    )
    found = twice(gigrouter_exe, project(tmp_path, overlay), tmp_path / "out")
    assert len(found) == 3
    # external-secrets' CRDs are chart templates (installCRDs: true): skip_crds keeps them
    too = sorted(f["message"].split("'")[1] for f in found if "cluster-scoped too" in f["message"])
    assert too == ["external-secrets"]
    (stack,) = [f["message"] for f in found if "'kube-prometheus-stack'" in f["message"]]
    assert stack.startswith("applications[monitoring]: ")  # prometheus-crds now shares nothing


def test_the_advice_followed_renders_without_a_warning(tmp_path: Path, gigrouter_exe: str) -> None:
    off = ("aws-load-balancer-controller", "external-secrets", "monitoring", "prometheus-crds")
    overlay = OVERLAY + "applications:\n"
    overlay += "".join(f"  - name: {name}\n    enabled: false\n" for name in off)
    overlay += "".join(
        f"  - name: {name}\n    depends_on: []\n" for name in ("memcached", "backend", "logging")
    )
    assert twice(gigrouter_exe, project(tmp_path, overlay), tmp_path / "out") == []


def chart_app(name: str, chart: str, values: str = "", crd_groups: str = "") -> str:
    text = (
        f"  - name: {name}\n    file: {name}.yaml\n    namespace: {name}\n    helm:\n"
        f"      chart: {chart}\n      repo_url: https://charts.example.com\n"
        f"      version: 1.0.0\n"
    )
    if crd_groups:
        text += f"      crd_groups: [{crd_groups}]\n"
    if values:
        text += "      values:\n" + "".join(f"        {line}\n" for line in values.splitlines())
    return text


def init_with(tmp_path: Path, exe: str, apps: str) -> Path:
    subprocess.run([exe, "init", str(tmp_path)], check=True, capture_output=True)
    config = tmp_path / "config" / "platform.yaml"
    (config.parent / "environments").mkdir()
    body = config.read_text(encoding="utf-8")
    config.write_text(body.replace("\ncomponents:\n", apps + "\ncomponents:\n"), encoding="utf-8")
    return config


def test_ingress_nginx_releases_meet_only_on_the_same_ingress_class(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    assert CLUSTER_CONTROLLERS["ingress-nginx"].apart
    config = init_with(tmp_path, gigrouter_exe, chart_app("ingress", "ingress-nginx"))
    overlay = config.parent / "environments" / "qa.yaml"
    overlay.write_text(OVERLAY, encoding="utf-8")
    (found,) = twice(gigrouter_exe, config, tmp_path / "out")
    assert "with the same controller.ingressClassResource.name ('nginx')" in found["message"]
    assert "cluster-scoped too" not in found["message"]  # the chart is not known for CRDs
    assert (
        "set this release apart: controller.ingressClassResource.name,"
        " controller.ingressClassResource.controllerValue, helm.release_name of its own"
    ) in found["message"]
    apart = "applications:\n  - name: ingress\n    helm:\n"
    # its own IngressClass alone: both controllers still claim the default controller class
    # and the release's cluster-scoped objects (ClusterRole, admission webhook) by name
    overlay.write_text(
        OVERLAY
        + apart
        + "      values:\n        controller: {ingressClassResource: {name: nginx-qa}}\n",
        encoding="utf-8",
    )
    (found,) = twice(gigrouter_exe, config, tmp_path / "out1")
    assert "with the same controller.ingressClassResource.controllerValue" in found["message"]
    # class, controller class and release name of its own: two controllers, each with its
    # Ingresses and objects
    overlay.write_text(
        OVERLAY + apart + "      release_name: ingress-qa\n      values:\n"
        "        controller:\n          ingressClassResource:\n            name: nginx-qa\n"
        "            controllerValue: k8s.io/ingress-nginx-qa\n",
        encoding="utf-8",
    )
    assert twice(gigrouter_exe, config, tmp_path / "out2") == []


@pytest.mark.parametrize(
    ("chart", "values", "crds"),
    [
        ("cert-manager", "", False),  # crds.enabled defaults to false
        ("cert-manager", "crds: {enabled: true}", True),
        ("cert-manager", "installCRDs: true", True),
        ("external-secrets", "", True),  # installCRDs defaults to true
        ("external-secrets", "installCRDs: false", False),
    ],
)
def test_templated_crds_follow_the_chart_values_not_skip_crds(
    tmp_path: Path, gigrouter_exe: str, chart: str, values: str, crds: bool
) -> None:
    """cert-manager's and external-secrets' CRDs are chart templates switched by values;
    helm.skip_crds (crds/ files only) leaves them alone, so it neither adds nor removes them."""
    app = chart_app("certs", chart, values=values)
    app = app.replace("      version: 1.0.0\n", "      version: 1.0.0\n      skip_crds: true\n")
    config = init_with(tmp_path, gigrouter_exe, app)
    overlay = config.parent / "environments" / "qa.yaml"
    overlay.write_text(OVERLAY, encoding="utf-8")
    (found,) = twice(gigrouter_exe, config, tmp_path / "out")
    assert ("are cluster-scoped too" in found["message"]) is crds


def test_a_chart_with_crds_only_keeps_the_skip_crds_advice(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    config = init_with(
        tmp_path,
        gigrouter_exe,
        chart_app("widgets", "widget-crds", crd_groups="widgets.example.com"),
    )
    overlay = config.parent / "environments" / "qa.yaml"
    overlay.write_text(OVERLAY, encoding="utf-8")
    (found,) = twice(gigrouter_exe, config, tmp_path / "out")
    assert found["message"] == (
        "applications[widgets]: chart 'widget-crds' is also installed by the base platform on"
        " the cluster Argo CD instance 'default' runs on (in-cluster); its CRDs"
        " (widgets.example.com) are cluster-scoped, so two Applications would own them: set"
        " helm.skip_crds: true for it in this overlay (the other release's CRDs serve both), or"
        " give the environment a cluster of its own"
    )
    overlay.write_text(
        OVERLAY + "applications:\n  - name: widgets\n    helm:\n      skip_crds: true\n",
        encoding="utf-8",
    )
    assert twice(gigrouter_exe, config, tmp_path / "out2") == []


def test_a_controller_turned_off_by_a_parameter_shares_nothing(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    config = init_with(tmp_path, gigrouter_exe, chart_app("stack", "kube-prometheus-stack"))
    overlay = config.parent / "environments" / "qa.yaml"
    overlay.write_text(
        OVERLAY + "applications:\n  - name: stack\n    helm:\n      skip_crds: true\n"
    )
    (found,) = twice(gigrouter_exe, config, tmp_path / "out")
    assert "the Prometheus Operator" in found["message"]
    overlay.write_text(
        OVERLAY + "applications:\n  - name: stack\n    helm:\n      skip_crds: true\n"
        "      parameters: {prometheusOperator.enabled: 'false'}\n",
        encoding="utf-8",
    )
    assert twice(gigrouter_exe, config, tmp_path / "out2") == []


def test_the_warnings_of_one_overlay_agree_on_what_to_drop(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    """No warning tells the user to drop from a depends_on an application that another warning
    of the same overlay disables."""
    found = twice(gigrouter_exe, project(tmp_path, OVERLAY), tmp_path / "out")
    assert len(found) >= 2
    disabled: set[str] = set()
    dropping: set[str] = set()
    for f in found:
        message = f["message"]
        disabled |= set(re.findall(r"\{name: ([\w-]+), enabled: false\}", message))
        listed = re.search(r"from the depends_on of ([^:]+):", message)
        if listed:
            dropping |= set(re.findall(r"'([\w-]+)'", listed.group(1)))
    assert disabled, "the seed's controllers are disabled in the advice"
    assert not dropping & disabled, sorted(dropping & disabled)

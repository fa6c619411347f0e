"""The benchmark runs (quick mode, as CI runs it): every measurement and baseline, a report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO


@pytest.mark.slow
def test_quick_benchmark_writes_its_report(tmp_path: Path) -> None:
    report_path = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench.py"), "--quick", "--json", str(report_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(report_path.read_text())
    assert report["quick"] is True and report["repeat"] == 1
    cases = [report["default_platform"], *report["synthetic"].values()]
    assert sorted(report["synthetic"]) == ["1", "10"]
    for case in cases:
        for key in ("render", "validate", "kubernetes_validate_cli"):
            assert case[key]["seconds"] > 0 and case[key]["peak_mib"] > 0
        assert case["files"] >= 6
        assert set(case["ratios"]) >= {
            "render_vs_kubernetes_validate",
            "validate_vs_kubernetes_validate",
        }
    # 1 service: a Deployment, Service, Ingress, ConfigMap and ExternalSecret, plus Argo CD apps
    assert report["synthetic"]["10"]["files"] == report["synthetic"]["1"]["files"] + 9
    names = [t["target"] for t in report["targets"]]
    assert any("kubernetes-validate" in n for n in names)
    assert any("linear growth" in n for n in names)
    assert all(isinstance(t["met"], bool) for t in report["targets"])
    assert "default platform" in result.stdout and "report:" in result.stdout

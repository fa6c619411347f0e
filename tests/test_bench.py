"""The benchmark runs (quick mode, as CI runs it): every figure of the speed issue beside its
peer, the floor's files equal to gigrouter's, a missing peer reported as missing."""

from __future__ import annotations

import json
import shutil
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
    for key in ("help", "version", "python"):
        assert report["startup"][key]["seconds"] > 0
    assert sorted(report["synthetic"]) == ["1", "10"]
    cases = [report["default_platform"], *report["synthetic"].values()]
    for case in cases:
        for key in ("render", "validate", "parse", "bare_render"):
            assert case[key]["seconds"] > 0 and case[key]["peak_mib"] > 0
        # the floor renders the same templates into the same bytes
        assert case["bare_render"]["differs"] == []
        assert case["files"] >= 6
        assert isinstance(case["render_into"], str)
        if shutil.which("kubeconform"):
            assert case["kubeconform"]["seconds"] > 0
        else:
            assert case["kubeconform"] == {"missing": True, "stand_in": "parse"}
        assert {"render_vs_parse", "render_vs_bare_render", "validate_vs_parse"} <= set(
            case["ratios"]
        )
    kustomize = report["default_platform"]["kubectl_kustomize"]
    if shutil.which("kubectl"):
        # one kustomize build per tree: the base and the staging environment
        assert sorted(kustomize["trees"]) == [".", "environments/staging"]
        assert "render_vs_kustomize" in report["default_platform"]["ratios"]
    else:
        assert kustomize == {"missing": True}
    # 1 service: a ConfigMap, ExternalSecret, Deployment, Service and Ingress in one file
    assert report["synthetic"]["10"]["files"] == report["synthetic"]["1"]["files"] + 9
    names = [t["target"] for t in report["targets"]]
    assert any("kustomize" in n for n in names)
    assert any("--help" in n for n in names) and any("--version" in n for n in names)
    assert any("linear growth: render" in n for n in names)
    assert any("linear growth: validate" in n for n in names)
    assert any("peak memory" in n for n in names)
    assert all(isinstance(t["met"], bool) for t in report["targets"])
    assert "default platform" in result.stdout and "report:" in result.stdout

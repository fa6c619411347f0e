"""gigrouter's benchmark: cold-process wall time and peak memory of `render` and `validate`,
each beside a baseline measured in the same run on the same files.

    python bench/bench.py [--quick] [--repeat N] [--sizes 1,10,100,1000] [--json PATH]

- The default platform (config/platform.yaml with every environment): `gigrouter render`
  (validation included) and `gigrouter validate`, against kubernetes-validate's CLI merely
  validating the same manifest files, and `kubectl kustomize` assembling them.
- Synthetic platforms of N web services (bench/synthetic.py; each a Deployment, Service,
  Ingress, ConfigMap and ExternalSecret): render and validate, with the same two baselines.

Figures are medians of N fresh processes; peak memory is the largest resident set of a run
(getrusage of the child). The report goes to bench/results/bench.json and a table to stdout,
with each target and whether this run met it. It is not a test: `--quick` (CI) runs every
measurement once on small sizes to check that the benchmark works; `--enforce` exits 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_config  # noqa: E402

# Children may write bytecode caches, as an installed package has them: without, every run
# would compile gigrouter's sources again (kubernetes-validate's were compiled by pip).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(cmd: list[str], cwd: Path, repeat: int) -> dict[str, float]:
    """Median wall seconds and peak RSS (MiB) of ``repeat`` fresh runs of ``cmd``, after one
    untimed warm-up run."""
    times: list[float] = []
    peak = 0.0
    subprocess.run(cmd, cwd=cwd, env=CHILD_ENV, capture_output=True, check=False)
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=CHILD_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        code = os.waitstatus_to_exitcode(status)
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        if code != 0:
            raise SystemExit(f"{' '.join(cmd[:3])} ... failed with exit code {code}:\n{stderr}")
        peak = max(peak, usage.ru_maxrss / 1024)
    return {"seconds": round(statistics.median(times), 4), "peak_mib": round(peak, 1)}


def manifest_files(tree: Path) -> list[str]:
    """What kubernetes-validate can read: every manifest, not Helm values or gigrouter's files."""
    out = []
    for path in sorted(tree.rglob("*.yaml")):
        if path.name in ("gigrouter-metadata.yaml", "values.yaml"):
            continue
        out.append(str(path))
    return out


def baselines(tree: Path, files: list[str], scratch: Path, repeat: int) -> dict[str, Any]:
    results: dict[str, Any] = {
        "kubernetes_validate_cli": measure(
            [str(BIN / "kubernetes-validate"), "-k", "1.30", "--strict", "--quiet", *files],
            scratch,
            repeat,
        )
    }
    kubectl = shutil.which("kubectl")
    if kubectl:
        # kustomize assembles one tree: the base (environments repeat its names)
        base = [Path(f).relative_to(tree).as_posix() for f in files]
        base = [f for f in base if not f.startswith("environments/")]
        kustomization = tree / "kustomization.yaml"
        kustomization.write_text("resources:\n" + "".join(f"- {f}\n" for f in base))
        try:
            results["kubectl_kustomize"] = measure(
                [kubectl, "kustomize", str(tree)], scratch, repeat
            )
        finally:
            kustomization.unlink()
    return results


def case(config: Path, scratch: Path, repeat: int) -> dict[str, Any]:
    gigrouter = str(BIN / "gigrouter")
    out = scratch / "out"
    subprocess.run(
        [gigrouter, "render", "-c", str(config), "--out", str(out)], check=True, capture_output=True
    )
    files = manifest_files(out)
    results: dict[str, Any] = {
        "files": len(files),
        "render": measure(
            [gigrouter, "render", "-c", str(config), "--out", str(out)], scratch, repeat
        ),
        "validate": measure([gigrouter, "validate", str(out)], scratch, repeat),
    }
    results.update(baselines(out, files, scratch, repeat))
    kv = results["kubernetes_validate_cli"]["seconds"]
    ratios = {
        "render_vs_kubernetes_validate": round(results["render"]["seconds"] / kv, 3),
        "validate_vs_kubernetes_validate": round(results["validate"]["seconds"] / kv, 3),
    }
    if "kubectl_kustomize" in results:
        ratios["render_vs_kustomize"] = round(
            results["render"]["seconds"] / results["kubectl_kustomize"]["seconds"], 3
        )
    results["ratios"] = ratios
    shutil.rmtree(out)
    return results


def targets(report: dict[str, Any], largest: int, previous: int | None) -> list[dict[str, Any]]:
    """Each target of the scale issue, measured as a ratio or bound in this run."""
    default = report["default_platform"]
    out = [
        {
            "target": "default render (validation included) no slower than kubernetes-validate",
            "value": default["ratios"]["render_vs_kubernetes_validate"],
            "bound": 1.0,
        },
        {
            "target": "default validate at most half of kubernetes-validate",
            "value": default["ratios"]["validate_vs_kubernetes_validate"],
            "bound": 0.5,
        },
    ]
    synthetic = report["synthetic"]
    big = synthetic.get(str(largest))
    if big is not None:
        out.append(
            {
                "target": f"{largest} services rendered and validated in under 10 s",
                "value": big["render"]["seconds"],
                "bound": 10.0,
            }
        )
        out.append(
            {
                "target": f"{largest} services: peak memory under 500 MiB",
                "value": max(big["render"]["peak_mib"], big["validate"]["peak_mib"]),
                "bound": 500.0,
            }
        )
        if previous is not None and str(previous) in synthetic:
            small = synthetic[str(previous)]
            out.append(
                {
                    "target": f"linear growth: render time at {largest} within"
                    f" {largest // previous + 2}x of {previous}",
                    "value": round(big["render"]["seconds"] / small["render"]["seconds"], 2),
                    "bound": float(largest // previous + 2),
                }
            )
    for item in out:
        item["met"] = item["value"] <= item["bound"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="once each, sizes 1 and 10")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="1,10,100,1000")
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "bench.json")
    parser.add_argument("--enforce", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat
    sizes = [1, 10] if args.quick else [int(s) for s in args.sizes.split(",")]
    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "system": platform.platform(),
        },
        "repeat": repeat,
        "quick": args.quick,
    }
    with tempfile.TemporaryDirectory(prefix="gigrouter-bench-") as tmp:
        scratch = Path(tmp)
        report["default_platform"] = case(REPO / "config" / "platform.yaml", scratch, repeat)
        report["synthetic"] = {}
        for size in sizes:
            config_dir = scratch / f"synthetic-{size}"
            config_dir.mkdir()
            config = config_dir / "platform.yaml"
            config.write_text(synthetic_config(size))
            report["synthetic"][str(size)] = case(config, scratch, repeat)
    largest = sizes[-1]
    previous = sizes[-2] if len(sizes) > 1 else None
    report["targets"] = targets(report, largest, previous)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"report: {args.json}")
    if args.enforce and not all(t["met"] for t in report["targets"]):
        raise SystemExit(1)


def print_table(report: dict[str, Any]) -> None:
    rows = [("default platform", report["default_platform"])] + [
        (f"{size} services", data) for size, data in report["synthetic"].items()
    ]
    print(f"median of {report['repeat']} cold runs; seconds (peak MiB)")
    print(
        f"{'case':18} {'files':>6} {'render':>16} {'validate':>16}"
        f" {'kubernetes-validate':>20} {'kustomize':>16}"
    )
    for name, data in rows:

        def cell(key: str, data: dict[str, Any] = data) -> str:
            if key not in data:
                return "-"
            return f"{data[key]['seconds']:.3f} ({data[key]['peak_mib']:.0f})"

        print(
            f"{name:18} {data['files']:>6} {cell('render'):>16} {cell('validate'):>16}"
            f" {cell('kubernetes_validate_cli'):>20} {cell('kubectl_kustomize'):>16}"
        )
    print()
    for item in report["targets"]:
        mark = "met" if item["met"] else "MISSED"
        print(f"  [{mark:6}] {item['target']}: {item['value']} (bound {item['bound']})")


if __name__ == "__main__":
    main()

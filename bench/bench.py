"""gigrouter's benchmark: cold-process wall time and peak memory, each beside a baseline
measured in the same run on the same files.

    python bench/bench.py [--quick] [--repeat N] [--json PATH]

Figures are medians of N runs of fresh processes (the commands as a user runs them). Peak
memory is the child's maximum resident set size (getrusage). The report goes to
bench/results/bench.json and a short table to stdout. Not a test: it asserts nothing about
speed on its own; `--quick` only checks that every measurement runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def measure(cmd: list[str], cwd: Path, repeat: int) -> dict[str, float]:
    """Median wall seconds and max RSS (MiB) of ``repeat`` fresh runs of ``cmd``."""
    times: list[float] = []
    peak = 0.0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed with exit code {code}")
        peak = max(peak, usage.ru_maxrss / 1024)
        del before
    return {"seconds": round(statistics.median(times), 4), "peak_mib": round(peak, 1)}


def manifest_files(tree: Path) -> list[str]:
    """The files kubernetes-validate can read: every manifest except values and metadata."""
    skip = {"gigrouter-metadata.yaml"}
    out = []
    for path in sorted(tree.rglob("*.yaml")):
        rel = path.relative_to(tree).as_posix()
        if path.name in skip or rel.endswith("values.yaml"):
            continue
        out.append(str(path))
    return out


def default_platform(repeat: int, scratch: Path) -> dict[str, object]:
    out = scratch / "out"
    gigrouter = str(BIN / "gigrouter")
    config = str(REPO / "config" / "platform.yaml")
    subprocess.run(
        [gigrouter, "render", "-c", config, "-o", str(out)], check=True, capture_output=True
    )
    files = manifest_files(out)
    results = {
        "render": measure([gigrouter, "render", "-c", config, "-o", str(out)], scratch, repeat),
        "validate": measure([gigrouter, "validate", str(out)], scratch, repeat),
        "kubernetes_validate_cli": measure(
            [str(BIN / "kubernetes-validate"), "-k", "1.30", "--strict", "--quiet", *files],
            scratch,
            repeat,
        ),
    }
    if shutil.which("kubectl"):
        kustomization = out / "kustomization.yaml"
        kustomization.write_text(
            "resources:\n" + "".join(f"- {Path(f).relative_to(out).as_posix()}\n" for f in files)
        )
        results["kubectl_kustomize"] = measure(["kubectl", "kustomize", str(out)], scratch, repeat)
        kustomization.unlink()
    kv = results["kubernetes_validate_cli"]["seconds"]
    results["ratios"] = {
        "validate_vs_kubernetes_validate": round(results["validate"]["seconds"] / kv, 3),
        "render_vs_kubernetes_validate": round(results["render"]["seconds"] / kv, 3),
    }
    if "kubectl_kustomize" in results:
        results["ratios"]["render_vs_kustomize"] = round(
            results["render"]["seconds"] / results["kubectl_kustomize"]["seconds"], 3
        )
    results["files"] = len(files)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run each: only check it works")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "bench.json")
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat
    with tempfile.TemporaryDirectory(prefix="gigrouter-bench-") as tmp:
        report = {
            "machine": {
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "system": platform.platform(),
            },
            "repeat": repeat,
            "default_platform": default_platform(repeat, Path(tmp)),
        }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    dp = report["default_platform"]
    print(f"default platform ({dp['files']} manifest files), median of {repeat}:")
    for name in ("render", "validate", "kubernetes_validate_cli", "kubectl_kustomize"):
        if name in dp:
            print(f"  {name:26} {dp[name]['seconds']:8.3f} s  {dp[name]['peak_mib']:7.1f} MiB")
    for name, value in dp["ratios"].items():
        print(f"  {name:34} {value:6.2f}x")
    print(f"report: {args.json}")


if __name__ == "__main__":
    main()

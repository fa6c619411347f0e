"""gigrouter's benchmark: cold-process wall time and peak memory of every figure of the speed
issue, each beside its peer measured in the same run, on the same files.

    python bench/bench.py [--quick] [--repeat N] [--sizes 1000,3000] [--json PATH] [--enforce]

- Start-up: `gigrouter --help` and `gigrouter --version` beside `python -c pass` (same venv).
- The default platform (config/platform.yaml with every environment): `gigrouter render`
  (validation included) and `gigrouter validate` of the tree it wrote, beside `kubectl
  kustomize` building that same tree (one kustomization per tree: the base and each
  environment, the runs' medians summed), kubeconform -strict when it is on PATH, the bare
  libyaml parse of the same files (bench/parse.py, kubeconform's stand-in when it is missing)
  and a bare Python render of the same templates (bench/bare_render.py: no model, no
  validation; its files are compared with gigrouter's).
- Synthetic platforms of N web services (bench/synthetic.py; each a ConfigMap, ExternalSecret,
  Deployment, Service and Ingress): the same figures without kustomize, the growth from the
  smaller to the larger size and the peak memory.

Every figure is the median of N fresh processes, the commands of one case alternating (one
untimed warm-up run each first); peak memory is the largest resident set of a run (getrusage
of the child). A peer that is missing is reported as missing, with what stands in for it. The
report goes to bench/results/bench.json and a table to stdout, with each target and whether
this run met it. It is not a test: `--quick` (CI) runs every measurement once on sizes 1 and 10
to check that the benchmark works; `--enforce` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))

from synthetic import synthetic_config  # noqa: E402

# Children may write bytecode caches, as an installed package has them: without, every run
# would compile gigrouter's sources again. The user cache (compiled templates) is gigrouter's
# own, in a directory of this run: the warm-up run fills it, as any earlier run would.
CHILD_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
CHILD_ENV.pop("GIGROUTER_NO_CACHE", None)

Commands = dict[str, list[str]]


def _run(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one fresh run; a failing command stops the bench."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=CHILD_ENV,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.stderr.close()
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(
            f"{' '.join(cmd[:3])} ... failed with exit code {code}:\n"
            + stderr.decode(errors="replace")
        )
    return seconds, usage.ru_maxrss / 1024


def measure(
    commands: Commands,
    cwd: Path,
    repeat: int,
    before: dict[str, Callable[[], None]] | None = None,
) -> dict[str, dict[str, float]]:
    """Median wall seconds and peak RSS of ``repeat`` runs of each command, alternating;
    ``before`` names what to do (untimed) before each run of a command."""
    before = before or {}
    for name, cmd in commands.items():
        before.get(name, lambda: None)()
        _run(cmd, cwd)  # warm-up: the OS file cache, bytecode, gigrouter's template cache
    times: dict[str, list[float]] = {name: [] for name in commands}
    peaks = dict.fromkeys(commands, 0.0)
    for _ in range(repeat):
        for name, cmd in commands.items():
            before.get(name, lambda: None)()
            seconds, peak = _run(cmd, cwd)
            times[name].append(seconds)
            peaks[name] = max(peaks[name], peak)
    return {
        name: {
            "seconds": round(statistics.median(times[name]), 4),
            "peak_mib": round(peaks[name], 1),
        }
        for name in commands
    }


def manifest_files(tree: Path) -> list[str]:
    """The files validate reads as manifests: not Helm values nor gigrouter's metadata."""
    return [
        str(path)
        for path in sorted(tree.rglob("*.yaml"))
        if path.name not in ("gigrouter-metadata.yaml", "values.yaml", "kustomization.yaml")
    ]


def _trees(tree: Path) -> list[Path]:
    """The base tree and each environment's (out/environments/<name>/)."""
    envs = tree / "environments"
    return [tree, *(sorted(p for p in envs.iterdir() if p.is_dir()) if envs.is_dir() else [])]


def _kustomizations(tree: Path, files: list[str]) -> list[Path]:
    """A kustomization.yaml in each tree listing that tree's manifests (kustomize refuses one
    build holding the base and an environment: they repeat names)."""
    roots = _trees(tree)
    made = []
    for root in roots:
        inner = [r for r in roots if r != root and root in r.parents]
        own = [
            Path(f).relative_to(root).as_posix()
            for f in files
            if root in Path(f).parents and not any(r in Path(f).parents for r in inner)
        ]
        (root / "kustomization.yaml").write_text("resources:\n" + "".join(f"- {f}\n" for f in own))
        made.append(root)
    return made


def _same_files(one: Path, other: Path) -> list[str]:
    """Relative paths whose bytes differ (or that only one tree has)."""
    differ: list[str] = []

    def walk(cmp: filecmp.dircmp[str], prefix: str) -> None:
        differ.extend(prefix + n for n in cmp.left_only + cmp.right_only + cmp.diff_files)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(one, other), "")
    return sorted(differ)


def case(config: Path, scratch: Path, repeat: int, kustomize: bool) -> dict[str, Any]:
    """One platform: gigrouter's render and validate and every peer of theirs."""
    gigrouter = str(BIN / "gigrouter")
    python = sys.executable
    out = scratch / "out"
    first = subprocess.run(
        [gigrouter, "render", "-c", str(config), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if first.returncode != 0:
        # gigrouter cannot render this platform: reported, and the figures that need the
        # tree are missing (never a crash of the whole run)
        lines = [ln for ln in first.stderr.splitlines() + first.stdout.splitlines() if ln.strip()]
        errors = [" ".join(ln.split()) for ln in lines if " error " in ln or ln.startswith("error")]
        shown = "; ".join(e if len(e) <= 160 else e[:157] + "..." for e in errors[:3])
        return {"files": 0, "failed": f"exit code {first.returncode}: {shown}"}
    files = manifest_files(out)
    # A render replaces the tree it wrote before, as in a checkout; when that fails, each run
    # renders into a new directory instead, and the report says why.
    again = subprocess.run(
        [gigrouter, "render", "-c", str(config), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    before: dict[str, Callable[[], None]] = {}
    render_into = "the tree of the previous run"
    if again.returncode != 0:
        render_into = (
            "a new directory each run; into the previous tree: "
            + (again.stderr.strip().splitlines() or [f"exit code {again.returncode}"])[0][:300]
        )
        before["render"] = lambda: shutil.rmtree(out, ignore_errors=True)
    plan = scratch / "bare.pickle"
    subprocess.run(
        [python, str(HERE / "bare_render.py"), "prepare", str(config), str(plan)],
        check=True,
        capture_output=True,
    )
    bare_out = scratch / "bare-out"
    commands: Commands = {
        "render": [gigrouter, "render", "-c", str(config), "--out", str(out)],
        "validate": [gigrouter, "validate", str(out)],
        "parse": [python, str(HERE / "parse.py"), *files],
        "bare_render": [python, str(HERE / "bare_render.py"), "render", str(plan), str(bare_out)],
    }
    kubeconform = shutil.which("kubeconform")
    if kubeconform:
        commands["kubeconform"] = [kubeconform, "-strict", "-ignore-missing-schemas", *files]
    results: dict[str, Any] = {
        "files": len(files),
        "render_into": render_into,
        **measure(commands, scratch, repeat, before),
    }
    if not kubeconform:
        results["kubeconform"] = {"missing": True, "stand_in": "parse"}
    # the floor did the same work: its files are gigrouter's, byte for byte
    results["bare_render"]["differs"] = _same_files(out, bare_out)
    if kustomize:
        kubectl = shutil.which("kubectl")
        if kubectl is None:
            results["kubectl_kustomize"] = {"missing": True}
        else:
            roots = _kustomizations(out, files)
            parts = measure(
                {
                    r.relative_to(out).as_posix() or ".": [kubectl, "kustomize", str(r)]
                    for r in roots
                },
                scratch,
                repeat,
            )
            for root in roots:
                (root / "kustomization.yaml").unlink()
            results["kubectl_kustomize"] = {
                "seconds": round(sum(p["seconds"] for p in parts.values()), 4),
                "peak_mib": max(p["peak_mib"] for p in parts.values()),
                "trees": parts,
            }
    results["ratios"] = ratios(results)
    shutil.rmtree(out)
    shutil.rmtree(bare_out)
    return results


def _seconds(results: dict[str, Any], key: str) -> float | None:
    entry = results.get(key)
    return None if entry is None or entry.get("missing") else float(entry["seconds"])


def validator(results: dict[str, Any]) -> tuple[str, float]:
    """kubeconform's time, or its stand-in's (the bare parse) when it is missing."""
    found = _seconds(results, "kubeconform")
    return ("kubeconform", found) if found is not None else ("parse", results["parse"]["seconds"])


def ratios(results: dict[str, Any]) -> dict[str, float]:
    render = results["render"]["seconds"]
    validate = results["validate"]["seconds"]
    name, peer = validator(results)
    out = {
        "render_vs_parse": render / results["parse"]["seconds"],
        "render_vs_bare_render": render / results["bare_render"]["seconds"],
        f"validate_vs_{name}": validate / peer,
        "validate_vs_parse": validate / results["parse"]["seconds"],
    }
    kustomize = _seconds(results, "kubectl_kustomize")
    if kustomize is not None:
        out["render_vs_kustomize"] = render / kustomize
        out["validate_vs_kustomize"] = validate / kustomize
        out["bare_render_vs_kustomize"] = results["bare_render"]["seconds"] / kustomize
    return {k: round(v, 3) for k, v in out.items()}


def _target(text: str, value: float | None, bound: float, why_missing: str = "") -> dict[str, Any]:
    if value is None:
        return {"target": text, "value": None, "bound": bound, "met": False, "missing": why_missing}
    return {"target": text, "value": round(value, 3), "bound": bound, "met": value <= bound}


def targets(report: dict[str, Any], sizes: list[int]) -> list[dict[str, Any]]:
    """Each target of the speed issue, as measured in this run."""
    start, default = report["startup"], report["default_platform"]
    kustomize = _seconds(default, "kubectl_kustomize")
    out = [
        _target(
            "default render (base and environments, validated) <= 1.5x kubectl kustomize",
            None if kustomize is None else default["ratios"]["render_vs_kustomize"],
            1.5,
            "kubectl is not on PATH",
        ),
        _target(
            "default validate out <= 1.25x kubectl kustomize",
            None if kustomize is None else default["ratios"]["validate_vs_kustomize"],
            1.25,
            "kubectl is not on PATH",
        ),
        _target("gigrouter --help <= 0.1 s", start["help"]["seconds"], 0.1),
        _target("gigrouter --version <= 0.1 s", start["version"]["seconds"], 0.1),
    ]
    synthetic = report["synthetic"]
    small, large = (sizes[-2], sizes[-1]) if len(sizes) > 1 else (sizes[-1], None)
    one = synthetic[str(small)]
    failed = {
        size: f"gigrouter render failed at {size} services ({synthetic[str(size)]['failed']})"
        for size in (small, large)
        if size is not None and "failed" in synthetic[str(size)]
    }
    name = validator(one)[0] if small not in failed else "kubeconform"
    out.append(
        _target(
            f"{small} services: render (validated) <= 2.0x the bare parse of its files",
            None if small in failed else one["ratios"]["render_vs_parse"],
            2.0,
            failed.get(small, ""),
        )
    )
    out.append(
        _target(
            f"{small} services: validate <= 1.0x kubeconform"
            + ("" if name == "kubeconform" else " (missing: the bare parse stands in)"),
            None if small in failed else one["ratios"][f"validate_vs_{name}"],
            1.0,
            failed.get(small, ""),
        )
    )
    if large is not None:
        big = synthetic[str(large)]
        why = failed.get(large) or failed.get(small, "")
        bound = round(1.1 * large / small, 2)
        for work in ("render", "validate"):
            out.append(
                _target(
                    f"linear growth: {work} at {large} services within {bound}x of {small}",
                    None if why else big[work]["seconds"] / one[work]["seconds"],
                    bound,
                    why,
                )
            )
        out.append(
            _target(
                f"{large} services: peak memory under 250 MiB",
                None
                if large in failed
                else max(big["render"]["peak_mib"], big["validate"]["peak_mib"]),
                250.0,
                failed.get(large, ""),
            )
        )
    return out


def startup(scratch: Path, repeat: int) -> dict[str, Any]:
    gigrouter = str(BIN / "gigrouter")
    found = measure(
        {
            "help": [gigrouter, "--help"],
            "version": [gigrouter, "--version"],
            "python": [sys.executable, "-c", "pass"],
        },
        scratch,
        repeat,
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="once each, sizes 1 and 10")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="1000,3000")
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
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "repeat": repeat,
        "quick": args.quick,
    }
    with tempfile.TemporaryDirectory(prefix="gigrouter-bench-") as tmp:
        scratch = Path(tmp)
        CHILD_ENV["GIGROUTER_CACHE_DIR"] = str(scratch / "cache")
        report["startup"] = startup(scratch, repeat)
        report["default_platform"] = case(REPO / "config" / "platform.yaml", scratch, repeat, True)
        report["synthetic"] = {}
        for size in sizes:
            config_dir = scratch / f"synthetic-{size}"
            config_dir.mkdir()
            config = config_dir / "platform.yaml"
            config.write_text(synthetic_config(size))
            report["synthetic"][str(size)] = case(config, scratch, repeat, False)
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["targets"] = targets(report, sizes)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"report: {args.json}")
    if args.enforce and not all(t["met"] for t in report["targets"]):
        raise SystemExit(1)


def _cell(data: dict[str, Any], key: str) -> str:
    entry = data.get(key)
    if entry is None:
        return "-"
    if entry.get("missing"):
        return "missing"
    return f"{entry['seconds']:.3f} ({entry['peak_mib']:.0f})"


def print_table(report: dict[str, Any]) -> None:
    start = report["startup"]
    print(f"median of {report['repeat']} cold runs, alternating; seconds (peak MiB)")
    print(
        f"start-up: --help {_cell(start, 'help')}, --version {_cell(start, 'version')},"
        f" python -c pass {_cell(start, 'python')}"
    )
    rows = [("default platform", report["default_platform"])] + [
        (f"{size} services", data) for size, data in report["synthetic"].items()
    ]
    columns = ["render", "validate", "kubectl_kustomize", "kubeconform", "parse", "bare_render"]
    print(f"{'case':17} {'files':>6}" + "".join(f" {c:>17}" for c in columns))
    for name, data in rows:
        if "failed" in data:
            print(f"{name:17} {'-':>6} FAILED: gigrouter render {data['failed']}")
            continue
        print(f"{name:17} {data['files']:>6}" + "".join(f" {_cell(data, c):>17}" for c in columns))
    rows = [(name, data) for name, data in rows if "failed" not in data]
    for name, data in rows:
        if differs := data["bare_render"]["differs"]:
            print(f"  {name}: the bare render differs from gigrouter's in {differs[:5]}")
    for name, data in rows:
        if not data["render_into"].startswith("the tree"):
            print(f"  {name}: render into {data['render_into']}")
    if any(data.get("kubeconform", {}).get("missing") for _, data in rows):
        print("kubeconform: missing (not on PATH); the bare parse stands in for it")
    print()
    for item in report["targets"]:
        mark = "met" if item["met"] else "MISSED"
        value = item["value"] if item["value"] is not None else f"missing ({item['missing']})"
        print(f"  [{mark:6}] {item['target']}: {value} (bound {item['bound']})")


if __name__ == "__main__":
    main()

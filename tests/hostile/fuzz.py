"""``make fuzz``: coverage-guided fuzzing of the loaders that read untrusted input.

Three targets, each run by atheris (libFuzzer's coverage-guided mutation over instrumented
Python) in a process of its own, for ``FUZZ_SECONDS`` (default 60) split between them:

- ``tree``: the input is up to four files separated by NUL bytes (the metadata file, an
  Application, a manifest the Application syncs, its Helm values file), validated in memory by
  ``validate_memory`` and planned by ``plan_of``, as a pull request's tree would be;
- ``config``: the input is a platform config, read by ``gigrouter.config.load.parse_yaml`` and
  ``build_platform``;
- ``crd``: the input is a ``--crd`` file, read by ``load_crds``; a CRD that loads validates a
  custom resource.

Seeds are the real files (out/, config/ and tests/golden/ configs, ../shared/crds). Any
exception that is not a ``GigrouterError`` is a crash: it is saved as a case of
``tests/hostile/corpus/`` (``fuzz-<target>-<hash>``), printed, and fuzzing goes on; the run
exits 1 when a target found a crash. ``python tests/hostile/fuzz.py TARGET CORPUS_DIR
[libFuzzer flags]`` runs one target by hand.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CORPUS = HERE / "corpus"
SEPARATOR = b"\0"
TREE_PATHS = (
    "gigrouter-metadata.yaml",
    "argocd/web.yaml",
    "web/manifest.yaml",
    "web/values.yaml",
)
DEFAULT_TREE = (
    b"gigrouter:\n  format: 1\nargocd:\n  namespace: argocd\n  applicationHealthCheck: true\n",
    b"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web, namespace: argocd}\n"
    b"spec:\n  project: default\n  source: {repoURL: https://git.example.com/r.git, path: web,"
    b" targetRevision: main, helm: {valueFiles: [values.yaml]}}\n"
    b"  destination: {server: https://kubernetes.default.svc, namespace: web}\n",
    b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: b}\n",
    b"replicas: 1\n",
)
WIDGET = {"apiVersion": "example.io/v1", "kind": "Widget", "metadata": {"name": "w"}}


# --- the targets ----------------------------------------------------------------------------


def tree_files(data: bytes) -> dict[str, str]:
    parts = data.split(SEPARATOR)[: len(TREE_PATHS)]
    parts += list(DEFAULT_TREE[len(parts) :])
    return {
        path: part.decode("utf-8", "replace") for path, part in zip(TREE_PATHS, parts, strict=True)
    }


def run_tree(data: bytes) -> None:
    from gigrouter.plan.steps import plan_of
    from gigrouter.validate.runner import validate_memory
    from gigrouter.validate.tree import MemoryFiles, load_tree

    files = MemoryFiles(tree_files(data))
    validate_memory(files)
    plan_of(load_tree(Path("."), memory=files), ".")


def run_config(data: bytes) -> None:
    from gigrouter.config.load import build_platform, parse_yaml

    build_platform(parse_yaml(data.decode("utf-8", "replace"), "platform.yaml"))


def run_crd(data: bytes) -> None:
    from gigrouter.validate.crd import CrdSchemas, load_crds

    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "crd.yaml"
        file.write_bytes(data)
        schemas = CrdSchemas(load_crds(file))
    for api_version, kind in schemas.known_kinds()[:3]:
        schemas.validate({**WIDGET, "apiVersion": api_version, "kind": kind, "spec": {"x": 1}})


TARGETS: dict[str, Callable[[bytes], None]] = {
    "tree": run_tree,
    "config": run_config,
    "crd": run_crd,
}


# --- seeds and crashes ----------------------------------------------------------------------


def seeds(target: str) -> list[bytes]:
    if target == "tree":
        found = []
        for path in sorted((REPO / "out").rglob("*.yaml"))[:80]:
            manifest = path.read_bytes()
            found.append(SEPARATOR.join((*DEFAULT_TREE[:2], manifest, DEFAULT_TREE[3])))
        for case in sorted(CORPUS.glob("*/tree")):
            for path in sorted(case.rglob("*.yaml")):
                if path.is_file() and not path.is_symlink() and path.stat().st_size < 65536:
                    found.append(SEPARATOR.join((*DEFAULT_TREE[:2], path.read_bytes())))
        return found
    if target == "config":
        configs = [
            REPO / "config" / "platform.yaml",
            *sorted((REPO / "tests").glob("golden/*/config.yaml")),
            *sorted((REPO / "tests").glob("golden_config_errors/*/config.yaml")),
        ]
        return [p.read_bytes() for p in configs if p.is_file()]
    shared = REPO.parent / "shared" / "crds"
    small = [p for p in sorted(shared.glob("*.yaml")) if p.stat().st_size < 300_000]
    return [p.read_bytes() for p in small] + [
        yaml.safe_dump(
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.io"},
                "spec": {
                    "group": "example.io",
                    "names": {"kind": "Widget", "plural": "widgets"},
                    "scope": "Namespaced",
                    "versions": [
                        {
                            "name": "v1",
                            "served": True,
                            "storage": True,
                            "schema": {
                                "openAPIV3Schema": {
                                    "type": "object",
                                    "properties": {
                                        "spec": {
                                            "type": "object",
                                            "properties": {
                                                "x": {"type": "integer", "pattern": "^a+$"}
                                            },
                                        }
                                    },
                                }
                            },
                        }
                    ],
                },
            }
        ).encode()
    ]


def save_crash(target: str, data: bytes, why: str) -> Path:
    """The input as a corpus case a later run (and the regular suite) replays."""
    digest = hashlib.sha256(data).hexdigest()[:12]
    case = CORPUS / f"fuzz-{target}-{digest}"
    if case.exists():
        return case
    expect: dict[str, object] = {"exit": [0, 1]}
    if target == "tree":
        for rel, text in tree_files(data).items():
            path = case / "tree" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        expect["command"] = "validate"
    elif target == "crd":
        (case / "tree").mkdir(parents=True)
        (case / "tree" / "gigrouter-metadata.yaml").write_bytes(DEFAULT_TREE[0])
        (case / "crd.yaml").write_bytes(data)
        expect["exit"] = [0, 1, 2]
    else:
        case.mkdir(parents=True)
        (case / "config.yaml").write_bytes(data)
        expect["exit"] = [0, 1, 2]
    (case / "expect.yaml").write_text(yaml.safe_dump(expect, sort_keys=False), encoding="utf-8")
    (case / "crash.txt").write_text(why, encoding="utf-8")
    return case


# --- running --------------------------------------------------------------------------------


def fuzz_one(target: str, argv: list[str]) -> None:
    """Run one target under atheris until libFuzzer's -max_total_time (never returns)."""
    import atheris  # type: ignore[import-untyped]

    with atheris.instrument_imports(include=["gigrouter"]):
        import gigrouter.config.load
        import gigrouter.plan.steps
        import gigrouter.validate.crd
        import gigrouter.validate.runner  # noqa: F401 - instrumented on import
    from gigrouter.errors import GigrouterError

    run = TARGETS[target]
    crashes: set[str] = set()

    def one_input(data: bytes) -> None:
        try:
            run(data)
        except GigrouterError:
            pass
        except Exception as exc:  # a crash: keep it and keep fuzzing
            site = "".join(traceback.format_exception(exc)[-2:])
            if site not in crashes:
                crashes.add(site)
                case = save_crash(target, data, "".join(traceback.format_exception(exc)[-6:]))
                print(f"CRASH {target}: {type(exc).__name__}: {exc!s:.200} -> {case}", flush=True)

    atheris.Setup([sys.argv[0], *argv], one_input)
    atheris.Fuzz()


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] in TARGETS:
        fuzz_one(sys.argv[1], sys.argv[2:])
        return 0
    if importlib.util.find_spec("atheris") is None:
        print("make fuzz needs atheris: .venv/bin/pip install atheris", file=sys.stderr)
        return 2
    total = float(os.environ.get("FUZZ_SECONDS", "60"))
    share = max(1, int(total / len(TARGETS)))
    before = {p.name for p in CORPUS.iterdir()}
    for target in TARGETS:
        work = Path(tempfile.mkdtemp(prefix=f"gigrouter-fuzz-{target}-"))
        inputs, artifacts = work / "inputs", work / "artifacts"
        inputs.mkdir()
        artifacts.mkdir()
        try:
            for i, seed in enumerate(seeds(target)):
                (inputs / f"seed-{i}").write_bytes(seed)
            print(f"fuzz {target}: {share} s from {len(list(inputs.iterdir()))} seeds", flush=True)
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    target,
                    str(inputs),
                    f"-artifact_prefix={artifacts}/",
                    f"-max_total_time={share}",
                    "-max_len=65536",
                    "-timeout=20",
                    "-rss_limit_mb=3072",
                    "-print_final_stats=1",
                ],
                check=False,
            )
            for artifact in sorted(artifacts.iterdir()):  # timeouts, out of memory, hard crashes
                kind = artifact.name.split("-", 1)[0]
                save_crash(target, artifact.read_bytes(), f"libFuzzer {kind} ({artifact.name})\n")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    new = sorted({p.name for p in CORPUS.iterdir()} - before)
    for name in new:
        print(f"new crash case: tests/hostile/corpus/{name}")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())

"""Every case of tests/hostile/corpus through the installed command, as CI would run it."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from .trees import TIME_BOUND, gigrouter

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expect.yaml").is_file())


def expectation(case: Path) -> dict[str, Any]:
    data = yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict), case
    unknown = set(data) - {"exit", "command", "args", "contains", "absent"}
    assert not unknown, f"{case}/expect.yaml: unknown keys {sorted(unknown)}"
    return data


def test_the_corpus_has_every_kind_of_case() -> None:
    names = set(CASES)
    for prefix in ("symlink-", "crd-", "billion-laughs", "deep-nesting", "values-file-out"):
        assert any(n.startswith(prefix) for n in names), prefix


@pytest.mark.parametrize("name", CASES)
def test_a_hostile_case_is_handled(tmp_path: Path, name: str) -> None:
    case = CORPUS / name
    expect = expectation(case)
    work = tmp_path / "work"
    shutil.copytree(case, work, symlinks=True)
    marker = f"marker-{secrets.token_hex(8)}"
    token = f"token-{secrets.token_hex(8)}"
    (work / "SECRET").mkdir()
    (work / "SECRET" / "secret.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {marker}}}\ndata: {{k: {marker}}}\n"
    )
    canary = work / "canary"
    canary.mkdir()
    args: list[str | Path] = [expect.get("command", "validate"), "tree"]
    if (work / "config.yaml").exists():  # a config the fuzzer found: render it, write nothing
        args = ["render", "--check", "--config", "config.yaml", "--out", "out"]
    if (work / "crd.yaml").exists():
        args += ["--crd", "crd.yaml"]
    if (work / "crd").exists():
        args += ["--crd", "crd"]
    args += expect.get("args", [])
    run = gigrouter(*args, cwd=work, env={"GIGROUTER_SECRET_TOKEN": token, "HOME": str(canary)})
    allowed = expect["exit"] if isinstance(expect["exit"], list) else [expect["exit"]]
    assert "Traceback" not in run.out, run.out
    assert run.code != 3 and run.code in allowed, (run.code, run.out)
    assert marker not in run.out and token not in run.out, run.out
    assert list(canary.iterdir()) == [], "something ran"
    assert run.seconds < TIME_BOUND, run.seconds
    for needle in expect.get("contains", []):
        assert needle in run.out, (needle, run.out)
    for needle in expect.get("absent", []):
        assert needle not in run.out, (needle, run.out)

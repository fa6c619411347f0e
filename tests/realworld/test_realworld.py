"""Trees in the shapes of public repositories nobody here wrote, each with every finding it
must get (``expected.yaml``), run through the installed command. A finding not listed fails
the case, so a false error (or warning) anywhere is caught; the true finds stay listed.

A case is ``tests/realworld/<name>/`` with ``tree/`` (the files, as such a repo holds them) and
``expected.yaml``::

    shape: what public repositories look like this
    args: [--strict]          # extra arguments of `gigrouter validate` (optional)
    findings:                 # every error and warning, exactly: severity, rule, file
      - {severity: error, rule: secret-plaintext, file: apps/secret.yaml}
    infos:                    # optional: when given, the infos too, exactly
      - {rule: helm-chart, file: chart/Chart.yaml}
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).parent
CASES = sorted(p.parent for p in HERE.glob("*/expected.yaml"))


def expected_of(case: Path) -> dict[str, Any]:
    data = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("shape"), str), case.name
    return data


def run(exe: str, case: Path, args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [exe, "validate", str(case / "tree"), "-o", "json", *args],
        capture_output=True, text=True, check=False, cwd=case,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    assert isinstance(report, dict)
    return report


def _key(f: dict[str, Any]) -> tuple[str, str, str]:
    return (str(f.get("severity", "")), str(f["rule"]), str(f.get("file", "")))


def test_there_are_enough_shapes() -> None:
    assert len(CASES) >= 15, [c.name for c in CASES]
    shapes = {expected_of(c)["shape"] for c in CASES}
    assert len(shapes) == len(CASES), "each case is a shape of its own"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_the_tree_gets_exactly_its_findings(gigrouter_exe: str, case: Path) -> None:
    expected = expected_of(case)
    report = run(gigrouter_exe, case, [str(a) for a in expected.get("args", [])])
    found = report["findings"]
    got = sorted(_key(f) for f in found if f["severity"] in ("error", "warning"))
    want = sorted(_key(f) for f in expected.get("findings") or [])
    detail = "\n".join(
        f"{f['severity']} {f['rule']} {f.get('file')}:{f.get('line')} {f['message']}" for f in found
    )
    assert got == want, detail
    if "infos" in expected:
        infos = sorted(
            (f["rule"], str(f.get("file", ""))) for f in found if f["severity"] == "info"
        )
        assert infos == sorted(
            (i["rule"], str(i.get("file", ""))) for i in expected["infos"] or []
        ), detail

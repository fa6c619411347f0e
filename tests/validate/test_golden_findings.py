"""Golden findings: for every validate rule, a tree that breaks it and its fixed twin.

``tests/golden_findings/<rule-id>/`` holds ``invalid/`` (a small GitOps tree that produces the
rule's finding) and ``fixed/`` (the same tree with the defect removed). ``invalid.json`` and
``fixed.json`` list every finding the runner reports for them (rule, severity, file, line and
resource, in report order), so a change to any rule's output shows up here as a diff. An optional
``options.json`` gives the validate options of the case; its top-level keys apply to both trees,
and an ``"invalid"`` or ``"fixed"`` key holds overrides for one of them (``unknown-kind`` is fixed
by passing the CRD, not by editing the tree). CRD paths are relative to the case directory.

``pytest tests/validate/test_golden_findings.py --update-golden`` rewrites the JSON files from
the runner and then fails naming them: read every finding of the diff before re-running.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest
from support.golden import check_files

from gigrouter.validate.context import External, Options
from gigrouter.validate.findings import Finding
from gigrouter.validate.runner import all_rules, validate_path

GOLDEN = Path(__file__).resolve().parents[1] / "golden_findings"
SIDES = ("invalid", "fixed")
RULES = sorted(all_rules())
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
FIELDS = ("rule", "severity", "file", "line", "resource")
OPTION_KEYS = frozenset({"kubernetes_version", "strict", "externals", "crd_files", "render"})
EXTERNAL_KEYS = frozenset({"kind", "namespace", "name", "keys", "ports"})


# --- reading a case ------------------------------------------------------------------------------


def _external(raw: dict[str, Any]) -> External:
    unknown = set(raw) - EXTERNAL_KEYS
    assert not unknown, f"unknown keys in an external: {sorted(unknown)}"
    return External(
        kind=raw["kind"],
        namespace=raw.get("namespace", ""),
        name=raw["name"],
        keys=tuple(raw.get("keys", ())),
        ports=tuple(raw.get("ports", ())),
    )


def case_options(case: Path, side: str) -> Options:
    """The Options of one tree of a case, from its options.json (defaults without one)."""
    path = case / "options.json"
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    merged = {k: v for k, v in raw.items() if k not in SIDES}
    merged.update(raw.get(side, {}))
    unknown = set(merged) - OPTION_KEYS
    assert not unknown, f"{path}: unknown option keys {sorted(unknown)}"
    defaults = Options()
    return Options(
        kubernetes_version=merged.get("kubernetes_version", defaults.kubernetes_version),
        strict=merged.get("strict", defaults.strict),
        externals=tuple(_external(e) for e in merged.get("externals", ())),
        crd_files=tuple(str(case / p) for p in merged.get("crd_files", ())),
        render=merged.get("render", defaults.render),
    )


def as_golden(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "file": finding.file,
        "line": finding.line,
        "resource": str(finding.resource) if finding.resource is not None else None,
    }


def findings_of(case: Path, side: str) -> list[dict[str, Any]]:
    """What ``gigrouter validate`` reports for one tree of a case, in report order."""
    report = validate_path(case / side, case_options(case, side))
    return [as_golden(f) for f in report.findings]


def dump(findings: list[dict[str, Any]]) -> str:
    """One finding per line, so a diff of the golden file reads finding by finding."""
    if not findings:
        return "[]\n"
    return "[\n" + ",\n".join(f"  {json.dumps(f)}" for f in findings) + "\n]\n"


def expected_of(case: Path, side: str) -> list[dict[str, Any]]:
    path = case / f"{side}.json"
    assert path.is_file(), f"{path} is missing: run pytest --update-golden and review it"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, list), f"{path} must hold a JSON list"
    return data


# --- the golden comparison -----------------------------------------------------------------------


@pytest.mark.parametrize("rule", RULES)
def test_findings_match_the_golden_files(rule: str, update_golden: bool) -> None:
    case = GOLDEN / rule
    assert case.is_dir(), f"rule {rule} has no golden case: add {case}/invalid and fixed"
    actual = {side: findings_of(case, side) for side in SIDES}
    if update_golden:
        check_files({case / f"{side}.json": dump(actual[side]) for side in SIDES}, update=True)
        return
    for side in SIDES:
        expected = expected_of(case, side)
        if actual[side] != expected:
            diff = difflib.unified_diff(
                dump(expected).splitlines(),
                dump(actual[side]).splitlines(),
                f"{rule}/{side}.json",
                "validate",
                lineterm="",
            )
            pytest.fail(
                f"{rule}/{side}: the findings differ from the golden file\n" + "\n".join(diff),
                pytrace=False,
            )


# --- the meta-test: every rule has a case, and each case tests its rule ----------------------------


def test_every_registered_rule_has_a_golden_case() -> None:
    missing = sorted(set(RULES) - set(CASES))
    assert not missing, f"rules without a directory under tests/golden_findings/: {missing}"


def test_every_golden_case_names_a_registered_rule() -> None:
    unknown = sorted(set(CASES) - set(RULES))
    assert not unknown, f"golden cases for rules that are not registered: {unknown}"


@pytest.mark.parametrize("rule", CASES)
def test_golden_case_has_both_trees_and_both_files(rule: str) -> None:
    case = GOLDEN / rule
    for side in SIDES:
        assert (case / side).is_dir(), f"{rule}: {side}/ is missing"
        assert any(p.is_file() for p in (case / side).rglob("*")), f"{rule}: {side}/ is empty"
        for item in expected_of(case, side):
            assert tuple(item) == FIELDS, f"{rule}/{side}.json: {item} must have keys {FIELDS}"
    case_options(case, "invalid")  # options.json, if any, only uses keys Options knows


@pytest.mark.parametrize("rule", CASES)
def test_invalid_case_reports_its_rule(rule: str) -> None:
    reported = [f["rule"] for f in expected_of(GOLDEN / rule, "invalid")]
    assert rule in reported, f"{rule}/invalid.json does not contain a {rule} finding: {reported}"


@pytest.mark.parametrize("rule", CASES)
def test_fixed_case_does_not_report_its_rule(rule: str) -> None:
    reported = [f["rule"] for f in expected_of(GOLDEN / rule, "fixed")]
    assert rule not in reported, f"{rule}/fixed.json still contains a {rule} finding: {reported}"


# --- the helpers above, on trees that can fail --------------------------------------------------


def test_options_apply_to_both_trees_and_a_side_overrides(tmp_path: Path) -> None:
    (tmp_path / "options.json").write_text(
        json.dumps(
            {
                "kubernetes_version": "1.26",
                "externals": [{"kind": "Secret", "namespace": "web", "name": "db", "keys": ["a"]}],
                "fixed": {"crd_files": ["crds/x.yaml"], "kubernetes_version": "1.29"},
            }
        )
    )
    invalid, fixed = case_options(tmp_path, "invalid"), case_options(tmp_path, "fixed")
    assert invalid.kubernetes_version == "1.26"
    assert invalid.crd_files == ()
    assert fixed.kubernetes_version == "1.29"
    assert fixed.crd_files == (str(tmp_path / "crds/x.yaml"),)
    assert invalid.externals == fixed.externals == (External("Secret", "web", "db", ("a",)),)


def test_an_unknown_option_is_refused(tmp_path: Path) -> None:
    (tmp_path / "options.json").write_text('{"kubernetes-version": "1.26"}')
    with pytest.raises(AssertionError, match="unknown option keys"):
        case_options(tmp_path, "invalid")


def test_an_update_rewrites_a_stale_golden_file_and_fails(tmp_path: Path) -> None:
    case = tmp_path / "schema"
    (case / "invalid").mkdir(parents=True)
    (case / "invalid" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n"
        "data:\n  count: 1\n"  # not `n`, which go-yaml v2 (kubectl) reads as the key false
    )
    golden = case / "invalid.json"
    golden.write_text("[]\n")
    with pytest.raises(pytest.fail.Exception, match="golden updated"):
        check_files({golden: dump(findings_of(case, "invalid"))}, update=True)
    assert json.loads(golden.read_text()) == [
        {
            "rule": "schema",
            "severity": "error",
            "file": "cm.yaml",
            "line": 7,  # the field data.n, not the document
            "resource": "ConfigMap/default/a",
        }
    ]
    check_files({golden: dump(findings_of(case, "invalid"))}, update=True)  # now nothing to do

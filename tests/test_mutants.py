"""The mutation logic of tests/mutants.py (`make mutants`), checked quickly and in-process.

The mutants are applied to sources and the results executed here, so these tests show that a
mutant really removes what it claims to, on synthetic modules and on gigrouter's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from mutants import (
    GUARD_EXIT,
    MODEL_DIR,
    MODEL_FILE,
    REPO,
    Mutant,
    MutationError,
    Plan,
    Workspace,
    config_check_sites,
    drop_rule_wrapper,
    finding_sites,
    guard_sites,
    make_plan,
    package_files,
    rule_mutants,
    sanity_mutant,
    skip_check,
)

from gigrouter.validate.context import Options
from gigrouter.validate.runner import all_rules, build_context

CROSSCHECK_CASES = Path(__file__).resolve().parent / "golden_config_errors"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return make_plan(REPO)


def load_source(monkeypatch: pytest.MonkeyPatch, name: str, source: str) -> types.ModuleType:
    """``source`` executed as a fresh module (registered while the test runs, for dataclasses
    and pydantic, which look their module up)."""
    module = types.ModuleType(name)
    monkeypatch.setitem(sys.modules, name, module)
    exec(compile(source, name, "exec"), module.__dict__)
    return module


def mutant(plan: Plan, kind: str, target: str) -> Mutant:
    found = [m for m in plan.mutants if m.kind == kind and m.target == target]
    assert len(found) == 1, f"{kind} {target}: {len(found)} mutants"
    return found[0]


# --- the plan covers every rule ------------------------------------------------------------


def test_every_registered_rule_gets_both_mutants(plan: Plan) -> None:
    assert plan.errors == []
    for rule in all_rules():
        kinds = sorted(m.kind for m in plan.mutants if m.target == rule)
        assert kinds == ["report-off", "rule-off"], rule


def model_files() -> dict[str, str]:
    return {
        path.relative_to(REPO).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted((REPO / MODEL_DIR).glob("*.py"))
    }


def test_every_cross_key_check_gets_a_mutant(plan: Plan) -> None:
    sites = config_check_sites(model_files())
    assert any(s.key_path == "Application._one_source" for s in sites)  # validators count
    checks = [m for m in plan.mutants if m.kind == "check-off"]
    # one per check, plus one that drops every cross-check result in build_platform
    assert sorted(m.target for m in checks[:-1]) == sorted(
        f"{s.key_path}: {s.message}" for s in sites
    )
    assert checks[-1].target == "every cross-key check"


def test_every_mutant_changes_its_files_and_still_compiles(plan: Plan) -> None:
    for m in [*plan.mutants, sanity_mutant(REPO)]:
        assert m.files, m.describe()
        assert m.stages, m.describe()
        for file, text in m.files.items():
            assert text != (REPO / file).read_text(encoding="utf-8"), m.describe()
            compile(text, file, "exec")


def test_the_rule_mutants_run_the_golden_case_of_their_rule_first(plan: Plan) -> None:
    m = mutant(plan, "report-off", "image-tag")
    assert m.stages[0][0] == "tests/validate/test_golden_findings.py"
    assert "image-tag" in m.stages[0][-1]
    assert m.stages[-1] == ["tests/validate"]


def test_a_rule_without_an_emission_site_is_a_failure() -> None:
    sources = {f: (REPO / f).read_text(encoding="utf-8") for f in package_files(REPO)}
    mutants, errors = rule_mutants(REPO, "no-such-rule", None, sources)
    assert mutants == []
    assert len(errors) == 2
    assert errors[0].startswith("rule-off no-such-rule: ")
    assert "no statement builds a Finding for 'no-such-rule'" in errors[1]


def test_per_site_mutants_switch_off_one_statement_each() -> None:
    file = "gigrouter/validate/rules/security.py"
    sources = {file: (REPO / file).read_text(encoding="utf-8")}
    sites = finding_sites(sources[file], file, "privileged")
    assert len(sites) == 2
    mutants, errors = rule_mutants(REPO, "privileged", file, sources, per_site=True)
    assert errors == []
    singles = [m for m in mutants if m.kind == "site-off"]
    assert [m.where for m in singles] == [f"{file}:{s.line}" for s in sites]
    for m in singles:
        guarded = m.files[file].count("!= 'privileged':")
        assert guarded == 1, f"{m.where}: {guarded} statements guarded"
    assert [m.kind for m in rule_mutants(REPO, "privileged", file, sources)[0]] == [
        "rule-off",
        "report-off",
    ]


# --- report-off on synthetic modules ------------------------------------------------------

SYNTHETIC = """
from dataclasses import dataclass

@dataclass
class Finding:
    rule: str
    message: str

def finding(rule, message):
    return Finding(rule, message)

def _plain(items):
    for item in items:
        yield finding("demo", f"plain {item}")
        yield finding("other", f"other {item}")

def _optional(kind) -> Finding | None:
    rule = "demo" if kind == "a" else "also"
    if kind == "none":
        return None
    return finding(rule, f"optional {kind}")

def _always(item) -> Finding:
    return Finding("demo", f"always {item}")

def check(items):
    out = list(_plain(items))
    for kind in ("a", "b", "none"):
        found = _optional(kind)
        if found is not None:
            out.append(found)
    out.append(_always(items[0]))
    return out
"""


def rules_of(findings: list[Any]) -> list[str]:
    return [f.rule for f in findings]


def test_report_off_removes_every_site_of_its_rule_and_only_those(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = load_source(monkeypatch, "synthetic_original", SYNTHETIC)
    assert rules_of(original.check(["x"])) == ["demo", "other", "demo", "also", "demo"]
    sites = finding_sites(SYNTHETIC, "synthetic.py", "demo")
    # the yield; the optional return (a variable holding the id); the call of the helper that
    # always returns a finding, instead of the helper's own return
    assert [(s.rule_expr, s.returns_none) for s in sites] == [
        ("'demo'", False),
        ("rule", True),
        ("'demo'", False),
    ]
    mutated = load_source(monkeypatch, "synthetic_mutated", guard_sites(SYNTHETIC, sites, "demo"))
    assert rules_of(mutated.check(["x"])) == ["other", "also"]


def test_a_finding_kept_in_a_variable_is_refused() -> None:
    source = "def check(ctx, doc):\n    f = ctx.finding(doc, 'error', 'demo', 'm')\n    yield f\n"
    with pytest.raises(MutationError, match="Assign statement"):
        finding_sites(source, "x.py", "demo")


HELPER = """
from dataclasses import dataclass

@dataclass
class Finding:
    rule: str

def _made(kind) -> Finding:
    rule = "demo" if kind == "a" else "other"
    return Finding(rule)

def check(kinds):
    out = []
    for kind in kinds:
        out.append(_made(kind))
    return out
"""


def test_a_helper_computing_its_rule_is_guarded_where_it_is_called(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sites = finding_sites(HELPER, "helper.py", "demo")
    assert [(s.line, s.rule_expr, s.call is not None) for s in sites] == [
        (15, "_mutant_finding.rule", True)
    ]
    original = load_source(monkeypatch, "helper_original", HELPER)
    mutated = load_source(monkeypatch, "helper_mutated", guard_sites(HELPER, sites, "demo"))
    assert rules_of(original.check(["a", "b", "a"])) == ["demo", "other", "demo"]
    assert rules_of(mutated.check(["a", "b", "a"])) == ["other"]


# --- the mutants on gigrouter's own modules -------------------------------------------------

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "web"},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:latest"}]},
        },
    },
}


@pytest.fixture
def tree_dir(tmp_path: Path) -> Path:
    (tmp_path / "deploy.yaml").write_text(yaml.safe_dump(DEPLOYMENT), encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("a: [\n", encoding="utf-8")
    return tmp_path


def security_findings(module: types.ModuleType, root: Path) -> list[str]:
    from gigrouter.validate.tree import load_tree

    ctx = build_context(load_tree(root), Options())
    return sorted(set(rules_of(list(module.check(ctx)))))


@pytest.mark.parametrize("kind", ["rule-off", "report-off"])
def test_a_security_rule_mutant_drops_that_rule_only(
    plan: Plan, kind: str, tree_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = "gigrouter/validate/rules/security.py"
    original = load_source(monkeypatch, "security_original", (REPO / file).read_text())
    before = security_findings(original, tree_dir)
    assert {"image-tag", "resources-missing", "readiness-probe-missing"} <= set(before)
    mutated = load_source(
        monkeypatch, "security_mutated", mutant(plan, kind, "image-tag").files[file]
    )
    assert security_findings(mutated, tree_dir) == [r for r in before if r != "image-tag"]


@pytest.mark.parametrize("kind", ["rule-off", "report-off"])
def test_a_core_rule_mutant_drops_yaml_invalid(
    plan: Plan, kind: str, tree_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = "gigrouter/validate/tree.py"
    original = load_source(monkeypatch, "tree_original", (REPO / file).read_text())
    assert rules_of(original.load_tree(tree_dir).findings) == ["yaml-invalid"]
    m = mutant(plan, kind, "yaml-invalid")
    mutated = load_source(monkeypatch, "tree_mutated", m.files[file])
    tree = mutated.load_tree(tree_dir)
    assert tree.findings == []
    assert [d.name for d in tree.documents] == ["web"]  # the rest of the tree is still read


def test_rule_off_needs_the_function_it_wraps() -> None:
    with pytest.raises(MutationError, match="no top-level function check"):
        drop_rule_wrapper("def other(): pass\n", "x.py", "check", "iter", "demo")


def test_check_off_skips_exactly_its_cross_key_check(monkeypatch: pytest.MonkeyPatch) -> None:
    source = (REPO / MODEL_FILE).read_text(encoding="utf-8")
    site = next(s for s in config_check_sites(model_files()) if s.message.startswith("wave {}"))
    data = yaml.safe_load(
        (CROSSCHECK_CASES / "wave-not-after-dependency" / "config.yaml").read_text()
    )
    original = load_source(monkeypatch, "model_original", source)
    problems = original.Platform.model_validate(data).cross_check()
    assert [p for _, p in problems] == [
        "wave 0 of 'frontend' must be later than wave 0 of its dependency"
        " 'aws-load-balancer-controller'"
    ]
    mutated = load_source(monkeypatch, "model_mutated", skip_check(source, site))
    assert mutated.Platform.model_validate(data).cross_check() == []


# --- the copy is what the tests import -----------------------------------------------------


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield Workspace.create(REPO, tmp_path_factory.mktemp("mutants"))


def imported_from(
    ws: Workspace, pythonpath: list[Path], copy: Path
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    env["GIGROUTER_MUTANT_COPY"] = str(copy / "gigrouter")
    return subprocess.run(
        [sys.executable, "-c", "import _mutant_guard, gigrouter; print(gigrouter.__file__)"],
        cwd=ws.mirror,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_mirror_has_no_package_of_its_own(workspace: Workspace) -> None:
    assert not (workspace.mirror / "gigrouter").exists()
    assert (workspace.mirror / "tests" / "mutants.py").is_file()
    assert not (workspace.mirror / "tests").is_symlink()


def test_the_guard_accepts_the_copy_and_refuses_the_working_tree(workspace: Workspace) -> None:
    copy = workspace.package_copy("guarded", {})
    ok = imported_from(workspace, [copy, workspace.guard], copy)
    assert ok.returncode == 0, ok.stderr
    assert Path(ok.stdout.strip()).resolve() == (copy / "gigrouter" / "__init__.py").resolve()
    # without the copy on the path, gigrouter comes from the editable install: refused
    refused = imported_from(workspace, [workspace.guard], copy)
    assert refused.returncode == GUARD_EXIT
    assert "not from the copy" in refused.stderr


def test_a_package_copy_holds_the_mutated_text(workspace: Workspace) -> None:
    file = "gigrouter/validate/runner.py"
    copy = workspace.package_copy("mutated", {file: "# mutated\n"})
    assert (copy / file).read_text() == "# mutated\n"
    assert (REPO / file).read_text() != "# mutated\n"
    assert (copy / "templates").resolve() == (REPO / "templates").resolve()
    with pytest.raises(MutationError, match="not in the copy"):
        workspace.package_copy("missing", {"gigrouter/nowhere.py": ""})


@pytest.fixture
def shaped_dir(tmp_path: Path) -> Path:
    """A Helm chart and a kustomization, neither rendered: one info each."""
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 1.0.0\n")
    (tmp_path / "kust").mkdir()
    (tmp_path / "kust" / "kustomization.yaml").write_text("resources: []\n")
    return tmp_path


def test_a_helper_of_another_module_is_guarded_where_it_is_called(
    plan: Plan, shaped_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # shapes.unrendered() builds helm-chart and kustomization findings; tree.py reports them
    file = "gigrouter/validate/tree.py"
    original = load_source(monkeypatch, "tree_original", (REPO / file).read_text())
    assert sorted(rules_of(original.load_tree(shaped_dir).findings)) == [
        "helm-chart",
        "kustomization",
    ]
    for kind in ("rule-off", "report-off"):
        m = mutant(plan, kind, "helm-chart")
        assert list(m.files) == [file], m.describe()
        mutated = load_source(monkeypatch, f"tree_{kind}", m.files[file])
        assert rules_of(mutated.load_tree(shaped_dir).findings) == ["kustomization"], kind


def test_a_helper_building_several_rules_is_not_guarded_by_one_constant() -> None:
    source = (
        "def made(kind) -> Finding:\n"
        "    if kind:\n"
        "        return Finding('demo', 'm')\n"
        "    return Finding('other', 'm')\n"
    )
    caller = "from pkg import helpers\n\ndef check(out):\n    out.append(helpers.made(1))\n"
    sites = finding_sites(source, "pkg/helpers.py", "demo", {"pkg/caller.py": caller})
    assert [(s.file, s.line, s.rule_expr) for s in sites] == [
        ("pkg/caller.py", 4, "_mutant_finding.rule")
    ]
    with pytest.raises(MutationError, match="nothing in gigrouter/ calls made"):
        finding_sites(source, "pkg/helpers.py", "demo", {"pkg/caller.py": "made(1)\n"})


@pytest.mark.parametrize("kind", ["rule-off", "report-off"])
def test_a_rule_disabled_mutant_drops_the_settings_info(
    plan: Plan, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the id is a module constant (RULE_DISABLED); its findings leave through Settings.apply
    from gigrouter.validate.findings import Finding, Severity

    file = "gigrouter/validate/settings.py"
    found = [Finding(Severity.WARNING, "image-tag", "m", "a.yaml", 3)]
    for name, text in (("original", (REPO / file).read_text()), (kind, None)):
        module = load_source(
            monkeypatch,
            f"settings_{name}",
            text if text is not None else mutant(plan, kind, "rule-disabled").files[file],
        )
        settings = module.Settings(
            file=".gigrouter.yaml",
            disabled={"image-tag": module.Disabled("image-tag", "pinned", ".gigrouter.yaml:4")},
        )
        expected = ["rule-disabled"] if text is not None else []
        assert rules_of(settings.apply(found)) == expected, name

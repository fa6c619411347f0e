"""A hostile tree: symlinks out, files that block or cannot be read, YAML beyond the bounds,
values of the wrong type. Each is a finding (or a usage error), never a traceback or a hang,
and nothing outside the tree is read."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gigrouter import safeyaml
from gigrouter.errors import UsageError
from gigrouter.plan.steps import plan_tree
from gigrouter.validate.findings import Finding, Report, Severity
from gigrouter.validate.runner import validate_path
from gigrouter.validate.schema import MAX_ERRORS, too_many_errors
from gigrouter.validate.tree import load_tree

from .trees import TIME_BOUND, assert_clean_failure, config_map, gigrouter, make_tree

MARKER = "s3cr3t-marker-0123456789"


def secret_outside(tmp_path: Path) -> Path:
    """A file outside the tree whose content would be quoted in findings if it were read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked\n  namespace: default\n"
        f"  labels:\n    token: '{MARKER}!'\ndata:\n  password: {MARKER}\n"
    )
    (outside / "gigrouter-metadata.yaml").write_text(
        f"gigrouter: {{format: 1}}\ngitops: {{path: {MARKER}}}\n"
    )
    return outside


def rules(report: Report) -> list[tuple[str, str]]:
    return [(f.rule, f.file) for f in report.findings]


def text_of(report: Report) -> str:
    return "\n".join(f"{f.file} {f.message} {f.resource}" for f in report.findings)


def errors(report: Report, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule and f.severity is Severity.ERROR]


# --- symlinks -------------------------------------------------------------------------------


def test_a_symlink_to_a_file_outside_is_an_error_and_is_not_read(tmp_path: Path) -> None:
    outside = secret_outside(tmp_path)
    tree = make_tree(tmp_path / "tree")
    (tree / "leak.yaml").symlink_to(outside / "secret.yaml")
    report = validate_path(tree)
    assert rules(report) == [("symlink-outside-tree", "leak.yaml")]
    assert report.errors == 1
    assert "leak.yaml" in report.findings[0].message
    assert MARKER not in text_of(report)
    assert str(outside) not in text_of(report)  # nor where it points
    assert report.resources == 1  # only base.yaml


def test_a_symlinked_directory_outside_is_an_error_and_not_traversed(tmp_path: Path) -> None:
    outside = secret_outside(tmp_path)
    tree = make_tree(tmp_path / "tree")
    (tree / "vendor").symlink_to(outside, target_is_directory=True)
    report = validate_path(tree)
    assert rules(report) == [("symlink-outside-tree", "vendor")]
    assert MARKER not in text_of(report)
    assert load_tree(tree).files == ["base.yaml", "gigrouter-metadata.yaml"]


def test_dangling_and_looping_symlinks_are_errors_naming_the_link(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    (tree / "gone.yaml").symlink_to(tree / "missing.yaml")
    (tree / "a.yaml").symlink_to(tree / "b.yaml")
    (tree / "b.yaml").symlink_to(tree / "a.yaml")
    report = validate_path(tree)
    assert rules(report) == [
        ("symlink-outside-tree", "a.yaml"),
        ("symlink-outside-tree", "b.yaml"),
        ("symlink-outside-tree", "gone.yaml"),
    ]
    assert all("dangles or loops" in f.message for f in report.findings)


def test_symlinks_inside_the_tree_are_read_once(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree", {"apps/web.yaml": config_map("web")})
    (tree / "alias.yaml").symlink_to("base.yaml")  # a second name for a file
    (tree / "apps" / "again").symlink_to("..", target_is_directory=True)  # a loop back up
    (tree / "self").symlink_to(".", target_is_directory=True)
    started = time.monotonic()
    report = validate_path(tree)
    assert time.monotonic() - started < TIME_BOUND
    assert report.findings == []  # no duplicate-resource: each file read once
    assert report.resources == 2


def test_a_symlink_to_a_file_read_nowhere_else_is_read_under_its_name(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree", {".shared/extra.yaml": config_map("extra")})
    (tree / "extra.yaml").symlink_to(".shared/extra.yaml")
    report = validate_path(tree)
    assert report.findings == []
    assert report.resources == 2


def test_a_metadata_file_linked_from_outside_is_not_read(tmp_path: Path) -> None:
    outside = secret_outside(tmp_path)
    tree = make_tree(tmp_path / "tree")
    (tree / "gigrouter-metadata.yaml").unlink()
    (tree / "gigrouter-metadata.yaml").symlink_to(outside / "gigrouter-metadata.yaml")
    assert load_tree(tree).metadata == {}
    report = validate_path(tree)
    assert rules(report) == [("symlink-outside-tree", "gigrouter-metadata.yaml")]
    assert MARKER not in text_of(report)


def test_an_environment_linked_from_outside_is_not_validated(tmp_path: Path) -> None:
    outside = secret_outside(tmp_path)
    tree = make_tree(tmp_path / "tree")
    (tree / "environments").mkdir()
    (tree / "environments" / "prod").symlink_to(outside, target_is_directory=True)
    report = validate_path(tree)
    assert rules(report) == [("symlink-outside-tree", "environments/prod")]
    assert MARKER not in text_of(report)


def test_an_environment_may_link_into_the_validated_root(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree", {"shared/common.yaml": config_map("common")})
    make_tree(tree / "environments" / "prod")
    (tree / "environments" / "prod" / "common.yaml").symlink_to("../../shared/common.yaml")
    report = validate_path(tree)
    assert report.findings == []
    assert report.resources == 4  # base + common, in the base tree and in prod


def test_the_installed_command_reports_a_symlink_out_and_never_its_content(
    tmp_path: Path,
) -> None:
    outside = secret_outside(tmp_path)
    tree = make_tree(tmp_path / "tree")
    (tree / "leak.yaml").symlink_to(outside / "secret.yaml")
    run = gigrouter("validate", tree, "--format", "json")
    assert_clean_failure(run, 1, "symlink-outside-tree", "leak.yaml")
    assert MARKER not in run.out


# --- resource exhaustion --------------------------------------------------------------------


def billion_laughs(levels: int = 9) -> str:
    lines = [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata: {name: laughs, namespace: default}",
        "data:",
        "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
    ]
    names = "abcdefghijklmnopqrstuvwxyz"
    for i in range(1, levels + 1):
        refs = ", ".join([f"*{names[i - 1]}"] * 9)
        lines.append(f"  {names[i]}: &{names[i]} [{refs}]")
    return "\n".join(lines) + "\n"


def nested(depth: int) -> str:
    return (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep, namespace: default}\n"
        f"data:\n  x: {'[' * depth}{']' * depth}\n"
    )


def timed(action: Callable[[], Report]) -> Report:
    started = time.monotonic()
    report = action()
    assert time.monotonic() - started < TIME_BOUND
    return report


@pytest.mark.parametrize(
    ("content", "words"),
    [
        pytest.param(billion_laughs(), "expands to more than", id="billion-laughs"),
        pytest.param(nested(990), "nesting deeper than", id="nesting-990"),
        pytest.param("&a [*a]\n", "recursive alias", id="recursive-alias"),
        pytest.param(
            "data: [" + ",".join(["0"] * (safeyaml.MAX_NODES + 10)) + "]\n",
            "expands to more than",
            id="many-small-nodes",
        ),
    ],
)
def test_yaml_beyond_the_bounds_is_refused_quickly(
    tmp_path: Path, content: str, words: str
) -> None:
    tree = make_tree(tmp_path / "tree", {"bomb.yaml": content})
    report = timed(lambda: validate_path(tree))
    (finding,) = errors(report, "document-too-large")
    assert finding.file == "bomb.yaml" and words in finding.message
    assert report.resources == 1


def test_a_values_file_beyond_the_bounds_is_refused_by_every_reader(tmp_path: Path) -> None:
    """The ALB rule reads Helm values files itself: with the same bounds (found by make fuzz)."""
    source = "{repoURL: https://git.example.com/r.git, path: web, helm: {valueFiles: [v.yaml]}}"
    tree = make_tree(
        tmp_path / "tree",
        {
            "argocd/web.yaml": APP.format(source=source),
            "web/cm.yaml": config_map("web"),
            "web/v.yaml": "x: " + "[" * 990 + "]" * 990 + "\n",
        },
    )
    report = timed(lambda: validate_path(tree))
    assert [f.file for f in errors(report, "document-too-large")] == ["web/v.yaml"]
    plan_tree(tree)


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    big = config_map("big") + f"# {MARKER}\n" * (safeyaml.MAX_FILE_BYTES // 20)
    assert len(big) > safeyaml.MAX_FILE_BYTES
    tree = make_tree(tmp_path / "tree", {"big.yaml": big})
    report = timed(lambda: validate_path(tree))
    (finding,) = errors(report, "document-too-large")
    assert finding.file == "big.yaml" and str(safeyaml.MAX_FILE_BYTES) in finding.message
    assert report.resources == 1 and MARKER not in text_of(report)


def test_nesting_at_the_limit_validates_without_recursion_errors(tmp_path: Path) -> None:
    """The deepest document the loader accepts still goes through every check, a CRD whose
    schema the built-in (recursive) CRD schema must descend into included."""
    schema: dict[str, Any] = {"type": 5}  # wrong at the bottom: the slow, explaining path
    for _ in range((safeyaml.MAX_DEPTH - 8) // 2):
        schema = {"type": "object", "properties": {"a": schema}}
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "deeps.example.io"},
        "spec": {
            "group": "example.io",
            "scope": "Namespaced",
            "names": {"kind": "Deep", "plural": "deeps"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }
    tree = make_tree(tmp_path / "tree", {"crd.yaml": yaml.safe_dump(crd), "deep.yaml": nested(95)})
    report = timed(lambda: validate_path(tree))
    assert not errors(report, "document-too-large")
    assert {f.file for f in errors(report, "schema")} == {"crd.yaml", "deep.yaml"}


def test_schema_errors_are_explained_up_to_a_bound(tmp_path: Path) -> None:
    data = "".join(f"  k{i}: {i}\n" for i in range(20_000))  # 20,000 integers, not strings
    tree = make_tree(tmp_path / "tree", {"many.yaml": config_map("many") + data})
    report = timed(lambda: validate_path(tree))
    schema = errors(report, "schema")
    assert len(schema) == MAX_ERRORS + 1
    assert too_many_errors(MAX_ERRORS) in [f.message for f in schema]


def test_values_quoted_in_messages_are_cut(tmp_path: Path) -> None:
    long_value = "x" * 200_000
    tree = make_tree(
        tmp_path / "tree",
        {
            "long.yaml": config_map("long").replace(
                "  namespace: default\n", f"  labels: {{a: {long_value}}}\n  namespace: default\n"
            )
        },
    )
    report = timed(lambda: validate_path(tree))
    assert errors(report, "value-invalid")
    assert all(len(f.message) < safeyaml.MAX_MESSAGE + 100 for f in report.findings)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("1" * 5000, id="int-5000-digits"),
        pytest.param("2001-13-45", id="impossible-date"),
    ],
)
def test_values_python_cannot_hold_are_the_strings_go_yaml_reads(
    tmp_path: Path, value: str
) -> None:
    """A number beyond float64 and a date that does not exist are the text itself to go-yaml
    (and so to the API server): a string, read without a crash and without a finding."""
    # (not the key ``n``: go-yaml reads a plain ``n`` as false, key or value)
    tree = make_tree(tmp_path / "tree", {"odd.yaml": config_map("odd") + f"  num: {value}\n"})
    report = validate_path(tree)
    assert not errors(report, "yaml-invalid")
    (doc,) = [d for d in load_tree(tree).documents if d.name == "odd"]
    assert doc.data["data"]["num"] == value


def test_the_installed_command_survives_a_billion_laughs_and_a_huge_integer(
    tmp_path: Path,
) -> None:
    tree = make_tree(
        tmp_path / "tree",
        {"bomb.yaml": billion_laughs(), "int.yaml": config_map("big") + f"  num: {'9' * 5000}\n"},
    )
    run = gigrouter("validate", tree)
    assert_clean_failure(run, 1, "document-too-large", "bomb.yaml")
    assert "int.yaml" not in run.out  # 5,000 digits are a string to go-yaml: a valid data value


# --- files that cannot be read --------------------------------------------------------------


def test_a_fifo_is_an_error_not_a_wait(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    os.mkfifo(tree / "pipe.yaml")
    report = timed(lambda: validate_path(tree))
    (finding,) = errors(report, "yaml-invalid")
    assert finding.file == "pipe.yaml" and "a FIFO" in finding.message
    run = gigrouter("validate", tree)
    assert_clean_failure(run, 1, "pipe.yaml", "not a regular file")


def test_a_directory_named_like_a_manifest_is_a_directory(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree", {"x.yaml/inner.yaml": config_map("inner")})
    report = validate_path(tree)
    assert report.findings == [] and report.resources == 2


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Paths (by name) that fail at the real boundary: os.open and os.scandir."""
    names: set[str] = set()
    real_open, real_scandir = os.open, os.scandir

    def fake_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path).name in names:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    def fake_scandir(path: Any = ".") -> Any:
        if Path(path).name in names:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "scandir", fake_scandir)
    yield names


def test_an_unreadable_file_is_an_error(tmp_path: Path, unreadable: set[str]) -> None:
    tree = make_tree(tmp_path / "tree", {"locked.yaml": config_map("locked")})
    unreadable.add("locked.yaml")
    report = validate_path(tree)
    (finding,) = errors(report, "yaml-invalid")
    assert (finding.file, finding.message) == (
        "locked.yaml",
        "cannot read locked.yaml: Permission denied",
    )


def test_an_unreadable_directory_is_an_error_not_clean(
    tmp_path: Path, unreadable: set[str]
) -> None:
    tree = make_tree(tmp_path / "tree", {"locked/a.yaml": config_map("a")})
    unreadable.add("locked")
    report = validate_path(tree)
    (finding,) = errors(report, "yaml-invalid")
    assert (finding.file, finding.message) == (
        "locked",
        "cannot read locked: cannot list the directory: Permission denied",
    )
    unreadable.add("tree")
    with pytest.raises(UsageError, match="cannot list it: Permission denied"):
        validate_path(tree)


def test_a_metadata_file_that_is_not_utf8_is_a_finding(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree", {"gigrouter-metadata.yaml": b"gigrouter: caf\xe9\n"})
    report = validate_path(tree)
    assert rules(report) == [("yaml-invalid", "gigrouter-metadata.yaml")]
    run = gigrouter("validate", tree)
    assert_clean_failure(run, 1, "gigrouter-metadata.yaml", "not UTF-8")


# --- values of the wrong type ---------------------------------------------------------------

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: web, namespace: argocd}}
spec:
  project: default
  source: {source}
  destination: {{server: https://kubernetes.default.svc, namespace: default}}
"""


@pytest.mark.parametrize(
    ("files", "rule"),
    [
        pytest.param(
            {
                "gigrouter-metadata.yaml": "gigrouter: {format: 1}\nexternals:\n- {kind: Secret, name: s, keys: 5, ports: 7}\n"
            },
            None,
            id="metadata-externals-keys-5",
        ),
        pytest.param(
            {
                "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\n"
                "spec:\n  ports: [{port: {a: 1}, targetPort: [1], name: [x]}]\n",
                "ing.yaml": "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
                "metadata: {name: i, namespace: default}\nspec:\n  rules: [{http: {paths: [{path: /,"
                " pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}}]\n",
            },
            "schema",
            id="service-port-mapping",
        ),
        pytest.param(
            {
                "app.yaml": APP.format(
                    source="{repoURL: https://charts.example.com, chart: [a, b], targetRevision: '1'}"
                )
            },
            "custom-schema",
            id="application-chart-list",
        ),
        pytest.param(
            {"app.yaml": APP.format(source="{repoURL: x, path: [a], helm: {valueFiles: 5}}")},
            "custom-schema",
            id="application-path-list",
        ),
        pytest.param(  # found by tests/hostile/mutate.py: plan could not sort or write these
            {
                "app.yaml": APP.format(
                    source="{repoURL: https://charts.example.com, chart: c, targetRevision: '1',"
                    " helm: {valuesObject: {1: a, b: 2020-01-01, c: !!binary aGk=}}}"
                )
            },
            None,
            id="helm-values-object-mixed-keys",
        ),
        pytest.param(
            {
                "app.yaml": APP.format(source="{repoURL: x, path: web, targetRevision: main}"),
                "web/ing.yaml": "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
                "metadata: {name: i, namespace: default}\nspec: {rules: 5}\n",
                "web/ing2.yaml": "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
                "metadata: {name: j, namespace: default}\nspec: {rules: [{http: {paths: 5}}]}\n",
                "web/np.yaml": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                "metadata: {name: n, namespace: default}\n"
                "spec: {podSelector: {}, ingress: 5, egress: [{to: 5}]}\n",
            },
            "schema",
            id="ingress-rules-and-policy-peers-not-lists",
        ),
        pytest.param(
            {
                "set.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n"
                "metadata: {name: s, namespace: argocd}\nspec:\n  generators: [{list: {elements: 5}},"
                " {matrix: {generators: 5}}, {list: {elements: [{spec: {sources: 5}}]}}]\n"
                "  template: {metadata: {name: x}, spec: {project: default}}\n",
                "set2.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n"
                "metadata: {name: t, namespace: argocd}\nspec: {generators: 5}\n",
            },
            "custom-schema",
            id="applicationset-generators-not-lists",
        ),
        pytest.param(
            {
                "app.yaml": APP.format(source="{repoURL: x, path: web, true: 1, zzz: 2, 7: 3}"),
                "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\n"
                "spec: {yes: 1, zzz: 2, ports: [{port: 80}]}\n",
            },
            "custom-schema",
            id="schema-errors-under-bool-and-number-keys",
        ),
        pytest.param(  # sigs.k8s.io/yaml: "Unsupported map key of type: <nil>"
            {
                "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\n"
                "spec: {null: 1, ports: [{port: 80}]}\n"
            },
            "yaml-invalid",
            id="a-null-key-is-no-json",
        ),
    ],
)
def test_values_of_the_wrong_type_are_findings(
    tmp_path: Path, files: dict[str, str | bytes], rule: str | None
) -> None:
    tree = make_tree(tmp_path / "tree", files)
    report = validate_path(tree)
    if rule is not None:
        assert errors(report, rule)
    plan_tree(tree)  # plan reads the same tree: no crash either
    run = gigrouter("validate", tree)
    assert "Traceback" not in run.out and run.code in (0, 1), run.out


# --- paths out of the repo: valueFiles and --env --------------------------------------------


def test_value_files_outside_the_repo_are_findings_and_never_read(tmp_path: Path) -> None:
    outside = secret_outside(tmp_path)
    source = (
        "{repoURL: https://git.example.com/r.git, path: web, targetRevision: main,"
        " helm: {valueFiles: ['../../outside/secret.yaml', '/outside/secret.yaml', 'values.yaml']}}"
    )
    tree = make_tree(
        tmp_path / "tree",
        {"argocd/web.yaml": APP.format(source=source), "web/values.yaml": "replicas: 1\n"},
    )
    (tree / "web" / "cm.yaml").write_text(config_map("web-settings"))
    assert (tree / "web" / "../../outside/secret.yaml").resolve() == (outside / "secret.yaml")
    report = validate_path(tree)
    messages = [f.message for f in errors(report, "argocd-app-path")]
    assert len(messages) == 2
    assert "resolves outside the repository" in messages[0] + messages[1]
    assert "is an absolute path" in messages[0] + messages[1]
    loaded = load_tree(tree)
    assert loaded.values_files == {"web/values.yaml"}
    plan = plan_tree(tree)
    assert MARKER not in repr(plan)


@pytest.mark.parametrize("env", ["../..", "/etc", "prod/../..", "..", ".hidden"])
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_env_must_be_a_plain_name(tmp_path: Path, command: str, env: str) -> None:
    tree = make_tree(tmp_path / "tree")
    run = gigrouter(command, tree, "--env", env)
    assert_clean_failure(run, 2, "--env", "not an environment name")


def test_diff_env_must_be_a_plain_name(tmp_path: Path) -> None:
    run = gigrouter("diff", "--env", "../..", "--out", tmp_path)
    assert_clean_failure(run, 2, "--env", "not an environment name")


def test_plan_tree_refuses_an_env_that_climbs(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    with pytest.raises(UsageError, match="not an environment name"):
        plan_tree(tree / "environments" / "x", env="../..")

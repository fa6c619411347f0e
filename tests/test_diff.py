"""gigrouter diff: per-resource changes between the output tree and a fresh render (or a git ref)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO
from support.cli import invoke
from support.golden import check_files

from gigrouter.diff import formats as diff_formats
from gigrouter.diff.compare import (
    MISSING,
    Diff,
    FieldChange,
    compare_files,
    diff_config,
    field_changes,
)
from gigrouter.errors import ConfigError, UsageError
from gigrouter.pipeline import build_trees, combine
from gigrouter.write import write_tree

GOLDEN = REPO / "tests" / "golden-diff"
REPLICAS = ("replicas: 2", "replicas: 3")  # the first one is the backend's (staging sets its own)
RETENTION = ("retention: 3h", "retention: 6h")  # into observability/values.yaml
CHART = ("version: 58.5.0", "version: 58.6.0")  # kube-prometheus-stack (edit every=True)
REGION = (
    "clusterName: gig-route-cluster\n        region: eu-north-1",
    "clusterName: gig-route-cluster\n        region: eu-west-1",
)  # the ALB controller's valuesObject


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """config/ copied and rendered into out/, cwd there, so paths print as config/…, out."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    write_tree(
        combine(build_trees(tmp_path / "config" / "platform.yaml", everything=True)),
        tmp_path / "out",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


CONFIG = Path("config/platform.yaml")
OUT = Path("out")


def edit(*changes: tuple[str, str], every: bool = False) -> None:
    """Replace the first occurrence of each old text (with ``every``, all of them)."""
    text = CONFIG.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, -1 if every else 1)
    CONFIG.write_text(text, encoding="utf-8")


def changes(diff: Diff) -> dict[str, tuple[str, list[tuple[str, Any, Any]], tuple[str, ...]]]:
    return {
        str(r.key): (r.status, [(f.path, f.old, f.new) for f in r.fields], r.helm)
        for r in diff.resources
    }


# --- against the tree on disk ---------------------------------------------------------------


def test_fresh_render_has_no_changes(project: Path) -> None:
    diff = diff_config(CONFIG, OUT)
    assert diff.clean and diff.resources == () and diff.files == ()
    assert diff_formats.to_text(diff) == (
        "out: no changes (a fresh render of config/platform.yaml is identical)\n"
    )


def test_changed_field_of_a_resource(project: Path) -> None:
    edit(REPLICAS)
    diff = diff_config(CONFIG, OUT)
    assert changes(diff) == {
        "Deployment backend/backend": ("changed", [("spec.replicas", 2, 3)], ())
    }
    (file,) = diff.files
    assert (file.path, file.status, file.added_lines, file.removed_lines) == (
        "backend/deployment.yaml", "changed", 1, 1,
    )  # fmt: skip
    assert "-  replicas: 2\n+  replicas: 3\n" in file.diff


def test_chart_version_change_of_helm_apps(project: Path) -> None:
    edit(CHART, every=True)
    found = changes(diff_config(CONFIG, OUT))
    assert found["Application argocd/monitoring"] == (
        "changed",
        [("spec.sources[0].targetRevision", "58.5.0", "58.6.0")],
        ("chart kube-prometheus-stack: 58.5.0 -> 58.6.0",),
    )
    assert found["Application argocd/prometheus-crds"][2] == (
        "chart kube-prometheus-stack: 58.5.0 -> 58.6.0",
    )
    # staging inherits the version: its apps (own names, own tree) change too
    assert "[environments/staging] Application argocd/staging-monitoring" in found


def test_values_file_change_shows_on_its_application(project: Path) -> None:
    edit(RETENTION)
    diff = diff_config(CONFIG, OUT)
    assert changes(diff) == {
        "Application argocd/monitoring": (
            "changed",
            [("values(observability/values.yaml).prometheus.prometheusSpec.retention", "3h", "6h")],
            ("values: 1 field changed",),
        )
    }
    assert [f.path for f in diff.files] == ["observability/values.yaml"]
    assert "changed  file observability/values.yaml" in diff_formats.to_text(diff)


def test_values_object_change_shows_as_values(project: Path) -> None:
    edit(REGION)
    found = changes(diff_config(CONFIG, OUT))
    assert found["Application argocd/aws-load-balancer-controller"] == (
        "changed",
        [("spec.source.helm.valuesObject.region", "eu-north-1", "eu-west-1")],
        ("values: 1 field changed",),
    )


def test_added_application(project: Path) -> None:
    edit(("    enabled: false\n    description: TLS", "    description: TLS"))
    found = changes(diff_config(CONFIG, OUT))
    assert found["Application argocd/cert-manager"] == ("added", [], ())


def test_removed_file_on_disk_is_added_back(project: Path) -> None:
    (OUT / "frontend" / "service.yaml").unlink()
    (OUT / "frontend" / "stray.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n", encoding="utf-8"
    )
    diff = diff_config(CONFIG, OUT)
    assert changes(diff) == {
        "ConfigMap frontend/stray": ("removed", [], ()),
        "Service frontend/frontend": ("added", [], ()),
    }
    assert [(f.path, f.status) for f in diff.files] == [
        ("frontend/service.yaml", "added"),
        ("frontend/stray.yaml", "removed"),
    ]


def test_missing_out_means_everything_is_added(project: Path) -> None:
    diff = diff_config(CONFIG, Path("elsewhere"))
    assert not diff.clean
    assert {r.status for r in diff.resources} == {"added"}
    assert len(diff.files) == len(combine(build_trees(CONFIG, everything=True)).files)


def test_bad_config_is_a_config_error(project: Path) -> None:
    edit(("replicas: 2", "replicas: two"))
    with pytest.raises(ConfigError):
        diff_config(CONFIG, OUT)


# --- trees compared directly ----------------------------------------------------------------


def manifest(kind: str, name: str, namespace: str = "web", **spec: Any) -> str:
    doc = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": namespace}}
    doc.update(spec)
    return yaml.safe_dump(doc, sort_keys=False)


def test_moved_resource_is_recognised() -> None:
    old = {"web/a.yaml": manifest("ConfigMap", "settings", data={"x": "1"})}
    new = {"web/b.yaml": manifest("ConfigMap", "settings", data={"x": "2"})}
    diff = compare_files(dict(old), dict(new), "before", "after")
    (change,) = diff.resources
    assert (change.status, change.old_file, change.new_file) == (
        "moved",
        "web/a.yaml",
        "web/b.yaml",
    )
    assert change.fields == (FieldChange("data.x", "1", "2"),)
    assert [(f.path, f.status) for f in diff.files] == [
        ("web/a.yaml", "removed"),
        ("web/b.yaml", "added"),
    ]
    assert "moved    ConfigMap web/settings  (web/a.yaml -> web/b.yaml)" in diff_formats.to_text(
        diff
    )


def test_keyed_by_resource_not_by_file() -> None:
    both = manifest("ConfigMap", "one") + "---\n" + manifest("ConfigMap", "two")
    split = {
        "web/one.yaml": manifest("ConfigMap", "one"),
        "web/two.yaml": manifest("ConfigMap", "two"),
    }
    diff = compare_files({"web/all.yaml": both}, dict(split), "before", "after")
    assert [(r.status, str(r.key)) for r in diff.resources] == [
        ("moved", "ConfigMap web/one"),
        ("moved", "ConfigMap web/two"),
    ]
    same_name_other_kind = compare_files(
        {"a.yaml": manifest("ConfigMap", "x")}, {"a.yaml": manifest("Secret", "x")}, "b", "a"
    )
    assert [(r.status, r.key.kind) for r in same_name_other_kind.resources] == [
        ("removed", "ConfigMap"),
        ("added", "Secret"),
    ]


def test_comment_only_change_is_a_file_change_without_resource_change() -> None:
    text = manifest("ConfigMap", "c")
    diff = compare_files({"c.yaml": text}, {"c.yaml": "# note\n" + text}, "before", "after")
    assert diff.resources == ()
    assert [f.path for f in diff.files] == ["c.yaml"]
    assert "changed  file c.yaml" in diff_formats.to_text(diff)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"spec": {"replicas": 1}}, {"spec": {"replicas": 2}}, [("spec.replicas", 1, 2)]),
        ({"a": 1}, {"a": 1, "b": 2}, [("b", MISSING, 2)]),
        ({"a": 1, "b": 2}, {"a": 1}, [("b", 2, MISSING)]),
        ({"a": "1"}, {"a": 1}, [("a", "1", 1)]),  # a string is not the number
        (
            {"metadata": {"annotations": {"argocd.argoproj.io/sync-wave": "1"}}},
            {"metadata": {"annotations": {"argocd.argoproj.io/sync-wave": "2"}}},
            [('metadata.annotations["argocd.argoproj.io/sync-wave"]', "1", "2")],
        ),
        (
            {"containers": [{"name": "app", "image": "a:1"}, {"name": "side", "image": "s:1"}]},
            {"containers": [{"name": "side", "image": "s:1"}, {"name": "app", "image": "a:2"}]},
            [
                ("containers[name=app].image", "a:1", "a:2"),
                ("containers(order)", ["app", "side"], ["side", "app"]),
            ],
        ),
        (
            {"env": [{"name": "A", "value": "1"}]},
            {"env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]},
            [("env[name=B]", MISSING, {"name": "B", "value": "2"})],
        ),
        ({"ports": [80, 443]}, {"ports": [80]}, [("ports[1]", 443, MISSING)]),
        ({"args": ["a"]}, {"args": ["b", "c"]}, [("args[0]", "a", "b"), ("args[1]", MISSING, "c")]),
        ({"x": {"y": 1}}, {"x": {"y": 1}}, []),
    ],
)
def test_field_paths(old: Any, new: Any, expected: list[tuple[str, Any, Any]]) -> None:
    assert [(c.path, c.old, c.new) for c in field_changes(old, new)] == expected


# --- against a git ref ----------------------------------------------------------------------


def git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def repo(project: Path) -> Path:
    """project/ as a git repository with config/ and out/ committed on main."""
    git("init", "-q", "-b", "main", cwd=project)
    git("add", "config", "out", cwd=project)
    git("commit", "-q", "-m", "render", cwd=project)
    return project


def test_against_head_reads_the_committed_tree(repo: Path) -> None:
    edit(REPLICAS)
    shutil.rmtree(OUT / "memcached")  # the working tree does not matter, only the commit
    diff = diff_config(CONFIG, OUT, against="HEAD")
    assert diff.before == "HEAD:out"
    assert changes(diff) == {
        "Deployment backend/backend": ("changed", [("spec.replicas", 2, 3)], ())
    }


def test_against_an_older_commit(repo: Path) -> None:
    edit(CHART, every=True)
    write_tree(combine(build_trees(CONFIG, everything=True)), OUT)
    git("commit", "-q", "-am", "bump the chart", cwd=repo)
    assert diff_config(CONFIG, OUT, against="HEAD").clean
    older = diff_config(CONFIG, OUT, against="HEAD~1")
    assert "Application argocd/monitoring" in changes(older)
    assert older.before == "HEAD~1:out"


def test_against_from_a_subdirectory_out(repo: Path) -> None:
    (repo / "deploy").mkdir()
    shutil.move(str(OUT), repo / "deploy" / "out")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "move", cwd=repo)
    diff = diff_config(CONFIG, Path("deploy/out"), against="main")
    assert diff.clean and diff.before == "main:deploy/out"


@pytest.mark.parametrize("ref", ["no-such-branch", "--output=x", ""])
def test_bad_ref_is_a_usage_error(repo: Path, ref: str) -> None:
    with pytest.raises(UsageError, match="--against"):
        diff_config(CONFIG, OUT, against=ref)


def test_against_outside_a_repository_is_a_usage_error(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(project.parent))
    with pytest.raises(UsageError, match="git repository"):
        diff_config(CONFIG, OUT, against="HEAD")


# --- formats --------------------------------------------------------------------------------


def test_markdown_and_text_golden(project: Path, update_golden: bool) -> None:
    edit(REPLICAS, RETENTION)
    diff = diff_config(CONFIG, OUT)
    check_files(
        {
            GOLDEN / "diff.md": "".join(diff_formats.to_markdown(diff)),
            GOLDEN / "diff.txt": diff_formats.to_text(diff),
        },
        update_golden,
    )
    assert diff_formats.to_markdown(diff_config(CONFIG, OUT)) == diff_formats.to_markdown(diff)


def test_markdown_without_changes(project: Path) -> None:
    parts = diff_formats.to_markdown(diff_config(CONFIG, OUT))
    assert parts == [
        "<!-- gigrouter-diff part 1 of 1 -->\n### gigrouter diff\n\n"
        "No changes: `out` equals a fresh render of config/platform.yaml.\n"
    ]


def test_markdown_cuts_long_diffs() -> None:
    old: dict[str, str | None] = {"big.txt": "".join(f"line {i}\n" for i in range(1000))}
    diff = compare_files(old, {"big.txt": ""}, "before", "after")
    (text,) = diff_formats.to_markdown(diff)
    assert "<details>" in text and "more lines not shown" in text
    assert len(text) < 20_000


def test_text_is_coloured_only_when_asked() -> None:
    diff = compare_files({"c.yaml": manifest("ConfigMap", "c")}, {}, "before", "after")
    assert "\x1b[" not in diff_formats.to_text(diff)
    coloured = diff_formats.to_text(diff, color=True)
    assert "\x1b[31m-apiVersion: v1\x1b[0m" in coloured


# --- the command ----------------------------------------------------------------------------


def test_exit_codes(repo: Path) -> None:
    clean = invoke("diff", cwd=repo)
    assert clean.exit_code == 0, clean.stderr
    assert clean.stdout == diff_formats.to_text(diff_config(CONFIG, OUT))
    edit(REPLICAS)
    changed = invoke("diff", "--format", "markdown", "--exit-code", cwd=repo)
    assert changed.exit_code == 1
    assert "| changed | `Deployment backend/backend` |" in changed.stdout
    # as git diff: changes exit 0 unless --exit-code (or --quiet, which prints nothing)
    assert invoke("diff", cwd=repo).exit_code == 0
    quiet = invoke("--quiet", "diff", cwd=repo)
    assert (quiet.exit_code, quiet.stdout) == (1, "")
    text = invoke("diff", "--against", "HEAD", "--exit-code", cwd=repo)
    assert text.exit_code == 1
    assert "\x1b[" not in text.stdout  # not a terminal: no colour
    bad_ref = invoke("diff", "--against", "nope", cwd=repo)
    assert bad_ref.exit_code == 2
    assert "error: --against: 'nope' names no commit" in bad_ref.stderr
    edit(("replicas: 3", "replicas: three"))
    bad_config = invoke("diff", cwd=repo)
    assert bad_config.exit_code == 2
    assert "components.backend.replicas" in bad_config.stderr
    assert "Traceback" not in bad_ref.stderr + bad_config.stderr


def test_readme_example_is_real_output(project: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Diff\n", 1)[1].split("\n### ", 1)[0]
    (example,) = re.findall(r"```text\n(.*?)```", section, re.S)
    shown = example.removesuffix("...\n")
    edit(REPLICAS, RETENTION)
    assert diff_formats.to_text(diff_config(CONFIG, OUT)).startswith(shown)

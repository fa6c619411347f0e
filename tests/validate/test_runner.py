"""The runner: parse problems as findings, waivers, environment trees, namespace inference."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from treeutil import app, metadata, obj, write

from gigrouter.errors import UsageError
from gigrouter.validate.context import Options
from gigrouter.validate.findings import Severity
from gigrouter.validate.runner import all_rules, validate_path
from gigrouter.validate.tree import load_tree

ROOT = app("platform", "argocd", "argocd")


def base(extra: dict[str, object]) -> dict[str, object]:
    return {"gigrouter-metadata.yaml": metadata(), "argocd/apps.yaml": ROOT, **extra}


def test_invalid_yaml_and_incomplete_documents_are_findings(tmp_path: Path) -> None:
    write(tmp_path, base({
        "argocd/web.yaml": app("web", "web", "web", options=["CreateNamespace=true"]),
        "web/broken.yaml": "a: [1\nb: 2\n",
        "web/nokind.yaml": "apiVersion: v1\nmetadata:\n  name: x\n",
        "web/noname.yaml": "# leading comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
        "web/scalar.yaml": "just text\n",
    }))  # fmt: skip
    report = validate_path(tmp_path)
    found = {(f.file, f.line, f.rule) for f in report.findings if f.severity is Severity.ERROR}
    assert ("web/broken.yaml", 2, "yaml-invalid") in found
    assert ("web/nokind.yaml", 1, "document-incomplete") in found
    assert ("web/noname.yaml", 3, "document-incomplete") in found
    assert ("web/scalar.yaml", 1, "document-incomplete") in found


def test_namespace_comes_from_the_application(tmp_path: Path) -> None:
    write(tmp_path, base({
        "argocd/web.yaml": app("web", "web", "shop", options=["CreateNamespace=true"]),
        "web/cm.yaml": obj("ConfigMap", "cfg", data={"a": "b"}),
        "web/nested/cm.yaml": obj("ConfigMap", "other", data={"a": "b"}),
    }))  # fmt: skip
    tree = load_tree(tmp_path)
    by_file = {d.file: d for d in tree.documents}
    assert by_file["web/cm.yaml"].namespace == "shop"
    assert by_file["web/cm.yaml"].app is not None and by_file["web/cm.yaml"].app.name == "web"
    assert by_file["web/nested/cm.yaml"].app is None  # directory.recurse is off


def test_repo_path_prefix_is_honoured(tmp_path: Path) -> None:
    meta = metadata()
    meta["gitops"]["path"] = "clusters/prod"  # type: ignore[index]
    write(tmp_path, {
        "gigrouter-metadata.yaml": meta,
        "argocd/apps.yaml": app("platform", "clusters/prod/argocd", "argocd"),
        "argocd/web.yaml": app("web", "clusters/prod/web", "shop", options=["CreateNamespace=true"]),
        "web/cm.yaml": obj("ConfigMap", "cfg", data={"a": "b"}),
    })  # fmt: skip
    tree = load_tree(tmp_path)
    assert {d.file: d.namespace for d in tree.documents}["web/cm.yaml"] == "shop"
    assert validate_path(tmp_path).errors == 0


def waived(annotation: str | None) -> dict[str, object]:
    secret = obj("Secret", "s", "web", data={"password": "aGVsbG8="})
    if annotation is not None:
        secret["metadata"]["annotations"] = {"ignore-check.gigrouter.io/secret-in-git": annotation}
    return base(
        {
            "argocd/web.yaml": app("web", "web", "web", options=["CreateNamespace=true"]),
            "web/s.yaml": secret,
        }
    )


def test_waiver_with_a_reason_turns_the_finding_into_info(tmp_path: Path) -> None:
    write(tmp_path, waived("sealed by the release job, not a real credential"))
    report = validate_path(tmp_path)
    (finding,) = [f for f in report.findings if f.rule == "secret-in-git"]
    assert finding.severity is Severity.INFO
    assert finding.waived_because == "sealed by the release job, not a real credential"
    assert report.clean()


@pytest.mark.parametrize("reason", ["", "   "])
def test_waiver_without_a_reason_does_not_count(tmp_path: Path, reason: str) -> None:
    write(tmp_path, waived(reason))
    report = validate_path(tmp_path)
    rules = sorted((f.rule, f.severity.value) for f in report.findings)
    assert ("secret-in-git", "error") in rules
    assert ("waiver-without-reason", "warning") in rules


def test_environment_trees_are_separate_repos(tmp_path: Path) -> None:
    tree = {
        "argocd/web.yaml": app("web", "web", "web", options=["CreateNamespace=true"]),
        "web/cm.yaml": obj("ConfigMap", "cfg", "web", data={"a": "b"}),
    }
    staging = {
        **tree,
        "argocd/web.yaml": app("web", "web", "web", options=["CreateNamespace=true"]),
    }
    staging["argocd/web.yaml"]["spec"]["destination"] = {"name": "staging", "namespace": "web"}
    # Its own Argo CD instance, deploying to its own cluster.
    staging["gigrouter-metadata.yaml"] = metadata()
    staging["gigrouter-metadata.yaml"]["argocd"]["instance"] = "staging"
    write(tmp_path, base(tree))
    write(tmp_path / "environments" / "staging", base(staging))
    report = validate_path(tmp_path)
    assert report.errors == 0  # the same names in two trees (on two clusters) are no duplicates
    assert report.files == 8
    # On the base's cluster the same objects would be owned twice: that is no duplicate either.
    write(tmp_path / "environments" / "staging", base(tree))
    clash = validate_path(tmp_path)
    assert {f.rule for f in clash.findings if f.severity is Severity.ERROR} == {
        "object-owned-twice"
    }
    write(tmp_path / "environments" / "staging", {"web/bad.yaml": "a: [\n"})
    report = validate_path(tmp_path)
    assert [f.file for f in report.findings if f.rule == "yaml-invalid"] == [
        "environments/staging/web/bad.yaml"
    ]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        validate_path(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError):
        validate_path(tmp_path / "file")


def test_external_flag_satisfies_references(tmp_path: Path) -> None:
    pod = {"containers": [{"name": "c", "image": "app:1"}], "serviceAccountName": "robot"}
    deploy = obj(
        "Deployment",
        "d",
        "web",
        "apps/v1",
        spec={
            "selector": {"matchLabels": {"a": "b"}},
            "template": {"metadata": {"labels": {"a": "b"}}, "spec": pod},
        },
    )
    write(
        tmp_path,
        base(
            {
                "argocd/web.yaml": app("web", "web", "web", options=["CreateNamespace=true"]),
                "web/d.yaml": deploy,
            }
        ),
    )
    assert "service-account-ref" in {f.rule for f in validate_path(tmp_path).findings}
    from gigrouter.validate.context import External

    options = Options(externals=(External("ServiceAccount", "web", "robot"),))
    assert "service-account-ref" not in {f.rule for f in validate_path(tmp_path, options).findings}


def test_every_rule_has_a_description() -> None:
    rules = all_rules()
    assert len(rules) >= 30
    assert all(text.endswith(".") for text in rules.values())


def test_the_rendered_platform_is_clean() -> None:
    out = Path(__file__).resolve().parents[2] / "out"
    report = validate_path(out)
    assert [(f.file, f.rule, f.severity.value) for f in report.findings] == [
        ("argocd/prometheus-crds.yaml", "replace-with-ssa", "info"),
        ("environments/staging/argocd/prometheus-crds.yaml", "replace-with-ssa", "info"),
    ]
    assert report.clean()
    objects = [
        doc
        for file in out.rglob("*.yaml")
        for doc in yaml.safe_load_all(file.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "kind" in doc
    ]
    assert report.resources == len(objects)  # every Kubernetes object of out/, base and staging


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("a: 1\n", [1]),
        ("# c\n\na: 1\n---\n# c\nb: 2\n", [3, 6]),
        ("---\na: 1\n---\n---\nb: 2\n...\n", [2, 5]),
        ("--- {a: 1}\n--- {b: 2}\n", [1, 2]),
        ("--- # comment\na: 1\n", [2]),
    ],
)
def test_document_start_lines(text: str, lines: list[int]) -> None:
    from gigrouter.validate.tree import _documents_with_lines

    assert _documents_with_lines(text) == lines


@pytest.mark.parametrize("tree", ["out", "tests/fixtures/seed"])
def test_memory_and_disk_give_the_same_report(tree: str) -> None:
    from gigrouter.validate.runner import validate_memory
    from gigrouter.validate.tree import MemoryFiles

    root = Path(__file__).resolve().parents[2] / tree
    texts = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}
    on_disk = validate_path(root)
    in_memory = validate_memory(MemoryFiles(texts))
    assert in_memory.findings == on_disk.findings
    assert in_memory.summary() == on_disk.summary()

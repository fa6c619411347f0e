"""Hostile ``--crd`` files: each malformed CRD is a one-line usage error naming the file (exit 2),
never a traceback; schema patterns run on RE2, so a backtracking pattern cannot hang validate."""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from gigrouter.errors import ConfigError
from gigrouter.validate import patterns
from gigrouter.validate.context import Options
from gigrouter.validate.crd import load_crds
from gigrouter.validate.runner import validate_path

from .test_tree import billion_laughs
from .trees import TIME_BOUND, assert_clean_failure, gigrouter, make_tree

GOOD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.io"},
    "spec": {
        "group": "example.io",
        "scope": "Namespaced",
        "names": {"kind": "Widget", "plural": "widgets"},
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
                                "properties": {"code": {"type": "string", "pattern": "^(a+)+$"}},
                            }
                        },
                    }
                },
            }
        ],
    },
}


def broken(path: str, value: Any) -> str:
    """GOOD with the value at a dotted ``path`` (``versions.0`` indexes a list) replaced."""
    crd = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node: Any = crd
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return yaml.safe_dump(crd)


SCHEMA = "spec.versions.0.schema.openAPIV3Schema"
CODE = f"{SCHEMA}.properties.spec.properties.code"

CASES: dict[str, tuple[str | bytes, str]] = {
    "not-a-mapping": ("- just\n- a list\n", "document 1 is not a mapping"),
    "spec-missing": (broken("spec", None), "has no spec.group or spec.names.kind"),
    "names-not-a-mapping": (broken("spec.names", 5), "has no spec.group or spec.names.kind"),
    "metadata-a-list": (
        broken("metadata", [1]).replace("group: example.io", "group: ''"),
        "has no spec.group",
    ),
    "versions-not-a-list": (broken("spec.versions", 5), "spec.versions: "),
    "versions-a-mapping": (broken("spec.versions", {"name": "v1"}), "must be a list"),
    "version-not-a-mapping": (broken("spec.versions.0", "v1"), "spec.versions[0]: "),
    "version-without-name": (broken("spec.versions.0.name", 7), "must be a non-empty string"),
    "schema-not-a-mapping": (broken("spec.versions.0.schema", "text"), "must be a mapping"),
    "openapi-not-a-mapping": (broken(SCHEMA, [1, 2]), "a schema must be a mapping"),
    "type-a-number": (broken(f"{SCHEMA}.type", 5), ".type: "),
    "type-unknown": (broken(f"{SCHEMA}.type", "null"), "must be one of"),
    "properties-not-schemas": (broken(f"{SCHEMA}.properties", {"spec": 5}), "properties.spec: "),
    "properties-a-list": (
        broken(f"{SCHEMA}.properties", ["spec"]),
        "openAPIV3Schema.properties: ",
    ),
    "ref": (
        broken(f"{SCHEMA}.properties.spec", {"$ref": "#/definitions/x"}),
        "$ref is not allowed",
    ),
    "pattern-not-a-regex": (broken(f"{CODE}.pattern", "(unclosed"), "RE2"),
    "pattern-lookahead": (broken(f"{CODE}.pattern", "^(?=a)a$"), "RE2"),
    "pattern-a-number": (broken(f"{CODE}.pattern", 5), "must be a string"),
    "enum-not-a-list": (broken(f"{CODE}.enum", "a"), "code.enum: "),
    "required-not-a-list": (broken(f"{SCHEMA}.required", 5), "must be a list of field names"),
    "min-length-a-string": (broken(f"{CODE}.minLength", "3"), "must be a non-negative integer"),
    "items-a-list": (broken(f"{SCHEMA}.properties.spec.items", [{"type": "string"}]), "items: "),
    "all-of-not-a-list": (
        broken(f"{SCHEMA}.allOf", {"type": "object"}),
        "must be a list of schemas",
    ),
    "preserve-unknown-a-string": (
        broken(f"{SCHEMA}.x-kubernetes-preserve-unknown-fields", "yes"),
        "must be true or false",
    ),
    "list-type-unknown": (broken(f"{SCHEMA}.x-kubernetes-list-type", 5), "must be one of atomic"),
    "validations-not-a-list": (
        broken(f"{SCHEMA}.x-kubernetes-validations", "self > 0"),
        "list of rules",
    ),
    "not-utf8": (b"apiVersion: apiextensions.k8s.io/v1\nkind: caf\xe9\n", "not UTF-8"),
    "not-yaml": ("kind: [unclosed\n", "not valid YAML"),
    "billion-laughs": (billion_laughs(), "expands to more than"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_malformed_crd_is_an_error_naming_the_file(tmp_path: Path, case: str) -> None:
    content, words = CASES[case]
    file = tmp_path / f"{case}.yaml"
    if isinstance(content, bytes):
        file.write_bytes(content)
    else:
        file.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_crds(file)
    text = str(raised.value)
    assert str(file) in text and words in text, text


def test_the_good_crd_loads(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(yaml.safe_dump(GOOD))
    assert sorted(load_crds(tmp_path)) == [("example.io/v1", "Widget")]


def test_a_directory_of_garbage_names_the_file(tmp_path: Path) -> None:
    crds = tmp_path / "crds"
    (crds / "nested").mkdir(parents=True)
    (crds / "README").write_bytes(bytes(range(256)))  # not YAML by name: ignored
    (crds / "nested" / "junk.yaml").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ConfigError, match=r"junk\.yaml.*cannot read CRD file: not UTF-8"):
        load_crds(crds)


def test_a_link_out_of_a_crd_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.yaml").write_text(yaml.safe_dump(GOOD))
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "link.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    with pytest.raises(ConfigError, match=r"link\.yaml.*symlink out of the CRD directory"):
        load_crds(crds)


@pytest.mark.parametrize("case", ["versions-not-a-list", "pattern-lookahead", "not-utf8"])
def test_the_installed_command_gives_a_usage_error(tmp_path: Path, case: str) -> None:
    content, words = CASES[case]
    crd = tmp_path / "crd.yaml"
    if isinstance(content, bytes):
        crd.write_bytes(content)
    else:
        crd.write_text(content, encoding="utf-8")
    tree = make_tree(tmp_path / "tree")
    run = gigrouter("validate", tree, "--crd", crd)
    assert_clean_failure(run, 2, str(crd), words)


EVIL = "a" * 40 + "!"  # exponential for a backtracking engine against ^(a+)+$


def widget_tree(root: Path) -> Path:
    widget = {
        "apiVersion": "example.io/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "default"},
        "spec": {"code": EVIL},
    }
    return make_tree(root, {"widget.yaml": yaml.safe_dump(widget)})


def test_a_backtracking_pattern_runs_in_linear_time(tmp_path: Path) -> None:
    crd = tmp_path / "crd.yaml"
    crd.write_text(yaml.safe_dump(GOOD))
    tree = widget_tree(tmp_path / "tree")
    started = time.monotonic()
    report = validate_path(tree, Options(crd_files=(str(crd),)))
    assert time.monotonic() - started < TIME_BOUND
    (finding,) = report.findings
    assert finding.rule == "custom-schema"
    assert finding.message == f'spec.code: "{EVIL}" does not match the pattern ^(a+)+$'
    run = gigrouter("validate", tree, "--crd", crd)
    assert_clean_failure(run, 1, "custom-schema", "does not match the pattern")


def test_without_re2_patterns_are_a_usage_error_not_a_backtracking_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "re2", None)  # import re2 raises ImportError
    patterns._re2.cache_clear()
    try:
        with pytest.raises(patterns.MissingRe2Error, match="google-re2"):
            patterns.compile_trusted("^only-in-this-test$")
    finally:
        patterns._re2.cache_clear()

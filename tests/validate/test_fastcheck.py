"""The fast yes/no schema check gives jsonschema's verdict, document for document."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gigrouter.validate import schema as schema_module
from gigrouter.validate.fastcheck import Compiler, Unsupported
from gigrouter.validate.schema import KubernetesSchemas

REPO = Path(__file__).resolve().parents[2]


def builtin_documents() -> list[dict[str, Any]]:
    k8s = KubernetesSchemas("1.30")
    docs = []
    for path in sorted((REPO / "out").rglob("*.yaml")) + sorted(
        (REPO / "tests/fixtures/seed").rglob("*.yaml")
    ):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and k8s.has_schema(
                str(doc.get("apiVersion")), str(doc.get("kind"))
            ):
                docs.append(doc)
    return docs


def edits(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str, Any]]:
    """Single-field edits: delete, wrong types, null, an unknown sibling field."""
    if isinstance(doc, dict):
        yield path, "unknown", None
        for key, value in doc.items():
            yield (*path, key), "delete", None
            for bad in (None, 7, "x", True, [], {}):
                if type(bad) is not type(value):
                    yield (*path, key), "set", bad
            yield from edits(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield (*path, i), "set", {"bogus": 1}
            yield from edits(value, (*path, i))


def apply(doc: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    out = copy.deepcopy(doc)
    node = out
    for part in path[:-1] if action != "unknown" else path:
        node = node[part]
    if action == "unknown":
        node["zzUnknownField"] = 1
    elif action == "delete":
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def verdicts(k8s: KubernetesSchemas, doc: dict[str, Any]) -> tuple[bool, bool]:
    filename = k8s.schema_file(doc["apiVersion"], doc["kind"])
    assert filename is not None
    fast = schema_module._fast_check(k8s._dir, filename, lazy=False)
    assert fast is not None, "every built-in kind compiles"
    slow = schema_module._validator(k8s._dir, filename)
    return fast(doc), not any(True for _ in slow.iter_errors(doc))


def test_same_verdict_on_every_single_field_edit() -> None:
    k8s = KubernetesSchemas("1.30")
    docs = builtin_documents()
    assert len(docs) >= 40
    checked = invalid = 0
    for doc in docs:
        assert verdicts(k8s, doc) == (True, True)
        for path, action, value in edits(doc):
            if path[:1] in (("apiVersion",), ("kind",)):
                continue  # these select the schema
            edited = apply(doc, path, action, value)
            fast, slow = verdicts(k8s, edited)
            assert fast == slow, (doc["kind"], path, action, value)
            checked += 1
            invalid += not slow
    assert checked > 5000 and invalid > checked // 3


def test_lazy_checks_agree_with_eager_ones() -> None:
    k8s = KubernetesSchemas("1.30")
    for doc in builtin_documents():
        filename = k8s.schema_file(doc["apiVersion"], doc["kind"])
        assert filename is not None
        lazy = schema_module._fast_check(k8s._dir, filename)
        eager = schema_module._fast_check(k8s._dir, filename, lazy=False)
        assert lazy is not None and eager is not None
        for path, action, value in list(edits(doc))[:200]:
            if path[:1] in (("apiVersion",), ("kind",)):
                continue
            edited = apply(doc, path, action, value)
            assert lazy(edited) == eager(edited)


def test_keywords_it_does_not_know_are_refused() -> None:
    with pytest.raises(Unsupported):
        Compiler(lambda ref, base: ({}, base)).compile({"type": "object", "dependentSchemas": {}})
    lazy = Compiler(lambda ref, base: ({}, base)).compile(
        {"properties": {"a": {"dependentSchemas": {}}}}
    )
    assert lazy({"b": 1})  # never compiled: not present
    with pytest.raises(Unsupported):
        lazy({"a": 1})
    check = Compiler(lambda ref, base: ({"type": "integer"}, base)).compile(
        {"properties": {"n": {"$ref": "#/$defs/n"}}, "required": ["n"]}
    )
    assert check({"n": 1}) and check({"n": 2.0}) and not check({"n": True}) and not check({})


def test_custom_kinds_same_verdict_on_every_single_field_edit() -> None:
    from gigrouter.validate import custom_kinds

    docs = []
    for path in sorted((REPO / "out").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and custom_kinds.schema_file(
                str(doc.get("apiVersion")), str(doc.get("kind"))
            ):
                docs.append(doc)
    assert {d["kind"] for d in docs} == {"Application", "SecretStore", "ExternalSecret"}
    checked = 0
    for doc in docs:
        name = custom_kinds.schema_file(doc["apiVersion"], doc["kind"])
        assert name is not None
        fast = custom_kinds._fast_check(name, lazy=False)
        assert fast is not None
        slow = custom_kinds._validator(name)
        for path, action, value in [((), "none", None), *edits(doc)]:
            if path[:1] in (("apiVersion",), ("kind",)):
                continue
            edited = doc if action == "none" else apply(doc, path, action, value)
            assert fast(edited) == (not any(True for _ in slow.iter_errors(edited))), (
                doc["kind"],
                path,
                action,
            )
            checked += 1
    assert checked > 2000

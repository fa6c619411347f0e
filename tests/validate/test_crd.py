"""CRD schemas turned into JSON Schema validators (gigrouter.validate.crd)."""

from __future__ import annotations

import gc
import textwrap
import weakref
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from support.shared import require_dir, upstream_crds_dir

from gigrouter.errors import ConfigError
from gigrouter.validate import crd
from gigrouter.validate.base import SchemaError
from gigrouter.validate.crd import CrdSchemas, collect_errors, crd_to_jsonschema, load_crds

UPSTREAM_CRDS = upstream_crds_dir()


def check(openapi: dict[str, Any], instance: object, *, strict: bool = True) -> list[SchemaError]:
    return collect_errors(Draft202012Validator(crd_to_jsonschema(openapi, strict=strict)), instance)


def spec_schema(**spec: Any) -> dict[str, Any]:
    """A CRD root whose ``spec`` is the given object schema."""
    return {"type": "object", "properties": {"spec": {"type": "object", **spec}}}


def walk_keys(node: object) -> set[str]:
    keys: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in ("properties",):
                keys.add(key)
            keys |= walk_keys(value)
    elif isinstance(node, list):
        for value in node:
            keys |= walk_keys(value)
    return keys


# --- nullable ----------------------------------------------------------------------------------


NULLABLE = spec_schema(
    properties={
        "plain": {"type": "string"},
        "maybe": {"type": "string", "nullable": True},
        "mode": {"type": "string", "enum": ["A", "B"], "nullable": True},
        "box": {"type": "object", "nullable": True, "properties": {"x": {"type": "integer"}}},
    }
)


def test_nullable_fields_accept_null() -> None:
    assert check(NULLABLE, {"spec": {"maybe": None, "mode": None, "box": None}}) == []


def test_non_nullable_field_rejects_null() -> None:
    assert check(NULLABLE, {"spec": {"plain": None}}) == [
        SchemaError("spec.plain", "expected string, got null (an empty value)")
    ]


def test_nullable_enum_still_checks_values() -> None:
    assert check(NULLABLE, {"spec": {"mode": "B"}}) == []
    [error] = check(NULLABLE, {"spec": {"mode": "C"}})
    assert error.path == "spec.mode"
    assert '"A", "B"' in error.message


# --- x-kubernetes-int-or-string ----------------------------------------------------------------

INT_OR_STRING = spec_schema(
    properties={
        "port": {
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "x-kubernetes-int-or-string": True,
        }
    }
)


@pytest.mark.parametrize("value", [8080, "http", "50%"])
def test_int_or_string_accepts_both(value: object) -> None:
    assert check(INT_OR_STRING, {"spec": {"port": value}}) == []


@pytest.mark.parametrize("value", [True, 1.5, None, [], {}])
def test_int_or_string_rejects_other_types(value: object) -> None:
    [error] = check(INT_OR_STRING, {"spec": {"port": value}})
    assert error.path == "spec.port"
    assert error.message.startswith("expected integer or string, got ")


def test_int_or_string_becomes_a_type_list() -> None:
    port = crd_to_jsonschema(INT_OR_STRING)["properties"]["spec"]["properties"]["port"]
    assert port == {"type": ["integer", "string"]}


# --- x-kubernetes-preserve-unknown-fields ------------------------------------------------------

PRESERVE = spec_schema(
    properties={
        "values": {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
            "properties": {
                "replicas": {"type": "integer"},
                "nested": {"type": "object", "properties": {"a": {"type": "string"}}},
            },
        },
        "anything": {"x-kubernetes-preserve-unknown-fields": True},
    }
)


def test_preserve_unknown_fields_allows_unknown_fields_at_that_level() -> None:
    doc = {"spec": {"values": {"replicas": 2, "whatever": {"deep": [1, 2]}}}}
    assert check(PRESERVE, doc) == []


def test_preserve_unknown_fields_still_checks_declared_fields() -> None:
    assert check(PRESERVE, {"spec": {"values": {"replicas": "two"}}}) == [
        SchemaError("spec.values.replicas", 'expected integer, got string "two"')
    ]


def test_preserve_unknown_fields_does_not_open_declared_children() -> None:
    assert check(PRESERVE, {"spec": {"values": {"nested": {"a": "x", "b": "y"}}}}) == [
        SchemaError("spec.values.nested.b", 'unknown field "b"')
    ]


@pytest.mark.parametrize("value", ["text", 3, [1], {"k": "v"}, None])
def test_preserve_unknown_fields_without_type_accepts_any_value(value: object) -> None:
    assert check(PRESERVE, {"spec": {"anything": value}}) == []


# --- x-kubernetes-embedded-resource ------------------------------------------------------------

EMBEDDED = spec_schema(
    properties={
        "raw": {
            "type": "object",
            "x-kubernetes-embedded-resource": True,
            "x-kubernetes-preserve-unknown-fields": True,
        },
        "typed": {
            "type": "object",
            "x-kubernetes-embedded-resource": True,
            "properties": {"spec": {"type": "object", "properties": {"n": {"type": "integer"}}}},
        },
    }
)


def test_embedded_resource_needs_api_version_and_kind() -> None:
    assert check(EMBEDDED, {"spec": {"raw": {"data": {"k": "v"}}}}) == [
        SchemaError("spec.raw.apiVersion", 'missing required field "apiVersion"'),
        SchemaError("spec.raw.kind", 'missing required field "kind"'),
    ]


def test_embedded_resource_checks_kind_and_metadata() -> None:
    doc = {"spec": {"raw": {"apiVersion": "v1", "kind": "", "metadata": {"labels": {"a": 1}}}}}
    assert check(EMBEDDED, doc) == [
        SchemaError("spec.raw.kind", "must not be empty"),
        SchemaError("spec.raw.metadata.labels.a", "expected string, got integer 1"),
    ]


def test_embedded_resource_with_preserve_keeps_unknown_fields() -> None:
    doc = {"spec": {"raw": {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}}}}
    assert check(EMBEDDED, doc) == []


def test_strict_embedded_resource_allows_only_declared_and_resource_fields() -> None:
    ok = {"apiVersion": "v1", "kind": "Thing", "metadata": {"name": "a"}, "spec": {"n": 1}}
    assert check(EMBEDDED, {"spec": {"typed": ok}}) == []
    assert check(EMBEDDED, {"spec": {"typed": {**ok, "data": {}}}}) == [
        SchemaError("spec.typed.data", 'unknown field "data"')
    ]


# --- strictness --------------------------------------------------------------------------------

STRICTNESS = spec_schema(
    properties={
        "name": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "empty": {"type": "object"},
        "either": {
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
            "anyOf": [{"required": ["a"]}, {"required": ["b"]}],
        },
    }
)


def test_strict_mode_rejects_unknown_fields_with_a_suggestion() -> None:
    assert check(STRICTNESS, {"spec": {"nme": "x"}}) == [
        SchemaError("spec.nme", 'unknown field "nme"; did you mean "name"?')
    ]


def test_non_strict_mode_allows_unknown_fields() -> None:
    assert (
        check(STRICTNESS, {"spec": {"nme": "x", "empty": {"k": 1}}, "extra": 1}, strict=False) == []
    )


def test_strict_mode_leaves_maps_open() -> None:
    assert check(STRICTNESS, {"spec": {"labels": {"any-key": "v", "other": "w"}}}) == []


def test_strict_object_without_properties_keeps_nothing() -> None:
    assert check(STRICTNESS, {"spec": {"empty": {}}}) == []
    assert check(STRICTNESS, {"spec": {"empty": {"k": 1}}}) == [
        SchemaError("spec.empty.k", 'unknown field "k"')
    ]


def test_value_branches_are_not_closed() -> None:
    schema = crd_to_jsonschema(STRICTNESS)
    either = schema["properties"]["spec"]["properties"]["either"]
    assert either["additionalProperties"] is False
    assert all("additionalProperties" not in branch for branch in either["anyOf"])
    assert check(STRICTNESS, {"spec": {"either": {"b": "x"}}}) == []
    [error] = check(STRICTNESS, {"spec": {"either": {}}})
    assert error.path == "spec.either"
    assert error.message.startswith("matches none of the allowed forms")


def test_root_always_allows_api_version_kind_and_metadata() -> None:
    doc = {"apiVersion": "x.io/v1", "kind": "X", "metadata": {"name": "a", "labels": {"k": "v"}}}
    assert check(STRICTNESS, doc) == []


def test_root_metadata_is_object_meta() -> None:
    doc = {"metadata": {"name": "a", "label": {"k": "v"}, "finalizers": "f"}}
    assert check(STRICTNESS, doc) == [
        SchemaError("metadata.finalizers", 'expected array, got string "f"'),
        SchemaError("metadata.label", 'unknown field "label"; did you mean "labels"?'),
    ]
    assert check(STRICTNESS, {"metadata": {"name": "a", "label": {}}}, strict=False) == []


def test_root_metadata_keeps_rules_the_crd_declares() -> None:
    openapi = {
        "type": "object",
        "properties": {
            "metadata": {
                "type": "object",
                "properties": {"name": {"type": "string", "maxLength": 5}},
            }
        },
    }
    assert check(openapi, {"metadata": {"name": "short", "namespace": "n"}}) == []
    assert check(openapi, {"metadata": {"name": "too-long"}}) == [
        SchemaError("metadata.name", "is 8 characters long; at most 5 allowed")
    ]


# --- other conversions -------------------------------------------------------------------------


def test_required_field_with_a_default_is_not_required() -> None:
    openapi = spec_schema(
        required=["mountPath", "role"],
        properties={
            "mountPath": {"type": "string", "default": "kubernetes"},
            "role": {"type": "string"},
        },
    )
    assert check(openapi, {"spec": {}}) == [
        SchemaError("spec.role", 'missing required field "role"')
    ]


def test_openapi_boolean_exclusive_bounds_become_numbers() -> None:
    openapi = spec_schema(
        properties={"ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": True}}
    )
    ratio = crd_to_jsonschema(openapi)["properties"]["spec"]["properties"]["ratio"]
    assert ratio == {"type": "number", "exclusiveMinimum": 0}
    assert check(openapi, {"spec": {"ratio": 0.5}}) == []
    assert check(openapi, {"spec": {"ratio": 0}}) == [
        SchemaError("spec.ratio", "must be greater than 0, got 0")
    ]


def test_list_type_set_rejects_duplicates() -> None:
    openapi = spec_schema(
        properties={
            "protocols": {
                "type": "array",
                "x-kubernetes-list-type": "set",
                "items": {"type": "string"},
            }
        }
    )
    assert check(openapi, {"spec": {"protocols": ["a", "b"]}}) == []
    assert check(openapi, {"spec": {"protocols": ["a", "a"]}}) == [
        SchemaError("spec.protocols", "must not contain duplicate items")
    ]


def test_openapi_only_keywords_are_dropped_and_output_is_valid_json_schema() -> None:
    openapi = spec_schema(
        description="the spec",
        properties={
            "when": {"type": "string", "format": "date-time", "nullable": True, "default": None},
            "mode": {"type": "string", "x-kubernetes-validations": [{"rule": "self != ''"}]},
            "sel": {"type": "object", "x-kubernetes-map-type": "atomic", "example": {}},
        },
    )
    schema = crd_to_jsonschema(openapi)
    Draft202012Validator.check_schema(schema)
    keys = walk_keys(schema)
    assert not {k for k in keys if k.startswith("x-")}
    assert not keys & {"nullable", "description", "default", "format", "example"}
    assert schema["$schema"] == crd.DIALECT


def test_wrong_type_hides_other_complaints_about_the_same_value() -> None:
    openapi = spec_schema(properties={"mode": {"type": "string", "enum": ["On", "Off"]}})
    assert check(openapi, {"spec": {"mode": 1}}) == [
        SchemaError("spec.mode", "expected string, got integer 1")
    ]


def test_enum_error_lists_values_and_suggests_the_case_fix() -> None:
    openapi = spec_schema(properties={"mode": {"type": "string", "enum": ["On", "Off"]}})
    assert check(openapi, {"spec": {"mode": "on"}}) == [
        SchemaError(
            "spec.mode", '"on" is not an allowed value; use one of: "On", "Off"; did you mean "On"?'
        )
    ]


def test_max_properties_names_the_fields_set() -> None:
    openapi = spec_schema(
        properties={
            "provider": {
                "type": "object",
                "maxProperties": 1,
                "properties": {"a": {"type": "object"}, "b": {"type": "object"}},
            }
        }
    )
    assert check(openapi, {"spec": {"provider": {"a": {}, "b": {}}}}) == [
        SchemaError("spec.provider", "sets 2 fields (a, b); at most 1 allowed")
    ]


# --- load_crds ---------------------------------------------------------------------------------


def crd_yaml(kind: str, group: str = "example.io", versions: str = "") -> str:
    versions = versions or textwrap.dedent(
        """\
        - name: v1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              properties:
                spec:
                  type: object
                  required: [size]
                  properties:
                    size: {type: integer}
        """
    )
    return textwrap.dedent(
        f"""\
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: {kind.lower()}s.{group}
            spec:
              group: {group}
              names: {{kind: {kind}, plural: {kind.lower()}s}}
              scope: Namespaced
              versions:
            """
    ) + textwrap.indent(versions, "  ")


TWO_VERSIONS = textwrap.dedent(
    """\
    - name: v1alpha1
      served: false
      storage: false
      schema: {openAPIV3Schema: {type: object}}
    - name: v1beta1
      served: true
      storage: false
      schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object}}}}
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object}}}}
    """
)


def test_load_crds_reads_every_served_version_and_skips_other_documents(tmp_path: Path) -> None:
    file = tmp_path / "crds.yaml"
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
    file.write_text(
        "---\n" + config_map + "---\n" + crd_yaml("Widget", versions=TWO_VERSIONS) + "---\n"
    )
    schemas = load_crds(file)
    assert sorted(schemas) == [("example.io/v1", "Widget"), ("example.io/v1beta1", "Widget")]
    assert schemas[("example.io/v1", "Widget")]["$schema"] == crd.DIALECT


def test_load_crds_reads_a_directory_recursively(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(crd_yaml("Widget"))
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "b.yml").write_text(crd_yaml("Gadget", group="other.io"))
    (tmp_path / "README.md").write_text("not yaml: [")
    schemas = load_crds(tmp_path)
    assert sorted(schemas) == [("example.io/v1", "Widget"), ("other.io/v1", "Gadget")]


def test_load_crds_understands_the_v1beta1_layout(tmp_path: Path) -> None:
    old = {
        "apiVersion": "apiextensions.k8s.io/v1beta1",
        "kind": "CustomResourceDefinition",
        "spec": {
            "group": "old.io",
            "version": "v1",
            "names": {"kind": "Old"},
            "preserveUnknownFields": True,
            "validation": {
                "openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object"}}}
            },
        },
    }
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(old))
    schemas = CrdSchemas(load_crds(tmp_path))
    assert schemas.validate({"apiVersion": "old.io/v1", "kind": "Old", "spec": {"x": 1}}) == []


def test_load_crds_reports_bad_yaml_with_its_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("kind: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml"):
        load_crds(tmp_path)


def test_load_crds_rejects_a_crd_without_group(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(crd_yaml("Widget").replace("group: example.io", "group: ''"))
    with pytest.raises(ConfigError, match=r"no spec\.group"):
        load_crds(tmp_path)


def test_load_crds_on_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_crds(tmp_path / "nope")


# --- CrdSchemas --------------------------------------------------------------------------------


@pytest.fixture
def widgets(tmp_path: Path) -> CrdSchemas:
    versions = textwrap.dedent(
        """\
        - name: v1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              required: [spec]
              properties:
                spec:
                  type: object
                  required: [size, mode]
                  properties:
                    size: {type: integer, minimum: 1}
                    mode: {type: string, enum: [Fast, Slow]}
                    items:
                      type: array
                      items:
                        type: object
                        required: [name]
                        properties:
                          name: {type: string}
        """
    )
    (tmp_path / "w.yaml").write_text(crd_yaml("Widget", versions=versions))
    return CrdSchemas(load_crds(tmp_path))


def widget(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.io/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": spec,
    }


def test_valid_document_has_no_errors(widgets: CrdSchemas) -> None:
    assert widgets.validate(widget(size=2, mode="Fast", items=[{"name": "a"}])) == []


def test_all_errors_are_reported_at_once_and_sorted(widgets: CrdSchemas) -> None:
    items: list[dict[str, Any]] = [{"name": str(i)} for i in range(11)]
    items[2] = {}
    items[10] = {"nmae": "x"}
    doc = widget(size=0, mode="fast", items=items, colour="red")
    assert widgets.validate(doc) == [
        SchemaError("spec.colour", 'unknown field "colour"'),
        SchemaError("spec.items[2].name", 'missing required field "name"'),
        SchemaError("spec.items[10].name", 'missing required field "name"'),
        SchemaError("spec.items[10].nmae", 'unknown field "nmae"; did you mean "name"?'),
        SchemaError(
            "spec.mode",
            '"fast" is not an allowed value; use one of: "Fast", "Slow"; did you mean "Fast"?',
        ),
        SchemaError("spec.size", "must be at least 1, got 0"),
    ]


def test_missing_required_fields_are_each_named(widgets: CrdSchemas) -> None:
    assert widgets.validate(widget()) == [
        SchemaError("spec.mode", 'missing required field "mode"'),
        SchemaError("spec.size", 'missing required field "size"'),
    ]


def test_has_schema_and_known_kinds(widgets: CrdSchemas) -> None:
    assert widgets.has_schema("example.io/v1", "Widget")
    assert not widgets.has_schema("example.io/v2", "Widget")
    assert widgets.known_kinds() == [("example.io/v1", "Widget")]


def test_unknown_kind_raises_key_error(widgets: CrdSchemas) -> None:
    with pytest.raises(KeyError, match=r"example\.io/v2 Widget"):
        widgets.validate({"apiVersion": "example.io/v2", "kind": "Widget"})


def test_a_validator_is_compiled_on_first_use_and_kept() -> None:
    # Observed from outside: the live jsonschema validators of this schema (gc sees every
    # object; none is held here). Compiling per call would leave none alive after a call;
    # compiling again would free the first one.
    key = ("example.io/v1", "Widget")
    schema = crd_to_jsonschema(
        {"type": "object", "properties": {"spec": {"properties": {"size": {"type": "integer"}}}}}
    )
    schemas = CrdSchemas({key: schema})

    def live() -> list[Draft202012Validator]:
        gc.collect()
        return [
            o
            for o in gc.get_objects()
            if isinstance(o, Draft202012Validator) and o.schema is schema
        ]

    assert live() == []  # nothing compiled before it is needed
    assert schemas.validate(widget(size=1)) == []
    (first,) = live()
    kept = weakref.ref(first)
    del first
    assert schemas.validate(widget(size="three")) == [
        SchemaError("spec.size", 'expected integer, got string "three"')
    ]
    for size in (2, 3):
        assert schemas.validate(widget(size=size)) == []
    assert kept() is not None
    assert live() == [kept()]


def test_add_replaces_a_schema_and_its_validator(widgets: CrdSchemas) -> None:
    doc = widget(size=1, mode="Slow")
    assert widgets.validate(doc) == []
    widgets.add({("example.io/v1", "Widget"): crd_to_jsonschema({"type": "object"})})
    assert widgets.validate(doc) == [SchemaError("spec", 'unknown field "spec"')]


# --- the real upstream CRDs (test oracles; skipped when they are not beside the repo) ----------


def test_upstream_crds_load() -> None:
    schemas = load_crds(require_dir(UPSTREAM_CRDS, "upstream CRD directory"))
    assert sorted(schemas) == [
        ("argoproj.io/v1alpha1", "AppProject"),
        ("argoproj.io/v1alpha1", "Application"),
        ("argoproj.io/v1alpha1", "ApplicationSet"),
        ("external-secrets.io/v1alpha1", "ExternalSecret"),
        ("external-secrets.io/v1alpha1", "SecretStore"),
        ("external-secrets.io/v1beta1", "ExternalSecret"),
        ("external-secrets.io/v1beta1", "SecretStore"),
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ]
    for key, schema in schemas.items():
        if key[1] != "ApplicationSet":  # 2 s of metaschema checking; its parts repeat Application
            Draft202012Validator.check_schema(schema)
    # vault's kubernetes auth requires mountPath, which has a default: omitting it is fine.
    store = {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": "SecretStore",
        "spec": {
            "provider": {"vault": {"server": "https://v", "auth": {"kubernetes": {"role": "r"}}}}
        },
    }
    assert CrdSchemas(schemas).validate(store) == []

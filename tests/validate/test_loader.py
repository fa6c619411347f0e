"""The tree loader reads manifests as kubectl and the API server do: go-yaml's scalars, a
duplicate key as a finding at its line, ``List`` kinds expanded into their items, and the API
server's defaults filled in before any rule looks (issue 12, the loader)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from treeutil import write

from gigrouter.validate import defaults
from gigrouter.validate.context import Options
from gigrouter.validate.findings import Finding, Report, Severity
from gigrouter.validate.runner import validate_path
from gigrouter.validate.tree import MemoryFiles, load_tree

CRD_WITH_EQUALS = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: matchers.example.com
spec:
  group: example.com
  names: {kind: Matcher, plural: matchers, singular: matcher, listKind: MatcherList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                operator:
                  type: string
                  enum:
                    - =
                    - "!="
                    - =~
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: shop}}
spec:
  selector: {{app: web}}
  ports:
    - name: http
      port: {port}
      targetPort: {target}
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: example/web:1.0.0
          ports: [{containerPort: 8080}]
"""


def errors(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.severity is Severity.ERROR]


def rules(report: Report) -> set[str]:
    return {f.rule for f in report.findings}


# --- YAML as go-yaml reads it -------------------------------------------------------------------


def test_a_crd_enum_holding_equals_is_read_in_the_tree_and_as_crd(tmp_path: Path) -> None:
    tree = write(
        tmp_path / "tree",
        {
            "crd.yaml": CRD_WITH_EQUALS,
            "matcher.yaml": "apiVersion: example.com/v1\nkind: Matcher\n"
            "metadata: {name: m, namespace: shop}\nspec: {operator: =}\n",
        },
    )
    (crd,) = [d for d in load_tree(tree).documents if d.kind == "CustomResourceDefinition"]
    enum = crd.data["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert enum["properties"]["operator"]["enum"] == ["=", "!=", "=~"]
    assert errors(validate_path(tree)) == []
    # the same file as --crd: it loads (this stopped the whole run with exit 2)
    report = validate_path(tree, Options(crd_files=(str(tree / "crd.yaml"),)))
    assert errors(report) == []


def test_a_bad_file_does_not_stop_the_tree(tmp_path: Path) -> None:
    tree = write(
        tmp_path / "tree",
        {
            "bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: .inf}\n",
            "svc.yaml": SERVICE.format(port=80, target="'70000'"),
        },
    )
    report = validate_path(tree)
    found = {(f.rule, f.file) for f in errors(report)}
    assert ("yaml-invalid", "bad.yaml") in found
    assert any(file == "svc.yaml" for _, file in found)  # the other file is still checked


def test_yaml_1_1_booleans_are_booleans_where_a_string_is_expected(tmp_path: Path) -> None:
    tree = write(
        tmp_path / "tree",
        {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: shop}\n"
         "data:\n  enabled: y\n  quoted: 'y'\n"},
    )  # fmt: skip
    report = validate_path(tree)
    (finding,) = errors(report)
    assert finding.rule == "schema" and "data.enabled" in finding.message


# --- duplicate keys ------------------------------------------------------------------------------


def test_a_duplicate_key_is_an_error_at_the_second_key(tmp_path: Path) -> None:
    tree = write(
        tmp_path / "tree",
        {
            "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
            "  namespace: shop\ndata:\n  LOG_LEVEL: info\n  PORT: '80'\n  LOG_LEVEL: debug\n"
        },
    )
    report = validate_path(tree)
    (finding,) = [f for f in report.findings if f.rule == "yaml-duplicate-key"]
    assert finding.severity is Severity.ERROR
    assert (finding.file, finding.line) == ("cm.yaml", 9)
    assert "'LOG_LEVEL'" in finding.message and "line 7" in finding.message
    assert finding.resource is not None and finding.resource.name == "settings"
    (doc,) = load_tree(tree).documents
    assert doc.data["data"]["LOG_LEVEL"] == "debug"  # the decoder keeps the last value


def test_a_duplicate_key_names_the_list_item_it_is_in(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: one, namespace: shop}\n"
        "  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: two, namespace: shop}\n"
        "    data: {a: '1', a: '2'}\n"
    )
    report = validate_path(write(tmp_path / "tree", {"list.yaml": text}))
    (finding,) = [f for f in report.findings if f.rule == "yaml-duplicate-key"]
    assert finding.line == 10 and finding.resource is not None
    assert finding.resource.name == "two"


def test_keys_equal_as_json_are_duplicates(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: shop}\n"
    text += "data:\n  true: a\n  'true': b\n"
    report = validate_path(write(tmp_path / "tree", {"cm.yaml": text}))
    assert [f.line for f in report.findings if f.rule == "yaml-duplicate-key"] == [6]


# --- List kinds ----------------------------------------------------------------------------------

POD_MOUNTING = """\
apiVersion: v1
kind: Pod
metadata: {{name: reader, namespace: shop}}
spec:
  containers:
    - name: reader
      image: example/reader:1.0.0
      resources:
        requests: {{cpu: 10m, memory: 16Mi}}
        limits: {{memory: 16Mi}}
      readinessProbe: {{exec: {{command: [cat, /etc/app/x]}}}}
      volumeMounts: [{{name: config, mountPath: /etc/app}}]
  volumes:
    - name: config
      configMap: {{name: {name}}}
"""


TYPED_ITEM = """\
  - apiVersion: v1
    kind: ConfigMap
    metadata: {{name: {name}, namespace: shop}}
    data: {{k: v}}
"""
UNTYPED_ITEM = """\
  - metadata: {{name: {name}, namespace: shop}}
    data: {{k: v}}
"""


@pytest.mark.parametrize(
    ("kind", "item", "lines"),
    [
        ("List", TYPED_ITEM, [5, 9]),
        ("ConfigMapList", TYPED_ITEM, [5, 9]),
        ("ConfigMapList", UNTYPED_ITEM, [5, 7]),  # items of a typed list are its kind
    ],
    ids=["List", "ConfigMapList", "ConfigMapList-untyped-items"],
)
def test_list_items_are_documents_at_their_lines(
    tmp_path: Path, kind: str, item: str, lines: list[int]
) -> None:
    items = "".join(item.format(name=name) for name in ("first", "second"))
    text = f"# generated\napiVersion: v1\nkind: {kind}\nitems:\n{items}"
    tree = write(
        tmp_path / "tree",
        {"lists.yaml": text, "pod.yaml": POD_MOUNTING.format(name="second")},
    )
    docs = [d for d in load_tree(tree).documents if d.file == "lists.yaml"]
    assert [(d.kind, d.api_version, d.name, d.line) for d in docs] == [
        ("ConfigMap", "v1", "first", lines[0]),
        ("ConfigMap", "v1", "second", lines[1]),
    ]
    report = validate_path(tree)  # no "no metadata.name", no configmap-ref for the mount
    assert [f for f in report.findings if f.severity is not Severity.INFO] == []


def test_an_empty_list_is_nothing_and_not_an_incomplete_document(tmp_path: Path) -> None:
    tree = write(tmp_path / "tree", {"empty.yaml": "apiVersion: v1\nkind: List\nitems: []\n"})
    assert load_tree(tree).documents == []
    assert validate_path(tree).findings == []


def test_a_list_kind_whose_items_are_not_objects_is_an_object(tmp_path: Path) -> None:
    text = (
        "apiVersion: example.com/v1\nkind: AllowList\nmetadata: {name: ips, namespace: shop}\n"
        "items: [10.0.0.1, 10.0.0.2]\n"
    )
    (doc,) = load_tree(write(tmp_path / "tree", {"allow.yaml": text})).documents
    assert (doc.kind, doc.name) == ("AllowList", "ips")


def test_a_non_mapping_item_is_an_incomplete_document_at_its_line(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n  - just text\n"
    report = validate_path(write(tmp_path / "tree", {"list.yaml": text}))
    assert [(f.rule, f.line) for f in report.findings] == [("document-incomplete", 4)]


def test_a_list_in_memory_is_expanded_at_the_list_line() -> None:
    data = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"}}
    ]}  # fmt: skip
    memory = MemoryFiles({"l.yaml": "kind: List\n"}, {"l.yaml": [data]})
    (doc,) = load_tree(Path("."), memory=memory).documents
    assert (doc.name, doc.line) == ("a", 1)


# --- API-server defaults -----------------------------------------------------------------------


def test_target_port_zero_is_the_port(tmp_path: Path) -> None:
    tree = write(
        tmp_path / "tree",
        {"svc.yaml": SERVICE.format(port=8080, target=0), "deploy.yaml": DEPLOYMENT},
    )
    report = validate_path(tree)
    assert not {"value-invalid", "service-target-port"} & rules(report)
    (svc,) = [d for d in load_tree(tree).documents if d.kind == "Service"]
    assert svc.data["spec"]["ports"][0]["targetPort"] == 8080
    assert svc.written is not None and svc.written["spec"]["ports"][0]["targetPort"] == 0


def test_a_port_nothing_serves_stays_an_error_after_defaulting(tmp_path: Path) -> None:
    tree = write(
        tmp_path / "tree",
        {"svc.yaml": SERVICE.format(port=80, target=0), "deploy.yaml": DEPLOYMENT},
    )
    found = [f for f in errors(validate_path(tree)) if f.rule == "service-target-port"]
    assert len(found) == 1 and "port 80" in found[0].message


def test_an_invalid_port_is_reported_once_not_again_as_its_default_target(
    tmp_path: Path,
) -> None:
    text = SERVICE.format(port=70000, target=0).replace("      targetPort: 0\n", "")
    found = errors(validate_path(write(tmp_path / "tree", {"svc.yaml": text})))
    assert [f.rule for f in found] == ["value-invalid"]
    assert "spec.ports[0].port" in found[0].message


SERVICE_DATA: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "s"},
    "spec": {"ports": [{"port": 80}, {"port": 81, "targetPort": "", "protocol": "UDP"}]},
}


@pytest.mark.parametrize(
    ("data", "path", "value"),
    [
        (SERVICE_DATA, ("spec", "type"), "ClusterIP"),
        (SERVICE_DATA, ("spec", "sessionAffinity"), "None"),
        (SERVICE_DATA, ("spec", "ports", 0, "targetPort"), 80),
        (SERVICE_DATA, ("spec", "ports", 0, "protocol"), "TCP"),
        (SERVICE_DATA, ("spec", "ports", 1, "targetPort"), 81),
        (SERVICE_DATA, ("spec", "ports", 1, "protocol"), "UDP"),
        (
            {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {
                "containers": [{"name": "a", "ports": [{"containerPort": 80}]}],
                "initContainers": [{"name": "b", "ports": [{"containerPort": 81}]}]}}}},
            ("spec", "template", "spec", "initContainers", 0, "ports", 0, "protocol"),
            "TCP",
        ),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {}}, ("spec", "replicas"), 1),
        (
            {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {}},
            ("spec", "strategy", "rollingUpdate", "maxSurge"),
            "25%",
        ),
        (
            {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 0}},
            ("spec", "replicas"),
            0,
        ),
        (
            {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"strategy": {"type": "Recreate"}}},
            ("spec", "strategy"),
            {"type": "Recreate"},
        ),
        (
            {"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {}},
            ("spec", "updateStrategy"),
            {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
        ),
        (
            {"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {}},
            ("spec", "podManagementPolicy"),
            "OrderedReady",
        ),
        (
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "spec": {}},
            ("spec", "updateStrategy", "rollingUpdate"),
            {"maxUnavailable": 1, "maxSurge": 0},
        ),
        (
            {"apiVersion": "batch/v1", "kind": "Job", "spec": {}},
            ("spec", "completions"),
            1,
        ),
        (
            {"apiVersion": "batch/v1", "kind": "Job", "spec": {"parallelism": 3}},
            ("spec",),
            {"parallelism": 3, "backoffLimit": 6, "completionMode": "NonIndexed", "suspend": False},
        ),
        (
            {"apiVersion": "batch/v1", "kind": "CronJob", "spec": {"jobTemplate": {"spec": {
                "template": {"spec": {"containers": [{"ports": [{"containerPort": 1}]}]}}}}}},
            ("spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "ports", 0,
             "protocol"),
            "TCP",
        ),
        (
            {"apiVersion": "batch/v1", "kind": "CronJob", "spec": {}},
            ("spec", "concurrencyPolicy"),
            "Allow",
        ),
    ],
)  # fmt: skip
def test_defaults_fill_what_the_api_server_fills(
    data: dict[str, Any], path: tuple[Any, ...], value: Any
) -> None:
    before = copy.deepcopy(data)
    out: Any = defaults.apply(data)
    for step in path:
        out = out[step]
    assert out == value
    assert data == before  # the input is never modified


@pytest.mark.parametrize(
    "data",
    [
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "spec": {"rules": []}},
        {"apiVersion": "extensions/v1beta1", "kind": "Deployment", "spec": {}},  # not served
        {"apiVersion": "v1", "kind": "Service", "spec": "not a mapping"},
        {
            "apiVersion": "v1",
            "kind": "Service",
            "spec": {
                "type": "ClusterIP",
                "sessionAffinity": "None",
                "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}, "junk"],
            },
        },
    ],
)
def test_an_object_needing_no_default_is_returned_as_it_is(data: dict[str, Any]) -> None:
    assert defaults.apply(data) is data


def test_a_render_validated_in_memory_keeps_its_documents(tmp_path: Path) -> None:
    service = copy.deepcopy(SERVICE_DATA)
    memory = MemoryFiles({"svc.yaml": "kind: Service\n"}, {"svc.yaml": [service]})
    (doc,) = load_tree(tmp_path, memory=memory).documents
    assert doc.data["spec"]["ports"][0]["targetPort"] == 80
    assert service == SERVICE_DATA  # what the render writes is unchanged

"""Tests for gigrouter.validate.values: the rules JSON schemas cannot express."""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigrouter.validate.base import SchemaError
from gigrouter.validate.values import (
    MAX_ANNOTATIONS_BYTES,
    check_annotations,
    check_labels,
    check_values,
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_iana_svc_name,
    is_label_value,
    is_path_segment_name,
    is_port_number,
    is_qualified_name,
    is_quantity,
    parse_quantity,
)

Doc = dict[str, Any]
DELETE = object()
CONTAINER = "spec.template.spec.containers[0]"


def deployment() -> Doc:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "labels": {"app.kubernetes.io/name": "web"},
            "annotations": {"example.com/owner": "team-a"},
        },
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx",
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"cpu": 1, "memory": "256Mi"},
                            },
                            "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
                            "livenessProbe": {"tcpSocket": {"port": 8080}},
                        }
                    ],
                    "volumes": [{"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}}],
                },
            },
        },
    }


def service() -> Doc:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"app": "web"},
            "ports": [
                {"name": "http", "port": 80, "targetPort": "http"},
                {"name": "metrics", "port": 9090, "targetPort": 9090},
            ],
        },
    }


def cronjob() -> Doc:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly"},
        "spec": {
            "schedule": "0 3 * * *",
            "jobTemplate": {
                "metadata": {"labels": {"job": "nightly"}},
                "spec": {
                    "template": {
                        "metadata": {"labels": {"app": "nightly"}},
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "run", "image": "busybox"}],
                        },
                    }
                },
            },
        },
    }


def pvc() -> Doc:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}},
    }


def statefulset() -> Doc:
    doc = deployment()
    doc["kind"] = "StatefulSet"
    doc["spec"]["volumeClaimTemplates"] = [
        {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "5Gi"}}}}
    ]
    return doc


def simple(kind: str, name: str, api_version: str = "v1") -> Doc:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}


def changed(doc: Doc, path: str, value: Any) -> Doc:
    out = copy.deepcopy(doc)
    parts: list[str | int] = [
        int(p) if p.isdigit() else p for p in re.split(r"\.|\[(\d+)\]", path) if p
    ]
    node: Any = out
    for part in parts[:-1]:
        node = node[part]
    if value is DELETE:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return out


def paths(errors: list[SchemaError]) -> list[str]:
    return [e.path for e in errors]


# --------------------------------------------------------------------------------------------
# Predicates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "label", "label1035", "subdomain"),
    [
        ("web", True, True, True),
        ("web-1", True, True, True),
        ("0day", True, False, True),
        ("a" * 63, True, True, True),
        ("a" * 64, False, False, True),
        ("shop.example.com", False, False, True),
        (".".join(["a" * 63] * 4)[:253], False, False, True),
        ("a" * 254, False, False, False),
        ("", False, False, False),
        ("-web", False, False, False),
        ("web-", False, False, False),
        ("Web", False, False, False),
        ("web_1", False, False, False),
        ("a..b", False, False, False),
        ("a.", False, False, False),
        ("a.-b", False, False, False),
    ],
)
def test_dns_name_predicates(value: str, label: bool, label1035: bool, subdomain: bool) -> None:
    assert is_dns1123_label(value) is label
    assert is_dns1035_label(value) is label1035
    assert is_dns1123_subdomain(value) is subdomain


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http", True),
        ("http-alt", True),
        ("h2c", True),
        ("a" * 15, True),
        ("a" * 16, False),
        ("", False),
        ("8080", False),
        ("http--alt", False),
        ("-http", False),
        ("http-", False),
        ("HTTP", False),
        ("http_alt", False),
    ],
)
def test_is_iana_svc_name(value: str, expected: bool) -> None:
    assert is_iana_svc_name(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, True),
        (65535, True),
        (0, False),
        (65536, False),
        (-1, False),
        (True, False),
        ("80", False),
    ],
)
def test_is_port_number(value: object, expected: bool) -> None:
    assert is_port_number(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("app", True),
        ("app.kubernetes.io/name", True),
        ("example.com/My_Key.v2", True),
        ("A", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("", False),
        ("/name", False),
        ("example.com/", False),
        ("Example.com/name", False),
        ("a/b/c", False),
        ("-name", False),
        ("name.", False),
        ("app name", False),
        ("a" * 254 + "/name", False),
    ],
)
def test_is_qualified_name(value: str, expected: bool) -> None:
    assert is_qualified_name(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", True),
        ("v1.2.3", True),
        ("Some_Value-1", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("-a", False),
        ("a b", False),
        ("a/b", False),
    ],
)
def test_is_label_value(value: str, expected: bool) -> None:
    assert is_label_value(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("system:aggregate-to-edit", True),
        ("Admin", True),
        (".", False),
        ("..", False),
        ("a/b", False),
        ("a%b", False),
        ("", False),
    ],
)
def test_is_path_segment_name(value: str, expected: bool) -> None:
    assert is_path_segment_name(value) is expected


@pytest.mark.parametrize(
    "value",
    [
        "100m",
        "1.5",
        "2Gi",
        "1e3",
        "500M",
        "0",
        "+1",
        "-1",
        ".5",
        "1.",
        "1E3",
        "1E",
        "1Ki",
        "3n",
        "5u",
        "1.5e-3",
        "64k",
        "1Ei",
    ],
)
def test_is_quantity_accepts(value: str) -> None:
    assert is_quantity(value)


@pytest.mark.parametrize(
    "value",
    [
        "1 Gi",
        "2GB",
        "abc",
        "",
        "1e",
        "1Gb",
        "1ki",
        "1K",
        " 1",
        "1 ",
        "1.2.3",
        "1e3.5",
        "Gi",
        ".",
        "1mi",
        "1e+",
        "--1",
        "0x10",
    ],
)
def test_is_quantity_rejects(value: str) -> None:
    assert not is_quantity(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100m", Decimal("0.1")),
        ("2Gi", Decimal(2 * 2**30)),
        ("1.5Ki", Decimal(1536)),
        ("1e3", Decimal(1000)),
        ("500M", Decimal(500_000_000)),
        ("-2", Decimal(-2)),
        ("5u", Decimal("0.000005")),
        (1, Decimal(1)),
        (0.5, Decimal("0.5")),
    ],
)
def test_parse_quantity(value: str | int | float, expected: Decimal) -> None:
    assert parse_quantity(value) == expected


@pytest.mark.parametrize("value", ["abc", "1 Gi", True, float("inf")])
def test_parse_quantity_rejects(value: Any) -> None:
    with pytest.raises(ValueError):
        parse_quantity(value)


# --------------------------------------------------------------------------------------------
# Independent reference implementations for property tests
# --------------------------------------------------------------------------------------------

DIGITS = "0123456789"
QUANTITY_SUFFIXES = {"", "n", "u", "m", "k", "M", "G", "T", "P", "E"} | {p + "i" for p in "KMGTPE"}


def reference_is_quantity(text: str) -> bool:
    """Scanner after the grammar in k8s.io/apimachinery/pkg/api/resource (no regex)."""
    i = 0
    if text[:1] in ("+", "-") and text[:1]:
        i = 1
    whole = 0
    while i < len(text) and text[i] in DIGITS:
        i, whole = i + 1, whole + 1
    fraction = 0
    if i < len(text) and text[i] == ".":
        i += 1
        while i < len(text) and text[i] in DIGITS:
            i, fraction = i + 1, fraction + 1
    if whole == 0 and fraction == 0:
        return False
    suffix = text[i:]
    if suffix in QUANTITY_SUFFIXES:
        return True
    if len(suffix) < 2 or suffix[0] not in "eE":
        return False
    exponent = suffix[1:]
    if exponent[0] in "+-":
        exponent = exponent[1:]
    return bool(exponent) and all(c in DIGITS for c in exponent)


def reference_is_label(text: str, first_must_be_letter: bool = False, max_len: int = 63) -> bool:
    lower = "abcdefghijklmnopqrstuvwxyz"
    if not 1 <= len(text) <= max_len:
        return False
    if any(c not in lower + DIGITS + "-" for c in text):
        return False
    first_ok = lower if first_must_be_letter else lower + DIGITS
    return text[0] in first_ok and text[-1] != "-"


def reference_is_subdomain(text: str) -> bool:
    # Kubernetes limits the whole name to 253 characters but not each dot-separated part.
    return len(text) <= 253 and all(
        reference_is_label(part, max_len=253) for part in text.split(".")
    )


quantity_alphabet = st.sampled_from([*"0123456789.+-eEKMGTPinumk ", "Ki", "Gi", "e-"])
quantity_like = st.lists(quantity_alphabet, max_size=8).map("".join)
built_quantities = st.builds(
    lambda sign, whole, dot, frac, suffix: sign + whole + dot + frac + suffix,
    st.sampled_from(["", "+", "-"]),
    st.text(DIGITS, max_size=3),
    st.sampled_from(["", "."]),
    st.text(DIGITS, max_size=3),
    st.sampled_from([*sorted(QUANTITY_SUFFIXES), "e3", "E-2", "e+10", "e", "Gb", "ki", " Mi"]),
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(quantity_like, built_quantities, st.text(max_size=6)))
def test_quantity_grammar_matches_reference(text: str) -> None:
    assert is_quantity(text) == reference_is_quantity(text)


name_like = st.text(alphabet="abcxyz019-.A_", max_size=70)


@settings(max_examples=400, deadline=None)
@given(st.one_of(name_like, st.text(max_size=5), st.just("a" * 63), st.just("a" * 64)))
def test_dns_names_match_reference(text: str) -> None:
    assert is_dns1123_label(text) == reference_is_label(text)
    assert is_dns1035_label(text) == reference_is_label(text, first_must_be_letter=True)
    assert is_dns1123_subdomain(text) == reference_is_subdomain(text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            ("apps/v1", "Deployment"),
            ("v1", "Service"),
            ("batch/v1", "CronJob"),
            ("v1", "Pod"),
            ("networking.k8s.io/v1", "NetworkPolicy"),
            ("v1", "LimitRange"),
        ]
    ),
    st.dictionaries(st.sampled_from(["metadata", "spec", "template"]), json_values, max_size=3),
)
def test_check_values_never_crashes_on_wrong_shapes(gvk: tuple[str, str], body: Doc) -> None:
    doc = {"apiVersion": gvk[0], "kind": gvk[1], **body}
    assert all(isinstance(e, SchemaError) for e in check_values(doc))


# --------------------------------------------------------------------------------------------
# check_values: each rule catches a bad value and leaves a good one alone
# --------------------------------------------------------------------------------------------


def test_valid_documents_pass() -> None:
    for doc in (deployment(), service(), cronjob(), pvc(), statefulset()):
        assert check_values(doc) == [], doc["kind"]


@pytest.mark.parametrize(
    ("doc", "bad_path", "message_part"),
    [
        # object names
        (simple("ConfigMap", "My_Config"), "metadata.name", "DNS-1123 subdomain"),
        (simple("Namespace", "team.a"), "metadata.name", "DNS-1123 label"),
        (simple("Service", "1web"), "metadata.name", "DNS-1035 label"),
        (simple("Service", "web.internal"), "metadata.name", "DNS-1035 label"),
        (simple("Pod", "a" * 254), "metadata.name", "254 characters"),
        (
            simple("ClusterRole", "a/b", "rbac.authorization.k8s.io/v1"),
            "metadata.name",
            "'/'",
        ),
        (simple("CronJob", "n" * 53, "batch/v1"), "metadata.name", "at most 52"),
        (simple("ConfigMap", ""), "metadata.name", "must not be empty"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "metadata.name", "missing"),
        (
            {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"generateName": "Job_"}},
            "metadata.generateName",
            "DNS-1123 subdomain",
        ),
        (changed(deployment(), "metadata.namespace", "Shop"), "metadata.namespace", "label"),
        # containers and ports
        (changed(deployment(), f"{CONTAINER}.name", "Web"), f"{CONTAINER}.name", "container"),
        (
            changed(deployment(), f"{CONTAINER}.ports[0].name", "http_port"),
            f"{CONTAINER}.ports[0].name",
            "invalid port name",
        ),
        (
            changed(deployment(), f"{CONTAINER}.ports[0].name", "web-server-http-port"),
            f"{CONTAINER}.ports[0].name",
            "at most 15",
        ),
        (
            changed(deployment(), f"{CONTAINER}.ports[0].containerPort", 70000),
            f"{CONTAINER}.ports[0].containerPort",
            "1 to 65535",
        ),
        (
            changed(deployment(), f"{CONTAINER}.ports[0].hostPort", -1),
            f"{CONTAINER}.ports[0].hostPort",
            "1 to 65535",
        ),
        (
            changed(deployment(), f"{CONTAINER}.readinessProbe.httpGet.port", "health_check"),
            f"{CONTAINER}.readinessProbe.httpGet.port",
            "invalid port name",
        ),
        (
            changed(deployment(), f"{CONTAINER}.livenessProbe.tcpSocket.port", 0),
            f"{CONTAINER}.livenessProbe.tcpSocket.port",
            "1 to 65535",
        ),
        (
            changed(deployment(), f"{CONTAINER}.startupProbe", {"grpc": {"port": 99999}}),
            f"{CONTAINER}.startupProbe.grpc.port",
            "1 to 65535",
        ),
        (
            changed(
                deployment(), f"{CONTAINER}.lifecycle", {"preStop": {"httpGet": {"port": "8080"}}}
            ),
            f"{CONTAINER}.lifecycle.preStop.httpGet.port",
            "drop the quotes",
        ),
        (changed(service(), "spec.ports[0].port", 0), "spec.ports[0].port", "1 to 65535"),
        (
            changed(service(), "spec.ports[0].targetPort", 65536),
            "spec.ports[0].targetPort",
            "1 to 65535",
        ),
        (
            changed(service(), "spec.ports[0].targetPort", "8080"),
            "spec.ports[0].targetPort",
            "drop the quotes",
        ),
        (changed(service(), "spec.ports[0].name", "HTTP"), "spec.ports[0].name", "DNS-1123 label"),
        (changed(service(), "spec.ports[1].name", DELETE), "spec.ports[1].name", "several ports"),
        # quantities
        (
            changed(deployment(), f"{CONTAINER}.resources.limits.memory", "1 Gi"),
            f"{CONTAINER}.resources.limits.memory",
            "not a valid quantity",
        ),
        (
            changed(deployment(), f"{CONTAINER}.resources.limits.memory", "2GB"),
            f"{CONTAINER}.resources.limits.memory",
            "not a valid quantity",
        ),
        (
            changed(deployment(), f"{CONTAINER}.resources.requests.cpu", "-100m"),
            f"{CONTAINER}.resources.requests.cpu",
            "negative",
        ),
        (
            changed(deployment(), f"{CONTAINER}.resources.requests.cpu", "2"),
            f"{CONTAINER}.resources.requests.cpu",
            "greater than the limit",
        ),
        (
            changed(deployment(), f"{CONTAINER}.resources.requests", {"memroy": "1Gi"}),
            f"{CONTAINER}.resources.requests.memroy",
            "unknown resource",
        ),
        (
            changed(
                deployment(),
                "spec.template.spec.initContainers",
                [{"name": "init", "image": "x", "resources": {"limits": {"cpu": "abc"}}}],
            ),
            "spec.template.spec.initContainers[0].resources.limits.cpu",
            "not a valid quantity",
        ),
        (
            changed(deployment(), "spec.template.spec.volumes[0].emptyDir.sizeLimit", "1 Gi"),
            "spec.template.spec.volumes[0].emptyDir.sizeLimit",
            "not a valid quantity",
        ),
        (
            changed(pvc(), "spec.resources.requests.storage", "10GB"),
            "spec.resources.requests.storage",
            "not a valid quantity",
        ),
        (
            changed(
                statefulset(), "spec.volumeClaimTemplates[0].spec.resources.requests.storage", ""
            ),
            "spec.volumeClaimTemplates[0].spec.resources.requests.storage",
            "not a valid quantity",
        ),
        # labels, annotations, selectors
        (
            changed(deployment(), "metadata.labels", {"app name": "web"}),
            "metadata.labels.app name",
            "invalid label key",
        ),
        (
            changed(deployment(), "metadata.labels", {"version": 2}),
            "metadata.labels.version",
            "label values must be strings; quote it",
        ),
        (
            changed(deployment(), "metadata.labels", {"tier": "x" * 64}),
            "metadata.labels.tier",
            "64 characters",
        ),
        (
            changed(deployment(), "spec.template.metadata.labels", {"app": "web frontend"}),
            "spec.template.metadata.labels.app",
            "invalid label value",
        ),
        (
            changed(cronjob(), "spec.jobTemplate.spec.template.metadata.labels", {"ok": True}),
            "spec.jobTemplate.spec.template.metadata.labels.ok",
            "quote it",
        ),
        (
            changed(deployment(), "metadata.annotations", {"example.com/replicas": 3}),
            "metadata.annotations.example.com/replicas",
            "annotation values must be strings; quote it",
        ),
        (
            changed(deployment(), "spec.template.metadata.annotations", {"checksum/config": False}),
            "spec.template.metadata.annotations.checksum/config",
            "annotation values must be strings; quote it",
        ),
        (
            changed(deployment(), "metadata.annotations", {"bad key!": "x"}),
            "metadata.annotations.bad key!",
            "invalid annotation key",
        ),
        (
            changed(deployment(), "spec.selector.matchLabels", {"app": "-web"}),
            "spec.selector.matchLabels.app",
            "invalid label value",
        ),
        (
            changed(
                deployment(),
                "spec.selector",
                {"matchExpressions": [{"key": "tier", "operator": "In", "values": []}]},
            ),
            "spec.selector.matchExpressions[0].values",
            "must not be empty",
        ),
        (
            changed(
                deployment(),
                "spec.selector",
                {"matchExpressions": [{"key": "tier", "operator": "Equals", "values": ["a"]}]},
            ),
            "spec.selector.matchExpressions[0].operator",
            "must be one of",
        ),
        (
            changed(service(), "spec.selector", {"app/": "web"}),
            "spec.selector.app/",
            "invalid label key",
        ),
        (
            changed(deployment(), "spec.template.spec.nodeSelector", {"disk": "fast ssd"}),
            "spec.template.spec.nodeSelector.disk",
            "invalid label value",
        ),
        # pod spec structure
        (
            changed(
                deployment(),
                "spec.template.spec.initContainers",
                [{"name": "web", "image": "x"}],
            ),
            f"{CONTAINER}.name",
            "duplicate container name",
        ),
        (
            changed(deployment(), "spec.template.spec.volumes[0].name", "Cache"),
            "spec.template.spec.volumes[0].name",
            "invalid volume name",
        ),
    ],
)
def test_rule_catches_bad_value(doc: Doc, bad_path: str, message_part: str) -> None:
    errors = check_values(doc)
    assert paths(errors) == [bad_path], errors
    assert message_part in errors[0].message


@pytest.mark.parametrize(
    "doc",
    [
        simple("ConfigMap", "my.config-1"),
        simple("Namespace", "team-a"),
        simple("Service", "web1"),
        simple("Pod", "web.example-1"),
        simple("ClusterRole", "system:aggregate-to-edit", "rbac.authorization.k8s.io/v1"),
        simple("RoleBinding", "Team:Admins", "rbac.authorization.k8s.io/v1"),
        simple("CronJob", "n" * 52, "batch/v1"),
        simple("Application", "shop-web", "argoproj.io/v1alpha1"),
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"generateName": "migrate-"}},
        {"apiVersion": "v1", "kind": "ConfigMapList", "metadata": {}, "items": []},
        changed(deployment(), f"{CONTAINER}.ports[0].hostPort", 0),
        changed(deployment(), f"{CONTAINER}.ports[0].name", ""),
        changed(deployment(), f"{CONTAINER}.readinessProbe.httpGet.port", 8080),
        changed(
            deployment(),
            f"{CONTAINER}.resources.limits",
            {"nvidia.com/gpu": 1, "hugepages-2Mi": "1Gi"},
        ),
        changed(deployment(), f"{CONTAINER}.resources.requests.cpu", 0.5),
        changed(deployment(), f"{CONTAINER}.resources.requests.memory", "256Mi"),  # == limit
        changed(deployment(), f"{CONTAINER}.resources.limits.memory", "1e9"),
        changed(deployment(), "metadata.labels", {"empty": "", "example.com/Tier": "Front_End.1"}),
        changed(deployment(), "metadata.annotations", {"Example.COM/Owner": "any text: at all!"}),
        changed(
            deployment(),
            "spec.selector",
            {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
        ),
        changed(service(), "spec.ports", [{"port": 80}]),  # one unnamed port is fine
        changed(service(), "spec.ports[0].targetPort", 8080),
        changed(pvc(), "spec.resources.requests.storage", "1.5Ti"),
        # wrong types are the schema layer's business, not reported twice
        changed(deployment(), f"{CONTAINER}.ports[0].containerPort", "8080"),
        changed(deployment(), f"{CONTAINER}.resources", "lots"),
        changed(deployment(), "spec.template.spec.containers", {"name": "Web"}),
    ],
)
def test_rule_leaves_valid_value_alone(doc: Doc) -> None:
    assert check_values(doc) == []


def test_custom_resource_templates_are_not_treated_as_pod_templates() -> None:
    application_set: Doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "apps"},
        "spec": {"template": {"metadata": {"name": "{{name}}", "labels": {"env": "{{env}}"}}}},
    }
    assert check_values(application_set) == []
    application_set["metadata"]["labels"] = {"env": "{{env}}"}
    assert paths(check_values(application_set)) == ["metadata.labels.env"]


def test_annotation_size_limit() -> None:
    key = "example.com/blob"
    at_limit = {key: "x" * (MAX_ANNOTATIONS_BYTES - len(key))}
    assert check_annotations(at_limit, ["metadata", "annotations"]) == []
    over = {key: "x" * (MAX_ANNOTATIONS_BYTES - len(key) + 1)}
    errors = check_annotations(over, ["metadata", "annotations"])
    assert paths(errors) == ["metadata.annotations"]
    assert "limit is 262144" in errors[0].message


def test_null_label_value_gets_its_own_hint() -> None:
    errors = check_labels({"team": None}, ["metadata", "labels"])
    assert errors == [
        SchemaError("metadata.labels.team", 'label value is null; use "" for an empty value')
    ]


def test_all_problems_in_one_document_are_reported_in_document_order() -> None:
    doc = changed(deployment(), "metadata.name", "Web")
    doc = changed(doc, f"{CONTAINER}.resources.limits.memory", "1 Gi")
    doc = changed(doc, "metadata.annotations", {"example.com/replicas": 3})
    assert paths(check_values(doc)) == [
        "metadata.name",
        "metadata.annotations.example.com/replicas",
        f"{CONTAINER}.resources.limits.memory",
    ]

"""Tests for gigrouter.validate.schema: built-in kinds against kubernetes-validate's schemas."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from gigrouter.validate import schema as schema_module
from gigrouter.validate.base import SchemaError
from gigrouter.validate.schema import (
    REMOVED_APIS,
    KubernetesSchemas,
    UnknownKindError,
    describe_errors,
    supported_versions,
)

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def k8s() -> KubernetesSchemas:
    return KubernetesSchemas("1.30")


# --------------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------------


def pod_template() -> Doc:
    return {
        "metadata": {"labels": {"app": "web"}},
        "spec": {
            "containers": [
                {
                    "name": "web",
                    "image": "nginx:1.27",
                    "ports": [{"containerPort": 8080, "name": "http"}],
                    "resources": {"requests": {"cpu": "100m"}, "limits": {"memory": "256Mi"}},
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                }
            ]
        },
    }


def deployment() -> Doc:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": pod_template(),
        },
    }


def daemonset() -> Doc:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": pod_template()},
    }


def job() -> Doc:
    template = pod_template()
    template["spec"]["restartPolicy"] = "Never"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate"},
        "spec": {"backoffLimit": 3, "template": template},
    }


def service() -> Doc:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }


def ingress() -> Doc:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web"},
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": "shop.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def configmap() -> Doc:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings"},
        "data": {"LOG_LEVEL": "info"},
    }


def network_policy() -> Doc:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "allow-web"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "web"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"port": 8080, "protocol": "TCP"}]}],
        },
    }


def namespace() -> Doc:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}


def service_account() -> Doc:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "web"},
        "automountServiceAccountToken": False,
    }


def secret() -> Doc:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "type": "Opaque",
        "stringData": {"password": "hunter2"},
    }


def changed(doc: Doc, path: str, value: Any) -> Doc:
    """Copy of ``doc`` with the dotted ``path`` (``[n]`` for list items) set to ``value``;
    ``value=DELETE`` removes the key instead."""
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


DELETE = object()
CONTAINER = "spec.template.spec.containers[0]"


# --------------------------------------------------------------------------------------------
# Versions and file lookup
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "schema_version"),
    [("1.30", "1.30"), ("v1.31", "1.31"), ("1.29.7", "1.29"), ("1.25", "1.25"), ("1.37", "1.37")],
)
def test_supported_versions_pick_matching_bundle(requested: str, schema_version: str) -> None:
    assert KubernetesSchemas(requested).schema_version == schema_version


@pytest.mark.parametrize("requested", ["1.24", "1.38", "2.30", "1", "latest", ""])
def test_unsupported_versions_raise_value_error_naming_the_range(requested: str) -> None:
    with pytest.raises(ValueError, match=r"1\.25|MAJOR\.MINOR") as info:
        KubernetesSchemas(requested)
    if re.fullmatch(r"\d+\.\d+", requested):
        assert "1.25 to 1.37" in str(info.value)


def test_supported_versions_lists_every_bundled_strict_directory() -> None:
    root = resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    bundled = {
        f"1.{m.group(1)}"
        for entry in root.iterdir()
        if (m := re.fullmatch(r"v1\.(\d+)\.0-local-strict", entry.name))
    }
    assert set(supported_versions()) == bundled
    assert supported_versions() == sorted(bundled, key=lambda v: int(v.split(".")[1]))


@pytest.mark.parametrize(
    ("api_version", "kind", "filename"),
    [
        ("apps/v1", "Deployment", "deployment-apps-v1.json"),
        ("v1", "Service", "service-v1.json"),
        ("v1", "ConfigMap", "configmap-v1.json"),
        ("networking.k8s.io/v1", "Ingress", "ingress-networking-v1.json"),
        ("networking.k8s.io/v1", "NetworkPolicy", "networkpolicy-networking-v1.json"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebinding-rbac-v1.json"),
        ("batch/v1", "CronJob", "cronjob-batch-v1.json"),
        (
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscaler-autoscaling-v2.json",
        ),
        (
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "customresourcedefinition-apiextensions-v1.json",
        ),
        ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema", "flowschema-flowcontrol-v1.json"),
        (
            "internal.apiserver.k8s.io/v1alpha1",
            "StorageVersion",
            "storageversion-apiserverinternal-v1alpha1.json",
        ),
        ("apps/v1", "DeploymentList", "deploymentlist-apps-v1.json"),
    ],
)
def test_schema_file_follows_bundle_naming(
    k8s: KubernetesSchemas, api_version: str, kind: str, filename: str
) -> None:
    assert k8s.schema_file(api_version, kind) == filename
    assert k8s.has_schema(api_version, kind)


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("networking.example.com/v1", "Ingress"),  # same first label as a built-in group
        ("apps.kruise.io/v1", "Deployment"),
        ("argoproj.io/v1alpha1", "Application"),
        ("apps/v1", "deployment"),  # kinds are case-sensitive
        ("apps/v1", "DeploymentSpec"),  # a type, not a kind
        ("extensions/v1beta1", "Ingress"),  # removed in 1.22
        ("v1", "DeleteOptions"),
    ],
)
def test_has_schema_rejects_non_built_in_kinds(
    k8s: KubernetesSchemas, api_version: str, kind: str
) -> None:
    assert not k8s.has_schema(api_version, kind)
    assert k8s.schema_file(api_version, kind) is None


def test_index_covers_every_top_level_file_of_the_bundle() -> None:
    """Every kind file (one with apiVersion/kind enums) is found from its own enums, and the
    kubernetes-validate naming rule agrees except for internal.apiserver.k8s.io."""
    k8s = KubernetesSchemas("1.30")
    root = resources.files("kubernetes_validate").joinpath(
        "kubernetes-json-schema", "v1.30.0-local-strict"
    )
    checked = 0
    for entry in root.iterdir():
        if entry.name in ("_definitions.json", "all.json") or entry.name.endswith("meta-v1.json"):
            continue
        props = json.loads(entry.read_text()).get("properties", {})
        if "enum" not in props.get("kind", {}):
            continue
        (api_version,) = props["apiVersion"]["enum"]
        (kind,) = props["kind"]["enum"]
        assert k8s.schema_file(api_version, kind) == entry.name
        naive = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
        if not api_version.startswith("internal.apiserver.k8s.io/"):
            assert entry.name == f"{kind.lower()}-{naive}.json"
        checked += 1
    assert checked > 100


# --------------------------------------------------------------------------------------------
# Error reporting
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        deployment,
        daemonset,
        job,
        service,
        ingress,
        configmap,
        network_policy,
        namespace,
        service_account,
        secret,
    ],
)
def test_valid_documents_have_no_errors(k8s: KubernetesSchemas, make: Any) -> None:
    assert k8s.validate(make()) == []


@pytest.mark.parametrize(
    ("doc", "path", "message"),
    [
        pytest.param(
            changed(deployment(), f"{CONTAINER}.imagePullPolcy", "Always"),
            f"{CONTAINER}.imagePullPolcy",
            "unknown field 'imagePullPolcy' is not allowed (did you mean 'imagePullPolicy'?)",
            id="unknown-field-with-suggestion",
        ),
        pytest.param(
            changed(configmap(), "color", "blue"),
            "color",
            "unknown field 'color' is not allowed",
            id="unknown-top-level-field",
        ),
        pytest.param(
            changed(deployment(), f"{CONTAINER}.name", DELETE),
            CONTAINER,
            "missing required field 'name'",
            id="required",
        ),
        pytest.param(
            changed(deployment(), "spec.replicas", "3"),
            "spec.replicas",
            'expected integer, got string "3"; remove the quotes',
            id="type-quoted-number",
        ),
        pytest.param(
            changed(configmap(), "data.RETRIES", 3),
            "data.RETRIES",
            "expected string, got integer 3; quote it",
            id="type-unquoted-number",
        ),
        pytest.param(
            changed(deployment(), "spec.template.spec.containers", {"name": "web"}),
            "spec.template.spec.containers",
            "expected array, got object",
            id="type-object-for-array",
        ),
        pytest.param(
            changed(service(), "spec.ports[0].targetPort", True),
            "spec.ports[0].targetPort",
            "expected string or integer, got boolean true; quote it",
            id="int-or-string-oneOf",
        ),
        pytest.param(
            changed(service(), "spec.ports[0].targetPort", None),
            "spec.ports[0].targetPort",
            "expected string or integer, got null",
            id="int-or-string-null",
        ),
        pytest.param(
            changed(deployment(), f"{CONTAINER}.resources.limits.memory", [1]),
            f"{CONTAINER}.resources.limits.memory",
            "expected string or number, got array",
            id="quantity-oneOf",
        ),
    ],
)
def test_error_messages(k8s: KubernetesSchemas, doc: Doc, path: str, message: str) -> None:
    assert k8s.validate(doc) == [SchemaError(path, message)]


def test_three_separate_problems_give_three_errors(k8s: KubernetesSchemas) -> None:
    doc = changed(deployment(), "spec.replicas", "two")
    doc = changed(doc, f"{CONTAINER}.name", DELETE)
    doc = changed(doc, "metadata.owner", "team-a")
    assert k8s.validate(doc) == [
        SchemaError("metadata.owner", "unknown field 'owner' is not allowed"),
        SchemaError("spec.replicas", 'expected integer, got string "two"'),
        SchemaError("spec.template.spec.containers[0]", "missing required field 'name'"),
    ]


def test_every_unknown_field_is_its_own_error(k8s: KubernetesSchemas) -> None:
    doc = changed(configmap(), "colour", "blue")
    doc["size"] = 3
    doc["owner"] = "x"
    assert [e.path for e in k8s.validate(doc)] == ["colour", "owner", "size"]


def test_errors_sorted_by_path_with_numeric_indexes_and_deterministic(
    k8s: KubernetesSchemas,
) -> None:
    doc = deployment()
    containers = doc["spec"]["template"]["spec"]["containers"]
    for index in range(12):
        containers.append({"name": f"c{index}", "image": "x", "tty": "no" if index % 5 else 1})
    paths = [e.path for e in k8s.validate(doc)]
    indexes = [int(re.search(r"containers\[(\d+)\]", p).group(1)) for p in paths]  # type: ignore[union-attr]
    assert indexes == sorted(indexes) and 11 in indexes and 2 in indexes
    assert k8s.validate(copy.deepcopy(doc)) == k8s.validate(doc)


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"kind": "Service", "metadata": {"name": "x"}}, ["apiVersion"]),
        ({"apiVersion": "v1", "metadata": {"name": "x"}}, ["kind"]),
        ({"apiVersion": 1, "kind": ""}, ["apiVersion", "kind"]),
    ],
)
def test_missing_api_version_or_kind(k8s: KubernetesSchemas, doc: Doc, expected: list[str]) -> None:
    assert [e.path for e in k8s.validate(doc)] == expected


def test_validate_unknown_kind_raises_lookup_error_with_removal_hint(
    k8s: KubernetesSchemas,
) -> None:
    with pytest.raises(UnknownKindError, match=r"use networking\.k8s\.io/v1 "):
        k8s.validate({"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {}})
    with pytest.raises(LookupError, match=r"argoproj\.io/v1alpha1"):
        k8s.validate({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application"})


def test_describe_errors_enum_and_best_match_for_generic_schemas() -> None:
    validator = jsonschema.Draft202012Validator(
        {
            "type": "object",
            "properties": {
                "mode": {"enum": ["fast", "safe"]},
                "target": {
                    "anyOf": [
                        {"type": "object", "required": ["host"]},
                        {"type": "string", "minLength": 3},
                    ]
                },
            },
        }
    )
    errors = describe_errors(validator.iter_errors({"mode": "slow", "target": {"port": 1}}))
    assert errors == [
        SchemaError("mode", 'must be one of "fast", "safe"; got "slow"'),
        SchemaError("target", "missing required field 'host'"),
    ]
    assert describe_errors(validator.iter_errors({"mode": "safe", "target": "db1"})) == []


# --------------------------------------------------------------------------------------------
# Differential test against kubernetes_validate.validate(strict=True)
# --------------------------------------------------------------------------------------------

CORPUS: list[tuple[str, Doc]] = [
    ("deployment", deployment()),
    ("deployment-unknown-container-field", changed(deployment(), f"{CONTAINER}.cpu", "1")),
    ("deployment-replicas-string", changed(deployment(), "spec.replicas", "2")),
    ("deployment-no-selector", changed(deployment(), "spec.selector", DELETE)),
    ("deployment-port-string", changed(deployment(), f"{CONTAINER}.ports[0].containerPort", "80")),
    ("daemonset", daemonset()),
    ("daemonset-strategy-not-updateStrategy", changed(daemonset(), "spec.strategy", {})),
    ("job", job()),
    ("job-backoff-string", changed(job(), "spec.backoffLimit", "6")),
    ("service", service()),
    ("service-bad-name-is-schema-valid", changed(service(), "metadata.name", "Web_Svc")),
    ("service-no-port", changed(service(), "spec.ports[0].port", DELETE)),
    ("service-target-port-bool", changed(service(), "spec.ports[0].targetPort", False)),
    ("ingress", ingress()),
    (
        "ingress-v1beta1-backend",
        changed(
            ingress(),
            "spec.rules[0].http.paths[0].backend",
            {"serviceName": "web", "servicePort": 80},
        ),
    ),
    ("ingress-no-path-type", changed(ingress(), "spec.rules[0].http.paths[0].pathType", DELETE)),
    ("configmap", configmap()),
    ("configmap-int-value", changed(configmap(), "data.RETRIES", 3)),
    ("configmap-label-int", changed(configmap(), "metadata.labels", {"tier": 1})),
    ("network-policy", network_policy()),
    ("network-policy-port-object", changed(network_policy(), "spec.ingress[0].ports[0].port", {})),
    ("namespace", namespace()),
    ("namespace-finalizers-string", changed(namespace(), "spec", {"finalizers": "kubernetes"})),
    ("service-account", service_account()),
    (
        "service-account-automount-yes",
        changed(service_account(), "automountServiceAccountToken", "yes"),
    ),
    ("secret", secret()),
    ("secret-typo-stringdata", changed(secret(), "strinData", {"a": "b"})),
    ("secret-base64-data", changed(secret(), "data", {"k": "aGk="})),
]


@pytest.mark.parametrize(("name", "doc"), CORPUS, ids=[name for name, _ in CORPUS])
def test_verdict_matches_kubernetes_validate(k8s: KubernetesSchemas, name: str, doc: Doc) -> None:
    ours = k8s.validate(copy.deepcopy(doc))
    try:
        kubernetes_validate.validate(copy.deepcopy(doc), "1.30", strict=True)
    except kubernetes_validate.ValidationError as error:
        theirs: str | None = ".".join(str(p) for p in error.absolute_path)
    else:
        theirs = None
    assert bool(ours) == (theirs is not None), (name, ours, theirs)
    if theirs:
        # kubernetes-validate reports one error; it must be at or above one of ours.
        dotted = [re.sub(r"\[(\d+)\]", r".\1", e.path) for e in ours]
        assert any(p == theirs or p.startswith(theirs + ".") for p in dotted), (ours, theirs)


def test_corpus_has_valid_and_invalid_documents_of_ten_kinds() -> None:
    kinds = {doc["kind"] for _, doc in CORPUS}
    assert len(kinds) == 10
    verdicts = {bool(KubernetesSchemas("1.30").validate(copy.deepcopy(d))) for _, d in CORPUS}
    assert verdicts == {True, False}


# --------------------------------------------------------------------------------------------
# Removed APIs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_version", "kind", "expected"),
    [
        (
            "extensions/v1beta1",
            "Ingress",
            "networking.k8s.io/v1 (extensions/v1beta1 Ingress was removed in Kubernetes 1.22)",
        ),
        ("networking.k8s.io/v1beta1", "Ingress", "networking.k8s.io/v1 ("),
        ("networking.k8s.io/v1beta1", "IngressClass", "networking.k8s.io/v1 ("),
        ("policy/v1beta1", "PodDisruptionBudget", "policy/v1 (policy/v1beta1 PodDisruptionBudget"),
        ("policy/v1beta1", "PodSecurityPolicy", "no replacement (policy/v1beta1 PodSecurityPolicy"),
        (
            "batch/v1beta1",
            "CronJob",
            "batch/v1 (batch/v1beta1 CronJob was removed in Kubernetes 1.25)",
        ),
        ("autoscaling/v2beta1", "HorizontalPodAutoscaler", "autoscaling/v2 ("),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "autoscaling/v2 ("),
        (
            "apps/v1beta1",
            "Deployment",
            "apps/v1 (apps/v1beta1 Deployment was removed in Kubernetes 1.16)",
        ),
        ("apps/v1beta2", "StatefulSet", "apps/v1 ("),
        ("extensions/v1beta1", "DaemonSet", "apps/v1 ("),
        ("extensions/v1beta1", "ReplicaSet", "apps/v1 ("),
        ("rbac.authorization.k8s.io/v1beta1", "ClusterRole", "rbac.authorization.k8s.io/v1 ("),
        ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "apiextensions.k8s.io/v1 ("),
        (
            "admissionregistration.k8s.io/v1beta1",
            "ValidatingWebhookConfiguration",
            "admissionregistration.k8s.io/v1 (",
        ),
        ("storage.k8s.io/v1beta1", "CSIStorageCapacity", "storage.k8s.io/v1 ("),
        ("storage.k8s.io/v1beta1", "StorageClass", "storage.k8s.io/v1 ("),
        ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", "flowcontrol.apiserver.k8s.io/v1 ("),
        (
            "flowcontrol.apiserver.k8s.io/v1beta2",
            "PriorityLevelConfiguration",
            "flowcontrol.apiserver.k8s.io/v1 (",
        ),
        ("scheduling.k8s.io/v1beta1", "PriorityClass", "scheduling.k8s.io/v1 ("),
        ("certificates.k8s.io/v1beta1", "CertificateSigningRequest", "certificates.k8s.io/v1 ("),
        ("coordination.k8s.io/v1beta1", "Lease", "coordination.k8s.io/v1 ("),
        ("events.k8s.io/v1beta1", "Event", "events.k8s.io/v1 ("),
        ("discovery.k8s.io/v1beta1", "EndpointSlice", "discovery.k8s.io/v1 ("),
        ("node.k8s.io/v1beta1", "RuntimeClass", "node.k8s.io/v1 ("),
    ],
)
def test_removed_api_at_1_30(
    k8s: KubernetesSchemas, api_version: str, kind: str, expected: str
) -> None:
    advice = k8s.removed_api(api_version, kind)
    assert advice is not None and advice.startswith(expected)


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("apps/v1", "Deployment"),
        ("networking.k8s.io/v1", "Ingress"),
        ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"),  # still served by 1.30
        ("argoproj.io/v1alpha1", "Application"),
        ("apps/v1beta1", "DaemonSet"),  # never existed, so never removed
    ],
)
def test_removed_api_is_none_for_served_or_unknown_apis(
    k8s: KubernetesSchemas, api_version: str, kind: str
) -> None:
    assert k8s.removed_api(api_version, kind) is None
    assert k8s.removed_api_info(api_version, kind) is None


@pytest.mark.parametrize(
    ("version", "api_version", "kind", "expected"),
    [
        ("1.25", "autoscaling/v2beta2", "HorizontalPodAutoscaler", None),
        ("1.26", "autoscaling/v2beta2", "HorizontalPodAutoscaler", "autoscaling/v2"),
        (
            "1.26",
            "flowcontrol.apiserver.k8s.io/v1beta1",
            "FlowSchema",
            "flowcontrol.apiserver.k8s.io/v1beta3",
        ),
        (
            "1.29",
            "flowcontrol.apiserver.k8s.io/v1beta1",
            "FlowSchema",
            "flowcontrol.apiserver.k8s.io/v1",
        ),
        ("1.31", "flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", None),
        (
            "1.32",
            "flowcontrol.apiserver.k8s.io/v1beta3",
            "FlowSchema",
            "flowcontrol.apiserver.k8s.io/v1",
        ),
        ("1.26", "storage.k8s.io/v1beta1", "CSIStorageCapacity", None),
        ("1.27", "storage.k8s.io/v1beta1", "CSIStorageCapacity", "storage.k8s.io/v1"),
    ],
)
def test_removed_api_depends_on_version(
    version: str, api_version: str, kind: str, expected: str | None
) -> None:
    info = KubernetesSchemas(version).removed_api_info(api_version, kind)
    assert (info.replacement if info else None) == expected


def test_removed_api_info_fields_and_no_replacement_text(k8s: KubernetesSchemas) -> None:
    info = k8s.removed_api_info("policy/v1beta1", "PodSecurityPolicy")
    assert info is not None
    assert (info.replacement, info.removed_in) == (None, "1.25")
    assert info.describe() == (
        "no replacement (policy/v1beta1 PodSecurityPolicy was removed in Kubernetes 1.25; "
        "use Pod Security Admission instead)"
    )


@pytest.mark.parametrize("version", supported_versions())
def test_removed_api_table_agrees_with_bundled_schemas(version: str) -> None:
    """A removed API has no schema in that version's bundle; its replacement has one; and an
    API removed after the oldest bundle is still in the bundle of the release before."""
    k8s = KubernetesSchemas(version)
    minor = int(version.split(".")[1])
    for (api_version, kind), row in REMOVED_APIS.items():
        info = k8s.removed_api_info(api_version, kind)
        if info is not None:
            assert not k8s.has_schema(api_version, kind), (api_version, kind)
            if info.replacement is not None:
                assert k8s.has_schema(info.replacement, kind), (info.replacement, kind)
        elif row.removed_in == (1, minor + 1):
            assert k8s.has_schema(api_version, kind), (api_version, kind)


# --------------------------------------------------------------------------------------------
# Loading and speed
# --------------------------------------------------------------------------------------------


def _clear_caches() -> None:
    for cached in (
        schema_module._load_json,
        schema_module._file_names,
        schema_module._kind_index,
        schema_module._definitions_registry,
        schema_module._validator,
        schema_module._fast_check,
        schema_module._compiler,
    ):
        cached.cache_clear()


def forty_documents() -> list[Doc]:
    makers = [
        deployment,
        daemonset,
        job,
        service,
        ingress,
        configmap,
        network_policy,
        namespace,
        service_account,
        secret,
    ]
    docs = []
    for index in range(40):
        doc = makers[index % len(makers)]()
        doc["metadata"]["name"] = f"{doc['metadata']['name']}-{index}"
        docs.append(doc)
    return docs


class _OpenLog:
    """An audit hook recording the paths of the files this process opens, while recording."""

    def __init__(self) -> None:
        self.paths: list[str] | None = None
        self.installed = False

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and self.paths is not None and isinstance(args[0], str | os.PathLike):
            self.paths.append(os.fspath(args[0]))


_OPEN_LOG = _OpenLog()


@contextlib.contextmanager
def files_opened() -> Iterator[list[str]]:
    """The files opened in the block, seen through Python's "open" audit events (a hook
    cannot be removed, so it is added once and records only inside this block)."""
    if not _OPEN_LOG.installed:
        sys.addaudithook(_OPEN_LOG)
        _OPEN_LOG.installed = True
    opened: list[str] = []
    _OPEN_LOG.paths = opened
    try:
        yield opened
    finally:
        _OPEN_LOG.paths = None


def test_loads_only_definitions_and_the_kinds_used() -> None:
    _clear_caches()
    with files_opened() as opened:
        k8s = KubernetesSchemas("1.30")
        for doc in forty_documents():
            assert k8s.validate(doc) == []
        KubernetesSchemas("1.30").validate(deployment())  # a second instance shares the caches
    bundle = f"v{k8s.schema_version}.0-local-strict"  # kubernetes-validate's directory
    read = [Path(p).name for p in opened if Path(p).parent.name == bundle]
    assert sorted(read) == sorted(
        [
            "_definitions.json",
            "deployment-apps-v1.json",
            "daemonset-apps-v1.json",
            "job-batch-v1.json",
            "service-v1.json",
            "ingress-networking-v1.json",
            "configmap-v1.json",
            "networkpolicy-networking-v1.json",
            "namespace-v1.json",
            "serviceaccount-v1.json",
            "secret-v1.json",
        ]
    )


def test_forty_documents_validate_clean_after_a_cold_load() -> None:
    # Speed is measured by `make bench`, not here: timed unit tests are flaky on shared machines.
    _clear_caches()
    k8s = KubernetesSchemas("1.30")
    assert [k8s.validate(doc) for doc in forty_documents()] == [[]] * 40

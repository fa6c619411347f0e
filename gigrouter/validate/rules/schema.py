"""Check 1 and 2: every object against its schema, and the values schemas let through.

Built-in kinds use kubernetes-validate's bundled schemas for the chosen Kubernetes version
(strict); removed APIs name their replacement. Argo CD, External Secrets and Prometheus kinds use
the schemas gigrouter ships; ``--crd`` adds any CRD. A kind with no schema is a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from gigrouter.validate.base import SchemaError
from gigrouter.validate.context import Context
from gigrouter.validate.crd import CrdSchemas, load_crds
from gigrouter.validate.custom_kinds import CustomKindSchemas
from gigrouter.validate.findings import Finding, Severity
from gigrouter.validate.schema import KubernetesSchemas
from gigrouter.validate.values import check_values

RULES = {
    "schema": "A built-in object does not match the Kubernetes API schema of the chosen version.",
    "api-removed": "The object's apiVersion is no longer served by the chosen Kubernetes version.",
    "value-invalid": (
        "A value the API server rejects although the schema allows it: names, quantities,"
        " ports, label and annotation syntax, annotation values that are not strings."
    ),
    "custom-schema": (
        "A custom resource (Argo CD, External Secrets, Prometheus, or a --crd kind) does not"
        " match its schema."
    ),
    "unknown-kind": "No schema knows this kind: pass its CRD with --crd to have it checked.",
}


def _where(error: SchemaError) -> str:
    return f"{error.path}: {error.message}" if error.path else error.message


def check(ctx: Context) -> Iterator[Finding]:
    version = ctx.options.kubernetes_version
    k8s = KubernetesSchemas(version)
    custom = CustomKindSchemas()
    crds = CrdSchemas()
    for crd_path in ctx.options.crd_files:
        crds.add(load_crds(Path(crd_path)))
    for doc in ctx.tree.documents:
        api_version, kind = doc.api_version, doc.kind
        schema_paths: set[str] = set()
        removed = k8s.removed_api(api_version, kind)
        if removed is not None:
            yield ctx.finding(
                doc,
                Severity.ERROR,
                "api-removed",
                f"{api_version} {kind} is not served by Kubernetes {version}; use {removed}",
            )
            continue
        if crds.has_schema(api_version, kind):
            for error in crds.validate(doc.data):
                yield ctx.finding(doc, Severity.ERROR, "custom-schema", _where(error))
        elif k8s.has_schema(api_version, kind):
            for error in k8s.validate(doc.data):
                schema_paths.add(error.path)
                yield ctx.finding(doc, Severity.ERROR, "schema", _where(error))
        elif custom.has_schema(api_version, kind):
            for error in custom.validate(doc.data):
                yield ctx.finding(doc, Severity.ERROR, "custom-schema", _where(error))
        else:
            installer = ctx.crd_groups.get(doc.group)
            note = f" (its CRD comes from the {installer!r} application)" if installer else ""
            # A group the tree says an application installs is known, only not checked here.
            yield ctx.finding(
                doc,
                Severity.INFO if installer else Severity.WARNING,
                "unknown-kind",
                f"no schema for {api_version} {kind}{note}, so it was not checked;"
                " pass its CRD with --crd FILE to validate it",
            )
        for error in check_values(doc.data):
            if error.path in schema_paths:
                continue  # the schema already reported this field
            yield ctx.finding(doc, Severity.ERROR, "value-invalid", _where(error))

"""gigrouter's own schemas for the custom resources it renders.

The cluster's CRDs are not available when a GitOps tree is validated, so gigrouter carries
hand-written JSON Schemas (``gigrouter/schemas/*.json``) for the kinds it writes: Argo CD
Application, AppProject and ApplicationSet, External Secrets SecretStore, ClusterSecretStore
and ExternalSecret, and Prometheus Operator ServiceMonitor. They are as strict as the upstream
CRDs (unknown fields are errors) except in a few deep subtrees that gigrouter never renders,
which are checked loosely; each such place says so in its ``description``.

Schema files are read on first use, parsed once and shared between instances; a schema may
``$ref`` another file (``objectmeta.json``, ``common.json``, the Application spec) by its
relative name.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from gigrouter.validate.base import SchemaError
from gigrouter.validate.crd import (
    JsonSchema,
    KindKey,
    collect_errors,
    compile_validator,
    document_kind,
    packaged_schema,
)
from gigrouter.validate.fastcheck import Check, Compiler, Unsupported

if TYPE_CHECKING:  # referencing/jsonschema load only when a document has errors to explain
    from referencing import Registry

SCHEMA_BASE_URI: Final = "https://schemas.gigrouter.invalid/"

_SCHEMA_FILES: Final[Mapping[KindKey, str]] = {
    ("argoproj.io/v1alpha1", "Application"): "application.argoproj.io-v1alpha1.json",
    ("argoproj.io/v1alpha1", "AppProject"): "appproject.argoproj.io-v1alpha1.json",
    ("argoproj.io/v1alpha1", "ApplicationSet"): "applicationset.argoproj.io-v1alpha1.json",
    ("external-secrets.io/v1beta1", "SecretStore"): "secretstore.external-secrets.io-v1beta1.json",
    # A ClusterSecretStore has the same spec as a SecretStore; only its scope differs.
    ("external-secrets.io/v1beta1", "ClusterSecretStore"): (
        "secretstore.external-secrets.io-v1beta1.json"
    ),
    ("external-secrets.io/v1beta1", "ExternalSecret"): (
        "externalsecret.external-secrets.io-v1beta1.json"
    ),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor.monitoring.coreos.com-v1.json",
}


def schema_file(api_version: str, kind: str) -> str | None:
    """The file name in ``gigrouter/schemas`` that describes this kind, if gigrouter has one."""
    return _SCHEMA_FILES.get((api_version, kind))


@cache
def _load(name: str) -> JsonSchema:
    """One schema file, parsed once per process. Callers must not modify the result."""
    return packaged_schema(name)


def _referenced_files(schema: object) -> set[str]:
    """Names of the other schema files that ``schema`` points at with ``$ref``."""
    found: set[str] = set()
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            found.add(ref.split("#", 1)[0])
        for value in schema.values():
            found |= _referenced_files(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= _referenced_files(value)
    return found


def _registry_for(name: str) -> Registry[Any]:
    """A registry holding ``name`` and every file it reaches through ``$ref``, so that
    validation never has to fetch anything (the tests check that every reference exists)."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    wanted, seen = [name], set()
    while wanted:
        current = wanted.pop()
        if current not in seen:
            seen.add(current)
            wanted.extend(_referenced_files(_load(current)) - seen)
    resources = [
        (SCHEMA_BASE_URI + file, Resource.from_contents(_load(file), DRAFT202012))
        for file in sorted(seen)
    ]
    return Registry().with_resources(resources).crawl()


@cache
def _validator(name: str) -> Any:
    return compile_validator(_load(name), registry=_registry_for(name))


def _resolve(ref: str, base: str) -> tuple[Mapping[str, Any], str]:
    """A ``$ref`` between gigrouter's schema files: ``file.json#/pointer`` or ``#/pointer``."""
    file, _, pointer = ref.partition("#")
    file = file or base
    node: Any = _load(file)
    for part in (p for p in pointer.split("/") if p):
        if not isinstance(node, Mapping) or part not in node:
            raise Unsupported(ref)
        node = node[part]
    if not isinstance(node, Mapping):
        raise Unsupported(ref)
    return node, file


@cache
def _fast_check(name: str, lazy: bool = True) -> Check | None:
    """A compiled yes/no check for one kind, or None when its schema needs jsonschema."""
    try:
        return Compiler(_resolve, lazy).compile(_load(name), name)
    except Unsupported:
        return None


class CustomKindSchemas:
    """Validate manifests of the custom kinds gigrouter knows without the cluster's CRDs."""

    def known_kinds(self) -> list[KindKey]:
        """Every ``(apiVersion, kind)`` with a schema, sorted."""
        return sorted(_SCHEMA_FILES)

    def has_schema(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in _SCHEMA_FILES

    def schema(self, api_version: str, kind: str) -> JsonSchema:
        """The parsed schema of one kind (shared; do not modify). ``KeyError`` if unknown."""
        return _load(_SCHEMA_FILES[(api_version, kind)])

    def validate(self, doc: Mapping[str, Any]) -> list[SchemaError]:
        """All schema errors of one manifest, sorted by path (empty when it is valid).

        Raises ``KeyError`` when gigrouter has no schema for the document's apiVersion and
        kind; ask :meth:`has_schema` first.
        """
        key = document_kind(doc)
        if key is None or key not in _SCHEMA_FILES:
            raise KeyError(f"no schema for {key[0]} {key[1]}" if key else "no apiVersion/kind")
        name = _SCHEMA_FILES[key]
        fast = _fast_check(name)
        try:
            if fast is not None and fast(doc):
                return []
        except Unsupported:
            pass  # a lazily compiled part needs jsonschema: let it answer

        return collect_errors(_validator(name), doc)

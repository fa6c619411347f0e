"""The External Secrets SecretStore or ClusterSecretStore of a workload (or of the ``services``
preset), with any provider: one template (``STORE_TEMPLATE``) and the provider block built here
as data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from gigrouter.layout.inventory import Store
from gigrouter.model import Platform, SecretStoreSpec

STORE_TEMPLATE: Final = "workloads/SecretStore.yaml.j2"


def store_region(platform: Platform, store: SecretStoreSpec) -> str | None:
    """The AWS region the store reads (its own, else the platform's), or None for another
    provider."""
    aws = store.aws
    if aws is None:
        return None
    return aws.region or platform.aws_region()


def store_provider(
    platform: Platform, store: SecretStoreSpec, service_account: str | None
) -> dict[str, Any]:
    """``spec.provider`` of the store. AWS authenticates as ``service_account`` (IRSA); the
    others are their config blocks as written (the model checked them against the schema)."""
    raw = None if store.provider is None else store.provider.raw
    if raw is not None:
        assert store.provider is not None
        return {store.provider.name: raw}
    aws = store.aws
    assert aws is not None and service_account is not None  # the model requires it for AWS
    account: dict[str, Any] = {"name": service_account}
    if aws.service_account_namespace is not None:
        account["namespace"] = aws.service_account_namespace
    block: dict[str, Any] = {"service": aws.service, "region": store_region(platform, store)}
    if aws.role is not None:
        block["role"] = aws.role
    block["auth"] = {"jwt": {"serviceAccountRef": account}}
    return {"aws": block}


def store_context(
    platform: Platform,
    store: SecretStoreSpec,
    service_account: str | None,
    annotations: dict[str, str],
) -> dict[str, Any]:
    """What ``STORE_TEMPLATE`` needs, besides ``labels`` and (for a SecretStore) ``namespace``
    from the component's common context; a ClusterSecretStore gets no namespace."""
    context: dict[str, Any] = {
        "store_kind": store.kind,
        "store_name": store.name,
        "provider": store_provider(platform, store, service_account),
        "annotations": annotations,
    }
    if store.cluster_scoped:
        context["namespace"] = None
    return context


# --- the docs row -----------------------------------------------------------------------------

_VAULT_AUTH: Final = {"tokenSecretRef": "token", "appRole": "AppRole", "userPass": "userpass"}
_AZURE_AUTH: Final = {
    "ServicePrincipal": "service principal",
    "ManagedIdentity": "managed identity",
    "WorkloadIdentity": "workload identity",
}


def _account_ref(block: Mapping[str, Any]) -> str:
    """``name`` or ``namespace/name`` of the first serviceAccountRef in ``block``, or ''."""
    for key, value in block.items():
        if not isinstance(value, Mapping):
            continue
        if key == "serviceAccountRef" and isinstance(value.get("name"), str):
            ns = value.get("namespace")
            return f"{ns}/{value['name']}" if isinstance(ns, str) else str(value["name"])
        found = _account_ref(value)
        if found:
            return found
    return ""


def _raw_row(name: str, raw: Mapping[str, Any]) -> tuple[str, str]:
    """(where it reads, how it logs in) of a provider block written as in the CRD."""
    auth = raw.get("auth")
    methods = sorted(auth) if isinstance(auth, Mapping) else []
    if name == "vault":
        method = methods[0] if methods else ""
        return str(raw.get("server", "")), f"Vault {_VAULT_AUTH.get(method, method)} auth"
    if name == "gcpsm":
        how = {"workloadIdentity": "workload identity", "secretRef": "a service account key"}
        chosen = methods[0] if methods else ""
        return str(raw.get("projectID", "")), how.get(chosen, "the operator's own identity")
    kind = raw.get("authType", "ServicePrincipal")
    return str(raw.get("vaultUrl", "")), _AZURE_AUTH.get(str(kind), str(kind))


def store_fact(
    platform: Platform,
    app: str,
    namespace: str,
    store: SecretStoreSpec,
    service_account: str | None,
) -> Store:
    """The docs row of ``store``, rendered by ``app`` into ``namespace``."""
    raw = None if store.provider is None else store.provider.raw
    if raw is not None:
        assert store.provider is not None
        where, auth = _raw_row(store.provider.name, raw)
        account = _account_ref(raw)
        return Store(
            app, namespace, store.name, store.provider.name, where, account, store.kind, auth
        )
    aws = store.aws
    assert aws is not None
    account = service_account or ""
    if aws.service_account_namespace is not None:
        account = f"{aws.service_account_namespace}/{account}"
    region = store_region(platform, store) or ""
    return Store(app, namespace, store.name, aws.service, region, account, store.kind)

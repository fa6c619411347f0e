"""Which kinds live outside namespaces: from CRDs read, else from tables of known kinds.

A cluster-scoped object has no namespace: two trees that deploy one by the same name on one
cluster deploy the same object, whatever namespaces their Applications target. Render's
collision check (:mod:`gigrouter.ownership`) and validate (:func:`~gigrouter.validate.tree.
namespace_in`, the ``object-owned-twice`` rule) ask :class:`Scopes` for each kind, keyed by its
API group, so a namespaced kind of the same name in another group stays namespaced.

The facts, first that answers wins:

1. the Kubernetes API's own cluster-scoped kinds (``BUILTIN``; no CRD can redefine them);
2. a CustomResourceDefinition among the documents read (the trees of the run), by its
   ``spec.group``, ``spec.names.kind`` and ``spec.scope``;
3. the CRD files given to validate with ``--crd``;
4. ``CUSTOM``: cluster-scoped kinds of well-known operators, from their CRDs' ``spec.scope``.

Any other kind is namespaced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

from gigrouter.validate.crd import _crd_files, _is_crd, _read_documents

# The API server's cluster-scoped kinds by (API group, kind); the core group is "".
BUILTIN: Final[frozenset[tuple[str, str]]] = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("node.k8s.io", "RuntimeClass"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("resource.k8s.io", "DeviceClass"),
        ("resource.k8s.io", "ResourceSlice"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        ("storagemigration.k8s.io", "StorageVersionMigration"),
    }
)

EVERY_KIND: Final = "*"

# Cluster-scoped kinds of well-known operators, by API group, as their upstream CRDs declare
# (spec.scope: Cluster). Only the kinds named are cluster-scoped: the group's others (an
# Issuer, a SecretStore, a Kyverno Policy) are namespaced. EVERY_KIND: every kind of the group
# (Gatekeeper generates one cluster-scoped CRD per ConstraintTemplate).
CUSTOM: Final[Mapping[str, frozenset[str]]] = {
    "cert-manager.io": frozenset({"ClusterIssuer"}),
    "external-secrets.io": frozenset(
        {"ClusterSecretStore", "ClusterExternalSecret", "ClusterPushSecret"}
    ),
    "generators.external-secrets.io": frozenset({"ClusterGenerator"}),
    "elbv2.k8s.aws": frozenset({"IngressClassParams"}),
    "kyverno.io": frozenset({"ClusterPolicy", "ClusterCleanupPolicy"}),
    "templates.gatekeeper.sh": frozenset({"ConstraintTemplate"}),
    "constraints.gatekeeper.sh": frozenset({EVERY_KIND}),
    "karpenter.sh": frozenset({"NodePool", "NodeClaim"}),
    "karpenter.k8s.aws": frozenset({"EC2NodeClass"}),
    "gateway.networking.k8s.io": frozenset({"GatewayClass"}),
    "snapshot.storage.k8s.io": frozenset({"VolumeSnapshotClass", "VolumeSnapshotContent"}),
    # Calico's global resources and cluster configuration (its NetworkPolicy is namespaced)
    "crd.projectcalico.org": frozenset(
        {
            "GlobalNetworkPolicy",
            "GlobalNetworkSet",
            "HostEndpoint",
            "IPPool",
            "BGPConfiguration",
            "BGPPeer",
            "FelixConfiguration",
            "ClusterInformation",
            "KubeControllersConfiguration",
        }
    ),
    "projectcalico.org": frozenset({"GlobalNetworkPolicy", "GlobalNetworkSet", "HostEndpoint"}),
    # Cilium's cluster-wide policies and node objects (CiliumNetworkPolicy is namespaced)
    "cilium.io": frozenset(
        {
            "CiliumClusterwideNetworkPolicy",
            "CiliumClusterwideEnvoyConfig",
            "CiliumNode",
            "CiliumIdentity",
            "CiliumExternalWorkload",
            "CiliumLoadBalancerIPPool",
            "CiliumCIDRGroup",
        }
    ),
}

_SCOPES: Final = {"Cluster": True, "Namespaced": False}


def group_of(api_version: str) -> str:
    """The API group of an ``apiVersion`` ('' for the core group's ``v1``)."""
    return api_version.rpartition("/")[0]


def known(group: str, kind: str) -> bool:
    """Whether the tables (built-in, then well-known operators) name the kind cluster-scoped."""
    if (group, kind) in BUILTIN:
        return True
    kinds = CUSTOM.get(group, frozenset())
    return kind in kinds or EVERY_KIND in kinds


def declared(doc: Any) -> tuple[tuple[str, str], bool] | None:
    """``((group, kind), cluster-scoped)`` that a CustomResourceDefinition document declares;
    None for any other document, or a CRD without a group, kind or known scope (the schema
    rules report those)."""
    if not _is_crd(doc):
        return None
    spec = doc.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    names = spec.get("names")
    kind = names.get("kind") if isinstance(names, Mapping) else None
    group, scope = spec.get("group"), spec.get("scope")
    if not (isinstance(group, str) and group and isinstance(kind, str) and kind):
        return None
    if not isinstance(scope, str) or scope not in _SCOPES:
        return None
    return (group, kind), _SCOPES[scope]


@dataclass(frozen=True)
class Scopes:
    """The scope of each kind for one run: what its CRDs declare, then the tables."""

    crds: Mapping[tuple[str, str], bool] = field(default_factory=dict)

    def cluster_scoped(self, group: str, kind: str) -> bool:
        if (group, kind) in BUILTIN:
            return True
        found = self.crds.get((group, kind))
        return found if found is not None else known(group, kind)

    def of(self, api_version: str, kind: str) -> bool:
        """Whether objects of ``apiVersion`` and ``kind`` are cluster-scoped."""
        return self.cluster_scoped(group_of(api_version), kind)

    def with_documents(self, documents: Iterable[Any]) -> Scopes:
        """These scopes, overridden by the CRDs among ``documents`` (the later of two CRDs of
        one kind wins)."""
        found = dict(self.crds)
        for doc in documents:
            item = declared(doc)
            if item is not None:
                found[item[0]] = item[1]
        return Scopes(found)


def from_crd_files(paths: Iterable[str]) -> Scopes:
    """The scopes the CRD files or directories given with ``--crd`` declare, read as validate's
    schema rule reads them (its errors name the file)."""
    found: dict[tuple[str, str], bool] = {}
    for path in paths:
        found.update(_crd_file_scopes(Path(path)))
    return Scopes(found)


def _crd_file_scopes(path: Path) -> dict[tuple[str, str], bool]:
    files = _crd_files(path) if path.is_dir() else [path]
    try:
        signature = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    except OSError:
        signature = None
    if signature is None:
        return _read_scopes(tuple(files))
    return dict(_cached_scopes(signature))


@cache
def _cached_scopes(
    signature: tuple[tuple[str, int, int], ...],
) -> tuple[tuple[tuple[str, str], bool], ...]:
    return tuple(_read_scopes(tuple(Path(name) for name, _, _ in signature)).items())


def _read_scopes(files: tuple[Path, ...]) -> dict[tuple[str, str], bool]:
    documents = (doc for file in files for doc in _read_documents(file))
    return dict(Scopes().with_documents(documents).crds)

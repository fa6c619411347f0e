"""Which objects each rendered tree makes Argo CD own, and the objects two trees would share.

The base platform and every environment are separate trees, each synced by its own
Applications. Two trees whose Applications deploy the same object to the same cluster fight
over it: each sync undoes the other, and pruning one deletes the other's. An environment must
therefore deploy to another cluster or, on the same cluster, to namespaces of its own
(``namespace_suffix``). ``collisions`` names the objects two trees would both own.

What a tree owns: its Application (and ApplicationSet) objects, in the Argo CD instance's
namespace; the documents of every directory an Application syncs, in the Application's
destination namespace unless they name theirs; and each Helm release, by its namespace and
release name (the chart's objects are not in the tree). Cluster-scoped kinds have no namespace,
whatever a file gives: their scope comes from the CRDs among the trees compared, then the
tables of known kinds (:mod:`gigrouter.validate.scope`), so a ClusterIssuer copied into two
trees on one cluster is one object that both would own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from gigrouter import safeyaml
from gigrouter.model import IN_CLUSTER, ArgoCD, Platform
from gigrouter.render import RenderedTree
from gigrouter.validate.scope import Scopes, group_of

HELM_RELEASE = "Helm release"
_ARGO_KINDS = frozenset({"Application", "ApplicationSet"})
IN_CLUSTER_NAME = "in-cluster"  # Argo CD's name of the cluster it runs in


@dataclass(frozen=True, order=True)
class Owned:
    """One object on one cluster: ``kind``, ``namespace`` ('' when cluster-scoped), ``name`` and
    its API ``group`` (a kind's name may be another group's too)."""

    kind: str
    namespace: str
    name: str
    group: str = ""
    # the application deploying it (not part of its identity)
    application: str = field(default="", compare=False)

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}"


@dataclass(frozen=True)
class Cluster:
    """Where objects land: a cluster as Argo CD addresses it (``key``), and how to name it."""

    key: tuple[str, ...]
    label: str


def argocd_cluster(argocd: ArgoCD) -> Cluster:
    """The cluster that runs the Argo CD instance (and holds its Application objects)."""
    return Cluster(
        ("argocd", argocd.instance),
        f"the cluster Argo CD instance {argocd.instance!r} runs on (in-cluster)",
    )


def destination_cluster(argocd: ArgoCD) -> Cluster:
    """The cluster Applications deploy to. Cluster names are an instance's own, and so is
    ``in-cluster`` (the cluster the instance runs on); a server URL names one cluster for all."""
    name, server = argocd.destination_name, argocd.destination_server
    if name == IN_CLUSTER_NAME or (name is None and server == IN_CLUSTER):
        return argocd_cluster(argocd)
    if name is not None:
        return Cluster(
            ("name", argocd.instance, name),
            f"cluster {name!r} of Argo CD instance {argocd.instance!r}",
        )
    return Cluster(("server", str(server)), f"cluster {server}")


def owned(
    platform: Platform,
    tree: RenderedTree,
    scopes: Scopes | None = None,
    manifests: dict[str, list[Any]] | None = None,
) -> dict[Cluster, set[Owned]]:
    """Every object the tree's Applications would own, by cluster; ``scopes`` by default from
    the tree's own CRDs, ``manifests`` by default the tree's (:func:`tree_manifests`)."""
    manifests = manifests if manifests is not None else tree_manifests(tree)
    if scopes is None:
        scopes = Scopes().with_documents(d for docs in manifests.values() for d in docs)
    found: dict[Cluster, set[Owned]] = {}
    home = argocd_cluster(platform.argocd)
    for documents in _documents(tree):
        for doc in documents:
            if _kind(doc) in _ARGO_KINDS and _api_version(doc).startswith("argoproj.io/"):
                meta = _metadata(doc)
                ns = meta.get("namespace")
                namespace = ns if isinstance(ns, str) else platform.argocd.namespace
                found.setdefault(home, set()).add(
                    Owned(_kind(doc), namespace, str(meta.get("name", "")), "argoproj.io")
                )
    target = destination_cluster(platform.argocd)
    mine = found.setdefault(target, set())
    for app in platform.active_applications():
        if app.helm is not None:
            mine.add(Owned(HELM_RELEASE, app.namespace, app.helm.release_name or app.name))
            continue
        if app.path is None:
            continue
        prefix = app.path.rstrip("/") + "/"
        for path, documents in sorted(manifests.items()):
            if not path.startswith(prefix):
                continue
            for doc in documents:
                item = _object(doc, app.namespace, scopes)
                if item is not None:
                    mine.add(replace(item, application=app.name))
    return {cluster: objects for cluster, objects in found.items() if objects}


MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def tree_manifests(tree: RenderedTree) -> dict[str, list[Any]]:
    """Every manifest of the tree as documents: the rendered ones, and the files copied from
    the config repo (which render keeps as text), read with the bounded reader."""
    found = dict(tree.documents)
    for path, text in tree.files.items():
        if path in found or not path.endswith(MANIFEST_SUFFIXES):
            continue
        try:
            found[path] = [d for d in safeyaml.load_all(text) if isinstance(d, dict)]
        except yaml.YAMLError:
            continue  # validate reports the file; it owns nothing
    return found


@dataclass(frozen=True)
class Collision:
    """Objects that trees ``first`` and ``second`` would both own on ``cluster``."""

    first: str
    second: str
    cluster: Cluster
    objects: tuple[Owned, ...]


def collisions(trees: Iterable[tuple[str, Platform, RenderedTree]]) -> list[Collision]:
    """For each pair of trees (named as given, in the order given), the objects both would own
    on one cluster; empty when no two trees meet."""
    given = [(name, platform, tree, tree_manifests(tree)) for name, platform, tree in trees]
    # a CRD of any tree gives its kind's scope to all: the trees meet on one API server
    scopes = Scopes().with_documents(
        doc for *_, manifests in given for docs in manifests.values() for doc in docs
    )
    seen: list[tuple[str, dict[Cluster, set[Owned]]]] = []
    out: list[Collision] = []
    for name, platform, tree, manifests in given:
        mine = owned(platform, tree, scopes, manifests)
        for other, theirs in seen:
            for cluster in sorted(mine.keys() & theirs.keys(), key=lambda c: c.key):
                shared = mine[cluster] & theirs[cluster]
                if shared:
                    out.append(Collision(other, name, cluster, tuple(sorted(shared))))
        seen.append((name, mine))
    return out


def _documents(tree: RenderedTree) -> list[list[Any]]:
    return [tree.documents[path] for path in sorted(tree.documents)]


def _object(doc: Any, namespace: str, scopes: Scopes) -> Owned | None:
    meta = _metadata(doc)
    kind, name = _kind(doc), meta.get("name")
    if not kind or not isinstance(name, str):
        return None
    group = group_of(_api_version(doc))
    if scopes.cluster_scoped(group, kind):
        return Owned(kind, "", name, group)
    ns = meta.get("namespace")
    return Owned(kind, ns if isinstance(ns, str) and ns else namespace, name, group)


def _kind(doc: Any) -> str:
    kind = doc.get("kind") if isinstance(doc, dict) else None
    return kind if isinstance(kind, str) else ""


def _api_version(doc: Any) -> str:
    value = doc.get("apiVersion") if isinstance(doc, dict) else None
    return value if isinstance(value, str) else ""


def _metadata(doc: Any) -> dict[str, Any]:
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    return meta if isinstance(meta, dict) else {}

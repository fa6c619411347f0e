"""One owner per object, across every tree of a validate run.

Argo CD tracks which Application owns each live object. When two Applications deploy the same
object (API group, kind, namespace, name) to the same cluster, each sync overwrites the other's
copy, both report OutOfSync in turn, and pruning one deletes what the other still wants. That
happens when an environment overlay keeps the base tree's destination, or when two
Applications of one tree sync overlapping paths.

The run's trees are the base tree and every ``environments/<name>/`` tree. Documents belong to
the Applications whose source paths hold their files (:func:`gigrouter.validate.tree.owners`);
an object without a namespace lands in its Application's destination namespace, and an object
of a cluster-scoped kind in none: the scope of each kind comes from the CRDs of every tree of
the run, then the ``--crd`` files, then the tables of known kinds (:mod:`~gigrouter.validate.
scope`), so a ClusterIssuer that two trees deploy is one object whatever their namespaces.

Clusters are compared as written: the same server URL, or the same cluster name. ``in-cluster`` and
``https://kubernetes.default.svc`` are one cluster, the one the Argo CD instance runs in, so
they (and cluster names, which are registrations inside one instance) are told apart by the
tree's Argo CD instance (``argocd.instance`` of its metadata file).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from gigrouter.validate.context import Context, dig
from gigrouter.validate.findings import Finding, Resource, Severity
from gigrouter.validate.scope import Scopes
from gigrouter.validate.tree import AppInfo, Document, Tree, namespace_in, owners

RULES: dict[str, str] = {
    "object-owned-twice": (
        "Two Applications (of one tree or of two trees) deploy the same object to the same cluster."
    ),
}

IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"


@dataclass(frozen=True)
class Cluster:
    """Where an Application deploys: ``key`` compares, ``shown`` is for messages."""

    key: tuple[str, str]
    shown: str


def cluster_of(app: AppInfo, instance: str) -> Cluster | None:
    """The destination cluster of ``app`` (None when it names none)."""
    server = dig(app.document, "spec", "destination", "server")
    name = dig(app.document, "spec", "destination", "name")
    if isinstance(server, str) and server.strip():
        url = server.strip().rstrip("/")
        if url != IN_CLUSTER_SERVER:
            return Cluster(("server", url), url)
    elif isinstance(name, str) and name.strip():
        if name.strip() != IN_CLUSTER_NAME:
            return Cluster(("name " + name.strip(), instance), name.strip())
    else:
        return None
    where = f" of Argo CD instance {instance!r}" if instance else ""
    return Cluster((IN_CLUSTER_NAME, instance), f"{IN_CLUSTER_NAME}{where}")


def _instance(tree: Tree) -> str:
    instance = dig(tree.metadata, "argocd", "instance")
    return instance.strip() if isinstance(instance, str) else ""


@dataclass(frozen=True)
class Claim:
    """One Application deploying one document."""

    tree: Tree
    app: AppInfo
    doc: Document
    cluster: Cluster
    namespace: str

    @property
    def owner(self) -> tuple[str, str]:
        return (self.tree.prefix, self.app.name)

    def show(self) -> str:
        where = self.tree.prefix
        return (
            f"Application {self.app.name!r} ({where}{self.app.file}, from {where}{self.doc.file})"
        )


def claims(trees: tuple[Tree, ...], scopes: Scopes) -> dict[tuple[object, ...], list[Claim]]:
    """Every object of the run with the Applications deploying it, in tree and file order
    (one claim per Application)."""
    found: dict[tuple[object, ...], list[Claim]] = {}
    for tree in trees:
        instance = _instance(tree)
        for doc in tree.documents:
            if not doc.name:
                continue  # generateName: a new object each time, no identity to share
            for app in owners(tree, doc):
                cluster = cluster_of(app, instance)
                if cluster is None:
                    continue  # no destination: the argocd rules and the schema say so
                namespace = namespace_in(doc, app, scopes)
                key = (cluster.key, doc.group, doc.kind, namespace, doc.name)
                same = found.setdefault(key, [])
                if all(c.owner != (tree.prefix, app.name) for c in same):
                    same.append(Claim(tree, app, doc, cluster, namespace))
    return found


def check(ctx: Context) -> Iterator[Finding]:
    # the run's scopes (every tree's CRDs and --crd), which the runner gives every tree
    for same in claims(ctx.trees, ctx.tree.scopes).values():
        if len(same) < 2 or same[1].tree is not ctx.tree:
            continue  # reported once, by the tree of the second owner
        first, second = same[0], same[1]
        doc = second.doc
        where = f"{second.namespace}/{doc.name}" if second.namespace else doc.name
        group = doc.group or "core"
        owners_text = " and ".join(c.show() for c in same)
        yield Finding(
            Severity.ERROR,
            "object-owned-twice",
            f"{doc.kind} {where} (API group {group}) on cluster {first.cluster.shown} is"
            f" deployed by {len(same)} Applications: {owners_text}; each sync overwrites the"
            " other's copy and pruning one deletes the object the other still deploys; "
            + (
                "it is cluster-scoped, so other namespaces do not set it apart: give one tree"
                " a cluster of its own, or deploy the object from one Application only"
                if not second.namespace
                else "give one tree its own destination (another cluster, or other"
                " namespaces), or deploy the object from one Application only"
            ),
            doc.file,
            doc.line,
            Resource(doc.api_version, doc.kind, second.namespace, doc.name),
        )

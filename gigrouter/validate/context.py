"""What every rule sees: the tree, an index of its objects, the externals and the options.

The index is built once per tree, so cross-reference rules look objects up by kind, namespace
and name (or by namespace for pod templates) instead of scanning the tree again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from gigrouter.validate.findings import Finding, Severity
from gigrouter.validate.tree import Document, Tree

POD_TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


@dataclass(frozen=True)
class External:
    """An object the tree relies on but does not contain (metadata file or --external)."""

    kind: str
    namespace: str
    name: str
    keys: tuple[str, ...] = ()
    ports: tuple[int, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)


@dataclass(frozen=True)
class PodTemplate:
    """A pod template inside a workload (or a bare Pod), with where it lives."""

    owner: Document
    namespace: str
    labels: dict[str, Any]
    spec: dict[str, Any]
    path: str  # field path of the pod spec inside the owner, e.g. spec.template.spec

    def containers(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(field path, container) for containers and initContainers."""
        for section in ("initContainers", "containers"):
            items = self.spec.get(section)
            if isinstance(items, list):
                for i, c in enumerate(items):
                    if isinstance(c, dict):
                        yield f"{self.path}.{section}[{i}]", c


@dataclass(frozen=True)
class Options:
    kubernetes_version: str = "1.30"
    strict: bool = False
    externals: tuple[External, ...] = ()
    crd_files: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # tree-path globs not read (--exclude, .gigrouter.yaml)
    # The severity of a reference nothing in the tree resolves (None: error in gigrouter's own
    # trees, warning in others, info in documentation snippets); see Context.unresolved.
    unresolved: Severity | None = None
    # Render Helm charts and kustomizations of the tree (helm template / kubectl kustomize).
    render: bool = False


@dataclass
class Index:
    by_key: dict[tuple[str, str, str], list[Document]] = field(default_factory=dict)
    by_kind: dict[str, list[Document]] = field(default_factory=dict)
    pod_templates: list[PodTemplate] = field(default_factory=list)
    templates_by_namespace: dict[str, list[PodTemplate]] = field(default_factory=dict)
    # (namespace, label key, label value) -> templates carrying that label: selectors look up
    # their rarest equality first instead of scanning the namespace.
    templates_by_label: dict[tuple[str, str, str], list[PodTemplate]] = field(default_factory=dict)

    @classmethod
    def build(cls, documents: list[Document]) -> Index:
        by_key: dict[tuple[str, str, str], list[Document]] = defaultdict(list)
        by_kind: dict[str, list[Document]] = defaultdict(list)
        templates: list[PodTemplate] = []
        by_ns: dict[str, list[PodTemplate]] = defaultdict(list)
        by_label: dict[tuple[str, str, str], list[PodTemplate]] = defaultdict(list)
        for doc in documents:
            by_key[(doc.kind, doc.namespace, doc.name)].append(doc)
            by_kind[doc.kind].append(doc)
            template = pod_template(doc)
            if template is not None:
                templates.append(template)
                by_ns[template.namespace].append(template)
                for key, value in template.labels.items():
                    by_label[(template.namespace, str(key), label_text(value))].append(template)
        return cls(dict(by_key), dict(by_kind), templates, dict(by_ns), dict(by_label))

    def get(self, kind: str, namespace: str, name: str) -> Document | None:
        found = self.by_key.get((kind, namespace, name))
        return found[0] if found else None

    def of_kind(self, *kinds: str) -> Iterator[Document]:
        for kind in kinds:
            yield from self.by_kind.get(kind, [])


def label_text(value: Any) -> str:
    """A label value as the API server would compare it (YAML may have read it as a number)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def pod_template(doc: Document) -> PodTemplate | None:
    """The pod template of a workload document, or None for other kinds."""
    data = doc.data
    if doc.kind == "Pod":
        spec = data.get("spec")
        return (
            PodTemplate(doc, doc.namespace, doc.labels, spec, "spec")
            if isinstance(spec, dict)
            else None
        )
    if doc.kind == "CronJob":
        job = _dig(data, "spec", "jobTemplate", "spec", "template")
        path = "spec.jobTemplate.spec.template"
    elif doc.kind in POD_TEMPLATE_KINDS:
        job = _dig(data, "spec", "template")
        path = "spec.template"
    else:
        return None
    if not isinstance(job, dict):
        return None
    meta = job.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    if not isinstance(labels, dict):
        labels = {}
    spec = job.get("spec")
    if not isinstance(spec, dict):
        return None
    return PodTemplate(doc, doc.namespace, labels, spec, f"{path}.spec")


@dataclass(frozen=True)
class Ref:
    """One reference from a pod spec to a ConfigMap or Secret."""

    kind: str  # ConfigMap or Secret
    name: str
    keys: tuple[str, ...]  # keys the reference needs (none for envFrom and whole volumes)
    optional: bool
    field: str


def _item_keys(source: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        as_str(item.get("key"))
        for item in as_list(source.get("items"))
        if isinstance(item, dict) and as_str(item.get("key"))
    )


def pod_refs(template: PodTemplate) -> Iterator[Ref]:
    for path, container in template.containers():
        for j, env in enumerate(as_list(container.get("env"))):
            value_from = as_dict(as_dict(env).get("valueFrom"))
            for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = as_dict(value_from.get(key))
                if ref:
                    yield Ref(
                        kind,
                        as_str(ref.get("name")),
                        (as_str(ref.get("key")),) if as_str(ref.get("key")) else (),
                        ref.get("optional") is True,
                        f"{path}.env[{j}].valueFrom.{key}",
                    )
        for j, env_from in enumerate(as_list(container.get("envFrom"))):
            for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = as_dict(as_dict(env_from).get(key))
                if ref:
                    yield Ref(
                        kind,
                        as_str(ref.get("name")),
                        (),
                        ref.get("optional") is True,
                        f"{path}.envFrom[{j}].{key}",
                    )
    spec_path = template.path
    for k, volume in enumerate(as_list(template.spec.get("volumes"))):
        volume = as_dict(volume)
        config_map = as_dict(volume.get("configMap"))
        if config_map:
            yield Ref(
                "ConfigMap",
                as_str(config_map.get("name")),
                _item_keys(config_map),
                config_map.get("optional") is True,
                f"{spec_path}.volumes[{k}].configMap",
            )
        secret = as_dict(volume.get("secret"))
        if secret:
            yield Ref(
                "Secret",
                as_str(secret.get("secretName")),
                _item_keys(secret),
                secret.get("optional") is True,
                f"{spec_path}.volumes[{k}].secret",
            )
        for m, source in enumerate(as_list(dig(volume, "projected", "sources"))):
            for key, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                ref = as_dict(as_dict(source).get(key))
                if ref:
                    yield Ref(
                        kind,
                        as_str(ref.get("name")),
                        _item_keys(ref),
                        ref.get("optional") is True,
                        f"{spec_path}.volumes[{k}].projected.sources[{m}].{key}",
                    )
    for k, pull in enumerate(as_list(template.spec.get("imagePullSecrets"))):
        yield Ref(
            "Secret",
            as_str(as_dict(pull).get("name")),
            (),
            False,
            f"{spec_path}.imagePullSecrets[{k}]",
        )


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping, else an empty one (manifests may hold anything)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


@dataclass
class Context:
    """The input of every rule."""

    tree: Tree
    options: Options
    index: Index
    externals: dict[tuple[str, str, str], External]
    crd_groups: dict[str, str]  # API group -> name of the Application that installs its CRDs
    health_check: bool | None  # argocd-cm has the Application health check (None: unknown)
    # Every tree of the validate run (the base and each environment's), this one included;
    # empty when the tree is validated alone. Rules across trees read it.
    run_trees: tuple[Tree, ...] = ()

    @property
    def trees(self) -> tuple[Tree, ...]:
        """The trees of the run (at least this one)."""
        return self.run_trees or (self.tree,)

    def exists(self, kind: str, namespace: str, name: str) -> bool:
        """In the tree, or declared external."""
        return (
            self.index.get(kind, namespace, name) is not None
            or (kind, namespace, name) in self.externals
        )

    @property
    def unresolved_severity(self) -> Severity:
        """The severity of a reference nothing in the tree (nor a declared external) resolves:
        the user's ``--unresolved``, else error where gigrouter rendered the tree (it knows every
        object) and the tree's own default elsewhere (warning; info for snippets), since a
        hand-written tree relies on objects made at run time (by an operator, an init job, a
        generator) or in another repository."""
        if self.options.unresolved is not None:
            return self.options.unresolved
        return self.tree.unresolved

    def declare_external(self, kind: str, namespace: str, name: str) -> str:
        """How to tell validate an object exists outside the tree."""
        if self.tree.own:
            return "or declare it under externals in the platform config (gigrouter-metadata.yaml)"
        where = f"{namespace}/" if namespace else "/"
        return f"or pass --external {kind}/{where}{name} if it is made outside this tree"

    def unresolved(
        self, doc: Document, rule: str, message: str, *, optional: bool = False
    ) -> Finding:
        """The one way a rule reports a reference that nothing in the tree resolves (a missing
        target, not a wrong key of a present one): at :attr:`unresolved_severity`, and at most
        info when the reference is marked ``optional: true`` (the pod starts without it)."""
        severity = Severity.INFO if optional else self.unresolved_severity
        return self.finding(doc, severity, rule, message)

    def finding(
        self,
        doc: Document,
        severity: Severity,
        rule: str,
        message: str,
        *,
        path: str = "",
    ) -> Finding:
        """A finding about ``doc``; ``path`` is the field it is about (``spec.ports[0]``), so
        the report points at that field's line (else it is read from the message)."""
        return Finding(severity, rule, message, doc.file, doc.line, doc.resource, path=path)

    def file_finding(
        self, file: str, line: int, severity: Severity, rule: str, message: str
    ) -> Finding:
        return Finding(severity, rule, message, file, line)


def dig(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...`` or None when any level is missing or not a mapping."""
    return _dig(data, *keys)

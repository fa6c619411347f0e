"""Referential integrity: do the objects of the tree fit together?

Selectors against pod labels, Services against container ports, Ingresses against Services,
ConfigMap / Secret / ServiceAccount / SecretStore references against what the tree (or a
declared external) creates, NetworkPolicies against pods and namespaces, and duplicates.

Every lookup goes through the context's index (by kind, namespace and name) or through the pod
templates of one namespace, so the checks stay linear in the size of the tree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gigrouter.validate.context import (
    Context,
    PodTemplate,
    Ref,
    as_dict,
    as_list,
    as_str,
    dig,
    label_text,
    pod_refs,
)
from gigrouter.validate.findings import Finding, Severity
from gigrouter.validate.tree import Document

RULES: dict[str, str] = {
    "duplicate-resource": "The same kind, namespace and name is defined more than once.",
    "selector-mismatch": "A workload's spec.selector does not match its own pod template labels.",
    "service-selects-nothing": "A Service selector matches no pod template in its namespace.",
    "service-target-port": "A Service targetPort is served by no container port of its pods.",
    "probe-port": "A liveness/readiness/startup probe uses a port the container does not declare.",
    "ingress-backend": "An Ingress backend names a missing Service or a port it does not serve.",
    "configmap-ref": "A pod references a ConfigMap (or a key of one) that does not exist.",
    "secret-ref": "A pod references a Secret (or a key of one) that nothing creates.",
    "service-account-ref": "A pod or SecretStore uses a ServiceAccount that does not exist.",
    "secret-store-ref": "An ExternalSecret names a missing SecretStore or ClusterSecretStore.",
    "networkpolicy-selects-nothing": "A NetworkPolicy podSelector matches no pod template.",
    "networkpolicy-namespace-label": "A namespaceSelector needs a label no namespace carries.",
    "networkpolicy-namespace-unknown": "A NetworkPolicy selects a namespace the tree never uses.",
}

CORE = ""  # the API group of v1 kinds (Service, ConfigMap, Secret, Namespace)
DECLARE_EXTERNAL = "or declare it under externals in the platform config (gigrouter-metadata.yaml)"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
PROBE_HANDLERS = ("httpGet", "tcpSocket", "grpc")
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
# Namespaces every cluster has, whether or not the tree mentions them.
BUILTIN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
# The ConfigMap Kubernetes publishes in every namespace (since 1.20) for projected token volumes.
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"
ROOT_CA_KEYS = frozenset({"ca.crt"})
# ExternalSecret target.creationPolicy values under which the operator creates the Secret.
CREATING_POLICIES = frozenset({"Owner", "Orphan"})


def check(ctx: Context) -> Iterator[Finding]:
    yield from _duplicates(ctx)
    yield from _workload_selectors(ctx)
    yield from _services(ctx)
    yield from _probes(ctx)
    yield from _ingresses(ctx)
    yield from _pod_references(ctx)
    yield from _service_accounts(ctx)
    yield from _secret_stores(ctx)
    yield from _network_policies(ctx)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _where(ctx: Context, doc: Document) -> str:
    return f"{ctx.tree.prefix}{doc.file}:{doc.line}"


def _port_ref(value: Any) -> int | str | None:
    """A port given as number or name (IntOrString); digit strings count as numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value:
        return int(value) if value.isdigit() else value
    return None


def _describe_port(ref: int | str) -> str:
    return f"port {ref}" if isinstance(ref, int) else f'port named "{ref}"'


# --------------------------------------------------------------------------------------------
# Label selectors (one implementation for workloads, Services and NetworkPolicies)
# --------------------------------------------------------------------------------------------

_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, Any]) -> bool:
        present = self.key in labels
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        value = label_text(labels.get(self.key)) if present else None
        if self.operator == "In":
            return present and value in self.values
        return not present or value not in self.values  # NotIn

    def __str__(self) -> str:
        if self.operator == "Exists":
            return self.key
        if self.operator == "DoesNotExist":
            return f"!{self.key}"
        values = ",".join(sorted(self.values))
        if self.operator == "In" and len(self.values) == 1:
            return f"{self.key}={values}"
        return f"{self.key} {self.operator.lower()} ({values})"


@dataclass(frozen=True)
class Selector:
    """A parsed label selector: every requirement must hold."""

    requirements: tuple[Requirement, ...]

    @property
    def empty(self) -> bool:
        return not self.requirements

    def unmet(self, labels: Mapping[str, Any]) -> list[Requirement]:
        return [r for r in self.requirements if not r.matches(labels)]

    def matches(self, labels: Mapping[str, Any]) -> bool:
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        return ", ".join(str(r) for r in self.requirements) or "(everything)"


def parse_selector(raw: Any, *, plain: bool = False) -> Selector | None:
    """A LabelSelector (or, with ``plain``, a Service's key: value map) or None if malformed.

    Malformed selectors are the schema checks' business; the integrity rules skip them.
    """
    if raw is None:
        return Selector(())
    if not isinstance(raw, dict):
        return None
    requirements: list[Requirement] = []
    match_labels = raw if plain else raw.get("matchLabels", {})
    if match_labels is None:
        match_labels = {}
    if not isinstance(match_labels, dict):
        return None
    for key, value in match_labels.items():
        requirements.append(Requirement(str(key), "In", frozenset({label_text(value)})))
    if plain:
        return Selector(tuple(requirements))
    expressions = raw.get("matchExpressions") or []
    if not isinstance(expressions, list):
        return None
    for expr in expressions:
        if not isinstance(expr, dict):
            return None
        key, operator = expr.get("key"), expr.get("operator")
        values = expr.get("values") or []
        if not isinstance(key, str) or operator not in _OPERATORS or not isinstance(values, list):
            return None
        requirements.append(
            Requirement(key, str(operator), frozenset(label_text(v) for v in values))
        )
    return Selector(tuple(requirements))


def _templates_matching(ctx: Context, namespace: str, selector: Selector) -> list[PodTemplate]:
    candidates = ctx.index.templates_by_namespace.get(namespace, [])
    for req in selector.requirements:  # start from the rarest label the selector requires
        if req.operator == "In" and len(req.values) == 1:
            (value,) = req.values
            bucket = ctx.index.templates_by_label.get((namespace, req.key, value), [])
            if len(bucket) < len(candidates):
                candidates = bucket
    return [t for t in candidates if selector.matches(t.labels)]


def _labels_text(labels: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={label_text(v)}" for k, v in labels.items()) or "no labels"


# --------------------------------------------------------------------------------------------
# duplicate-resource
# --------------------------------------------------------------------------------------------


def _duplicates(ctx: Context) -> Iterator[Finding]:
    for (_kind, _namespace, name), same_key in ctx.index.by_key.items():
        if not name or len(same_key) < 2:  # generateName objects have no identity to clash on
            continue
        # Kinds of different API groups are different objects (a Calico NetworkPolicy next to
        # a Kubernetes one, a Knative Service next to a core Service).
        by_group: dict[str, list[Document]] = defaultdict(list)
        for doc in same_key:
            by_group[doc.group].append(doc)
        for docs in by_group.values():
            yield from _duplicates_of(ctx, docs)


def _duplicates_of(ctx: Context, docs: list[Document]) -> Iterator[Finding]:
    first, *again = docs
    for doc in again:
        yield ctx.finding(
            doc,
            Severity.ERROR,
            "duplicate-resource",
            f"{doc.resource} is already defined at {_where(ctx, first)}; Argo CD would apply"
            f" both and they would overwrite each other: remove one of them, or rename it"
            f" (or move it to another namespace) if both are wanted",
        )


# --------------------------------------------------------------------------------------------
# selector-mismatch
# --------------------------------------------------------------------------------------------


def _workload_selectors(ctx: Context) -> Iterator[Finding]:
    for template in ctx.index.pod_templates:
        doc = template.owner
        if doc.kind not in WORKLOAD_KINDS or doc.group != "apps" or "selector" not in doc.spec:
            continue  # a missing selector is the schema rules' finding
        selector = parse_selector(doc.spec.get("selector"))
        if selector is None:
            continue
        if selector.empty:
            yield ctx.finding(
                doc,
                Severity.ERROR,
                "selector-mismatch",
                f"spec.selector of {doc.kind} {doc.name} is empty; Kubernetes rejects an empty"
                f" selector for a {doc.kind}: set spec.selector.matchLabels to labels of"
                f" spec.template.metadata.labels (for example app: {doc.name})",
            )
            continue
        unmet = selector.unmet(template.labels)
        if unmet:
            yield ctx.finding(
                doc,
                Severity.ERROR,
                "selector-mismatch",
                f"spec.selector of {doc.kind} {doc.name} requires"
                f" {'; '.join(str(r) for r in unmet)}, but the pod template labels"
                f" ({_labels_text(template.labels)}) do not satisfy it, so Kubernetes rejects"
                f" the {doc.kind}: make spec.template.metadata.labels match the selector"
                f" (the selector is immutable once applied, so change the labels)",
            )


# --------------------------------------------------------------------------------------------
# service-selects-nothing, service-target-port
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerPort:
    number: int
    name: str
    protocol: str


def _container_ports(container: Mapping[str, Any]) -> list[ContainerPort]:
    out: list[ContainerPort] = []
    for port in as_list(container.get("ports")):
        if not isinstance(port, dict):
            continue
        number = port.get("containerPort")
        if isinstance(number, bool) or not isinstance(number, int):
            continue
        out.append(
            ContainerPort(number, as_str(port.get("name")), as_str(port.get("protocol")) or "TCP")
        )
    return out


def _serving_ports(template: PodTemplate) -> Iterator[tuple[str, ContainerPort]]:
    """(container name, port) a Service can reach: containers and sidecar init containers."""
    for path, container in template.containers():
        if ".initContainers[" in path and container.get("restartPolicy") != "Always":
            continue
        for port in _container_ports(container):
            yield as_str(container.get("name")), port


def _chart_apps_in(ctx: Context, namespace: str) -> list[str]:
    return sorted(
        app.name for app in ctx.tree.applications if app.charts and app.namespace == namespace
    )


def _services(ctx: Context) -> Iterator[Finding]:
    for doc in ctx.index.of_kind("Service"):
        spec = doc.spec
        if doc.group != CORE or spec.get("type") == "ExternalName":
            continue
        selector = parse_selector(spec.get("selector"), plain=True)
        if selector is None or selector.empty:
            continue  # no selector: endpoints are managed by hand (or by a controller)
        matched = _templates_matching(ctx, doc.namespace, selector)
        if not matched:
            charts = _chart_apps_in(ctx, doc.namespace)
            hint = (
                f"; if the pods come from the Helm chart of {', '.join(charts)}, waive this with"
                f" the annotation ignore-check.gigrouter.io/service-selects-nothing and a reason"
                if charts
                else ""
            )
            yield ctx.finding(
                doc,
                Severity.WARNING,
                "service-selects-nothing",
                f"Service {doc.name} selects {selector} but no pod template in namespace"
                f" {doc.namespace or '(none)'} has those labels, so it has no endpoints: fix"
                f" spec.selector or the pod template labels{hint}",
            )
            continue
        yield from _target_ports(ctx, doc, matched)


def _target_ports(ctx: Context, doc: Document, matched: list[PodTemplate]) -> Iterator[Finding]:
    serving = [(t, c, p) for t in matched for c, p in _serving_ports(t)]
    owners = ", ".join(sorted({f"{t.owner.kind}/{t.owner.name}" for t in matched}))
    declared = ", ".join(
        sorted({f"{p.number}" + (f" ({p.name})" if p.name else "") for _, _, p in serving})
    )
    for i, port in enumerate(as_list(doc.spec.get("ports"))):
        if not isinstance(port, dict):
            continue
        target = _port_ref(port.get("targetPort"))
        if target is None:
            target = _port_ref(port.get("port"))  # the default targetPort is the port
        if target is None:
            continue
        protocol = as_str(port.get("protocol")) or "TCP"
        field = f"spec.ports[{i}]"
        if isinstance(target, str):
            # A named targetPort resolves per pod against a container port with that name and
            # the same protocol; without one, the pod gets no endpoint for this port.
            if any(p.name == target and p.protocol == protocol for _, _, p in serving):
                continue
            other = sorted({p.protocol for _, _, p in serving if p.name == target})
            why = (
                f"the pods' port named {target} is {'/'.join(other)}, not {protocol}"
                if other
                else f"no container of {owners} declares a port named {target}"
                f" (declared: {declared or 'none'})"
            )
            yield ctx.finding(
                doc,
                Severity.ERROR,
                "service-target-port",
                f"{field} of Service {doc.name} targets {_describe_port(target)}/{protocol} but"
                f" {why}: name a declared container port in targetPort, or add the port (with"
                f" that name and protocol) to the container",
            )
            continue
        if not serving or any(p.number == target for _, _, p in serving):
            # Pods that declare no ports at all give nothing to compare a number with (ports
            # are optional in a pod spec), so they are left alone.
            continue
        # Kubernetes forwards a numeric targetPort whether or not a container declares it, but
        # when the pods do declare their ports and none is this number, the Service and the
        # pods disagree about where the application listens: one of the two is wrong (unlike
        # probe-port, where an undeclared number is only a warning, this is an error).
        yield ctx.finding(
            doc,
            Severity.ERROR,
            "service-target-port",
            f"{field} of Service {doc.name} targets port {target}, which no container of"
            f" {owners} declares (declared: {declared}): set targetPort to the port the"
            f" application listens on, and make the containerPort say the same",
        )


# --------------------------------------------------------------------------------------------
# probe-port
# --------------------------------------------------------------------------------------------


def _probes(ctx: Context) -> Iterator[Finding]:
    for template in ctx.index.pod_templates:
        containers = list(template.containers())
        for path, container in containers:
            ports = _container_ports(container)
            name = as_str(container.get("name"))
            for probe_name in PROBES:
                probe = as_dict(container.get(probe_name))
                for handler in PROBE_HANDLERS:
                    ref = _port_ref(as_dict(probe.get(handler)).get("port"))
                    if ref is None:
                        continue
                    field = f"{path}.{probe_name}.{handler}.port"
                    finding = _probe_finding(
                        ctx, template, field, name, ref, ports, containers, path
                    )
                    if finding is not None:
                        yield finding


def _probe_finding(
    ctx: Context,
    template: PodTemplate,
    field: str,
    container: str,
    ref: int | str,
    ports: list[ContainerPort],
    containers: list[tuple[str, dict[str, Any]]],
    path: str,
) -> Finding | None:
    doc = template.owner
    declared = ", ".join(f"{p.number}" + (f" ({p.name})" if p.name else "") for p in ports)
    if isinstance(ref, str):
        # A named probe port resolves only against this container's own ports: an unknown
        # name makes the probe fail every time (the container never becomes ready, or is
        # restarted in a loop), so it is an error.
        if any(p.name == ref for p in ports):
            return None
        return ctx.finding(
            doc,
            Severity.ERROR,
            "probe-port",
            f"{field} names port {ref!r} but container {container} declares no port of that"
            f" name (declared: {declared or 'none'}): use one of its port names or the port"
            f" number, or add a containerPort named {ref}",
        )
    # Kubernetes probes a numeric port whether or not it is declared as a containerPort. So an
    # undeclared number is only suspicious when the container declares ports at all (then the
    # probe most likely checks the wrong port): a warning. A container that declares no ports
    # gives nothing to compare with, and is left alone.
    if not ports or any(p.number == ref for p in ports):
        return None
    elsewhere = [
        as_str(c.get("name"))
        for other_path, c in containers
        if other_path != path and any(p.number == ref for p in _container_ports(c))
    ]
    note = (
        f"; {ref} is declared by container {', '.join(elsewhere)}, so this probe checks another"
        f" container"
        if elsewhere
        else ""
    )
    return ctx.finding(
        doc,
        Severity.WARNING,
        "probe-port",
        f"{field} probes port {ref}, which container {container} does not declare (declared:"
        f" {declared}){note}: probe the port the application listens on, or declare {ref} as a"
        f" containerPort",
    )


# --------------------------------------------------------------------------------------------
# ingress-backend
# --------------------------------------------------------------------------------------------


def _ingress_backends(doc: Document) -> Iterator[tuple[str, dict[str, Any]]]:
    default = as_dict(dig(doc.spec, "defaultBackend", "service"))
    if default:
        yield "spec.defaultBackend.service", default
    for i, rule in enumerate(as_list(doc.spec.get("rules"))):
        for j, path in enumerate(as_list(dig(rule, "http", "paths"))):
            service = as_dict(dig(path, "backend", "service"))
            if service:
                yield f"spec.rules[{i}].http.paths[{j}].backend.service", service


def _ingresses(ctx: Context) -> Iterator[Finding]:
    for doc in ctx.index.of_kind("Ingress"):
        if doc.api_version != "networking.k8s.io/v1":
            continue  # older Ingress APIs are gone since Kubernetes 1.22 (the schema rules say so)
        for field, backend in _ingress_backends(doc):
            name = as_str(backend.get("name"))
            if not name:
                continue
            ns = doc.namespace
            service = ctx.index.get("Service", ns, name)
            external = ctx.externals.get(("Service", ns, name))
            if service is None and external is None:
                charts = _chart_apps_in(ctx, ns)
                made_by = (
                    f" (if the Helm chart of {', '.join(charts)} creates it, declare it)"
                    if charts
                    else ""
                )
                yield ctx.unresolved(
                    doc,
                    "ingress-backend",
                    f"{field} names Service {name}, which is not in namespace {ns or '(none)'}"
                    f" (an Ingress can only reach Services of its own namespace): fix the name,"
                    f" add the Service to the tree,"
                    f" {ctx.declare_external('Service', ns, name)}{made_by}",
                )
                continue
            port = as_dict(backend.get("port"))
            ref = _port_ref(port.get("number")) or _port_ref(port.get("name"))
            if ref is None:
                continue
            if service is not None:
                served = [p for p in as_list(service.spec.get("ports")) if isinstance(p, dict)]
                if not served:
                    continue
                numbers = {p.get("port") for p in served if isinstance(p.get("port"), int)}
                names = {p["name"] for p in served if isinstance(p.get("name"), str) and p["name"]}
                offered = ", ".join(
                    f"{p.get('port')}" + (f" ({p.get('name')})" if p.get("name") else "")
                    for p in served
                )
            else:
                assert external is not None
                if not external.ports or isinstance(ref, str):
                    continue  # nothing declared to compare with (externals list numbers only)
                numbers, names = set(external.ports), set()
                offered = ", ".join(str(p) for p in external.ports)
            if ref in (numbers if isinstance(ref, int) else names):
                continue
            yield ctx.finding(
                doc,
                Severity.ERROR,
                "ingress-backend",
                f"{field} sends traffic to {_describe_port(ref)} of Service {name}, which serves"
                f" only {offered}: use one of the Service's ports (its port or port name, not"
                f" the container's targetPort)",
            )


# --------------------------------------------------------------------------------------------
# configmap-ref, secret-ref
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    """Something that makes a ConfigMap or Secret exist (or adds keys to one)."""

    what: str  # e.g. "ExternalSecret backend/db (backend/es.yaml:3)"
    keys: frozenset[str] | None  # None: any key may be there
    creates: bool = True


class Sources:
    """Who provides which ConfigMaps and Secrets, by (namespace, name)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.secrets: dict[tuple[str, str], list[Provider]] = defaultdict(list)
        self.any_namespace_secrets: dict[str, list[Provider]] = defaultdict(list)
        self._collect_secrets()

    def _describe(self, doc: Document) -> str:
        return f"{doc.resource} ({_where(self.ctx, doc)})"

    def _collect_secrets(self) -> None:
        ctx = self.ctx
        for doc in ctx.index.of_kind("Secret"):
            if doc.group != CORE:
                continue
            if doc.data.get("type") == "kubernetes.io/service-account-token":
                keys = None  # filled in by the token controller
            else:
                keys = frozenset(as_dict(doc.data.get("data"))) | frozenset(
                    as_dict(doc.data.get("stringData"))
                )
            self.secrets[(doc.namespace, doc.name)].append(Provider(self._describe(doc), keys))
        for doc in ctx.index.of_kind("ExternalSecret"):
            if doc.group != "external-secrets.io":
                continue
            target = as_dict(doc.spec.get("target"))
            name = as_str(target.get("name")) or doc.name
            policy = as_str(target.get("creationPolicy")) or "Owner"
            self.secrets[(doc.namespace, name)].append(
                Provider(
                    self._describe(doc),
                    _external_secret_keys(doc.spec),
                    creates=policy in CREATING_POLICIES,
                )
            )
        for doc in ctx.index.of_kind("ClusterExternalSecret"):
            # It stamps an ExternalSecret into each selected namespace; only an explicit
            # namespace list is followed, selectors count as "any namespace".
            if doc.group != "external-secrets.io":
                continue
            es_spec = as_dict(doc.spec.get("externalSecretSpec"))
            target = as_dict(es_spec.get("target"))
            name = (
                as_str(target.get("name")) or as_str(doc.spec.get("externalSecretName")) or doc.name
            )
            policy = as_str(target.get("creationPolicy")) or "Owner"
            provider = Provider(
                self._describe(doc),
                _external_secret_keys(es_spec),
                creates=policy in CREATING_POLICIES,
            )
            namespaces = [n for n in as_list(doc.spec.get("namespaces")) if isinstance(n, str)]
            if namespaces and not doc.spec.get("namespaceSelector"):
                for ns in namespaces:
                    self.secrets[(ns, name)].append(provider)
            else:
                self.any_namespace_secrets[name].append(provider)
        for doc in ctx.index.of_kind("Certificate"):  # cert-manager writes the TLS Secret
            secret_name = as_str(doc.spec.get("secretName"))
            if doc.group == "cert-manager.io" and secret_name:
                self.secrets[(doc.namespace, secret_name)].append(
                    Provider(self._describe(doc), frozenset({"tls.crt", "tls.key", "ca.crt"}))
                )
        for doc in ctx.index.of_kind("SealedSecret"):  # the sealed-secrets controller unseals it
            if doc.group != "bitnami.com":
                continue
            name = as_str(dig(doc.spec, "template", "metadata", "name")) or doc.name
            keys = frozenset(as_dict(doc.spec.get("encryptedData"))) | frozenset(
                as_dict(dig(doc.spec, "template", "data"))
            )
            self.secrets[(doc.namespace, name)].append(Provider(self._describe(doc), keys))

    def providers(self, kind: str, namespace: str, name: str) -> list[Provider]:
        ctx = self.ctx
        found: list[Provider] = []
        if kind == "ConfigMap":
            for doc in ctx.index.by_key.get(("ConfigMap", namespace, name), []):
                if doc.group != CORE:
                    continue
                keys = frozenset(as_dict(doc.data.get("data"))) | frozenset(
                    as_dict(doc.data.get("binaryData"))
                )
                found.append(Provider(self._describe(doc), keys))
            if name == ROOT_CA_CONFIGMAP:
                found.append(Provider("the cluster (in every namespace)", ROOT_CA_KEYS))
        else:
            found.extend(self.secrets.get((namespace, name), []))
            found.extend(self.any_namespace_secrets.get(name, []))
        external = ctx.externals.get((kind, namespace, name))
        if external is not None:
            declared = frozenset(external.keys) if external.keys else None
            found.append(Provider(f"the declared external {kind} {namespace}/{name}", declared))
        return found


def _external_secret_keys(spec: Mapping[str, Any]) -> frozenset[str] | None:
    """The keys of the Secret an ExternalSecret writes (None: cannot tell, any key)."""
    if spec.get("dataFrom"):
        return None  # keys come from the provider
    data_keys = frozenset(
        as_str(item.get("secretKey"))
        for item in as_list(spec.get("data"))
        if isinstance(item, dict) and as_str(item.get("secretKey"))
    )
    template = as_dict(dig(spec, "target", "template"))
    if not template:
        return data_keys
    if template.get("templateFrom"):
        return None
    template_keys = frozenset(str(k) for k in as_dict(template.get("data")))
    if not template_keys:
        return data_keys
    if template.get("mergePolicy") == "Merge":
        return template_keys | data_keys
    return template_keys


def _pod_references(ctx: Context) -> Iterator[Finding]:
    sources = Sources(ctx)
    for template in ctx.index.pod_templates:
        for ref in pod_refs(template):
            if ref.optional or not ref.name:
                continue  # the pod starts without an optional one (ctx.unresolved: info at most)
            finding = _reference_finding(ctx, sources, template, ref)
            if finding is not None:
                yield finding


def _reference_finding(
    ctx: Context, sources: Sources, template: PodTemplate, ref: Ref
) -> Finding | None:
    ns = template.namespace
    rule = "configmap-ref" if ref.kind == "ConfigMap" else "secret-ref"
    providers = sources.providers(ref.kind, ns, ref.name)
    doc = template.owner
    if not any(p.creates for p in providers):
        if ref.kind == "ConfigMap":
            makers = "add the ConfigMap to the tree"
        else:
            makers = "add a Secret, or an ExternalSecret whose target is this name,"
        adds = [p.what for p in providers]
        also = f" ({', '.join(adds)} only merges keys into it)" if adds else ""
        return ctx.unresolved(
            doc,
            rule,
            f"{ref.field} uses {ref.kind} {ref.name}, which nothing creates in namespace"
            f" {ns or '(none)'}{also}, so the pod cannot start: fix the name, {makers}"
            f" {ctx.declare_external(ref.kind, ns, ref.name)}, or mark the reference"
            f" optional: true",
        )
    if any(p.keys is None for p in providers):
        return None
    have = frozenset().union(*(p.keys or frozenset() for p in providers))
    missing = [k for k in ref.keys if k not in have]
    if not missing:
        return None
    by = "; ".join(p.what for p in providers)
    return ctx.finding(
        doc,
        Severity.ERROR,
        rule,
        f"{ref.field} needs key {', '.join(missing)} of {ref.kind} {ref.name}, which {by}"
        f" does not provide (it has: {', '.join(sorted(have)) or 'no keys'}): use one of those"
        f" keys, add the key where the {ref.kind} is made, or mark the reference optional: true",
    )


# --------------------------------------------------------------------------------------------
# service-account-ref
# --------------------------------------------------------------------------------------------


def _service_account_refs(data: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every ``serviceAccountRef`` mapping under ``data`` (any secret store provider)."""
    if isinstance(data, dict):
        for key, value in data.items():
            sub = f"{path}.{key}"
            if key == "serviceAccountRef" and isinstance(value, dict):
                yield sub, value
            else:
                yield from _service_account_refs(value, sub)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _service_account_refs(value, f"{path}[{i}]")


def _service_accounts(ctx: Context) -> Iterator[Finding]:
    for template in ctx.index.pod_templates:
        spec = template.spec
        key = "serviceAccountName" if spec.get("serviceAccountName") else "serviceAccount"
        name = as_str(spec.get(key))
        if not name or name == "default":  # every namespace has the default ServiceAccount
            continue
        if ctx.exists("ServiceAccount", template.namespace, name):
            continue
        yield ctx.unresolved(
            template.owner,
            "service-account-ref",
            f"{template.path}.{key} is {name}, but there is no ServiceAccount {name} in"
            f" namespace {template.namespace or '(none)'}, so the pods are never created: add"
            f" the ServiceAccount to the tree, fix the name,"
            f" {ctx.declare_external('ServiceAccount', template.namespace, name)}",
        )
    for doc in ctx.index.of_kind("SecretStore", "ClusterSecretStore"):
        if doc.group != "external-secrets.io":
            continue
        for field, ref in _service_account_refs(doc.spec.get("provider"), "spec.provider"):
            name = as_str(ref.get("name"))
            ns = as_str(ref.get("namespace")) or doc.namespace
            if not name or (doc.kind == "ClusterSecretStore" and not ns):
                # A ClusterSecretStore without a namespace uses the ExternalSecret's namespace.
                continue
            if ctx.exists("ServiceAccount", ns, name):
                continue
            yield ctx.unresolved(
                doc,
                "service-account-ref",
                f"{field} names ServiceAccount {name}, which is not in namespace {ns}, so the"
                f" store cannot authenticate: add the ServiceAccount to the tree, fix the name,"
                f" {ctx.declare_external('ServiceAccount', ns, name)}",
            )


# --------------------------------------------------------------------------------------------
# secret-store-ref
# --------------------------------------------------------------------------------------------


def _store_refs(doc: Document) -> Iterator[tuple[str, dict[str, Any]]]:
    ref = as_dict(doc.spec.get("secretStoreRef"))
    if ref:
        yield "spec.secretStoreRef", ref
    for section in ("data", "dataFrom"):
        for i, item in enumerate(as_list(doc.spec.get(section))):
            store = as_dict(dig(item, "sourceRef", "storeRef"))
            if store:
                yield f"spec.{section}[{i}].sourceRef.storeRef", store


def _secret_stores(ctx: Context) -> Iterator[Finding]:
    for doc in ctx.index.of_kind("ExternalSecret"):
        if doc.group != "external-secrets.io":
            continue
        for field, ref in _store_refs(doc):
            name = as_str(ref.get("name"))
            kind = as_str(ref.get("kind")) or "SecretStore"
            if not name or kind not in ("SecretStore", "ClusterSecretStore"):
                continue
            ns = doc.namespace if kind == "SecretStore" else ""
            if ctx.exists(kind, ns, name):
                continue
            where = f"namespace {ns or '(none)'}" if kind == "SecretStore" else "the cluster"
            other = "ClusterSecretStore" if kind == "SecretStore" else "SecretStore"
            other_ns = "" if kind == "SecretStore" else doc.namespace
            hint = (
                f" (there is a {other} {name}: set {field}.kind: {other})"
                if ctx.exists(other, other_ns, name)
                else ""
            )
            yield ctx.unresolved(
                doc,
                "secret-store-ref",
                f"{field} names {kind} {name}, which is not in {where}{hint}, so the Secret is"
                f" never synced: fix the name or kind, add the {kind} to the tree,"
                f" {ctx.declare_external(kind, ns, name)}",
            )


# --------------------------------------------------------------------------------------------
# networkpolicy-selects-nothing, networkpolicy-namespace-label, networkpolicy-namespace-unknown
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Namespaces:
    labels: dict[str, set[str]]  # label key -> values some namespace of the tree carries
    known: frozenset[str]  # namespaces something in the tree targets (or every cluster has)


def _namespaces(ctx: Context) -> Namespaces:
    labels: dict[str, set[str]] = defaultdict(set)

    def carry(found: Any) -> None:
        for key, value in as_dict(found).items():
            labels[str(key)].add(label_text(value))

    known: set[str] = set(BUILTIN_NAMESPACES)
    for doc in ctx.index.of_kind("Namespace"):
        if doc.group != CORE:
            continue
        known.add(doc.name)
        carry(doc.labels)
    for app in ctx.tree.applications:
        if app.namespace:
            known.add(app.namespace)
        # With CreateNamespace=true, Argo CD puts these labels on the destination namespace.
        carry(dig(app.document, "spec", "syncPolicy", "managedNamespaceMetadata", "labels"))
    known.update(doc.namespace for doc in ctx.tree.documents if doc.namespace)
    known.update(ext.namespace for ext in ctx.externals.values() if ext.namespace)
    return Namespaces(dict(labels), frozenset(known))


def _peers(doc: Document) -> Iterator[tuple[str, dict[str, Any]]]:
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(as_list(doc.spec.get(direction))):
            for j, peer in enumerate(as_list(as_dict(rule).get(peers_key))):
                selector = as_dict(peer).get("namespaceSelector")
                if isinstance(selector, dict):
                    yield f"spec.{direction}[{i}].{peers_key}[{j}].namespaceSelector", selector


def _network_policies(ctx: Context) -> Iterator[Finding]:
    namespaces: Namespaces | None = None
    for doc in ctx.index.of_kind("NetworkPolicy"):
        if doc.group != "networking.k8s.io":
            continue  # e.g. Calico's NetworkPolicy, which selects differently
        selector = parse_selector(doc.spec.get("podSelector"))
        if (
            selector is not None
            and not selector.empty
            and not _templates_matching(ctx, doc.namespace, selector)
        ):
            yield ctx.finding(
                doc,
                Severity.WARNING,
                "networkpolicy-selects-nothing",
                f"spec.podSelector of NetworkPolicy {doc.name} selects {selector}, but no pod"
                f" template in namespace {doc.namespace or '(none)'} has those labels, so the"
                f" policy protects nothing: fix the podSelector or the pod labels",
            )
        for field, raw in _peers(doc):
            peer = parse_selector(raw)
            if peer is None:
                continue
            if namespaces is None:
                namespaces = _namespaces(ctx)
            yield from _namespace_selector(ctx, doc, field, peer, namespaces)


def _namespace_selector(
    ctx: Context, doc: Document, field: str, selector: Selector, namespaces: Namespaces
) -> Iterator[Finding]:
    for req in selector.requirements:
        if req.operator in ("NotIn", "DoesNotExist"):
            continue  # these hold for namespaces without the label: nothing to look for
        if req.key == NAMESPACE_NAME_LABEL:
            # Kubernetes sets this label on every namespace, to the namespace's name.
            if req.operator != "In":
                continue
            for name in sorted(req.values - namespaces.known):
                yield ctx.finding(
                    doc,
                    Severity.WARNING,
                    "networkpolicy-namespace-unknown",
                    f"{field} selects namespace {name}, which nothing in the tree deploys to"
                    f" (no Namespace manifest, no resource, no Application destination): check"
                    f" the name for a typo; if the namespace is made outside this tree, waive"
                    f" this with the annotation"
                    f" ignore-check.gigrouter.io/networkpolicy-namespace-unknown and a reason",
                )
            continue
        carried = namespaces.labels.get(req.key)
        if carried and (req.operator == "Exists" or carried & req.values):
            continue
        if req.operator == "Exists":
            want = f"label {req.key}"
        else:
            want = f"label {req.key} with value {' or '.join(sorted(req.values))}"
        yield ctx.finding(
            doc,
            Severity.ERROR,
            "networkpolicy-namespace-label",
            f"{field} requires {want}, but no namespace of the tree carries it (only"
            f" {NAMESPACE_NAME_LABEL} is set automatically), so the rule matches no namespace:"
            f" select by {NAMESPACE_NAME_LABEL}: <namespace>, or add the label to a Namespace"
            f" manifest (or to the Application's syncPolicy.managedNamespaceMetadata.labels)",
        )

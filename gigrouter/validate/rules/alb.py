"""AWS Load Balancer Controller: Ingress groups that share one ALB.

Ingresses with the same ``alb.ingress.kubernetes.io/group.name`` become one ALB. The controller
merges their rules in group order and refuses to build the group when members disagree on an
"Exclusive" annotation. These checks look at the whole group at once, including Ingresses a
Helm chart will render from a values file (``grafana.ingress`` and the like): those appear as
*virtual members* located at the values file.

Facts used here come from the controller's annotation reference
(kubernetes-sigs/aws-load-balancer-controller ``docs/guide/ingress/annotations.md``) and its
Ingress model builder (``pkg/ingress/group_loader.go``, ``model_build_listener.go``,
``model_build_listener_rules.go``, ``model_build_load_balancer*.go``), summarised in section 4
of the shared Argo CD notes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import yaml

from gigrouter import safeyaml
from gigrouter.helm import grafana_fullname, helm_trunc
from gigrouter.validate.context import Context, dig
from gigrouter.validate.findings import Finding, Resource, Severity
from gigrouter.validate.tree import AppInfo, Document

RULES: dict[str, str] = {
    "alb-exclusive-conflict": (
        "Members of one ALB ingress group set an Exclusive annotation to different values."
    ),
    "alb-https-listener-missing": (
        "The group redirects HTTP to HTTPS but a member does not listen on that HTTPS port."
    ),
    "alb-duplicate-route": "Two rules of one ALB ingress group claim the same host and path.",
    "alb-shadowed-path": (
        "A catch-all path evaluated earlier in the group hides a more specific path of one host."
    ),
    "alb-order-implicit": (
        "A catch-all and a more specific path of one host are ordered only by the Ingress names."
    ),
    "ingress-class-missing": "An Ingress with ALB annotations has no spec.ingressClassName.",
    "ingress-class-annotation-deprecated": (
        "An ALB Ingress uses the deprecated kubernetes.io/ingress.class annotation."
    ),
    "alb-invalid-annotation": "An ALB annotation has a value the controller rejects.",
    "alb-annotations-ignored": (
        "An Ingress another controller serves (nginx, Traefik, ...) carries ALB annotations."
    ),
    "alb-scheme-default": (
        "No member of an ALB ingress group sets a scheme, so the ALB is internal (the default)."
    ),
}

PREFIX = "alb.ingress.kubernetes.io/"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
ALB_CONTROLLER = "ingress.k8s.aws/alb"
DEFAULT_ALB_CLASS = "alb"  # the IngressClass the chart creates (ingressClass: alb)
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
# Ingress classes of other controllers, never the ALB's whatever the tree says (their usual
# IngressClass controller, or what serves the class when it has none, like GKE's gce).
OTHER_CLASSES: dict[str, str] = {
    "nginx": "k8s.io/ingress-nginx",
    "ingress-nginx": "k8s.io/ingress-nginx",
    "nginx-internal": "k8s.io/ingress-nginx",
    "traefik": "traefik.io/ingress-controller",
    "haproxy": "haproxy.org/ingress-controller/haproxy",
    "kong": "ingress-controllers.konghq.com/kong",
    "contour": "projectcontour.io/ingress-controller",
    "istio": "istio.io/ingress-controller",
    "cilium": "io.cilium/ingress-controller",
    "ambassador": "getambassador.io/ingress-controller",
    "gce": "GKE Ingress",
    "gce-internal": "GKE Ingress",
    "azure-application-gateway": "azure/application-gateway",
    "webapprouting.kubernetes.azure.com": "webapprouting.kubernetes.azure.com/nginx",
    "openshift-default": "openshift.io/ingress-to-route",
}

# Annotations whose MergeBehavior is "Exclusive" in the controller's annotation table
# (kubernetes-sigs/aws-load-balancer-controller docs/guide/ingress/annotations.md, v3.0.0;
# see also ARGOCD-NOTES.md section 4.1). They must be set on one member only or with the same
# value on all members. listen-ports, certificate-arn, tags and listener-attributes.* merge.
EXCLUSIVE_ANNOTATIONS: tuple[str, ...] = (
    "load-balancer-name",
    "ip-address-type",
    "scheme",
    "subnets",
    "security-groups",
    "manage-backend-security-group-rules",
    "customer-owned-ipv4-pool",
    "load-balancer-attributes",
    "wafv2-acl-arn",
    "waf-acl-id",
    "shield-advanced-protection",
    "ssl-redirect",
    "inbound-cidrs",
    "ssl-policy",
    "mutual-authentication",
    "ipam-ipv4-pool-id",
)
# How the controller compares values of some Exclusive annotations.
_UNORDERED_LISTS = frozenset({"subnets"})  # compared ignoring order (IgnoreStringSliceOrder)
_ORDERED_LISTS = frozenset({"security-groups", "inbound-cidrs"})
_BOOLEANS = frozenset({"manage-backend-security-group-rules", "shield-advanced-protection"})
_JSON = frozenset({"mutual-authentication"})
_PER_KEY_MAP = "load-balancer-attributes"  # merged per key; only the same key may not differ

GROUP_ORDER_MIN, GROUP_ORDER_MAX = -1000, 1000
_GROUP_NAME = re.compile(r"^([a-z0-9][-a-z0-9.]*)?[a-z0-9]$")
_GROUP_NAME_MAX = 63
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
SCHEMES = ("internet-facing", "internal")
TARGET_TYPES = ("ip", "instance")
PROTOCOLS = ("HTTP", "HTTPS")
CATCH_ALL_PATTERN = "/*"

# kube-prometheus-stack and grafana chart naming (ARGOCD-NOTES.md section 6).
KPS_CHART = "kube-prometheus-stack"
KPS_FULLNAME_MAX = 26
KPS_COMPONENTS = ("prometheus", "alertmanager")


@dataclass(frozen=True)
class Route:
    """One path of one Ingress rule, as the ALB listener rule will match it."""

    host: str  # lower-case; "" matches every host
    path: str
    path_type: str
    patterns: frozenset[str]  # the ALB path patterns the controller builds

    @property
    def catch_all(self) -> bool:
        return CATCH_ALL_PATTERN in self.patterns or "*" in self.patterns

    def show(self) -> str:
        host = self.host or "<any host>"
        return f"{host}{self.path or '/'} ({self.path_type})"


@dataclass
class Member:
    """An Ingress of an ALB group: a manifest, or one a chart renders from a values file."""

    file: str
    line: int
    namespace: str
    name: str
    annotations: dict[str, str]
    class_name: str | None
    routes: list[Route]
    doc: Document | None = None
    values_key: str | None = None  # e.g. "grafana" for grafana.ingress in a values file
    resource: Resource | None = None
    order: int = 0
    ports: dict[int, str] | None = field(default=None)  # port -> protocol; None: unparseable

    @property
    def ident(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def label(self) -> str:
        if self.values_key is not None:
            return (
                f"Ingress {self.ident} (rendered by the chart from {self.values_key}.ingress "
                f"in {self.file})"
            )
        return f"Ingress {self.ident} ({self.file})"

    def where(self, annotation: str) -> str:
        """Where to change an annotation of this member, for fix hints."""
        if self.values_key is not None:
            return f"{self.values_key}.ingress.annotations['{PREFIX}{annotation}'] in {self.file}"
        return f"annotation {PREFIX}{annotation} of {self.label}"

    def alb(self, name: str) -> str | None:
        return self.annotations.get(PREFIX + name)

    def sort_key(self) -> tuple[int, str]:
        return (self.order, self.ident)

    def finding(self, severity: Severity, rule: str, message: str) -> Finding:
        resource = self.doc.resource if self.doc is not None else self.resource
        return Finding(severity, rule, message, self.file, self.line, resource)


# --------------------------------------------------------------------------- parsing helpers


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _annotations(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): _text(v) for k, v in raw.items()}


def parse_int(value: str) -> int | None:
    text = value.strip()
    return int(text) if _INTEGER.fullmatch(text) else None


def parse_listen_ports(value: str) -> tuple[dict[int, str] | None, str]:
    """The ports of a listen-ports annotation, or (None, why it is invalid)."""
    try:
        entries = json.loads(value)
    except json.JSONDecodeError as exc:
        return None, f"it is not valid JSON ({exc.msg})"
    if not isinstance(entries, list) or not entries:
        return None, "it must be a non-empty JSON list"
    ports: dict[int, str] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not entry:
            return None, f'entry {json.dumps(entry)} is not an object like {{"HTTPS": 443}}'
        for protocol, port in entry.items():
            if protocol not in PROTOCOLS:
                return None, f"protocol {protocol!r} must be HTTP or HTTPS (upper case)"
            if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
                return None, f"port {json.dumps(port)} must be an integer from 1 to 65535"
            ports[port] = protocol
    return ports, ""


def default_ports(annotations: dict[str, str]) -> dict[int, str]:
    """listen-ports when the annotation is absent: HTTPS 443 with a certificate, else HTTP 80."""
    certs = [c for c in annotations.get(PREFIX + "certificate-arn", "").split(",") if c.strip()]
    return {443: "HTTPS"} if certs else {80: "HTTP"}


def path_patterns(path: str, path_type: str) -> frozenset[str]:
    """The ALB path-pattern values the controller builds for an Ingress path."""
    if not path:
        return frozenset({CATCH_ALL_PATTERN})
    if path_type == "Prefix":
        if path == "/":
            return frozenset({CATCH_ALL_PATTERN})
        trimmed = path.rstrip("/") or "/"
        return frozenset({trimmed, trimmed + "/*"})
    return frozenset({path})  # Exact and ImplementationSpecific are used as written


def host_covers(wide: str, narrow: str) -> bool:
    """Whether every request for host ``narrow`` also matches host condition ``wide``."""
    if not wide or wide == narrow:
        return True
    return wide.startswith("*") and narrow.endswith(wide[1:]) and bool(narrow)


def _route(host: Any, path: Any, path_type: Any) -> Route:
    host_s = _text(host).strip().lower()
    path_s = _text(path).strip()
    type_s = _text(path_type).strip() or "ImplementationSpecific"
    return Route(host_s, path_s, type_s, path_patterns(path_s, type_s))


def ingress_routes(spec: dict[str, Any]) -> list[Route]:
    routes: list[Route] = []
    rules = spec.get("rules")
    if not isinstance(rules, list):
        return routes
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        paths = dig(rule, "http", "paths")
        if not isinstance(paths, list):
            continue
        for item in paths:
            if isinstance(item, dict):
                routes.append(_route(rule.get("host"), item.get("path"), item.get("pathType")))
    return routes


# --------------------------------------------------------------------------- group building


@dataclass(frozen=True)
class Classes:
    """The IngressClasses of the tree: name -> controller, and the default class if one is."""

    controllers: dict[str, str]
    default: tuple[str, str] | None  # (name, controller) of the default IngressClass


def ingress_classes(ctx: Context) -> Classes:
    controllers: dict[str, str] = {}
    default: tuple[str, str] | None = None
    for doc in ctx.index.of_kind("IngressClass"):
        controller = _text(doc.spec.get("controller")).strip()
        controllers[doc.name] = controller
        if _text(doc.annotations.get(DEFAULT_CLASS_ANNOTATION)).strip().lower() == "true":
            default = (doc.name, controller)
    return Classes(controllers, default)


def other_controller(
    annotations: dict[str, str], class_name: str | None, classes: Classes
) -> str | None:
    """None when the ALB controller reconciles this Ingress; otherwise a description of the
    controller that does (``the nginx controller``), for messages.

    The class is the legacy kubernetes.io/ingress.class annotation when present (it wins over
    spec.ingressClassName), else spec.ingressClassName. A class names the ALB controller when
    the tree's IngressClass of that name has controller ingress.k8s.aws/alb, or when it is
    ``alb`` and the tree has no IngressClass of that name (the chart creates it). An Ingress
    without a class is ALB only when it carries ALB annotations and no default IngressClass
    of another controller takes it."""
    legacy = annotations.get(CLASS_ANNOTATION)
    name = legacy.strip() if legacy is not None else (class_name or "").strip()
    if name:
        controller = classes.controllers.get(name)
        if name in OTHER_CLASSES:
            return f"the {name} controller ({controller or OTHER_CLASSES[name]})"
        if controller is not None:
            if controller == ALB_CONTROLLER:
                return None
            return f"the {name} controller ({controller or 'no controller'})"
        if name == DEFAULT_ALB_CLASS:
            return None
        return f"the {name} controller"
    if classes.default is not None and classes.default[1] != ALB_CONTROLLER:
        default, controller = classes.default
        return f"the {default} controller (the default IngressClass, {controller})"
    if any(key.startswith(PREFIX) for key in annotations):
        return None
    return "no ALB controller (the Ingress names no class)"


def is_alb(annotations: dict[str, str], class_name: str | None, classes: Classes) -> bool:
    """Whether the ALB controller will reconcile this Ingress (as the controller classifies it)."""
    return other_controller(annotations, class_name, classes) is None


def _doc_members(ctx: Context, classes: Classes) -> Iterator[tuple[Member, str | None]]:
    for doc in ctx.index.of_kind("Ingress"):
        annotations = _annotations(doc.metadata.get("annotations"))
        class_name = doc.spec.get("ingressClassName")
        class_s = class_name if isinstance(class_name, str) and class_name else None
        member = Member(
            file=doc.file,
            line=doc.line,
            namespace=doc.namespace,
            name=doc.name,
            annotations=annotations,
            class_name=class_s,
            routes=ingress_routes(doc.spec),
            doc=doc,
        )
        yield member, other_controller(annotations, class_s, classes)


def _values_apps(ctx: Context, file: str) -> list[AppInfo]:
    apps = [app for app in ctx.tree.applications if file in app.value_files]
    if apps:
        return apps
    declared = ctx.tree.metadata.get("valuesFiles")
    names: set[str] = set()
    if isinstance(declared, list):
        names = {
            str(v.get("application"))
            for v in declared
            if isinstance(v, dict) and v.get("path") == file
        }
    return [app for app in ctx.tree.applications if app.name in names]


def release_name(app: AppInfo) -> str:
    """The Helm release name: the chart source's helm.releaseName, else the app name."""
    spec = app.document.get("spec")
    sources: list[Any] = []
    if isinstance(spec, dict):
        if isinstance(spec.get("sources"), list):
            sources = spec["sources"]
        elif isinstance(spec.get("source"), dict):
            sources = [spec["source"]]
    for src in sources:
        if isinstance(src, dict) and "chart" in src:
            name = dig(src, "helm", "releaseName")
            if isinstance(name, str) and name:
                return name
    return app.name


def kps_fullname(release: str, values: dict[str, Any]) -> str:
    """kube-prometheus-stack.fullname (templates/_helpers.tpl, 58.5.0)."""
    override = values.get("fullnameOverride")
    if isinstance(override, str) and override:
        return helm_trunc(override, KPS_FULLNAME_MAX)
    chart = values.get("nameOverride") if isinstance(values.get("nameOverride"), str) else ""
    chart = chart or KPS_CHART
    if chart in release:
        return helm_trunc(release, KPS_FULLNAME_MAX)
    return helm_trunc(f"{release}-{chart}", KPS_FULLNAME_MAX)


def key_line(text: str, key: str) -> int:
    """The line of ``<key>:`` then its child ``ingress:`` in a values file (1 when not found)."""
    lines = text.splitlines()
    top = re.compile(rf"^['\"]?{re.escape(key)}['\"]?\s*:")
    start = next((i for i, line in enumerate(lines) if top.match(line)), None)
    if start is None:
        return 1
    indent: int | None = None
    for i in range(start + 1, len(lines)):
        line = lines[i]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        current = len(line) - len(line.lstrip())
        if current == 0:
            break
        if indent is None:
            indent = current
        if current == indent and re.match(r"^['\"]?ingress['\"]?\s*:", stripped):
            return i + 1
    return start + 1


def _enabled(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _chart_routes(key: str, ingress: dict[str, Any]) -> list[Route]:
    """The rules a chart renders from ``<key>.ingress`` (grafana, kube-prometheus-stack style)."""
    default_type = "Prefix" if key == "grafana" else "ImplementationSpecific"
    path_type = _text(ingress.get("pathType")) or default_type
    plain: list[tuple[str, str]] = []
    extra = ingress.get("extraPaths")
    if isinstance(extra, list):
        plain.extend(
            (_text(p.get("path")), _text(p.get("pathType")) or path_type)
            for p in extra
            if isinstance(p, dict)
        )
    paths = ingress.get("paths")
    if isinstance(paths, list) and paths:
        for p in paths:
            if isinstance(p, dict):
                plain.append((_text(p.get("path")), _text(p.get("pathType")) or path_type))
            else:
                plain.append((_text(p), path_type))
    else:
        path = ingress.get("path")
        plain.append((_text(path) if path is not None else "/", path_type))
    hosts = ingress.get("hosts")
    routes: list[Route] = []
    if not isinstance(hosts, list) or not hosts:
        return [_route("", p, t) for p, t in plain]
    for host in hosts:
        if isinstance(host, dict):  # hosts: [{host: x, paths: [...]}] (generic chart layout)
            own = host.get("paths")
            own_paths = (
                [
                    (_text(p.get("path")), _text(p.get("pathType")) or path_type)
                    if isinstance(p, dict)
                    else (_text(p), path_type)
                    for p in own
                ]
                if isinstance(own, list) and own
                else plain
            )
            routes.extend(_route(host.get("host"), p, t) for p, t in own_paths)
        else:
            routes.extend(_route(host, p, t) for p, t in plain)
    return routes


@dataclass(frozen=True)
class ChartIngress:
    """``<key>.ingress`` of a values file: an Ingress the chart renders (when enabled)."""

    file: str
    line: int
    key: str
    section: dict[str, Any]
    ingress: dict[str, Any]
    values: dict[str, Any]
    apps: tuple[AppInfo, ...]


def chart_ingresses(ctx: Context) -> Iterator[ChartIngress]:
    """Every enabled ``<key>.ingress`` with hosts or annotations in the tree's values files."""
    for file in sorted(ctx.tree.values_files):
        text = ctx.tree.text(file)
        if text is None:
            continue
        try:
            values = safeyaml.load(text)  # bounded: the tree loader already reported why not
        except yaml.YAMLError:
            continue
        if not isinstance(values, dict):
            continue
        apps = tuple(_values_apps(ctx, file))
        for key, section in values.items():
            if not isinstance(section, dict):
                continue
            ingress = section.get("ingress")
            if not isinstance(ingress, dict) or not _enabled(ingress.get("enabled")):
                continue
            if "hosts" not in ingress and "annotations" not in ingress:
                continue
            yield ChartIngress(
                file, key_line(text, str(key)), str(key), section, ingress, values, apps
            )


def _values_members(ctx: Context, classes: Classes) -> Iterator[tuple[Member, str | None]]:
    for chart in chart_ingresses(ctx):
        annotations = _annotations(chart.ingress.get("annotations"))
        class_name = chart.ingress.get("ingressClassName")
        class_s = class_name if isinstance(class_name, str) and class_name else None
        other = other_controller(annotations, class_s, classes)
        targets: list[AppInfo | None] = [*chart.apps] if chart.apps else [None]
        for app in targets:
            namespace, name = virtual_identity(chart.key, chart.section, chart.values, app)
            member = Member(
                file=chart.file,
                line=chart.line,
                namespace=namespace,
                name=name,
                annotations=annotations,
                class_name=class_s,
                routes=_chart_routes(chart.key, chart.ingress),
                values_key=chart.key,
                resource=Resource("networking.k8s.io/v1", "Ingress", namespace, name),
            )
            yield member, other


def virtual_identity(
    key: str, section: dict[str, Any], values: dict[str, Any], app: AppInfo | None
) -> tuple[str, str]:
    """(namespace, name) of the Ingress the chart of ``app`` renders from ``<key>.ingress``."""
    namespace = app.namespace if app is not None else ""
    if app is None:
        return namespace, f"{key}-ingress"
    release = release_name(app)
    if key == "grafana":
        override = section.get("namespaceOverride")
        if isinstance(override, str) and override:
            namespace = override
        return namespace, grafana_fullname(release, section)
    if KPS_CHART in app.charts and key in KPS_COMPONENTS:
        override = values.get("namespaceOverride")
        if isinstance(override, str) and override:
            namespace = override
        return namespace, f"{kps_fullname(release, values)}-{key}"
    return namespace, f"{key}-ingress"


@dataclass
class Group:
    key: str  # the group.name, or "" for an implicit group of one Ingress
    members: list[Member]

    @property
    def label(self) -> str:
        return f"ALB group '{self.key}'" if self.key else "the ALB of this Ingress"


def classify(ctx: Context) -> list[tuple[Member, str | None]]:
    """Every Ingress of the tree (manifests, then chart values) with the controller that
    reconciles it instead of the ALB controller (None: the ALB controller does)."""
    classes = ingress_classes(ctx)
    return [*_doc_members(ctx, classes), *_values_members(ctx, classes)]


def collect_groups(ctx: Context) -> tuple[list[Group], list[Member]]:
    """Every ALB group with its members in evaluation order, plus all members."""
    members = [m for m, other in classify(ctx) if other is None]
    groups: dict[str, Group] = {}
    for index, member in enumerate(members):
        order = parse_int(member.alb("group.order") or "")
        member.order = order if order is not None and _order_ok(order) else 0
        raw_ports = member.alb("listen-ports")
        if raw_ports is None:
            member.ports = default_ports(member.annotations)
        else:
            member.ports = parse_listen_ports(raw_ports)[0]
        name = (member.alb("group.name") or "").strip()
        key = f"explicit:{name}" if name else f"implicit:{index}"
        groups.setdefault(key, Group(name, [])).members.append(member)
    for group in groups.values():
        group.members.sort(key=Member.sort_key)
    return list(groups.values()), members


def _order_ok(order: int) -> bool:
    return GROUP_ORDER_MIN <= order <= GROUP_ORDER_MAX


# --------------------------------------------------------------------------- checks


def check(ctx: Context) -> Iterator[Finding]:
    for member, other in classify(ctx):
        if other is not None:
            yield from _check_ignored(member, other)
    groups, members = collect_groups(ctx)
    for member in members:
        yield from _check_annotations(member)
        yield from _check_class(member)
    for group in groups:
        yield from _check_exclusive(group)
        yield from _check_https_listener(group)
        yield from _check_routes(group)
        yield from _check_scheme(group)


def _check_ignored(m: Member, controller: str) -> Iterator[Finding]:
    keys = sorted(key for key in m.annotations if key.startswith(PREFIX))
    if not keys:
        return
    where = (
        f"{m.values_key}.ingress.annotations in {m.file}"
        if m.values_key is not None
        else "metadata.annotations"
    )
    yield m.finding(
        Severity.WARNING,
        "alb-annotations-ignored",
        f"{m.label} is served by {controller}, not the AWS Load Balancer Controller, so "
        f"{controller} ignores ALB annotations: {', '.join(keys)}; remove them from {where}, "
        f"or give the Ingress the ALB's class ({DEFAULT_ALB_CLASS}) if an ALB should serve it",
    )


def _check_annotations(m: Member) -> Iterator[Finding]:
    def bad(annotation: str, problem: str, fix: str) -> Finding:
        return m.finding(
            Severity.ERROR,
            "alb-invalid-annotation",
            f"{PREFIX}{annotation}: {problem}; the controller rejects the Ingress (and its whole "
            f"group); {fix}",
        )

    order = m.alb("group.order")
    if order is not None:
        value = parse_int(order)
        if value is None or not _order_ok(value):
            yield bad(
                "group.order",
                f"{order!r} is not an integer from {GROUP_ORDER_MIN} to {GROUP_ORDER_MAX}",
                "write a quoted integer such as '10' (lower is evaluated first)",
            )
    name = m.alb("group.name")
    if name is not None and (not _GROUP_NAME.fullmatch(name) or len(name) > _GROUP_NAME_MAX):
        yield bad(
            "group.name",
            f"{name!r} is not a valid group name",
            "use at most 63 lower-case letters, digits, '-' or '.', starting and ending with a "
            "letter or digit",
        )
    ports = m.alb("listen-ports")
    if ports is not None:
        parsed, why = parse_listen_ports(ports)
        if parsed is None:
            yield bad(
                "listen-ports",
                f"{ports!r} is invalid: {why}",
                'write a JSON list such as \'[{"HTTP": 80}, {"HTTPS": 443}]\'',
            )
    redirect = m.alb("ssl-redirect")
    if redirect is not None:
        port = parse_int(redirect)
        if port is None or not 1 <= port <= 65535:
            yield bad(
                "ssl-redirect",
                f"{redirect!r} is not a port number",
                "give the HTTPS port to redirect to, e.g. '443'",
            )
    scheme = m.alb("scheme")
    if scheme is not None and scheme.strip() not in SCHEMES:
        yield bad("scheme", f"{scheme!r} is not a scheme", "use internet-facing or internal")
    target = m.alb("target-type")
    if target is not None and target.strip() not in TARGET_TYPES:
        yield bad("target-type", f"{target!r} is not a target type", "use ip or instance")


def _check_class(m: Member) -> Iterator[Finding]:
    field_hint = (
        f"{m.values_key}.ingress.ingressClassName in {m.file}"
        if m.values_key is not None
        else "spec.ingressClassName"
    )
    if CLASS_ANNOTATION in m.annotations:
        yield m.finding(
            Severity.INFO,
            "ingress-class-annotation-deprecated",
            f"{m.label} selects its controller with the deprecated {CLASS_ANNOTATION} annotation; "
            f"set {field_hint}: {m.annotations[CLASS_ANNOTATION].strip() or DEFAULT_ALB_CLASS} "
            "and remove the annotation",
        )
    elif not m.class_name:
        yield m.finding(
            Severity.WARNING,
            "ingress-class-missing",
            f"{m.label} has ALB annotations but no ingressClassName, so the ALB controller "
            "reconciles it only if 'alb' is the default IngressClass; set "
            f"{field_hint}: {DEFAULT_ALB_CLASS}",
        )


def _normalise(annotation: str, value: str) -> Any:
    text = value.strip()
    if annotation in _UNORDERED_LISTS:
        return tuple(sorted(p.strip() for p in text.split(",") if p.strip()))
    if annotation in _ORDERED_LISTS:
        return tuple(p.strip() for p in text.split(",") if p.strip())
    if annotation in _BOOLEANS:
        return text.lower()
    if annotation == "ssl-redirect":
        number = parse_int(text)
        return number if number is not None else text
    if annotation in _JSON:
        try:
            return json.dumps(json.loads(text), sort_keys=True)
        except ValueError:
            return text
    return text


def _string_map(value: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in value.split(","):
        if "=" in part:
            key, _, val = part.partition("=")
            pairs[key.strip()] = val.strip()
    return pairs


def _check_exclusive(group: Group) -> Iterator[Finding]:
    if len(group.members) < 2:
        return
    for annotation in EXCLUSIVE_ANNOTATIONS:
        if annotation == _PER_KEY_MAP:
            yield from _check_attributes(group)
            continue
        first: tuple[Member, str, Any] | None = None
        for member in group.members:
            raw = member.alb(annotation)
            if raw is None:
                continue
            value = _normalise(annotation, raw)
            if first is None:
                first = (member, raw, value)
                continue
            if value != first[2]:
                yield member.finding(
                    Severity.ERROR,
                    "alb-exclusive-conflict",
                    f"{group.label}: {PREFIX}{annotation} is {raw.strip()!r} on {member.label} "
                    f"but {first[1].strip()!r} on {first[0].label}; the annotation is Exclusive, "
                    "so the controller refuses to build the ALB; set the same value on every "
                    "member or set it on one member only",
                )


def _check_attributes(group: Group) -> Iterator[Finding]:
    annotation = _PER_KEY_MAP
    seen: dict[str, tuple[Member, str]] = {}
    for member in group.members:
        raw = member.alb(annotation)
        if raw is None:
            continue
        for key, value in _string_map(raw).items():
            if key not in seen:
                seen[key] = (member, value)
            elif seen[key][1] != value:
                other, old = seen[key]
                yield member.finding(
                    Severity.ERROR,
                    "alb-exclusive-conflict",
                    f"{group.label}: {PREFIX}{annotation} sets {key}={value} on {member.label} "
                    f"but {key}={old} on {other.label}; the controller refuses conflicting load "
                    "balancer attributes; use one value for the attribute on every member",
                )


def _check_https_listener(group: Group) -> Iterator[Finding]:
    redirects: dict[int, Member] = {}
    for member in group.members:
        port = parse_int(member.alb("ssl-redirect") or "")
        if port is not None and 1 <= port <= 65535:
            redirects.setdefault(port, member)
    for port, source in sorted(redirects.items()):
        for member in group.members:
            if member.ports is None:
                continue  # alb-invalid-annotation reports the listen-ports
            if member.ports.get(port) == "HTTPS":
                continue
            listening = ", ".join(f"{p}:{pr}" for p, pr in sorted(member.ports.items()))
            origin = "" if source is member else f" (set on {source.label})"
            yield member.finding(
                Severity.ERROR,
                "alb-https-listener-missing",
                f"{group.label} redirects every HTTP request to HTTPS port {port} through "
                f"ssl-redirect{origin}, but {member.label} listens only on {listening}; its rules "
                "are dropped from HTTP listeners and never reach HTTPS, so they are unreachable; "
                f'add {{"HTTPS": {port}}} to {member.where("listen-ports")}',
            )


def _serving_ports(member: Member, redirect: bool) -> set[int]:
    """The listener ports on which a member's rules are evaluated."""
    if member.ports is None:
        return set()
    return {p for p, proto in member.ports.items() if not (redirect and proto == "HTTP")}


RouteEntry = tuple[int, Route]  # (the member's index in the group, one of its routes)


def route_entries(group: Group) -> tuple[list[RouteEntry], list[set[int]]]:
    """Every route of the group with its member's index, and each member's listener ports."""
    redirect = any(parse_int(m.alb("ssl-redirect") or "") is not None for m in group.members)
    ports = [_serving_ports(m, redirect) for m in group.members]
    entries = [(i, route) for i, member in enumerate(group.members) for route in member.routes]
    return entries, ports


def route_clashes(entries: list[RouteEntry], ports: list[set[int]]) -> list[tuple[int, int]]:
    """The pairs of ``entries`` (positions, in the order of every pair) with the same host and
    path patterns on a shared listener. Only routes with equal host and patterns can clash:
    pairs are formed within those buckets (linear in the routes, not quadratic)."""
    buckets: dict[tuple[str, frozenset[str]], list[int]] = {}
    for position, (_, route) in enumerate(entries):
        buckets.setdefault((route.host, route.patterns), []).append(position)
    clashes = sorted(pair for bucket in buckets.values() for pair in combinations(bucket, 2))
    return [(x, y) for x, y in clashes if ports[entries[x][0]] & ports[entries[y][0]]]


def route_shadows(
    group: Group, entries: list[RouteEntry], ports: list[set[int]]
) -> dict[tuple[int, int], list[str]]:
    """(member of a catch-all, member of a narrower path it is evaluated before or ties with)
    -> the narrower paths shown. Candidates come from an index of the narrower routes by host:
    a catch-all meets only the routes its host covers (all for no host, a suffix for a
    wildcard), in ``entries`` order."""
    narrow_at: dict[str, list[int]] = {}
    for position, (_, route) in enumerate(entries):
        if not route.catch_all:
            narrow_at.setdefault(route.host, []).append(position)
    pairs: dict[tuple[int, int], list[str]] = {}
    for i, wide in (entry for entry in entries if entry[1].catch_all):
        if wide.host and not wide.host.startswith("*"):
            candidates = narrow_at.get(wide.host, [])
        else:
            hosts = [h for h in narrow_at if host_covers(wide.host, h)]
            candidates = sorted(p for h in hosts for p in narrow_at[h])
        for j, narrow in (entries[p] for p in candidates):
            if i == j or not ports[i] & ports[j]:
                continue
            if group.members[i].order > group.members[j].order:
                continue  # the narrower path is evaluated first: fine
            shown = f"{narrow.show()} (behind {wide.show()})"
            pairs.setdefault((i, j), [])
            if shown not in pairs[(i, j)]:
                pairs[(i, j)].append(shown)
    return pairs


def _check_routes(group: Group) -> Iterator[Finding]:
    entries, ports = route_entries(group)
    # alb-duplicate-route: same host and same path patterns on a shared listener.
    for (i, a), (j, b) in ((entries[x], entries[y]) for x, y in route_clashes(entries, ports)):
        first, later = group.members[i], group.members[j]
        if i == j:
            where = f"twice by {later.label} ({a.show()} and {b.show()})"
        else:
            where = (
                f"by {first.label} ({a.show()}) and by {later.label} ({b.show()}), and "
                f"{first.label} is evaluated first"
            )
        yield later.finding(
            Severity.ERROR,
            "alb-duplicate-route",
            f"{group.label}: the same host and path are claimed {where}; only the first rule "
            "ever matches, so the other backend never gets traffic; remove one of the rules or "
            "give them different hosts or paths",
        )
    # alb-shadowed-path / alb-order-implicit: a catch-all evaluated before a narrower path.
    pairs = route_shadows(group, entries, ports)
    for (i, j), hidden in sorted(pairs.items()):
        wide_m, narrow_m = group.members[i], group.members[j]
        paths = "; ".join(hidden)
        tie = wide_m.order == narrow_m.order
        if i < j:  # the catch-all is evaluated first
            how = (
                f"both have group.order {wide_m.order}, so the names decide and "
                f"'{wide_m.ident}' sorts before '{narrow_m.ident}'"
                if tie
                else f"group.order {wide_m.order} < {narrow_m.order}"
            )
            yield narrow_m.finding(
                Severity.ERROR,
                "alb-shadowed-path",
                f"{group.label}: the catch-all of {wide_m.label} is evaluated before "
                f"{narrow_m.label} ({how}), so {paths} never receives traffic; set "
                f"{narrow_m.where('group.order')} lower than the group.order of {wide_m.label} "
                "(lower is evaluated first)",
            )
        else:
            yield narrow_m.finding(
                Severity.WARNING,
                "alb-order-implicit",
                f"{group.label}: {paths} is evaluated before the catch-all of {wide_m.label} "
                f"only because '{narrow_m.ident}' sorts before '{wide_m.ident}' (both have "
                f"group.order {wide_m.order}); renaming either Ingress would hide the path; set "
                f"explicit group.order values, lower on {narrow_m.label} than on {wide_m.label}",
            )


def _check_scheme(group: Group) -> Iterator[Finding]:
    if not group.members or any(m.alb("scheme") is not None for m in group.members):
        return
    first = group.members[0]
    yield first.finding(
        Severity.INFO,
        "alb-scheme-default",
        f"{group.label}: no member sets {PREFIX}scheme, so the ALB is created internal (the "
        "default) and cannot be reached from the internet; if it must be public, set "
        f"{first.where('scheme')} to internet-facing (on one member, or the same value on all)",
    )

"""Checks for values that the Kubernetes JSON schemas let through but the API server rejects.

The OpenAPI schemas only say "string" or "integer" for names, ports, quantities and labels; the
API server then applies the rules below (from Kubernetes' API conventions and its validation
code: ``k8s.io/apimachinery/pkg/util/validation`` and ``pkg/apis/core/validation``).
:func:`check_values` runs them all on one manifest; the ``is_*`` predicates and ``check_*``
helpers are public so other checks can reuse them.

The helpers skip values of the wrong JSON type (the schema layer reports those), except label
and annotation values, which must be strings for any kind, custom resources included.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from gigrouter.validate.base import SchemaError, format_path

__all__ = [
    "MAX_ANNOTATIONS_BYTES",
    "check_annotations",
    "check_container",
    "check_label_selector",
    "check_labels",
    "check_object_meta",
    "check_pod_spec",
    "check_quantity_map",
    "check_resource_requirements",
    "check_service_spec",
    "check_values",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_iana_svc_name",
    "is_label_value",
    "is_path_segment_name",
    "is_port_number",
    "is_qualified_name",
    "is_quantity",
    "parse_quantity",
]

Path = Sequence[str | int]

MAX_ANNOTATIONS_BYTES = 256 * 1024
"""Kubernetes' limit on the summed size of all annotation keys and values of one object."""

_LABEL_MAX = 63
_SUBDOMAIN_MAX = 253
_IANA_MAX = 15
_CRONJOB_NAME_MAX = 52  # 63 minus the 11-character "-<timestamp>" suffix of the Jobs it creates

_DNS1123_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(
    r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*"
)
_DNS1035_LABEL = re.compile(r"[a-z](?:[-a-z0-9]*[a-z0-9])?")
_QUALIFIED_PART = re.compile(r"[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?")
_IANA_CHARSET = re.compile(r"[-a-z0-9]+")
_QUANTITY = re.compile(
    r"(?P<sign>[+-]?)(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:(?P<binary>[KMGTPE]i)|(?P<decimal>[numkMGTPE])|[eE](?P<exponent>[+-]?[0-9]+))?"
)
_BINARY_POWERS = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_EXPONENTS = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

_LABEL_HELP = "lowercase letters, digits and '-', starting and ending with a letter or digit"
_QUALIFIED_HELP = (
    "an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', "
    "starting and ending with a letter or digit"
)
_LABEL_VALUE_HELP = (
    "at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
)
_QUANTITY_HELP = "use a number with an optional suffix and no spaces, e.g. 500m, 1.5, 2Gi, 1e3"


# --------------------------------------------------------------------------------------------
# Predicates
# --------------------------------------------------------------------------------------------


def is_dns1123_label(value: str) -> bool:
    """RFC 1123 label: at most 63 of ``[a-z0-9-]``, starting and ending alphanumeric."""
    return len(value) <= _LABEL_MAX and _DNS1123_LABEL.fullmatch(value) is not None


def is_dns1123_subdomain(value: str) -> bool:
    """RFC 1123 subdomain: at most 253 characters, dot-separated parts of ``[a-z0-9-]`` that start
    and end alphanumeric (like Kubernetes, no separate 63-character limit per part)."""
    return len(value) <= _SUBDOMAIN_MAX and _DNS1123_SUBDOMAIN.fullmatch(value) is not None


def is_dns1035_label(value: str) -> bool:
    """RFC 1035 label: like a DNS-1123 label but must start with a letter."""
    return len(value) <= _LABEL_MAX and _DNS1035_LABEL.fullmatch(value) is not None


def is_path_segment_name(value: str) -> bool:
    """Name usable as one URL path segment (RBAC objects): not ``.``/``..``, no ``/`` or ``%``."""
    return value not in ("", ".", "..") and "/" not in value and "%" not in value


def is_iana_svc_name(value: str) -> bool:
    """IANA_SVC_NAME (named ports): at most 15 of ``[a-z0-9-]`` with at least one letter,
    no leading, trailing or doubled ``-``."""
    return (
        len(value) <= _IANA_MAX
        and _IANA_CHARSET.fullmatch(value) is not None
        and any("a" <= c <= "z" for c in value)
        and "--" not in value
        and not value.startswith("-")
        and not value.endswith("-")
    )


def is_port_number(value: object) -> bool:
    """An integer (not a bool) from 1 to 65535."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def is_qualified_name(value: str) -> bool:
    """Label or annotation key: ``[prefix/]name`` with a DNS-1123 subdomain prefix and a name of
    at most 63 ``[A-Za-z0-9_.-]`` starting and ending alphanumeric."""
    prefix, slash, name = value.rpartition("/")
    if slash and (not prefix or "/" in prefix or not is_dns1123_subdomain(prefix)):
        return False
    return len(name) <= _LABEL_MAX and _QUALIFIED_PART.fullmatch(name) is not None


def is_label_value(value: str) -> bool:
    """Label value: empty, or at most 63 ``[A-Za-z0-9_.-]`` starting and ending alphanumeric."""
    return value == "" or (
        len(value) <= _LABEL_MAX and _QUALIFIED_PART.fullmatch(value) is not None
    )


def is_quantity(value: str) -> bool:
    """Kubernetes resource quantity string: ``[sign]number[suffix]``.

    The suffix is binary (``Ki Mi Gi Ti Pi Ei``), decimal (``n u m k M G T P E``) or an integer
    exponent (``e3``, ``E-2``); nothing else, no spaces. ``"100m"``, ``"1.5"``, ``"2Gi"``,
    ``"1e3"`` and ``"500M"`` are quantities; ``"1 Gi"``, ``"2GB"`` and ``""`` are not.
    """
    return _QUANTITY.fullmatch(value) is not None


def parse_quantity(value: str | int | float) -> Decimal:
    """Exact value of a quantity (a grammar-valid string, or a YAML int/float).

    Raises ValueError for anything else.
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a quantity")
    if isinstance(value, int | float):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            raise ValueError(f"{value!r} is not a finite quantity")
        return number
    match = _QUANTITY.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not a quantity")
    number = Decimal(match["sign"] + match["number"])
    try:
        with localcontext() as context:
            context.prec = 60
            if match["binary"]:
                return number * (Decimal(2) ** _BINARY_POWERS[match["binary"]])
            if match["decimal"]:
                return number.scaleb(_DECIMAL_EXPONENTS[match["decimal"]])
            if match["exponent"]:
                return number.scaleb(int(match["exponent"]))
    except (ArithmeticError, InvalidOperation) as exc:
        raise ValueError(f"{value!r} is out of range") from exc
    return number


# --------------------------------------------------------------------------------------------
# Helpers producing errors
# --------------------------------------------------------------------------------------------


def _error(path: Path, message: str) -> SchemaError:
    return SchemaError(format_path(list(path)), message)


def _why_label(value: str, max_len: int = _LABEL_MAX) -> str:
    if len(value) > max_len:
        return f"it is {len(value)} characters long (at most {max_len})"
    return _LABEL_HELP


def _name_problem(value: str, rule: str) -> str | None:
    """Why ``value`` breaks ``rule`` ("subdomain", "label", "dns1035", "segment"), or None."""
    if rule == "label":
        if is_dns1123_label(value):
            return None
        return f"must be a DNS-1123 label: {_why_label(value)}"
    if rule == "dns1035":
        if is_dns1035_label(value):
            return None
        detail = _why_label(value) if len(value) > _LABEL_MAX else _LABEL_HELP + ", first a letter"
        return f"must be a DNS-1035 label: {detail}"
    if rule == "segment":
        if is_path_segment_name(value):
            return None
        return "must not be '.' or '..' or contain '/' or '%'"
    if is_dns1123_subdomain(value):
        return None
    if len(value) > _SUBDOMAIN_MAX:
        return f"must be a DNS-1123 subdomain: it is {len(value)} characters long (at most 253)"
    return f"must be a DNS-1123 subdomain: {_LABEL_HELP}, in '.'-separated parts"


def _port_name_problem(value: str) -> str | None:
    if is_iana_svc_name(value):
        return None
    if value.isdigit():
        return f"port name {value!r} must contain a letter; for a port number drop the quotes"
    return (
        f"invalid port name {value!r}: at most 15 lowercase letters, digits and '-', "
        "with at least one letter and no leading, trailing or double '-'"
    )


def _check_port_number(value: object, path: Path, allow_zero: bool = False) -> list[SchemaError]:
    if not isinstance(value, int) or isinstance(value, bool) or (allow_zero and value == 0):
        return []  # wrong types are the schema's business
    if is_port_number(value):
        return []
    return [_error(path, f"port {value} is out of range: must be 1 to 65535")]


def _check_port_or_name(value: object, path: Path) -> list[SchemaError]:
    if isinstance(value, str):
        problem = _port_name_problem(value)
        return [_error(path, problem)] if problem else []
    return _check_port_number(value, path)


def check_labels(labels: object, path: Path, what: str = "label") -> list[SchemaError]:
    """Label map (also ``matchLabels``, ``nodeSelector``, Service ``selector``): keys must be
    qualified names, values strings that are valid label values."""
    if not isinstance(labels, Mapping):
        return []
    errors = []
    for key, value in labels.items():
        where = [*path, str(key)]
        if not isinstance(key, str) or not is_qualified_name(key):
            errors.append(_error(where, f"invalid {what} key {key!r}: {_QUALIFIED_HELP}"))
        if value is None:
            errors.append(_error(where, f'{what} value is null; use "" for an empty value'))
        elif not isinstance(value, str):
            errors.append(_error(where, f"{what} values must be strings; quote it"))
        elif not is_label_value(value):
            reason = (
                f"it is {len(value)} characters long (at most 63)"
                if len(value) > _LABEL_MAX
                else _LABEL_VALUE_HELP
            )
            errors.append(_error(where, f"invalid {what} value {value!r}: {reason}"))
    return errors


def check_annotations(annotations: object, path: Path) -> list[SchemaError]:
    """Annotation map: keys are qualified names (the prefix is compared lowercased), values
    must be strings, and keys plus values may total at most 256 KiB."""
    if not isinstance(annotations, Mapping):
        return []
    errors = []
    total = 0
    for key, value in annotations.items():
        where = [*path, str(key)]
        if not isinstance(key, str) or not is_qualified_name(key.lower()):
            errors.append(_error(where, f"invalid annotation key {key!r}: {_QUALIFIED_HELP}"))
        if isinstance(value, str):
            total += len(str(key).encode()) + len(value.encode())
        elif value is None:
            errors.append(_error(where, 'annotation value is null; use "" for an empty value'))
        else:
            errors.append(_error(where, "annotation values must be strings; quote it"))
    if total > MAX_ANNOTATIONS_BYTES:
        errors.append(
            _error(path, f"annotations total {total} bytes; the limit is {MAX_ANNOTATIONS_BYTES}")
        )
    return errors


def check_label_selector(selector: object, path: Path) -> list[SchemaError]:
    """A LabelSelector: ``matchLabels`` as labels, ``matchExpressions`` keys, operators, values."""
    if not isinstance(selector, Mapping):
        return []
    errors = check_labels(selector.get("matchLabels"), [*path, "matchLabels"])
    expressions = selector.get("matchExpressions")
    if not isinstance(expressions, list):
        return errors
    for index, expression in enumerate(expressions):
        if not isinstance(expression, Mapping):
            continue
        where = [*path, "matchExpressions", index]
        key, operator, values = (expression.get(f) for f in ("key", "operator", "values"))
        if isinstance(key, str) and not is_qualified_name(key):
            errors.append(_error([*where, "key"], f"invalid label key {key!r}: {_QUALIFIED_HELP}"))
        if isinstance(operator, str) and operator not in _SELECTOR_OPERATORS:
            allowed = ", ".join(_SELECTOR_OPERATORS)
            errors.append(_error([*where, "operator"], f"must be one of {allowed}"))
        has_values = isinstance(values, list) and len(values) > 0
        if operator in ("In", "NotIn") and not has_values:
            errors.append(_error([*where, "values"], f"must not be empty for operator {operator}"))
        if operator in ("Exists", "DoesNotExist") and has_values:
            errors.append(_error([*where, "values"], f"must be empty for operator {operator}"))
        if isinstance(values, list):
            for vi, value in enumerate(values):
                if isinstance(value, str) and not is_label_value(value):
                    message = f"invalid label value {value!r}: {_LABEL_VALUE_HELP}"
                    errors.append(_error([*where, "values", vi], message))
    return errors


def check_quantity_map(
    quantities: object, path: Path, allow_negative: bool = False
) -> list[SchemaError]:
    """Every value of a map (``requests``, ``limits``, ``hard``...) must be a quantity, and
    unless ``allow_negative`` not below zero."""
    if not isinstance(quantities, Mapping):
        return []
    errors = []
    for key, value in quantities.items():
        errors.extend(_check_quantity(value, [*path, str(key)], allow_negative))
    return errors


def _check_quantity(value: object, path: Path, allow_negative: bool = False) -> list[SchemaError]:
    if isinstance(value, str):
        if not is_quantity(value):
            return [_error(path, f"{value!r} is not a valid quantity: {_QUANTITY_HELP}")]
    elif not isinstance(value, int | float) or isinstance(value, bool):
        return []  # the schema reports wrong types
    try:
        number = parse_quantity(value)
    except ValueError:
        return [_error(path, f"{value!r} is not a valid quantity: {_QUANTITY_HELP}")]
    if number < 0 and not allow_negative:
        return [_error(path, f"must not be negative, got {value}")]
    return []


def _quantity_or_none(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        return parse_quantity(value)
    except ValueError:
        return None


def _container_resource_problem(name: str) -> str | None:
    if "/" in name:
        return None if is_qualified_name(name) else f"invalid resource name {name!r}"
    if name in _STANDARD_CONTAINER_RESOURCES or (
        name.startswith("hugepages-") and is_quantity(name.removeprefix("hugepages-"))
    ):
        return None
    return (
        f"unknown resource {name!r}: use cpu, memory, ephemeral-storage, hugepages-<size> "
        "or a domain-qualified extended resource such as nvidia.com/gpu"
    )


def check_resource_requirements(
    resources: object, path: Path, container: bool = True
) -> list[SchemaError]:
    """``resources`` of a container (or with ``container=False`` of a PVC): quantities not below
    zero, requests no larger than limits, and for containers known resource names."""
    if not isinstance(resources, Mapping):
        return []
    errors: list[SchemaError] = []
    requests, limits = resources.get("requests"), resources.get("limits")
    for field, quantities in (("requests", requests), ("limits", limits)):
        errors.extend(check_quantity_map(quantities, [*path, field]))
        if container and isinstance(quantities, Mapping):
            for name in quantities:
                problem = _container_resource_problem(str(name))
                if problem:
                    errors.append(_error([*path, field, str(name)], problem))
    if isinstance(requests, Mapping) and isinstance(limits, Mapping):
        for name, requested in requests.items():
            request, limit = _quantity_or_none(requested), _quantity_or_none(limits.get(name))
            if request is not None and limit is not None and request > limit:
                errors.append(
                    _error(
                        [*path, "requests", str(name)],
                        f"request {requested} is greater than the limit {limits[name]}",
                    )
                )
    return errors


def _check_handler_ports(handler: object, path: Path) -> list[SchemaError]:
    """Ports of a probe or lifecycle handler (httpGet, tcpSocket, grpc)."""
    if not isinstance(handler, Mapping):
        return []
    errors = []
    for action in ("httpGet", "tcpSocket"):
        spec = handler.get(action)
        if isinstance(spec, Mapping) and "port" in spec:
            errors.extend(_check_port_or_name(spec["port"], [*path, action, "port"]))
    grpc = handler.get("grpc")
    if isinstance(grpc, Mapping) and "port" in grpc:
        errors.extend(_check_port_number(grpc["port"], [*path, "grpc", "port"]))
    return errors


def check_container(container: object, path: Path) -> list[SchemaError]:
    """One container: name, ports, probe and lifecycle ports, resources."""
    if not isinstance(container, Mapping):
        return []
    errors = []
    name = container.get("name")
    if isinstance(name, str):
        problem = _name_problem(name, "label")
        if problem:
            errors.append(_error([*path, "name"], f"invalid container name {name!r}: {problem}"))
    ports = container.get("ports")
    if isinstance(ports, list):
        for index, port in enumerate(ports):
            if not isinstance(port, Mapping):
                continue
            where = [*path, "ports", index]
            errors.extend(_check_port_number(port.get("containerPort"), [*where, "containerPort"]))
            errors.extend(
                _check_port_number(port.get("hostPort"), [*where, "hostPort"], allow_zero=True)
            )
            port_name = port.get("name")
            if isinstance(port_name, str) and port_name:
                problem = _port_name_problem(port_name)
                if problem:
                    errors.append(_error([*where, "name"], problem))
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        errors.extend(_check_handler_ports(container.get(probe), [*path, probe]))
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, Mapping):
        for hook in ("postStart", "preStop"):
            errors.extend(_check_handler_ports(lifecycle.get(hook), [*path, "lifecycle", hook]))
    errors.extend(check_resource_requirements(container.get("resources"), [*path, "resources"]))
    return errors


def _check_claim_template(template: object, path: Path) -> list[SchemaError]:
    if not isinstance(template, Mapping):
        return []
    spec = template.get("spec")
    errors = _check_template_meta(template.get("metadata"), [*path, "metadata"])
    if isinstance(spec, Mapping):
        errors.extend(
            check_resource_requirements(
                spec.get("resources"), [*path, "spec", "resources"], container=False
            )
        )
    return errors


def check_pod_spec(spec: object, path: Path) -> list[SchemaError]:
    """A PodSpec: containers, init and ephemeral container names, volumes, nodeSelector."""
    if not isinstance(spec, Mapping):
        return []
    errors: list[SchemaError] = []
    seen: set[str] = set()
    for field in ("initContainers", "containers", "ephemeralContainers"):
        containers = spec.get(field)
        if not isinstance(containers, list):
            continue
        for index, container in enumerate(containers):
            where = [*path, field, index]
            if field == "ephemeralContainers":
                name = container.get("name") if isinstance(container, Mapping) else None
                problem = _name_problem(name, "label") if isinstance(name, str) else None
                if problem:
                    message = f"invalid container name {name!r}: {problem}"
                    errors.append(_error([*where, "name"], message))
            else:
                errors.extend(check_container(container, where))
            name = container.get("name") if isinstance(container, Mapping) else None
            if isinstance(name, str):
                if name in seen:
                    errors.append(_error([*where, "name"], f"duplicate container name {name!r}"))
                seen.add(name)
    volumes = spec.get("volumes")
    if isinstance(volumes, list):
        for index, volume in enumerate(volumes):
            if not isinstance(volume, Mapping):
                continue
            where = [*path, "volumes", index]
            name = volume.get("name")
            if isinstance(name, str):
                problem = _name_problem(name, "label")
                if problem:
                    errors.append(
                        _error([*where, "name"], f"invalid volume name {name!r}: {problem}")
                    )
            empty_dir = volume.get("emptyDir")
            if isinstance(empty_dir, Mapping) and "sizeLimit" in empty_dir:
                errors.extend(
                    _check_quantity(empty_dir["sizeLimit"], [*where, "emptyDir", "sizeLimit"])
                )
            ephemeral = volume.get("ephemeral")
            if isinstance(ephemeral, Mapping):
                errors.extend(
                    _check_claim_template(
                        ephemeral.get("volumeClaimTemplate"),
                        [*where, "ephemeral", "volumeClaimTemplate"],
                    )
                )
    errors.extend(check_labels(spec.get("nodeSelector"), [*path, "nodeSelector"]))
    # Pod-level resources (Kubernetes 1.32+) take the same quantities as containers.
    errors.extend(check_resource_requirements(spec.get("resources"), [*path, "resources"]))
    return errors


def check_service_spec(spec: object, path: Path) -> list[SchemaError]:
    """A ServiceSpec: port numbers, targetPorts, port names (required with several ports),
    and the selector."""
    if not isinstance(spec, Mapping):
        return []
    errors = []
    ports = spec.get("ports")
    if isinstance(ports, list):
        for index, port in enumerate(ports):
            if not isinstance(port, Mapping):
                continue
            where = [*path, "ports", index]
            errors.extend(_check_port_number(port.get("port"), [*where, "port"]))
            if "targetPort" in port:
                errors.extend(_check_port_or_name(port["targetPort"], [*where, "targetPort"]))
            name = port.get("name")
            if isinstance(name, str) and name:
                problem = _name_problem(name, "label")
                if problem:
                    errors.append(
                        _error([*where, "name"], f"invalid port name {name!r}: {problem}")
                    )
            elif len(ports) > 1 and not name:
                errors.append(
                    _error([*where, "name"], "a name is required when a Service has several ports")
                )
    errors.extend(check_labels(spec.get("selector"), [*path, "selector"]))
    return errors


def _check_template_meta(meta: object, path: Path) -> list[SchemaError]:
    if not isinstance(meta, Mapping):
        return []
    return check_labels(meta.get("labels"), [*path, "labels"]) + check_annotations(
        meta.get("annotations"), [*path, "annotations"]
    )


def _name_rule(group: str, kind: str) -> str:
    if group == "" and kind == "Namespace":
        return "label"
    if group == "" and kind == "Service":
        return "dns1035"
    if group == "rbac.authorization.k8s.io" and kind in (
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
    ):
        return "segment"
    return "subdomain"


def check_object_meta(
    meta: object, path: Path, api_version: str = "", kind: str = ""
) -> list[SchemaError]:
    """An object's ``metadata``: name (rule depends on the kind), generateName, namespace,
    labels and annotations.

    Names are DNS-1123 subdomains except: Namespace (DNS-1123 label), Service (DNS-1035 label),
    RBAC Role/ClusterRole/RoleBinding/ClusterRoleBinding (path segment, so ``system:foo`` is
    fine) and CronJob (subdomain of at most 52 characters).
    """
    if not isinstance(meta, Mapping):
        return []
    errors: list[SchemaError] = []
    group = api_version.rpartition("/")[0]
    rule = _name_rule(group, kind)
    name, generate_name = meta.get("name"), meta.get("generateName")
    label = kind or "object"
    if isinstance(name, str):
        problem = "must not be empty" if not name else _name_problem(name, rule)
        if problem:
            errors.append(_error([*path, "name"], f"invalid {label} name {name!r}: {problem}"))
        elif group == "batch" and kind == "CronJob" and len(name) > _CRONJOB_NAME_MAX:
            message = f"CronJob name is {len(name)} characters long; at most 52 so Job names fit"
            errors.append(_error([*path, "name"], message))
    elif name is None and isinstance(generate_name, str) and generate_name:
        # Kubernetes checks a prefix with its trailing '-' masked (the last two characters
        # become "a"), since random characters will follow it.
        masked = generate_name
        if len(masked) > 1 and masked.endswith("-"):
            masked = masked[:-2] + "a"
        problem = _name_problem(masked, rule)
        if problem:
            message = f"invalid generateName {generate_name!r}: {problem}"
            errors.append(_error([*path, "generateName"], message))
    elif name is None and not kind.endswith("List"):
        errors.append(_error([*path, "name"], "missing metadata.name (or metadata.generateName)"))
    namespace = meta.get("namespace")
    if isinstance(namespace, str):
        problem = _name_problem(namespace, "label") if namespace else "must not be empty"
        if problem:
            errors.append(
                _error([*path, "namespace"], f"invalid namespace {namespace!r}: {problem}")
            )
    errors.extend(_check_template_meta(meta, path))
    return errors


# --------------------------------------------------------------------------------------------
# Whole documents
# --------------------------------------------------------------------------------------------

_TEMPLATE_KINDS = {
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "DaemonSet"),
    ("apps", "StatefulSet"),
    ("batch", "Job"),
    ("", "ReplicationController"),
}
_LABEL_SELECTOR_KINDS = {
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "DaemonSet"),
    ("apps", "StatefulSet"),
    ("batch", "Job"),
    ("policy", "PodDisruptionBudget"),
}


def _get(node: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _check_pod_template(template: object, path: Path) -> list[SchemaError]:
    if not isinstance(template, Mapping):
        return []
    return _check_template_meta(template.get("metadata"), [*path, "metadata"]) + check_pod_spec(
        template.get("spec"), [*path, "spec"]
    )


def _check_network_policy(spec: object, path: Path) -> list[SchemaError]:
    errors = check_label_selector(_get(spec, "podSelector"), [*path, "podSelector"])
    for direction, peers_field in (("ingress", "from"), ("egress", "to")):
        rules = _get(spec, direction)
        if not isinstance(rules, list):
            continue
        for ri, rule in enumerate(rules):
            peers = _get(rule, peers_field)
            if not isinstance(peers, list):
                continue
            for pi, peer in enumerate(peers):
                for selector in ("podSelector", "namespaceSelector"):
                    where = [*path, direction, ri, peers_field, pi, selector]
                    errors.extend(check_label_selector(_get(peer, selector), where))
    return errors


def check_values(doc: Mapping[str, Any]) -> list[SchemaError]:
    """Run every value rule that applies to one manifest, in document order.

    Metadata rules apply to every kind, custom resources included; pod template, Service,
    selector, PersistentVolumeClaim, ResourceQuota and LimitRange rules apply to the built-in
    kinds that carry them.
    """
    if not isinstance(doc, Mapping):
        return []
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    api_version = api_version if isinstance(api_version, str) else ""
    kind = kind if isinstance(kind, str) else ""
    group = api_version.rpartition("/")[0]
    key = (group, kind)
    spec = doc.get("spec")
    errors = check_object_meta(doc.get("metadata"), ["metadata"], api_version, kind)

    if key in _TEMPLATE_KINDS:
        errors.extend(_check_pod_template(_get(spec, "template"), ["spec", "template"]))
    elif key == ("batch", "CronJob"):
        job = _get(spec, "jobTemplate")
        errors.extend(
            _check_template_meta(_get(job, "metadata"), ["spec", "jobTemplate", "metadata"])
        )
        errors.extend(
            _check_pod_template(
                _get(job, "spec", "template"), ["spec", "jobTemplate", "spec", "template"]
            )
        )
        errors.extend(
            check_label_selector(
                _get(job, "spec", "selector"), ["spec", "jobTemplate", "spec", "selector"]
            )
        )
    elif key == ("", "PodTemplate"):
        errors.extend(_check_pod_template(doc.get("template"), ["template"]))
    elif key == ("", "Pod"):
        errors.extend(check_pod_spec(spec, ["spec"]))

    if key in _LABEL_SELECTOR_KINDS:
        errors.extend(check_label_selector(_get(spec, "selector"), ["spec", "selector"]))
    elif key == ("", "ReplicationController"):
        errors.extend(check_labels(_get(spec, "selector"), ["spec", "selector"]))
    elif key == ("", "Service"):
        errors.extend(check_service_spec(spec, ["spec"]))
    elif key == ("networking.k8s.io", "NetworkPolicy"):
        errors.extend(_check_network_policy(spec, ["spec"]))
    elif key == ("", "PersistentVolumeClaim"):
        errors.extend(
            check_resource_requirements(
                _get(spec, "resources"), ["spec", "resources"], container=False
            )
        )
    elif key == ("", "ResourceQuota"):
        errors.extend(check_quantity_map(_get(spec, "hard"), ["spec", "hard"]))
    elif key == ("", "LimitRange"):
        items = _get(spec, "limits")
        if isinstance(items, list):
            for index, item in enumerate(items):
                for field in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
                    errors.extend(
                        check_quantity_map(_get(item, field), ["spec", "limits", index, field])
                    )

    if key == ("apps", "StatefulSet"):
        templates = _get(spec, "volumeClaimTemplates")
        if isinstance(templates, list):
            for index, template in enumerate(templates):
                errors.extend(
                    _check_claim_template(template, ["spec", "volumeClaimTemplates", index])
                )
    return errors

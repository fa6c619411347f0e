"""A config that loads is one that renders.

Every config built here, from the model's own JSON Schema or by mutating a shipped config,
either fails to load with a user error (exit code 2, a message naming the key) or renders and
validates. Any other exception is a bug in the model, the layout or the templates.
"""

from __future__ import annotations

import copy
import json
import tempfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers import REPO
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import utils as conjecture_utils
from hypothesis_jsonschema import _from_schema, from_schema

from gigrouter.errors import ConfigError, GigrouterError
from gigrouter.pipeline import build_trees, check_collisions, combine, schema_json
from gigrouter.validate.findings import Severity
from gigrouter.validate.runner import validate_memory
from gigrouter.validate.tree import MemoryFiles

Path_ = tuple[str | int, ...]

SHIPPED = {
    "default": REPO / "config" / "platform.yaml",
    "minimal": REPO / "tests" / "golden" / "minimal" / "config.yaml",
    "irsa-subdir": REPO / "tests" / "golden" / "irsa-subdir" / "config.yaml",
    "services": REPO / "tests" / "golden" / "services" / "config.yaml",
}
OVERLAYS = {
    "default": {p.stem: p for p in sorted((REPO / "config" / "environments").glob("*.yaml"))},
}


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


BASES: dict[str, Any] = {name: _read(path) for name, path in SHIPPED.items()}
BASE_OVERLAYS: dict[str, dict[str, Any]] = {
    name: {env: _read(path) for env, path in envs.items()} for name, envs in OVERLAYS.items()
}

# Validation findings a config may cause although the model accepts it. Each is a reference or
# an order the config states explicitly and only the whole tree can check: a pod or SecretStore
# naming a Secret, ConfigMap or ServiceAccount that nothing renders and externals do not declare
# (validate says to declare it), a route naming a Service or port that is not there, explicit
# sync waves (or a depends_on left out) putting a dependency, or the Application installing a
# CRD, after what needs it, explicit ALB group orders or routes that
# make one Ingress's path unreachable or claimed twice. The manifests are then genuinely wrong,
# and render reports it as validation errors with file and object (exit 1), not a traceback.
# Every other error finding means the model accepted a value it could have refused: a bug.
ALLOWED_RULES = frozenset(
    {
        "secret-ref",
        "configmap-ref",
        "service-account-ref",
        "ingress-backend",
        "wave-order",
        "apply-order",
        "crd-order",
        "alb-shadowed-path",
        "alb-duplicate-route",
    }
)


# --- the property -----------------------------------------------------------------------------


def outcome(base: Any, overlays: dict[str, Any]) -> str:
    """Load, render and validate ``base`` (with its environment ``overlays``) as `gigrouter
    render` would; return "rejected" or "rendered", or raise what a user would see as a
    traceback."""
    with tempfile.TemporaryDirectory(prefix="gigrouter-prop-") as scratch:
        config = Path(scratch) / "platform.yaml"
        config.write_text(_dump(base), encoding="utf-8")
        if overlays:
            envs = config.parent / "environments"
            envs.mkdir()
            for name, data in overlays.items():
                (envs / f"{name}.yaml").write_text(_dump(data), encoding="utf-8")
        try:
            trees = build_trees(config, everything=True)
            check_collisions(config, trees)  # render refuses trees that own the same objects
        except GigrouterError as exc:
            if exc.exit_code != 2:
                raise
            assert str(exc).strip(), "a user error must say what is wrong"
            return "rejected"
    tree = combine(trees)
    report = validate_memory(MemoryFiles(tree.files, tree.documents))
    judge([f for f in report.findings if f.severity is Severity.ERROR])
    return "rendered"


def judge(errors: list[Any]) -> None:
    unexpected = [f for f in errors if f.rule not in ALLOWED_RULES]
    assert not unexpected, "the model accepted a config whose render is invalid:\n" + "\n".join(
        f"{f.file}:{f.line}: {f.rule}: {f.message}" for f in unexpected
    )


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1 << 16)


def check(base: Any, overlays: dict[str, Any]) -> None:
    result = outcome(base, overlays)
    event(result)


# --- strategy (b): mutations of the shipped configs -------------------------------------------

BOUNDARY: list[Any] = [
    0,
    -1,
    1,
    65535,
    65536,
    2**31,
    2**63,
    10**30,
    -(10**30),
    1.5,
    float("inf"),
    True,
    None,
    "",
    [],
    {},
    "x" * 300,
    "a" * 70,
    "ü",
    "漢字",
    "🚀",
    "a\u2028b",  # a Unicode line break YAML must escape
    "x\ufeffy",
    "0",
    "yes",
    "null",
    "0755",
    "1e3",
    "a b",
    "-",
    ".",
    "..",
    "/",
    "*",
    "x: y",
    "{{ x }}",
    "A",
    "a.b",
    "a_b",
    "/a b",
]


def _paths(node: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


def _get(node: Any, path: Path_) -> Any:
    for part in path:
        node = node[part]
    return node


def _strings(node: Any) -> list[str]:
    out: set[str] = set()
    for path in _paths(node):
        value = _get(node, path)
        if isinstance(value, str):
            out.add(value)
        if path and isinstance(path[-1], str):
            out.add(path[-1])
    return sorted(out)


def apply(data: Any, op: tuple[Any, ...]) -> Any:
    """One mutation; ``op`` is ("delete", path), ("set", path, value), ("duplicate", path),
    ("swap", path, path) or ("rename", old, new) (every occurrence of a string)."""
    kind = op[0]
    if kind == "rename":
        return _rename(data, op[1], op[2])
    path: Path_ = op[1]
    if not path:
        return data
    parent = _get(data, path[:-1])
    last = path[-1]
    if kind == "delete":
        del parent[last]
    elif kind == "set":
        parent[last] = copy.deepcopy(op[2])
    elif kind == "duplicate":
        assert isinstance(parent, list) and isinstance(last, int)
        parent.insert(last, copy.deepcopy(parent[last]))
    elif kind == "swap":
        other: Path_ = op[2]
        if other and path[: len(other)] != other and other[: len(path)] != path:
            oparent = _get(data, other[:-1])
            parent[last], oparent[other[-1]] = oparent[other[-1]], parent[last]
    return data


def _rename(node: Any, old: str, new: str) -> Any:
    if isinstance(node, dict):
        return {(new if k == old else k): _rename(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_rename(v, old, new) for v in node]
    return new if node == old else node


@st.composite
def mutation(draw: st.DrawFn, data: Any) -> tuple[Any, ...]:
    paths = list(_paths(data))[1:]
    kind = draw(st.sampled_from(["delete", "set", "set", "duplicate", "swap", "rename"]))
    if kind == "rename":
        old = draw(st.sampled_from(_strings(data)))
        new = draw(st.sampled_from([*_strings(data), "renamed", "x" * 70, "Bad_Name", ""]))
        return ("rename", old, new)
    if kind == "duplicate":
        items = [p for p in paths if isinstance(p[-1], int)]
        if items:
            return ("duplicate", draw(st.sampled_from(items)))
        kind = "set"
    path = draw(st.sampled_from(paths))
    if kind == "delete":
        return ("delete", path)
    if kind == "swap":
        return ("swap", path, draw(st.sampled_from(paths)))
    elsewhere = [_get(data, p) for p in paths if not isinstance(_get(data, p), dict | list)]
    value = draw(st.one_of(st.sampled_from(BOUNDARY), st.sampled_from(elsewhere)))
    return ("set", path, value)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str | None, list[tuple[Any, ...]]]:
    """(shipped config, overlay it mutates or None for the base, mutations)."""
    name = draw(st.sampled_from(sorted(SHIPPED)))
    envs = sorted(BASE_OVERLAYS.get(name, {}))
    target = draw(st.sampled_from([None, *envs])) if envs else None
    data = copy.deepcopy(BASE_OVERLAYS[name][target] if target else BASES[name])
    ops: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(mutation(data))
        data = apply(data, op)
        ops.append(op)
    return name, target, ops


def build_mutated(
    case: tuple[str, str | None, list[tuple[Any, ...]]],
) -> tuple[Any, dict[str, Any]]:
    name, target, ops = case
    base = copy.deepcopy(BASES[name])
    overlays = copy.deepcopy(BASE_OVERLAYS.get(name, {}))
    data = overlays[target] if target else base
    for op in ops:
        data = apply(data, op)
    if target:
        overlays[target] = data
    else:
        base = data
    return base, overlays


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
# A logging route without `service:` crashed the layout with a bare ValueError.
@example(
    ("default", None, [("delete", ("components", "logging", "ingress", "routes", 0, "service"))])
)
@example(
    ("default", "staging", [("delete", ("components", "logging", "ingress", "routes", 1, "port"))])
)
# A request above its limit, and a negative quantity, rendered manifests the API server rejects.
@example(
    (
        "services",
        None,
        [("set", ("components", "services", "items", 1, "resources", "limits", "memory"), 4)],
    )
)
@example(
    ("minimal", None, [("set", ("components", "frontend", "resources", "limits", "memory"), "-1")])
)
# An overlay listing one named item twice crashed the merge with an IndexError.
@example(
    (
        "default",
        "staging",
        [("swap", ("domain",), ("applications", 0, "name")), ("duplicate", ("applications", 0))],
    )
)
# Allowed: without depends_on the services app syncs before the CRDs it needs (crd-order).
@example(("services", None, [("delete", ("applications", 2, "depends_on"))]))
def test_mutated_shipped_configs_load_or_render(
    case: tuple[str, str | None, list[tuple[Any, ...]]],
) -> None:
    base, overlays = build_mutated(case)
    check(base, overlays)


# --- strategy (a): the model's JSON Schema ----------------------------------------------------

SCHEMA: dict[str, Any] = json.loads(schema_json())

_END = object()


class _Many:
    """hypothesis-jsonschema 0.23 draws object keys with ``while many.more(): ...``; newer
    Hypothesis replaced that protocol by ``with many(...) as m: for _ in m: ...``. This gives
    the library the old protocol on top of the new one (only its object strategy uses it)."""

    def __init__(self, data: Any, **kwargs: Any) -> None:
        self._many = conjecture_utils.many(data, **kwargs)
        self._many.__enter__()
        self._steps = iter(self._many)

    def more(self) -> bool:
        if next(self._steps, _END) is _END:
            self._many.__exit__(None)
            return False
        return True

    def reject(self, why: str | None = None) -> None:
        self._many.reject(why)


if not hasattr(conjecture_utils.many, "more"):
    _from_schema.cu = types.SimpleNamespace(many=_Many)  # type: ignore[attr-defined,assignment]


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


def _items(name: str, most: int = 3) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name), "maxItems": most}


# Where a value drawn from a part of the schema replaces the shipped config's: (shipped config,
# key path, the part of the schema). Paths name list items by index.
SPLICES: dict[str, tuple[str, Path_, dict[str, Any]]] = {
    "alb": ("default", ("alb",), _ref("Alb")),
    "argocd": ("default", ("argocd",), _ref("ArgoCD")),
    "gitops": ("minimal", ("gitops",), _ref("GitOps")),
    "aws": ("minimal", ("aws",), _ref("Aws")),
    "app-sync": ("default", ("applications", 1, "sync"), _ref("SyncPolicy")),
    "app-ignore": (
        "default",
        ("applications", 0, "ignore_differences"),
        _items("IgnoreDifference"),
    ),
    "app-helm": ("default", ("applications", 2, "helm"), _ref("HelmSource")),
    "app-manifests": ("minimal", ("applications", 1), _ref("Application")),
    "frontend": ("minimal", ("components", "frontend"), _ref("Workload")),
    "probe": ("minimal", ("components", "frontend", "readiness_probe"), _ref("Probe")),
    "resources": ("minimal", ("components", "frontend", "resources"), _ref("Resources")),
    "env": ("default", ("components", "backend", "env"), _items("EnvVar")),
    "env-from": ("minimal", ("components", "frontend", "env_from"), _items("EnvFrom")),
    "frontend-ingress": ("minimal", ("components", "frontend", "ingress"), _ref("IngressSpec")),
    "service": ("minimal", ("components", "frontend", "service"), _ref("ServiceSpec")),
    "backend-ingress": ("default", ("components", "backend", "ingress"), _ref("IngressSpec")),
    "logging-ingress": ("default", ("components", "logging", "ingress"), _ref("IngressSpec")),
    "config-map": ("default", ("components", "backend", "config_map"), _ref("ConfigMapSpec")),
    "secret-store": ("default", ("components", "backend", "secret_store"), _ref("SecretStoreSpec")),
    "external-secret": (
        "default",
        ("components", "backend", "external_secret"),
        _ref("ExternalSecretSpec"),
    ),
    "migration": ("default", ("components", "backend", "migration"), _ref("MigrationJob")),
    "redis": ("default", ("components", "backend", "redis"), _ref("Workload")),
    "network-policy": (
        "default",
        ("components", "memcached", "network_policy"),
        _ref("NetworkPolicySpec"),
    ),
    "fluent-bit": ("default", ("components", "logging", "fluent_bit"), _ref("FluentBit")),
    "observability": ("default", ("components", "observability"), _ref("Observability")),
    "grafana": ("default", ("components", "observability", "grafana"), _ref("GrafanaSettings")),
    "services": ("services", ("components", "services"), _ref("Services")),
    "web-service": ("services", ("components", "services", "items", 0), _ref("WebService")),
    "externals": ("default", ("externals",), _items("External", 6)),
    # In the staging overlay, merged onto the base: drawn values need not be complete there.
    "staging-memcached": ("default@staging", ("components", "memcached"), _ref("Memcached")),
    "staging-argocd": ("default@staging", ("argocd",), _ref("ArgoCD")),
    "staging-gitops": ("default@staging", ("gitops",), _ref("GitOps")),
    "staging-redis": ("default@staging", ("components", "backend", "redis"), _ref("Workload")),
}


# Drawing from the full image regex costs a tenth of a second a string; configs are drawn from a
# copy of the schema whose images come from a plainer subset of the same language (registry
# port, path, tag; image references themselves are checked in tests/test_safety.py).
_IMAGE_PATTERN = "^[a-z0-9]+([.-][a-z0-9]+)*(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,20})?$"


def _plainer(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _plainer(v) for k, v in node.items()}
        if str(out.get("pattern", "")).startswith("^([a-z0-9]+([._-]{1,2}"):
            out["pattern"] = _IMAGE_PATTERN
        if out.get("type") == "array" and "maxItems" not in out:
            out["maxItems"] = 3
        return out
    if isinstance(node, list):
        return [_plainer(v) for v in node]
    return node


GENERATION_SCHEMA: dict[str, Any] = _plainer(SCHEMA)


def _splice_strategy(part: dict[str, Any]) -> st.SearchStrategy[Any]:
    return from_schema({**part, "$defs": GENERATION_SCHEMA["$defs"]})


SPLICE_VALUES = {key: _splice_strategy(part) for key, (_, _, part) in SPLICES.items()}
spliced = st.sampled_from(sorted(SPLICES)).flatmap(
    lambda key: st.tuples(st.just(key), SPLICE_VALUES[key])
)


# Lists the drawn items are appended to, so the shipped items the rest of the config needs stay.
APPENDED = {"externals", "env"}


def build_spliced(key: str, value: Any) -> tuple[Any, dict[str, Any]]:
    """The shipped config (``name``) or its overlay (``name@environment``) with ``value`` at
    the key's path."""
    name, path, _ = SPLICES[key]
    name, _, env = name.partition("@")
    base = copy.deepcopy(BASES[name])
    overlays = copy.deepcopy(BASE_OVERLAYS.get(name, {}))
    target = overlays[env] if env else base
    if key in APPENDED:
        _get(target, path[:-1]).setdefault(path[-1], []).extend(value)
    else:
        parent = target
        for part in path[:-1]:  # an overlay may not have the parents yet
            parent = parent.setdefault(part, {}) if isinstance(part, str) else parent[part]
        parent[path[-1]] = value
    return base, overlays


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spliced)
# A logging route without `service:` crashed the layout with a bare ValueError.
@example(("logging-ingress", {"name": "y.q", "routes": [{"host": "a.example.com", "path": "/"}]}))
# An ExternalSecret without data rendered `data: null` (custom-schema).
@example(("external-secret", {"name": "x", "data": []}))
# A services component without items deployed an empty directory (argocd-app-path).
@example(("services", {"items": []}))
# Negative quantities and requests above limits (value-invalid).
@example(("resources", {"limits": {"memory": -6.8e16}, "requests": {}}))
@example(("resources", {"limits": {"memory": ".981"}, "requests": {"memory": ".2Ti"}}))
# A route to the workload's own Service on a port it does not serve (ingress-backend).
@example(("backend-ingress", {"name": "b", "routes": [{"host": "a.example.com", "port": 1}]}))
# A migration Job name that is a subdomain but not a container name (value-invalid).
@example(("migration", {"command": [], "name": "6.0"}))
# No listen ports (alb-invalid-annotation); the default ssl_redirect 443 without an HTTPS
# listener on 443 (alb-https-listener-missing), unchecked because defaults were not validated.
@example(("alb", {"listen_ports": []}))
@example(("alb", {"listen_ports": [{"HTTP": 1}, {"HTTPS": 1}]}))
# Two web services whose Services share a name (duplicate-resource).
@example(
    (
        "services",
        {
            "items": [
                {"image": "a:1", "name": "b", "port": 1, "service": {"name": "a", "port": 1}},
                {"image": "a:1", "name": "c", "port": 1, "service": {"name": "a", "port": 1}},
            ]
        },
    )
)
def test_schema_generated_configs_load_or_render(case: tuple[str, Any]) -> None:
    base, overlays = build_spliced(*case)
    check(base, overlays)


# --- the bugs the properties found, each as a direct case -------------------------------------


def load_errors(name: str, ops: list[tuple[Any, ...]]) -> list[str]:
    """The config errors of shipped config ``name`` after ``ops`` (none: it loads)."""
    data = copy.deepcopy(BASES[name])
    for op in ops:
        data = apply(data, op)
    with tempfile.TemporaryDirectory(prefix="gigrouter-prop-") as scratch:
        config = Path(scratch) / "platform.yaml"
        config.write_text(_dump(data), encoding="utf-8")
        try:
            build_trees(config)
        except GigrouterError as exc:
            assert exc.exit_code == 2
            return [line.split(": ", 1)[1] for line in exc.lines()]
    return []


LOGGING_ROUTE = ("components", "logging", "ingress", "routes", 0)
FRONTEND = ("components", "frontend")


@pytest.mark.parametrize(
    ("name", "ops", "expected"),
    [
        (
            "default",
            [("delete", (*LOGGING_ROUTE, "service"))],
            "components.logging.ingress.routes[0].service: this key is required",
        ),
        (
            "default",
            [("delete", (*LOGGING_ROUTE, "port"))],
            "components.logging.ingress.routes[0].port: this key is required",
        ),
        (
            "minimal",
            [("set", (*FRONTEND, "ingress", "routes", 0, "port"), 1)],
            "components.frontend.ingress.routes[0].port: 1 is not a port of Service 'shop',"
            " which serves 80 (leave `port` out to use it)",
        ),
        (
            "default",
            [("set", ("components", "backend", "external_secret", "data"), [])],
            "components.backend.external_secret.data: List should have at least 1 item after"
            " validation, not 0",
        ),
        (
            "services",
            [("set", ("components", "services", "items"), [])],
            "components.services.items: List should have at least 1 item after validation, not 0",
        ),
        (
            "minimal",
            [("set", (*FRONTEND, "resources", "limits", "memory"), "-256Mi")],
            "components.frontend.resources.limits.memory: '-256Mi' is negative; CPU, memory and"
            " storage are at least 0",
        ),
        (
            "minimal",
            [("set", (*FRONTEND, "resources", "limits", "memory"), 4)],
            "components.frontend.resources: requests.memory 128Mi is more than limits.memory 4;"
            " Kubernetes rejects a request above its limit",
        ),
        (
            "minimal",
            [("set", (*FRONTEND, "resources", "requests", "cpu"), "1e999999999")],
            "components.frontend.resources.requests.cpu: '1e999999999' is out of range for a"
            " Kubernetes quantity",
        ),
        (
            "minimal",
            [("set", (*FRONTEND, "resources", "requests", "cpu"), "١٠٠m")],
            "components.frontend.resources.requests.cpu: '١٠٠m' is not a Kubernetes quantity"
            " such as '100m', '0.5', '256Mi' or '2Gi'",
        ),
        (
            "minimal",
            [("set", (*FRONTEND, "image"), "registry.example.com/shop/web:1.4.ü")],
            "components.frontend.image: 'registry.example.com/shop/web:1.4.ü' is not an image"
            " reference such as 'registry.example.com/team/app:1.2.3'",
        ),
        (
            "default",
            [("set", ("components", "backend", "migration", "name"), "db.migrate")],
            "components.backend.migration.name: 'db.migrate' is not a DNS-1123 label: at most 63"
            " lower-case letters, digits and '-', starting and ending with a letter or digit",
        ),
        (
            "minimal",
            [("set", ("alb",), {"listen_ports": []})],
            "alb.listen_ports: List should have at least 1 item after validation, not 0",
        ),
        (
            "minimal",
            [("set", ("alb",), {"listen_ports": [{"HTTP": 80}, {"HTTPS": 8443}]})],
            "alb.ssl_redirect: ssl_redirect 443 is not among the HTTPS listen_ports [8443]: the ALB"
            " would redirect to a port it does not listen on",
        ),
        (
            "services",
            [("set", ("components", "services", "items", 1, "service", "name"), "svc-0000")],
            "components.services.items[svc-0001].service.name: Service shop/svc-0000 is also"
            " rendered from components.services.items[0].service.name",
        ),
        (
            "default",
            [("set", ("components", "backend", "redis", "name"), "backend")],
            "components.backend.redis.name: Deployment backend/backend is also rendered from"
            " components.backend.name",
        ),
    ],
    ids=[
        "logging-route-without-service",
        "logging-route-without-port",
        "route-port-not-served",
        "external-secret-without-data",
        "services-without-items",
        "negative-quantity",
        "request-above-limit",
        "quantity-out-of-range",
        "quantity-non-ascii-digits",
        "image-tag-non-ascii",
        "migration-name-not-a-label",
        "no-listen-ports",
        "default-redirect-not-listened",
        "service-name-twice-in-a-namespace",
        "deployment-name-twice-in-a-namespace",
    ],
)
def test_found_bugs_are_config_errors(name: str, ops: list[tuple[Any, ...]], expected: str) -> None:
    assert load_errors(name, ops) == [expected]


def test_route_to_its_own_service_port_still_loads() -> None:
    port = BASES["minimal"]["components"]["frontend"]["service"]["port"]
    assert (
        load_errors("minimal", [("set", (*FRONTEND, "ingress", "routes", 0, "port"), port)]) == []
    )


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_configs_satisfy_the_schema(name: str) -> None:
    """The patterns the schema carries are the model's own: no shipped config breaks one."""
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert [e.message for e in validator.iter_errors(BASES[name])] == []


@pytest.mark.parametrize("new_in_base", [False, True], ids=["new-item", "base-item"])
def test_overlay_listing_an_item_twice_is_a_config_error(new_in_base: bool) -> None:
    """Found by the mutations: the second of two same-named overlay items crashed the merge
    (IndexError) when the name was new, and silently replaced the first when it was not."""
    overlay = copy.deepcopy(BASE_OVERLAYS["default"]["staging"])
    name = "aws-load-balancer-controller" if new_in_base else "extra"
    item = {"name": name, "description": "x"}
    overlay["applications"] = [item, dict(item)]
    with tempfile.TemporaryDirectory(prefix="gigrouter-prop-") as scratch:
        config = Path(scratch) / "platform.yaml"
        config.write_text(_dump(BASES["default"]), encoding="utf-8")
        (config.parent / "environments").mkdir()
        staging = config.parent / "environments" / "staging.yaml"
        staging.write_text(_dump(overlay), encoding="utf-8")
        with pytest.raises(ConfigError) as info:
            build_trees(config, everything=True)
        text = staging.read_text(encoding="utf-8").splitlines()
    lines = [n for n, line in enumerate(text, start=1) if line.startswith(f"- name: {name}")]
    assert info.value.lines() == [
        f"{staging}:{lines[1]}: applications[{name}]: {name!r} is listed twice in this overlay"
        f" (first at line {lines[0]})"
    ]

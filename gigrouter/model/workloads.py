"""Workloads: containers, probes, resources, Services and Ingresses."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from gigrouter.model.base import Strict
from gigrouter.model.ingress import AnnotationKey, IngressTls, no_wave_key
from gigrouter.types import (
    INT32_MAX,
    Dns1035Label,
    DnsLabel,
    DnsSubdomain,
    EnvName,
    GroupOrder,
    Host,
    Image,
    Port,
    PortName,
    Quantity,
    Text,
    UrlPath,
    Wave,
    quantity_value,
)

# --- workloads ------------------------------------------------------------------------------


class ResourceList(Strict):
    cpu: Quantity | None = None
    memory: Quantity | None = None


class Resources(Strict):
    requests: ResourceList = ResourceList()
    limits: ResourceList = ResourceList()

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        for name in ("cpu", "memory"):
            request, limit = getattr(self.requests, name), getattr(self.limits, name)
            both = request is not None and limit is not None
            if both and quantity_value(request) > quantity_value(limit):
                raise ValueError(
                    f"requests.{name} {request} is more than limits.{name} {limit};"
                    " Kubernetes rejects a request above its limit"
                )
        return self


class Probe(Strict):
    """A readiness or liveness probe. ``http`` may send a Host header the app accepts."""

    type: Literal["http", "tcp", "exec"]
    path: UrlPath | None = None
    port: Port | PortName | None = Field(default=None, description="Default: the container port")
    host_header: Host | None = None
    command: list[Text] = []
    initial_delay_seconds: Annotated[int, Field(ge=0, le=INT32_MAX)] = 5
    period_seconds: Annotated[int, Field(ge=1, le=INT32_MAX)] = 10
    timeout_seconds: Annotated[int, Field(ge=1, le=INT32_MAX)] = 1
    failure_threshold: Annotated[int, Field(ge=1, le=INT32_MAX)] = 3

    @model_validator(mode="after")
    def _fields_for_type(self) -> Probe:
        if self.type == "http" and self.path is None:
            raise ValueError("an http probe needs `path`")
        if self.type == "exec" and not self.command:
            raise ValueError("an exec probe needs `command`")
        if self.type != "http" and (self.path is not None or self.host_header is not None):
            raise ValueError("`path` and `host_header` belong to http probes")
        if self.type != "exec" and self.command:
            raise ValueError("`command` belongs to exec probes")
        return self


class KeyRef(Strict):
    name: DnsSubdomain
    key: Annotated[str, Field(pattern=r"^[-._a-zA-Z0-9]+$", max_length=253)]


class EnvVar(Strict):
    name: EnvName
    value: Text | None = None
    config_map_key: KeyRef | None = None
    secret_key: KeyRef | None = None

    @model_validator(mode="after")
    def _one_source(self) -> EnvVar:
        given = [x for x in (self.value, self.config_map_key, self.secret_key) if x is not None]
        if len(given) != 1:
            raise ValueError("an env var has exactly one of value, config_map_key or secret_key")
        return self


class EnvFrom(Strict):
    config_map: DnsSubdomain | None = None
    secret: DnsSubdomain | None = None

    @model_validator(mode="after")
    def _one(self) -> EnvFrom:
        if (self.config_map is None) == (self.secret is None):
            raise ValueError("env_from items name exactly one of config_map or secret")
        return self


class Container(Strict):
    """What one container runs; shared by Deployments, Jobs and DaemonSets."""

    image: Image
    command: list[Text] = []
    args: list[Text] = []
    env: list[EnvVar] = []
    env_from: list[EnvFrom] = []
    resources: Resources | None = None
    readiness_probe: Probe | None = None
    liveness_probe: Probe | None = None

    @field_validator("env")
    @classmethod
    def _unique_env(cls, value: list[EnvVar]) -> list[EnvVar]:
        names = [e.name for e in value]
        dupes = sorted(n for n, times in Counter(names).items() if times > 1)
        if dupes:
            raise ValueError(f"env var {dupes[0]!r} is set twice")
        return value


class ServiceSpec(Strict):
    name: Dns1035Label
    port: Port
    port_name: PortName = "http"
    wave: Wave | None = None


class Route(Strict):
    host: Host
    path: UrlPath = "/"
    path_type: Literal["Prefix", "Exact", "ImplementationSpecific"] = "Prefix"
    service: Dns1035Label | None = Field(default=None, description="Default: the workload's")
    port: Port | None = Field(default=None, description="Default: the workload Service's port")


class ServiceRoute(Route):
    """A route of an Ingress that belongs to no workload, so it names its Service and port."""

    service: Dns1035Label
    port: Port


class IngressSpec(Strict):
    """An Ingress, served by the controller of its ingress profile (the ALB group by default)."""

    name: DnsSubdomain
    routes: list[Route]
    profile: DnsLabel | None = Field(default=None, description="Default: default_ingress_profile")
    annotations: dict[AnnotationKey, Text] = Field(
        default={}, description="Written after the profile's annotations"
    )
    tls: bool | list[IngressTls] = Field(
        default=[],
        description="spec.tls entries; true: one entry with every routed host and the Secret"
        " <name>-tls",
    )
    cluster_issuer: DnsSubdomain | None = Field(
        default=None, description="cert-manager ClusterIssuer; overrides the profile's issuer"
    )
    issuer: DnsSubdomain | None = Field(
        default=None, description="cert-manager Issuer; overrides the profile's issuer"
    )
    group_order: GroupOrder | None = None
    healthcheck_path: UrlPath | None = None
    wave: Wave | None = None

    @field_validator("annotations")
    @classmethod
    def _annotations(cls, value: dict[str, str]) -> dict[str, str]:
        return no_wave_key(value)

    @field_validator("routes")
    @classmethod
    def _routes(cls, value: list[Route]) -> list[Route]:
        if not value:
            raise ValueError("an ingress needs at least one route")
        seen = [(r.host, r.path) for r in value]
        times = Counter(seen)
        for pair in seen:
            if times[pair] > 1:
                raise ValueError(f"host {pair[0]} path {pair[1]} is routed twice")
        return value


class ServiceIngressSpec(IngressSpec):
    """An Ingress of no workload (the logging stack's): every route names its Service."""

    # A narrower item type than IngressSpec's; pydantic validates the items as ServiceRoute.
    routes: list[ServiceRoute]  # type: ignore[assignment]


class ConfigMapSpec(Strict):
    name: DnsSubdomain
    data: dict[Annotated[str, Field(pattern=r"^[-._a-zA-Z0-9]+$")], Text]
    wave: Wave | None = None


class NetworkPolicySpec(Strict):
    name: DnsSubdomain
    allow_from_namespaces: list[DnsLabel]

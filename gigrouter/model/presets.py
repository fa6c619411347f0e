"""The seed platform's components: thin presets over the workload models."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from gigrouter.model.base import Strict, check_plain_data
from gigrouter.model.secrets import ExternalSecretItem, ExternalSecretSpec, SecretStoreSpec
from gigrouter.model.workloads import (
    ConfigMapSpec,
    Container,
    IngressSpec,
    NetworkPolicySpec,
    Resources,
    ServiceIngressSpec,
    Workload,
)
from gigrouter.types import (
    Arn,
    DnsLabel,
    DnsSubdomain,
    Duration,
    Port,
    Quantity,
    Text,
    Wave,
)


class MigrationJob(Strict):
    """The database migration, run as an Argo CD Sync hook with the backend's image."""

    name: DnsLabel = Field(description="Also its container's name and its pods' app label")
    command: list[Text]
    backoff_limit: Annotated[int, Field(ge=0)] = 3
    wave: Wave | None = None
    resources: Resources | None = None


class Backend(Workload):
    """The Django API: its config, secrets, migration Job and Redis."""

    create_service_account: bool = Field(
        default=False,
        description="Render the ServiceAccount; false means it is a declared external",
    )
    irsa_role_arn: Arn | None = Field(
        default=None, description="eks.amazonaws.com/role-arn of the rendered ServiceAccount"
    )
    config_map: ConfigMapSpec
    secret_store: SecretStoreSpec
    external_secret: ExternalSecretSpec
    migration: MigrationJob
    redis: Workload

    def objects(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        out: list[tuple[str, str, tuple[str | int, ...]]] = []
        if self.create_service_account and self.service_account:
            out.append(("ServiceAccount", self.service_account, ("service_account",)))
        out.append(("ConfigMap", self.config_map.name, ("config_map", "name")))
        store = self.secret_store
        out.append((store.kind, store.name, ("secret_store", "name")))
        out.append(("ExternalSecret", self.external_secret.name, ("external_secret", "name")))
        out.append(("Job", self.migration.name, ("migration", "name")))
        out += super().objects()
        out += [(k, n, ("redis", *p)) for k, n, p in self.redis.objects()]
        return out

    @model_validator(mode="after")
    def _service_account(self) -> Backend:
        if self.service_account is None:
            raise ValueError(
                "the backend needs `service_account` (the SecretStore authenticates as it)"
            )
        if self.irsa_role_arn is not None and not self.create_service_account:
            raise ValueError("irsa_role_arn is written only when create_service_account is true")
        return self


class Memcached(Workload):
    network_policy: NetworkPolicySpec | None = None

    def objects(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        out = super().objects()
        if self.network_policy is not None:
            out.append(("NetworkPolicy", self.network_policy.name, ("network_policy", "name")))
        return out


class FluentBit(Container):
    name: DnsLabel = "fluent-bit"
    log_path: Annotated[str, Field(pattern=r"^/[^\s]*$")] = "/var/log/pods/*/*/*.log"
    index: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")] = "fluent-bit"
    http_port: Port = 2020


class Logging(Strict):
    elasticsearch: Workload
    kibana: Workload
    fluent_bit: FluentBit
    ingress: ServiceIngressSpec

    def objects(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        out = [(k, n, ("elasticsearch", *p)) for k, n, p in self.elasticsearch.objects()]
        out += [(k, n, ("kibana", *p)) for k, n, p in self.kibana.objects()]
        fb: tuple[str | int, ...] = ("fluent_bit", "name")
        out.append(("DaemonSet", self.fluent_bit.name, fb))
        out.append(("ConfigMap", f"{self.fluent_bit.name}-config", fb))
        out.append(("Ingress", self.ingress.name, ("ingress", "name")))
        return out


class PrometheusSettings(Strict):
    replicas: Annotated[int, Field(ge=1)] = 1
    retention: Duration = "3h"
    retention_size: Annotated[str, Field(pattern=r"^\d+(B|KB|MB|GB|TB|PB|EB)$")] = "200MB"
    resources: Resources | None = None


class GrafanaSettings(Strict):
    persistence_size: Quantity = "5Gi"
    admin_secret: DnsSubdomain = "grafana-admin-secret"
    admin_user_key: Text = "admin-user"
    admin_password_key: Text = "admin-password"
    ingress: IngressSpec | None = None


class Observability(Strict):
    """Values for kube-prometheus-stack, written to observability/values.yaml."""

    prometheus: PrometheusSettings = PrometheusSettings()
    grafana: GrafanaSettings = GrafanaSettings()
    kube_state_metrics_resources: Resources | None = None
    node_exporter_resources: Resources | None = None
    disabled: list[Text] = Field(
        default=[], description="Top-level chart components switched off (`<name>.enabled: false`)"
    )
    extra_values: dict[str, Any] = {}

    @field_validator("extra_values")
    @classmethod
    def _extra(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_plain_data(value)
        return value

    def objects(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        """None: the chart renders its objects from the values file."""
        return []


class WebService(Workload):
    """A web service of the `services` component: Deployment, Service and Ingress, with its
    configuration in a ConfigMap and its secrets read through an ExternalSecret."""

    config: dict[Annotated[str, Field(pattern=r"^[-._a-zA-Z0-9]+$")], Text] = {}
    secrets: list[ExternalSecretItem] = []
    refresh_interval: Duration = "1h"
    support_wave: Wave | None = Field(
        default=None, description="Sync wave of its ConfigMap and ExternalSecret"
    )


class Services(Strict):
    """Many web services deployed by one application, one file per service."""

    secret_store: SecretStoreSpec | None = Field(
        default=None, description="The SecretStore every service's ExternalSecret reads from"
    )
    service_account: DnsSubdomain | None = Field(
        default=None, description="The ServiceAccount the SecretStore authenticates as"
    )
    items: Annotated[list[WebService], Field(min_length=1)]

    def objects(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        out: list[tuple[str, str, tuple[str | int, ...]]] = []
        if self.secret_store is not None:
            store = self.secret_store
            out.append((store.kind, store.name, ("secret_store", "name")))
        for i, item in enumerate(self.items):
            path: tuple[str | int, ...] = ("items", i)
            out += [(k, n, (*path, *p)) for k, n, p in item.objects()]
            if item.config:
                out.append(("ConfigMap", f"{item.name}-config", (*path, "name")))
            if item.secrets:
                out.append(("ExternalSecret", f"{item.name}-secrets", (*path, "name")))
        return out

    @model_validator(mode="after")
    def _secrets_need_a_store(self) -> Services:
        names = [s.name for s in self.items]
        dupes = sorted(n for n, times in Counter(names).items() if times > 1)
        if dupes:
            raise ValueError(f"service {dupes[0]!r} is defined twice")
        if any(s.secrets for s in self.items) and self.secret_store is None:
            raise ValueError("services with secrets need `secret_store`")
        if self.secret_store is not None and self.secret_store.aws and not self.service_account:
            raise ValueError("`secret_store` needs `service_account` to authenticate as")
        return self


class Components(Strict):
    """The workloads; each is rendered only when an enabled application deploys it."""

    backend: Backend | None = None
    frontend: Workload | None = None
    memcached: Memcached | None = None
    logging: Logging | None = None
    observability: Observability | None = None
    services: Services | None = None

    def objects(self, component: str) -> list[tuple[str, str, tuple[str | int, ...]]]:
        """The named objects ``component``'s manifests hold, as (kind, name, key path of the
        name), so that names meeting in one namespace are found before anything renders."""
        preset = getattr(self, component)
        if preset is None:
            return []
        at: tuple[str | int, ...] = ("components", component)
        return [(kind, name, (*at, *path)) for kind, name, path in preset.objects()]

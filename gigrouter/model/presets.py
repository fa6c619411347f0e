"""The seed platform's components: thin presets over the workload catalogue.

Each preset keeps the config keys of the seed (``port``, ``service.port``, ``migration``, ...)
and is built, when it is validated, into the catalogue's workloads (:class:`WorkloadSpec`):
``instances()`` are what layout renders, through the same registry and templates as any
application's ``workloads``. A preset is valid only if its instances are, so every check of the
catalogue applies to it too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Annotated, Any, Self

from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from gigrouter.model.base import Strict, check_plain_data
from gigrouter.model.catalogue import (
    ContainerExtras,
    ContainerPort,
    HostPath,
    Int32,
    JobSettings,
    PodSettings,
    ServiceAccountSpec,
    ServicePort,
    Volume,
    VolumeMount,
    WorkloadExternalSecret,
    WorkloadPolicy,
    WorkloadService,
    WorkloadSpec,
)
from gigrouter.model.secrets import ExternalSecretItem, ExternalSecretSpec, SecretStoreSpec
from gigrouter.model.workloads import (
    ConfigMapSpec,
    Container,
    EnvFrom,
    IngressSpec,
    NetworkPolicySpec,
    Resources,
    ServiceIngressSpec,
    ServiceSpec,
)
from gigrouter.types import (
    INT32_MAX,
    Arn,
    DnsLabel,
    DnsSubdomain,
    Duration,
    Port,
    PortName,
    Quantity,
    Text,
    Wave,
)

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
FLUENT_BIT_CONFIG_DIR = "/fluent-bit/etc/conf"
_FLUENT_BIT_VOLUMES = {"varlog": "the node's /var/log", "config": "its fluent-bit.conf"}


def as_catalogue(build: Callable[[], list[WorkloadSpec]], key: str = "") -> list[WorkloadSpec]:
    """The instances ``build`` makes; a catalogue check they fail is this preset's error, at
    ``key`` below it (the loader then points at the line of the key the message starts with)."""
    try:
        return build()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = key
        for part in first["loc"]:
            where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ValueError(f"{where}: {message}" if where else message) from None


class Built(Strict):
    """A preset that is a set of catalogue workloads, built (and so checked) when validated."""

    _instances: list[WorkloadSpec] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _as_catalogue(self) -> Self:
        self._instances = as_catalogue(self.catalogue)
        return self

    def catalogue(self) -> list[WorkloadSpec]:
        """The catalogue workloads this preset is."""
        raise NotImplementedError

    def instances(self) -> list[WorkloadSpec]:
        return list(self._instances)


class Workload(PodSettings, ContainerExtras, Container, Built):
    """A Deployment with its Service and, when reachable from outside, an Ingress: the
    catalogue's Deployment with one named port, whose Service targets that port."""

    name: DnsLabel
    replicas: Annotated[int, Field(ge=0, le=INT32_MAX)] = 1
    port: Port
    port_name: PortName = "http"
    service_account: DnsSubdomain | None = None
    wave: Wave | None = None
    service: ServiceSpec
    ingress: IngressSpec | None = None

    def catalogue(self) -> list[WorkloadSpec]:
        return [self.spec()]

    def spec(self, **changes: Any) -> WorkloadSpec:
        """This workload as the catalogue's Deployment, with ``changes`` to its fields."""
        account = None
        if self.service_account is not None:
            account = ServiceAccountSpec(name=self.service_account, create=False)
        service = WorkloadService(
            name=self.service.name,
            ports=[
                ServicePort(
                    name=self.service.port_name, port=self.service.port, target_port=self.port
                )
            ],
            wave=self.service.wave,
        )
        fields: dict[str, Any] = {
            **_inherited(self),
            "kind": "Deployment",
            "name": self.name,
            "ports": [ContainerPort(name=self.port_name, container_port=self.port)],
            "replicas": self.replicas,
            "wave": self.wave,
            "service_account": account,
            "service": service,
            "ingress": self.ingress,
        }
        return WorkloadSpec(**{**fields, **changes})

    def objects(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        """The named objects this workload renders: (kind, name, key path below it)."""
        out: list[tuple[str, str, tuple[str | int, ...]]] = [
            ("Deployment", self.name, ("name",)),
            ("Service", self.service.name, ("service", "name")),
        ]
        if self.ingress is not None:
            out.append(("Ingress", self.ingress.name, ("ingress", "name")))
        return out


# The fields a preset passes to its catalogue workload unchanged: the container's and the pod's.
_INHERITED = (*Container.model_fields, *ContainerExtras.model_fields, *PodSettings.model_fields)


def _inherited(preset: Container) -> dict[str, Any]:
    """The container and pod fields of ``preset``, as its catalogue workload takes them."""
    return {name: getattr(preset, name) for name in _INHERITED}


class MigrationJob(Strict):
    """The database migration, run as an Argo CD Sync hook with the backend's image."""

    name: DnsLabel = Field(description="Also its container's name and its pods' app label")
    command: list[Text]
    backoff_limit: Int32 = 3
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

    @model_validator(mode="after")
    def _as_catalogue(self) -> Backend:
        """The backend's own checks, then its catalogue instances (replaces Workload's)."""
        if self.service_account is None:
            raise ValueError(
                "the backend needs `service_account` (the SecretStore authenticates as it)"
            )
        if self.irsa_role_arn is not None and not self.create_service_account:
            raise ValueError("irsa_role_arn is written only when create_service_account is true")
        self._instances = as_catalogue(self.catalogue)
        return self

    def catalogue(self) -> list[WorkloadSpec]:
        """The API's Deployment with its ServiceAccount, ConfigMap, store and ExternalSecret;
        the migration as a Sync hook Job with the API's image, env, volumes, security and
        scheduling (not its args, init containers or sidecars: the migration's command replaces
        the server's, an init container waiting for the migration would wait for itself, and a
        Job's pod ends with its container); Redis."""
        irsa = {IRSA_ANNOTATION: self.irsa_role_arn} if self.irsa_role_arn else {}
        account = ServiceAccountSpec(
            name=self.service_account, create=self.create_service_account, annotations=irsa
        )
        es = self.external_secret
        # Waves left out: the migration one before the API's pods (they need its schema), the
        # ConfigMap and the ExternalSecret, which both read, one before the earlier of the two.
        m = self.migration
        migration_wave = m.wave if m.wave is not None else (self.wave or 0) - 1
        before = min(self.wave or 0, migration_wave) - 1
        config_map = self.config_map
        if config_map.wave is None:
            config_map = config_map.model_copy(update={"wave": before})
        api = self.spec(
            service_account=account,
            config_maps=[config_map],
            secret_store=self.secret_store,
            external_secrets=[
                WorkloadExternalSecret(
                    name=es.name,
                    target=es.target_name,
                    refresh_interval=es.refresh_interval,
                    data=es.data,
                    wave=es.wave if es.wave is not None else before,
                )
            ],
        )
        migration = self.spec(
            kind="Job",
            name=m.name,
            command=m.command,
            args=[],
            init_containers=[],
            resources=m.resources,
            readiness_probe=None,
            liveness_probe=None,
            startup_probe=None,
            ports=[],
            sidecars=[],
            replicas=None,
            wave=migration_wave,
            service_account=ServiceAccountSpec(name=self.service_account, create=False),
            service=None,
            ingress=None,
            job=JobSettings(backoff_limit=m.backoff_limit, hook="Sync"),
        )
        return [api, migration, *self.redis.instances()]

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


class Memcached(Workload):
    network_policy: NetworkPolicySpec | None = None

    def catalogue(self) -> list[WorkloadSpec]:
        np = self.network_policy
        policy = None
        if np is not None:
            policy = WorkloadPolicy(
                name=np.name, allow_from_namespaces=np.allow_from_namespaces, same_namespace=False
            )
        return [self.spec(network_policy=policy)]

    def objects(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        out = super().objects()
        if self.network_policy is not None:
            out.append(("NetworkPolicy", self.network_policy.name, ("network_policy", "name")))
        return out


class FluentBit(PodSettings, ContainerExtras, Container):
    """Fluent Bit on every node: tails the pod logs and ships them to Elasticsearch."""

    name: DnsLabel = "fluent-bit"
    log_path: Annotated[str, Field(pattern=r"^/[^\s]*$")] = "/var/log/pods/*/*/*.log"
    index: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")] = "fluent-bit"
    http_port: Port = 2020

    @model_validator(mode="after")
    def _own_volumes(self) -> FluentBit:
        for i, v in enumerate(self.volumes):
            if v.name in _FLUENT_BIT_VOLUMES:
                raise ValueError(
                    f"volumes[{i}].name: {v.name!r} is Fluent Bit's own volume"
                    f" ({_FLUENT_BIT_VOLUMES[v.name]}); give yours another name"
                )
        for i, m in enumerate(self.volume_mounts):
            if m.mount_path in ("/var/log", FLUENT_BIT_CONFIG_DIR):
                raise ValueError(
                    f"volume_mounts[{i}].mount_path: {m.mount_path} is where Fluent Bit's own"
                    " volume is mounted"
                )
        return self

    def config(self, es_host: str, es_port: int) -> str:
        """fluent-bit.conf: tail the pod logs, ship them to Elasticsearch."""
        return (
            "[SERVICE]\n"
            "    Flush         1\n"
            "    Log_Level     info\n"
            "    HTTP_Server   On\n"
            "    HTTP_Listen   0.0.0.0\n"
            f"    HTTP_Port     {self.http_port}\n"
            "    Health_Check  On\n"
            "\n"
            "[INPUT]\n"
            "    Name              tail\n"
            f"    Path              {self.log_path}\n"
            "    Tag               kube.*\n"
            "    multiline.parser  cri, docker\n"
            "    Mem_Buf_Limit     5MB\n"
            "    Skip_Long_Lines   On\n"
            "\n"
            "[OUTPUT]\n"
            "    Name                es\n"
            "    Match               *\n"
            f"    Host                {es_host}\n"
            f"    Port                {es_port}\n"
            f"    Index               {self.index}\n"
            "    Suppress_Type_Name  On\n"
        )

    def spec(self, es_host: str, es_port: int) -> WorkloadSpec:
        """The catalogue's DaemonSet: the node's /var/log and its config mounted read-only."""
        config = f"{self.name}-config"
        return WorkloadSpec(
            **{
                **_inherited(self),
                "kind": "DaemonSet",
                "name": self.name,
                "args": [f"--config={FLUENT_BIT_CONFIG_DIR}/fluent-bit.conf"],
                "ports": [ContainerPort(name="http", container_port=self.http_port)],
                "volume_mounts": [
                    VolumeMount(name="varlog", mount_path="/var/log", read_only=True),
                    VolumeMount(name="config", mount_path=FLUENT_BIT_CONFIG_DIR, read_only=True),
                    *self.volume_mounts,
                ],
                "volumes": [
                    Volume(name="varlog", host_path=HostPath(path="/var/log")),
                    Volume(name="config", config_map=config),
                    *self.volumes,
                ],
                "config_maps": [
                    ConfigMapSpec(
                        name=config, data={"fluent-bit.conf": self.config(es_host, es_port)}
                    )
                ],
            }
        )


class Logging(Built):
    """Elasticsearch, Kibana and Fluent Bit, with one Ingress whose routes name their Service
    (rendered beside Kibana's workload)."""

    elasticsearch: Workload
    kibana: Workload
    fluent_bit: FluentBit
    ingress: ServiceIngressSpec

    def catalogue(self) -> list[WorkloadSpec]:
        es = self.elasticsearch
        fluent_bit = as_catalogue(
            lambda: [self.fluent_bit.spec(es.service.name, es.service.port)], "fluent_bit"
        )
        # Kibana's own keys were checked as its workload; what is new here is the Ingress,
        # whose messages name its keys (`ingress.routes[0].port: ...`).
        return [*es.instances(), self.kibana.spec(ingress=self.ingress), *fluent_bit]

    def objects(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        out = [(k, n, ("elasticsearch", *p)) for k, n, p in self.elasticsearch.objects()]
        out += [(k, n, ("kibana", *p)) for k, n, p in self.kibana.objects()]
        fb: tuple[str | int, ...] = ("fluent_bit", "name")
        out.append(("DaemonSet", self.fluent_bit.name, fb))
        out.append(("ConfigMap", f"{self.fluent_bit.name}-config", fb))
        out.append(("Ingress", self.ingress.name, ("ingress", "name")))
        return out


class PrometheusSettings(Strict):
    replicas: Annotated[int, Field(ge=1, le=INT32_MAX)] = 1
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
        default=None,
        description="Sync wave of its ConfigMap and ExternalSecret; default: none for the"
        " ConfigMap, one before the Deployment for the ExternalSecret",
    )

    def names(self) -> tuple[str, str]:
        """The names of its ConfigMap and of its ExternalSecret (and Secret)."""
        return f"{self.name}-config", f"{self.name}-secrets"

    def catalogue(self) -> list[WorkloadSpec]:
        """Checked without its ExternalSecret, which needs the shared store (see Services)."""
        config = self.names()[0]
        env_from = list(self.env_from)
        config_maps = []
        if self.config:
            env_from.append(EnvFrom(config_map=config))
            config_maps.append(ConfigMapSpec(name=config, data=self.config, wave=self.support_wave))
        return [self.spec(env_from=env_from, config_maps=config_maps)]

    def with_store(self, store: SecretStoreSpec | None) -> WorkloadSpec:
        """The checked Deployment, now also reading its Secret (via envFrom) from the
        ExternalSecret on ``store``. Not checked again: a named store and one ExternalSecret
        are all the catalogue asks of it."""
        checked = self.instances()[0]
        if not self.secrets or store is None:
            return checked
        secrets = self.names()[1]
        external = WorkloadExternalSecret(
            name=secrets,
            target=secrets,
            store=store.name,
            store_kind=store.kind,
            refresh_interval=self.refresh_interval,
            data=self.secrets,
            wave=self.support_wave,
        )
        env_from = [*checked.env_from, EnvFrom(secret=secrets)]
        return checked.model_copy(update={"env_from": env_from, "external_secrets": [external]})


class Services(Built):
    """Many web services deployed by one application, one file per service."""

    secret_store: SecretStoreSpec | None = Field(
        default=None, description="The SecretStore every service's ExternalSecret reads from"
    )
    service_account: DnsSubdomain | None = Field(
        default=None, description="The ServiceAccount the SecretStore authenticates as"
    )
    items: Annotated[list[WebService], Field(min_length=1)]

    def store_wave(self) -> int | None:
        """The shared store's wave: its own, else one before the earliest ExternalSecret."""
        store = self.secret_store
        if store is None or store.wave is not None:
            return None if store is None else store.wave
        waves = [
            item.support_wave if item.support_wave is not None else (item.wave or 0) - 1
            for item in self.items
            if item.secrets
        ]
        first = min(waves, default=0) - 1
        return None if not waves or first == 0 else first

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

    def catalogue(self) -> list[WorkloadSpec]:
        """Each service's Deployment; one with secrets now reading the shared store."""
        store = self.secret_store
        return [
            item.with_store(store) if item.secrets else item.instances()[0] for item in self.items
        ]


class Components(Strict):
    """The workloads; each is rendered only when an enabled application deploys it."""

    backend: Backend | None = None
    frontend: Workload | None = None
    memcached: Memcached | None = None
    logging: Logging | None = None
    observability: Observability | None = None
    services: Services | None = None

    def instances(self, component: str) -> list[WorkloadSpec]:
        """The catalogue workloads ``component`` renders (none for observability, a values file)."""
        preset = getattr(self, component)
        if preset is None or isinstance(preset, Observability):
            return []
        found: list[WorkloadSpec] = preset.instances()
        return found

    def objects(self, component: str) -> list[tuple[str, str, tuple[str | int, ...]]]:
        """The named objects ``component``'s manifests hold, as (kind, name, key path of the
        name), so that names meeting in one namespace are found before anything renders."""
        preset = getattr(self, component)
        if preset is None:
            return []
        at: tuple[str | int, ...] = ("components", component)
        return [(kind, name, (*at, *path)) for kind, name, path in preset.objects()]

"""The platform model: the first thing built from the config, and the only input of later stages.

Every model forbids unknown keys and is frozen. Cross-field rules (waves against dependencies,
externals against rendered objects, unique names) live here, so a config that loads is one that
renders.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gigrouter.giturl import check_remote, credentials_in, redact
from gigrouter.types import (
    Arn,
    Dns1035Label,
    DnsLabel,
    DnsSubdomain,
    Duration,
    EnvName,
    GitRevision,
    GroupOrder,
    Host,
    Image,
    Port,
    PortName,
    Quantity,
    Region,
    RelativeDir,
    Text,
    UrlPath,
    VpcId,
    Wave,
    printable,
    quantity_value,
)

SEED_REPO_URL = "https://github.com/NTI-Django-React-Project/k8s-manifests"
IN_CLUSTER = "https://kubernetes.default.svc"

_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$")
_GROUP_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$")
_CHART_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$")
_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")


class Strict(BaseModel):
    """Base of every model: unknown keys are errors and values never change after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _file_name(value: str) -> str:
    if not _FILE_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} must be a plain file name ending in .yaml, like 'backend.yaml'"
        )
    return value


# --- platform-wide settings ---------------------------------------------------------------


class GitOps(Strict):
    """The repository Argo CD watches, and where in it the rendered tree lives."""

    repo_url: Annotated[Text, Field(json_schema_extra={"pattern": r"^\S+$"})] = SEED_REPO_URL
    revision: GitRevision = "main"
    path: RelativeDir = ""
    sign: bool = Field(
        default=False,
        description="Sign publish commits with git's signing setup (GPG or SSH keys);"
        " publish then refuses to push a commit that comes out unsigned",
    )

    @field_validator("repo_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_remote(value)

    def join(self, *parts: str) -> str:
        """A path inside the GitOps repo: ``path`` joined with ``parts``, no leading slash."""
        return "/".join(p for p in (self.path, *parts) if p)


class Aws(Strict):
    """The EKS cluster the platform runs in."""

    cluster_name: Annotated[Text, Field(json_schema_extra={"pattern": _CLUSTER_NAME.pattern})]
    region: Region
    vpc_id: VpcId
    certificate_arn: Arn

    @field_validator("cluster_name")
    @classmethod
    def _cluster(cls, value: str) -> str:
        if not _CLUSTER_NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not an EKS cluster name (letters, digits, '-', '_')")
        return value


class Alb(Strict):
    """The one shared AWS Application Load Balancer every Ingress joins."""

    group_name: Annotated[Text, Field(json_schema_extra={"pattern": _GROUP_NAME.pattern})] = (
        "shared-alb"
    )
    ingress_class: DnsSubdomain = "alb"
    scheme: Literal["internet-facing", "internal"] = "internet-facing"
    target_type: Literal["ip", "instance"] = "ip"
    listen_ports: list[dict[Literal["HTTP", "HTTPS"], Port]] = Field(
        default_factory=lambda: [{"HTTP": 80}, {"HTTPS": 443}],  # type: ignore[arg-type]
        min_length=1,
    )
    # Checked even when left out: the default redirect needs an HTTPS listener on 443.
    ssl_redirect: Port | None = Field(default=443, validate_default=True)

    @field_validator("group_name")
    @classmethod
    def _group(cls, value: str) -> str:
        if not _GROUP_NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not an ALB group name (lower-case, digits, '-', '.')")
        return value

    @field_validator("listen_ports")
    @classmethod
    def _one_port_each(cls, value: list[dict[str, int]]) -> list[dict[str, int]]:
        for item in value:
            if len(item) != 1:
                raise ValueError("each listen port is one entry such as {HTTPS: 443}")
        return value

    @field_validator("ssl_redirect")
    @classmethod
    def _redirect_target_listened(cls, value: int | None, info: ValidationInfo) -> int | None:
        if "listen_ports" not in info.data:
            return value  # listen_ports itself is wrong, and reported
        listen = info.data["listen_ports"]
        https = [p for item in listen for k, p in item.items() if k == "HTTPS"]
        if value is not None and value not in https:
            raise ValueError(
                f"ssl_redirect {value} is not among the HTTPS listen_ports {https}:"
                " the ALB would redirect to a port it does not listen on"
            )
        return value


class RootApp(Strict):
    """The app-of-apps parent that syncs the argocd/ directory."""

    name: DnsLabel = "platform"
    file: Annotated[str, Field(pattern=_FILE_NAME.pattern)] = "apps.yaml"
    path: RelativeDir = "argocd"


class ApplicationSets(Strict):
    """Render one ApplicationSet per application, generating its Application in the base
    platform and in every environment, instead of one app-of-apps per environment (for a
    central Argo CD). Generated Applications are not ordered by waves."""

    generator: Literal["list", "clusters"] = Field(
        default="list",
        description=(
            "list: one element per environment; clusters: the clusters registered in Argo CD"
            " with the label gigrouter.io/environment, merged with each environment's settings"
        ),
    )


class ArgoCD(Strict):
    namespace: DnsLabel = "argocd"
    project: DnsSubdomain = "default"
    destination_server: Text | None = Field(
        default=IN_CLUSTER, description="The cluster Applications deploy to (its API URL)"
    )
    destination_name: DnsSubdomain | None = Field(
        default=None,
        description="The cluster by its Argo CD name instead (set destination_server: null)",
    )
    instance: DnsLabel = Field(
        default="default",
        description=(
            "The Argo CD instance that manages this platform; environments that share an"
            " instance get their Application names prefixed with the environment"
        ),
    )
    application_health_check: bool = Field(
        default=True,
        description=(
            "True when argocd-cm has the health check for argoproj.io/Application, which makes"
            " the parent wait for each wave of child Applications to be Healthy"
        ),
    )
    root: RootApp = RootApp()
    applicationsets: ApplicationSets | None = None

    @model_validator(mode="after")
    def _one_destination(self) -> ArgoCD:
        if (self.destination_server is None) == (self.destination_name is None):
            raise ValueError(
                "give exactly one of destination_server and destination_name (an overlay that"
                " sets destination_name also sets destination_server: null)"
            )
        return self

    def destination(self, namespace: str) -> dict[str, str]:
        """An Application's spec.destination for ``namespace``."""
        if self.destination_name is not None:
            return {"name": self.destination_name, "namespace": namespace}
        assert self.destination_server is not None
        return {"server": self.destination_server, "namespace": namespace}


# --- Argo CD applications -------------------------------------------------------------------


class Retry(Strict):
    limit: Annotated[int, Field(ge=-1)] = 5
    duration: Duration = "10s"
    factor: Annotated[int, Field(ge=1)] = 2
    max_duration: Duration = "3m"


SYNC_OPTIONS = {
    "CreateNamespace",
    "ServerSideApply",
    "Replace",
    "PruneLast",
    "ApplyOutOfSyncOnly",
    "RespectIgnoreDifferences",
    "Validate",
    "SkipDryRunOnMissingResource",
    "PrunePropagationPolicy",
    "FailOnSharedResource",
    "Prune",
    "Delete",
    "Force",
    "ClientSideApplyMigration",
}


class SyncPolicy(Strict):
    automated: bool = True
    prune: bool = True
    self_heal: bool = True
    options: list[Text] = Field(default_factory=lambda: ["CreateNamespace=true"])
    retry: Retry | None = Retry()

    @field_validator("options")
    @classmethod
    def _known_options(cls, value: list[str]) -> list[str]:
        for option in value:
            key, sep, _ = option.partition("=")
            if not sep or key not in SYNC_OPTIONS:
                known = ", ".join(sorted(SYNC_OPTIONS))
                raise ValueError(f"{option!r} is not an Argo CD sync option; known: {known}")
        return value


class IgnoreDifference(Strict):
    group: Text = ""
    kind: Text
    name: Text | None = None
    namespace: DnsLabel | None = None
    json_pointers: list[Text] = []
    jq_path_expressions: list[Text] = []

    @model_validator(mode="after")
    def _something_to_ignore(self) -> IgnoreDifference:
        if not self.json_pointers and not self.jq_path_expressions:
            raise ValueError("give json_pointers or jq_path_expressions")
        return self


class HelmSource(Strict):
    """A chart from a Helm repository, with values written inline or kept in the GitOps repo."""

    chart: DnsSubdomain
    repo_url: Text
    version: Annotated[Text, Field(json_schema_extra={"pattern": _CHART_VERSION.pattern})]

    @field_validator("repo_url")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        if credentials_in(value):
            raise ValueError(
                f"{redact(value)!r} carries credentials, and the config is rendered into Git:"
                " give Argo CD the repository's credentials in a repository secret instead"
            )
        return value

    release_name: DnsLabel | None = None
    values: dict[str, Any] = {}
    parameters: dict[Text, Text] = {}
    values_in_repo: bool = Field(
        default=False,
        description="Render the values into <path>/values.yaml and read them with a $values source",
    )
    skip_crds: bool = False
    crd_groups: list[DnsSubdomain] = Field(
        default=[], description="API groups whose CRDs this chart installs"
    )

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _CHART_VERSION.fullmatch(value):
            raise ValueError(f"{value!r} is not a chart version such as '1.2.3'")
        return value

    @field_validator("values")
    @classmethod
    def _values(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_plain_data(value)
        return value


def _check_plain_data(value: Any) -> None:
    """Helm values must be plain YAML data with printable strings."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"key {key!r} must be a string")
            printable(key)
            _check_plain_data(item)
    elif isinstance(value, list):
        for item in value:
            _check_plain_data(item)
    elif isinstance(value, str):
        printable(value)
    elif value is not None and not isinstance(value, bool | int | float):
        raise ValueError(f"{value!r} is not plain YAML data")


ComponentName = Literal["backend", "frontend", "memcached", "logging", "observability", "services"]


class Application(Strict):
    """One child Application of the app-of-apps."""

    name: DnsLabel
    file: Annotated[
        str,
        Field(
            description="File name under argocd/", json_schema_extra={"pattern": _FILE_NAME.pattern}
        ),
    ]
    enabled: bool = True
    description: Text = ""
    namespace: DnsLabel
    wave: Wave | None = None
    depends_on: list[DnsLabel] = []
    path: RelativeDir | None = Field(
        default=None, description="Directory of the GitOps repo this app reads (manifests apps)"
    )
    manifests: ComponentName | None = Field(
        default=None, description="The component whose manifests live in `path`"
    )
    helm: HelmSource | None = None
    finalizer: bool = True
    sync: SyncPolicy = SyncPolicy()
    ignore_differences: list[IgnoreDifference] = []

    @field_validator("file")
    @classmethod
    def _file(cls, value: str) -> str:
        return _file_name(value)

    @model_validator(mode="after")
    def _one_source(self) -> Application:
        if (self.helm is None) == (self.manifests is None):
            raise ValueError("an application has exactly one of `helm` or `manifests`")
        if self.manifests is not None and self.path is None:
            raise ValueError("a manifests application needs `path`, the directory it reads")
        if self.helm is not None and self.helm.values_in_repo and self.path is None:
            raise ValueError("`helm.values_in_repo` needs `path`, the directory of values.yaml")
        if len(set(self.depends_on)) != len(self.depends_on):
            raise ValueError("depends_on lists an application twice")
        if self.name in self.depends_on:
            raise ValueError("an application cannot depend on itself")
        return self


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
    initial_delay_seconds: Annotated[int, Field(ge=0)] = 5
    period_seconds: Annotated[int, Field(ge=1)] = 10
    timeout_seconds: Annotated[int, Field(ge=1)] = 1
    failure_threshold: Annotated[int, Field(ge=1)] = 3

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
        dupes = sorted({n for n in names if names.count(n) > 1})
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
    """An Ingress in the shared ALB group."""

    name: DnsSubdomain
    routes: list[Route]
    group_order: GroupOrder | None = None
    healthcheck_path: UrlPath | None = None
    wave: Wave | None = None

    @field_validator("routes")
    @classmethod
    def _routes(cls, value: list[Route]) -> list[Route]:
        if not value:
            raise ValueError("an ingress needs at least one route")
        seen = [(r.host, r.path) for r in value]
        for pair in seen:
            if seen.count(pair) > 1:
                raise ValueError(f"host {pair[0]} path {pair[1]} is routed twice")
        return value


class ServiceIngressSpec(IngressSpec):
    """An Ingress of no workload (the logging stack's): every route names its Service."""

    # A narrower item type than IngressSpec's; pydantic validates the items as ServiceRoute.
    routes: list[ServiceRoute]  # type: ignore[assignment]


class Workload(Container):
    """A Deployment with its Service and, when reachable from outside, an Ingress."""

    name: DnsLabel
    replicas: Annotated[int, Field(ge=0)] = 1
    port: Port
    port_name: PortName = "http"
    service_account: DnsSubdomain | None = None
    wave: Wave | None = None
    service: ServiceSpec
    ingress: IngressSpec | None = None

    @model_validator(mode="after")
    def _routes_reach_own_service(self) -> Workload:
        for i, route in enumerate(self.ingress.routes if self.ingress else []):
            own = route.service is None or route.service == self.service.name
            if own and route.port is not None and route.port != self.service.port:
                raise ValueError(
                    f"ingress.routes[{i}].port: {route.port} is not a port of Service"
                    f" {self.service.name!r}, which serves {self.service.port}"
                    " (leave `port` out to use it)"
                )
        return self


class ConfigMapSpec(Strict):
    name: DnsSubdomain
    data: dict[Annotated[str, Field(pattern=r"^[-._a-zA-Z0-9]+$")], Text]
    wave: Wave | None = None


class SecretStoreSpec(Strict):
    name: DnsSubdomain
    service: Literal["SecretsManager", "ParameterStore"] = "SecretsManager"
    region: Region | None = Field(default=None, description="Default: the platform's region")
    wave: Wave | None = None


class ExternalSecretItem(Strict):
    secret_key: Annotated[str, Field(pattern=r"^[-._a-zA-Z0-9]+$")]
    remote_key: Text
    property: Text | None = None


class ExternalSecretSpec(Strict):
    name: DnsSubdomain
    target: DnsSubdomain | None = Field(default=None, description="Default: the same name")
    refresh_interval: Duration = "1h"
    data: Annotated[list[ExternalSecretItem], Field(min_length=1)]
    wave: Wave | None = None

    @property
    def target_name(self) -> str:
        return self.target or self.name


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

    @model_validator(mode="after")
    def _service_account(self) -> Backend:
        if self.service_account is None:
            raise ValueError(
                "the backend needs `service_account` (the SecretStore authenticates as it)"
            )
        if self.irsa_role_arn is not None and not self.create_service_account:
            raise ValueError("irsa_role_arn is written only when create_service_account is true")
        return self


class NetworkPolicySpec(Strict):
    name: DnsSubdomain
    allow_from_namespaces: list[DnsLabel]


class Memcached(Workload):
    network_policy: NetworkPolicySpec | None = None


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
        _check_plain_data(value)
        return value


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

    @model_validator(mode="after")
    def _secrets_need_a_store(self) -> Services:
        names = [s.name for s in self.items]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"service {dupes[0]!r} is defined twice")
        if any(s.secrets for s in self.items) and self.secret_store is None:
            raise ValueError("services with secrets need `secret_store`")
        if self.secret_store is not None and self.service_account is None:
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
        out: list[tuple[str, str, tuple[str | int, ...]]] = []
        at: tuple[str | int, ...] = ("components", component)

        def workload(w: Workload, path: tuple[str | int, ...]) -> None:
            out.append(("Deployment", w.name, (*path, "name")))
            out.append(("Service", w.service.name, (*path, "service", "name")))
            if w.ingress is not None:
                out.append(("Ingress", w.ingress.name, (*path, "ingress", "name")))

        b, lg, s = self.backend, self.logging, self.services
        if component == "backend" and b is not None:
            if b.create_service_account and b.service_account:
                out.append(("ServiceAccount", b.service_account, (*at, "service_account")))
            out.append(("ConfigMap", b.config_map.name, (*at, "config_map", "name")))
            out.append(("SecretStore", b.secret_store.name, (*at, "secret_store", "name")))
            out.append(("ExternalSecret", b.external_secret.name, (*at, "external_secret", "name")))
            out.append(("Job", b.migration.name, (*at, "migration", "name")))
            workload(b, at)
            workload(b.redis, (*at, "redis"))
        elif component in ("frontend", "memcached"):
            w = self.frontend if component == "frontend" else self.memcached
            if w is not None:
                workload(w, at)
            policy_of = self.memcached if component == "memcached" else None
            if policy_of is not None and policy_of.network_policy is not None:
                policy = policy_of.network_policy
                out.append(("NetworkPolicy", policy.name, (*at, "network_policy", "name")))
        elif component == "logging" and lg is not None:
            workload(lg.elasticsearch, (*at, "elasticsearch"))
            workload(lg.kibana, (*at, "kibana"))
            fb = (*at, "fluent_bit", "name")
            out.append(("DaemonSet", lg.fluent_bit.name, fb))
            out.append(("ConfigMap", f"{lg.fluent_bit.name}-config", fb))
            out.append(("Ingress", lg.ingress.name, (*at, "ingress", "name")))
        elif component == "services" and s is not None:
            if s.secret_store is not None:
                out.append(("SecretStore", s.secret_store.name, (*at, "secret_store", "name")))
            for i, item in enumerate(s.items):
                path = (*at, "items", i)
                workload(item, path)
                if item.config:
                    out.append(("ConfigMap", f"{item.name}-config", (*path, "name")))
                if item.secrets:
                    out.append(("ExternalSecret", f"{item.name}-secrets", (*path, "name")))
        return out


class External(Strict):
    """An object the platform relies on but does not render."""

    kind: Annotated[str, Field(pattern=r"^[A-Z][A-Za-z0-9]*$")]
    api_version: Text = "v1"
    namespace: DnsLabel | None = None
    name: DnsSubdomain
    reason: Text
    keys: list[Text] = Field(default=[], description="Keys a Secret or ConfigMap holds")
    ports: list[Port] = Field(default=[], description="Ports a Service serves")

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace or ''}/{self.name}"


class Platform(Strict):
    """The whole platform config (config/platform.yaml)."""

    name: DnsLabel
    description: Text = ""
    domain: Host
    aws: Aws
    gitops: GitOps = GitOps()
    argocd: ArgoCD = ArgoCD()
    alb: Alb = Alb()
    applications: list[Application]
    components: Components = Components()
    externals: list[External] = []

    # -- derived views ---------------------------------------------------------------------

    def active_applications(self) -> list[Application]:
        return [a for a in self.applications if a.enabled]

    def application(self, name: str) -> Application:
        for app in self.applications:
            if app.name == name:
                return app
        raise KeyError(name)

    def wave_of(self, name: str) -> int:
        """The effective wave: explicit, or one more than the highest dependency (0 without)."""
        return self._waves()[name]

    def _waves(self) -> dict[str, int]:
        by_name = {a.name: a for a in self.applications}
        waves: dict[str, int] = {}

        def resolve(name: str, trail: tuple[str, ...]) -> int:
            if name in waves:
                return waves[name]
            app = by_name[name]
            if app.wave is not None:
                waves[name] = app.wave
            else:
                deps = [resolve(d, (*trail, name)) for d in app.depends_on]
                waves[name] = max(deps) + 1 if deps else 0
            return waves[name]

        for name in by_name:
            resolve(name, ())
        return waves

    # -- cross-field rules -----------------------------------------------------------------

    def cross_check(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Rules that span several keys, as (key path, message); empty when the config is sound.

        Checked after the models load, so each message can point at the key it is about.
        """
        problems: list[tuple[tuple[str | int, ...], str]] = []
        apps = self.applications
        first: dict[str, int] = {}
        first_file: dict[str, int] = {}
        for i, app in enumerate(apps):
            if app.name in first:
                problems.append((("applications", i, "name"), f"{app.name!r} is defined twice"))
            first.setdefault(app.name, i)
            if app.file in first_file or app.file == self.argocd.root.file:
                problems.append(
                    (("applications", i, "file"), f"file argocd/{app.file} is used twice")
                )
            first_file.setdefault(app.file, i)
        known = set(first)
        for i, app in enumerate(apps):
            for j, dep in enumerate(app.depends_on):
                if dep not in known:
                    hint = _did_you_mean(dep, known)
                    problems.append(
                        (
                            ("applications", i, "depends_on", j),
                            f"no application named {dep!r}{hint}",
                        )
                    )
                elif app.enabled and not apps[first[dep]].enabled:
                    problems.append(
                        (
                            ("applications", i, "depends_on", j),
                            f"{dep!r} is disabled, so {app.name!r} cannot depend on it",
                        )
                    )
        if problems:
            return problems
        cycle = self._find_cycle()
        if cycle:
            i = first[cycle[0]]
            return [
                (
                    ("applications", i, "depends_on"),
                    "depends_on forms a cycle: " + " -> ".join(cycle),
                )
            ]
        waves = self._waves()
        for i, app in enumerate(apps):
            if app.wave is None:
                continue
            for dep in app.depends_on:
                if waves[dep] >= app.wave:
                    problems.append(
                        (
                            ("applications", i, "wave"),
                            f"wave {app.wave} of {app.name!r} must be later than wave"
                            f" {waves[dep]} of its dependency {dep!r}",
                        )
                    )
        seen_paths: dict[str, str] = {self.argocd.root.path: self.argocd.root.name}
        seen_components: dict[str, str] = {}
        for i, app in enumerate(apps):
            if not app.enabled:
                continue
            if app.path is not None:
                if app.path in seen_paths:
                    problems.append(
                        (
                            ("applications", i, "path"),
                            f"directory {app.path!r} is already read by {seen_paths[app.path]!r}",
                        )
                    )
                seen_paths.setdefault(app.path, app.name)
            if app.manifests is not None:
                if app.manifests in seen_components:
                    problems.append(
                        (
                            ("applications", i, "manifests"),
                            f"component {app.manifests!r} is already deployed by"
                            f" {seen_components[app.manifests]!r}",
                        )
                    )
                seen_components.setdefault(app.manifests, app.name)
        for i, app in enumerate(apps):
            wanted = app.manifests or (
                "observability" if app.helm is not None and app.helm.values_in_repo else None
            )
            if app.enabled and wanted and getattr(self.components, wanted) is None:
                key = "manifests" if app.manifests else "helm"
                problems.append(
                    (
                        ("applications", i, key),
                        f"{app.name!r} deploys component {wanted!r}, but components.{wanted}"
                        " is not configured",
                    )
                )
        if problems:
            return problems
        problems.extend(self._check_object_names())
        problems.extend(self._check_externals())
        return problems

    def _find_cycle(self) -> list[str]:
        deps = {a.name: a.depends_on for a in self.applications}
        state: dict[str, int] = {}
        stack: list[str] = []

        def visit(name: str) -> list[str]:
            state[name] = 1
            stack.append(name)
            for dep in deps.get(name, []):
                if state.get(dep) == 1:
                    return [*stack[stack.index(dep) :], dep]
                if dep not in state:
                    found = visit(dep)
                    if found:
                        return found
            stack.pop()
            state[name] = 2
            return []

        for name in deps:
            if name not in state:
                found = visit(name)
                if found:
                    return found
        return []

    def _check_object_names(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Two rendered objects of one kind and namespace must not share a name: Argo CD would
        apply both, and one would overwrite the other."""
        problems: list[tuple[tuple[str | int, ...], str]] = []
        first: dict[tuple[str, str, str], tuple[str | int, ...]] = {}
        for app in self.active_applications():
            if app.manifests is None:
                continue
            for kind, name, path in self.components.objects(app.manifests):
                key = (kind, app.namespace, name)
                if key in first:
                    where = _dotted(first[key])
                    problems.append(
                        (path, f"{kind} {app.namespace}/{name} is also rendered from {where}")
                    )
                first.setdefault(key, path)
        return problems

    def _check_externals(self) -> list[tuple[tuple[str | int, ...], str]]:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        seen: set[str] = set()
        for i, ext in enumerate(self.externals):
            if ext.ref in seen:
                problems.append((("externals", i), f"{ext.ref} is declared twice"))
            seen.add(ext.ref)
        backend = self.components.backend
        ns = self.namespace_of("backend")
        if backend is None or not ns:
            ns = ""
        sa_ref = f"ServiceAccount/{ns}/{backend.service_account if backend else ''}"
        if backend and ns and backend.create_service_account and sa_ref in seen:
            problems.append(
                (
                    ("externals",),
                    f"{sa_ref} is rendered (components.backend.create_service_account is true);"
                    " remove it from externals",
                )
            )
        if backend and ns and not backend.create_service_account and sa_ref not in seen:
            problems.append(
                (
                    ("components", "backend", "service_account"),
                    f"{backend.service_account!r} is neither rendered (create_service_account:"
                    f" true) nor declared in externals as {sa_ref}",
                )
            )
        observability = self.components.observability
        mon_ns = self.namespace_of("observability")
        if observability is None or not mon_ns:
            return problems
        grafana = observability.grafana
        secret_ref = f"Secret/{mon_ns}/{grafana.admin_secret}"
        if secret_ref not in seen:
            problems.append(
                (
                    ("components", "observability", "grafana", "admin_secret"),
                    f"{secret_ref} is not rendered by gigrouter; declare it in externals",
                )
            )
        return problems

    def namespace_of(self, component: str) -> str:
        """The namespace the enabled application deploying ``component`` targets ('' if none)."""
        for app in self.active_applications():
            if app.manifests == component or (
                component == "observability" and app.helm is not None and app.helm.values_in_repo
            ):
                return app.namespace
        return ""


def _dotted(path: tuple[str | int, ...]) -> str:
    """``("components", "services", "items", 0, "name")`` as
    ``components.services.items[0].name``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _did_you_mean(value: str, options: set[str]) -> str:
    close = difflib.get_close_matches(value, sorted(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""

"""The workload catalogue: Deployments, StatefulSets, DaemonSets, Jobs and CronJobs as data.

Every kind shares one container model (:class:`ContainerSpec`) and one set of optional companions
(Service, Ingress, HPA, PDB, ServiceAccount, NetworkPolicy, ConfigMaps, ExternalSecrets and any
extra manifests). An application lists its workloads under ``workloads:``; layout's registry has
one entry per kind, read by the layout and the docs alike.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, field_validator, model_validator

from gigrouter.model.base import Strict, check_plain_data
from gigrouter.model.secrets import ExternalSecretItem, SecretStoreSpec
from gigrouter.model.workloads import ConfigMapSpec, Container, IngressSpec, Probe
from gigrouter.types import (
    INT32_MAX,
    INT64_MAX,
    Dns1035Label,
    DnsLabel,
    DnsSubdomain,
    Duration,
    Port,
    PortName,
    Quantity,
    Text,
    Wave,
)

WorkloadKind = Literal["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"]
KINDS: tuple[str, ...] = get_args(WorkloadKind)
Protocol = Literal["TCP", "UDP", "SCTP"]
AbsolutePath = Annotated[str, Field(pattern=r"^/[^\s]*$", max_length=4096)]
LabelValue = Annotated[
    str, Field(pattern=r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", max_length=63)
]
LabelKey = Annotated[
    str,
    Field(
        pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
        r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$",
        max_length=317,
    ),
]
Int32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
# Five cron fields (or a @-macro), as the CronJob controller parses them (robfig/cron's standard
# parser): each field a list of `*`, `?` (day fields), values, names or ranges, each with `/step`.
CRON = re.compile(r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4}\S+)$")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    ("day of week", 0, 7, {d: i for i, d in enumerate(_DAYS)}),
)


def cron_problem(schedule: str) -> str | None:
    """Why the CronJob controller would refuse ``schedule``, or None."""
    if schedule.startswith("@"):
        return None
    for text, (what, low, high, names) in zip(schedule.split(), _CRON_FIELDS, strict=True):
        for part in text.split(","):
            body, _, step = part.partition("/")
            if step and (not step.isdigit() or int(step) == 0):
                return f"{what}: step {step!r} is not a positive number"
            if body in ("*", "?") and (body == "*" or what.startswith("day")):
                continue
            ends = body.split("-")
            if len(ends) > 2 or not all(ends):
                return f"{what}: {part!r} is not a value or a range"
            values = []
            for end in ends:
                value = names.get(end.lower()) if not end.isdigit() else int(end)
                if value is None or not low <= value <= high:
                    return f"{what}: {end!r} is outside {low}-{high}"
                values.append(value)
            if len(values) == 2 and values[0] > values[1]:
                return f"{what}: range {body!r} runs backwards"
    return None


def _unique(items: list[Any], attr: str, what: str) -> None:
    seen: set[Any] = set()
    for item in items:
        key = getattr(item, attr)
        if key in seen:
            raise ValueError(f"{what} {key!r} is given twice")
        seen.add(key)


class ContainerPort(Strict):
    name: PortName | None = None
    container_port: Port
    protocol: Protocol = "TCP"


class VolumeMount(Strict):
    name: DnsLabel = Field(description="A volume or volume claim template of the workload")
    mount_path: AbsolutePath
    sub_path: Text | None = None
    read_only: bool = False


class Capabilities(Strict):
    add: list[Annotated[str, Field(pattern=r"^[A-Z_]+$")]] = []
    drop: list[Annotated[str, Field(pattern=r"^[A-Z_]+$")]] = []


class SeccompProfile(Strict):
    type: Literal["RuntimeDefault", "Localhost", "Unconfined"] = "RuntimeDefault"
    localhost_profile: Text | None = None


class SecurityContext(Strict):
    """A container's securityContext."""

    run_as_user: Int32 | None = None
    run_as_group: Int32 | None = None
    run_as_non_root: bool | None = None
    read_only_root_filesystem: bool | None = None
    allow_privilege_escalation: bool | None = None
    privileged: bool | None = None
    capabilities: Capabilities | None = None
    seccomp_profile: SeccompProfile | None = None

    @model_validator(mode="after")
    def _coherent(self) -> SecurityContext:
        if self.privileged and self.allow_privilege_escalation is False:
            raise ValueError(
                "privileged: true with allow_privilege_escalation: false is refused by Kubernetes"
            )
        if self.run_as_non_root and self.run_as_user == 0:
            raise ValueError("run_as_non_root: true with run_as_user: 0 never starts")
        return self


class PodSecurityContext(Strict):
    run_as_user: Int32 | None = None
    run_as_group: Int32 | None = None
    run_as_non_root: bool | None = None
    fs_group: Int32 | None = None
    seccomp_profile: SeccompProfile | None = None


class ContainerExtras(Strict):
    """What a container has beyond the seed's basics (image, command, env, probes, resources);
    shared by the catalogue's containers and the seed's presets."""

    startup_probe: Probe | None = None
    volume_mounts: list[VolumeMount] = []
    security_context: SecurityContext | None = None
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = None


class ContainerSpec(ContainerExtras, Container):
    """One container: image, command, env, probes, resources, ports, mounts, securityContext."""

    ports: list[ContainerPort] = []

    @model_validator(mode="after")
    def _unique_ports(self) -> ContainerSpec:
        _unique([p for p in self.ports if p.name], "name", "port name")
        keys = [(p.container_port, p.protocol) for p in self.ports]
        times = Counter(keys)
        for key in keys:
            if times[key] > 1:
                raise ValueError(f"containerPort {key[0]}/{key[1]} is given twice")
        _unique(self.volume_mounts, "mount_path", "mount_path")
        probes = (self.readiness_probe, self.liveness_probe, self.startup_probe)
        if not self.ports and any(
            p is not None and p.type != "exec" and p.port is None for p in probes
        ):
            raise ValueError("a probe without `port` needs a container port to default to")
        names = {p.name for p in self.ports if p.name}
        fields = ("readiness_probe", "liveness_probe", "startup_probe")
        for field, probe in zip(fields, probes, strict=True):
            if probe is not None and isinstance(probe.port, str) and probe.port not in names:
                hint = ", ".join(sorted(names)) or "none"
                raise ValueError(
                    f"{field}.port: {probe.port!r} is the name of no container port"
                    f" (named ports: {hint})"
                )
        return self


class NamedContainer(ContainerSpec):
    """A sidecar or init container."""

    name: DnsLabel


class EmptyDir(Strict):
    medium: Literal["", "Memory"] = ""
    size_limit: Quantity | None = None


class HostPath(Strict):
    """A directory or file of the node (a log collector's /var/log)."""

    path: AbsolutePath
    type: (
        Literal[
            "DirectoryOrCreate",
            "Directory",
            "FileOrCreate",
            "File",
            "Socket",
            "CharDevice",
            "BlockDevice",
        ]
        | None
    ) = Field(default=None, description="Default: no check of what is at the path")


class Volume(Strict):
    """A pod volume: exactly one of config_map, secret, empty_dir, claim or host_path."""

    name: DnsLabel
    config_map: DnsSubdomain | None = None
    secret: DnsSubdomain | None = None
    empty_dir: EmptyDir | None = None
    claim: DnsSubdomain | None = Field(default=None, description="A PersistentVolumeClaim's name")
    host_path: HostPath | None = None
    optional: bool | None = Field(default=None, description="For config_map and secret")

    @model_validator(mode="after")
    def _one_source(self) -> Volume:
        given = [self.config_map, self.secret, self.empty_dir, self.claim, self.host_path]
        if sum(x is not None for x in given) != 1:
            raise ValueError(
                f"volume {self.name!r} has exactly one of config_map, secret, empty_dir, claim"
                " or host_path"
            )
        if self.optional is not None and self.config_map is None and self.secret is None:
            raise ValueError("`optional` belongs to config_map and secret volumes")
        return self


class VolumeClaimTemplate(Strict):
    """A StatefulSet's per-replica PersistentVolumeClaim."""

    name: DnsLabel
    size: Quantity
    storage_class: DnsSubdomain | None = None
    access_modes: Annotated[
        list[Literal["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]],
        Field(min_length=1),
    ] = ["ReadWriteOnce"]


class Toleration(Strict):
    key: LabelKey | None = None
    operator: Literal["Equal", "Exists"] = "Equal"
    value: LabelValue | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: int | None = None

    @model_validator(mode="after")
    def _shape(self) -> Toleration:
        if self.operator == "Exists" and self.value is not None:
            raise ValueError("a toleration with operator Exists has no `value`")
        if self.key is None and self.operator != "Exists":
            raise ValueError("a toleration without `key` needs operator Exists")
        if self.toleration_seconds is not None and self.effect != "NoExecute":
            raise ValueError("toleration_seconds belongs to effect NoExecute")
        return self


class Scheduling(Strict):
    node_selector: dict[LabelKey, LabelValue] = {}
    tolerations: list[Toleration] = []
    affinity: dict[str, Any] = Field(
        default={}, description="A pod affinity block, written as in the Kubernetes API"
    )
    topology_spread_constraints: list[dict[str, Any]] = Field(
        default=[], description="As in the Kubernetes API"
    )
    priority_class_name: DnsSubdomain | None = None

    @field_validator("affinity", "topology_spread_constraints")
    @classmethod
    def _plain(cls, value: Any) -> Any:
        check_plain_data(value)
        return value


class ServicePort(Strict):
    name: PortName | None = None
    port: Port
    target_port: Port | PortName | None = Field(
        default=None, description="Default: the container port of the same name, else `port`"
    )
    protocol: Protocol = "TCP"
    node_port: Annotated[int, Field(ge=30000, le=32767)] | None = None


class WorkloadService(Strict):
    """The workload's Service: ClusterIP (or headless), NodePort or LoadBalancer."""

    name: Dns1035Label | None = Field(default=None, description="Default: the workload's name")
    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    headless: bool = False
    ports: list[ServicePort] = Field(
        default=[], description="Default: one per named container port"
    )
    annotations: dict[LabelKey, Text] = {}
    wave: Wave | None = None

    @model_validator(mode="after")
    def _shape(self) -> WorkloadService:
        if self.headless and self.type != "ClusterIP":
            raise ValueError("a headless Service is of type ClusterIP")
        if len(self.ports) > 1 and any(p.name is None for p in self.ports):
            raise ValueError("a Service with several ports names every one")
        _unique([p for p in self.ports if p.name], "name", "port name")
        keys = [(p.port, p.protocol) for p in self.ports]
        times = Counter(keys)
        for key in keys:
            if times[key] > 1:
                raise ValueError(f"port {key[0]}/{key[1]} is given twice")
        if self.type == "ClusterIP" and any(p.node_port is not None for p in self.ports):
            raise ValueError("node_port belongs to NodePort and LoadBalancer Services")
        return self


class Hpa(Strict):
    min_replicas: Annotated[int, Field(ge=1, le=INT32_MAX)] = 1
    max_replicas: Annotated[int, Field(ge=1, le=INT32_MAX)]
    cpu_utilization: Annotated[int, Field(ge=1, le=1000)] | None = None
    memory_utilization: Annotated[int, Field(ge=1, le=1000)] | None = None

    @model_validator(mode="after")
    def _shape(self) -> Hpa:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"min_replicas {self.min_replicas} is above max_replicas {self.max_replicas}"
            )
        if self.cpu_utilization is None and self.memory_utilization is None:
            raise ValueError("an HPA needs cpu_utilization or memory_utilization")
        return self


IntOrPercent = (
    Annotated[int, Field(ge=0, le=INT32_MAX)]
    | Annotated[str, Field(pattern=r"^(100|[1-9]?[0-9])%$")]
)


class Pdb(Strict):
    min_available: IntOrPercent | None = None
    max_unavailable: IntOrPercent | None = None

    @model_validator(mode="after")
    def _one(self) -> Pdb:
        if (self.min_available is None) == (self.max_unavailable is None):
            raise ValueError("a PDB has exactly one of min_available or max_unavailable")
        return self


class ServiceAccountSpec(Strict):
    """The pods' ServiceAccount; ``create: false`` uses one made elsewhere."""

    name: DnsSubdomain | None = Field(default=None, description="Default: the workload's name")
    create: bool = True
    annotations: dict[LabelKey, Text] = Field(
        default={},
        description="e.g. eks.amazonaws.com/role-arn (IRSA) or"
        " iam.gke.io/gcp-service-account (Workload Identity)",
    )

    @model_validator(mode="after")
    def _annotations_need_create(self) -> ServiceAccountSpec:
        if self.annotations and not self.create:
            raise ValueError("annotations are written only on a ServiceAccount gigrouter creates")
        return self


class WorkloadPolicy(Strict):
    """A NetworkPolicy admitting traffic to the workload's pods only from the namespaces named
    (and, with ``same_namespace``, from its own)."""

    name: DnsSubdomain | None = Field(default=None, description="Default: <workload>-ingress")
    allow_from_namespaces: list[DnsLabel] = []
    same_namespace: bool = True


class WorkloadExternalSecret(Strict):
    """An ExternalSecret beside the workload, reading from the workload's ``secret_store`` or
    from the SecretStore (or ClusterSecretStore) named in ``store``."""

    name: DnsSubdomain
    target: DnsSubdomain | None = Field(default=None, description="Default: the same name")
    store: DnsSubdomain | None = Field(
        default=None, description="Default: the workload's secret_store"
    )
    store_kind: Literal["SecretStore", "ClusterSecretStore"] | None = Field(
        default=None, description="Default: the kind of the store it reads"
    )
    refresh_interval: Duration = "1h"
    data: Annotated[list[ExternalSecretItem], Field(min_length=1)]
    wave: Wave | None = None


class JobSettings(Strict):
    backoff_limit: Int32 = 3
    restart_policy: Literal["OnFailure", "Never"] = "Never"
    active_deadline_seconds: Annotated[int, Field(ge=1, le=INT64_MAX)] | None = None
    ttl_seconds_after_finished: Annotated[int, Field(ge=0, le=INT32_MAX)] | None = None
    hook: Literal["PreSync", "Sync", "PostSync"] | None = Field(
        default=None,
        description="Run as an Argo CD hook (re-created on every sync: BeforeHookCreation)",
    )


class CronSettings(Strict):
    schedule: Annotated[str, Field(pattern=CRON.pattern)]

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        problem = cron_problem(value)
        if problem is not None:
            raise ValueError(f"schedule {value!r}: {problem}")
        return value

    time_zone: Annotated[str, Field(pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$")] | None = None
    concurrency_policy: Literal["Allow", "Forbid", "Replace"] = "Forbid"
    successful_jobs_history_limit: Annotated[int, Field(ge=0, le=INT32_MAX)] = 3
    failed_jobs_history_limit: Annotated[int, Field(ge=0, le=INT32_MAX)] = 1
    suspend: bool = False


class PodSettings(Strict):
    """The pod around the main container: labels, annotations, more containers, volumes,
    security and scheduling; shared by the catalogue's workloads and the seed's presets."""

    labels: dict[LabelKey, LabelValue] = Field(default={}, description="Extra pod labels")
    pod_annotations: dict[LabelKey, Text] = {}
    init_containers: list[NamedContainer] = []
    sidecars: list[NamedContainer] = []
    volumes: list[Volume] = []
    pod_security_context: PodSecurityContext | None = None
    scheduling: Scheduling = Scheduling()
    termination_grace_period_seconds: Annotated[int, Field(ge=0, le=INT64_MAX)] | None = None


class WorkloadSpec(PodSettings, ContainerSpec):
    """One workload of any kind, with its main container inline and its companions."""

    kind: WorkloadKind = "Deployment"
    name: DnsLabel
    replicas: Annotated[int, Field(ge=0, le=INT32_MAX)] | None = Field(
        default=None, description="Deployment and StatefulSet; default 1 (left to an HPA)"
    )
    wave: Wave | None = None
    volume_claim_templates: list[VolumeClaimTemplate] = []
    service_account: ServiceAccountSpec | None = None
    service: WorkloadService | None = None
    ingress: IngressSpec | None = None
    hpa: Hpa | None = None
    pdb: Pdb | None = None
    network_policy: WorkloadPolicy | None = None
    config_maps: list[ConfigMapSpec] = []
    secret_store: SecretStoreSpec | None = Field(
        default=None,
        description="An ESO SecretStore or ClusterSecretStore beside the workload; an AWS one"
        " authenticates as the workload's ServiceAccount",
    )
    external_secrets: list[WorkloadExternalSecret] = []
    job: JobSettings | None = Field(default=None, description="Job and CronJob")
    cron: CronSettings | None = Field(default=None, description="CronJob: required")
    extra_manifests: list[dict[str, Any]] = Field(
        default=[],
        description="Whole Kubernetes objects written after the workload's own, e.g. an"
        " operator's custom resource; written as given (Argo CD puts namespaced ones without"
        " a namespace into the app's)",
    )

    @field_validator("extra_manifests")
    @classmethod
    def _manifests(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        check_plain_data(value)
        for i, doc in enumerate(value):
            meta = doc.get("metadata")
            if not isinstance(doc.get("apiVersion"), str) or not isinstance(doc.get("kind"), str):
                raise ValueError(f"extra_manifests[{i}] needs apiVersion and kind")
            if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
                raise ValueError(f"extra_manifests[{i}] needs metadata.name")
        return value

    @model_validator(mode="after")
    def _kind_rules(self) -> WorkloadSpec:
        kind = self.kind
        scaled = kind in ("Deployment", "StatefulSet")
        if self.replicas is not None and not scaled:
            raise ValueError(f"`replicas` belongs to Deployments and StatefulSets, not a {kind}")
        if self.hpa is not None and not scaled:
            raise ValueError(f"`hpa` scales Deployments and StatefulSets, not a {kind}")
        if self.hpa is not None and self.replicas is not None:
            raise ValueError("with `hpa` leave `replicas` out: the HPA owns the replica count")
        if self.volume_claim_templates and kind != "StatefulSet":
            raise ValueError("`volume_claim_templates` belong to StatefulSets")
        if kind == "CronJob" and self.cron is None:
            raise ValueError("a CronJob needs `cron` (at least `cron.schedule`)")
        if kind != "CronJob" and self.cron is not None:
            raise ValueError("`cron` belongs to CronJobs")
        if self.job is not None and kind not in ("Job", "CronJob"):
            raise ValueError("`job` belongs to Jobs and CronJobs")
        if self.job is not None and self.job.hook is not None and kind != "Job":
            raise ValueError("`job.hook` makes a Job an Argo CD hook; a CronJob cannot be one")
        batch = kind in ("Job", "CronJob")
        if batch and (self.service is not None or self.ingress is not None or self.pdb):
            raise ValueError(f"a {kind} has no Service, Ingress or PDB")
        if self.ingress is not None and self.service is None:
            raise ValueError("an Ingress needs the workload's `service`")
        if kind == "StatefulSet" and self.service is None:
            raise ValueError(
                "a StatefulSet needs `service` (its governing Service, usually `headless: true`)"
            )
        if "app" in self.labels:
            raise ValueError(
                "labels: `app` is the selector label, always the workload's name; use another key"
            )
        account = self.service_account
        if account is not None and account.create and self.account_name() == "default":
            raise ValueError(
                "service_account: the namespace's `default` ServiceAccount is not gigrouter's"
                " to create; name another one or set `create: false`"
            )
        if batch and self.readiness_probe is not None:
            raise ValueError(f"a {kind}'s pods run to completion: no readiness_probe")
        names = {v.name for v in self.volumes} | {c.name for c in self.volume_claim_templates}
        _unique([*self.volumes, *self.volume_claim_templates], "name", "volume")
        containers: list[tuple[str, ContainerSpec]] = [("", self)]
        containers += [(f"init_containers[{i}].", c) for i, c in enumerate(self.init_containers)]
        containers += [(f"sidecars[{i}].", c) for i, c in enumerate(self.sidecars)]
        for at, c in containers:
            for j, m in enumerate(c.volume_mounts):
                if m.name not in names:
                    hint = ", ".join(sorted(names)) or "none"
                    raise ValueError(
                        f"{at}volume_mounts[{j}].name: {m.name!r} is not a volume of the"
                        f" workload (its volumes: {hint})"
                    )
        _unique([*self.init_containers, *self.sidecars], "name", "container")
        for at, c in containers[1:]:
            if isinstance(c, NamedContainer) and c.name == self.name:
                raise ValueError(
                    f"{at}name: container {self.name!r} is the workload's main container;"
                    " name it otherwise"
                )
        _unique(self.config_maps, "name", "ConfigMap")
        _unique(self.external_secrets, "name", "ExternalSecret")
        self._check_secrets()
        self._check_service_ports()
        return self

    def _check_secrets(self) -> None:
        store = self.secret_store
        if store is not None and store.aws is not None and self.service_account is None:
            raise ValueError(
                "an AWS secret_store authenticates as the workload's ServiceAccount:"
                " set `service_account`"
            )
        for es in self.external_secrets:
            if es.store is None and store is None:
                raise ValueError(
                    f"external secret {es.name!r} names no `store` and the workload has no"
                    " `secret_store`"
                )

    def store_of(self, es: WorkloadExternalSecret) -> tuple[str, str]:
        """The name and kind of the store ``es`` reads."""
        if es.store is not None:
            own = self.secret_store is not None and self.secret_store.name == es.store
            kind = es.store_kind or (self.secret_store.kind if own and self.secret_store else None)
            return es.store, kind or "SecretStore"
        assert self.secret_store is not None  # the model requires one
        return self.secret_store.name, es.store_kind or self.secret_store.kind

    def _check_service_ports(self) -> None:
        if self.service is None:
            return
        named = {p.name: p for p in self.ports if p.name}
        if not self.service.ports and not named:
            raise ValueError(
                "`service` needs `service.ports`, or container `ports` with names to default to"
            )
        for p in self.service.ports:
            target = p.target_port
            if isinstance(target, str) and target not in named:
                raise ValueError(
                    f"service port {p.port}: target_port {target!r} is not a named container port"
                )
            by_name = target if isinstance(target, str) else None
            if target is None and p.name in named:
                by_name = p.name
            number = target if isinstance(target, int) else (p.port if by_name is None else None)
            declared = {(c.container_port, c.protocol) for c in self.ports}
            if number is not None and self.ports and (number, p.protocol) not in declared:
                # The endpoints controller sends a numbered targetPort to that port over the
                # Service port's protocol: a container that declares its ports serves another.
                raise ValueError(
                    f"service port {p.port}/{p.protocol}: targets container port"
                    f" {number}/{p.protocol}, which no container port is (declared:"
                    f" {', '.join(f'{n}/{proto}' for n, proto in sorted(declared))})"
                )
            if by_name is not None and named[by_name].protocol != p.protocol:
                # The endpoints controller resolves a named port by name and protocol.
                raise ValueError(
                    f"service port {p.port}/{p.protocol}: its target, container port"
                    f" {by_name!r}, is {named[by_name].protocol}; a Service reaches a named"
                    " port only over the same protocol"
                )

    @model_validator(mode="after")
    def _routes_reach_own_service(self) -> WorkloadSpec:
        """A route to the workload's own Service uses one of its ports."""
        if self.service is None:
            return self
        ports = self.service_ports()
        served = {p["port"] for p in ports}
        for i, route in enumerate(self.ingress.routes if self.ingress else []):
            mine = route.service is None or route.service == self.service_name()
            if mine and route.port is not None and route.port not in served:
                first = ports[0]["port"]
                hint = "it" if len(served) == 1 else str(first)
                raise ValueError(
                    f"ingress.routes[{i}].port: {route.port} is not a port of Service"
                    f" {self.service_name()!r}, which serves"
                    f" {', '.join(str(p) for p in sorted(served))} (leave `port` out to use"
                    f" {hint})"
                )
        return self

    def service_name(self) -> str:
        if self.service is not None and self.service.name is not None:
            return self.service.name
        return self.name

    def service_ports(self) -> list[dict[str, Any]]:
        """The Service's ports as the API writes them (name, port, targetPort, protocol)."""
        if self.service is None:
            return []
        named = {p.name: p for p in self.ports if p.name}
        out: list[dict[str, Any]] = []
        if not self.service.ports:
            for p in named.values():
                item: dict[str, Any] = {"name": p.name, "port": p.container_port}
                out.append({**item, "targetPort": p.name, "protocol": p.protocol})
            return out
        for sp in self.service.ports:
            target = sp.target_port
            if target is None:
                target = named[sp.name].name if sp.name in named else sp.port
            item = {"name": sp.name} if sp.name else {}
            item.update({"port": sp.port, "targetPort": target, "protocol": sp.protocol})
            if sp.node_port is not None:
                item["nodePort"] = sp.node_port
            out.append(item)
        return out

    def account_name(self) -> str | None:
        if self.service_account is None:
            return None
        return self.service_account.name or self.name

    def objects(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        """The named objects this workload renders, as (kind, name, key path below it)."""
        out: list[tuple[str, str, tuple[str | int, ...]]] = [(self.kind, self.name, ("name",))]
        if self.service is not None:
            out.append(("Service", self.service_name(), ("service",)))
        if self.ingress is not None:
            out.append(("Ingress", self.ingress.name, ("ingress", "name")))
        if self.hpa is not None:
            out.append(("HorizontalPodAutoscaler", self.name, ("hpa",)))
        if self.pdb is not None:
            out.append(("PodDisruptionBudget", self.name, ("pdb",)))
        account = self.account_name()
        if self.service_account is not None and self.service_account.create and account:
            out.append(("ServiceAccount", account, ("service_account",)))
        if self.network_policy is not None:
            policy = self.network_policy.name or f"{self.name}-ingress"
            out.append(("NetworkPolicy", policy, ("network_policy",)))
        for i, cm in enumerate(self.config_maps):
            out.append(("ConfigMap", cm.name, ("config_maps", i, "name")))
        if self.secret_store is not None:
            store = self.secret_store
            out.append((store.kind, store.name, ("secret_store", "name")))
        for i, es in enumerate(self.external_secrets):
            out.append(("ExternalSecret", es.name, ("external_secrets", i, "name")))
        for i, doc in enumerate(self.extra_manifests):
            out.append((str(doc["kind"]), str(doc["metadata"]["name"]), ("extra_manifests", i)))
        return out

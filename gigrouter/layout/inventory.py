"""What a rendered tree deploys, as rows: routes, Services, images, SecretStores and
ExternalSecret keys, NetworkPolicies and Helm charts, app by app.

Each registry entry (``layout.registry``) returns these rows with the files it renders, so the docs
list exactly what the manifests hold. Only references are kept: never a value of a ConfigMap, an
environment variable or Helm values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Route:
    """One host and path of an Ingress and where it sends the request."""

    host: str
    path: str
    path_type: str
    service: str
    port: int
    namespace: str
    ingress: str  # the Ingress (manifest) or the chart values key that creates it
    order: int | None  # alb.ingress.kubernetes.io/group.order
    app: str
    by_chart: bool = False
    profile: str = ""  # the ingress profile serving it
    tls_secret: str = ""  # the Secret holding the host's certificate ('' without TLS)


@dataclass(frozen=True)
class Service:
    app: str
    namespace: str
    name: str
    port: int
    workload: str  # the workload it selects, as 'Deployment backend'


@dataclass(frozen=True)
class Image:
    """An image and the workload that runs it."""

    app: str
    namespace: str
    kind: str
    name: str
    image: str


@dataclass(frozen=True)
class Store:
    """A SecretStore or ClusterSecretStore: what it reads, how it logs in (layout.secrets)."""

    app: str
    namespace: str  # the app's namespace, also for a (cluster-scoped) ClusterSecretStore
    name: str
    provider: str  # the AWS service (SecretsManager, ParameterStore), or vault, gcpsm, azurekv
    region: str  # where: the AWS region, Vault server, GCP project or Azure vault URL ('' unknown)
    service_account: str  # the ServiceAccount it authenticates as, '' for none
    kind: str = "SecretStore"
    auth: str = "IRSA"  # how it logs in, in words: 'IRSA', 'Vault kubernetes auth', ...


@dataclass(frozen=True)
class SecretItem:
    """One key of an ExternalSecret: a reference, never a value."""

    app: str
    namespace: str
    external_secret: str
    store: str
    target: str
    secret_key: str
    remote_key: str
    property: str | None
    refresh: str


@dataclass(frozen=True)
class Policy:
    app: str
    namespace: str
    name: str
    workload: str  # the Deployment whose pods it selects (by app=<name>)
    port: int
    from_namespaces: tuple[str, ...]


@dataclass(frozen=True)
class Chart:
    app: str
    namespace: str
    chart: str
    version: str
    repo: str
    release: str
    values: str  # where its values come from (never the values themselves)


@dataclass
class Facts:
    """The rows, filled app by app by ``facts``."""

    routes: list[Route] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    workloads: list[Image] = field(default_factory=list)
    stores: list[Store] = field(default_factory=list)
    secrets: list[SecretItem] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    def of(self, app: str) -> Facts:
        """Only the facts of the application ``app``."""
        return Facts(
            [r for r in self.routes if r.app == app],
            [s for s in self.services if s.app == app],
            [w for w in self.workloads if w.app == app],
            [s for s in self.stores if s.app == app],
            [s for s in self.secrets if s.app == app],
            [p for p in self.policies if p.app == app],
            [c for c in self.charts if c.app == app],
        )

    def extend(self, other: Facts) -> None:
        """Append ``other``'s rows to these."""
        self.routes.extend(other.routes)
        self.services.extend(other.services)
        self.workloads.extend(other.workloads)
        self.stores.extend(other.stores)
        self.secrets.extend(other.secrets)
        self.policies.extend(other.policies)
        self.charts.extend(other.charts)


FileSpec = tuple[str, str, dict[str, Any]]  # file name inside the app's path, template, context


@dataclass
class Part:
    """What the registry renders into an app's directory, and the docs rows for it."""

    files: list[FileSpec] = field(default_factory=list)
    facts: Facts = field(default_factory=Facts)

    def extend(self, other: Part) -> None:
        """Append ``other``'s files and rows to these."""
        self.files += other.files
        self.facts.extend(other.facts)

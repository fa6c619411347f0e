"""Argo CD: the GitOps repository, the app-of-apps and its child Applications."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from gigrouter.giturl import check_remote, credentials_in, redact
from gigrouter.model.base import (
    _CHART_VERSION,
    _FILE_NAME,
    ComponentName,
    Strict,
    check_plain_data,
    file_name,
)
from gigrouter.model.catalogue import WorkloadSpec
from gigrouter.types import (
    DnsLabel,
    DnsSubdomain,
    Duration,
    GitRevision,
    RelativeDir,
    Text,
    Wave,
)

IN_CLUSTER = "https://kubernetes.default.svc"


class GitOps(Strict):
    """The repository Argo CD watches, and where in it the rendered tree lives."""

    repo_url: Annotated[
        Text,
        Field(
            description=(
                "The Git repository Argo CD watches and `gigrouter publish` pushes to, such as"
                " https://github.com/ORG/REPO or git@github.com:ORG/REPO.git (required: there is"
                " no default)"
            ),
            json_schema_extra={"pattern": r"^\S+$"},
        ),
    ]
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
        description=(
            "kube-prometheus-stack only: render components.observability into"
            " <path>/values.yaml and read it with a $values source"
        ),
    )
    values_file: RelativeDir | None = Field(
        default=None,
        description=(
            "A values file of the config repo (relative to the config file), copied byte for"
            " byte to <path>/values.yaml and read with a $values source; any chart"
        ),
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
        check_plain_data(value)
        return value

    @field_validator("values_file")
    @classmethod
    def _values_file(cls, value: str | None) -> str | None:
        if value is not None and not value.endswith((".yaml", ".yml")):
            raise ValueError(f"{value!r} must be a YAML file, ending in .yaml or .yml")
        if value == "":
            raise ValueError("give the values file's path, relative to the config file")
        return value

    @model_validator(mode="after")
    def _one_values_file(self) -> HelmSource:
        if self.values_in_repo and self.values_file is not None:
            raise ValueError(
                "give one of `values_in_repo` (the kube-prometheus-stack preset) and"
                " `values_file`: both would be <path>/values.yaml"
            )
        return self

    @property
    def in_repo(self) -> bool:
        """True when the chart reads a values file kept in the tree (<path>/values.yaml)."""
        return self.values_in_repo or self.values_file is not None


FILE_SOURCES = ("manifests", "workloads", "directory")
"""The keys that give an application files in its `path` (any of them, not with `helm`)."""
VALUES_FILE = "values.yaml"
"""The name of a chart's values file in its application's `path`."""


@dataclass(frozen=True)
class RepoFile:
    """A file of the config repo that the config copies into the tree, read by the config
    stage (so layout reads no files): which application it belongs to, its path below the
    application's ``path``, the file it came from (relative to the config file's directory, and
    as messages show it) and its text."""

    app: str
    path: str
    origin: str
    source: str
    text: str
    values: bool = False  # a Helm values file, not a manifest


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
    directory: RelativeDir | None = Field(
        default=None,
        description=(
            "A directory of hand-written manifests in the config repo, relative to the config"
            " file: its .yaml, .yml and .json files (recursively, other files ignored) are"
            " copied byte for byte into `path`, keeping their sub-paths"
        ),
    )
    workloads: list[WorkloadSpec] = Field(
        default=[], description="Workloads of any kind rendered into `path`, one file each"
    )
    helm: HelmSource | None = None
    finalizer: bool = True
    sync: SyncPolicy = SyncPolicy()
    ignore_differences: list[IgnoreDifference] = []

    @field_validator("file")
    @classmethod
    def _file(cls, value: str) -> str:
        return file_name(value)

    @field_validator("directory")
    @classmethod
    def _directory(cls, value: str | None) -> str | None:
        if value == "":
            raise ValueError(
                "`directory` must name a directory below the config file's, not the config"
                " directory itself"
            )
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Application:
        files = self.manifests is not None or bool(self.workloads) or self.directory is not None
        if (self.helm is None) == (not files):
            raise ValueError(
                "an application has exactly one of `helm` or a files source"
                " (`manifests`, `workloads`, `directory`)"
            )
        if files and self.path is None:
            raise ValueError("an application of files needs `path`, the directory it reads")
        names = [w.name for w in self.workloads]
        times = Counter(names)
        for name in names:
            if times[name] > 1:
                raise ValueError(f"workload {name!r} is given twice (one file per workload)")
        if self.helm is not None and self.helm.values_in_repo and self.path is None:
            raise ValueError("`helm.values_in_repo` needs `path`, the directory of values.yaml")
        if self.helm is not None and self.helm.values_file is not None and self.path is None:
            raise ValueError("`helm.values_file` needs `path`, the directory of values.yaml")
        if len(set(self.depends_on)) != len(self.depends_on):
            raise ValueError("depends_on lists an application twice")
        if self.name in self.depends_on:
            raise ValueError("an application cannot depend on itself")
        return self

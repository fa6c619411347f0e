"""Secrets: External Secrets Operator SecretStores and ExternalSecrets."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, ValidationError

from gigrouter.model.base import Strict, check_plain_data
from gigrouter.model.providers import PROVIDER_SCHEMA_FILE, check_provider
from gigrouter.types import (
    Arn,
    DnsLabel,
    DnsSubdomain,
    Duration,
    Region,
    Text,
    Wave,
)

StoreKind = Literal["SecretStore", "ClusterSecretStore"]
AwsService = Literal["SecretsManager", "ParameterStore"]
ProviderName = Literal["aws", "vault", "gcpsm", "azurekv"]

_RAW = (
    "written as in the External Secrets CRD (v1beta1 SecretStore spec.provider.{name}, camelCase"
    f" keys) and checked against gigrouter/schemas/{PROVIDER_SCHEMA_FILE}"
)


class AwsProvider(Strict):
    """AWS Secrets Manager or Parameter Store, read as a ServiceAccount through IRSA (jwt auth:
    the ServiceAccount is the one of the component that renders the store)."""

    service: AwsService = "SecretsManager"
    region: Region | None = Field(default=None, description="Default: the platform's region")
    role: Arn | None = Field(
        default=None, description="An IAM role to assume after the ServiceAccount's own"
    )
    service_account_namespace: DnsLabel | None = Field(
        default=None,
        description="The ServiceAccount's namespace; a ClusterSecretStore must name it,"
        " a SecretStore uses its own",
    )


class SecretProvider(Strict):
    """Exactly one provider: AWS typed, the others as the CRD writes them."""

    aws: AwsProvider | None = None
    vault: dict[str, Any] | None = Field(
        default=None, description="HashiCorp Vault, " + _RAW.format(name="vault")
    )
    gcpsm: dict[str, Any] | None = Field(
        default=None, description="Google Cloud Secret Manager, " + _RAW.format(name="gcpsm")
    )
    azurekv: dict[str, Any] | None = Field(
        default=None, description="Azure Key Vault, " + _RAW.format(name="azurekv")
    )

    @field_validator("vault", "gcpsm", "azurekv")
    @classmethod
    def _raw(cls, value: dict[str, Any] | None, info: ValidationInfo) -> dict[str, Any] | None:
        if value is not None:
            check_plain_data(value)
            assert info.field_name is not None
            check_provider(info.field_name, value)
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretProvider:
        given = [n for n in ("aws", "vault", "gcpsm", "azurekv") if getattr(self, n) is not None]
        if len(given) != 1:
            got = ", ".join(given) if given else "none"
            raise ValueError(f"give exactly one provider: aws, vault, gcpsm or azurekv (got {got})")
        return self

    @property
    def name(self) -> ProviderName:
        for name in ("vault", "gcpsm", "azurekv"):
            if getattr(self, name) is not None:
                return name
        return "aws"

    @property
    def raw(self) -> dict[str, Any] | None:
        """The block of a provider written as in the CRD, or None for AWS."""
        block: dict[str, Any] | None = getattr(self, self.name) if self.name != "aws" else None
        return block


def _error_at(message: str, loc: tuple[str, ...]) -> ValidationError:
    """A model error located at ``loc`` below the model (a key that is there or belongs there)."""
    return ValidationError.from_exception_data(
        "SecretStoreSpec",
        [
            {
                "type": PydanticCustomError("secret_store", "{message}", {"message": message}),
                "loc": loc,
                "input": None,
            }
        ],
    )


class SecretStoreSpec(Strict):
    """An External Secrets SecretStore (namespaced) or ClusterSecretStore (cluster-scoped)."""

    name: DnsSubdomain
    kind: StoreKind = Field(
        default="SecretStore",
        description="ClusterSecretStore: cluster-scoped, usable from every namespace",
    )
    service: AwsService = Field(
        default="SecretsManager", description="The AWS service, when `provider` is not given"
    )
    region: Region | None = Field(
        default=None,
        description="The AWS region, when `provider` is not given. Default: the platform's region",
    )
    provider: SecretProvider | None = Field(
        default=None, description="Default: AWS, with `service` and `region`"
    )
    wave: Wave | None = None

    @model_validator(mode="after")
    def _provider(self) -> SecretStoreSpec:
        flat = sorted({"service", "region"} & self.model_fields_set)
        if self.provider is not None and flat:
            raise _error_at(
                f"`{flat[0]}` is the AWS provider's when `provider` is not given;"
                f" with `provider`, write it as `provider.aws.{flat[0]}`",
                (flat[0],),
            )
        aws = self.aws
        if aws is None:
            return self
        at = ("provider", "aws", "service_account_namespace") if self.provider else ("provider",)
        if self.kind == "ClusterSecretStore" and aws.service_account_namespace is None:
            raise _error_at(
                "a ClusterSecretStore reading AWS authenticates as a ServiceAccount in a"
                " namespace it must name: set `provider.aws.service_account_namespace`",
                at,
            )
        if self.kind == "SecretStore" and aws.service_account_namespace is not None:
            raise _error_at(
                "only a ClusterSecretStore names its ServiceAccount's namespace; a SecretStore"
                " uses the ServiceAccount of its own namespace",
                at,
            )
        return self

    @property
    def aws(self) -> AwsProvider | None:
        """The AWS provider: ``provider.aws``, or ``service`` and ``region`` without
        ``provider``; None for another provider."""
        if self.provider is None:
            return AwsProvider(service=self.service, region=self.region)
        return self.provider.aws

    @property
    def provider_name(self) -> ProviderName:
        return "aws" if self.provider is None else self.provider.name

    @property
    def cluster_scoped(self) -> bool:
        return self.kind == "ClusterSecretStore"


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

"""Secrets: External Secrets Operator SecretStores and ExternalSecrets."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
)

from gigrouter.model.base import Strict
from gigrouter.types import (
    DnsSubdomain,
    Duration,
    Region,
    Text,
    Wave,
)


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

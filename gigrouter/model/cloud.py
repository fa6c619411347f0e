"""The cloud the platform runs in and its load balancer."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
)

from gigrouter.model.base import _CLUSTER_NAME, _GROUP_NAME, Strict
from gigrouter.types import (
    Arn,
    DnsSubdomain,
    Port,
    Region,
    Text,
    VpcId,
)


class Aws(Strict):
    """The EKS cluster the platform runs in."""

    cluster_name: Annotated[Text, Field(json_schema_extra={"pattern": _CLUSTER_NAME.pattern})]
    region: Region
    vpc_id: VpcId | None = Field(
        default=None, description="The cluster's VPC (the ALB controller's vpcId), for the docs"
    )
    certificate_arn: Arn | None = Field(
        default=None,
        description="The ACM certificate of aws-alb ingress profiles that give none of their"
        " own; needed when such a profile listens on HTTPS",
    )

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

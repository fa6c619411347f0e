"""Ingress profiles: which controller serves an Ingress, with its class, annotations and TLS.

A profile is either ``aws-alb`` (the AWS Load Balancer Controller: every Ingress of the profile
joins one ALB group, and ALB annotations are written for it) or ``generic`` (any other
controller, such as ingress-nginx or Traefik: its IngressClass, its own annotations and,
optionally, a cert-manager issuer for the Ingresses that ask for TLS). The legacy ``alb:``
block is the aws-alb profile named ``alb``.

The checks that need the whole platform (which profile an Ingress names, whether the cluster
is on AWS) are in ``model.checks``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator

from gigrouter.model.base import Strict
from gigrouter.model.cloud import Alb
from gigrouter.types import Arn, DnsSubdomain, Host, Text

if TYPE_CHECKING:
    from gigrouter.model.workloads import IngressSpec

ALB_PREFIX = "alb.ingress.kubernetes.io/"
CLUSTER_ISSUER = "cert-manager.io/cluster-issuer"
ISSUER = "cert-manager.io/issuer"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
LEGACY_PROFILE = "alb"  # the profile the `alb:` block stands for

# An annotation key as Kubernetes accepts it: an optional DNS-1123 subdomain prefix and a name
# of at most 63 characters, starting and ending alphanumeric.
_ANNOTATION_KEY = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
AnnotationKey = Annotated[str, Field(pattern=_ANNOTATION_KEY, max_length=317)]

KeyPath = tuple[str | int, ...]
Problems = list[tuple[KeyPath, str]]


def no_wave_key(value: dict[str, str]) -> dict[str, str]:
    if SYNC_WAVE in value:
        raise ValueError(f"{SYNC_WAVE} is written from `wave`; set `wave` instead")
    return value


class IngressTls(Strict):
    """One entry of spec.tls: the hosts one certificate covers and the Secret that holds it."""

    hosts: Annotated[list[Host], Field(min_length=1)]
    secret_name: DnsSubdomain


class AlbProfile(Alb):
    """Ingresses served by the AWS Load Balancer Controller, all in one ALB group."""

    controller: Literal["aws-alb"]
    certificate_arn: Arn | None = Field(
        default=None, description="ACM certificate of the listeners. Default: aws.certificate_arn"
    )
    annotations: dict[AnnotationKey, Text] = Field(
        default={}, description="Written on every Ingress of the profile, after the ALB ones"
    )

    @field_validator("annotations")
    @classmethod
    def _annotations(cls, value: dict[str, str]) -> dict[str, str]:
        return no_wave_key(value)

    @property
    def class_name(self) -> str:
        return self.ingress_class


class GenericProfile(Strict):
    """Ingresses served by any other controller (ingress-nginx, Traefik, ...)."""

    controller: Literal["generic"]
    class_name: DnsSubdomain = Field(description="spec.ingressClassName of every Ingress")
    annotations: dict[AnnotationKey, Text] = Field(
        default={}, description="Written on every Ingress of the profile"
    )
    cluster_issuer: DnsSubdomain | None = Field(
        default=None,
        description="cert-manager ClusterIssuer for the Ingresses with `tls`"
        " (annotation cert-manager.io/cluster-issuer)",
    )
    issuer: DnsSubdomain | None = Field(
        default=None,
        description="cert-manager Issuer in the Ingress's namespace, for the Ingresses with `tls`"
        " (annotation cert-manager.io/issuer)",
    )

    @field_validator("annotations")
    @classmethod
    def _annotations(cls, value: dict[str, str]) -> dict[str, str]:
        return no_wave_key(value)


IngressProfile = Annotated[AlbProfile | GenericProfile, Field(discriminator="controller")]


# legacy_profile's results by the block they were built from (layout and docs ask for the
# profiles of every Ingress: building the model each time was a tenth of a large render).
_LEGACY: dict[int, tuple[Alb, AlbProfile]] = {}


def legacy_profile(alb: Alb) -> AlbProfile:
    """The aws-alb profile the `alb:` block (or its absence, with no profiles) stands for."""
    hit = _LEGACY.get(id(alb))
    if hit is not None and hit[0] is alb:  # the entry keeps ``alb`` alive: its id is its own
        return hit[1]
    if len(_LEGACY) >= 64:
        _LEGACY.clear()
    profile = AlbProfile(controller="aws-alb", **alb.model_dump())
    _LEGACY[id(alb)] = (alb, profile)
    return profile


def tls_entries(ingress: IngressSpec) -> list[IngressTls]:
    """spec.tls of the Ingress: its own list, or for ``tls: true`` one entry covering every
    routed host with the Secret ``<ingress name>-tls``."""
    if ingress.tls is True:
        hosts = list(dict.fromkeys(r.host for r in ingress.routes))
        return [IngressTls(hosts=hosts, secret_name=f"{ingress.name}-tls")]
    if ingress.tls is False:
        return []
    return list(ingress.tls)


def issuer_annotation(ingress: IngressSpec, profile: AlbProfile | GenericProfile) -> dict[str, str]:
    """The cert-manager annotation of an Ingress with TLS: its own issuer, else its profile's."""
    if not tls_entries(ingress):
        return {}
    if ingress.cluster_issuer is not None:
        return {CLUSTER_ISSUER: ingress.cluster_issuer}
    if ingress.issuer is not None:
        return {ISSUER: ingress.issuer}
    if isinstance(profile, GenericProfile):
        if profile.cluster_issuer is not None:
            return {CLUSTER_ISSUER: profile.cluster_issuer}
        if profile.issuer is not None:
            return {ISSUER: profile.issuer}
    return {}

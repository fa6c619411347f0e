"""Checks that need the whole platform: which ingress profile each Ingress names and whether
it fits it, and the settings that mean something only on AWS. Each problem is (key path,
message); ``Platform.cross_check`` reports them at the key's line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from gigrouter.model.base import did_you_mean
from gigrouter.model.ingress import (
    ALB_PREFIX,
    LEGACY_PROFILE,
    AlbProfile,
    GenericProfile,
    KeyPath,
    Problems,
    tls_entries,
)
from gigrouter.model.secrets import SecretStoreSpec
from gigrouter.model.workloads import IngressSpec

if TYPE_CHECKING:
    from gigrouter.model.platform import Platform

M = TypeVar("M", bound=BaseModel)


# --- checks that need the whole platform ----------------------------------------------------


def ingresses(model: BaseModel) -> Iterator[tuple[KeyPath, IngressSpec]]:
    """Every Ingress of the config with the key path it is written at, wherever a model
    holds one (components, an application's workloads, Grafana's chart values)."""
    return instances(model, IngressSpec)


def instances(model: BaseModel, kind: type[M], at: KeyPath = ()) -> Iterator[tuple[KeyPath, M]]:
    """Every model of type ``kind`` below ``model``, with its key path."""
    for name in type(model).model_fields:
        yield from _walk(getattr(model, name), (*at, name), kind)


def _walk(value: object, at: KeyPath, kind: type[M]) -> Iterator[tuple[KeyPath, M]]:
    if isinstance(value, kind):
        yield at, value
    elif isinstance(value, BaseModel):
        yield from instances(value, kind, at)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _walk(item, (*at, i), kind)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield from _walk(item, (*at, key), kind)


def ingress_problems(platform: Platform) -> Problems:
    """The profiles themselves, then every Ingress against the profile it uses."""
    problems = _profile_problems(platform)
    if problems:
        return problems
    for at, ingress in ingresses(platform):
        problems.extend(check_ingress(platform, at, ingress))
    return problems + _certificate_problems(platform)


def _certificate_problems(platform: Platform) -> Problems:
    """An aws-alb profile that some Ingress uses and that listens on HTTPS needs an ACM
    certificate: its own ``certificate_arn``, else the ``aws`` block's."""
    if platform.aws is None or platform.aws.certificate_arn is not None:
        return []
    used = {
        ingress.profile or platform.default_profile_name() for _, ingress in ingresses(platform)
    }
    problems: Problems = []
    for name, profile in platform.profiles().items():
        if not isinstance(profile, AlbProfile) or name not in used or profile.certificate_arn:
            continue
        if not any("HTTPS" in port for port in profile.listen_ports):
            continue
        legacy = name == LEGACY_PROFILE and name not in platform.ingress_profiles
        at: KeyPath = ("alb",) if legacy else ("ingress_profiles", name)
        problems.append(
            (
                at if legacy else (*at, "certificate_arn"),
                f"ingress profile {name!r} listens on HTTPS but names no ACM certificate:"
                " set its `certificate_arn`, or `aws.certificate_arn` for every aws-alb profile",
            )
        )
    return problems


def _profile_problems(platform: Platform) -> Problems:
    problems: Problems = []
    declared = platform.ingress_profiles
    if platform.alb is not None and LEGACY_PROFILE in declared:
        problems.append(
            (
                ("ingress_profiles", LEGACY_PROFILE),
                f"the profile name {LEGACY_PROFILE!r} is taken by the `alb` block;"
                " rename this profile or move the `alb` settings into it",
            )
        )
    if platform.aws is None:
        if platform.alb is not None:
            problems.append(
                (
                    ("alb",),
                    "the `alb` block is an aws-alb ingress profile, which needs the `aws` block"
                    " (the cluster's region, VPC and certificate); declare `ingress_profiles`"
                    " with `controller: generic` instead",
                )
            )
        for name, profile in declared.items():
            if isinstance(profile, AlbProfile):
                problems.append(
                    (
                        ("ingress_profiles", name, "controller"),
                        f"ingress profile {name!r} is aws-alb, which needs the `aws` block"
                        " (the cluster's region, VPC and certificate)",
                    )
                )
    for name, profile in declared.items():
        if isinstance(profile, GenericProfile) and profile.cluster_issuer and profile.issuer:
            problems.append(
                (
                    ("ingress_profiles", name, "issuer"),
                    f"ingress profile {name!r} gives `cluster_issuer` and `issuer`;"
                    " cert-manager takes one",
                )
            )
        for key in profile.annotations:
            if isinstance(profile, GenericProfile) and key.startswith(ALB_PREFIX):
                problems.append(
                    (
                        ("ingress_profiles", name, "annotations", key),
                        f"{key!r} is an ALB annotation, but ingress profile {name!r} is"
                        f" generic (class {profile.class_name!r}): no ALB reads it",
                    )
                )
    default = platform.default_ingress_profile
    known = set(platform.profiles())
    if default is not None and default not in known:
        problems.append(
            (
                ("default_ingress_profile",),
                f"no ingress profile named {default!r}{did_you_mean(default, known)}"
                f" (profiles: {', '.join(sorted(known))})",
            )
        )
    return problems


# Annotations gigrouter writes from settings: an Ingress's own `annotations` may not replace them,
# or the Ingress would silently leave its ALB group, listener or controller.
WRITTEN_ANYWHERE = (
    "kubernetes.io/ingress.class",
    "cert-manager.io/cluster-issuer",
    "cert-manager.io/issuer",
)
WRITTEN_BY_ALB = {
    f"{ALB_PREFIX}{key}": setting
    for key, setting in (
        ("group.name", "the profile's group_name"),
        ("scheme", "the profile's scheme"),
        ("target-type", "the profile's target_type"),
        ("listen-ports", "the profile's listen_ports"),
        ("certificate-arn", "the profile's certificate_arn"),
        ("ssl-redirect", "the profile's ssl_redirect"),
        ("group.order", "the Ingress's group_order"),
        ("healthcheck-path", "the Ingress's healthcheck_path"),
    )
}


def _written_keys(
    ingress: IngressSpec, at: KeyPath, name: str, profile: AlbProfile | GenericProfile
) -> Problems:
    problems: Problems = []
    for key in ingress.annotations:
        if key in WRITTEN_ANYWHERE:
            setting = (
                "the profile's class_name"
                if key.endswith("ingress.class")
                else ("`cluster_issuer` / `issuer`")
            )
            problems.append(
                ((*at, "annotations", key), f"{key} is written from {setting}; set that instead")
            )
        elif isinstance(profile, AlbProfile) and key in WRITTEN_BY_ALB:
            problems.append(
                (
                    (*at, "annotations", key),
                    f"{key} is written from {WRITTEN_BY_ALB[key]} (ingress profile {name!r});"
                    " set that instead",
                )
            )
    return problems


def check_ingress(platform: Platform, at: KeyPath, ingress: IngressSpec) -> Problems:
    """One Ingress, written at key path ``at``, against its profile and the platform."""
    profiles = platform.profiles()
    name = ingress.profile or platform.default_profile_name()
    if name is None:
        return [
            (
                (*at, "name"),
                f"Ingress {ingress.name!r} names no `profile` and there is no"
                f" default_ingress_profile to fall back on (profiles:"
                f" {', '.join(sorted(profiles))})",
            )
        ]
    if name not in profiles:
        hint = did_you_mean(name, set(profiles))
        return [
            (
                (*at, "profile"),
                f"no ingress profile named {name!r}{hint} (profiles:"
                f" {', '.join(sorted(profiles))})",
            )
        ]
    profile = profiles[name]
    problems: Problems = _written_keys(ingress, at, name, profile)
    where = (*at, "profile") if ingress.profile else (*at, "name")
    if isinstance(profile, AlbProfile):
        if platform.aws is None and not platform.ingress_profiles and platform.alb is None:
            problems.append(
                (
                    where,
                    f"Ingress {ingress.name!r} would join the default ALB, which needs the `aws`"
                    " block; declare `ingress_profiles` (such as `controller: generic` with"
                    " `class_name: nginx`) and `default_ingress_profile`",
                )
            )
        for key in ("cluster_issuer", "issuer"):
            if getattr(ingress, key) is not None:
                problems.append(
                    (
                        (*at, key),
                        f"ingress profile {name!r} is aws-alb: the ALB serves ACM certificates"
                        " (certificate_arn), not cert-manager's",
                    )
                )
    else:
        for key in ingress.annotations:
            if key.startswith(ALB_PREFIX):
                problems.append(
                    (
                        (*at, "annotations", key),
                        f"{key!r} is an ALB annotation, but Ingress {ingress.name!r} uses the"
                        f" generic ingress profile {name!r} (class {profile.class_name!r})",
                    )
                )
        for key in ("group_order", "healthcheck_path"):
            if getattr(ingress, key) is not None:
                problems.append(
                    (
                        (*at, key),
                        f"{key} is an ALB setting, but Ingress {ingress.name!r} uses the"
                        f" generic ingress profile {name!r} (class {profile.class_name!r})",
                    )
                )
    if ingress.cluster_issuer is not None and ingress.issuer is not None:
        problems.append(
            (
                (*at, "issuer"),
                f"Ingress {ingress.name!r} gives `cluster_issuer` and `issuer`;"
                " cert-manager takes one",
            )
        )
    routed = list(dict.fromkeys(r.host for r in ingress.routes))
    if isinstance(ingress.tls, list):
        for i, entry in enumerate(ingress.tls):
            for j, host in enumerate(entry.hosts):
                if host not in routed:
                    problems.append(
                        (
                            (*at, "tls", i, "hosts", j),
                            f"{host!r} is not among the hosts Ingress {ingress.name!r}"
                            f" routes ({', '.join(routed)})",
                        )
                    )
    if not tls_entries(ingress):
        for key in ("cluster_issuer", "issuer"):
            if getattr(ingress, key) is not None and isinstance(profile, GenericProfile):
                problems.append(
                    (
                        (*at, key),
                        f"Ingress {ingress.name!r} has no `tls`, so cert-manager would issue"
                        " no certificate for it; add `tls`",
                    )
                )
    return problems


def aws_problems(platform: Platform) -> Problems:
    """Settings that only mean something on AWS, refused when the config has no `aws` block."""
    if platform.aws is not None:
        return []
    problems: Problems = []
    backend = platform.components.backend
    if backend is not None and backend.irsa_role_arn is not None:
        problems.append(
            (
                ("components", "backend", "irsa_role_arn"),
                "an IAM role ARN (EKS IRSA) needs the `aws` block; without it nothing AWS"
                " is rendered",
            )
        )
    for at, store in instances(platform, SecretStoreSpec):
        aws = store.aws
        if aws is not None and aws.region is None:
            key = ("provider", "aws", "region") if store.provider is not None else ("region",)
            problems.append(
                (
                    (*at, *key),
                    f"SecretStore {store.name!r} reads AWS and takes its region from the `aws`"
                    " block, which the config does not have; set the region here",
                )
            )
    return problems

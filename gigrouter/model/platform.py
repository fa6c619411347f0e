"""The whole platform config and its cross-key rules."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    Field,
)

from gigrouter.model.argocd import Application, ArgoCD, GitOps
from gigrouter.model.base import Strict, did_you_mean, dotted
from gigrouter.model.checks import aws_problems, ingress_problems
from gigrouter.model.cloud import Alb, Aws
from gigrouter.model.ingress import (
    LEGACY_PROFILE,
    AlbProfile,
    GenericProfile,
    IngressProfile,
    legacy_profile,
)
from gigrouter.model.presets import Components
from gigrouter.types import (
    DnsLabel,
    DnsSubdomain,
    Host,
    Port,
    Text,
)


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


_NO_ALB = Alb()  # what a platform without an `alb` block stands for


class Platform(Strict):
    """The whole platform config (config/platform.yaml)."""

    name: DnsLabel
    description: Text = ""
    domain: Host
    aws: Aws | None = Field(default=None, description="Leave out on a cluster outside AWS")
    gitops: GitOps = Field(
        description=(
            "The Git repository Argo CD watches; give at least repo_url, such as"
            " `gitops: {repo_url: https://github.com/ORG/REPO}`"
        )
    )
    argocd: ArgoCD = ArgoCD()
    alb: Alb | None = Field(
        default=None,
        description="The aws-alb ingress profile named 'alb', the default one. Without it and"
        " without ingress_profiles, the ALB defaults apply",
    )
    ingress_profiles: dict[DnsLabel, IngressProfile] = {}
    default_ingress_profile: DnsLabel | None = Field(
        default=None,
        description="Default: 'alb' when the `alb` block is given or no profile is declared,"
        " else the only profile",
    )
    applications: list[Application]
    components: Components = Components()
    externals: list[External] = []

    # -- derived views ---------------------------------------------------------------------

    def profiles(self) -> dict[str, AlbProfile | GenericProfile]:
        """Every ingress profile by name: the declared ones and the one the `alb` block (or,
        with no profile declared, the ALB defaults) stands for."""
        found: dict[str, AlbProfile | GenericProfile] = {}
        if self.alb is not None or not self.ingress_profiles:
            found[LEGACY_PROFILE] = legacy_profile(self.alb or _NO_ALB)
        return {**found, **self.ingress_profiles}

    def default_profile_name(self) -> str | None:
        """The profile of an Ingress that names none (None when it is ambiguous)."""
        if self.default_ingress_profile is not None:
            return self.default_ingress_profile
        if self.alb is not None or not self.ingress_profiles:
            return LEGACY_PROFILE
        if len(self.ingress_profiles) == 1:
            return next(iter(self.ingress_profiles))
        return None

    def aws_region(self) -> str | None:
        return self.aws.region if self.aws is not None else None

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
                    hint = did_you_mean(dep, known)
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
        problems.extend(ingress_problems(self))
        problems.extend(aws_problems(self))
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
        for i, app in enumerate(self.applications):
            if not app.enabled:
                continue
            found = self.components.objects(app.manifests) if app.manifests else []
            for j, w in enumerate(app.workloads):
                at = ("applications", i, "workloads", j)
                found.extend((kind, name, (*at, *sub)) for kind, name, sub in w.objects())
            for kind, name, path in found:
                ns = "" if kind == "ClusterSecretStore" else app.namespace  # cluster-scoped
                key = (kind, ns, name)
                if key in first:
                    where = dotted(first[key])
                    shown = f"{ns}/{name}" if ns else name
                    problems.append((path, f"{kind} {shown} is also rendered from {where}"))
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

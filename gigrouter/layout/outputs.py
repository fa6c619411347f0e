"""Stage 3's entry point: the platform -> every manifest of one tree (the root app-of-apps, one
Application per app, what each app renders through the registry, copied files)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gigrouter.errors import ConfigError, Location, Problem
from gigrouter.layout import registry
from gigrouter.layout.files import (
    Output,
    TreeSettings,
    application_view,
    header,
    join,
    observability_values,
    part_of,
)
from gigrouter.layout.inventory import Part
from gigrouter.model import IN_CLUSTER, Application, Platform
from gigrouter.model.argocd import RepoFile


def outputs(
    platform: Platform,
    config_name: str = "platform.yaml",
    settings: TreeSettings | None = None,
    parts: Mapping[str, Part] | None = None,
) -> list[Output]:
    """Every manifest of the rendered tree (no docs, no metadata file), in a stable order
    (``parts``: the registry's, when already built)."""
    settings = settings or TreeSettings()
    parts = parts if parts is not None else registry.parts(platform)
    head = header(config_name)
    outputs: list[Output] = []
    common = {"platform": platform, "labels": part_of(platform)}
    root = platform.argocd.root
    if settings.applications != "none":
        outputs.append(_root_output(platform, settings, common, head))
    for app in platform.active_applications():
        if settings.applications == "own":
            outputs.append(
                Output(
                    join(root.path, app.file),
                    "argocd/application.yaml.j2",
                    {**common, **application_view(platform, app, settings.app_prefix)},
                    header=head,
                )
            )
        own: list[Output] = []
        if app.path is not None and (app.manifests is not None or app.workloads):
            base = {**common, "namespace": app.namespace}
            own = [
                Output(join(app.path, name), template, {**base, **ctx}, header=head)
                for name, template, ctx in parts[app.name].files
            ]
        elif app.helm is not None and app.helm.values_in_repo and app.path is not None:
            own = [
                Output(
                    join(app.path, "values.yaml"),
                    "observability/values.yaml.j2",
                    {**common, "values": observability_values(platform)},
                    header=head,
                )
            ]
        outputs.extend(own + copied_outputs(app, own, settings.copied))
    outputs.extend(settings.extra_outputs)
    return sorted(outputs, key=lambda o: o.path)


def copied_outputs(
    app: Application, rendered: list[Output], copied: tuple[RepoFile, ...]
) -> list[Output]:
    """``app``'s files copied from the config repo, byte for byte, into its ``path``; a file
    that would replace one gigrouter renders there is a config error naming both."""
    mine = [f for f in copied if f.app == app.name]
    if not mine or app.path is None:
        return []
    own = {o.path: o for o in rendered}
    found: list[Output] = []
    problems: list[Problem] = []
    for f in mine:
        path = join(app.path, f.path)
        clash = own.get(path)
        if clash is not None:
            made = f"templates/{clash.template}" if clash.template else "gigrouter"
            problems.append(
                Problem(
                    Location(f.source),
                    f"would be copied to {path}, which application {app.name!r} also renders"
                    f" (from {made}); rename the file",
                )
            )
            continue
        found.append(Output(path, None, text=f.text))
    if problems:
        raise ConfigError(problems)
    return found


def _root_output(
    platform: Platform, settings: TreeSettings, common: dict[str, Any], head: str
) -> Output:
    root = platform.argocd.root
    return Output(
        join(root.path, root.file),
        "argocd/apps.yaml.j2",
        {
            **common,
            "root": root,
            "root_name": settings.app_prefix + root.name,
            "in_cluster": IN_CLUSTER,
            "repo_path": platform.gitops.join(root.path),
        },
        header=head,
    )

"""ApplicationSet mode: one ApplicationSet per application deploys it to the base platform and
every environment from a central Argo CD, instead of one app-of-apps per environment.

Each environment's Application is computed exactly as in app-of-apps mode (layout's
application_view) and carried whole in a list element, which the set's templatePatch applies;
so an environment can differ in cluster, namespace, repository, chart version and values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gigrouter.errors import ConfigError, Location, Problem
from gigrouter.layout.files import (
    Output,
    TreeSettings,
    application_view,
    header,
    part_of,
    wave_annotation,
)
from gigrouter.model import Platform

BASE = "base"
ENV_LABEL = "gigrouter.io/environment"
TEMPLATE_PATCH = "spec: {{ toJson .spec }}\n"


def _element(platform: Platform, app_name: str, env: str, prefix: str) -> dict[str, Any] | None:
    app = next((a for a in platform.active_applications() if a.name == app_name), None)
    if app is None:
        return None
    view = application_view(platform, app, prefix)
    spec: dict[str, Any] = {"destination": view["destination"]}
    if view["source"] is not None:
        spec["source"] = view["source"]
    else:
        spec["sources"] = view["sources"]
    element: dict[str, Any] = {"appName": view["app_name"], "environment": env, "spec": spec}
    if platform.argocd.applicationsets and platform.argocd.applicationsets.generator == "clusters":
        element["name"] = platform.argocd.destination_name
    return element


def application_sets(
    platforms: Mapping[str | None, Platform],
    settings: Mapping[str | None, TreeSettings],
    config_name: str,
) -> list[Output]:
    """The ApplicationSets for the base tree's argocd/ directory."""
    base = platforms[None]
    mode = base.argocd.applicationsets
    assert mode is not None
    if mode.generator == "clusters":
        missing = [k or BASE for k, p in platforms.items() if p.argocd.destination_name is None]
        if missing:
            raise ConfigError(
                [
                    Problem(
                        Location(config_name, 0, "argocd.applicationsets.generator"),
                        "the clusters generator finds each environment's cluster by its Argo CD"
                        f" name; set argocd.destination_name for: {', '.join(missing)}",
                    )
                ]
            )
    names: list[str] = []
    for platform in platforms.values():
        for app in platform.active_applications():
            if app.name not in names:
                names.append(app.name)
    outputs = []
    for name in names:
        elements = []
        for env, platform in platforms.items():
            element = _element(platform, name, env or BASE, settings[env].app_prefix)
            if element is not None:
                elements.append(element)
        owner = next(p for p in platforms.values() if any(a.name == name for a in p.applications))
        app = owner.application(name)
        view = application_view(owner, app)
        if mode.generator == "list":
            generators: list[dict[str, Any]] = [{"list": {"elements": elements}}]
        else:
            envs = sorted(str(e["environment"]) for e in elements)
            selector = {"matchExpressions": [{"key": ENV_LABEL, "operator": "In", "values": envs}]}
            generators = [
                {
                    "merge": {
                        "mergeKeys": ["name"],
                        "generators": [
                            {"clusters": {"selector": selector}},
                            {"list": {"elements": elements}},
                        ],
                    }
                }
            ]
        wave = owner.wave_of(name) if owner is base else None
        outputs.append(
            Output(
                f"{base.argocd.root.path}/{app.file}",
                "argocd/applicationset.yaml.j2",
                {
                    "platform": base,
                    "labels": part_of(base),
                    "app": app,
                    "annotations": wave_annotation(wave),
                    "generators": generators,
                    "finalizers": view["finalizers"],
                    "sync_policy": view["sync_policy"],
                    "ignore_differences": view["ignore_differences"],
                    "template_patch": TEMPLATE_PATCH,
                },
                header=header(config_name),
            )
        )
    return outputs

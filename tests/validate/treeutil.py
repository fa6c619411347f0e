"""Build small GitOps trees in a temporary directory for the rule tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gigrouter.validate.context import Context, Options
from gigrouter.validate.runner import build_context
from gigrouter.validate.tree import load_tree

REPO_URL = "https://git.example.com/gitops.git"


def write(root: Path, files: dict[str, Any]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        elif isinstance(content, list):
            path.write_text(yaml.safe_dump_all(content, sort_keys=False))
        else:
            path.write_text(yaml.safe_dump(content, sort_keys=False))
    return root


def context(root: Path, files: dict[str, Any], options: Options | None = None) -> Context:
    write(root, files)
    return build_context(load_tree(root), options or Options())


def app(
    name: str,
    path: str | None,
    namespace: str,
    wave: str | None = None,
    options: list[str] | None = None,
    chart: str | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "argocd"}
    if wave is not None:
        meta["annotations"] = {"argocd.argoproj.io/sync-wave": wave}
    source: dict[str, Any] = {"repoURL": REPO_URL, "targetRevision": "main"}
    if chart:
        source = {
            "repoURL": "https://charts.example.com",
            "chart": chart,
            "targetRevision": "1.0.0",
        }
    else:
        source["path"] = path
    spec: dict[str, Any] = {
        "project": "default",
        "source": source,
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
    }
    if options:
        spec["syncPolicy"] = {"syncOptions": options}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": meta,
        "spec": spec,
    }


def metadata(
    health: bool | None = True,
    crds: list[dict[str, Any]] | None = None,
    externals: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    argocd: dict[str, Any] = {"namespace": "argocd"}
    if health is not None:
        argocd["applicationHealthCheck"] = health
    return {
        "gigrouter": {"format": 1},
        "gitops": {"repoURL": REPO_URL, "revision": "main", "path": ""},
        "argocd": argocd,
        "crds": crds or [],
        "externals": externals or [],
    }


def obj(
    kind: str,
    name: str,
    namespace: str | None = None,
    api: str = "v1",
    wave: str | None = None,
    **spec: Any,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if wave is not None:
        meta["annotations"] = {"argocd.argoproj.io/sync-wave": wave}
    doc: dict[str, Any] = {"apiVersion": api, "kind": kind, "metadata": meta}
    doc.update(spec)
    return doc


def rules_of(findings: Any) -> list[tuple[str, str]]:
    return sorted((f.rule, f.severity.value) for f in findings)

"""Small helpers the tests share (imported as `helpers`; tests/ is on sys.path via rootdir)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gigrouter.config.load import build_platform, parse_yaml
from gigrouter.model import Platform
from gigrouter.pipeline import tree_outputs
from gigrouter.render import RenderedTree, render

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO / "config" / "platform.yaml"


def platform_from_text(text: str) -> Platform:
    return build_platform(parse_yaml(text, "platform.yaml"))


def render_text(text: str) -> RenderedTree:
    return render(tree_outputs(platform_from_text(text)))


def documents(tree: RenderedTree) -> list[tuple[str, dict[str, Any]]]:
    """(path, document) for every Kubernetes object in the tree (its YAML files; the
    generated READMEs are Markdown)."""
    out = []
    for path, text in tree.files.items():
        if not path.endswith((".yaml", ".yml")):
            continue
        for doc in yaml.load_all(text, Loader=yaml.CSafeLoader):
            if isinstance(doc, dict) and "kind" in doc:
                out.append((path, doc))
    return out


def find(tree: RenderedTree, kind: str, name: str) -> dict[str, Any]:
    for _, doc in documents(tree):
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"{kind}/{name} not rendered")


def load(tree: RenderedTree, path: str) -> Any:
    return yaml.load(tree.files[path], Loader=yaml.CSafeLoader)

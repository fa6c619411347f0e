"""The commands as plain functions: config -> model -> layout -> render -> (validate) -> write.

``cli.py`` calls these and turns their results into output and exit codes; tests call them
directly.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gigrouter.config import load_platform
from gigrouter.layout import plan
from gigrouter.model import Platform
from gigrouter.render import RenderedTree, render
from gigrouter.write import Drift, compare, ensure_replaceable, write_tree


@dataclass(frozen=True)
class RenderResult:
    platform: Platform
    tree: RenderedTree
    drift: Drift
    written: bool


def build(config: Path) -> tuple[Platform, RenderedTree]:
    """Load the config and render the whole tree in memory."""
    platform = load_platform(config, display=_display(config))
    return platform, render(plan(platform, config.name))


def render_to(config: Path, out: Path, check: bool = False) -> RenderResult:
    """Render ``config`` into ``out`` (atomically), or with ``check`` only compare."""
    if not check:
        ensure_replaceable(out)
    platform, tree = build(config)
    if check:
        with tempfile.TemporaryDirectory(prefix="gigrouter-check-") as scratch:
            # The check renders to a real temporary tree, as a write would, then compares.
            staged = Path(scratch) / "tree"
            write_tree(tree, staged)
            return RenderResult(platform, tree, compare(tree, out), written=False)
    drift = write_tree(tree, out)
    return RenderResult(platform, tree, drift, written=True)


def schema_json() -> str:
    """The JSON Schema of the platform config, as written to config/platform.schema.json."""
    schema = Platform.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "gigrouter platform config"
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _display(config: Path) -> str:
    """The config path as the user gave it, for messages."""
    return str(config)

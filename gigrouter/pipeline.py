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
from gigrouter.errors import ValidationFailed
from gigrouter.layout import plan
from gigrouter.model import Platform
from gigrouter.render import RenderedTree, render
from gigrouter.validate.context import Options
from gigrouter.validate.findings import Report
from gigrouter.validate.runner import validate_path
from gigrouter.write import Drift, compare, ensure_replaceable, write_tree


@dataclass(frozen=True)
class RenderResult:
    platform: Platform
    tree: RenderedTree
    drift: Drift
    written: bool
    report: Report


def build(config: Path) -> tuple[Platform, RenderedTree]:
    """Load the config and render the whole tree in memory."""
    platform = load_platform(config, display=_display(config))
    return platform, render(plan(platform, config.name))


def render_to(
    config: Path, out: Path, check: bool = False, options: Options | None = None
) -> RenderResult:
    """Render ``config`` into ``out`` (atomically), or with ``check`` only compare.

    The rendered tree is validated before it replaces ``out``; with errors nothing is written
    and ValidationFailed carries the report.
    """
    if not check:
        ensure_replaceable(out)
    platform, tree = build(config)
    reports: list[Report] = []

    def verify(staging: Path) -> None:
        report = validate_path(staging, options)
        reports.append(report)
        if report.errors:
            raise ValidationFailed(report, report.errors)

    if check:
        with tempfile.TemporaryDirectory(prefix="gigrouter-check-") as scratch:
            # The check renders to a real temporary tree, as a write would, then compares.
            write_tree(tree, Path(scratch) / "tree", verify)
            return RenderResult(platform, tree, compare(tree, out), False, reports[0])
    drift = write_tree(tree, out, verify)
    return RenderResult(platform, tree, drift, True, reports[0])


def schema_json() -> str:
    """The JSON Schema of the platform config, as written to config/platform.schema.json."""
    schema = Platform.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "gigrouter platform config"
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _display(config: Path) -> str:
    """The config path as the user gave it, for messages."""
    return str(config)

"""Render planned outputs through one fixed Jinja environment into an in-memory tree.

The environment is not configurable: StrictUndefined, a loader confined to the templates
directory, no auto-escaping tricks. Values enter templates only through the ``q`` filter, which
writes them as quoted YAML flow nodes; the rendered text is then parsed and dumped again by
``yamlio``, so the files' formatting never depends on template whitespace.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import yaml

from gigrouter import yamlio
from gigrouter.errors import Location, Problem, TemplateError
from gigrouter.layout import Output


def templates_dir() -> Path:
    """The templates shipped with the package, or the source tree's when running from a clone."""
    packaged = resources.files("gigrouter").joinpath("templates")
    if packaged.is_dir():
        return Path(str(packaged))
    source = Path(__file__).resolve().parent.parent / "templates"
    if source.is_dir():
        return source
    raise TemplateError("gigrouter's templates are missing from the installation")


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["q"] = yamlio.flow
    return env


@dataclass(frozen=True)
class RenderedTree:
    """Relative POSIX path -> file text, ordered by path; with the parsed documents of each
    file when the render has them (validation then does not parse the text again)."""

    files: dict[str, str]
    documents: dict[str, list[Any]] = field(default_factory=dict, compare=False)

    def paths(self) -> list[str]:
        return sorted(self.files)


def render(outputs: list[Output]) -> RenderedTree:
    """Render every output; a template problem is a TemplateError naming the template."""
    env = environment()
    files: dict[str, str] = {}
    parsed: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    for out in outputs:
        if out.text is not None:
            files[out.path] = out.text
            continue
        if out.template is None:
            files[out.path] = yamlio.dump_all(list(out.documents), out.header)
            parsed[out.path] = list(out.documents)
            continue
        try:
            text = env.get_template(out.template).render(**out.context)
            documents = yamlio.load_all(text)
        except (jinja2.TemplateError, yaml.YAMLError, ValueError, TypeError) as exc:
            problems.append(Problem(Location(f"templates/{out.template}"), f"{out.path}: {exc}"))
            continue
        files[out.path] = yamlio.dump_all(documents, out.header)
        parsed[out.path] = documents
    if problems:
        raise TemplateError(problems)
    return RenderedTree(dict(sorted(files.items())), parsed)

"""Render planned outputs through one fixed Jinja environment into an in-memory tree.

The environment is not configurable: StrictUndefined, a loader confined to the templates
directory, no auto-escaping tricks. Values enter templates only through the ``q`` filter, which
writes them as quoted YAML flow nodes; the rendered text is then parsed and dumped again by
``yamlio``, so the files' formatting never depends on template whitespace.
"""

from __future__ import annotations

import contextlib
import functools
import pickle
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import yaml

from gigrouter import __version__, cache, parallel, yamlio
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


# How the templates are read; compiled code depends on it, so the cache key does too.
_SYNTAX: dict[str, Any] = {
    "autoescape": False,
    "keep_trailing_newline": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
}


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates in the user cache (``gigrouter.cache``), each entry named by a digest
    of the template's source, name and file and of the versions of Jinja2, gigrouter and Python
    and the syntax settings: a changed template or upgrade is a new entry, never a stale one.
    An entry that cannot be read or written is compiled again, never an error."""

    def __init__(self, directory: Path) -> None:
        super().__init__(str(directory), "%s.jinja")
        self.salt = cache.digest(
            getattr(jinja2, "__version__", "?"), __version__, sys.version, repr(_SYNTAX)
        )

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> jinja2.bccache.Bucket:
        key = cache.digest(self.salt, name, filename or "", source)
        bucket = jinja2.bccache.Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def make_environment(directory: Path) -> jinja2.Environment:
    """The one Jinja environment over ``directory``, with the template cache when it is on."""
    folder = cache.directory("templates")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
        bytecode_cache=TemplateCache(folder) if folder is not None else None,
        **_SYNTAX,
    )
    env.filters["q"] = yamlio.flow
    return env


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return make_environment(templates_dir())


@dataclass(frozen=True)
class RenderedTree:
    """Relative POSIX path -> file text, ordered by path; with the parsed documents of each
    file when the render has them (validation then does not parse the text again)."""

    files: dict[str, str]
    documents: dict[str, list[Any]] = field(default_factory=dict, compare=False)

    def paths(self) -> list[str]:
        return sorted(self.files)


def drain(outputs: list[Output]) -> Iterator[Output]:
    """Each of ``outputs`` in order, removed from the list as it is handed out: given to
    ``render``, an output (its template's context) is freed once its file is rendered, not
    after the whole tree (a tenth of the peak memory of a 3,000-service render)."""
    outputs.reverse()
    while outputs:
        yield outputs.pop()


# Outputs from which rendering is shared with a forked copy of the process (gigrouter.parallel).
PARALLEL_OUTPUTS = 200

_Part = tuple[dict[str, str], dict[str, list[Any]], list[Problem]]


def render(outputs: Iterable[Output]) -> RenderedTree:
    """Render every output; a template problem is a TemplateError naming the template. A list
    of :data:`PARALLEL_OUTPUTS` or more is rendered in two halves, the second by a copy of the
    process; the list is emptied either way (each output is freed once its file is made)."""
    env = environment()
    pending = outputs if isinstance(outputs, list) else list(outputs)
    if len(pending) < PARALLEL_OUTPUTS:
        parts = [_render_part(env, drain(pending))]
    else:
        for name in sorted({out.template for out in pending if out.template is not None}):
            # compiled once, before the copy, for both; a template that fails is reported
            # by each output that uses it
            with contextlib.suppress(jinja2.TemplateError):
                env.get_template(name)
        second = pending[len(pending) // 2 :]
        del pending[len(pending) // 2 :]
        parts = list(
            parallel.split(
                lambda: _render_part(env, drain(pending)),
                lambda: _render_part(env, iter(second)),
            )
        )
        del second
    files: dict[str, str] = {}
    parsed: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    for part_files, part_parsed, part_problems in parts:  # in the outputs' order
        files.update(part_files)
        parsed.update(part_parsed)
        problems.extend(part_problems)
    if problems:
        raise TemplateError(problems)
    return RenderedTree(dict(sorted(files.items())), parsed)


def _render_part(env: jinja2.Environment, outputs: Iterable[Output]) -> _Part:
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
    return files, parsed, problems

"""The benchmark's render floor: the same templates rendered by bare Python, no gigrouter.

    python bench/bare_render.py prepare CONFIG PICKLE   (untimed: gigrouter lays out the files)
    python bench/bare_render.py render PICKLE OUT       (timed: Jinja + libyaml + write)

``prepare`` runs gigrouter's render once and stores every templated output with its context
as plain data (models become dicts of their fields and properties), and the text of the other
files (docs pages, the metadata file, copied files: no template work). ``render`` imports
only Jinja2, PyYAML and gigrouter's YAML policy module (``yamlio``: the ``q`` filter and the
dumper, plain functions), renders each template with a bytecode cache next to the pickle,
parses the text back and dumps it as gigrouter does, and writes the files: what a render costs
without the model, the validation, the docs pages' logic and the atomic swap. The benchmark
compares the files it writes with gigrouter's, so the floor is known to do the same work.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def _plain(value: Any, seen: dict[int, Any]) -> Any:
    """Models and dataclasses as dicts of their fields and properties, recursively; scalars
    unchanged. ``seen`` converts each object once: outputs share their models (every output
    holds the platform), and pickle then stores a shared dict once."""
    import functools
    from dataclasses import fields, is_dataclass

    import pydantic

    if value is None or isinstance(value, str | int | float | bool):
        return value
    if id(value) in seen:
        return seen[id(value)][1]
    if isinstance(value, dict):
        out: Any = {}
        seen[id(value)] = (value, out)
        out.update((k, _plain(v, seen)) for k, v in value.items())
        return out
    if isinstance(value, list | tuple):
        out = []
        seen[id(value)] = (value, out)
        out.extend(_plain(v, seen) for v in value)
        return out
    if isinstance(value, pydantic.BaseModel):
        names = list(type(value).model_fields)
    elif is_dataclass(value) and not isinstance(value, type):
        names = [f.name for f in fields(value)]
    else:
        return value
    # the properties too: templates read derived values (a default name, say) as attributes
    names += [
        k
        for cls in type(value).__mro__
        for k, v in vars(cls).items()
        if isinstance(v, property | functools.cached_property) and not k.startswith("_")
    ]
    out = {}
    seen[id(value)] = (value, out)  # the value itself is kept: its id stays its own
    out.update((k, _plain(getattr(value, k), seen)) for k in dict.fromkeys(names))
    return out


def prepare(config: Path, target: Path) -> None:
    from dataclasses import replace

    from gigrouter.config.passthrough import repo_files
    from gigrouter.pipeline import _display, _settings, build_trees, tree_outputs
    from gigrouter.validate.tree import ENVIRONMENTS_DIR

    trees = build_trees(config, everything=True)
    platforms = {built.environment: built.platform for built in trees}
    items: list[tuple[str, str | None, Any, tuple[()], str, str | None]] = []
    seen: dict[int, Any] = {}
    for built in trees:
        name, platform = built.environment, built.platform
        settings = replace(
            _settings(platforms, name, config.name),
            copied=repo_files(platform, config, _display(config), name),
        )
        prefix = f"{ENVIRONMENTS_DIR}/{name}/" if name else ""
        for out in tree_outputs(platform, config.name, settings):
            if out.template is None:
                # not template work (docs pages, the metadata file, copied files): the text
                # gigrouter wrote, written as it is
                items.append((prefix + out.path, None, {}, (), "", built.tree.files[out.path]))
                continue
            context = _plain(dict(out.context), seen)
            items.append((prefix + out.path, out.template, context, (), out.header, None))
    target.write_bytes(pickle.dumps(items))


def render(source: Path, out: Path) -> None:
    import jinja2

    from gigrouter import yamlio

    cache = source.with_suffix(".jinja-cache")
    cache.mkdir(exist_ok=True)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(REPO / "templates")),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(cache)),
    )
    env.filters["q"] = yamlio.flow
    made: set[Path] = set()
    for path, template, context, documents, header, text in pickle.loads(source.read_bytes()):
        if text is None:
            documents = yamlio.load_all(env.get_template(template).render(**context))
            text = yamlio.dump_all(documents, header)
        target = out / path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_text(text, encoding="utf-8", newline="")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("prepare", "render"):
        raise SystemExit(__doc__)
    (prepare if sys.argv[1] == "prepare" else render)(Path(sys.argv[2]), Path(sys.argv[3]))

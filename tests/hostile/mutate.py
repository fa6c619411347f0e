"""Type confusion over the rendered tree: every field of every manifest under out/ replaced, one
at a time, by values of other types; every exception that is not a GigrouterError is a bug.

Run it as ``python tests/hostile/mutate.py [OUT_DIR] [--all]``: it prints one line per distinct
crash (exception type and the innermost gigrouter frame) and exits 1 when there is any. Without
``--all`` each field *shape* (kind and path with list indexes folded) is mutated once.
``tests/hostile/test_mutate.py`` runs a slice of it in the regular suite.
"""

from __future__ import annotations

import copy
import datetime
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from gigrouter import safeyaml
from gigrouter.errors import GigrouterError
from gigrouter.plan.steps import plan_of
from gigrouter.validate.runner import validate_memory
from gigrouter.validate.tree import METADATA_FILE, MemoryFiles, load_tree

PathParts = tuple[str | int, ...]

VARIANTS: tuple[Any, ...] = (
    0,
    -1,
    10**4000,  # still under Python's int-string limit, but not twice over
    1.5,
    float("nan"),
    float("inf"),
    True,
    None,
    "",
    "x" * 100_000,
    [],
    [1, "a"],
    {},
    {"a": 1},
    {1: "a", None: True},
    datetime.date(2020, 1, 1),
    b"\x00binary",
)


def read_tree(root: Path) -> tuple[dict[str, str], dict[str, list[Any]]]:
    texts = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            try:
                texts[p.relative_to(root).as_posix()] = p.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
    parsed: dict[str, list[Any]] = {}
    for rel, text in texts.items():
        if rel.endswith((".yaml", ".yml", ".json")) and not rel.endswith(METADATA_FILE):
            try:  # the bounded loader: an alias bomb would have the mutator walk 9**9 paths
                parsed[rel] = [d for d in safeyaml.load_all(text) if d is not None]
            except yaml.YAMLError:
                continue  # validate reports it; nothing to mutate
    return texts, parsed


def paths(value: Any, prefix: PathParts = ()) -> Iterator[PathParts]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def replaced(doc: Any, path: PathParts, value: Any) -> Any:
    if not path:
        return value
    out = copy.deepcopy(doc)
    node = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


def cases(
    texts: dict[str, str], parsed: dict[str, list[Any]], every: bool = False
) -> Iterator[tuple[str, MemoryFiles]]:
    """(label, mutated tree) for every mutation."""
    seen: set[tuple[Any, ...]] = set()
    for rel, docs in parsed.items():
        for index, doc in enumerate(docs):
            kind = doc.get("kind") if isinstance(doc, dict) else None
            for path in list(paths(doc)):
                shape = (kind, *("[]" if isinstance(p, int) else p for p in path))
                if not every and shape in seen:
                    continue
                seen.add(shape)
                for variant in VARIANTS:
                    docs2 = list(docs)
                    docs2[index] = replaced(doc, path, variant)
                    label = f"{rel}#{index}:{'.'.join(map(str, path))}={type(variant).__name__}"
                    yield label, MemoryFiles(texts, {**parsed, rel: docs2})
    meta_rels = [rel for rel in texts if rel.endswith(METADATA_FILE)]
    for rel in meta_rels:
        try:
            meta = safeyaml.load(texts[rel])
        except yaml.YAMLError:
            continue
        for path in list(paths(meta)):
            for variant in VARIANTS:
                if isinstance(variant, bytes | datetime.date) or variant != variant:
                    continue  # not representable as the YAML text the metadata is read from
                try:
                    text = yaml.safe_dump(replaced(meta, path, variant))
                except (yaml.YAMLError, ValueError):
                    continue
                label = f"{rel}:{'.'.join(map(str, path))}={type(variant).__name__}"
                yield label, MemoryFiles({**texts, rel: text}, parsed)


def crash_site(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "gigrouter" in f.filename]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__name__} at {where}: {str(exc)[:120]}"


def run(root: Path, every: bool = False, limit: int | None = None) -> dict[str, str]:
    """{crash site: first label that hit it}."""
    texts, parsed = read_tree(root)
    crashes: dict[str, str] = {}
    for count, (label, files) in enumerate(cases(texts, parsed, every)):
        if limit is not None and count >= limit:
            break
        try:
            validate_memory(files)
            plan_of(load_tree(Path("."), memory=files), ".")
        except GigrouterError:
            pass
        except Exception as exc:  # every other exception is the finding
            crashes.setdefault(crash_site(exc), label)
    return crashes


def main(argv: list[str]) -> int:
    every = "--all" in argv
    args = [a for a in argv if not a.startswith("--")]
    root = Path(args[0]) if args else Path("out")
    crashes = run(root, every)
    for site, label in sorted(crashes.items()):
        print(f"{site}\n    first hit by {label}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""alb-duplicate-route and alb-shadowed-path are found without comparing every pair of routes:
the same findings, in the same order, as the pairwise check they replace (kept here as the
oracle), on random groups of Ingresses with shared, wildcard and missing hosts."""

from __future__ import annotations

import random
from itertools import combinations
from pathlib import Path
from typing import Any

from test_rules_alb import ingress, write

from gigrouter.validate.context import Options
from gigrouter.validate.rules import alb
from gigrouter.validate.runner import build_context
from gigrouter.validate.tree import load_tree

HOSTS = [None, "shop.example.com", "*.example.com", "api.example.com", "*.shop.example.com"]
PATHS = ["/", "/*", "/api", "/api/*", "/static", ""]
TYPES = ["Prefix", "Exact", "ImplementationSpecific"]


def reference_clashes(
    entries: list[alb.RouteEntry], ports: list[set[int]]
) -> list[tuple[int, int]]:
    """The pairwise duplicate check as it was before it was made linear: the oracle."""
    return [
        (x, y)
        for (x, (i, a)), (y, (j, b)) in combinations(enumerate(entries), 2)
        if a.host == b.host and a.patterns == b.patterns and ports[i] & ports[j]
    ]


def reference_shadows(
    group: alb.Group, entries: list[alb.RouteEntry], ports: list[set[int]]
) -> dict[tuple[int, int], list[str]]:
    """The pairwise shadowing check as it was before it was made linear: the oracle."""
    pairs: dict[tuple[int, int], list[str]] = {}
    for (i, wide), (j, narrow) in ((x, y) for x in entries for y in entries if x[0] != y[0]):
        if not wide.catch_all or narrow.catch_all or not alb.host_covers(wide.host, narrow.host):
            continue
        if not ports[i] & ports[j]:
            continue
        if group.members[i].order > group.members[j].order:
            continue  # the narrower path is evaluated first: fine
        shown = f"{narrow.show()} (behind {wide.show()})"
        pairs.setdefault((i, j), [])
        if shown not in pairs[(i, j)]:
            pairs[(i, j)].append(shown)
    return pairs


def random_tree(rng: random.Random, root: Path) -> None:
    for n in range(rng.randint(1, 6)):
        paths = [(rng.choice(PATHS) or "/", rng.choice(TYPES)) for _ in range(rng.randint(1, 3))]
        extra: dict[str, Any] = {}
        if rng.random() < 0.5:
            extra["order"] = rng.choice(["1", "5", "10"])
        doc = ingress(
            f"ing-{n}",
            rng.choice(["shop", "api"]),
            paths,
            host=rng.choice(HOSTS),
            group=rng.choice(["shared", "shared", "other"]),
            https=rng.random() < 0.7,
            **extra,
        )
        write(root, f"app/ing-{n}.yaml", doc)


def test_the_linear_route_check_finds_what_the_pairwise_one_found(tmp_path: Path) -> None:
    rng = random.Random(13)
    found = 0
    for case in range(150):
        root = tmp_path / str(case)
        random_tree(rng, root)
        groups, _ = alb.collect_groups(build_context(load_tree(root), Options()))
        for group in groups:
            entries, ports = alb.route_entries(group)
            clashes = reference_clashes(entries, ports)
            shadows = reference_shadows(group, entries, ports)
            assert alb.route_clashes(entries, ports) == clashes, case
            assert alb.route_shadows(group, entries, ports) == shadows, case
            findings = list(alb._check_routes(group))
            assert len(findings) == len(clashes) + len(shadows), case
            found += len(findings)
    assert found > 50  # the random groups do clash and shadow

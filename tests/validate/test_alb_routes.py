"""alb-duplicate-route and alb-shadowed-path are found without comparing every pair of routes:
the same findings, in the same order, as the pairwise check they replace (kept here as the
oracle), on random groups of Ingresses with shared, wildcard and missing hosts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

from test_rules_alb import ingress, write

from gigrouter.validate.context import Options
from gigrouter.validate.findings import Finding, Severity
from gigrouter.validate.rules import alb
from gigrouter.validate.runner import build_context
from gigrouter.validate.tree import load_tree

HOSTS = [None, "shop.example.com", "*.example.com", "api.example.com", "*.shop.example.com"]
PATHS = ["/", "/*", "/api", "/api/*", "/static", ""]
TYPES = ["Prefix", "Exact", "ImplementationSpecific"]


def reference_check_routes(group: alb.Group) -> Iterator[Finding]:
    """The pairwise check as it was before it was made linear: the oracle."""
    redirect = any(alb.parse_int(m.alb("ssl-redirect") or "") is not None for m in group.members)
    ports = [alb._serving_ports(m, redirect) for m in group.members]
    entries = [(i, route) for i, member in enumerate(group.members) for route in member.routes]
    # alb-duplicate-route: same host and same path patterns on a shared listener.
    for (i, a), (j, b) in combinations(entries, 2):
        if a.host != b.host or a.patterns != b.patterns or not ports[i] & ports[j]:
            continue
        first, later = group.members[i], group.members[j]
        if i == j:
            where = f"twice by {later.label} ({a.show()} and {b.show()})"
        else:
            where = (
                f"by {first.label} ({a.show()}) and by {later.label} ({b.show()}), and "
                f"{first.label} is evaluated first"
            )
        yield later.finding(
            Severity.ERROR,
            "alb-duplicate-route",
            f"{group.label}: the same host and path are claimed {where}; only the first rule "
            "ever matches, so the other backend never gets traffic; remove one of the rules or "
            "give them different hosts or paths",
        )
    # alb-shadowed-path / alb-order-implicit: a catch-all evaluated before a narrower path.
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
    for (i, j), hidden in sorted(pairs.items()):
        wide_m, narrow_m = group.members[i], group.members[j]
        paths = "; ".join(hidden)
        tie = wide_m.order == narrow_m.order
        if i < j:  # the catch-all is evaluated first
            how = (
                f"both have group.order {wide_m.order}, so the names decide and "
                f"'{wide_m.ident}' sorts before '{narrow_m.ident}'"
                if tie
                else f"group.order {wide_m.order} < {narrow_m.order}"
            )
            yield narrow_m.finding(
                Severity.ERROR,
                "alb-shadowed-path",
                f"{group.label}: the catch-all of {wide_m.label} is evaluated before "
                f"{narrow_m.label} ({how}), so {paths} never receives traffic; set "
                f"{narrow_m.where('group.order')} lower than the group.order of {wide_m.label} "
                "(lower is evaluated first)",
            )
        else:
            yield narrow_m.finding(
                Severity.WARNING,
                "alb-order-implicit",
                f"{group.label}: {paths} is evaluated before the catch-all of {wide_m.label} "
                f"only because '{narrow_m.ident}' sorts before '{wide_m.ident}' (both have "
                f"group.order {wide_m.order}); renaming either Ingress would hide the path; set "
                f"explicit group.order values, lower on {narrow_m.label} than on {wide_m.label}",
            )


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
            expected = list(reference_check_routes(group))
            assert list(alb._check_routes(group)) == expected, case
            found += len(expected)
    assert found > 50  # the random groups do clash and shadow

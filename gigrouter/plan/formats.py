"""The sync plan as text (a table per wave), json and a Mermaid diagram. Pure functions that
return strings; ``cli.py`` prints them.

json is ``{"steps": [...], "warnings": [...]}``. A step is ``{"app", "phase", "wave", "kind",
"namespace", "name", "file", "hook"}``: ``wave`` an integer, ``namespace`` empty for
cluster-scoped objects, ``hook`` null or ``{"type", "deletePolicies", "defaultPolicy",
"source"}``. A Helm chart is one step of kind ``HelmChart`` named ``chart@version``; a source
in another repository one step of kind ``RemoteSource``. A warning is ``{"severity", "rule",
"message", "file", "line", "resource"}`` with ``resource`` null or ``{"apiVersion", "kind",
"namespace", "name"}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from gigrouter.plan.steps import HELM_CHART, REMOTE_SOURCE, AppPlan, Plan, PlanStep
from gigrouter.validate.findings import Severity


def _tree_data(plan: Plan) -> dict[str, Any]:
    return {
        "path": plan.path,
        "steps": [{"step": i, **s.as_dict()} for i, s in enumerate(plan.steps, 1)],
        "warnings": [w.as_dict() for w in plan.warnings],
        "summary": _counts(plan),
    }


def _counts(plan: Plan) -> dict[str, int]:
    return {
        "applications": len(plan.apps),
        "steps": len(plan.steps),
        "errors": plan.errors,
        "warnings": len(plan.warnings) - plan.errors,
    }


def to_json(plans: Plan | list[Plan]) -> str:
    """Every tree's steps, numbered in the order Argo CD takes them, its warnings and a summary;
    then the summary of all trees."""
    trees = [plans] if isinstance(plans, Plan) else plans
    total = {
        key: sum(_counts(p)[key] for p in trees)
        for key in ("applications", "steps", "errors", "warnings")
    }
    data = {"trees": [_tree_data(p) for p in trees], "summary": {"trees": len(trees), **total}}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


# --- text -----------------------------------------------------------------------------------


def to_text(plan: Plan) -> str:
    lines = [f"Sync plan of {plan.path} (Argo CD's order: phase, wave, kind, name)", ""]
    children = {a.parent for a in plan.apps if a.parent is not None}
    group: tuple[str | None, int] | None = None
    for app in plan.apps:
        if app.parent is None and app.name in children:
            lines.append(f"{app.name}: root app ({app.file}), syncs {app.source}")
            lines.extend(_table(app.steps, "  "))
            lines.append("")
            group = None
            continue
        if (app.parent, app.wave) != group:
            previous = group
            group = (app.parent, app.wave)
            lines.append(_wave_heading(plan, app, previous))
        where = f" -> {app.namespace}" if app.namespace else ""
        lines.append(f"  {app.name} ({app.file}{where}): {app.source}")
        lines.extend(_table(app.steps, "    "))
        lines.append("")
    if plan.warnings:
        lines.append("warnings")
        for w in plan.warnings:
            where = f"{w.file}:{w.line}" if w.line else w.file
            what = f" {w.resource}:" if w.resource else ""
            lines.append(f"  {w.severity.value:<8} {w.rule}  {where}{what} {w.message}")
        lines.append("")
    lines.append(_summary(plan))
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _wave_heading(plan: Plan, app: AppPlan, previous: tuple[str | None, int] | None) -> str:
    owner = f" of {app.parent}" if app.parent else ""
    if previous is None or previous[0] != app.parent:
        return f"wave {app.wave}{owner}"
    if plan.health_check:
        return f"wave {app.wave}{owner}: starts when wave {previous[1]} is Healthy"
    return (
        f"wave {app.wave}{owner}: starts right after wave {previous[1]} is applied"
        " (argocd-cm has no Application health check)"
    )


def _table(steps: Iterable[PlanStep], indent: str) -> list[str]:
    header = ("step", "phase", "wave", "kind", "namespace", "name", "file", "hook / note")
    rows: list[tuple[str, ...]] = []
    number = 0
    last: tuple[str, int] | None = None
    for s in steps:
        if (s.phase, s.wave) != last:
            number += 1
            last = (s.phase, s.wave)
        note = "; ".join(p for p in (s.hook.describe() if s.hook else "", s.note) if p)
        row = (str(number), s.phase, str(s.wave), s.kind, s.namespace or "-", s.name, s.file, note)
        rows.append(row)
    if not rows:
        return [f"{indent}(nothing to apply)"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]


def _summary(plan: Plan) -> str:
    counts = {
        s: sum(1 for w in plan.warnings if w.severity is s)
        for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)
    }
    parts = [
        f"{n} {s.value}{'s' if n != 1 else ''}"
        for s, n in counts.items()
        if n or s is not Severity.INFO
    ]
    return f"{plural(len(plan.steps), 'step')} in {plural(len(plan.apps), 'application')}; " + (
        ", ".join(parts)
    )


# --- mermaid --------------------------------------------------------------------------------


def to_mermaid_all(plans: list[Plan]) -> str:
    """One flowchart: a single tree as ``to_mermaid`` draws it, several each in a subgraph of
    its own (their Application names differ, so their nodes do too)."""
    if len(plans) == 1:
        return to_mermaid(plans[0])
    lines = ["flowchart LR"]
    earlier: set[str] = set()
    for i, plan in enumerate(plans):
        names = {a.name for a in plan.apps}
        # A tree whose app names another tree also has (an environment with an Argo CD of its
        # own gets no prefix) gets ids of its own: Mermaid would draw one node for both.
        scope = f"t{i}_" if names & earlier else ""
        earlier |= names
        lines.append(f'    subgraph tree{i}["{_label(plan.path)}"]')
        lines.extend("    " + line for line in to_mermaid(plan, scope).splitlines()[1:])
        lines.append("    end")
    return "\n".join(lines) + "\n"


def to_mermaid(plan: Plan, scope: str = "") -> str:
    """Root apps, child apps in one subgraph per wave, the waves chained in order, and the
    dependencies between apps that the tree shows. ``scope`` prefixes every id."""

    def node_id(name: str) -> str:
        return scope + _app_id(name)

    def wave_id(parent: str | None, wave: int) -> str:
        return scope + _wave_node_id(parent, wave)

    lines = ["flowchart LR"]
    children = {a.parent for a in plan.apps if a.parent is not None}
    groups: dict[tuple[str | None, int], list[AppPlan]] = {}
    for app in plan.apps:
        if app.parent is None and app.name in children:
            lines.append(f'    {node_id(app.name)}["{_label(app.name)}<br/>app of apps"]')
        else:
            groups.setdefault((app.parent, app.wave), []).append(app)
    parents = {parent for parent, _ in groups}
    for (parent, wave), apps in groups.items():
        title = f"wave {wave}" if len(parents) == 1 else f"{parent or 'no parent'} · wave {wave}"
        lines.append(f'    subgraph {wave_id(parent, wave)}["{_label(title)}"]')
        for app in apps:
            label = f"{_label(app.name)}<br/>{_label(_what(app))}"
            lines.append(f'        {node_id(app.name)}["{label}"]')
        lines.append("    end")
    ordered = sorted(groups, key=lambda g: (str(g[0]), g[1]))
    for i, (parent, wave) in enumerate(ordered):
        before = ordered[i - 1] if i else None
        if before is not None and before[0] == parent:
            edge = '==>|"Healthy"|' if plan.health_check else '-->|"does not wait"|'
            lines.append(f"    {wave_id(*before)} {edge} {wave_id(parent, wave)}")
        elif parent is not None:
            lines.append(f"    {node_id(parent)} --> {wave_id(parent, wave)}")
    for dep in plan.dependencies:
        why = _label(", ".join(dep.reasons))
        lines.append(f'    {node_id(dep.before)} -.->|"{why}"| {node_id(dep.after)}')
    return "\n".join(lines) + "\n"


def _what(app: AppPlan) -> str:
    charts = [s.name for s in app.steps if s.kind == HELM_CHART]
    remote = [s.name for s in app.steps if s.kind == REMOTE_SOURCE]
    objects = [
        s for s in app.steps if s.kind not in (HELM_CHART, REMOTE_SOURCE) and s.file != app.file
    ]
    parts = [f"Helm {c}" for c in charts] + remote
    if objects or not parts:
        parts.append(f"{len(objects)} object{'s' if len(objects) != 1 else ''}")
    return ", ".join(parts)


def _app_id(name: str) -> str:
    return "app_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _wave_node_id(parent: str | None, wave: int) -> str:
    number = f"m{-wave}" if wave < 0 else str(wave)
    return f"wave_{re.sub(r'[^A-Za-z0-9_]', '_', parent or '')}_{number}"


def _label(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")

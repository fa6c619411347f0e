"""A diff as text (resource summary, then a unified diff, coloured on a terminal) or as a compact
Markdown pull-request comment (summary table, one collapsible ``diff`` block per file). Pure
functions returning strings, deterministic to the byte; ``cli.py`` prints them."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from gigrouter.diff.compare import MISSING, Diff, FieldChange, FileChange, ResourceChange

RED, GREEN, CYAN, BOLD, RESET = "\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[1m", "\x1b[0m"
MAX_VALUE = 160  # a value up to this long is shown whole beside its field path
CONTEXT = 16  # characters kept on each side of the changed part of a longer value
MAX_FIELDS = 6  # field paths listed per resource in the Markdown table
MAX_FILE_LINES = 400  # diff lines per file in the Markdown comment
MAX_BYTES = 65_000  # a Markdown part's budget: GitHub refuses comments over 65,536 characters
MIN_BYTES = 2_000  # the smallest budget that still fits a part's header and a section
PART_MARK = "<!-- gigrouter-diff part {i} of {n} -->"


def summary(diff: Diff) -> str:
    """'resources: 2 changed, 1 added; 3 files differ'."""
    parts = [
        f"{diff.count(status)} {status}"
        for status in ("changed", "added", "removed", "moved")
        if diff.count(status)
    ]
    what = f"resources: {', '.join(parts)}" if parts else "no resource changed"
    files = len(diff.files)
    return f"{what}; {files} file{'s' if files != 1 else ''} differ{'s' if files == 1 else ''}"


def _json(value: Any) -> str:
    if value is MISSING:
        return "(none)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def pair(old: Any, new: Any) -> str:
    """``old -> new``: both whole up to MAX_VALUE characters; longer ones cut around the part
    that changed, never hiding it (``...:39-ae9ef90" -> ...:40-b1c2d3e"``)."""
    a, b = _json(old), _json(new)
    if len(a) <= MAX_VALUE and len(b) <= MAX_VALUE:
        return f"{a} -> {b}"
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(a), len(b)) - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1

    def window(text: str) -> str:
        start = max(prefix - CONTEXT, 0)
        end = min(len(text) - suffix + CONTEXT, len(text))
        middle = text[start:end]
        if len(middle) > MAX_VALUE:  # the change itself is long: its two ends
            half = MAX_VALUE // 2
            middle = middle[:half] + "..." + middle[-half:]
        return ("..." if start > 0 else "") + middle + ("..." if end < len(text) else "")

    return f"{window(a)} -> {window(b)}"


def _field(change: FieldChange) -> str:
    return f"{change.path}: {pair(change.old, change.new)}"


def _where(change: ResourceChange) -> str:
    if change.status == "moved":
        return f"{change.old_file} -> {change.new_file}"
    return change.file


# --- text -----------------------------------------------------------------------------------


def to_text(diff: Diff, color: bool = False) -> str:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if color else text

    if diff.clean:
        return f"{diff.before}: no changes ({diff.after} is identical)\n"
    lines = [paint(BOLD, f"{diff.before} -> {diff.after}: {summary(diff)}"), ""]
    for change in diff.resources:
        code = {"added": GREEN, "removed": RED}.get(change.status, CYAN)
        lines.append(f"{paint(code, change.status.ljust(8))} {change.key}  ({_where(change)})")
        lines.extend(f"    {note}" for note in change.helm)
        lines.extend(f"    {_field(f)}" for f in change.fields)
    if diff.resources:
        lines.append("")
    covered = {r.new_file for r in diff.resources} | {r.old_file for r in diff.resources}
    for file in diff.files:
        if file.path not in covered:  # no resource changed in it: values, metadata, comments
            lines.append(f"{file.status.ljust(8)} file {file.path}")
    if lines[-1] != "":
        lines.append("")
    for file in diff.files:
        for line in file.diff.splitlines():
            if line.startswith(("+++", "---")):
                lines.append(paint(BOLD, line))
            elif line.startswith("+"):
                lines.append(paint(GREEN, line))
            elif line.startswith("-"):
                lines.append(paint(RED, line))
            elif line.startswith("@@"):
                lines.append(paint(CYAN, line))
            else:
                lines.append(line)
    return "\n".join(lines) + "\n"


# --- markdown -------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fields_cell(change: ResourceChange) -> str:
    notes = [n.replace("->", "→") for n in change.helm]
    paths = [_code(f.path) for f in change.fields[:MAX_FIELDS]]
    more = len(change.fields) - MAX_FIELDS
    if more > 0:
        paths.append(f"and {more} more")
    return _cell("; ".join([*notes, ", ".join(paths)] if paths else notes))


# --- noise -----------------------------------------------------------------------------------

# What changes on every chart bump or config edit without changing what runs: chart and
# version labels, and checksum annotations that only restart pods already changed elsewhere.
_NOISE_KEYS = ("helm.sh/chart", "chart", "app.kubernetes.io/version")
_NOISE_LINE = re.compile(
    r"^[+-]\s*(?:-\s+)?['\"]?(?:checksum/[^:'\"]*|helm\.sh/chart|chart|app\.kubernetes\.io/version)"
    r"['\"]?:"
)


_METADATA_KEY = re.compile(
    r"(?:^|\.)(?:labels|annotations)(?:\[\"(?P<quoted>[^\"]+)\"\]|\.(?P<plain>[^.\[]+))$"
)


def is_noise(change: FieldChange) -> bool:
    """A chart or version label, or a ``checksum/*`` annotation, anywhere in an object."""
    match = _METADATA_KEY.search(change.path)
    if match is None:
        return False
    key = match["quoted"] or match["plain"]
    return key in _NOISE_KEYS or key.startswith("checksum/")


def _quiet(diff: Diff) -> tuple[Diff, int]:
    """``diff`` without its noise, and how many field changes were hidden."""
    hidden = 0
    resources = []
    for change in diff.resources:
        kept = tuple(f for f in change.fields if not is_noise(f))
        hidden += len(change.fields) - len(kept)
        if change.status == "changed" and not kept and not change.helm:
            continue
        resources.append(replace(change, fields=kept))
    files = []
    for file in diff.files:
        changed = [
            line
            for line in file.diff.splitlines()
            if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
        ]
        if file.status == "changed" and changed and all(_NOISE_LINE.match(x) for x in changed):
            continue
        files.append(file)
    return replace(diff, resources=tuple(resources), files=tuple(files)), hidden


# --- markdown parts ----------------------------------------------------------------------------


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


_CUT = "\n… cut to fit the comment\n\n"


def _fit(text: str, limit: int) -> str:
    """``text`` within ``limit`` bytes: cut at a line end (or a character) with a note when a
    single piece (a very long row, path or note) is larger than a whole part."""
    if _size(text) <= limit:
        return text
    room = max(limit - _size(_CUT), 0)
    head = text.encode("utf-8")[:room].decode("utf-8", "ignore")
    if "\n" in head:
        head = head[: head.rindex("\n")]
    return head + _CUT if _size(head + _CUT) <= limit else ""


def _details(file: FileChange, budget: int) -> str:
    """A collapsible diff block within ``budget`` bytes, its lines cut to fit when needed."""
    lines = file.diff.splitlines()
    binary = file.diff.startswith("Binary")
    counts = "" if binary else f" (+{file.added_lines} −{file.removed_lines})"
    keep = min(len(lines), MAX_FILE_LINES)
    while True:
        body = "\n".join(lines[:keep])
        fence = "````" if "```" in body else "```"
        cut = len(lines) - keep
        text = (
            f"<details>\n<summary><code>{file.path}</code> {file.status}{counts}</summary>\n\n"
            f"{fence}diff\n{body}\n{fence}\n"
            + (f"\n… {cut} more lines not shown\n" if cut else "")
            + "\n</details>\n\n"
        )
        if _size(text) <= budget or keep == 0:
            break
        keep = max(0, min(keep - 1, keep * budget // max(_size(text), 1)))
    if _size(text) > budget:
        return f"- `{file.path}` {file.status}{counts}: diff too long for this comment\n\n"
    return text


def _table(changes: list[ResourceChange]) -> list[str]:
    rows = []
    for change in changes:
        where = _where(change).replace("->", "→")
        rows.append(
            f"| {change.status} | {_cell(_code(str(change.key)))} | {_cell(_code(where))}"
            f" | {_fields_cell(change)} |\n"
        )
    return rows


_TABLE_HEAD = "| change | resource | file | what changed |\n| --- | --- | --- | --- |\n"


def _sections(diff: Diff, budget: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """One section per application (then the files no application syncs): its heading, and
    its pieces (kind, text): counts, the resource table's rows, file blocks, which may go to
    different parts."""
    apps = sorted({r.application for r in diff.resources} | {f.application for f in diff.files})
    sections = []
    for app in sorted(apps, key=lambda a: (a == "", a)):
        title = f"#### Application `{app}`" if app else "#### Other files"
        changes = [r for r in diff.resources if r.application == app]
        counts = ", ".join(
            f"{n} {status}"
            for status in ("added", "removed", "changed", "moved")
            if (n := sum(1 for r in changes if r.status == status))
        )
        pieces = [("text", f"Resources: {counts}.\n\n")] if counts else []
        pieces += [("row", row) for row in _table(changes)]
        pieces += [("file", _details(f, budget)) for f in diff.files if f.application == app]
        sections.append((title, pieces))
    return sections


def to_markdown(diff: Diff, max_bytes: int = MAX_BYTES, show_noise: bool = False) -> list[str]:
    """The diff as pull-request comments, each at most ``max_bytes`` bytes of UTF-8: a summary
    first (resources added, removed, changed; the applications), then one section per
    application, packed into numbered parts (a section that does not fit goes on in the next
    part, its heading repeated). Noise (chart labels, ``checksum/*``) is left out unless
    ``show_noise``, and the summary says how much was."""
    if max_bytes < MIN_BYTES:
        raise ValueError(f"--max-bytes must be at least {MIN_BYTES}")
    head = "### gigrouter diff\n\n"
    if diff.clean:
        mark = PART_MARK.format(i=1, n=1)
        return [f"{mark}\n{head}No changes: `{diff.before}` equals {diff.after}.\n"]
    shown, hidden = (diff, 0) if show_noise else _quiet(diff)
    apps = sorted({r.application for r in shown.resources if r.application})
    intro = f"`{diff.before}` → {diff.after}: **{summary(shown)}**."
    if apps:
        named = [_code(a) for a in apps]
        while len(named) > 1 and _size(", ".join(named)) > max_bytes // 4:
            named.pop()  # the sections name every application anyway
        more = f" and {len(apps) - len(named)} more" if len(named) < len(apps) else ""
        intro += f" Applications: {', '.join(named)}{more}."
    if hidden:
        intro += (
            f" {hidden} noise change{'s' if hidden != 1 else ''} (chart labels, checksums)"
            " not shown (`--show-noise` shows them)."
        )
    frame = _size(PART_MARK.format(i=999, n=999) + "\n### gigrouter diff (part 999 of 999)\n\n")
    budget = max_bytes - frame - 1
    parts: list[str] = [intro + "\n\n"]
    for title, pieces in _sections(shown, budget - _size(_TABLE_HEAD) - 200):
        opened, in_table = False, False
        for kind, text in pieces:
            lead = ""
            if not opened:
                lead = f"{title}\n\n"
            if kind == "row" and not in_table:
                lead += _TABLE_HEAD
            elif kind != "row" and in_table:
                lead = "\n" + lead
            if _size(parts[-1]) + _size(lead + text) > budget:
                parts.append("")
                lead = f"{title} (continued)\n\n" + (_TABLE_HEAD if kind == "row" else "")
            parts[-1] += _fit(lead + text, budget - _size(parts[-1]))
            opened, in_table = True, kind == "row"
        if in_table:
            parts[-1] += "\n"
    total = len(parts)
    out = []
    for i, body in enumerate(parts, 1):
        title = head if total == 1 else f"### gigrouter diff (part {i} of {total})\n\n"
        out.append((PART_MARK.format(i=i, n=total) + "\n" + title + body).rstrip("\n") + "\n")
    return out


# --- json -------------------------------------------------------------------------------------


def to_json(diff: Diff, show_noise: bool = True) -> str:
    """The whole diff as data: every resource and field change, every file with its diff."""
    shown, hidden = (diff, 0) if show_noise else _quiet(diff)

    def resource(change: ResourceChange) -> dict[str, Any]:
        return {
            "status": change.status,
            "application": change.application,
            "tree": change.key.tree,
            "apiVersion": change.key.api_version,
            "kind": change.key.kind,
            "namespace": change.key.namespace,
            "name": change.key.name,
            "oldFile": change.old_file,
            "newFile": change.new_file,
            "fields": [
                {
                    "path": f.path,
                    "old": None if f.old is MISSING else f.old,
                    "new": None if f.new is MISSING else f.new,
                    "change": "added"
                    if f.old is MISSING
                    else "removed"
                    if f.new is MISSING
                    else "changed",
                }
                for f in change.fields
            ],
            "helm": list(change.helm),
        }

    data = {
        "before": diff.before,
        "after": diff.after,
        "clean": diff.clean,
        "summary": {
            status: shown.count(status) for status in ("added", "removed", "changed", "moved")
        }
        | {"files": len(shown.files), "noiseHidden": hidden},
        "resources": [resource(r) for r in shown.resources],
        "files": [
            {
                "path": f.path,
                "status": f.status,
                "application": f.application,
                "addedLines": f.added_lines,
                "removedLines": f.removed_lines,
                "diff": f.diff,
            }
            for f in shown.files
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"

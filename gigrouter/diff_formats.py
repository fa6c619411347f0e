"""A diff as text (resource summary, then a unified diff, coloured on a terminal) or as a compact
Markdown pull-request comment (summary table, one collapsible ``diff`` block per file). Pure
functions returning strings, deterministic to the byte; ``cli.py`` prints them."""

from __future__ import annotations

import json
from typing import Any

from gigrouter.diff import MISSING, Diff, FieldChange, FileChange, ResourceChange

RED, GREEN, CYAN, BOLD, RESET = "\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[1m", "\x1b[0m"
MAX_VALUE = 60  # characters of a value shown beside its field path
MAX_FIELDS = 6  # field paths listed per resource in the Markdown table
MAX_FILE_LINES = 400  # diff lines per file in the Markdown comment
MAX_COMMENT = 60_000  # GitHub refuses comments over 65,536 characters


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


def _value(value: Any) -> str:
    if value is MISSING:
        return "(none)"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 3] + "..."


def _field(change: FieldChange) -> str:
    return f"{change.path}: {_value(change.old)} -> {_value(change.new)}"


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


def _details(file: FileChange, budget: int) -> tuple[str, int]:
    lines = file.diff.splitlines()
    shown = lines[:MAX_FILE_LINES]
    cut = len(lines) - len(shown)
    body = "\n".join(shown)
    fence = "````" if "```" in body else "```"
    binary = file.diff.startswith("Binary")
    counts = "" if binary else f" (+{file.added_lines} −{file.removed_lines})"
    text = (
        f"<details>\n<summary><code>{file.path}</code> {file.status}{counts}</summary>\n\n"
        f"{fence}diff\n{body}\n{fence}\n"
        + (f"\n… {cut} more lines not shown\n" if cut else "")
        + "\n</details>\n"
    )
    if len(text) > budget:
        return f"- `{file.path}` {file.status}{counts}: diff too long for this comment\n", 0
    return text, len(text)


def to_markdown(diff: Diff) -> str:
    head = "### gigrouter diff\n\n"
    if diff.clean:
        return head + f"No changes: `{diff.before}` equals {diff.after}.\n"
    out = [
        head,
        f"`{diff.before}` → {diff.after}: **{summary(diff)}**.\n\n",
    ]
    if diff.resources:
        out.append("| change | resource | file | what changed |\n| --- | --- | --- | --- |\n")
        for change in diff.resources:
            where = _where(change).replace("->", "→")
            out.append(
                f"| {change.status} | {_cell(_code(str(change.key)))} | {_cell(_code(where))}"
                f" | {_fields_cell(change)} |\n"
            )
        out.append("\n")
    budget = MAX_COMMENT - sum(len(p) for p in out)
    for file in diff.files:
        text, used = _details(file, budget)
        budget -= used
        out.append(text + "\n")
    return "".join(out).rstrip("\n") + "\n"

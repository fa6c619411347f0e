"""Markdown and Mermaid building blocks for the generated docs, with the escaping that keeps a
config string from breaking a table, a diagram or the page around it.

Two ways to put a value into Markdown: ``text`` (plain prose: every character that could start
inline markup is backslash-escaped, line breaks become ``<br>``) and ``code`` (a code span whose
fence is longer than any run of backticks inside it). Both are safe inside a table cell: a
``|`` is written ``\\|``, which GitHub and markdown-it read as a literal pipe even inside a code
span. Mermaid labels are always quoted and carry every special character as an entity code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

# Line breaks: CommonMark's (\n, \r\n, \r) and the Unicode separators that editors show as one.
_BREAK = re.compile(r"\r\n|[\r\n\u2028\u2029]")
# Inline markup starters: code, emphasis, links, HTML and entities, strikethrough, math, tables.
_MARKUP = frozenset("\\`*_[]<>&~$!|")


def text(value: str) -> str:
    """``value`` as literal Markdown text, on one line (line breaks become ``<br>``)."""
    escaped = "".join("\\" + ch if ch in _MARKUP else ch for ch in value)
    return _BREAK.sub("<br>", escaped)


def code(value: str, in_table: bool = True) -> str:
    """``value`` as a code span on one line (line breaks become spaces).

    The fence is one backtick longer than the longest run inside; a space pads a value that
    starts or ends with a backtick, or that starts and ends with a space without being all
    spaces (CommonMark strips one space from each side of those). In a table (``in_table``)
    ``|`` is written ``\\|`` so that the row keeps its columns: GFM removes that backslash,
    even inside a code span. In prose it would stay, so there the pipe is left alone.
    """
    flat = _BREAK.sub(" ", value)
    if not flat:
        return ""
    runs = [len(r) for r in re.findall(r"`+", flat)]
    fence = "`" * (max(runs, default=0) + 1)
    spaced = flat[0] == " " and flat[-1] == " " and flat.strip(" ") != ""
    pad = flat[0] == "`" or flat[-1] == "`" or spaced
    inner = f" {flat} " if pad else flat
    return fence + (inner.replace("|", "\\|") if in_table else inner) + fence


def link(label: str, path: str) -> str:
    """A relative link; ``label`` is Markdown already, ``path`` a POSIX path (percent-encoded)."""
    return f"[{label}]({quote(path)})"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub table; every cell is Markdown already (built with ``text``/``code``/``link``)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"a row of {len(row)} cells in a table of {len(headers)} columns")
        lines.append("| " + " | ".join(cell or " " for cell in row) + " |")
    return "\n".join(lines) + "\n"


def comment(value: str) -> str:
    """An HTML comment that ``value`` cannot close early."""
    return "<!--\n" + value.replace("--", "- -") + "\n-->"


# --- Mermaid ----------------------------------------------------------------------------------

# Mermaid decodes #name; and #number; in labels, so every character with a meaning in the
# diagram syntax, in HTML or in the Markdown fence around it is written as one of those.
_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
    "|": "#124;",
}


def label(*lines: str) -> str:
    """A quoted Mermaid label of one or more lines; config line breaks become label lines."""
    out = []
    for line in lines:
        escaped = "".join(_ENTITIES.get(ch, ch) for ch in line)
        out.append(_BREAK.sub("<br/>", escaped))
    return '"' + "<br/>".join(out) + '"'


class MermaidIds:
    """Stable, safe node ids: ``<kind>_<slug>`` (letters, digits, '_'), numbered on a clash.

    ``kind`` is a fixed word such as 'app' or 'ns', so no id is a Mermaid keyword ('end') or
    starts with the 'o'/'x' that an arrow would swallow.
    """

    def __init__(self) -> None:
        self._ids: dict[tuple[str, ...], str] = {}
        self._taken: set[str] = set()

    def __call__(self, kind: str, *key: str) -> str:
        wanted = (kind, *key)
        if wanted not in self._ids:
            slug = re.sub(r"[^a-z0-9]+", "_", "_".join(key).lower()).strip("_")
            base = f"{kind}_{slug}" if slug else kind
            candidate, n = base, 2
            while candidate in self._taken:
                candidate, n = f"{base}_{n}", n + 1
            self._ids[wanted] = candidate
            self._taken.add(candidate)
        return self._ids[wanted]


def mermaid(lines: Iterable[str]) -> str:
    """A fenced Mermaid block."""
    return "```mermaid\n" + "\n".join(lines) + "\n```\n"

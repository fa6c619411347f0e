"""Types shared by the schema checks: one problem found inside one document."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class SchemaError:
    """A problem at one place inside a manifest.

    ``path`` is a dotted field path with list indexes in brackets, for example
    ``spec.template.spec.containers[0].ports[0].containerPort``; the empty string means the
    document itself. ``message`` says what is wrong in words a user can act on.
    """

    path: str
    message: str


def format_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """Join JSON-pointer-like parts into ``a.b[0].c``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out

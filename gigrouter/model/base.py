"""The base of every model and helpers shared by the model modules."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
)

from gigrouter.errors import did_you_mean as did_you_mean  # the model modules' hint
from gigrouter.types import (
    printable,
)

_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$")
_GROUP_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$")
_CHART_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$")
_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")


class Strict(BaseModel):
    """Base of every model: unknown keys are errors and values never change after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def file_name(value: str) -> str:
    if not _FILE_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} must be a plain file name ending in .yaml, like 'backend.yaml'"
        )
    return value


def check_plain_data(value: Any) -> None:
    """Helm values must be plain YAML data with printable strings."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"key {key!r} must be a string")
            printable(key)
            check_plain_data(item)
    elif isinstance(value, list):
        for item in value:
            check_plain_data(item)
    elif isinstance(value, str):
        printable(value)
    elif value is not None and not isinstance(value, bool | int | float):
        raise ValueError(f"{value!r} is not plain YAML data")


ComponentName = Literal["backend", "frontend", "memcached", "logging", "observability", "services"]


def dotted(path: tuple[str | int, ...]) -> str:
    """``("components", "services", "items", 0, "name")`` as
    ``components.services.items[0].name``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out

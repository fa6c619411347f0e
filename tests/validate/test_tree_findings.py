"""Findings the tree loader makes on paths no golden case takes.

``make mutants --per-site`` switches off each statement that reports a finding, one at a time;
these are the statements of gigrouter/validate/tree.py that nothing else noticed missing: a
metadata file over the parser's limits, an in-memory metadata file over the size limit (what
render validates before writing), and an entry whose type cannot even be read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gigrouter import safeyaml
from gigrouter.validate.runner import validate_memory, validate_path
from gigrouter.validate.tree import METADATA_FILE, MemoryFiles

CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: web\n"


def found(report: Any) -> list[tuple[str, str, str]]:
    return [(f.rule, f.severity.value, f.file) for f in report.findings]


def test_a_metadata_file_nested_past_the_limit_is_too_large_not_ignored(tmp_path: Path) -> None:
    depth = safeyaml.MAX_DEPTH + 10
    (tmp_path / METADATA_FILE).write_text("a: " + "[" * depth + "]" * depth + "\n")
    (tmp_path / "settings.yaml").write_text(CONFIG_MAP)
    report = validate_path(tmp_path)
    assert found(report) == [("document-too-large", "error", METADATA_FILE)]
    assert report.findings[0].message.startswith("not read: ")


def test_an_in_memory_metadata_file_over_the_size_limit_is_too_large() -> None:
    big = "gitops:\n  path: " + "x" * safeyaml.MAX_FILE_BYTES + "\n"
    report = validate_memory(MemoryFiles({METADATA_FILE: big, "settings.yaml": CONFIG_MAP}))
    assert found(report) == [("document-too-large", "error", METADATA_FILE)]
    assert f"it has {len(big)} characters" in report.findings[0].message


class _Unreadable:
    """A directory entry whose type cannot be read (as with a file removed mid-walk)."""

    def __init__(self, entry: os.DirEntry[str]) -> None:
        self.name = entry.name
        self.path = entry.path

    def is_symlink(self) -> bool:
        raise PermissionError(13, "Permission denied")


def test_an_entry_whose_type_cannot_be_read_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "locked.yaml").write_text(CONFIG_MAP)
    (tmp_path / "settings.yaml").write_text(CONFIG_MAP.replace("settings", "other"))
    real = os.scandir

    def scandir(path: Any) -> Iterator[Any]:
        with real(path) as entries:
            return iter([_Unreadable(e) if e.name == "locked.yaml" else e for e in entries])

    monkeypatch.setattr(os, "scandir", scandir)
    report = validate_path(tmp_path)
    assert found(report) == [("yaml-invalid", "error", "locked.yaml")]
    assert report.findings[0].message == "cannot read locked.yaml: Permission denied"

"""A kubernetes-validate whose schema files are laid out differently is one clear error.

gigrouter reads the files inside kubernetes-validate's package (gigrouter/validate/schema.py),
not its API, so pyproject.toml caps it to the releases with that layout. These tests put a fake
``kubernetes_validate`` with another layout first on PYTHONPATH and run the installed command.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from gigrouter.validate.schema import SUPPORTED_BUNDLE

REPO = Path(__file__).resolve().parents[2]

Layout = Callable[[Path], None]


def old_draft04_layout(bundle: Path) -> None:
    """What 1.28 and older ship: "definitions" and relative $refs, no "$defs" and no "$id"."""
    strict = bundle / "v1.30.0-local-strict"
    strict.mkdir(parents=True)
    definitions = {"definitions": {"io.k8s.api.core.v1.Service": {"type": "object"}}}
    (strict / "_definitions.json").write_text(json.dumps(definitions), encoding="utf-8")
    (strict / "service-v1.json").write_text(
        json.dumps({"$ref": "_definitions.json#/definitions/io.k8s.api.core.v1.Service"}),
        encoding="utf-8",
    )


def no_strict_directories(bundle: Path) -> None:
    (bundle / "v1.30.0-standalone").mkdir(parents=True)


def no_kind_files(bundle: Path) -> None:
    strict = bundle / "v1.30.0-local-strict"
    strict.mkdir(parents=True)
    service = {"x-kubernetes-group-version-kind": [{"group": "", "kind": "S", "version": "v1"}]}
    definitions = {"$id": "https://x/_definitions.json", "$defs": {"io.k8s.api.core.v1.S": service}}
    (strict / "_definitions.json").write_text(json.dumps(definitions), encoding="utf-8")


def no_bundle(bundle: Path) -> None:
    pass


def fake_kubernetes_validate(root: Path, version: str, layout: Layout) -> Path:
    """A package and its metadata in ``root``, the way pip would install them."""
    package = root / "kubernetes_validate"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    layout(package / "kubernetes-json-schema")
    info = root / f"kubernetes_validate-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: kubernetes-validate\nVersion: {version}\n", encoding="utf-8"
    )
    return root


def run(gigrouter_exe: str, pythonpath: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [gigrouter_exe, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("layout", "problem"),
    [
        (
            old_draft04_layout,
            "has another schema layout: kubernetes-json-schema/v1.30.0-local-strict/"
            '_definitions.json is not a JSON object with "$defs" and "$id"',
        ),
        (
            no_kind_files,
            "has another schema layout: no file in kubernetes-json-schema/"
            "v1.30.0-local-strict is named after a kind in _definitions.json",
        ),
        (
            no_strict_directories,
            "has no kubernetes-json-schema/v1.XX.0-local-strict directories",
        ),
        (no_bundle, "has no kubernetes-json-schema directory"),
    ],
)
def test_another_layout_is_one_line_naming_the_supported_releases(
    tmp_path: Path, gigrouter_exe: str, layout: Layout, problem: str
) -> None:
    fake = fake_kubernetes_validate(tmp_path / "site", "1.28.3", layout)
    config = str(REPO / "config" / "platform.yaml")
    result = run(gigrouter_exe, fake, "render", "--config", config, "--out", str(tmp_path / "o"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"error: kubernetes-validate 1.28.3 {problem}; gigrouter reads the schema files of "
        f"{SUPPORTED_BUNDLE} (pip install '{SUPPORTED_BUNDLE}')"
    ]
    assert result.stdout == ""
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_an_old_layout_is_reported_instead_of_an_unsupported_version(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    """1.28 ships no 1.30 schemas; the layout, not the version, is what is wrong."""

    def old_bundle(bundle: Path) -> None:
        old_draft04_layout(bundle)
        (bundle / "v1.30.0-local-strict").rename(bundle / "v1.28.0-local-strict")

    fake = fake_kubernetes_validate(tmp_path / "site", "1.28.3", old_bundle)
    result = run(gigrouter_exe, fake, "validate", str(tmp_path), "--kubernetes-version", "1.30")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(
        "error: kubernetes-validate 1.28.3 has another schema layout: "
        "kubernetes-json-schema/v1.28.0-local-strict/_definitions.json"
    )
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_missing_package_is_a_gigrouter_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util
    from importlib import metadata

    from gigrouter.errors import GigrouterError
    from gigrouter.validate import schema

    def not_found(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(metadata, "version", not_found)
    schema._bundle_root.cache_clear()
    try:
        with pytest.raises(GigrouterError) as raised:
            schema._bundle_root()
    finally:
        schema._bundle_root.cache_clear()
    assert raised.value.exit_code == 2
    assert raised.value.lines() == [
        f"kubernetes-validate is not installed; gigrouter reads the schema files of "
        f"{SUPPORTED_BUNDLE} (pip install '{SUPPORTED_BUNDLE}')"
    ]

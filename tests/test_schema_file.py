"""config/platform.schema.json is the model's JSON Schema, and the config points editors at it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from helpers import DEFAULT_CONFIG, REPO

from gigrouter.pipeline import schema_json


def test_schema_file_is_fresh() -> None:
    path = REPO / "config" / "platform.schema.json"
    assert path.read_text(encoding="utf-8") == schema_json(), "run `make schema`"


def test_config_carries_the_modeline() -> None:
    first = DEFAULT_CONFIG.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=platform.schema.json"


def test_default_config_satisfies_the_schema() -> None:
    schema = json.loads(schema_json())
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(DEFAULT_CONFIG.read_text()))


def test_schema_rejects_unknown_keys() -> None:
    schema = json.loads(schema_json())
    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    data["aws"]["zone"] = "x"
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert errors


def _configs() -> list[Path]:
    """Every platform config the repo ships: the default, each example, and (written into a
    scratch directory by the test) what `gigrouter init` writes."""
    return [DEFAULT_CONFIG, *sorted((REPO / "examples").glob("*/platform.yaml"))]


def _overlays() -> list[Path]:
    found = sorted((REPO / "config" / "environments").glob("*.yaml"))
    return found + sorted((REPO / "examples").glob("*/environments/*.yaml"))


@pytest.mark.parametrize("config", _configs(), ids=lambda p: p.parent.name)
def test_every_shipped_config_satisfies_the_schema(config: Path) -> None:
    """Editors flag only what render refuses: what renders must fit the schema, `{domain}`
    hosts included."""
    schema = json.loads((REPO / "config" / "platform.schema.json").read_text(encoding="utf-8"))
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize("overlay", _overlays(), ids=lambda p: f"{p.parents[1].name}-{p.stem}")
def test_every_shipped_overlay_satisfies_the_environment_schema(overlay: Path) -> None:
    schema = json.loads((REPO / "config" / "environment.schema.json").read_text(encoding="utf-8"))
    data = yaml.safe_load(overlay.read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]
    assert errors == []


def test_what_init_writes_satisfies_the_schema_it_writes(
    gigrouter_exe: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [gigrouter_exe, "init", str(tmp_path / "p"), "--name", "shop", "--domain", "shop.example.com"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    config = tmp_path / "p" / "config"
    schema = json.loads((config / "platform.schema.json").read_text(encoding="utf-8"))
    data = yaml.safe_load((config / "platform.yaml").read_text(encoding="utf-8"))
    assert "{domain}" in json.dumps(data)  # the case this test is about
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data)) == []


def test_the_host_schema_takes_domain_relative_hosts_and_nothing_looser() -> None:
    schema = json.loads((REPO / "config" / "platform.schema.json").read_text(encoding="utf-8"))
    pattern = re.compile(schema["$defs"]["Route"]["properties"]["host"]["pattern"])
    for host in ("api.{domain}", "{domain}", "*.{domain}", "shop.example.com"):
        assert pattern.search(host), host
    for host in ("x{domain}", "{domain}.x", "{domain", "{other}", "shop"):
        assert not pattern.search(host), host

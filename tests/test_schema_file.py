"""config/platform.schema.json is the model's JSON Schema, and the config points editors at it."""

from __future__ import annotations

import json

import jsonschema
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

"""No config string becomes YAML structure, whatever characters it holds.

The writer escapes every character that a YAML 1.1 reader (PyYAML, so gigrouter's own
validate) or a YAML 1.2 reader (ruamel.yaml here, go-yaml's reading in kubectl) could take as a
line break, or that is not printable. The properties generate exactly those characters: all of
Unicode's line and paragraph separators, C0 and C1 controls, NUL, DEL, the BOM, noncharacters
and lone surrogates, mixed with YAML's indicators, and read every result back with both kinds of
reader.
"""

from __future__ import annotations

import copy
import io
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from gigrouter import yamlio
from gigrouter.config.load import build_platform, parse_yaml
from gigrouter.errors import ConfigError
from gigrouter.pipeline import tree_outputs
from gigrouter.render import render

REPO = Path(__file__).resolve().parent.parent

LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
CONTROLS = "".join(map(chr, range(0x20))) + "\x7f" + "".join(map(chr, range(0x80, 0xA0)))
ODD = "\ufeff\ufffe\uffff\u200b\u200e\u00a0\u3000\U0001f600\U0010ffff"
SURROGATES = "\ud800\udbff\udc00\udfff"
INDICATORS = " -?:,[]{}#&*!|>'\"%@`\\=~"
DANGEROUS = LINE_BREAKS + CONTROLS + ODD + SURROGATES + INDICATORS

dangerous_text = st.text(
    st.sampled_from(DANGEROUS) | st.characters() | st.sampled_from("ayesnoNull01."),
    max_size=24,
)


def has_surrogate(value: str) -> bool:
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)


def yaml12(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


def read_back(text: str) -> list[Any]:
    """The document as libyaml, PyYAML's pure reader and a YAML 1.2 reader read it; they must
    agree, or the file means different things to different tools."""
    readings = [
        yaml.load(text, Loader=yaml.CSafeLoader),
        yaml.load(text, Loader=yaml.SafeLoader),
        yaml12(text),
    ]
    return readings


def test_the_alphabet_holds_every_unicode_line_and_paragraph_separator() -> None:
    import unicodedata

    separators = {chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) in ("Zl", "Zp")}
    assert separators <= set(DANGEROUS)
    assert {"\x00", "\x85", "\ufeff", "\ud800"} <= set(DANGEROUS)


@settings(max_examples=600, deadline=None)
@given(dangerous_text)
@example("\u2028key: injected")
@example("a\x85b: c")
@example("\ufeff---\n- x")
@example("x\udc80")
def test_any_string_as_value_and_as_key_reads_back_the_same(value: str) -> None:
    data = {"k": value, value: "v", "list": [value]}
    if has_surrogate(value):
        with pytest.raises(ValueError, match="lone surrogate"):
            yamlio.dump(data)
        return
    out = yamlio.dump(data)
    for reading in read_back(out):
        assert reading == data
    assert not any(ch in out for ch in LINE_BREAKS.replace("\n", "")), repr(out)


@settings(max_examples=600, deadline=None)
@given(dangerous_text)
@example("\u2028key: injected")
@example("x\udfff")
def test_the_template_quoting_filter_reads_back_the_same(value: str) -> None:
    if has_surrogate(value):
        with pytest.raises(ValueError, match="lone surrogate"):
            yamlio.flow(value)
        return
    for text in (f"k: {yamlio.flow(value)}\n", f"- {yamlio.flow({value: [value]})}\n"):
        readings = read_back(text)
        assert readings[0] == readings[1] == readings[2]
        assert readings[0] in ({"k": value}, [{value: [value]}])
        assert "\n" not in text[:-1]


# --- through the whole render: a config string lands as the same string, adds nothing -----

MARKER = "gigrouter-injection-marker"
LEFT, RIGHT = "zqx", "xqz"  # around a generated value, so that it is found and nothing else


@cache
def _default_data() -> dict[str, Any]:
    text = (REPO / "config" / "platform.yaml").read_text(encoding="utf-8")
    data = parse_yaml(text, "platform.yaml").data
    assert isinstance(data, dict)
    return data


def _app(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in data["applications"] if a["name"] == name)


def _set_env_value(data: dict[str, Any], value: str) -> None:
    data["components"]["backend"]["env"][1]["value"] = value


def _set_config_map_value(data: dict[str, Any], value: str) -> None:
    data["components"]["backend"]["config_map"]["data"]["DB_NAME"] = value


def _set_helm_value(data: dict[str, Any], value: str) -> None:
    _app(data, "aws-load-balancer-controller")["helm"]["values"]["clusterName"] = value


def _set_helm_key(data: dict[str, Any], value: str) -> None:
    _app(data, "aws-load-balancer-controller")["helm"]["values"][value] = "v"


def _set_external_secret_property(data: dict[str, Any], value: str) -> None:
    data["components"]["backend"]["external_secret"]["data"][0]["property"] = value


def _set_migration_command(data: dict[str, Any], value: str) -> None:
    data["components"]["backend"]["migration"]["command"][2] = value


def _set_external_reason(data: dict[str, Any], value: str) -> None:
    data["externals"][0]["reason"] = value


FIELDS = {
    "env value": _set_env_value,
    "ConfigMap data": _set_config_map_value,
    "Helm value": _set_helm_value,
    "Helm values key": _set_helm_key,
    "ExternalSecret property": _set_external_secret_property,
    "migration command": _set_migration_command,
    "externals reason": _set_external_reason,
}


def _render(field: str, value: str) -> dict[str, str] | None:
    """The rendered files with ``value`` in ``field``, or None when the config refuses it."""
    if has_surrogate(value):  # no UTF-8 file can hold one: it never reaches a config
        return None
    data = copy.deepcopy(_default_data())
    FIELDS[field](data, value)
    try:
        platform = build_platform(parse_yaml(yamlio.dump(data), "platform.yaml"))
    except ConfigError:
        return None
    return render(tree_outputs(platform)).files


@cache
def _baseline(field: str) -> dict[str, Any]:
    files = _render(field, MARKER)
    assert files is not None
    return {p: _parsed(t) for p, t in files.items() if p.endswith(".yaml")}


def _parsed(text: str) -> list[Any]:
    documents = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
    assert documents == list(YAML(typ="safe", pure=True).load_all(io.StringIO(text)))
    return documents


def _swap(data: Any, value: str) -> Any:
    """``data`` with ``value`` written back as the marker wherever it landed."""
    if isinstance(data, dict):
        return {_swap(k, value): _swap(v, value) for k, v in data.items()}
    if isinstance(data, list):
        return [_swap(v, value) for v in data]
    if isinstance(data, str):
        return data.replace(LEFT + value + RIGHT, MARKER)
    return data


def test_every_field_is_found_in_the_render() -> None:
    """The property below is vacuous unless the marker really lands in the output."""
    for field in FIELDS:
        files = _render(field, MARKER)
        assert files is not None
        assert any(MARKER in text for text in files.values()), field


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(st.sampled_from(sorted(FIELDS)), dangerous_text)
@example("env value", "x\u2028injected: true")
@example("Helm values key", "a\u2029b: c")
@example("Helm value", "\x85- item")
@example("migration command", "migrate\u2028--fake")
def test_a_config_string_lands_unchanged_and_adds_no_structure(field: str, value: str) -> None:
    files = _render(field, LEFT + value + RIGHT)
    assume(files is not None)  # the model refused the value: a config error, not an injection
    assert files is not None
    rendered = {p: _parsed(t) for p, t in files.items() if p.endswith(".yaml")}
    assert {p: _swap(d, value) for p, d in rendered.items()} == _baseline(field)
    for text in files.values():
        assert not any(ch in text for ch in LINE_BREAKS.replace("\n", "") if ch in value)

"""No config string becomes YAML structure or Jinja; output is byte-identical in any environment."""

from __future__ import annotations

import copy
import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import DEFAULT_CONFIG, documents, find
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gigrouter import yamlio
from gigrouter.model import Platform
from gigrouter.pipeline import tree_outputs
from gigrouter.render import render
from gigrouter.types import printable

BASE: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))

TRICKY = [
    "a\nkind: ClusterRole",
    "x: y",
    "{{ 7*7 }}",
    "{% raw %}",
    "yes",
    "0755",
    "1e3",
    "null",
    "12:30",
    "~",
    "- item",
    "'quoted'",
    '"double"',
    "# comment",
    "---",
    "...",
    "&anchor *alias",
    "!!python/object:os.system",
    "ünïcødé ✓ 漢字 🚀",
    "x" * 300,
    " leading and trailing ",
    "tab\tand\\backslash",
    "line1\nline2\n",
    "",
]

_yaml_chars = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters="\x00",
)
texts = st.text(alphabet=_yaml_chars, max_size=80).filter(lambda s: _is_printable(s))


def _is_printable(value: str) -> bool:
    try:
        printable(value)
    except ValueError:
        return False
    return True


def render_with(mutate: Any) -> Any:
    data = copy.deepcopy(BASE)
    mutate(data)
    platform = Platform.model_validate(data)
    assert platform.cross_check() == []
    return render(tree_outputs(platform))


def set_free_text(data: dict[str, Any], value: str) -> None:
    backend = data["components"]["backend"]
    backend["env"][1]["value"] = value  # ALLOWED_HOSTS
    backend["config_map"]["data"]["DB_HOST"] = value
    data["externals"][0]["reason"] = value
    data["applications"][0]["helm"]["values"]["note"] = value
    data["applications"][0]["helm"]["values"][value] = "as a key"


def identities(docs: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str, str]]:
    """(file, kind, name) of every rendered object, in order."""
    return [(path, doc["kind"], doc["metadata"]["name"]) for path, doc in docs]


BASE_IDENTITIES = identities(documents(render_with(lambda d: None)))


def check_round_trip(value: str) -> None:
    tree = render_with(lambda d: set_free_text(d, value))
    docs = documents(tree)
    assert identities(docs) == BASE_IDENTITIES  # nothing injected, nothing lost
    deploy = find(tree, "Deployment", "backend")
    env = deploy["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env[1] == {"name": "ALLOWED_HOSTS", "value": value}
    assert find(tree, "ConfigMap", "rds-config")["data"]["DB_HOST"] == value
    alb = find(tree, "Application", "aws-load-balancer-controller")
    values = alb["spec"]["source"]["helm"]["valuesObject"]
    assert values["note"] == value and values[value] == "as a key"
    meta = yaml.safe_load(tree.files["gigrouter-metadata.yaml"])
    assert meta["externals"][0]["reason"] == value
    assert {d["kind"] for _, d in docs} <= {
        "Application", "ConfigMap", "SecretStore", "ExternalSecret", "Job", "Deployment",
        "Service", "Ingress", "NetworkPolicy", "DaemonSet",
    }  # fmt: skip


@pytest.mark.parametrize("value", TRICKY, ids=range(len(TRICKY)))
def test_tricky_strings_come_out_exactly(value: str) -> None:
    check_round_trip(value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_any_string_comes_out_exactly(value: str) -> None:
    check_round_trip(value)


@given(st.text(alphabet=_yaml_chars, max_size=40).filter(_is_printable))
def test_dump_round_trips_every_printable_string(value: str) -> None:
    assert yamlio.load_all(yamlio.dump({"k": value}))[0] == {"k": value}
    assert yamlio.load_all("k: " + yamlio.flow(value))[0] == {"k": value}


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("components", "backend", "image"), "{{ 7*7 }}", "is not an image reference"),
        (("components", "backend", "image"), "img\nkind: x", "is not an image reference"),
        (("components", "frontend", "name"), "Yes", "is not a DNS-1123 label"),
        (("components", "frontend", "ingress", "routes", 0, "host"), "a b", "is not a host name"),
        (("components", "frontend", "ingress", "routes", 0, "path"), "api", "absolute URL path"),
        (("components", "memcached", "resources", "limits", "memory"), "2GB", "quantity"),
        (("components", "backend", "env", 1, "value"), "bell\x07", "unprintable character U+0007"),
        (("domain",), "300", "is not a host name"),
        (("components", "frontend", "name"), "frontend\n", "is not a DNS-1123 label"),
        (("components", "backend", "image"), "redis:7\n", "is not an image reference"),
    ],
)
def test_constrained_values_are_rejected(path: tuple[Any, ...], value: str, message: str) -> None:
    data = copy.deepcopy(BASE)
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    with pytest.raises(Exception) as info:
        Platform.model_validate(data)
    assert message in str(info.value)


def digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def test_byte_identical_whatever_the_environment(gigrouter_exe: str, tmp_path: Path) -> None:
    results = []
    for i, (seed, tz, locale) in enumerate(
        [
            ("0", "UTC", "C.UTF-8"),
            ("12345", "Asia/Kolkata", "C"),
            ("random", "America/Adak", "POSIX"),
        ]
    ):
        cwd = tmp_path / f"cwd{i}"
        cwd.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": tz, "LC_ALL": locale, "LANG": locale}
        out = tmp_path / f"out{i}"
        subprocess.run(
            [gigrouter_exe, "render", "--config", str(DEFAULT_CONFIG), "--out", str(out)],
            cwd=cwd, env=env, check=True, capture_output=True,
        )  # fmt: skip
        results.append(digest(out))
    assert len(set(results)) == 1
    assert results[0] == digest(DEFAULT_CONFIG.parent.parent / "out")


def test_rendered_files_use_lf_and_end_with_newline() -> None:
    tree = render(tree_outputs(Platform.model_validate(BASE)))
    for path, text in tree.files.items():
        assert "\r" not in text, path
        assert text.endswith("\n") and not text.endswith("\n\n\n"), path

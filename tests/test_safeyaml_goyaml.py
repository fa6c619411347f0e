"""gigrouter.safeyaml reads YAML as kubectl does (sigs.k8s.io/yaml over go-yaml v2).

Every scalar where PyYAML's YAML 1.1 resolver and go-yaml v2's ``resolve.go`` disagree is pinned
here with both readings, and the whole table is checked against the real decoder: ``kubectl
annotate --local -f FILE -o json`` reads a file through kubectl's YAML path without a cluster
and prints the JSON the API server would receive.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.shared import in_ci

from gigrouter import safeyaml

RAISES = object()  # PyYAML cannot construct it

# (plain scalar, what go-yaml v2 + JSON make of it, what PyYAML's safe_load makes of it)
SCALARS: list[tuple[str, Any, Any]] = [
    ("=", "=", RAISES),  # PyYAML: the tag:yaml.org,2002:value resolver, no constructor
    ("yes", True, True),
    ("Yes", True, True),
    ("YES", True, True),
    ("yEs", "yEs", "yEs"),
    ("y", True, "y"),  # go-yaml v2 only
    ("Y", True, "Y"),
    ("n", False, "n"),
    ("N", False, "N"),
    ("on", True, True),
    ("Off", False, False),
    ("oN", "oN", "oN"),
    ("True", True, True),
    ("tRUE", "tRUE", "tRUE"),
    ("~", None, None),
    ("null", None, None),
    ("NULL", None, None),
    ("nULL", "nULL", "nULL"),
    ("017", 15, 15),
    ("0o17", 15, "0o17"),  # Go's ParseInt base 0 reads 0o; YAML 1.1 does not
    ("0x1F", 31, 31),
    ("0b101", 5, 5),
    ("-0b101", -5, -5),
    ("+17", 17, 17),
    ("1_000", 1000, 1000),
    ("08", 8, "08"),  # not octal, so go-yaml's float pattern: 8.0, sent as 8
    ("1:20", "1:20", 80),  # sexagesimal: gone from go-yaml
    ("190:20:30", "190:20:30", 685230),
    ("1e3", 1000, "1e3"),  # go-yaml's float pattern needs no dot
    ("1.0", 1, 1.0),  # a float without fraction is an integer in JSON
    ("1.5", 1.5, 1.5),
    (".5", 0.5, 0.5),
    ("-.5", -0.5, "-.5"),
    ("1.", 1, 1.0),
    ("2001-01-01", "2001-01-01", RAISES),  # PyYAML: a date object (not JSON)
    ("2001-13-45", "2001-13-45", RAISES),
    ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00", RAISES),
    ("9223372036854775807", 9223372036854775807, 9223372036854775807),
    ("18446744073709551615", 18446744073709551615, 18446744073709551615),  # uint64
    ("1e400", "1e400", "1e400"),  # beyond float64: go-yaml keeps the text
    ("NaN", "NaN", "NaN"),
    ("-x", "-x", "-x"),
    ("0x", "0x", "0x"),
    ("<<", "<<", RAISES),  # as a value, the merge key is its text
]


def load_one(text: str) -> Any:
    (document,) = list(safeyaml.load_all(text))
    return document


@pytest.mark.parametrize(("text", "kube", "pyyaml"), SCALARS, ids=[s[0] for s in SCALARS])
def test_a_plain_scalar_is_what_go_yaml_reads(text: str, kube: Any, pyyaml: Any) -> None:
    got = load_one(f"v: {text}\n")["v"]
    assert got == kube and type(got) is type(kube)
    if pyyaml is RAISES:
        with pytest.raises((yaml.YAMLError, ValueError, TypeError)):
            as_json(yaml.safe_load(f"v: {text}\n"))
    else:
        assert yaml.safe_load(f"v: {text}\n")["v"] == pyyaml


def as_json(value: Any) -> str:
    return json.dumps(value, allow_nan=False)


@pytest.mark.parametrize("text", [".inf", "-.Inf", "+.INF", ".nan", ".NaN"])
def test_infinity_and_nan_are_errors_as_kubectl_says(text: str) -> None:
    with pytest.raises(yaml.YAMLError, match="JSON cannot hold"):
        load_one(f"a: 1\nv: {text}\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'yes': a", {"yes": "a"}),
        ("yes: a", {"true": "a"}),
        ("n: a", {"false": "a"}),
        ("1: a", {"1": "a"}),
        ("1.5: a", {"1.5": "a"}),
        ("1e6: a", {"1e+06": "a"}),
        ("123456.0: a", {"123456": "a"}),
        ("0.1: a", {"0.1": "a"}),
        ("017: a", {"15": "a"}),
    ],
)
def test_keys_become_json_strings(text: str, expected: dict[str, str]) -> None:
    assert load_one(text + "\n") == expected


@pytest.mark.parametrize("text", ["~: a", "null: a", "? [1]\n: a", "? {a: 1}\n: b"])
def test_a_key_json_cannot_hold_is_an_error(text: str) -> None:
    with pytest.raises(yaml.YAMLError, match="mapping key must be a string"):
        load_one(text + "\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v: !!int '12'", 12),
        ("v: !!str 12", "12"),
        ("v: !!float 2", 2),
        ("v: !!bool yes", True),
        ("v: !!null ''", None),
        ("v: !!timestamp 2001-01-01", "2001-01-01"),
        ("v: !!binary aGVsbG8=", "hello"),
        ("v: !Ref name", "name"),  # a tag go-yaml does not know: the text
        ("v: !!python/object/apply:os.system [id]", ["id"]),  # never constructed
        ("v: !!set {a, b}", {"a": None, "b": None}),
        ("v: !!omap [{a: 1}]", [{"a": 1}]),
        ("v: 'yes'", "yes"),
        ("v: |\n  yes\n", "yes\n"),
    ],
)
def test_tags_are_read_as_go_yaml_reads_them(text: str, expected: Any) -> None:
    assert load_one(text + "\n")["v"] == expected


@pytest.mark.parametrize(
    "text", ["v: !!int abc", "v: !!bool 1", "v: !!binary '***'", "v: !!timestamp x"]
)
def test_a_tag_the_value_does_not_fit_is_an_error(text: str) -> None:
    with pytest.raises(yaml.YAMLError, match="cannot read the value"):
        load_one(text + "\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # go-yaml v2 merges where the << stands: a key after it wins, a key before it loses
        ("b: &b {x: 1, y: 2}\nm:\n  x: 0\n  <<: *b\n  z: 3\n", {"x": 1, "true": 2, "z": 3}),
        ("b: &b {x: 1}\nm:\n  <<: *b\n  x: 0\n", {"x": 0}),
        ("m:\n  <<: [{a: 1}, {a: 2, b: 2}]\n", {"a": 1, "b": 2}),
        ("m:\n  '<<': {a: 1}\n", {"<<": {"a": 1}}),  # a quoted << is a plain key
    ],
)
def test_merge_keys_follow_go_yaml(text: str, expected: dict[str, Any]) -> None:
    assert load_one(text)["m"] == expected


def test_a_merge_of_a_scalar_is_an_error() -> None:
    with pytest.raises(yaml.YAMLError, match="map merge requires map"):
        load_one("m:\n  <<: 1\n")


def test_duplicates_keep_the_last_value_and_are_recorded() -> None:
    text = "---\n# note\na: 1\nb: {x: 1, x: 2}\na: 3\n1: one\n'1': uno\n---\nc: 1\n"
    first, second = safeyaml.load_documents(text)
    assert first.data == {"a": 3, "b": {"x": 2}, "1": "uno"} and first.line == 3
    assert [(d.key, d.line, d.first_line) for d in first.duplicates] == [
        ("x", 4, 4),
        ("a", 5, 3),
        ("1", 7, 6),
    ]
    assert second.data == {"c": 1} and second.line == 9 and second.duplicates == []


def test_a_merge_is_not_a_duplicate() -> None:
    (doc,) = safeyaml.load_documents("b: &b {x: 1}\nm:\n  x: 0\n  <<: *b\n")
    assert doc.duplicates == []


# --- the table against kubectl itself ----------------------------------------------------------


def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        if in_ci():
            pytest.fail("kubectl is not on PATH, and CI must have it", pytrace=False)
        pytest.skip("kubectl is not on PATH (CI always has it)")
    return found


def test_the_table_is_what_kubectl_reads(tmp_path: Path) -> None:
    rows = [(f"k{i}", text, kube) for i, (text, kube, _) in enumerate(SCALARS)]
    body = "".join(f"  {key}: {text}\n" for key, text, _ in rows)
    keys = "".join(f"  {key}: x\n" for key in ("yes", "n", "1.5", "1e6", "017", "'on'"))
    merges = "  base: &b {x: 1, y: 2}\n  merged:\n    x: 0\n    <<: *b\n    z: 3\n"
    tags = "  t1: !Ref name\n  t2: !!binary aGVsbG8=\n  t3: !!set {a, b}\n  dup: 1\n  dup: 2\n"
    text = (
        "apiVersion: example.com/v1\nkind: Probe\nmetadata:\n  name: probe\nspec:\n"
        + body
        + keys
        + merges
        + tags
    )
    manifest = tmp_path / "probe.yaml"
    manifest.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [kubectl(), "annotate", "--local", "-f", str(manifest), "a=b", "-o", "json"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)["spec"]
    ours = load_one(text)["spec"]
    assert set(ours) == set(theirs)
    for key in theirs:
        mine, real = ours[key], theirs[key]
        if isinstance(real, int | float) and not isinstance(real, bool) and abs(real) > 2**53:
            assert float(mine) == float(real), key  # kubectl passes beyond int64 as float64
        else:
            assert mine == real and type(mine) is type(real), (key, mine, real)

"""The YAML writer: every value reads back exactly, and the output is what libyaml writes."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from helpers import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from gigrouter import yamlio

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
data = st.recursive(
    leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)


def simple_keys(value: Any) -> bool:
    """libyaml writes keys with line breaks as complex keys; gigrouter double-quotes them."""
    if isinstance(value, dict):
        return all(
            not any(ch in k for ch in "\r\n\x85\u2028\u2029") and simple_keys(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return all(simple_keys(v) for v in value)
    return True


@settings(max_examples=400, deadline=None)
@given(data)
def test_every_value_reads_back_exactly(value: Any) -> None:
    out = yamlio.dump(value)
    assert yamlio.load_all(out) == ([] if value is None else [value])
    assert out.endswith("\n") and "\r" not in out


def libyaml_comparable(value: Any) -> bool:
    """The values the libyaml oracle is compared on (as before): simple keys, and no top-level
    string written as a literal block."""
    return simple_keys(value) and not (isinstance(value, str) and yamlio.string_style(value) == "|")


@settings(max_examples=400, deadline=None)
@given(data.filter(libyaml_comparable))
def test_output_is_what_libyaml_writes(value: Any) -> None:
    assert yamlio.dump(value) == yamlio.dump_with_pyyaml(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"k": "yes"}, "k: 'yes'\n"),
        ({"k": "0755"}, "k: '0755'\n"),
        ({"k": "1e3"}, "k: '1e3'\n"),
        ({"k": "null"}, "k: 'null'\n"),
        ({"k": "12:30"}, "k: '12:30'\n"),
        ({"k": "A\n"}, "k: |\n  A\n"),
        ({"k": "a\nb"}, "k: |-\n  a\n  b\n"),
        ({"A\n": 1}, '"A\\n": 1\n'),
        ({"k": "tab\there"}, 'k: "tab\\there"\n'),
        ({"k": "\u2028"}, 'k: "\\L"\n'),
        ({"k": "🚀"}, 'k: "\\U0001F680"\n'),
        ({"k": {}, "l": [], "m": [[1], {"a": None}]}, "k: {}\nl: []\nm:\n- - 1\n- a: null\n"),
        ({"x" * 1001: 1}, "? " + "x" * 1001 + "\n: 1\n"),
    ],
)
def test_policy_examples(value: Any, expected: str) -> None:
    assert yamlio.dump(value) == expected
    assert yamlio.load_all(expected) == [value]


def test_the_whole_string_classes_agree_with_the_printable_set() -> None:
    """The regexes that test whole strings at once say what ``_printable`` says of each
    character (every BMP code point, and astral ones, which libyaml escapes)."""
    for code in [*range(0x10000), 0x10000, 0x1F600, 0x10FFFF]:
        ch = chr(code)
        printable = yamlio._printable(ch)
        assert bool(yamlio._PRINTABLE_OR_BREAK.fullmatch(ch)) == (printable or ch == "\n"), code
        assert bool(yamlio._QUOTABLE_AS_IS.fullmatch(ch)) == (printable and ch not in '"\\'), code


_LOADER_CASES = [
    "a: 1\nb: [1, 2.5, true, null, ~, 'x', \"y\"]\nc: {d: yes, e: 0755, f: 1e3}\n",
    "base: &b {x: 1, y: [1, 2]}\nother: *b\nmerged:\n  <<: *b\n  y: 3\n",
    "list: &l [1, 2]\nagain: *l\nnested: [*l, [*l]]\n",
    "? [1, 2]\n: complex key\n",
    "when: 2001-12-14t21:59:43.10-05:00\nday: 2002-12-14\n",
    "set: !!set {a, b}\nomap: !!omap [{a: 1}, {b: 2}]\npairs: !!pairs [{a: 1}, {a: 2}]\n",
    "bin: !!binary aGVsbG8=\nstr: !!str 123\nint: !!int '7'\nfloat: !!float '1'\n",
    "dup: 1\ndup: 2\n",
    "1: int key\n1.5: float key\ntrue: bool key\nnull: null key\n",
    "--- a\n--- [1]\n---\n--- {k: v}\n",
    "self: &s [1, *s]\n",
    "",
]


@pytest.mark.parametrize("text", _LOADER_CASES)
def test_the_loader_reads_what_safe_load_reads(text: str) -> None:
    def outcome(read: Any) -> str:
        try:
            return repr(read())  # repr shows recursion, types and order
        except yaml.YAMLError as error:
            return f"{type(error).__name__}: {error}"

    expected = outcome(
        lambda: [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d is not None]
    )
    assert outcome(lambda: yamlio.load_all(text)) == expected


def test_the_loader_reads_every_golden_file_as_safe_load_does() -> None:
    files = sorted((REPO / "tests" / "golden").rglob("*.yaml")) + sorted(
        (REPO / "out").rglob("*.yaml")
    )
    assert len(files) > 100
    for path in files:
        text = path.read_text(encoding="utf-8")
        expected = [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d is not None]
        assert yamlio.load_all(text) == expected, path


_data = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["yes", "0755", "1e3", "null", "12:30", "2001-12-14", "<<", "~"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(_data)
@settings(max_examples=300, deadline=None)
def test_the_loader_reads_dumped_data_as_safe_load_does(value: Any) -> None:
    for text in (yaml.safe_dump(value), yaml.safe_dump(value, default_flow_style=True)):
        expected = yaml.load(text, Loader=yaml.CSafeLoader)
        assert yamlio.load_all(text) == ([] if expected is None else [expected])


def test_the_loader_shares_one_string_for_a_repeated_key_or_value() -> None:
    # A render keeps every file's documents for validation: the same keys and values repeat in
    # each, and are held once.
    one = yamlio.load_all('apiVersion: apps/v1\nkind: "Deployment"\n')
    other = yamlio.load_all("apiVersion: apps/v1\nkind: Deployment\n")
    assert one == other == [{"apiVersion": "apps/v1", "kind": "Deployment"}]
    (first,), (second,) = one, other
    for (key, value), (key2, value2) in zip(first.items(), second.items(), strict=True):
        assert key is key2
        assert value is value2

"""safeyaml counts a document without aliases by a plain recursion (tree_size) instead of the
alias-aware walk (measure): the two must agree on every such document, including where one
refuses it, and a document with aliases must still be measured the careful way."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gigrouter import safeyaml

scalars = st.one_of(st.integers(-5, 5), st.text("ab:", max_size=3), st.booleans(), st.none())
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text("kxy", min_size=1, max_size=3), inner, max_size=4)
    ),
    max_leaves=40,
)


def _nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def _node(data: Any) -> yaml.Node:
    text = yaml.safe_dump(data, default_flow_style=None)
    assert "*" not in text
    node = yaml.compose(text, Loader=yaml.CSafeLoader)
    assert node is not None
    return node


def _careful(node: yaml.Node, budget: int) -> int | str:
    try:
        return safeyaml.measure(node, budget)
    except safeyaml.LimitError as exc:
        return exc.problem


@settings(max_examples=300, deadline=None)
@given(documents, st.integers(1, 200))
def test_the_plain_count_is_the_careful_count(data: Any, budget: int) -> None:
    node = _node(data)
    careful = _careful(node, budget)
    plain = safeyaml.tree_size(node, budget)
    if isinstance(careful, str):
        assert plain is None  # refused: measure then gives the message
    else:
        assert plain == careful


@pytest.mark.parametrize(
    "depth", [safeyaml.MAX_DEPTH - 1, safeyaml.MAX_DEPTH, safeyaml.MAX_DEPTH + 1]
)
def test_the_depth_bound_is_the_same(depth: int) -> None:
    node = _node(_nested(depth))
    careful = _careful(node, safeyaml.MAX_NODES)
    assert (safeyaml.tree_size(node) is None) == isinstance(careful, str)
    assert isinstance(careful, str) == (depth > safeyaml.MAX_DEPTH)


def test_a_document_with_aliases_is_measured_with_its_aliases_expanded() -> None:
    """A '*' anywhere sends the loader to measure: a billion laughs of small text is refused,
    where the plain count would see a few nodes."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 7):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(safeyaml.LimitError, match="expands to more than"):
        list(safeyaml.load_documents("\n".join(lines) + "\n"))


def test_loading_refuses_at_the_same_line_either_way() -> None:
    text = yaml.safe_dump(_nested(safeyaml.MAX_DEPTH + 5))
    with pytest.raises(safeyaml.LimitError) as plain:
        list(safeyaml.load_documents(text))
    with pytest.raises(safeyaml.LimitError) as aliased:
        list(safeyaml.load_documents(text + "---\nx: &y 1\nz: *y\n"))
    assert plain.value.problem == aliased.value.problem
    assert plain.value.problem_mark.line == aliased.value.problem_mark.line

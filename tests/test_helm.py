"""Chart facts written once (gigrouter/helm.py), read by docs, validate and plan."""

from __future__ import annotations

import pytest

from gigrouter.helm import CHART_CRD_GROUPS, grafana_fullname, helm_trunc


@pytest.mark.parametrize(
    ("release", "section", "name"),
    [
        ("monitoring", {}, "monitoring-grafana"),  # <release>-<chart>
        ("grafana-prod", {}, "grafana-prod"),  # the release already holds the chart name
        ("monitoring", {"nameOverride": "dash"}, "monitoring-dash"),
        ("dash-ops", {"nameOverride": "dash"}, "dash-ops"),
        ("monitoring", {"nameOverride": ""}, "monitoring-grafana"),  # empty: the default
        ("x", {"fullnameOverride": "dashboards"}, "dashboards"),
        ("x", {"fullnameOverride": "g" * 70}, "g" * 63),  # trunc 63
        ("x", {"fullnameOverride": "g" * 62 + "-x"}, "g" * 62),  # then one '-' trimmed
        ("r" * 60, {}, "r" * 60 + "-gr"),
    ],
)
def test_grafana_fullname_follows_the_chart_helper(
    release: str, section: dict[str, str], name: str
) -> None:
    assert grafana_fullname(release, section) == name


def test_helm_trunc_trims_one_trailing_dash_as_trim_suffix_does() -> None:
    assert helm_trunc("a--", 3) == "a-"
    assert helm_trunc("abc-def", 4) == "abc"
    assert helm_trunc("short") == "short"


def test_every_chart_names_real_api_groups() -> None:
    for chart, groups in CHART_CRD_GROUPS.items():
        assert groups, chart
        assert all("." in g and g == g.lower() for g in groups), chart

"""The metric dashboards (superset/assets) in a real Superset over a small simulated city's marts (the session
fixtures in tests/conftest.py): each has its district filter, and the leadership overview shows exactly what the marts
hold. Every chart's data request returning rows, and the headless-Chromium screenshots (skipped without Chromium), are
checked for all dashboards in test_superset.py."""

from __future__ import annotations

import json

import duckdb
import pytest

from huitong.serving.superset_server import SupersetServer
from tests.conftest import Serving

pytestmark = pytest.mark.slow

METRIC_DASHBOARDS = {
    "leadership-overview",
    "public-safety-trends",
    "video-network",
    "key-industry-collection",
    "data-integration-quality",
}
# Leadership overview KPI charts: the saved metric, and the same figure computed from the served mart.
LEADERSHIP = {
    "incidents_yoy": "sum(incidents) / sum(incidents_last_year) - 1",
    "criminal_yoy": "sum(criminal) / sum(criminal_last_year) - 1",
    "public_order_yoy": "sum(public_order) / sum(public_order_last_year) - 1",
    "robbery_theft_yoy": "sum(robbery_theft) / sum(robbery_theft_last_year) - 1",
    "clearance_rate": "sum(cleared) / sum(incidents)",
    "sense_of_security": "sum(feeling_safe) / sum(survey_responses)",
    "law_enforcement_satisfaction": "sum(satisfied) / sum(satisfaction_responses)",
    "fugitives_caught_total": "sum(fugitives_caught)",
    "fugitives_caught_yoy": "sum(fugitives_caught) / sum(fugitives_caught_last_year) - 1",
    "fugitive_catch_rate": "sum(fugitives_caught) / sum(fugitives_wanted)",
}


def dashboards(superset: SupersetServer) -> dict[str, dict]:
    client = superset.client()
    return {d["slug"]: d for d in client.dashboards()}


def test_metric_dashboards_are_loaded_with_a_district_filter(superset: SupersetServer) -> None:
    client = superset.client()
    found = dashboards(superset)
    assert found.keys() >= METRIC_DASHBOARDS
    for slug in METRIC_DASHBOARDS:
        metadata = json.loads(client.get(f"/api/v1/dashboard/{found[slug]['id']}")["result"]["json_metadata"])
        columns = {t["column"]["name"] for f in metadata["native_filter_configuration"] for t in f["targets"]}
        assert "jurisdiction_name" in columns, slug
        title = found[slug]["dashboard_title"]
        assert title[0] >= "\u4e00" and any(c.isascii() and c.isalpha() for c in title), (
            title
        )  # 中文 first, English


def test_leadership_overview_shows_the_marts_current_year(
    superset: SupersetServer, superset_serving: Serving
) -> None:
    client = superset.client()
    shown = {}
    for chart in client.dashboard_charts(dashboards(superset)["leadership-overview"]["id"]):
        metric = chart["form_data"].get("metric")
        if metric in LEADERSHIP:
            [result] = client.chart_data(chart["id"], force=True)
            shown[metric] = result["data"][0][metric]
    assert shown.keys() == LEADERSHIP.keys()
    with duckdb.connect(str(superset_serving.serving_db), read_only=True) as con:
        expected = dict(
            zip(
                LEADERSHIP,
                con.execute(
                    f"SELECT {', '.join(LEADERSHIP.values())} FROM marts.metric_public_safety_kpis "
                    "WHERE period_type = 'year' AND is_current"
                ).fetchone(),
                strict=True,
            )
        )
    assert shown == pytest.approx(expected)

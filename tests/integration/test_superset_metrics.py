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
        filters = metadata["native_filter_configuration"]
        columns = {t["column"]["name"] for f in filters for t in f["targets"] if "column" in t}
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


def test_the_leadership_period_filter_shows_any_year_or_month(
    superset: SupersetServer, superset_serving: Serving
) -> None:
    """Without a period the KPI charts show this year to date (the test above); the dashboard's period filter (one
    year or one month) makes the same charts show that period against the same period a year before. The filter's
    value reaches the charts' SQL through Superset's `filter_values` (superset_config.py)."""
    client = superset.client()
    leadership = dashboards(superset)["leadership-overview"]
    metadata = json.loads(client.get(f"/api/v1/dashboard/{leadership['id']}")["result"]["json_metadata"])
    [period] = [
        f
        for f in metadata["native_filter_configuration"]
        if any(t.get("column", {}).get("name") == "period_label" for t in f["targets"])
    ]
    assert period["controlValues"]["multiSelect"] is False  # a year with its own months would count twice
    charts = [
        c for c in client.dashboard_charts(leadership["id"]) if c["form_data"].get("metric") in LEADERSHIP
    ]
    with duckdb.connect(str(superset_serving.serving_db), read_only=True) as con:
        # Periods with a year before them in the city's police exports (they start on 1 January last year): this
        # year chosen explicitly, and a finished month of it.
        year, month = con.execute(
            "SELECT max(period_label) FILTER (WHERE period_type = 'year'),"
            " min(period_label) FILTER (WHERE period_type = 'month' AND NOT is_partial AND period_start >= ("
            "   SELECT max(period_start) FROM marts.metric_public_safety_kpis WHERE period_type = 'year'))"
            " FROM marts.metric_public_safety_kpis"
        ).fetchone()
        assert year and month
        figures = {}
        for label in (year, month):
            row = con.execute(
                f"SELECT {', '.join(LEADERSHIP.values())} FROM marts.metric_public_safety_kpis WHERE period_label = ?",
                [label],
            ).fetchone()
            expected = dict(zip(LEADERSHIP, row, strict=True))
            shown = {}
            for chart in charts:
                chosen = [{"col": "period_label", "op": "IN", "val": [label]}]
                [result] = client.chart_data_filtered(chart["id"], chosen)
                metric = chart["form_data"]["metric"]
                shown[metric] = result["data"][0][metric]
            assert shown == pytest.approx(expected, nan_ok=True), label
            figures[label] = expected
    assert (
        figures[year] != figures[month]
    )  # the month's figures are not the year's: the filter was what chose


# Dashboards whose dated charts take a period (native time-range filter on the dataset's date column); the charts
# showing the current state (cameras now, freshness now, linkage as of the last build) are outside its scope.
PERIOD_FILTERED = {"video-network": {"每月故障与修复 Outages and repairs per month"},
                   "key-industry-collection": {"采集覆盖率 Collection coverage",
                                               "各行业各辖区采集 Collection by industry and district",
                                               "各行业月度采集覆盖率 Coverage per industry per month"},
                   "data-integration-quality": {"各数据源批次 Batches by source", "数据校验结果 Validation results",
                                                "隔离率 Quarantine rate",
                                                "各数据源隔离行 Quarantined rows by source"}}  # fmt: skip


def test_period_filters_scope_the_dated_charts(superset: SupersetServer) -> None:
    client = superset.client()
    found = dashboards(superset)
    for slug, dated in PERIOD_FILTERED.items():
        dashboard_id = found[slug]["id"]
        metadata = json.loads(client.get(f"/api/v1/dashboard/{dashboard_id}")["result"]["json_metadata"])
        [period] = [f for f in metadata["native_filter_configuration"] if f["filterType"] == "filter_time"]
        charts = {c["id"]: c["slice_name"] for c in client.dashboard_charts(dashboard_id)}
        in_scope = {name for chart_id, name in charts.items() if chart_id not in period["scope"]["excluded"]}
        assert in_scope == dated, slug


def test_a_period_gives_the_coverage_of_its_months(
    superset: SupersetServer, superset_serving: Serving
) -> None:
    """The query the period filter makes (a TEMPORAL_RANGE on month_start) keeps the period's months, and the
    coverage shown equals the mart's over those months."""
    client = superset.client()
    charts = client.dashboard_charts(dashboards(superset)["key-industry-collection"]["id"])
    [coverage] = [c for c in charts if c["form_data"].get("viz_type") == "big_number_total"]
    [per_month] = [c for c in charts if c["form_data"].get("x_axis") == "month_start"]
    with duckdb.connect(str(superset_serving.serving_db), read_only=True) as con:
        months = [m for (m,) in con.execute(
            "SELECT DISTINCT month_start FROM marts.metric_key_industry_coverage ORDER BY 1").fetchall()]  # fmt: skip
        assert len(months) >= 2
        first, last = months[0], months[-1]  # the period: every month but the last
        expected = con.execute(
            "SELECT SUM(reporting_businesses) * 1.0 / SUM(registered_businesses) FROM marts.metric_key_industry_coverage"
            " WHERE month_start >= ? AND month_start < ?",
            [first, last],
        ).fetchone()[0]

    def in_period(chart: dict) -> dict:
        period = [{"col": "month_start", "op": "TEMPORAL_RANGE", "val": f"{first} : {last}"}]
        [result] = client.chart_data_filtered(chart["id"], period)
        return result

    assert in_period(coverage)["data"][0]["collection_coverage"] == pytest.approx(expected)
    shown = {row["month_start"] for row in in_period(per_month)["data"]}
    assert len(shown) == len(months) - 1

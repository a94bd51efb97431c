"""The leadership figures come out of the records: on a small simulated city loaded through the real land/load path,
the metric marts equal an independent computation straight from the bronze Iceberg tables, the demo profile's
calibrated figures appear, and a city simulated with other targets shows those instead."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from huitong.lake.catalog import get_catalog
from huitong.lake.duck import connect
from huitong.simulate import profiles
from huitong.simulate.public_safety import SafetyTargets, same_period_last_year
from tests.integration.metrics_city import MetricsCity, build_city, city_environment

pytestmark = pytest.mark.slow  # two simulated cities, each landed, loaded and built with dbt (~1 min each)

DEMO = profiles.get_profile("demo")
OTHER = SafetyTargets(
    incident_change=-0.10,
    criminal_change=-0.05,
    public_order_change=-0.20,
    robbery_theft_change=-0.30,
    clearance_rate=0.70,
    sense_of_security=0.95,
    fugitive_catch_rate=0.40,
    law_enforcement_satisfaction=0.93,
)


def bronze(con: duckdb.DuckDBPyConnection, table: str, name: str) -> None:
    """A view of one bronze Iceberg table, read from its current metadata file (no dbt, no lake views)."""
    location = get_catalog().load_table(f"bronze.{table}").metadata_location
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM iceberg_scan('{location}')")


def kpis_from_bronze(city: MetricsCity) -> dict[str, float]:
    """Year to date against the same period last year, city-wide, from bronze alone: each record's latest exported
    version (bronze keeps every export), dates cut from the local ISO text the police system wrote."""
    this_start, (ly_start, ly_end) = date(city.as_of.year, 1, 1), same_period_last_year(city.as_of)
    con = connect(Path(city.home) / "bronze_check.duckdb")
    try:
        bronze(con, "public_safety__incidents", "incidents_raw")
        bronze(con, "public_safety__survey_responses", "survey_raw")
        bronze(con, "public_safety__fugitives", "fugitives_raw")
        incidents = """
            SELECT incident_id, arg_max(category, (_watermark_at, updated_at)) AS category,
                   arg_max(two_robberies_one_theft, (_watermark_at, updated_at)) AS rt,
                   arg_max(cleared, (_watermark_at, updated_at)) AS cleared,
                   CAST(substr(min(occurred_at), 1, 10) AS DATE) AS day
            FROM incidents_raw GROUP BY incident_id"""
        row = con.execute(
            f"""WITH i AS ({incidents})
            SELECT count(*) FILTER (WHERE day >= $1 AND day < $2),
                   count(*) FILTER (WHERE day >= $3 AND day < $4),
                   count(*) FILTER (WHERE day >= $1 AND day < $2 AND category = 'criminal'),
                   count(*) FILTER (WHERE day >= $3 AND day < $4 AND category = 'criminal'),
                   count(*) FILTER (WHERE day >= $1 AND day < $2 AND category = 'public_order'),
                   count(*) FILTER (WHERE day >= $3 AND day < $4 AND category = 'public_order'),
                   count(*) FILTER (WHERE day >= $1 AND day < $2 AND rt = '1'),
                   count(*) FILTER (WHERE day >= $3 AND day < $4 AND rt = '1'),
                   count(*) FILTER (WHERE day >= $1 AND day < $2 AND cleared = '1')
            FROM i""",
            [this_start, city.as_of, ly_start, ly_end],
        ).fetchone()
        safe, answers, satisfied, satisfaction_answers = con.execute(
            """WITH s AS (SELECT response_id, arg_max(answer, (_watermark_at, updated_at)) AS answer,
                                 arg_max(satisfaction, (_watermark_at, updated_at)) AS satisfaction,
                                 CAST(min(survey_date) AS DATE) AS day
                          FROM survey_raw GROUP BY response_id)
               SELECT count(*) FILTER (WHERE answer IN ('很安全', '比较安全')), count(*),
                      count(*) FILTER (WHERE satisfaction IN ('满意', '比较满意')), count(satisfaction)
               FROM s WHERE day >= $1 AND day < $2""",
            [this_start, city.as_of],
        ).fetchone()
        # 追逃: wanted this year = registered before the report date and not caught before 1 Jan.
        caught, caught_last_year, wanted = con.execute(
            """WITH f AS (SELECT fugitive_key, CAST(substr(min(registered_at), 1, 10) AS DATE) AS registered,
                                 arg_max(caught, (_watermark_at, updated_at)) AS caught,
                                 CAST(substr(arg_max(caught_at, (_watermark_at, updated_at)), 1, 10) AS DATE) AS day
                          FROM fugitives_raw GROUP BY fugitive_key)
               SELECT count(*) FILTER (WHERE caught = '1' AND day >= $1 AND day < $2),
                      count(*) FILTER (WHERE caught = '1' AND day >= $3 AND day < $4),
                      count(*) FILTER (WHERE registered < $2 AND (caught = '0' OR day >= $1))
               FROM f""",
            [this_start, city.as_of, ly_start, ly_end],
        ).fetchone()
    finally:
        con.close()
    return {
        "incidents_yoy": row[0] / row[1] - 1,
        "criminal_yoy": row[2] / row[3] - 1,
        "public_order_yoy": row[4] / row[5] - 1,
        "robbery_theft_yoy": row[6] / row[7] - 1,
        "clearance_rate": row[8] / row[0],
        "sense_of_security": safe / answers,
        "law_enforcement_satisfaction": satisfied / satisfaction_answers,
        "fugitives_caught": caught,
        "fugitives_caught_yoy": caught / caught_last_year - 1,
        "fugitives_wanted": wanted,
        "fugitive_catch_rate": caught / wanted,
    }


def kpis_from_marts(city: MetricsCity) -> dict[str, float]:
    """The same figures as a dashboard reads them: the current year's rows of the mart, summed over districts."""
    with duckdb.connect(str(city.cfg.build_db), read_only=True) as con:
        row = con.execute(
            """SELECT sum(incidents) / sum(incidents_last_year) - 1, sum(criminal) / sum(criminal_last_year) - 1,
                      sum(public_order) / sum(public_order_last_year) - 1,
                      sum(robbery_theft) / sum(robbery_theft_last_year) - 1,
                      sum(cleared) / sum(incidents), sum(feeling_safe) / sum(survey_responses),
                      sum(satisfied) / sum(satisfaction_responses), sum(fugitives_caught),
                      sum(fugitives_caught) / sum(fugitives_caught_last_year) - 1, sum(fugitives_wanted),
                      sum(fugitives_caught) / sum(fugitives_wanted),
                      min(period_start), max(period_end)
               FROM marts.metric_public_safety_kpis WHERE period_type = 'year' AND is_current"""
        ).fetchone()
    assert row[-2:] == (date(city.as_of.year, 1, 1), city.as_of)  # the report runs up to the newest export
    names = ("incidents_yoy", "criminal_yoy", "public_order_yoy", "robbery_theft_yoy", "clearance_rate",
             "sense_of_security", "law_enforcement_satisfaction", "fugitives_caught", "fugitives_caught_yoy",
             "fugitives_wanted", "fugitive_catch_rate")  # fmt: skip
    return dict(zip(names, row[:-2], strict=True))


def assert_targets(got: dict[str, float], targets: SafetyTargets) -> None:
    """The dashboard's rounding of each figure is the profile's target."""
    assert round(got["incidents_yoy"], 2) == pytest.approx(targets.incident_change)
    assert round(got["criminal_yoy"], 2) == pytest.approx(targets.criminal_change)
    assert round(got["public_order_yoy"], 2) == pytest.approx(targets.public_order_change)
    assert round(got["robbery_theft_yoy"], 2) == pytest.approx(targets.robbery_theft_change)
    assert round(got["clearance_rate"], 3) == pytest.approx(targets.clearance_rate)
    assert round(got["sense_of_security"], 4) == pytest.approx(targets.sense_of_security)
    assert round(got["law_enforcement_satisfaction"], 4) == pytest.approx(
        targets.law_enforcement_satisfaction
    )
    # Exactly round(rate * wanted) of this year's wanted fugitives are caught: the rate to within half a fugitive.
    assert got["fugitives_wanted"] >= 20
    assert (
        abs(got["fugitive_catch_rate"] - targets.fugitive_catch_rate) <= 0.5 / got["fugitives_wanted"] + 1e-12
    )


@pytest.fixture(scope="module")
def other_city(tmp_path_factory):
    """A city simulated with other public-safety targets (police exports and divisions only)."""
    home = tmp_path_factory.mktemp("other_city") / "home"
    with pytest.MonkeyPatch.context() as mp, city_environment(home):
        mp.setitem(profiles.PROFILES, "other", replace(DEMO, name="other", safety=OTHER))
        return build_city(
            home, as_of=date(2026, 3, 10), start=date(2026, 2, 20), profile="other",
            sources=("reference.admin_divisions", "public_safety.incidents", "public_safety.survey_responses",
                     "public_safety.fugitives"),
            hotel=False,
            select="+marts.public_safety",
        )  # fmt: skip


def test_public_safety_kpis_equal_an_independent_computation_from_bronze(metrics_city):
    with city_environment(metrics_city.home):
        from_bronze = kpis_from_bronze(metrics_city)
    from_marts = kpis_from_marts(metrics_city)
    assert from_marts == pytest.approx(from_bronze, abs=1e-12)
    assert_targets(from_marts, DEMO.safety)


def test_video_and_collection_coverage_equal_bronze(metrics_city):
    with city_environment(metrics_city.home):
        con = connect(metrics_city.home / "bronze_check.duckdb")
        try:
            bronze(con, "reference__admin_divisions", "divisions")
            bronze(con, "camera__devices", "devices")
            bronze(con, "reference__key_businesses", "registry")
            bronze(con, "trade__trades", "trades")
            bronze(con, "parcel__waybills", "waybills")
            bronze(con, "hotel__registrations", "stays")
            covered, villages = con.execute(
                """SELECT count(DISTINCT d.civil_code), (SELECT count(*) FROM divisions WHERE level = 'village')
                   FROM devices AS d JOIN divisions AS v ON v.division_code = d.civil_code AND v.level = 'village'"""
            ).fetchone()
            # Per month and industry: registered businesses that sent at least one stay, trade or waybill.
            expected = dict(
                ((m, ind), cov)
                for m, ind, cov in con.execute(
                    """WITH reported AS (
                           SELECT DISTINCT substr(trade_time, 1, 7) AS month, shop_code AS code FROM trades
                           UNION SELECT DISTINCT substr(event_time, 1, 7), outlet_code FROM waybills
                           UNION SELECT DISTINCT substr(checkin_time, 1, 7), hotel_code FROM stays),
                       months AS (SELECT DISTINCT month FROM reported)
                       SELECT m.month, r.industry,
                              count(DISTINCT p.code) / count(DISTINCT r.business_code)
                       FROM months AS m CROSS JOIN registry AS r
                       LEFT JOIN reported AS p ON p.month = m.month AND p.code = r.business_code
                       GROUP BY ALL"""
                ).fetchall()
            )
        finally:
            con.close()
    with duckdb.connect(str(metrics_city.cfg.build_db), read_only=True) as con:
        coverage = con.execute(
            "SELECT sum(villages_covered) / sum(villages), sum(villages) FROM marts.metric_video_coverage"
        ).fetchone()
        marts = dict(
            ((m.strftime("%Y-%m"), ind), cov)
            for m, ind, cov in con.execute(
                """SELECT month_start, industry, sum(reporting_businesses) / sum(registered_businesses)
                   FROM marts.metric_key_industry_coverage GROUP BY ALL"""
            ).fetchall()
        )
    assert coverage == pytest.approx((covered / villages, villages))
    assert round(coverage[0], 2) == DEMO.village_camera_coverage
    assert marts == pytest.approx(expected)
    # The loaded industries reach the briefing's >= 90% every month; the rental database was not loaded in this
    # city, so its agencies count as silent.
    for (month, industry), value in marts.items():
        if industry != "rental_agency":
            assert value >= 0.9, (month, industry)
        else:
            assert value == 0, (month, industry)


def test_another_profile_moves_the_kpis_to_its_targets(other_city, metrics_city):
    other, demo = kpis_from_marts(other_city), kpis_from_marts(metrics_city)
    assert_targets(other, OTHER)
    with city_environment(other_city.home):
        assert other == pytest.approx(kpis_from_bronze(other_city), abs=1e-12)
    rates = [k for k in other if k not in ("fugitives_caught", "fugitives_wanted", "fugitives_caught_yoy")]
    assert all(abs(other[k] - demo[k]) > 0.01 for k in rates), (other, demo)


def test_every_mart_column_with_personal_data_is_one_the_policy_masks(metrics_city):
    """Trino's rules name masked columns exactly: a token, name, address or raw identifier column in a mart that the
    policy does not list would reach leadership and district analysts unmasked."""
    from huitong.policy import Policy, repo_policy_file

    with duckdb.connect(str(metrics_city.cfg.build_db), read_only=True) as con:
        columns = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts'"
            ).fetchall()
        }
    assert "jurisdiction_code" in columns
    assert Policy.load(repo_policy_file()).unlisted_personal_columns(sorted(columns)) == []


def test_dbt_docs_describe_every_mart_of_the_build(metrics_city):
    """`huitong docs generate` over a real build: the published docs (static page, manifest, catalog) cover every
    table in the build's marts schema, each with its description and its columns' types from the catalog."""
    import json

    from huitong.serving.docs import current_docs, generate

    with city_environment(metrics_city.home):
        release = generate(metrics_city.cfg)
    assert current_docs(metrics_city.cfg).resolve() == release.resolve()
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((release / "catalog.json").read_text(encoding="utf-8"))
    page = (release / "index.html").read_text(encoding="utf-8")
    with duckdb.connect(str(metrics_city.cfg.build_db), read_only=True) as con:
        built = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'"
            ).fetchall()
        }
    assert "metric_public_safety_kpis" in built
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    in_catalog = {
        n["metadata"]["name"]: n for n in catalog["nodes"].values() if n["metadata"]["schema"] == "marts"
    }
    for table in sorted(built):
        assert models[table]["description"].strip(), f"{table} has no description"
        assert in_catalog[table]["columns"], f"{table} is not in the catalog"
        assert table in page
    kpis = models["metric_public_safety_kpis"]["columns"]
    assert kpis["fugitive_catch_rate"]["description"] and kpis["law_enforcement_satisfaction"]["description"]


# Sensitive categories Huitong never models (README, docs/access-policy.md), in English and pinyin; matched against
# whole words of snake_case column names so `destination` or `trace_id` do not trip it.
SENSITIVE_WORDS = {
    "ethnic", "ethnicity", "race", "nation", "nationality", "minzu", "religion", "religious", "faith", "zongjiao",
    "health", "medical", "disease", "diagnosis", "illness", "disability", "blood", "jiankang", "sexual",
}  # fmt: skip


def test_no_sensitive_category_anywhere_in_the_lake_or_the_build(metrics_city):
    """Every column of every schema the build reads or writes (bronze views over all sources, staging,
    intermediate, marts, quarantine, ops): none names ethnicity, religion, health or a similar category."""
    with duckdb.connect(str(metrics_city.cfg.build_db), read_only=True) as con:
        columns = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns"
        ).fetchall()
    assert {schema for schema, _, _ in columns} >= {"bronze", "marts"}
    assert len(columns) > 300
    flagged = [
        f"{schema}.{table}.{column}"
        for schema, table, column in columns
        if SENSITIVE_WORDS & set(column.lower().split("_"))
        or any(w in column for w in ("民族", "宗教", "健康"))
    ]
    assert flagged == []

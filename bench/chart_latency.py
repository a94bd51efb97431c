"""Chart query latency: the leadership and public-safety dashboards' queries at the demo scale and at 10M fact rows.

For each scale, synthetic public-safety facts of the marts' shape (fct_incidents, fct_disputes, fct_survey_responses,
the fugitive events per day and dim_jurisdiction: eight districts, two years) are written into a fresh DuckDB build, the REAL dbt models build
the metric marts on top of them (int_reporting_period* -> metric_public_safety_kpis, metric_disputes), the build is
published exactly as the pipeline does (immutable copy, symlink swap), and each chart's SQL (what Superset sends for
the committed charts) runs REPEATS times, each time on a fresh read-only connection to serving/current.duckdb, as
Superset's NullPool does. Reported: p50/p95 per query and the ratio of each p95 to the same query's p95 at the
demo scale (the baseline, same script, same machine). One query reads the 10M-row fact table directly (no mart),
to show what the marts save. Writes bench/results/chart_latency.json and chart_latency.png.

    .venvs/core/bin/python bench/chart_latency.py                 # demo (~15k incidents) and 10M incidents
    .venvs/core/bin/python bench/chart_latency.py --rows 1000000  # a smaller second scale
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from bench_common import save_results

ROOT = Path(__file__).resolve().parents[1]
REPORT_DATE = date(2026, 11, 23)
FIRST_DAY = date(2025, 1, 1)
DISTRICTS = [(f"3299{n:02d}", f"区县{n:02d}") for n in (2, 3, 4, 5, 21, 22, 23, 81)]
DEMO_INCIDENTS = 15_000  # what `huitong simulate --scale 1` produces over two years, rounded up
MODELS = "int_reporting_period int_reporting_periods int_reporting_period_districts metric_public_safety_kpis metric_disputes"

KPIS = "marts.metric_public_safety_kpis"
QUERIES = {
    # 领导总览: one big number (the six KPI charts are this query with another metric)
    "kpi_big_number": f"""SELECT SUM(incidents) * 1.0 / NULLIF(SUM(incidents_last_year), 0) - 1 AS incidents_yoy
        FROM {KPIS} WHERE period_type = 'year' AND is_current = true LIMIT 50000""",
    # 领导总览: KPIs by district table
    "kpi_by_district": f"""SELECT jurisdiction_name, SUM(incidents) AS incidents_total,
        SUM(incidents) * 1.0 / NULLIF(SUM(incidents_last_year), 0) - 1 AS incidents_yoy,
        SUM(criminal) * 1.0 / NULLIF(SUM(criminal_last_year), 0) - 1 AS criminal_yoy,
        SUM(public_order) * 1.0 / NULLIF(SUM(public_order_last_year), 0) - 1 AS public_order_yoy,
        SUM(robbery_theft) * 1.0 / NULLIF(SUM(robbery_theft_last_year), 0) - 1 AS robbery_theft_yoy,
        SUM(cleared) * 1.0 / NULLIF(SUM(incidents), 0) AS clearance_rate,
        SUM(feeling_safe) * 1.0 / NULLIF(SUM(survey_responses), 0) AS sense_of_security,
        SUM(satisfied) * 1.0 / NULLIF(SUM(satisfaction_responses), 0) AS law_enforcement_satisfaction,
        SUM(fugitives_caught) * 1.0 / NULLIF(SUM(fugitives_wanted), 0) AS fugitive_catch_rate
        FROM {KPIS} WHERE period_type = 'year' AND is_current = true
        GROUP BY jurisdiction_name ORDER BY incidents_total DESC LIMIT 1000""",
    # 治安态势: fugitives caught and registered per month
    "fugitives_monthly": f"""SELECT DATE_TRUNC('month', period_start) AS period_start,
        SUM(fugitives_caught) AS fugitives_caught_total, SUM(fugitives_registered) AS fugitives_registered_total
        FROM {KPIS} WHERE period_type = 'month' GROUP BY 1 ORDER BY fugitives_caught_total DESC LIMIT 10000""",
    # 治安态势: monthly incidents vs last year
    "monthly_trend": f"""SELECT DATE_TRUNC('month', period_start) AS period_start, SUM(incidents) AS incidents_total,
        SUM(incidents_last_year) AS incidents_last_year_total FROM {KPIS} WHERE period_type = 'month'
        GROUP BY 1 ORDER BY incidents_total DESC LIMIT 10000""",
    # 治安态势: disputes found vs resolved per month
    "disputes_monthly": """SELECT DATE_TRUNC('month', period_start) AS period_start,
        SUM(disputes_found) AS found, SUM(disputes_resolved) AS resolved FROM marts.metric_disputes
        WHERE period_type = 'month' GROUP BY 1 LIMIT 10000""",
    # No mart: the same monthly trend straight from the fact table
    "facts_direct_monthly": """SELECT DATE_TRUNC('month', occurred_date) AS month, jurisdiction_code, COUNT(*) AS incidents
        FROM marts.fct_incidents GROUP BY 1, 2 LIMIT 10000""",
}


def synthetic_facts(con: duckdb.DuckDBPyConnection, incidents: int, seed: int) -> dict[str, int]:
    """Facts of the marts' shape: this year's counts ~25% below last year's, 55% cleared, 98% feeling safe."""
    rng = np.random.default_rng(seed)
    span = (REPORT_DATE - FIRST_DAY).days
    first = np.datetime64(FIRST_DAY)
    codes = np.array([c for c, _ in DISTRICTS], dtype=object)

    def days(n: int) -> np.ndarray:
        # a quarter fewer cases per day this year: accept later days with probability 0.75
        d = rng.integers(0, span, int(n * 1.2))
        this_year = d >= (date(REPORT_DATE.year, 1, 1) - FIRST_DAY).days
        d = d[~this_year | (rng.random(len(d)) < 0.75)][:n]
        return first + d.astype("timedelta64[D]")

    occurred = days(incidents)
    n = len(occurred)
    category = np.where(rng.random(n) < 0.45, "criminal", "public_order").astype(object)
    criminal = category == "criminal"
    cleared = rng.random(n) < 0.55
    con.register(
        "incidents_arrow",
        pa.table({
            "incident_id": [f"AJ{i:010d}" for i in range(n)],
            "category": category, "is_criminal": criminal, "is_public_order": ~criminal,
            "is_two_robberies_one_theft": criminal & (rng.random(n) < 0.4),
            "occurred_date": occurred, "reported_date": occurred, "is_cleared": cleared,
            "cleared_date": np.where(cleared, occurred + np.timedelta64(3, "D"), np.datetime64("NaT")),
            "jurisdiction_code": codes[rng.integers(0, len(codes), n)],
        }),
    )  # fmt: skip
    con.execute("CREATE TABLE marts.fct_incidents AS SELECT * FROM incidents_arrow")
    m = max(1000, n // 5)
    found = days(m)
    resolved = rng.random(len(found)) < 0.95
    con.register(
        "disputes_arrow",
        pa.table({
            "dispute_id": [f"JF{i:010d}" for i in range(len(found))], "found_date": found, "is_resolved": resolved,
            "resolved_date": np.where(resolved, found + np.timedelta64(2, "D"), np.datetime64("NaT")),
            "jurisdiction_code": codes[rng.integers(0, len(codes), len(found))],
        }),
    )  # fmt: skip
    con.execute("CREATE TABLE marts.fct_disputes AS SELECT * FROM disputes_arrow")
    s = max(5000, n // 10)
    con.register(
        "survey_arrow",
        pa.table({
            "response_id": [f"SV{i:010d}" for i in range(s)],
            "survey_date": first + rng.integers(0, span, s).astype("timedelta64[D]"),
            "is_feeling_safe": rng.random(s) < 0.9866,
            "is_satisfied": rng.random(s) < 0.9724,
            "jurisdiction_code": codes[rng.integers(0, len(codes), s)],
        }),
    )  # fmt: skip
    con.execute("CREATE TABLE marts.fct_survey_responses AS SELECT * FROM survey_arrow")
    # 追逃: fugitive records (one per 50 incidents, some registered years before) counted per day and district, the
    # shape int_public_safety_fugitive_events has; ~60% caught, a few weeks after registration.
    f = max(500, n // 50)
    backlog = np.where(rng.random(f) < 0.3, rng.integers(0, 3 * 365, f), 0)
    registered = days(f) - backlog.astype("timedelta64[D]")
    caught = rng.random(f) < 0.6
    caught_on = registered + rng.integers(1, 90, f).astype("timedelta64[D]")
    caught = caught & (caught_on < np.datetime64(REPORT_DATE))
    district = codes[rng.integers(0, len(codes), f)]
    con.register(
        "fugitive_arrow",
        pa.table({
            "event_date": np.concatenate([registered, caught_on[caught]]),
            "jurisdiction_code": np.concatenate([district, district[caught]]),
            "event": np.array(["registered"] * f + ["caught"] * int(caught.sum()), dtype=object),
        }),
    )  # fmt: skip
    con.execute(
        "CREATE TABLE intermediate.int_public_safety_fugitive_events AS SELECT event_date, jurisdiction_code, "
        "event, count(*) AS events FROM fugitive_arrow GROUP BY ALL"
    )
    con.execute(
        "CREATE TABLE marts.dim_jurisdiction AS SELECT * FROM (VALUES "
        + ", ".join(f"('{c}', '{name}', 'district')" for c, name in DISTRICTS)
        + ") AS t (jurisdiction_code, jurisdiction_name, jurisdiction_level)"
    )
    # The period x district grid reads the districts from staging (intermediate models never read marts).
    con.execute(
        "CREATE VIEW staging.stg_reference__admin_divisions AS SELECT jurisdiction_code AS division_code, "
        "jurisdiction_name AS division_name, jurisdiction_level AS division_level FROM marts.dim_jurisdiction"
    )
    # int_reporting_period reads the newest police export day from staging.
    for entity, fact, day in (
        ("incidents", "fct_incidents", "reported_date"),
        ("disputes", "fct_disputes", "found_date"),
    ):
        con.execute(
            f"CREATE VIEW staging.stg_public_safety__{entity} AS SELECT {day} AS export_date FROM marts.{fact}"
        )
    return {"incidents": n, "disputes": len(found), "survey_responses": s, "fugitives": f}


def build(home: Path, incidents: int, seed: int) -> dict:
    """Synthetic facts, then the real dbt models over them, then publish; returns sizes and build time."""
    from huitong.config import load_settings
    from huitong.serving.publish import publish

    build_db = home / "warehouse" / "build.duckdb"
    build_db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(build_db)) as con:
        for schema in ("staging", "intermediate", "marts"):
            con.execute(f"CREATE SCHEMA {schema}")
        sizes = synthetic_facts(con, incidents, seed)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    env.update(HUITONG_HOME=str(home), DBT_PROFILES_DIR=str(ROOT / "dbt_project"), DBT_LOG_PATH=str(home / "logs"),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.run(
        [str(ROOT / ".venvs" / "core" / "bin" / "dbt"), "run", "--select", *MODELS.split(),
         "--target-path", str(home / "target"), "--vars", f"{{report_date: '{REPORT_DATE}'}}"],
        cwd=ROOT / "dbt_project", env=env, capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(proc.stdout[-4000:])
    dbt_s = time.perf_counter() - started
    publish(replace(load_settings(), home=home), build_db)
    with duckdb.connect(str(build_db), read_only=True) as con:
        mart_rows = con.execute(f"SELECT count(*) FROM {KPIS}").fetchone()[0]
    return {**sizes, "kpi_mart_rows": mart_rows, "dbt_build_s": round(dbt_s, 2)}


def time_queries(serving_db: Path, repeats: int) -> dict[str, dict[str, float]]:
    out = {}
    for name, sql in QUERIES.items():
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            con = duckdb.connect(
                str(serving_db), read_only=True
            )  # a fresh connection per query, like NullPool
            rows = con.execute(sql).fetchall()
            con.close()
            samples.append(time.perf_counter() - started)
            assert rows, name
        samples.sort()
        out[name] = {
            "p50_ms": round(statistics.median(samples) * 1000, 2),
            "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))] * 1000, 2),
            "rows": len(rows),
        }
    return out


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(QUERIES)
    scales = list(result["scales"])
    fig, ax = plt.subplots(figsize=(8, 3.8))
    width = 0.8 / len(scales)
    for i, scale in enumerate(scales):
        values = [result["scales"][scale]["queries"][q]["p95_ms"] for q in names]
        ax.bar([x + i * width for x in range(len(names))], values, width, label=scale)
    ax.axhline(1000, color="red", linestyle="--", linewidth=1, label="1 s target")
    ax.set_yscale("log")
    ax.set_xticks(
        [x + width * (len(scales) - 1) / 2 for x in range(len(names))], names, rotation=15, fontsize=8
    )
    ax.set_ylabel("p95 latency (ms, log)")
    ax.set_title("Chart query p95: demo scale vs 10M incidents (2 cores)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000, help="incident rows of the large scale")
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from huitong.lake.duck import connect

    connect(":memory:").close()  # installs DuckDB's extensions from their wheels, as the pipeline does
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "duckdb": duckdb.__version__},
        "repeats": args.repeats, "baseline": "demo", "scales": {},
    }  # fmt: skip
    for label, incidents in (
        ("demo", DEMO_INCIDENTS),
        (f"{args.rows // 1_000_000}M" if args.rows >= 1_000_000 else str(args.rows), args.rows),
    ):
        home = Path(tempfile.mkdtemp(prefix=f"chart_latency_{label}_"))
        try:
            sizes = build(home, incidents, args.seed)
            queries = time_queries(home / "serving" / "current.duckdb", args.repeats)
        finally:
            shutil.rmtree(home, ignore_errors=True)
        result["scales"][label] = {"sizes": sizes, "queries": queries}
        print(label, json.dumps(sizes), flush=True)
        for name, q in queries.items():
            print(f"  {name:22s} p50 {q['p50_ms']:8.1f} ms  p95 {q['p95_ms']:8.1f} ms", flush=True)
    base = result["scales"]["demo"]["queries"]
    for scale in result["scales"].values():
        for name, q in scale["queries"].items():
            q["p95_ratio_vs_demo"] = round(q["p95_ms"] / base[name]["p95_ms"], 2)
            q["under_1s"] = q["p95_ms"] < 1000
    save_results("chart_latency", result, lambda png: plot(result, png))
    print(
        json.dumps(
            {
                k: {q: v["p95_ratio_vs_demo"] for q, v in s["queries"].items()}
                for k, s in result["scales"].items()
            }
        )
    )


if __name__ == "__main__":
    main()

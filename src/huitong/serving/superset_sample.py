"""A small served DuckDB of the documented mart shape, for Superset's tests and a demo without the pipeline.

The mart is ``marts.metric_hotel_stays_daily(stay_date DATE, district_code VARCHAR, district_name VARCHAR,
stays BIGINT, guests BIGINT)``: hotel stays that began that day, and the distinct guests among them. It is
published exactly as a dbt build is (huitong.serving.publish), so Superset reads it the same way.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np

from huitong.config import load_settings
from huitong.serving.publish import publish

# Made-up districts (province code 99 does not exist), so nothing here looks like a real place's figures.
DISTRICTS = [
    ("990102", "东湖区"),
    ("990103", "西岭区"),
    ("990104", "南港区"),
    ("990105", "北塘区"),
    ("990111", "高新区"),
]


def write_hotel_stays_build(
    path: Path, *, days: int = 60, seed: int = 7, start: date = date(2026, 9, 1)
) -> int:
    """Write a DuckDB build holding marts.metric_hotel_stays_daily; returns its total stays."""
    rng = np.random.default_rng(seed)
    rows = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        weekend = 10 if day.weekday() >= 4 else 0
        for i, (code, name) in enumerate(DISTRICTS):
            stays = int(rng.poisson(20 + 8 * i + weekend))
            rows.append((day, code, name, stays, max(0, stays - int(rng.integers(0, 3)))))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(
            "CREATE TABLE marts.metric_hotel_stays_daily "
            "(stay_date DATE, district_code VARCHAR, district_name VARCHAR, stays BIGINT, guests BIGINT)"
        )
        con.executemany("INSERT INTO marts.metric_hotel_stays_daily VALUES (?, ?, ?, ?, ?)", rows)
    return sum(r[3] for r in rows)


def publish_build(home: Path, build: Path) -> Path:
    """Publish a build into ``home`` as the pipeline does: an immutable release, then an atomic symlink swap."""
    return publish(replace(load_settings(), home=home), build)


def main() -> None:
    """Write and publish the sample under $HUITONG_HOME (docs/superset.md: a demo without the pipeline)."""
    cfg = load_settings()
    build = cfg.home / "warehouse" / "superset_sample.duckdb"
    total = write_hotel_stays_build(build)
    release = publish_build(cfg.home, build)
    print(f"published a sample mart ({total} stays) as {release}")


if __name__ == "__main__":
    main()


def add_marts(build: Path, source: Path) -> list[str]:
    """Copy every marts table of the dbt build ``source`` that ``build`` lacks into ``build`` (the Superset tests
    serve the sample hotel mart beside a small simulated city's metric marts). Returns the tables copied."""
    with duckdb.connect(str(build)) as con:
        con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
        have = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name <> 'src'"
            ).fetchall()
        }
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'src' AND schema_name = 'marts' "
                "ORDER BY table_name"
            ).fetchall()
            if r[0] not in have
        ]
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for table in tables:
            con.execute(f'CREATE TABLE marts."{table}" AS SELECT * FROM src.marts."{table}"')
        con.execute("DETACH src")
    return tables

"""Shared fixtures for integration tests: a real Superset bootstrapped into a temporary HUITONG_HOME.

``superset_serving`` says which home and served DuckDB Superset shows. By default it writes a small mart of the
documented shape and publishes it the way the pipeline does; set HUITONG_SUPERSET_TEST_HOME to an existing home
(with serving/current.duckdb published) to point the same fixtures at real pipeline output, or override the
fixture in a nearer conftest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from huitong.config import load_settings
from huitong.serving.publish import publish
from huitong.serving.superset_server import SupersetServer

# Made-up districts (province code 99 does not exist), so nothing here looks like a real place's figures.
DISTRICTS = [
    ("990102", "东湖区"),
    ("990103", "西岭区"),
    ("990104", "南港区"),
    ("990105", "北塘区"),
    ("990111", "高新区"),
]


@dataclass(frozen=True)
class Serving:
    home: Path
    serving_db: Path


def write_hotel_stays_build(
    path: Path, *, days: int = 60, seed: int = 7, start: date = date(2026, 9, 1)
) -> int:
    """Write a DuckDB build holding marts.metric_hotel_stays_daily; returns its total stays."""
    rng = np.random.default_rng(seed)
    rows = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        for i, (code, name) in enumerate(DISTRICTS):
            stays = int(rng.poisson(20 + 8 * i + (10 if day.weekday() >= 4 else 0)))
            guests = max(0, stays - int(rng.integers(0, 3)))
            rows.append((day, code, name, stays, guests))
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
    """Publish a build as the pipeline does: an immutable release and an atomic swap of current.duckdb."""
    return publish(replace(load_settings(), home=home), build)


@pytest.fixture(scope="session")
def superset_serving(tmp_path_factory: pytest.TempPathFactory) -> Serving:
    given = os.environ.get("HUITONG_SUPERSET_TEST_HOME")
    if given:
        home = Path(given).resolve()
        return Serving(home, home / "serving" / "current.duckdb")
    home = tmp_path_factory.mktemp("superset_home")
    build = home / "warehouse" / "build.duckdb"
    write_hotel_stays_build(build)
    publish_build(home, build)
    return Serving(home, home / "serving" / "current.duckdb")


@pytest.fixture(scope="session")
def superset(superset_serving: Serving) -> Iterator[SupersetServer]:
    """Superset bootstrapped (metadata DB, admin, dashboards imported) and serving on a free loopback port."""
    server = SupersetServer(home=superset_serving.home, serving_db=superset_serving.serving_db)
    server.init()
    server.start()
    try:
        yield server
    finally:
        server.stop()

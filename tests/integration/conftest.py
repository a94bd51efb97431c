"""Shared fixtures for integration tests: a real Superset bootstrapped into a temporary HUITONG_HOME.

``superset_serving`` says which home and served DuckDB Superset shows. By default it writes a small mart of the
documented shape and publishes it the way the pipeline does; set HUITONG_SUPERSET_TEST_HOME to an existing home
(with serving/current.duckdb published) to point the same fixtures at real pipeline output, or override
``superset_serving`` in a nearer conftest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from huitong.serving.superset_sample import publish_build, write_hotel_stays_build
from huitong.serving.superset_server import SupersetServer


@dataclass(frozen=True)
class Serving:
    home: Path
    serving_db: Path
    owned: bool  # written by the fixture, so tests may publish into it


@pytest.fixture(scope="session")
def superset_serving(tmp_path_factory: pytest.TempPathFactory) -> Serving:
    given = os.environ.get("HUITONG_SUPERSET_TEST_HOME")
    if given:
        home = Path(given).resolve()
        serving_db = home / "serving" / "current.duckdb"
        if not serving_db.exists():
            pytest.fail(f"HUITONG_SUPERSET_TEST_HOME={given} has no published serving/current.duckdb")
        return Serving(home, serving_db, owned=False)
    home = tmp_path_factory.mktemp("superset_home")
    build = home / "warehouse" / "build.duckdb"
    write_hotel_stays_build(build)
    publish_build(home, build)
    return Serving(home, home / "serving" / "current.duckdb", owned=True)


@pytest.fixture(scope="session")
def superset(superset_serving: Serving, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupersetServer]:
    """Superset bootstrapped (metadata DB, admin, dashboards imported) and serving on a free loopback port.
    Its metadata DB lives in a temporary folder, so a given home's own Superset is never touched."""
    server = SupersetServer(
        home=superset_serving.home,
        serving_db=superset_serving.serving_db,
        state_dir=tmp_path_factory.mktemp("superset_state"),
    )
    server.init()
    server.start()
    try:
        yield server
    finally:
        server.stop()

"""Shared fixtures. Every test runs against its own HUITONG_HOME so no test sees another's lake."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from huitong.config import settings
from huitong.serving.superset_sample import add_marts, publish_build, write_hotel_stays_build
from huitong.serving.superset_server import SupersetServer

PROJECT_ROOT = Path(__file__).resolve().parents[1]
VENVS = PROJECT_ROOT / ".venvs"


@pytest.fixture
def huitong_home(tmp_path, monkeypatch) -> Path:
    """A fresh, empty HUITONG_HOME for one test."""
    home = tmp_path / "home"
    monkeypatch.setenv("HUITONG_HOME", str(home))
    for name in ("HUITONG_PROFILE", "HUITONG_CATALOG_URI", "HUITONG_WAREHOUSE", "HUITONG_HMAC_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings.cache_clear()
    yield home
    settings.cache_clear()


# ---- `make test` runs on pytest-xdist workers with --dist loadgroup. A module's tests stay together (its module
# fixtures are built once), and modules that share a project session fixture (the metrics city and Superset, the
# fault city) share one group, so only one worker builds such a fixture, once.

# superset_serving asks for the metrics city only when it builds its own home (request.getfixturevalue), so the
# fixture closure pytest computes does not show that dependency.
LAZY_SESSION_DEPENDENCIES = {"tests::superset_serving": {"tests::metrics_city"}}


def xdist_groups(items: list[pytest.Item]) -> dict[str, str]:
    """Module path -> group name (the stem of the first module of its group)."""
    modules: dict[str, set[str]] = {}
    for item in items:
        shared = modules.setdefault(item.nodeid.split("::")[0], set())
        for name, defs in item._fixtureinfo.name2fixturedefs.items():
            # baseid "" marks plugins' fixtures (tmp_path_factory...), cheap and per worker anyway.
            if defs and defs[-1].scope == "session" and defs[-1].baseid:
                fixture = f"{defs[-1].baseid}::{name}"
                shared |= {fixture, *LAZY_SESSION_DEPENDENCIES.get(fixture, ())}
    parent = {module: module for module in modules}

    def root(module: str) -> str:
        while parent[module] != module:
            module = parent[module]
        return module

    owner: dict[str, str] = {}
    for module, fixtures in modules.items():
        for fixture in sorted(fixtures):
            if fixture in owner:
                parent[root(module)] = root(owner[fixture])
            else:
                owner[fixture] = module
    return {module: Path(root(module)).stem for module in modules}


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]):
    groups = xdist_groups(items)
    for item in items:
        if not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(groups[item.nodeid.split("::")[0]]))
    result = yield
    # pytest-xdist 3.8 marks a test's group by appending "@group" to `item._nodeid`, which pytest 9 no longer reads
    # (it keeps the id in `item._id`), so on pytest 9 every test would be scheduled alone. Do what xdist means to.
    if getattr(config.option, "loadgroup", False):
        from _pytest.nodeid import NodeId

        for item in items:
            marker = item.get_closest_marker("xdist_group")
            if marker and "@" not in item.nodeid:
                item._id = NodeId.parse(f"{item.nodeid}@{marker.args[0]}")
    return result


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment the Makefile gives Airflow, pointed at a test's own home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        HUITONG_HOME=str(home),
        HUITONG_PROJECT_ROOT=str(PROJECT_ROOT),
        HUITONG_CORE_BIN=str(VENVS / "core" / "bin"),
        DBT_PROFILES_DIR=str(PROJECT_ROOT / "dbt_project"),
        AIRFLOW_HOME=str(home / "airflow"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow' / 'airflow.db'}?timeout=60",
        AIRFLOW__CORE__DAGS_FOLDER=str(PROJECT_ROOT / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__COSMOS__ENABLE_TELEMETRY="False",
        AIRFLOW__COSMOS__CACHE_DIR=str(home / "airflow" / "cosmos"),
        PATH=f"{VENVS / 'airflow' / 'bin'}:{os.environ.get('PATH', '')}",
        PYTHONPATH=str(PROJECT_ROOT / "dags"),
        # The tests run DAG runs of past intervals: a task runs only on or after its DAG's start_date (make's
        # own HUITONG_SCHEDULE_START is the day before today).
        HUITONG_SCHEDULE_START="2025-01-01",
    )
    env.update(extra)
    return env


def run_airflow(*args: str, env: dict[str, str], timeout: int = 600) -> str:
    """The Airflow CLI (e.g. `dags test`) in the Airflow venv under ``env`` (airflow_env); its log, asserted to have
    succeeded with no task failed."""
    out = subprocess.run(
        [str(VENVS / "airflow" / "bin" / "airflow"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    log = out.stdout + out.stderr
    assert out.returncode == 0 and "state=failed" not in log, log[-4000:]
    return log


# ---- A small simulated city, landed and loaded into bronze and built with dbt (tests/integration/metrics_city.py):
# the metric marts' tests check it against bronze, and Superset serves its marts.


@pytest.fixture(scope="session")
def metrics_city(tmp_path_factory: pytest.TempPathFactory):
    from datetime import date

    from tests.integration.metrics_city import build_city, city_environment

    home = tmp_path_factory.mktemp("metrics_city") / "home"
    with city_environment(home):
        return build_city(home, as_of=date(2026, 3, 10), start=date(2026, 1, 1))


# ---- Superset: one real instance per test session, shared by the integration and end-to-end tests. ----
# ``superset_serving`` says which home and served DuckDB Superset shows. By default a small mart of the documented
# shape, published the way the pipeline does; the end-to-end test publishes the real pipeline's build into the
# same home. HUITONG_SUPERSET_TEST_HOME points the fixtures at an existing home instead.


@dataclass(frozen=True)
class Serving:
    home: Path
    serving_db: Path
    owned: bool  # written by the fixture, so tests may publish into it


@pytest.fixture(scope="session")
def superset_serving(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Serving:
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
    # The metric dashboards read the marts of a small simulated city built by the real pipeline steps.
    add_marts(build, request.getfixturevalue("metrics_city").cfg.build_db)
    publish_build(home, build)
    # The audit dashboard shows queries made through the access policy against this very build.
    from tests.integration.audit_sample import add_audit_trail

    add_audit_trail(home, build)
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

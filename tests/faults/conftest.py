"""Fault-injection suite: one small simulated city for the session, and a fresh lake per test.

Every scenario prints ``scenario=<name> sent=N loaded=N quarantined=N lost=N`` and asserts lost == 0. ``sent`` is
what the source system holds (read from the simulator's store or the delivered files), ``loaded`` and
``quarantined`` are counted in the lake (bronze and the quarantine table), never taken from the loader's report.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
import pytest

from huitong.config import Settings, load_settings, settings
from huitong.ingest import load
from huitong.lake.catalog import get_catalog
from huitong.lake.landing import list_batches
from huitong.quality.validate import BatchValidationError
from huitong.simulate import simulate
from huitong.simulate.deliveries import write_deliveries
from tests.conftest import PROJECT_ROOT, VENVS

CITY = dict(seed=7, scale=0.1, start=date(2026, 2, 1), as_of=date(2026, 3, 1))
TOKEN = "fault-suite-token"
HUITONG = str(VENVS / "core" / "bin" / "huitong")
DBT_PROJECT = PROJECT_ROOT / "dbt_project"
# Local weeks of February 2026 (UTC+8 midnights), a few dozen hotel registrations each at this scale.
WEEKS = [(datetime(2026, 2, d, 16, tzinfo=UTC), datetime(2026, 2, d + 7, 16, tzinfo=UTC)) for d in (1, 8, 15)]


@pytest.fixture(scope="session")
def city(tmp_path_factory) -> Path:
    """A simulated city's source systems (hotel store, drop folders, uploads); read-only for the tests."""
    home = tmp_path_factory.mktemp("fault_city")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUITONG_HOME", str(home))
        cfg = load_settings()
        simulate(cfg, log=lambda _: None, **CITY)
        write_deliveries(cfg, start=CITY["start"], as_of=CITY["as_of"], log=lambda _: None)
    return home / "sources"


def dbt_target(cfg: Settings) -> Path:
    """The home's dbt target folder (where `huitong publish` reads the run results), seeded with `make install`'s
    parse so dbt re-parses only what changed (or all of it, if stale)."""
    target = cfg.dbt_target_dir
    target.mkdir(parents=True, exist_ok=True)
    parsed = DBT_PROJECT / "target" / "partial_parse.msgpack"
    if parsed.exists():
        shutil.copy(parsed, target / parsed.name)
    return target


def dbt_run(runner, select: str, target: Path) -> bool:
    """`dbt run --select SELECT` in-process (dbtRunner, dbt's programmatic entry point: the same run the Cosmos tasks
    execute, without paying dbt's start-up again) into the current HUITONG_HOME's build database."""
    result = runner.invoke(
        ["run", "--select", select, "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
         "--target-path", str(target), "--log-path", str(target / "logs"), "--quiet"]
    )  # fmt: skip
    # dbt-duckdb keeps its database open between invocations; close it so the next view sync can open the file
    # (a subprocess `dbt run` closes it by exiting).
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    DuckDBConnectionManager.close_all_connections()
    gc.collect()
    return result.success


@dataclass
class Lake:
    home: Path
    cfg: Settings
    env: dict[str, str]  # for `huitong` subprocesses

    @property
    def hotel_store(self) -> Path:
        return self.cfg.sources_dir / "hotel" / "registrations.parquet"

    def table(self, identifier: str):
        return get_catalog(self.cfg).load_table(identifier).scan().to_arrow()

    def huitong(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run([HUITONG, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if check:
            assert out.returncode == 0, out.stderr[-3000:]
        return out


def make_lake(home: Path, city: Path, mp: pytest.MonkeyPatch) -> Lake:
    """An empty lake in its own HUITONG_HOME whose source systems are the session's city (symlinked)."""
    home.mkdir(parents=True)
    (home / "sources").symlink_to(city, target_is_directory=True)
    for name in ("HUITONG_PROFILE", "HUITONG_CATALOG_URI", "HUITONG_WAREHOUSE", "HUITONG_HOTEL_API_URL"):
        mp.delenv(name, raising=False)
    mp.setenv("HUITONG_HMAC_KEY", "fault-suite-hmac-key")  # one key, so two lakes' tokens compare equal
    mp.setenv("HUITONG_HOME", str(home))
    mp.setenv("HUITONG_HOTEL_API_TOKEN", TOKEN)
    settings.cache_clear()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    return Lake(home=home, cfg=load_settings(), env=env)


@pytest.fixture
def lake(tmp_path, monkeypatch, city) -> Iterator[Lake]:
    yield make_lake(tmp_path / "home", city, monkeypatch)
    settings.cache_clear()


def hotel_sent(store: Path, start: datetime, end: datetime) -> pd.DataFrame:
    """What the hotel system holds for [start, end): read straight from the simulator's store."""
    frame = pd.read_parquet(store)
    updated = pd.to_datetime(frame["updated_at"], utc=True)
    return frame[(updated >= start) & (updated < end)]


def hotel_intervals_held_once(lake: Lake, intervals: list[tuple[datetime, datetime]]):
    """Asserts the hotel source's intervals each landed one batch and every record the source holds for them is in
    bronze or the quarantine exactly once; returns (bronze, the hotel quarantine, records the source holds)."""
    assert len(list_batches("hotel", "registrations", lake.cfg)) == len(intervals)
    bronze = lake.table("bronze.hotel__registrations")
    quarantine = lake.table("quarantine.quarantined_rows")
    quarantine = quarantine.filter(pc.equal(quarantine["source"], "hotel"))
    assert bronze.num_rows == len(set(bronze["_record_hash"].to_pylist())), "a record loaded twice"
    sent = 0
    for start, end in intervals:
        held = len(hotel_sent(lake.hotel_store, start, end))
        in_lake = sum(
            t.filter(
                pc.and_(pc.greater_equal(t["_watermark_at"], start), pc.less(t["_watermark_at"], end))
            ).num_rows
            for t in (bronze, quarantine)
        )
        assert in_lake == held > 0, (start, in_lake, held)
        sent += held
    return bronze, quarantine, sent


def lake_counts(lake: Lake, source: str, entity: str, batch_ids: set[str] | None = None) -> tuple[int, int]:
    """(rows in bronze, rows in the quarantine) for a source, optionally only those of ``batch_ids``."""
    bronze = lake.table(f"bronze.{source}__{entity}")
    quarantine = lake.table("quarantine.quarantined_rows")
    quarantine = quarantine.filter(
        pc.and_(pc.equal(quarantine["source"], source), pc.equal(quarantine["entity"], entity))
    )
    if batch_ids is not None:
        bronze = bronze.filter(pc.is_in(bronze["_batch_id"], pa_array(batch_ids)))
        quarantine = quarantine.filter(pc.is_in(quarantine["_batch_id"], pa_array(batch_ids)))
    return bronze.num_rows, quarantine.num_rows


def pa_array(values):
    import pyarrow as pa

    return pa.array(sorted(values), pa.string())


def load_rows(batch_id: str, cfg: Settings):
    """Load a batch. A batch-level check failing (stale or low volume: raised after the rows are committed, to
    fail the Airflow task) is not what these scenarios test, so it is tolerated; rows are counted in the lake."""
    try:
        return load(batch_id, cfg)
    except BatchValidationError:
        return None


def report(scenario: str, sent: int, loaded: int, quarantined: int) -> int:
    """Print the scenario's reconciliation line; returns ``lost`` (what the source sent that the lake lacks)."""
    lost = sent - loaded - quarantined
    print(f"\nscenario={scenario} sent={sent} loaded={loaded} quarantined={quarantined} lost={lost}")
    return lost


def wait_for_file(path: Path, alive, timeout: float = 120) -> None:
    """Wait until ``path`` exists; fail if the process (``alive()``) ends first."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert alive(), f"the process ended before reaching {path.name}"
        assert time.monotonic() < deadline, f"{path.name} not reached in {timeout}s"
        time.sleep(0.02)


def sigkill_pid(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)

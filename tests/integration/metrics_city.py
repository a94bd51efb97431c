"""A small simulated city loaded into bronze through the real land/load path and built with dbt, for the metric
tests (police exports over last year and this year, camera catalogue and status events, parcel and trade drops, the
registries, and the hotel API served in a thread). The rental database is not started: its bronze tables stay
empty, so rental agencies count as silent in the collection-coverage figures of this city."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from huitong.config import Settings, load_settings, settings
from huitong.ingest import ensure_tables, land_window, load
from huitong.lake.duck import sync_lake_views
from huitong.simulate import simulate
from huitong.simulate.deliveries import write_deliveries
from huitong.simulate.hotel_api import running_server

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CST = timezone(timedelta(hours=8))
# Sources whose deliveries are files the simulator writes; the collection records the marts attribute.
FILE_SOURCES = ("reference.admin_divisions", "reference.key_businesses", "public_safety.incidents",
                "public_safety.disputes", "public_safety.survey_responses", "public_safety.fugitives",
                "camera.status_events", "parcel.waybills", "trade.trades")  # fmt: skip
METRIC_MODELS = "+marts"


@dataclass(frozen=True)
class MetricsCity:
    home: Path
    cfg: Settings
    as_of: date
    start: date


@contextmanager
def city_environment(home: Path) -> Iterator[None]:
    """HUITONG_HOME=home (and no inherited lake settings) for the block."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUITONG_HOME", str(home))
        for name in ("HUITONG_PROFILE", "HUITONG_CATALOG_URI", "HUITONG_WAREHOUSE", "HUITONG_HMAC_KEY"):
            patch.delenv(name, raising=False)
        settings.cache_clear()
        try:
            yield
        finally:
            settings.cache_clear()


def _at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=CST)


def build_city(home: Path, *, as_of: date, start: date, seed: int = 2026, scale: float = 0.05,
               profile: str = "demo", sources: tuple[str, ...] = FILE_SOURCES, hotel: bool = True,
               select: str = METRIC_MODELS) -> MetricsCity:  # fmt: skip
    """Simulate, land and load every file source (and the hotel API) over the whole history, then `dbt build` the
    selected models. The caller holds HUITONG_HOME=home in the environment."""
    settings.cache_clear()
    cfg = load_settings()
    simulate(cfg, seed=seed, scale=scale, start=start, as_of=as_of, profile=profile, log=lambda _: None)
    write_deliveries(cfg, start=start, as_of=as_of, log=lambda _: None)
    ensure_tables(cfg)
    for name in sources:
        # Police exports go back to 1 Jan last year (the year-on-year base); the other systems to `start`.
        first = date(as_of.year - 1, 1, 1) if name.startswith("public_safety.") else start
        result = load(land_window(name, _at(first), _at(as_of), cfg=cfg).batch_id, cfg=cfg)
        assert result.landed == result.loaded + result.quarantined, result
    if hotel:
        with running_server(rate_per_s=0, error_rate=0) as url, pytest.MonkeyPatch.context() as mp:
            mp.setenv("HUITONG_HOTEL_API_URL", url)
            settings.cache_clear()
            result = load(land_window("hotel.registrations", _at(start), _at(as_of)).batch_id)
            assert result.landed == result.loaded + result.quarantined, result
        settings.cache_clear()
    if any(s.startswith("camera.") for s in sources):
        # The newest catalogue snapshot only: the registry as the platforms list it today.
        load(
            land_window("camera.devices", _at(as_of - timedelta(days=1)), _at(as_of), cfg=cfg).batch_id,
            cfg=cfg,
        )
    dbt(
        home,
        "build",
        "--indirect-selection",
        "cautious",
        "--select",
        select,
    )
    return MetricsCity(home, cfg, as_of, start)


def dbt(home: Path, *args: str) -> str:
    """Run dbt against ``home``'s own warehouse over snapshot-pinned lake views; returns stdout."""
    sync_lake_views()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    env.update(HUITONG_HOME=str(home), DBT_PROFILES_DIR=str(PROJECT_ROOT / "dbt_project"),
               DBT_LOG_PATH=str(home / "dbt_logs"), DBT_SEND_ANONYMOUS_USAGE_STATS="false")  # fmt: skip
    proc = subprocess.run(
        [str(PROJECT_ROOT / ".venvs" / "core" / "bin" / "dbt"), *args, "--target-path", str(home / "dbt_target")],
        cwd=PROJECT_ROOT / "dbt_project", env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if proc.returncode != 0 or "ERROR=0" not in proc.stdout:
        raise AssertionError(proc.stdout[-6000:] + proc.stderr[-2000:])
    return proc.stdout

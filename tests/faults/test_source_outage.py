"""A source down for several intervals, then back: every interval is caught up, each exactly once, nothing lost.

The hotel API first answers every request with 5xx (the simulator's error injection at 100%), then is gone
altogether (connection refused); each daily run in that time fails without landing anything. When the API is back,
the failed intervals are retried (what Airflow's retries and catch-up do) and every one of them loads.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest

from huitong.ingest import land_window
from huitong.lake.landing import list_batches
from huitong.lake.ledger import read_ledger
from huitong.simulate.hotel_api import make_server
from huitong.sources import get_source
from huitong.sources.hotel import SourceUnavailable
from tests.faults.conftest import TOKEN, WEEKS, hotel_sent, lake_counts, load_rows, report

pytestmark = pytest.mark.slow
DAYS = [(WEEKS[1][0] + timedelta(days=i), WEEKS[1][0] + timedelta(days=i + 1)) for i in range(6)]


class Api:
    """The simulated hotel API on a fixed loopback port, that can be broken, stopped and started again."""

    def __init__(self, store):
        self.store = store
        self.server = make_server(store_path=store, port=0, token=TOKEN, rate_per_s=0, error_rate=0)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._serve()

    def _serve(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def start(self):
        self.server = make_server(
            store_path=self.store, port=self.port, token=TOKEN, rate_per_s=0, error_rate=0
        )
        self._serve()


def attempt(lake, cfg, window) -> bool:
    """One scheduled run of the interval: land then load; False when the source is unavailable."""
    try:
        batch = land_window("hotel", *window, cfg)
    except SourceUnavailable:
        return False
    load_rows(batch.batch_id, cfg)
    return True


def test_intervals_missed_while_the_source_is_down_are_all_caught_up(lake, monkeypatch):
    monkeypatch.setattr(
        get_source("hotel"), "max_attempts", 2
    )  # fail fast (the DAG's retries add the patience)
    api = Api(lake.hotel_store)
    cfg = replace(lake.cfg, hotel_api_url=api.url)
    try:
        assert attempt(lake, cfg, DAYS[0])
        api.server.error_rate = 1.0  # every request answered 500/503
        failed = [w for w in DAYS[1:3] if not attempt(lake, cfg, w)]
        api.stop()  # then nothing listens at all
        failed += [w for w in DAYS[3:5] if not attempt(lake, cfg, w)]
        assert failed == DAYS[1:5]
        assert len(list_batches("hotel", "registrations", cfg)) == 1  # nothing half-landed during the outage
        api.start()  # back: the next run, then the retries of every failed interval
        assert attempt(lake, cfg, DAYS[5])
        assert all(attempt(lake, cfg, w) for w in failed)
    finally:
        api.stop()

    ledger = [r for r in read_ledger(cfg).to_pylist() if r["source"] == "hotel"]
    windows = sorted((r["window_start"], r["window_end"]) for r in ledger)
    assert windows == sorted(DAYS), "every interval exactly once, none skipped"
    sent = sum(len(hotel_sent(lake.hotel_store, *w)) for w in DAYS)
    loaded, quarantined = lake_counts(lake, "hotel", "registrations")
    assert sum(r["landed"] for r in ledger) == sent > 0
    assert report("source_down_then_back", sent, loaded, quarantined) == 0

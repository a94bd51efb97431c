"""The hotel registration API against a real simulated store: auth, complete paging, rate limit, injected faults."""

from __future__ import annotations

from datetime import date

import pyarrow.parquet as pq
import pytest
import requests

from huitong.config import load_settings
from huitong.simulate import simulate
from huitong.simulate.hotel_api import running_server

pytestmark = pytest.mark.slow
TOKEN = "test-token"
AS_OF = date(2026, 11, 23)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    home = tmp_path_factory.mktemp("hotel_api")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUITONG_HOME", str(home))
        simulate(load_settings(), seed=3, scale=0.02, as_of=AS_OF, log=lambda _: None)
    return home / "sources" / "hotel" / "registrations.parquet"


def get(base: str, token: str | None = TOKEN, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{base}/api/v1/registrations", params=params, headers=headers, timeout=10)


def test_requests_without_the_token_are_refused(store):
    with running_server(store_path=store, token=TOKEN, rate_per_s=0, error_rate=0) as base:
        for token in (None, "wrong"):
            r = get(base, token=token)
            assert r.status_code == 401 and r.json()["error"] == "unauthorized"
        assert requests.get(f"{base}/health", timeout=10).json()["status"] == "ok"
        assert get(base).status_code == 200


def test_paging_returns_every_record_in_the_window_exactly_once(store):
    frame = pq.read_table(store).to_pandas()
    lo, hi = "2025-03-01T00:00:00+08:00", "2025-09-01T00:00:00+08:00"
    expected = frame[(frame["updated_at"] >= lo) & (frame["updated_at"] < hi)]
    expected = expected.sort_values(["updated_at", "reg_id"])
    assert len(expected) > 300
    seen: list[dict] = []
    with running_server(store_path=store, token=TOKEN, rate_per_s=0, error_rate=0) as base:
        cursor = None
        for _ in range(1000):
            params = {"updated_from": lo, "updated_to": "2025-08-31T16:00:00Z", "limit": 37}
            if cursor:
                params["cursor"] = cursor
            body = get(base, **params).json()
            assert len(body["data"]) <= 37
            seen.extend(body["data"])
            cursor = body["next_cursor"]
            if cursor is None:
                break
        # limit is capped at 1000
        assert len(get(base, updated_from=lo, updated_to=hi, limit=5000).json()["data"]) == min(
            1000, len(expected)
        )
    assert [r["reg_id"] for r in seen] == expected["reg_id"].tolist()
    assert seen[0] == {k: (None if v != v else v) for k, v in expected.iloc[0].to_dict().items()}


def test_rate_limit_answers_429_with_retry_after(store):
    with running_server(store_path=store, token=TOKEN, rate_per_s=2, error_rate=0) as base:
        statuses = [get(base, limit=1) for _ in range(8)]
    limited = [r for r in statuses if r.status_code == 429]
    assert statuses[0].status_code == 200 and limited
    assert all(int(r.headers["Retry-After"]) >= 1 for r in limited)


def test_faults_are_injected_at_the_configured_rate(store):
    with running_server(store_path=store, token=TOKEN, rate_per_s=0, error_rate=0.3, seed=7) as base:
        codes = [get(base, limit=1).status_code for _ in range(60)]
        assert requests.get(f"{base}/health", timeout=10).status_code == 200
    faults = [c for c in codes if c >= 500]
    assert set(faults) <= {500, 503} and 5 <= len(faults) <= 35
    assert codes.count(200) == 60 - len(faults)


def test_bad_parameters_are_400(store):
    with running_server(store_path=store, token=TOKEN, rate_per_s=0, error_rate=0) as base:
        assert get(base, updated_from="yesterday").status_code == 400
        assert get(base, cursor="%%%").status_code == 400
        assert get(base, limit=0).status_code == 400

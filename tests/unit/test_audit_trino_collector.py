"""Trino's HTTP event listener -> `huitong audit collect` -> the audit log: a completed query and an access denial
posted the way Trino posts them become audit lines of the same shape `huitong query` writes, which the audit source
then lands like any other line."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests

from huitong.audit import PATHS, serve_collector, trino_event_entry
from huitong.config import settings
from huitong.sources.audit import SOURCE

# QueryCompletedEvent as Trino's HTTP event listener serialises it (io.trino.spi.eventlistener), trimmed to the
# fields the collector reads plus a few it must ignore.
ANSWERED = {
    "metadata": {
        "queryId": "20261123_081500_00042_abcde",
        "query": "SELECT full_name, jurisdiction_code FROM marts.dim_person",
        "queryState": "FINISHED",
        "uri": "http://trino-coordinator:8080/v1/query/20261123_081500_00042_abcde",
        "tables": [],
        "routines": [],
    },
    "statistics": {"outputRows": 12, "totalRows": 40},
    "context": {
        "user": "li.na",
        "originalUser": "superset",
        "principal": "superset",
        "source": "Apache Superset",
        "catalog": "huitong",
        "schema": "marts",
        "queryType": "SELECT",
    },
    "ioMetadata": {
        "inputs": [
            {
                "catalogName": "huitong",
                "schema": "marts",
                "table": "dim_person",
                "columns": [{"name": "full_name"}, {"name": "jurisdiction_code"}],
                "physicalInputRows": 40,
            }
        ],
        "output": None,
    },
    "warnings": [],
    "createTime": "2026-11-23T08:15:00.100Z",
    "executionStartTime": "2026-11-23T08:15:00.250Z",
    "endTime": "2026-11-23T08:15:01.600Z",
}
DENIED = {
    "metadata": {
        "queryId": "20261123_081600_00043_abcde",
        "query": "SELECT * FROM bronze.hotel__registrations",
    },
    "statistics": {"outputRows": 0},
    "context": {"user": "li.na", "source": "huitong-query"},
    "ioMetadata": {"inputs": []},
    "failureInfo": {
        "errorCode": {"code": 4, "name": "PERMISSION_DENIED", "type": "USER_ERROR"},
        "failureMessage": "Access Denied: Cannot select from table huitong.bronze.hotel__registrations",
    },
    "createTime": "2026-11-23T08:16:00.000Z",
    "endTime": "2026-11-23T08:16:00.020Z",
}


def test_completed_query_becomes_an_audit_entry():
    entry = trino_event_entry(ANSWERED)
    assert entry["path"] == "trino" and entry["path"] in PATHS
    assert (entry["user"], entry["allowed"], entry["rows"]) == ("li.na", True, 12)
    assert entry["tables"] == ["marts.dim_person"]
    assert entry["person_level"] is True  # full_name is a personal column by the policy's conventions
    assert entry["duration_ms"] == 1500.0
    assert entry["at"] == "2026-11-23T08:15:01.600+00:00"
    assert entry["client"] == "Apache Superset"


def test_access_denied_is_recorded_as_refused():
    entry = trino_event_entry(DENIED)
    assert entry["allowed"] is False
    assert entry["error"].startswith("PERMISSION_DENIED: Access Denied")
    assert entry["person_level"] is False and entry["tables"] == []


def test_other_events_are_ignored():
    assert trino_event_entry({"metadata": {"queryId": "x"}, "context": {}}) is None
    assert trino_event_entry({"splitId": "1"}) is None


@pytest.fixture
def collector(huitong_home):
    cfg = settings()
    started = threading.Event()
    servers = []

    def ready(server):
        servers.append(server)
        started.set()

    thread = threading.Thread(target=serve_collector, args=("127.0.0.1", 0, cfg, ready), daemon=True)
    thread.start()
    assert started.wait(10)
    host, port = servers[0].server_address[:2]
    yield cfg, f"http://{host}:{port}"
    servers[0].shutdown()
    thread.join(10)


def test_posted_events_land_through_the_audit_source(collector):
    cfg, url = collector
    auth = {"Authorization": f"Bearer {cfg.audit_token}"}
    # Without the token (or with another) nothing is written: only Trino's listener may add to the trail.
    assert requests.post(f"{url}/v1/trino-events", json=ANSWERED, timeout=10).status_code == 401
    assert requests.post(f"{url}/v1/trino-events", json=ANSWERED, headers={"Authorization": "Bearer x"},
                         timeout=10).status_code == 401  # fmt: skip
    assert requests.post(f"{url}/v1/trino-events", json=ANSWERED, headers=auth, timeout=10).status_code == 200
    assert (
        requests.post(
            f"{url}/v1/trino-events", json=[DENIED, {"splitId": "1"}], headers=auth, timeout=10
        ).status_code
        == 200
    )
    assert (
        requests.post(f"{url}/v1/trino-events", data=b"{not json", headers=auth, timeout=10).status_code
        == 400
    )
    assert requests.post(f"{url}/elsewhere", json=ANSWERED, headers=auth, timeout=10).status_code == 404
    # The audit source's hourly window picks the lines up by their time, like `huitong query`'s own lines.
    start = datetime(2026, 11, 23, 8, tzinfo=UTC)
    [part] = list(SOURCE.extract(start, start + timedelta(hours=1), cfg))
    records = SOURCE.parse(part.name, part.data).records
    assert [(r["user"], r["path"], r["allowed"]) for r in records] == [
        ("li.na", "trino", "true"),
        ("li.na", "trino", "false"),
    ]
    assert json.loads(records[0]["tables"]) == ["marts.dim_person"]


@pytest.mark.parametrize(
    ("sql", "person_level"),
    [
        ("select jurisdiction_code, count(*) from marts.dim_person group by 1", False),
        ("select full_name from marts.dim_person", True),  # a personal column by name
        ("select * from marts.dim_person", True),  # its dataset has full_name
        ("select * from marts.metric_hotel_stays_daily", False),  # its dataset has no personal column
        ("select * from bronze.hotel__registrations", True),  # no dataset: columns unknown
        ("select count(*) from dim_person where id_token = 'x'", True),  # default schema, a token column
        ("selec nonsense from", True),  # unparseable: the auditor should look
        ("", False),
    ],
)
def test_sql_lab_queries_are_person_level_when_they_read_personal_columns(sql, person_level):
    """Superset SQL Lab runs arbitrary SQL: the collector judges it by the columns it names, and by the dataset's
    columns for a select *, so the audit's person-level count includes SQL Lab."""
    from huitong.audit import _sql_reads

    datasets = {
        "marts.dim_person": ["entity_id", "full_name", "id_token", "jurisdiction_code"],
        "marts.metric_hotel_stays_daily": ["stay_date", "district_code", "stays"],
    }
    assert _sql_reads(sql, "marts", datasets)[1] is person_level

"""The raw audit log's retention (huitong.audit.trim_audit_log): old lines the lake holds go, a torn line goes with
its neighbours, an old line no load has taken stays, a writer holding the old file appends to the new one, and a
dry run changes nothing."""

from __future__ import annotations

import fcntl
import json
import time
from datetime import UTC, datetime

import pytest

from huitong.audit import append_entry, audit_log_path, trim_audit_log
from huitong.config import settings

CUTOFF = datetime(2026, 2, 15, tzinfo=UTC)
# The audit source loaded the local days 10 to 21 February, except the 11th's window.
LOADED = [
    (datetime(2026, 2, d - 1, 16, tzinfo=UTC), datetime(2026, 2, d, 16, tzinfo=UTC))
    for d in range(10, 22)
    if d != 11
]


def entry(day: int) -> dict:
    return {"at": f"2026-02-{day:02d}T10:00:00+08:00", "user": "analyst", "sql": "select 1", "path": "cli"}


def test_old_lines_and_a_torn_line_among_them_go_recent_lines_stay(huitong_home):
    cfg = settings()
    for day in (10, 12):
        append_entry(cfg, entry(day))
    path = audit_log_path(cfg)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"at": "2026-02-1\n')  # a write torn by a crash: it belongs to its neighbours' (old) window
    for day in (20, 21):
        append_entry(cfg, entry(day))

    assert trim_audit_log(cfg, CUTOFF, LOADED, dry_run=True) == 3
    assert len(path.read_text().splitlines()) == 5
    assert trim_audit_log(cfg, CUTOFF, LOADED) == 3
    assert [json.loads(line)["at"][:10] for line in path.read_text().splitlines()] == [
        "2026-02-20",
        "2026-02-21",
    ]
    assert trim_audit_log(cfg, CUTOFF, LOADED) == 0
    assert not list(path.parent.glob(".*trim"))


def test_an_old_line_no_load_has_taken_stays(huitong_home):
    cfg = settings()
    append_entry(cfg, entry(11))  # the 11th's window was never loaded (its DAG run failed, say)
    append_entry(cfg, entry(12))
    assert trim_audit_log(cfg, CUTOFF, LOADED) == 1
    assert [json.loads(line)["at"][:10] for line in audit_log_path(cfg).read_text().splitlines()] == [
        "2026-02-11"
    ]


def test_a_writer_that_opened_the_log_before_a_trim_appends_to_the_new_log(huitong_home, monkeypatch):
    """The writer has the old file open and is waiting for its lock while retention swaps in the new file."""
    import huitong.audit as audit

    cfg = settings()
    append_entry(cfg, entry(10))
    append_entry(cfg, entry(20))
    real_same_file, calls = audit._same_file, []

    def trim_while_waiting(fh, path):  # runs once the writer holds the old file's lock
        if not calls:
            calls.append(path.stat().st_ino)
            fcntl.flock(fh, fcntl.LOCK_UN)  # let retention take it, as if it had been first
            trim_audit_log(cfg, CUTOFF, LOADED)
            fcntl.flock(fh, fcntl.LOCK_EX)
        return real_same_file(fh, path)

    monkeypatch.setattr(audit, "_same_file", trim_while_waiting)
    append_entry(cfg, entry(21))
    path = audit_log_path(cfg)
    assert path.stat().st_ino != calls[0]  # a new file, and the line reached it
    assert [json.loads(line)["at"][:10] for line in path.read_text().splitlines()] == [
        "2026-02-20",
        "2026-02-21",
    ]


def test_no_log_yet_is_nothing_to_remove(huitong_home):
    assert trim_audit_log(settings(), CUTOFF, LOADED) == 0


def test_loaded_windows_join_where_they_meet_and_an_interval_must_lie_inside_them():
    from huitong.audit import LoadedWindows

    loaded = LoadedWindows(
        LOADED + [(datetime(2026, 2, 12, tzinfo=UTC), datetime(2026, 2, 12, 1, tzinfo=UTC))]
    )
    day = datetime(2026, 2, 10, 16, tzinfo=UTC)  # where the 11th's window, never loaded, begins
    assert loaded.spans[0] == (datetime(2026, 2, 9, 16, tzinfo=UTC), day)
    assert loaded.cover(datetime(2026, 2, 10, 15, 59, tzinfo=UTC))
    assert not loaded.cover(day)
    assert not loaded.cover(
        datetime(2026, 2, 10, 15, 59, tzinfo=UTC), datetime(2026, 2, 10, 16, 1, tzinfo=UTC)
    )
    # The 12th's to the 21st's windows abut: one span, so an interval across a day boundary lies inside it.
    assert loaded.cover(datetime(2026, 2, 13, 15, 59, tzinfo=UTC), datetime(2026, 2, 13, 16, 1, tzinfo=UTC))
    assert not loaded.cover(
        datetime(2026, 2, 21, 15, 59, tzinfo=UTC), datetime(2026, 2, 21, 16, 1, tzinfo=UTC)
    )
    assert not loaded.cover(datetime(2026, 2, 1, tzinfo=UTC))


def test_retention_trims_only_the_superset_database_the_audit_source_reads(tmp_path, monkeypatch):
    from huitong.audit import same_database

    monkeypatch.chdir(tmp_path)
    assert same_database("sqlite:///superset.db", f"sqlite:///{tmp_path / 'superset.db'}")
    assert not same_database("sqlite:///superset.db", "sqlite:///other.db")
    reader = "postgresql+psycopg://reader:x@postgres:5432/superset"
    assert same_database(reader, "postgresql+psycopg://trimmer:y@postgres:5432/superset")
    assert not same_database(reader, "postgresql+psycopg://reader:x@postgres:5432/superset_staging")
    assert not same_database(reader, "postgresql+psycopg://reader:x@other-host:5432/superset")
    assert same_database(
        reader, "postgresql+psycopg://trimmer:y@POSTGRES/superset"
    )  # the default port, any case


@pytest.fixture
def city_local_time(monkeypatch):
    """The process in the city's zone (UTC+8), as a host set to local time runs it: Superset's naive UTC times and
    epoch milliseconds must not be read as local."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_trim_that_fails_midway_counts_what_it_removed_before(tmp_path, city_local_time):
    """The logs rows go and are committed before the SQL Lab step fails (here: a tab_state table without the
    column it nulls); the counts say so, and the error reaches the caller. Run in UTC+8: the data request at 17:00
    UTC on 11 February lies in the 12th's loaded window, which read as local time it would not (the 11th's window
    was never loaded); one on 20 February is past the cutoff."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from huitong.audit import SUPERSET_ACTION, SupersetTrim, trim_superset_logs

    db = tmp_path / "superset.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE logs (id INTEGER PRIMARY KEY, action TEXT, dttm DATETIME)")
        con.execute(
            "CREATE TABLE query (id INTEGER PRIMARY KEY, client_id TEXT, start_time NUMERIC, changed_on DATETIME)"
        )
        con.execute("CREATE TABLE tab_state (id INTEGER PRIMARY KEY)")
        con.executemany(
            "INSERT INTO logs (action, dttm) VALUES (?, ?)",
            [(SUPERSET_ACTION, "2026-02-11 17:00:00.000000"), ("DashboardRestApi.get", "2026-02-11 02:00:00.000000"),
             (SUPERSET_ACTION, "2026-02-20 02:00:00.000000")],
        )  # fmt: skip
        started = datetime(2026, 2, 12, 2, tzinfo=UTC).timestamp() * 1000
        con.execute("INSERT INTO query (client_id, start_time) VALUES ('q1', ?)", (started,))
    done = SupersetTrim()
    with pytest.raises(OperationalError, match="latest_query_id"):
        trim_superset_logs(f"sqlite:///{db}", CUTOFF, LOADED, done=done)
    assert done == SupersetTrim(log_rows=2, queries=0)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM logs").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM query").fetchone() == (1,)

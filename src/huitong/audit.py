"""The query audit trail: who read what, through which path, allowed or refused.

Every path that answers a person's query leaves one record of the same shape (the ``audit.queries`` source's
columns), so one table, marts.audit_queries, and one dashboard show them all:

- ``cli``: `huitong query` appends a line to ``$HUITONG_HOME/audit/queries.jsonl`` itself (huitong.query);
- ``superset_chart``, ``superset_sql_lab``, ``superset_api``: Superset's own query log in its metadata DB. Its
  ``logs`` table holds one ``huitong.data_request`` row per data request, allowed or refused, with the HTTP status
  (written by the hook in superset/superset_config.py, because Superset's stock log entry is written before the
  permission check is known and not at all when a role lacks SQL Lab); SQL Lab requests are completed from the
  ``query`` table (rows returned, executed SQL, error). ``superset_entries`` reads both for a window; the audit
  source lands them beside the JSONL lines;
- ``trino``: in production Trino's HTTP event listener POSTs every completed query to ``huitong audit collect``
  (``serve_collector``), which appends it to the same JSONL file.
"""

from __future__ import annotations

import bisect
import fcntl
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from huitong.config import Settings, settings
from huitong.sources.base import parse_timestamp

log = logging.getLogger(__name__)

PATHS = ("cli", "superset_chart", "superset_sql_lab", "superset_api", "trino")
SUPERSET_ACTION = "huitong.data_request"  # the action superset_config's hook logs under


def audit_log_path(cfg: Settings | None = None) -> Path:
    return (cfg or settings()).home / "audit" / "queries.jsonl"


def append_entry(cfg: Settings, entry: Mapping[str, Any]) -> None:
    """Append one JSON line under an exclusive lock, so concurrent writers never interleave lines. A line is never
    changed: the audit source lands each one exactly once by its time, and only retention removes old ones
    (trim_audit_log, which swaps in a new file: a writer that locked the old one opens the new one and appends
    there)."""
    path = audit_log_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(dict(entry), ensure_ascii=False, default=str) + "\n"
    while True:
        with open(path, "a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                if _same_file(fh, path):
                    fh.write(line)
                    fh.flush()
                    return
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _same_file(fh, path: Path) -> bool:
    """Whether the open file is still the one at ``path`` (retention may have swapped in a new one)."""
    try:
        return os.fstat(fh.fileno()).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False


def line_times(raw_lines: list[bytes]) -> list[datetime | None]:
    """The time (``at``) of each line of the audit log. A line that cannot be read (a torn write) takes its
    neighbours' time, so it lands exactly once and is quarantined by the audit source, and retention removes it
    with them: nothing is dropped, nothing doubled. None only when no line has a time."""
    times = [_line_time(raw) for raw in raw_lines]
    for i in range(1, len(times)):
        times[i] = times[i] or times[i - 1]
    for i in range(len(times) - 2, -1, -1):
        times[i] = times[i] or times[i + 1]
    return times


def _line_time(raw: bytes) -> datetime | None:
    try:
        return parse_timestamp(json.loads(raw).get("at"))
    except (ValueError, AttributeError):
        return None


class LoadedWindows:
    """The [start, end) windows the audit source has loaded (from the ledger): what lies inside them is in the
    lake, so retention may remove its raw copy. Overlapping and abutting windows are joined."""

    def __init__(self, windows: Iterable[tuple[datetime, datetime]]):
        self.spans: list[tuple[datetime, datetime]] = []
        for start, end in sorted(windows):
            if self.spans and start <= self.spans[-1][1]:
                self.spans[-1] = (self.spans[-1][0], max(end, self.spans[-1][1]))
            else:
                self.spans.append((start, end))
        self._starts = [start for start, _ in self.spans]

    def cover(self, first: datetime, last: datetime | None = None) -> bool:
        """Whether the moment ``first`` (and every moment up to ``last``) lies in a loaded window."""
        i = bisect.bisect_right(self._starts, first) - 1
        return i >= 0 and max(first, last or first) < self.spans[i][1]


def trim_audit_log(
    cfg: Settings, before: datetime, landed: Iterable[tuple[datetime, datetime]], dry_run: bool = False
) -> int:
    """Remove the audit log's lines older than ``before`` (by their ``at``, see ``line_times``) that fall in a
    window the audit source has loaded (``landed``: [start, end) windows): a line not yet in the lake stays, however
    old. Returns how many lines go.

    The kept lines are written to a new file, synced and renamed over the log under the writers' lock: a crash
    leaves the old log or the new one, whole; a reader sees one or the other; a writer that was waiting for the
    lock on the old file finds it replaced and appends to the new one (append_entry)."""
    path = audit_log_path(cfg)
    if not path.exists():
        return 0
    loaded = LoadedWindows(landed)

    def removable(at: datetime | None) -> bool:
        return at is not None and at < before and loaded.cover(at)

    with open(path, "rb") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            lines = fh.read().splitlines(keepends=True)
            kept = [raw for raw, at in zip(lines, line_times(lines), strict=True) if not removable(at)]
            if len(kept) < len(lines) and not dry_run:
                fresh = path.with_name(f".{path.name}.trim")
                with open(fresh, "wb") as out:
                    out.write(b"".join(kept))
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(fresh, path)
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return len(lines) - len(kept)


def _iso(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


@cache
def _policy_document():
    from huitong.policy import Policy, repo_policy_file

    return Policy.load(repo_policy_file()).document


def _person_level(columns: Iterable[str]) -> bool:
    """A read touches personal data when a column is of a personal class by the policy's naming conventions."""
    document = _policy_document()
    return any(document.classify(c.lower()) is not None for c in columns)


# ---- Superset: its metadata DB's `logs` (every data request) and `query` (SQL Lab) tables --------------------

_CHART_IN_PATH = re.compile(r"/api/v1/chart/(\d+)/data")
# A SQL Lab run is matched to its log row within a minute either side (superset_entries); retention removes a run
# only when every log row it could complete lies in a loaded window (trim_superset_logs).
_SQL_LAB_MATCH = timedelta(minutes=1)


def superset_entries(uri: str, start: datetime, end: datetime, profile: str) -> list[dict[str, Any]]:
    """Audit entries for Superset's data requests logged in [start, end), oldest first; [] when Superset has no
    metadata DB at `uri` yet. Read-only; the SQL is plain enough for SQLite (embedded) and PostgreSQL."""
    from sqlalchemy import DateTime, bindparam, inspect, text

    engine = _superset_engine(uri, write=False)
    if engine is None:
        return []
    try:
        if "logs" not in inspect(engine).get_table_names():
            return []
        naive = [m.astimezone(UTC).replace(tzinfo=None) for m in (start, end)]  # Superset stores UTC, naive
        with engine.connect() as con:
            logs = con.execute(
                text(
                    "SELECT l.id, l.dttm, l.json, l.duration_ms, l.slice_id, u.username FROM logs l "
                    "LEFT JOIN ab_user u ON u.id = l.user_id "
                    "WHERE l.action = :action AND l.dttm >= :start AND l.dttm < :end ORDER BY l.dttm, l.id"
                )
                .bindparams(bindparam("start", type_=DateTime), bindparam("end", type_=DateTime))
                .columns(dttm=DateTime),
                {"action": SUPERSET_ACTION, "start": naive[0], "end": naive[1]},
            ).all()
            if not logs:
                return []
            slices = {r.id: r for r in con.execute(text("SELECT id, slice_name, datasource_id FROM slices"))}
            tables = {
                r.id: r for r in con.execute(text('SELECT id, "schema", table_name, database_id FROM tables'))
            }
            columns: dict[int, list[str]] = {}
            for r in con.execute(text("SELECT table_id, column_name FROM table_columns")):
                columns.setdefault(r.table_id, []).append(r.column_name)
            dataset_columns = {
                f"{t.schema}.{t.table_name}".lower(): columns.get(t.id, []) for t in tables.values()
            }
            backends = {
                r.id: r.sqlalchemy_uri.split(":", 1)[0].split("+", 1)[0]
                for r in con.execute(text("SELECT id, sqlalchemy_uri FROM dbs"))
            }
            # SQL Lab runs of the window (start_time: epoch milliseconds), a minute either side.
            lab = con.execute(
                text(
                    'SELECT q.client_id, q.status, q."rows", q.executed_sql, q.error_message, q.sql, q.start_time, '
                    "u.username FROM query q LEFT JOIN ab_user u ON u.id = q.user_id "
                    "WHERE q.start_time >= :first AND q.start_time < :last ORDER BY q.start_time"
                ),
                {
                    "first": (start - _SQL_LAB_MATCH).timestamp() * 1000,
                    "last": (end + _SQL_LAB_MATCH).timestamp() * 1000,
                },
            ).all()
    finally:
        engine.dispose()
    entries = []
    for row in logs:
        try:
            payload = json.loads(row.json or "{}")
        except ValueError:
            payload = {}
        path = payload.get("huitong_path") or "superset_api"
        status = int(payload.get("huitong_status") or 0)
        entry: dict[str, Any] = {
            "at": _iso(row.dttm),
            "user": row.username or "(anonymous)",
            "profile": profile,
            "path": path,
            "client": "superset",
            "allowed": 0 < status < 400,
            "duration_ms": row.duration_ms,
        }
        if status >= 400:
            entry["error"] = f"HTTP {status}: {payload.get('huitong_error') or ''}".strip()
        if path == "superset_sql_lab":
            sql = payload.get("sql") or ""
            database = payload.get("database_id")
            tables_read, person_level = _sql_reads(sql, payload.get("schema"), dataset_columns)
            entry.update(
                sql=sql, engine=backends.get(_int(database)), tables=tables_read, person_level=person_level
            )
            done = _sql_lab_run(lab, payload.get("client_id"), row.username, sql, row.dttm)
            if done is not None:
                lab.remove(done)
                entry.update(
                    allowed=entry["allowed"] and done.status == "success",
                    rows=done.rows,
                    executed_sql=done.executed_sql,
                )
                if done.error_message:
                    entry["error"] = done.error_message
        else:
            chart = slices.get(_int(row.slice_id) or _chart_id(payload))
            table = tables.get(chart.datasource_id if chart else _datasource_id(payload))
            name = f"{table.schema}.{table.table_name}" if table else None
            what = f"图表 chart: {chart.slice_name}" if chart else f"数据集 dataset: {name or '?'}"
            entry.update(
                sql=what + (f" ({name})" if chart and name else ""),
                engine=backends.get(table.database_id) if table else None,
                tables=[name] if name else [],
                person_level=_person_level(columns.get(table.id, [])) if table else False,
            )
        entries.append(entry)
    return entries


def _superset_engine(uri: str, write: bool):
    """An engine on Superset's metadata DB, or None when Superset has none at ``uri`` yet (a SQLite file is never
    created: SQLite would). Read-only unless ``write`` (retention's trim, trim_superset_logs)."""
    from sqlalchemy import create_engine

    if not uri.startswith("sqlite:///"):
        return create_engine(uri)
    path = Path(uri.removeprefix("sqlite:///").split("?", 1)[0])
    if not path.is_file():
        return None
    # A write waits for the running Superset's own transactions rather than failing on SQLite's lock.
    mode = "rw" if write else "ro"
    return create_engine(f"sqlite:///file:{path}?mode={mode}&uri=true", connect_args={"timeout": 60})


_DELETE_CHUNK = 500  # ids per statement: SQLite binds at most 999 parameters


@dataclass
class SupersetTrim:
    """What trim_superset_logs removed (or would, in a dry run), counted as each chunk commits: after a failure it
    holds what went before it."""

    log_rows: int = 0  # Superset's `logs` table
    queries: int = 0  # SQL Lab's `query` table


def trim_superset_logs(
    uri: str,
    before: datetime,
    landed: Iterable[tuple[datetime, datetime]],
    dry_run: bool = False,
    done: SupersetTrim | None = None,
) -> SupersetTrim:
    """Remove from Superset's metadata DB what retention says must go, as trim_audit_log does for the raw log:
    the ``logs`` rows older than ``before`` (Huitong's data-request rows only inside a window the audit source has
    loaded; Superset's own rows, which no load takes, by their age alone), and SQL Lab's ``query`` rows older than
    ``before`` whose matching window is loaded (one that never started is dated by its last change; the SQL Lab
    tabs that pointed at them point at none, as Superset's ON DELETE SET NULL does). Every step goes a chunk of
    rows at a time, each committed on its own, so the running Superset is never locked out for long. Returns
    ``done`` (or a new SupersetTrim) with the rows removed, or that would be with ``dry_run``."""
    from sqlalchemy import DateTime, bindparam, inspect, text

    done = done if done is not None else SupersetTrim()
    engine = _superset_engine(uri, write=not dry_run)
    if engine is None:
        return done
    loaded = LoadedWindows(landed)
    naive = before.astimezone(UTC).replace(tzinfo=None)  # Superset stores UTC, naive
    stamped = bindparam("before", type_=DateTime)
    ids = bindparam("ids", expanding=True)
    own = "FROM logs WHERE dttm < :before AND (action IS NULL OR action <> :action)"
    params = {"before": naive, "action": SUPERSET_ACTION}
    try:
        tables = set(inspect(engine).get_table_names())
        if "logs" not in tables:
            return done
        with engine.connect() as con:
            requests = [
                r.id
                for r in con.execute(
                    text("SELECT id, dttm FROM logs WHERE action = :action AND dttm < :before")
                    .bindparams(stamped)
                    .columns(dttm=DateTime),
                    params,
                )
                if loaded.cover(r.dttm.replace(tzinfo=UTC))
            ]
            runs: list[tuple[int, str]] = []
            if "query" in tables:
                last = (before - _SQL_LAB_MATCH).timestamp() * 1000  # start_time: epoch milliseconds
                for r in con.execute(
                    text(
                        "SELECT id, client_id, start_time FROM query "
                        "WHERE start_time < :last OR (start_time IS NULL AND changed_on < :before)"
                    ).bindparams(stamped),
                    {"last": last, "before": naive},
                ):
                    if r.start_time is None:
                        runs.append((r.id, r.client_id))
                        continue
                    started = datetime.fromtimestamp(float(r.start_time) / 1000, UTC)
                    if loaded.cover(started - _SQL_LAB_MATCH, started + _SQL_LAB_MATCH):
                        runs.append((r.id, r.client_id))
            if dry_run:
                own_rows = con.execute(
                    text(f"SELECT count(*) {own}").bindparams(stamped), params
                ).scalar_one()
                done.log_rows += own_rows + len(requests)
                done.queries += len(runs)
                return done
            # Superset's own rows, a chunk at a time without listing them (a first run may find years of them).
            chunk = text(
                f"DELETE FROM logs WHERE id IN (SELECT id {own} ORDER BY id LIMIT {_DELETE_CHUNK})"
            ).bindparams(stamped)
            while removed := con.execute(chunk, params).rowcount:
                con.commit()
                done.log_rows += removed
            delete = {
                table: text(f"DELETE FROM {table} WHERE id IN :ids").bindparams(ids)
                for table in ("logs", "query")
            }
            unpoint = text(
                "UPDATE tab_state SET latest_query_id = NULL WHERE latest_query_id IN :ids"
            ).bindparams(ids)
            for i in range(0, len(requests), _DELETE_CHUNK):
                done.log_rows += con.execute(
                    delete["logs"], {"ids": requests[i : i + _DELETE_CHUNK]}
                ).rowcount
                con.commit()
            for i in range(0, len(runs), _DELETE_CHUNK):
                part = runs[i : i + _DELETE_CHUNK]
                if "tab_state" in tables:
                    con.execute(unpoint, {"ids": [client for _, client in part]})
                done.queries += con.execute(delete["query"], {"ids": [run_id for run_id, _ in part]}).rowcount
                con.commit()
    finally:
        engine.dispose()
    return done


def same_database(first: str, second: str) -> bool:
    """Whether two SQLAlchemy URIs name the same database (logins aside): retention may trim only the Superset
    database the audit source reads, or it would remove rows no load has taken."""
    from sqlalchemy.engine import make_url

    def identity(uri: str) -> tuple:
        url = make_url(uri)
        backend = url.get_backend_name()
        if backend == "sqlite":
            return ("sqlite", str(Path(url.database or "").resolve()))
        port = url.port or {"postgresql": 5432, "mysql": 3306}.get(backend)
        return (backend, (url.host or "").lower(), port, url.database)

    return identity(first) == identity(second)


def _sql_lab_run(lab: list, client_id: Any, user: str | None, sql: str, at: datetime):
    """The `query` row a SQL Lab request produced: by the client id the UI sends, else (API callers may omit it,
    and Superset then makes its own) the same person's same SQL started closest before the request was logged."""
    if client_id:
        found = next((q for q in lab if q.client_id == client_id), None)
        if found is not None:
            return found
    logged = at.replace(tzinfo=UTC).timestamp() * 1000
    same = [q for q in lab if q.username == user and q.sql == sql and float(q.start_time) <= logged + 1000]
    return min(same, key=lambda q: logged - float(q.start_time), default=None)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _chart_id(payload: Mapping[str, Any]) -> int | None:
    found = _CHART_IN_PATH.search(str(payload.get("path") or ""))
    form = payload.get("form_data") if isinstance(payload.get("form_data"), dict) else {}
    return int(found.group(1)) if found else _int(form.get("slice_id"))


def _datasource_id(payload: Mapping[str, Any]) -> int | None:
    source = payload.get("datasource")
    if isinstance(source, dict):
        return _int(source.get("id"))
    return _int(str(source or "").split("__", 1)[0])


def _sql_reads(sql: str, schema: str | None, dataset_columns: dict[str, list[str]]) -> tuple[list[str], bool]:
    """What SQL Lab text reads, parsed once (best effort): the schema.table names, and whether it reads personal
    data (a column it names is of a personal class, or it selects ``*`` from a table with such a column, by its
    Superset dataset's columns, or from a table Superset has no columns for). Text that cannot be parsed names no
    table and counts as person-level: the auditor should look at it."""
    import sqlglot
    from sqlglot import exp

    try:
        trees = [t for t in sqlglot.parse(sql, read="duckdb") if t is not None]
    except sqlglot.errors.ParseError:
        return [], True
    tables = [(tree, ".".join(p for p in (t.db or schema, t.name) if p).lower())
              for tree in trees for t in tree.find_all(exp.Table)]  # fmt: skip
    person_level = any(_person_level(c.name for c in tree.find_all(exp.Column)) for tree in trees) or any(
        (dataset_columns.get(name) is None or _person_level(dataset_columns[name]))
        and any(not isinstance(star.parent, exp.Func) for star in tree.find_all(exp.Star))  # not count(*)
        for tree, name in tables
    )
    return sorted({name for _, name in tables}), person_level


# ---- Trino: the HTTP event listener's QueryCompletedEvent ----------------------------------------------------


def trino_event_entry(event: Mapping[str, Any], profile: str = "production") -> dict[str, Any] | None:
    """One audit entry from Trino's QueryCompletedEvent JSON (None for other events). Access denials are completed
    events too (errorCode PERMISSION_DENIED), so refusals are recorded like answers."""
    metadata, context = event.get("metadata") or {}, event.get("context") or {}
    if "queryId" not in metadata or "user" not in context:
        return None
    failure = event.get("failureInfo") or {}
    error_code = (failure.get("errorCode") or {}).get("name")
    inputs = (event.get("ioMetadata") or {}).get("inputs") or []
    tables = sorted({f"{i.get('schema')}.{i.get('table')}".lower() for i in inputs if i.get("table")})
    columns = [
        c.get("name", "") if isinstance(c, dict) else str(c) for i in inputs for c in i.get("columns") or []
    ]
    created, ended = _instant(event.get("createTime")), _instant(event.get("endTime"))
    entry: dict[str, Any] = {
        "at": _iso(ended or created or datetime.now(UTC)),
        "user": context["user"],
        "profile": profile,
        "path": "trino",
        "engine": "trino",
        "allowed": not failure,
        "tables": tables,
        "person_level": _person_level(columns),
        "sql": metadata.get("query") or "",
        "executed_sql": metadata.get("query") or "",
        "rows": (event.get("statistics") or {}).get("outputRows"),
        "duration_ms": round((ended - created).total_seconds() * 1000, 1) if created and ended else None,
        # Who sent it: huitong-query (the CLI), Superset (impersonating the person), a BI tool...
        "client": context.get("source"),
    }
    if failure:
        entry["error"] = f"{error_code or 'FAILED'}: {failure.get('failureMessage') or ''}".strip()
    return entry


def _instant(value: Any) -> datetime | None:
    """Trino writes instants as ISO-8601 text; numbers (epoch seconds or milliseconds) are accepted too."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def serve_collector(host: str, port: int, cfg: Settings | None = None, ready=None) -> None:
    """The audit collector Trino's HTTP event listener posts to (POST /v1/trino-events, one event or a list, with
    ``Authorization: Bearer <Settings.audit_token>``: a post without it is refused, so no one else can add to or
    flood the trail). Each completed query becomes one line of the audit log; anything else is acknowledged and
    ignored, so Trino does not retry it. Runs until interrupted."""
    import hmac
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    cfg = cfg or settings()
    expected = f"Bearer {cfg.audit_token}".encode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.rstrip("/") != "/v1/trino-events":
                self.send_error(404)
                return
            if not hmac.compare_digest((self.headers.get("Authorization") or "").encode(), expected):
                self.send_error(401, "Authorization: Bearer <HUITONG_AUDIT_TOKEN> required")
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
            except ValueError:
                self.send_error(400, "not JSON")
                return
            for event in body if isinstance(body, list) else [body]:
                entry = trino_event_entry(event, cfg.profile) if isinstance(event, dict) else None
                if entry is not None:
                    append_entry(cfg, entry)
            self.send_response(200)
            self.end_headers()

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("audit collector: " + fmt, *args)

    server = ThreadingHTTPServer((host, port), Handler)
    if ready is not None:
        ready(server)
    try:
        server.serve_forever()
    finally:
        server.server_close()

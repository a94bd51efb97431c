"""The query audit trail as a source: who queried what, through which path, allowed or refused.

Two parts per window, one record shape (huitong.audit):
- ``queries.jsonl``: the lines of ``$HUITONG_HOME/audit/queries.jsonl`` whose ``at`` falls in the window: what
  `huitong query` appends itself and, in production, what the audit collector writes for every query Trino's event
  listener reports (infra/trino/etc/event-listener.properties);
- ``superset.jsonl``: Superset's own query log for the window (chart data, SQL Lab and API requests, allowed or
  refused), read from its metadata DB (HUITONG_SUPERSET_METADATA_URI).
The trail goes through the same landing -> bronze -> dbt path as any other source and reaches the audit dashboard
(marts.audit_queries; only the auditor and data engineer roles read it).

Both logs are append-only, so a past window always reads the same records: re-runs land the same batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from huitong.audit import audit_log_path, line_times, superset_entries
from huitong.config import Settings
from huitong.lake.landing import RawPart
from huitong.sources._files import parse_lines, to_lines
from huitong.sources.base import FieldWatermark, ParsedPart


@dataclass
class QueryAuditSource(FieldWatermark):
    name: str = "audit"
    entity: str = "queries"
    columns: tuple[str, ...] = (
        "at", "user", "profile", "engine", "allowed", "tables", "person_level", "rows", "error", "duration_ms",
        "sql", "executed_sql", "path", "client",
    )  # fmt: skip
    pseudonymised: tuple[tuple[str, str], ...] = ()
    snapshot: bool = False
    watermark_field: str = "at"
    # No identifier is pseudonymised, but the trail names users and quotes their queries: it is kept
    # Settings.audit_retention_days (huitong.lake.retention), its raw log too.
    retention: str = "audit_retention_days"

    def extract(self, start: datetime, end: datetime, cfg: Settings) -> Iterator[RawPart]:
        yield from self._log_lines(start, end, cfg)
        entries = superset_entries(cfg.superset_metadata_uri, start, end, cfg.profile)
        if entries:
            yield RawPart(name="superset.jsonl", data=to_lines(entries), origin="superset:logs")

    def _log_lines(self, start: datetime, end: datetime, cfg: Settings) -> Iterator[RawPart]:
        path = audit_log_path(cfg)
        if not path.exists():
            return
        raw_lines = path.read_bytes().splitlines(keepends=True)
        times = line_times(raw_lines)  # a torn line belongs to its neighbours' window
        lines = [
            raw for raw, moment in zip(raw_lines, times, strict=True) if moment and start <= moment < end
        ]
        if lines:
            yield RawPart(name="queries.jsonl", data=b"".join(lines), origin=str(path.name))

    def parse(self, part_name: str, data: bytes) -> ParsedPart:
        return parse_lines(data)


SOURCE = QueryAuditSource()

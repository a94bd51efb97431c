"""What every source provides, and the record parsing they share."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol

from huitong.config import Settings
from huitong.lake.landing import RawPart


@dataclass
class ParsedPart:
    """Records parsed from one landed part. Units that could not be parsed are kept as errors, never dropped."""

    records: list[dict[str, str | None]] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (offset, raw payload, reason)
    # A parser may hand its records over as Arrow string columns instead (a large CSV read by Arrow's C++ reader,
    # not cell by cell in Python): the same records, in order, each holding every column (None = blank).
    table: object | None = None  # pyarrow.Table; typed loosely so importing a source does not import pyarrow
    # With ``table``: the rows whose record lacks some of the table's columns (a key absent rather than null), as
    # parsed. Their hash and payload are of that record; every other row holds every column.
    partial: dict[int, dict[str, str | None]] = field(default_factory=dict)


class Source(Protocol):
    name: str
    entity: str
    columns: tuple[str, ...]  # the fields the source documents; others are kept and flagged
    pseudonymised: tuple[tuple[str, str], ...]  # (column, kind): columns that get a keyed <column>_token
    # True when each delivery is a full snapshot rather than changes keyed by a watermark (its rows have none: the
    # loader stamps them with the window's start)
    snapshot: bool

    def extract(self, start: datetime, end: datetime, cfg: Settings) -> Iterator[RawPart]: ...

    def parse(self, part_name: str, data: bytes) -> ParsedPart: ...

    def watermark(self, record: dict[str, str | None]) -> datetime | None: ...

    # Optional, for speed on large batches (huitong.ingest uses them when present):
    #   watermark_field: str -- watermark() is parse_timestamp() of this one field (FieldWatermark), so the loader
    #   parses the field's distinct values a column at a time;
    #   parse_table(part_name, data) -> ParsedPart | None -- the records of parse() as ParsedPart.table, or None
    #   to have parse() read the part.


class FieldWatermark:
    """Source.watermark for a source whose watermark is the time in one field, its ``watermark_field`` (a field the
    source's dataclass declares): the loader then parses that column at once, not record by record."""

    watermark_field: str

    def watermark(self, record: dict[str, str | None]) -> datetime | None:
        return parse_timestamp(record.get(self.watermark_field))


def as_text(value: object) -> str | None:
    """Bronze keeps source values as text, exactly as sent; typing happens in dbt staging."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# Where a lone surrogate can come from in JSON: an escape of half a UTF-16 pair (\ud800-\udfff), or (json.loads of
# bytes decodes with 'surrogatepass') the three bytes UTF-8 would spell it with. A cheap test before the exact one.
_SURROGATE_SOURCE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_SOURCE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def distinct_headers(headers: list[str]) -> list[str]:
    """Column names for a CSV header row in which a name may come twice: the repeat becomes ``<name>_<position>``
    (1-based), so neither column's values overwrite the other's; the batch's schema check then names it."""
    out: list[str] = []
    for position, name in enumerate(headers, start=1):
        while name in out:
            name = f"{name}_{position}"
        out.append(name)
    return out


def may_hold_surrogates(text: str | bytes) -> bool:
    """False when JSON parsed from ``text`` cannot hold a lone surrogate (no escape or bytes that could make one)."""
    pattern = _SURROGATE_SOURCE_BYTES if isinstance(text, bytes) else _SURROGATE_SOURCE
    return pattern.search(text) is not None


def storable_text(text: str) -> str:
    """``text`` with each lone surrogate spelled as its JSON escape (\\ud800): the rest unchanged."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def unstorable(record: dict[str, str | None]) -> str | None:
    """Why a parsed record cannot be stored, or None. json.loads accepts a lone surrogate (``"\\ud800"``: half a
    UTF-16 pair), but it is not a Unicode character and has no UTF-8 spelling, so no Arrow column, record hash or
    bronze table can hold it: such a record is quarantined (with its raw text) instead of crashing the load."""
    for key, value in record.items():
        for where, text in (
            (f"the key {storable_text(key)!r}", key),
            (f"the value of {storable_text(key)!r}", value),
        ):
            try:
                if text is not None:
                    text.encode("utf-8")
            except UnicodeEncodeError as exc:
                char = storable_text(exc.object[exc.start])
                return (
                    f"{where} holds a lone surrogate ({char}, half of a UTF-16 pair): not a Unicode character, "
                    "so it cannot be stored as text; the sending system must escape whole pairs"
                )
    return None


def record_hash(record: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(record, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


NAIVE_OFFSET = timezone(timedelta(hours=8))  # the zone parse_timestamp gives a naive time


def parse_timestamp(value: str | None) -> datetime | None:
    """ISO 8601 with an offset; a naive time is taken as the city's local time (UTC+8)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=NAIVE_OFFSET)
    return moment

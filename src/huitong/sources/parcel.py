"""Parcel-logistics real-name records (寄递实名): hourly JSON Lines files, some gzipped, in an object-store prefix.

Files arrive late and sometimes twice, so windows are cut on **arrival**, not on the hour a file covers: a window
takes the files that arrived in it, and a late file is picked up by the run of the hour it arrives in. Each landed
part is named ``<arrival UTC stamp>__<key with '/' as '__'>``, so the arrival travels with the bytes; parsing puts
the arrival hour in every record as ``_arrival_hour``, which is the record's watermark.

The arrival hour (not the second) is used because it is all the window needs (windows are whole hours) and it makes
a re-sent copy of a file that arrives within the same hour byte-identical record by record: the loader's
record-hash rule then quarantines it as ``duplicate_delivery``. A copy arriving in another hour loads again, and
staging keeps one row per waybill.

Parsing keeps whatever can be kept: a truncated gzip yields its complete lines plus one quarantine row for the lost
tail; a corrupt gzip, an undecodable or malformed line becomes a quarantine row with the reason.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Protocol

from huitong.config import Settings
from huitong.lake.landing import RawPart
from huitong.sources._files import parse_lines, parse_lines_table, whole_file_error
from huitong.sources.base import FieldWatermark, ParsedPart

COLUMNS = (
    "waybill_no", "outlet_code", "outlet_name", "sender_name", "sender_id_type", "sender_id_number",
    "sender_phone", "recipient_name", "recipient_phone", "recipient_address", "event_time", "updated_at",
    "_arrival_hour",
)  # fmt: skip
ARRIVAL = "_arrival_hour"
_STAMP = "%Y%m%dT%H%M%SZ"
_PART = re.compile(r"^(\d{8}T\d{6}Z)__(.+)$")


@dataclass(frozen=True)
class DropObject:
    key: str  # path under the prefix, '/'-separated
    arrived_at: datetime  # file mtime locally, LastModified on S3


class DropLister(Protocol):
    """Where the files are. Local folder now; an S3 lister (boto3 list_objects_v2 + get_object) fits the same
    two methods."""

    def list(self) -> Iterator[DropObject]: ...

    def read(self, key: str) -> bytes: ...

    def describe(self, key: str) -> str: ...


@dataclass(frozen=True)
class LocalDropLister:
    root: Path

    def list(self) -> Iterator[DropObject]:
        if not self.root.is_dir():
            raise FileNotFoundError(
                f"the parcel drop {self.root} does not exist: run `huitong simulate` then "
                "`python -m huitong.simulate.serve_parcel` (or point the source at the real prefix)"
            )
        for path in self.root.rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                arrived = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                yield DropObject(path.relative_to(self.root).as_posix(), arrived)

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def describe(self, key: str) -> str:
        return f"parcel/drop/{key}"


def arrival_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def part_name(obj: DropObject) -> str:
    return f"{obj.arrived_at.astimezone(UTC).strftime(_STAMP)}__{obj.key.replace('/', '__')}"


def gunzip(data: bytes) -> tuple[bytes, str | None]:
    """The decompressed bytes that could be recovered, and what went wrong (None when the stream is whole). Every
    member of a multi-member file (concatenated .gz files, as `cat a.gz b.gz` or appending writers make) is read."""
    out: list[bytes] = []
    rest = data
    while rest:
        inflater = zlib.decompressobj(wbits=31)  # gzip framing
        try:
            out.append(inflater.decompress(rest))
        except zlib.error as exc:
            if not out:
                return b"", f"corrupt gzip: {exc}"
            return b"".join(out), f"bytes after gzip member {len(out)} are not gzip ({exc}): they are lost"
        if not inflater.eof:
            lost = "truncated gzip: the stream ends before its end marker, the rest of the file is lost"
            return b"".join(out), lost
        rest = inflater.unused_data
    return b"".join(out), None


@dataclass
class ParcelDropSource(FieldWatermark):
    name: str = "parcel"
    entity: str = "waybills"
    columns: tuple[str, ...] = COLUMNS
    pseudonymised: tuple[tuple[str, str], ...] = (
        ("sender_id_number", "resident_id"),
        ("sender_phone", "phone"),
        ("recipient_phone", "phone"),
    )
    snapshot: bool = False
    # The one field watermark() reads: the loader parses each of its distinct values once per batch.
    watermark_field: str = ARRIVAL
    lister: DropLister | None = field(default=None)

    def _lister(self, cfg: Settings) -> DropLister:
        return self.lister or LocalDropLister(cfg.sources_dir / "parcel" / "drop")

    def extract(self, start: datetime, end: datetime, cfg: Settings) -> Iterator[RawPart]:
        lister = self._lister(cfg)
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        arrived = sorted(
            (o for o in lister.list() if start <= arrival_hour(o.arrived_at) < end),
            key=lambda o: (o.arrived_at, o.key),
        )
        for obj in arrived:
            yield RawPart(name=part_name(obj), data=lister.read(obj.key), origin=lister.describe(obj.key))

    def parse(self, part_name: str, data: bytes) -> ParsedPart:
        return self._parse(part_name, data, parse_lines)

    def parse_table(self, part_name: str, data: bytes) -> ParsedPart:
        """``parse``, with the lines read into Arrow string columns by Arrow's JSON reader where it reads them as
        json.loads does (huitong.sources._files.parse_lines_table): the same records, errors and offsets."""
        return self._parse(part_name, data, partial(parse_lines_table, columns=self.columns))

    def _parse(self, part_name: str, data: bytes, read: Callable[..., ParsedPart]) -> ParsedPart:
        match = _PART.match(part_name)
        if not match:
            return whole_file_error(
                part_name, data, "part name lacks the arrival stamp '<YYYYmmddTHHMMSSZ>__'"
            )
        arrived = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
        extra = {ARRIVAL: arrival_hour(arrived).isoformat()}
        problem = None
        if part_name.endswith(".gz"):
            raw = data
            data, problem = gunzip(raw)
            if problem and not data:
                return whole_file_error(part_name, raw, problem)
        parsed = read(data, extra)
        if problem:  # a damaged stream: its complete lines are loaded, the loss is recorded once
            tail = data.rsplit(b"\n", 1)[-1]
            text, offset = tail.decode("utf-8", "replace"), data.count(b"\n")
            cut = bool(tail.strip()) and bool(parsed.errors) and parsed.errors[-1][1] == text
            if cut:
                parsed.errors.pop()  # the cut-off last line: reported with the real cause
            elif tail.strip():  # the last line was whole and loaded: the row records the loss only
                text, offset = "", offset + 1
            parsed.errors.append((offset, text, f"{part_name}: {problem}"))
        return parsed


SOURCE = ParcelDropSource()

__all__ = ["SOURCE", "DropLister", "DropObject", "LocalDropLister", "ParcelDropSource", "gunzip"]

"""Reference registries, each delivered as a whole CSV snapshot into the reference drop folder:

- admin_divisions: the civil-affairs division list (GB/T 2260 codes and the town/village extension);
- key_businesses: the public-security registry of key-industry businesses (hotels, logistics outlets, second-hand
  shops, scrap stations, rental agencies) that must report records, the denominator of collection coverage.

A snapshot has no per-record watermark: the loader stamps every row with the window start, each load replaces that
window, and staging reads the newest snapshot.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from huitong.config import Settings
from huitong.lake.landing import RawPart
from huitong.sources._files import quoted_csv_table
from huitong.sources.base import ParsedPart, distinct_headers


@dataclass
class RegistrySnapshotSource:
    entity: str
    columns: tuple[str, ...]
    name: str = "reference"
    pseudonymised: tuple[tuple[str, str], ...] = ()
    snapshot: bool = True

    @property
    def file_name(self) -> str:
        return f"{self.entity}.csv"

    def extract(self, start: datetime, end: datetime, cfg: Settings) -> Iterator[RawPart]:
        path = cfg.sources_dir / "reference" / self.file_name
        if not path.exists():
            raise FileNotFoundError(
                f"{path} is missing: run `huitong simulate` (or deliver the registry file)"
            )
        yield RawPart(name=self.file_name, data=path.read_bytes(), origin=path.name)

    def parse(self, part_name: str, data: bytes) -> ParsedPart:
        parsed = ParsedPart()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            parsed.errors.append((0, data.decode("utf-8", "replace"), f"{part_name} is not UTF-8: {exc}"))
            return parsed
        try:
            reader = csv.DictReader(io.StringIO(text, newline=""))
            # A column named twice keeps both.
            reader.fieldnames = distinct_headers(list(reader.fieldnames or []))
            for offset, row in enumerate(reader):
                if None in row:  # more cells than headers
                    payload = ",".join(map(str, row.values()))
                    parsed.errors.append((offset, payload, "row has more cells than the header"))
                    continue
                parsed.records.append({k: (v if v != "" else None) for k, v in row.items()})
        except csv.Error as exc:
            # A registry is a whole snapshot: half of one would look like deletions. Quarantine it whole.
            return ParsedPart(errors=[(0, text, f"{part_name} is not readable CSV: {exc}")])
        return parsed

    def parse_table(self, part_name: str, data: bytes) -> ParsedPart | None:
        """``parse`` for a registry in the form it is published in (every non-empty cell quoted, as Arrow's CSV
        writer and most databases' exports write it; huitong.sources._files.quoted_csv_table), read by Arrow's C++
        reader into string columns; None for anything else, which ``parse`` then reads. The records are the ones
        ``parse`` gives, in the same order."""
        table = quoted_csv_table(data, distinct_headers)
        return None if table is None else ParsedPart(table=table)

    def watermark(self, record: dict[str, str | None]) -> datetime | None:
        return None


SOURCES = {
    "admin_divisions": RegistrySnapshotSource(
        "admin_divisions", ("division_code", "name", "level", "parent_code")
    ),
    "key_businesses": RegistrySnapshotSource(
        "key_businesses",
        ("business_code", "name", "industry", "uscc", "district_code", "police_station_code", "address"),
    ),
}

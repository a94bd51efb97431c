"""Reference data: the administrative divisions (GB/T 2260 codes and the town/village extension).

The civil-affairs registry publishes it as a CSV file; the whole file is one snapshot, so its watermark is the
extraction window's start and each load replaces the previous snapshot.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from huitong.config import Settings
from huitong.lake.landing import RawPart
from huitong.sources.base import ParsedPart


@dataclass
class DivisionRegistrySource:
    name: str = "reference"
    entity: str = "admin_divisions"
    columns: tuple[str, ...] = ("division_code", "name", "level", "parent_code")
    pseudonymised: tuple[tuple[str, str], ...] = ()
    snapshot: bool = True  # each delivery is a whole snapshot, stamped with the window start

    def extract(self, start: datetime, end: datetime, cfg: Settings) -> Iterator[RawPart]:
        path = cfg.sources_dir / "reference" / "admin_divisions.csv"
        if not path.exists():
            raise FileNotFoundError(
                f"{path} is missing: run `huitong simulate` (or deliver the registry file)"
            )
        yield RawPart(name="admin_divisions.csv", data=path.read_bytes(), origin=str(path.name))

    def parse(self, part_name: str, data: bytes) -> ParsedPart:
        parsed = ParsedPart()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            parsed.errors.append((0, data.decode("utf-8", "replace"), f"{part_name} is not UTF-8: {exc}"))
            return parsed
        for offset, row in enumerate(csv.DictReader(io.StringIO(text))):
            if None in row:  # more cells than headers
                parsed.errors.append(
                    (offset, ",".join(map(str, row.values())), "row has more cells than the header")
                )
                continue
            parsed.records.append({k: (v if v != "" else None) for k, v in row.items()})
        return parsed

    def watermark(self, record: dict[str, str | None]) -> datetime | None:
        return None  # a snapshot: the loader stamps every row with the window start


SOURCE = DivisionRegistrySource()

"""Public-safety records: the police records system's nightly exports of incidents, disputes, fugitive records and
survey answers.

Every night the records system (警综平台) exports the day's changes of each table as one CSV file:

    <drop>/<entity>/<YYYY-MM-DD>.csv      entity: incidents | disputes | survey_responses | fugitives

A row is the record's state at the end of that day, so an incident reported on Monday and cleared on Thursday is in
both days' exports. Fugitive records (追逃) are also re-exported on the first of every month while at large, so a
history loaded from any month on knows who was wanted at its start. Every row carries ``export_date`` (from the file
name), its watermark: re-loading a day replaces that day. No person-level data is exported (no victims, suspects,
respondents; a fugitive record is an opaque pseudonymous key with the registering jurisdiction and two times, no name,
ID number or trait of the person): the figures need counts only.
``<drop>`` is ``$HUITONG_HOME/sources/public_safety/drop`` (``huitong.simulate.export_public_safety`` writes it).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from huitong.config import Settings
from huitong.lake.landing import RawPart
from huitong.sources._files import decode_text, plain_csv_table
from huitong.sources.base import FieldWatermark, ParsedPart, distinct_headers
from huitong.sources.camera import day_of_part, days_in_window, drop_dir

COLUMNS = {
    "incidents": (
        "incident_id", "category", "two_robberies_one_theft", "case_type", "occurred_at", "reported_at",
        "district_code", "police_station_code", "cleared", "cleared_at", "updated_at",
    ),
    "disputes": (
        "dispute_id", "dispute_type", "found_at", "district_code", "police_station_code", "resolved",
        "resolved_at", "updated_at",
    ),
    "survey_responses": (
        "response_id", "survey_wave", "survey_date", "district_code", "police_station_code", "answer", "updated_at",
        "satisfaction",
    ),
    "fugitives": (
        "fugitive_key", "wanted_type", "registered_at", "district_code", "police_station_code", "caught",
        "caught_at", "updated_at",
    ),
}  # fmt: skip


def _export_headers(cells: list[str]) -> list[str]:
    return distinct_headers([h.strip() for h in cells])


def parse_export(part_name: str, data: bytes) -> ParsedPart:
    """A header line, then one record per line. A row with more cells than the header is quarantined alone;
    a file that is neither UTF-8 nor GB18030 is quarantined whole."""
    parsed = ParsedPart()
    export_day = day_of_part(part_name)
    try:
        if export_day is None:
            raise ValueError("the file name carries no export day (YYYY-MM-DD)")
        text = decode_text(part_name, data)
    except ValueError as exc:
        parsed.errors.append((0, data.decode("utf-8", "replace"), f"{part_name}: {exc}"))
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = _export_headers(next(reader, []))
        for offset, cells in enumerate(reader):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                raw = ",".join(cells)
                parsed.errors.append((offset, raw, f"{part_name} row {offset + 1}: {len(cells)} cells, header has {len(header)}"))  # fmt: skip
                continue
            row = {name: (value if value != "" else None) for name, value in zip(header, cells, strict=False)}
            parsed.records.append({**dict.fromkeys(header), **row, "export_date": export_day})
    except csv.Error as exc:
        # e.g. a field over the CSV size limit: the file is quarantined whole, never half-read
        return ParsedPart(errors=[(0, text, f"{part_name} is not readable CSV: {exc}")])
    return parsed


@dataclass
class NightlyExportSource(FieldWatermark):
    entity: str
    columns: tuple[str, ...]
    name: str = "public_safety"
    pseudonymised: tuple[tuple[str, str], ...] = ()
    snapshot: bool = False
    watermark_field: str = "export_date"

    def extract(self, start: datetime, end: datetime, cfg: Settings) -> Iterator[RawPart]:
        folder = drop_dir(cfg, self.name) / self.entity
        days = days_in_window(start, end, cfg.timezone)
        missing = [f"{d}.csv" for d in days if not (folder / f"{d}.csv").exists()]
        if missing:
            # The exports are the day's changes: a missing night would be lost, so nothing lands until it is there.
            raise FileNotFoundError(
                f"public-safety {self.entity} export missing in {folder}: {', '.join(missing[:10])}"
                f"{' …' if len(missing) > 10 else ''}; the records system exports each day after midnight"
            )
        for day in days:
            path = folder / f"{day}.csv"
            yield RawPart(f"{self.entity}-{day}.csv", path.read_bytes(), str(path.relative_to(folder.parent)))

    def parse(self, part_name: str, data: bytes) -> ParsedPart:
        return parse_export(part_name, data)

    def parse_table(self, part_name: str, data: bytes) -> ParsedPart | None:
        """``parse`` for an export without quotes, read by Arrow's CSV reader into string columns; None for anything
        else (quoted cells, ragged rows, undecodable), which ``parse`` reads. The same records, in the same order."""
        import pyarrow as pa

        export_day = day_of_part(part_name)
        if export_day is None:
            return None
        table = plain_csv_table(data, _export_headers, blank_cells=False)
        if table is None:
            return None
        day = pa.repeat(pa.scalar(export_day, pa.string()), table.num_rows)
        # The file name's day wins, in the column's place (as in parse).
        if "export_date" in table.column_names:
            table = table.set_column(table.column_names.index("export_date"), "export_date", day)
        else:
            table = table.append_column("export_date", day)
        return ParsedPart(table=table)


SOURCES = {
    entity: NightlyExportSource(entity, columns + ("export_date",)) for entity, columns in COLUMNS.items()
}

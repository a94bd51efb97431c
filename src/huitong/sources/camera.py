"""Camera registries of the three video programmes (天网 / 雪亮 / 慧眼), delivered as files into a drop folder.

Each programme runs its own GB/T 28181 platform. Every night each platform answers a Catalog query and the response
is saved as one XML file per platform per day (a whole snapshot of its devices), and its device status changes of
the day (online / offline notifications) are exported as JSON Lines:

    <drop>/catalog/<platform>/<YYYY-MM-DD>.xml     <Response><CmdType>Catalog</CmdType>...<DeviceList><Item>...
    <drop>/status/<platform>/<YYYY-MM-DD>.jsonl    {"event_id", "device_id", "platform_id", "event": ON|OFF, ...}

``<drop>`` is ``$HUITONG_HOME/sources/camera/drop`` (``huitong.simulate.export_camera`` writes it for the demo).
The snapshot day and the platform come from the file, so every catalogue row carries ``snapshot_date`` (its
watermark) and ``platform_id`` (the platform's own 20-digit SIP id from the response envelope).
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from huitong.config import Settings
from huitong.lake.landing import RawPart
from huitong.sources._files import decode_text, parse_lines, parse_lines_table
from huitong.sources.base import FieldWatermark, ParsedPart

log = logging.getLogger(__name__)

# Catalog item elements (GB/T 28181-2016 §A.2.4) and the columns they become; unknown elements are kept too.
ITEM_COLUMNS = {
    "DeviceID": "device_id", "Name": "name", "Manufacturer": "manufacturer", "Model": "model", "Owner": "owner",
    "CivilCode": "civil_code", "Block": "block", "Address": "address", "Parental": "parental",
    "ParentID": "parent_id", "SafetyWay": "safety_way", "RegisterWay": "register_way", "Secrecy": "secrecy",
    "IPAddress": "ip_address", "Port": "port", "Status": "status", "Longitude": "longitude", "Latitude": "latitude",
}  # fmt: skip
DEVICE_COLUMNS = (
    "platform_id", "snapshot_date", "device_id", "name", "manufacturer", "model", "owner", "civil_code",
    "address", "parental", "parent_id", "register_way", "secrecy", "status", "longitude", "latitude",
)  # fmt: skip
EVENT_COLUMNS = ("event_id", "device_id", "platform_id", "event", "event_time")
_ENVELOPE = ("platform_id", "snapshot_date")  # what each device row takes from the file, not from its item

_DAY_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
# Entity and DOCTYPE declarations are how XML bombs (billion laughs) and external-entity reads get in; no
# GB/T 28181 message needs one, so a file carrying one is refused before any parser sees it.
_DECLARATIONS = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def drop_dir(cfg: Settings, source: str) -> Path:
    """Where a file-delivering source system drops its exports (a local folder; an object-store prefix in
    production is mounted or synced to the same layout)."""
    return cfg.sources_dir / source / "drop"


def days_in_window(start: datetime, end: datetime, timezone: str) -> list[date]:
    """The city's calendar days whose local midnight falls in [start, end): the days a file-per-day source
    delivers for this window, and exactly the days whose rows the loader accepts (watermark = the day)."""
    tz = ZoneInfo(timezone)
    day = start.astimezone(tz).date()
    days = []
    while (midnight := datetime.combine(day, datetime.min.time(), tzinfo=tz)) < end:
        if midnight >= start:
            days.append(day)
        day += timedelta(days=1)
    return days


def day_of_part(part_name: str) -> str | None:
    match = _DAY_IN_NAME.search(part_name)
    return match.group(1) if match else None


def _column(tag: str) -> str:
    if tag in ITEM_COLUMNS:
        return ITEM_COLUMNS[tag]
    return re.sub(r"([a-z0-9])([A-Z])|([A-Z])([A-Z][a-z])", r"\1\3_\2\4", tag).lower()  # PTZType -> ptz_type


def _item_record(item: ET.Element, taken: tuple[str, ...] = ()) -> dict[str, str | None]:
    """Every element under the item with text becomes a column named by its tag in snake_case, however deep:
    <Info><PTZType> is ptz_type, and a namespace prefix is dropped. No value is overwritten: a name already taken
    (by ``taken``, a repeated element, or the same tag in two groups) gets its group's name in front
    (info_name), else the first free number (name_2); the batch's schema check then names the new column."""
    record: dict[str, str | None] = {}

    def put(name: str, group: str, value: str | None) -> None:
        free = lambda candidate: candidate not in record and candidate not in taken  # noqa: E731
        if not free(name):
            grouped, n = f"{group}_{name}" if group else name, 2
            while not free(f"{name}_{n}"):
                n += 1
            name = grouped if free(grouped) else f"{name}_{n}"
        record[name] = value

    # Level by level, so the item's own elements take their names before any nested one can: in
    # <Info><Name>..</Name></Info><Name>..</Name>, name is the device's and info_name the group's.
    level: list[tuple[ET.Element, str]] = [(item, "")]
    while level:
        deeper = []
        for element, group in level:
            for child in element:
                name = _column(child.tag.rpartition("}")[2])
                text = (child.text or "").strip() or None
                if len(child):  # a group such as <Info>: its leaves are flattened, its own text (if any) kept
                    if text is not None:
                        put(name, group, text)
                    deeper.append((child, name))
                else:
                    put(name, group, text)
        level = deeper
    return record


def parse_catalog(part_name: str, data: bytes) -> ParsedPart:
    """One platform's Catalog response. A file that cannot be trusted as a whole (refused declarations, bad
    encoding, malformed XML, not a Catalog, fewer items than announced) is quarantined whole, with the reason."""
    parsed = ParsedPart()

    def refuse(reason: str) -> ParsedPart:
        parsed.errors.append((0, data.decode("utf-8", "replace"), f"{part_name}: {reason}"))
        return parsed

    snapshot_day = day_of_part(part_name)
    if snapshot_day is None:
        return refuse("the file name carries no snapshot day (YYYY-MM-DD)")
    try:
        text = decode_text(part_name, data)
    except ValueError as exc:
        return refuse(f"undecodable: {exc}")
    # Checked on the decoded text, so no encoding can smuggle a declaration past the check.
    if _DECLARATIONS.search(text):
        return refuse(
            "DOCTYPE/ENTITY declarations are refused (entity expansion); a Catalog response has none"
        )
    try:
        # The declaration goes: the text is already decoded, and expat knows no multi-byte GB encodings.
        root = ET.fromstring(_XML_DECL.sub("", text, count=1))
    except ET.ParseError as exc:
        return refuse(f"malformed XML: {exc}")
    if root.tag != "Response" or (root.findtext("CmdType") or "").strip() != "Catalog":
        return refuse(f"not a Catalog response (root <{root.tag}>, CmdType {root.findtext('CmdType')!r})")
    items = root.findall("./DeviceList/Item")
    announced = (root.findtext("SumNum") or "").strip()
    if announced and announced != str(len(items)):
        # A truncated catalogue would make the missing devices look removed: hold every item back.
        reason = (
            f"{part_name}: catalogue incomplete: SumNum says {announced}, the file has {len(items)} items"
        )
        for offset, item in enumerate(items):
            parsed.errors.append((offset, ET.tostring(item, encoding="unicode"), reason))
        return parsed
    platform_id = (root.findtext("DeviceID") or "").strip() or None
    for item in items:
        parsed.records.append(
            {"platform_id": platform_id, "snapshot_date": snapshot_day, **_item_record(item, _ENVELOPE)}
        )
    return parsed


def parse_json_lines(
    part_name: str, data: bytes, read: Callable[[bytes], ParsedPart] = parse_lines
) -> ParsedPart:
    """One JSON object per line (huitong.sources._files.parse_lines, or ``read``), in UTF-8 or, from older
    platforms, GB18030; a line that is not one is quarantined alone and the rest still flow."""
    if not data.isascii():  # ASCII, what status exports usually are, is UTF-8 and GB18030 alike
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            try:  # the line readers read UTF-8
                data = decode_text(part_name, data).encode("utf-8")
            except ValueError as exc:
                return ParsedPart(
                    errors=[(0, data.decode("utf-8", "replace"), f"{part_name}: undecodable: {exc}")]
                )
    parsed = read(data)
    parsed.errors = [(o, p, f"{part_name} line {o + 1}: {r}") for o, p, r in parsed.errors]
    return parsed


def platforms(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.exists() else []


@dataclass
class CatalogSource(FieldWatermark):
    """Daily device catalogue snapshots, one file per platform per day."""

    name: str = "camera"
    entity: str = "devices"
    columns: tuple[str, ...] = DEVICE_COLUMNS
    pseudonymised: tuple[tuple[str, str], ...] = ()
    snapshot: bool = False  # several daily snapshots per window: each row's watermark is its snapshot day
    watermark_field: str = "snapshot_date"

    def extract(self, start: datetime, end: datetime, cfg: Settings) -> Iterator[RawPart]:
        folder = drop_dir(cfg, self.name) / "catalog"
        days = days_in_window(start, end, cfg.timezone)
        found = 0
        for platform in platforms(folder):
            for day in days:
                path = platform / f"{day.isoformat()}.xml"
                if path.exists():
                    found += 1
                    yield RawPart(f"catalog-{platform.name}-{day.isoformat()}.xml", path.read_bytes(),
                                  str(path.relative_to(folder)))  # fmt: skip
                else:
                    log.warning("no catalogue from platform %s for %s in %s", platform.name, day, folder)
        # A platform that misses a night is covered by its next snapshot; a day with no catalogue at all means
        # the exports stopped. Longer windows (history) may predate the first kept snapshot and land empty.
        if not found and len(days) == 1:
            raise FileNotFoundError(
                f"no camera catalogue for {days[0]} in {folder}/<platform>/: the platforms' nightly Catalog "
                "export has not run (or `huitong.simulate.export_camera` was not run for this day)"
            )

    def parse(self, part_name: str, data: bytes) -> ParsedPart:
        return parse_catalog(part_name, data)


@dataclass
class StatusEventSource(FieldWatermark):
    """Online / offline changes, one JSON Lines file per platform per day; every day must be delivered."""

    name: str = "camera"
    entity: str = "status_events"
    columns: tuple[str, ...] = EVENT_COLUMNS
    pseudonymised: tuple[tuple[str, str], ...] = ()
    snapshot: bool = False
    watermark_field: str = "event_time"

    def extract(self, start: datetime, end: datetime, cfg: Settings) -> Iterator[RawPart]:
        folder = drop_dir(cfg, self.name) / "status"
        days = days_in_window(start, end, cfg.timezone)
        known = platforms(folder)
        missing = [f"{p.name}/{d}.jsonl" for p in known for d in days if not (p / f"{d}.jsonl").exists()]
        if missing or not known:
            # Events are changes: a missing day would be lost for good, so nothing lands until all are there.
            raise FileNotFoundError(
                f"camera status exports missing in {folder}: {', '.join(missing[:10]) or 'no platform folders'}"
                f"{' …' if len(missing) > 10 else ''}; the platforms export each day's events after midnight"
            )
        for platform in known:
            for day in days:
                path = platform / f"{day.isoformat()}.jsonl"
                yield RawPart(f"status-{platform.name}-{day.isoformat()}.jsonl", path.read_bytes(),
                              str(path.relative_to(folder)))  # fmt: skip

    def parse(self, part_name: str, data: bytes) -> ParsedPart:
        return parse_json_lines(part_name, data)

    def parse_table(self, part_name: str, data: bytes) -> ParsedPart:
        """``parse``, the lines read into Arrow string columns by Arrow's JSON reader where it reads them as
        json.loads does (huitong.sources._files.parse_lines_table): the same records, errors and offsets."""
        return parse_json_lines(part_name, data, partial(parse_lines_table, columns=self.columns))


SOURCES = {"devices": CatalogSource(), "status_events": StatusEventSource()}

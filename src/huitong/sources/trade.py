"""Second-hand and scrap trade (二手/废旧物品收购登记): daily CSV or xlsx uploads from the shops' own software.

Shops upload one file per day into ``upload/<yyyy-mm-dd>/<shop>/``; a window takes the day folders it covers (windows
are whole local days) and lands the files unchanged. Parsing copes with what shop software really sends:

- encodings: UTF-8 (with or without BOM) is tried first, then GB18030 (a superset of GBK/GB2312);
- headers that differ between software versions ('姓名', '卖方姓名', 'seller_name'): ``HEADER_ALIASES`` maps every
  known spelling to one canonical column; a column nobody has mapped yet is kept under its own header, so bronze
  loses nothing and the batch's schema check tells the engineer to map it;
- xlsx exports (first sheet, read with openpyxl);
- a file that cannot be decoded or parsed at all becomes one quarantine row holding the whole file and the reason.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from huitong.config import Settings
from huitong.lake.landing import RawPart
from huitong.sources._files import decode_text, plain_csv_table, whole_file_error
from huitong.sources.base import FieldWatermark, ParsedPart, as_text, distinct_headers

# canonical column -> every header spelling seen in shop software (compared after normalise_header).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "trade_id": ("trade_id", "交易编号", "流水号", "登记编号"),
    "shop_code": ("shop_code", "店铺编码", "商户编号", "门店编码"),
    "shop_name": ("shop_name", "店铺名称", "商户名称", "门店名称"),
    "shop_uscc": ("shop_uscc", "统一社会信用代码", "信用代码", "社会信用代码"),
    "industry": ("industry", "行业", "经营类别"),
    "seller_name": ("seller_name", "姓名", "卖方姓名", "出售人姓名"),
    "seller_id_type": ("seller_id_type", "证件类型", "卖方证件类型"),
    "seller_id_number": ("seller_id_number", "证件号码", "卖方证件号码", "身份证号"),
    "seller_phone": ("seller_phone", "联系电话", "卖方电话", "手机号"),
    "item_category": ("item_category", "物品类别", "物品名称"),
    "amount_yuan": ("amount_yuan", "金额(元)", "成交金额", "金额"),
    "trade_time": ("trade_time", "交易时间", "收购时间"),
    "updated_at": ("updated_at", "更新时间", "修改时间"),
}
COLUMNS = tuple(HEADER_ALIASES)
CITY_TZ = timezone(timedelta(hours=8))  # upload folders are named by the local (UTC+8) day


def normalise_header(text: str) -> str:
    """Full-width brackets and spaces to ASCII (NFKC), no spaces, lower case: '金额（元）' == '金额(元)'."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


_CANONICAL = {normalise_header(a): c for c, aliases in HEADER_ALIASES.items() for a in aliases}


def map_headers(headers: list[str]) -> list[str]:
    """Canonical names for known headers; unknown ones keep their own (trimmed) text. A second column mapping to a
    canonical name already taken keeps its own text too, and a text already taken its position (distinct_headers),
    so no value is overwritten."""
    names: list[str] = []
    for i, raw in enumerate(headers):
        text = (raw or "").strip() or f"column_{i + 1}"
        name = _CANONICAL.get(normalise_header(text), text)
        names.append(text if name in names else name)
    return distinct_headers(names)


def _csv_rows(part_name: str, data: bytes) -> list[list[str]]:
    text = decode_text(part_name, data)
    if "\x00" in text:
        raise ValueError(
            "the file holds NUL bytes: it is binary, not CSV (UTF-16 or a mislabelled spreadsheet?)"
        )
    return list(csv.reader(io.StringIO(text, newline="")))


def _xlsx_rows(data: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _cell(value: object) -> str | None:
    if type(value) is str:  # every CSV cell: the common case first, it runs once per cell of a large upload
        return value if value and not value.isspace() else None
    if isinstance(value, datetime | date | time):  # openpyxl's date, time and date-time cells
        return value.isoformat()
    # A duration cell, as ISO 8601 seconds (bronze keeps text; staging types).
    if isinstance(value, timedelta):
        return f"PT{value.total_seconds():g}S"
    text = as_text(value)
    return None if text is None or text.strip() == "" else text


def rows_to_records(rows: list[list[object]]) -> ParsedPart:
    parsed = ParsedPart()
    # The header is the first row with a value: blank rows above it (an export's empty first line) name nothing.
    top = next((i for i, row in enumerate(rows) if any(_cell(v) for v in row)), None)
    if top is None:
        raise ValueError("the file has no header row (every row is blank)")
    header_cells = list(rows[top])
    while header_cells and _cell(header_cells[-1]) is None:
        header_cells.pop()  # xlsx rows are padded to the sheet's widest row: those cells name no column
    headers = map_headers([as_text(h) or "" for h in header_cells])
    for number, row in enumerate(rows[top + 1 :], start=top + 1):
        cells = [_cell(v) for v in row]
        if not any(cells):
            continue
        extra = cells[len(headers) :]
        if any(extra):
            payload = ",".join(c or "" for c in cells)
            parsed.errors.append((number, payload, f"row has {len(cells)} cells, the header {len(headers)}"))
            continue
        if len(cells) < len(headers):
            cells += [None] * (len(headers) - len(cells))
        # Blank cells beyond the header (checked above) are dropped, as the header names no column for them.
        parsed.records.append(dict(zip(headers, cells, strict=False)))
    return parsed


@dataclass
class TradeUploadSource(FieldWatermark):
    name: str = "trade"
    entity: str = "trades"
    columns: tuple[str, ...] = COLUMNS
    pseudonymised: tuple[tuple[str, str], ...] = (
        ("seller_id_number", "resident_id"),
        ("seller_phone", "phone"),
    )
    snapshot: bool = False
    # The one field watermark() reads: the loader parses each of its distinct values once per batch.
    watermark_field: str = "updated_at"
    root: Path | None = None  # default: <sources>/trade/upload

    def _root(self, cfg: Settings) -> Path:
        return self.root or cfg.sources_dir / "trade" / "upload"

    def extract(self, start: datetime, end: datetime, cfg: Settings) -> Iterator[RawPart]:
        root = self._root(cfg)
        if not root.is_dir():
            raise FileNotFoundError(
                f"the trade upload folder {root} does not exist: run `huitong simulate` then "
                "`python -m huitong.simulate.serve_trade`"
            )
        start, end = (m if m.tzinfo else m.replace(tzinfo=CITY_TZ) for m in (start, end))
        day = start.astimezone(CITY_TZ).date()
        while _day_start(day) < end:
            if _day_start(day) >= start:
                folder = root / day.isoformat()
                for path in sorted(
                    p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
                ):
                    key = path.relative_to(root).as_posix()
                    yield RawPart(
                        name=key.replace("/", "__"), data=path.read_bytes(), origin=f"trade/upload/{key}"
                    )
            day += timedelta(days=1)

    def parse(self, part_name: str, data: bytes) -> ParsedPart:
        try:
            rows = _xlsx_rows(data) if part_name.lower().endswith(".xlsx") else _csv_rows(part_name, data)
            parsed = rows_to_records(rows)
        except Exception as exc:  # noqa: BLE001 - any failure to read the file quarantines it whole, with the cause
            return whole_file_error(part_name, data, f"cannot be read: {type(exc).__name__}: {exc}")
        parsed.errors = [(o, p, f"{part_name}: {r}") for o, p, r in parsed.errors]
        return parsed

    def parse_table(self, part_name: str, data: bytes) -> ParsedPart | None:
        """``parse`` for a plain CSV, read by Arrow's C++ reader into string columns (~20x faster than the csv
        module plus a dict per row); None for anything else (xlsx, quoting, ragged rows, unreadable), which
        ``parse`` then reads. The records are the ones ``parse`` gives, in the same order."""
        if part_name.lower().endswith(".xlsx"):
            return None
        table = plain_csv_table(data, map_headers, blank_cells=True)
        return None if table is None else ParsedPart(table=table)


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CITY_TZ)


SOURCE = TradeUploadSource()

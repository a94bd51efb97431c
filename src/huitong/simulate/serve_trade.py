"""The second-hand / scrap trade source's upload folder (二手、废旧物品收购登记), written from the simulated store.

Shops upload the day's purchases from their own software, once a day, into ``sources/trade/upload/``:

    upload/<yyyy-mm-dd>/<shop_code>/trades-<shop_code>-<yyyymmdd>.csv|.xlsx     the day the records were written

The shop's software vendor decides the file: its header names (three generations of column naming), its encoding
(GB18030 for the older Chinese-language versions, UTF-8 with or without BOM otherwise) and whether it exports CSV
or xlsx. A shop keeps its vendor, so its files look the same every day.

Run ``python -m huitong.simulate.serve_trade`` after ``huitong simulate`` to (re)write the folder.
"""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq

from huitong.config import Settings, settings

STORE_COLUMNS = (
    "trade_id", "shop_code", "shop_name", "shop_uscc", "industry", "seller_name", "seller_id_type",
    "seller_id_number", "seller_phone", "item_category", "amount_yuan", "trade_time", "updated_at",
)  # fmt: skip

# What each generation of shop software calls the store's columns (in the store's order).
HEADER_GENERATIONS = {
    "v1": ("交易编号", "店铺编码", "店铺名称", "统一社会信用代码", "行业", "姓名", "证件类型", "证件号码",
           "联系电话", "物品类别", "金额(元)", "交易时间", "更新时间"),
    "v2": ("流水号", "商户编号", "商户名称", "信用代码", "经营类别", "卖方姓名", "卖方证件类型", "卖方证件号码",
           "卖方电话", "物品名称", "成交金额", "收购时间", "修改时间"),
    "v3": STORE_COLUMNS,
}  # fmt: skip


@dataclass(frozen=True)
class Vendor:
    headers: str  # a HEADER_GENERATIONS key
    encoding: str  # csv encoding; ignored for xlsx
    file_type: str  # "csv" or "xlsx"


VENDORS = (
    Vendor("v1", "gb18030", "csv"),
    Vendor("v2", "gb18030", "csv"),
    Vendor("v2", "utf-8-sig", "csv"),
    Vendor("v3", "utf-8", "csv"),
    Vendor("v2", "", "xlsx"),
)


@dataclass(frozen=True)
class Upload:
    key: str
    rows: int
    vendor: Vendor


def upload_dir(cfg: Settings) -> Path:
    return cfg.sources_dir / "trade" / "upload"


def vendors_of(shop_codes: set[str], seed: int) -> dict[str, Vendor]:
    """Each shop's software: dealt round-robin from a seeded start, so even a small city has every kind."""
    offset = seed % len(VENDORS)
    return {shop: VENDORS[(i + offset) % len(VENDORS)] for i, shop in enumerate(sorted(shop_codes))}


def _cells(row: dict) -> list[str]:
    return ["" if row[c] is None else str(row[c]) for c in STORE_COLUMNS]


def render_csv(rows: list[dict], vendor: Vendor) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER_GENERATIONS[vendor.headers])
    writer.writerows(_cells(r) for r in rows)
    return out.getvalue().encode(vendor.encoding)


def render_xlsx(rows: list[dict], vendor: Vendor) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "收购登记"
    sheet.append(list(HEADER_GENERATIONS[vendor.headers]))
    for row in rows:
        # Spreadsheet software types what looks numeric: amounts become numbers, the rest stays text.
        sheet.append([row[c] if c == "amount_yuan" else _cells(row)[i] for i, c in enumerate(STORE_COLUMNS)])
    book.properties.created = book.properties.modified = datetime(2000, 1, 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_uploads(cfg: Settings | None = None, *, seed: int | None = None) -> list[Upload]:
    """Replace the upload folder with one file per shop and day of ``sources/trade/trades.parquet``."""
    cfg = cfg or settings()
    store = cfg.sources_dir / "trade" / "trades.parquet"
    if not store.exists():
        raise FileNotFoundError(f"{store} is missing: run `huitong simulate` first")
    seed = cfg.seed if seed is None else seed
    root = upload_dir(cfg)
    if root.exists():
        shutil.rmtree(root)
    files: dict[tuple[str, str], list[dict]] = {}
    for row in pq.read_table(store).to_pylist():
        files.setdefault((row["updated_at"][:10], row["shop_code"]), []).append(row)
    vendors = vendors_of({shop for _, shop in files}, seed)
    uploads = []
    for (day, shop), rows in sorted(files.items()):
        vendor = vendors[shop]
        render = render_xlsx if vendor.file_type == "xlsx" else render_csv
        key = f"{day}/{shop}/trades-{shop}-{day.replace('-', '')}.{vendor.file_type}"
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render(rows, vendor))
        uploads.append(Upload(key, len(rows), vendor))
    return uploads


def main() -> None:
    import argparse

    argparse.ArgumentParser(
        prog="python -m huitong.simulate.serve_trade",
        description="(Re)write the shops' daily upload folder under $HUITONG_HOME/sources/trade/upload from the "
        "simulated store (run `huitong simulate` first): CSV in three header generations and two encodings, and xlsx.",
    ).parse_args()
    uploads = write_uploads()
    print(f"trade uploads: {len(uploads)} files, {sum(u.rows for u in uploads)} rows")


if __name__ == "__main__":
    main()

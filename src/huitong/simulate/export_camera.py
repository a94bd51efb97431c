"""The three camera platforms' side of the interface: nightly Catalog snapshots and status-event exports.

Reads the simulator's stores (``sources/camera/{devices,status_events}.parquet``, the division registry for
addresses) and writes, per platform and day, what a GB/T 28181 platform delivers (layout in
``huitong.sources.camera``). Like the real platforms:

- a catalogue is the state at the end of its day: devices registered by then, ON or OFF by their last event;
- 慧眼 (an older social-camera platform) writes GB2312-declared, GB18030-encoded XML, the others UTF-8;
- a few devices were keyed in by hand with a digit missing from their DeviceID, on every snapshot.

    python -m huitong.simulate.export_camera --start 2026-03-01 --end 2026-03-08   # days [start, end)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import zlib
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pyarrow.parquet as pq

from huitong.config import Settings, settings
from huitong.sources.camera import drop_dir

PLATFORMS = {"天网": "tianwang", "雪亮": "xueliang", "慧眼": "huiyan"}
INDUSTRY = {"天网": "00", "雪亮": "01", "慧眼": "03"}
OWNERS = {"天网": "市公安局", "雪亮": "综治中心", "慧眼": "社会单位"}
GB_ENCODED = {"慧眼"}
MODELS = (
    ("海康威视", "DS-2CD3T46WDV3"), ("大华", "DH-IPC-HFW4433M"), ("宇视", "IPC-B314-APKZ"),
    ("天地伟业", "TC-NC9401S3E"), ("海康威视", "DS-2DE4423IW"),
)  # fmt: skip
MISKEYED_ONE_IN = 400  # devices whose DeviceID was typed with a digit missing


def write_atomically(path: Path, data: bytes) -> None:
    """A reader of the drop folder sees a whole file or none (never one still being written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def simulated_as_of(cfg: Settings) -> date:
    summary = json.loads((cfg.ground_truth_dir / "summary.json").read_text())
    return date.fromisoformat(summary["as_of"])


def day_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def _addresses(cfg: Settings) -> dict[str, str]:
    """12-digit village/community code -> district + town + village names."""
    path = cfg.sources_dir / "reference" / "admin_divisions.csv"
    rows = {r["division_code"]: r for r in csv.DictReader(path.open(encoding="utf-8-sig"))}

    def full(code: str) -> str:
        row = rows.get(code)
        return (full(row["parent_code"]) if row and row["parent_code"] else "") + (row["name"] if row else "")

    return {code: full(code) for code in rows if len(code) == 12}


def platform_id(device_code: str, programme: str) -> str:
    """The platform's own SIP server id: the city's centre code, the programme's industry, type 200."""
    return f"{device_code[:4]}0000{INDUSTRY[programme]}2000000001"


def listed_device_id(device_code: str) -> str:
    """The DeviceID a platform lists for a device: its code, or the code with a digit missing when it was keyed in
    by hand (the same on every snapshot). Entity-resolution evaluation maps the truth through this."""
    return device_code[:-1] if zlib.crc32(device_code.encode()) % MISKEYED_ONE_IN == 0 else device_code


def _item(device: dict, status: str, address: str, parent: str) -> str:
    code = listed_device_id(device["device_code"])
    digest = zlib.crc32(device["device_code"].encode())
    maker, model = MODELS[digest % len(MODELS)]
    fields = (
        ("DeviceID", code), ("Name", device["device_name"]), ("Manufacturer", maker), ("Model", model),
        ("Owner", OWNERS[device["programme"]]), ("CivilCode", device["civil_code"]), ("Address", address),
        ("Parental", "0"), ("ParentID", parent), ("RegisterWay", "1"), ("Secrecy", "0"), ("Status", status),
        ("Longitude", repr(device["longitude"])), ("Latitude", repr(device["latitude"])),
    )  # fmt: skip
    return "<Item>" + "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in fields) + "</Item>"


def catalog_xml(programme: str, items: list[str], platform: str, sn: int) -> bytes:
    encoding = "GB2312" if programme in GB_ENCODED else "UTF-8"
    body = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<Response>\n<CmdType>Catalog</CmdType>\n<SN>{sn}</SN>\n'
        f"<DeviceID>{platform}</DeviceID>\n<SumNum>{len(items)}</SumNum>\n"
        f'<DeviceList Num="{len(items)}">\n' + "\n".join(items) + "\n</DeviceList>\n</Response>\n"
    )
    return body.encode("gb18030" if programme in GB_ENCODED else "utf-8")


def status_lines(events: list[dict], programme: str) -> bytes:
    """One platform's status export: a JSON object per event, one per line."""
    lines = (
        json.dumps(
            {
                "event_id": e["event_id"],
                "device_id": e["device_code"],
                "platform_id": platform_id(e["device_code"], programme),
                "event": "OFF" if e["status"] == "offline" else "ON",
                "event_time": e["event_time"],
            },
            ensure_ascii=False,
        )
        for e in events
    )
    return "".join(line + "\n" for line in lines).encode()


def export_camera(
    cfg: Settings | None = None, *, start: date, end: date, catalogs: bool = True, events: bool = True
) -> dict[str, int]:
    """Write each platform's files for the days [start, end); returns files written per kind."""
    cfg = cfg or settings()
    store = cfg.sources_dir / "camera"
    devices = pq.read_table(store / "devices.parquet").to_pylist()
    history = pq.read_table(store / "status_events.parquet").sort_by("event_time").to_pylist()
    addresses = _addresses(cfg)
    drop = drop_dir(cfg, "camera")
    programme_of = {d["device_code"]: d["programme"] for d in devices}
    written = {"catalog": 0, "status": 0}
    status: dict[str, str] = {}
    cursor = 0
    for day in day_range(start, end):
        midnight = f"{day + timedelta(days=1)}T00:00:00"
        todays: list[dict] = []
        while cursor < len(history) and history[cursor]["event_time"] < midnight:
            event = history[cursor]
            status[event["device_code"]] = event["status"]
            if event["event_time"] >= f"{day}T00:00:00":
                todays.append(event)
            cursor += 1
        for programme, slug in PLATFORMS.items():
            platform = None
            if catalogs:
                items = []
                for device in devices:
                    if device["programme"] != programme or device["updated_at"] >= midnight:
                        continue  # another platform's, or not registered yet
                    platform = platform or platform_id(device["device_code"], programme)
                    on = "OFF" if status.get(device["device_code"]) == "offline" else "ON"
                    items.append(_item(device, on, addresses.get(device["civil_code"], ""), platform))
                sn = int(day.strftime("%Y%m%d"))
                write_atomically(drop / "catalog" / slug / f"{day}.xml",
                                 catalog_xml(programme, items, platform or "", sn))  # fmt: skip
                written["catalog"] += 1
            if events:
                platform_events = [e for e in todays if programme_of.get(e["device_code"]) == programme]
                write_atomically(
                    drop / "status" / slug / f"{day}.jsonl", status_lines(platform_events, programme)
                )
                written["status"] += 1
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=date.fromisoformat, help="first day (default: 7 days before as_of)")
    parser.add_argument("--end", type=date.fromisoformat, help="day after the last (default: as_of)")
    parser.add_argument(
        "--no-catalogs", action="store_true", help="status events only (cheap for long ranges)"
    )
    args = parser.parse_args(argv)
    cfg = settings()
    end = args.end or simulated_as_of(cfg)
    print(
        export_camera(
            cfg, start=args.start or end - timedelta(days=7), end=end, catalogs=not args.no_catalogs
        )
    )


if __name__ == "__main__":
    main()

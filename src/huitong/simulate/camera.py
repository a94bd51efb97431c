"""Video surveillance devices of three programmes (天网 city network, 雪亮 village/community network, 慧眼 social
cameras) and their online/offline status events.

The same physical camera is often registered by two or three programmes, each with its own GB/T 28181 code, its own
naming habit and coordinates that differ by metres: that is the duplication the platform must resolve. Exactly the
configured share of villages (村) has at least one camera; every urban community has some.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from huitong.codes import make_gb28181
from huitong.simulate.activity import iso_date, iso_local
from huitong.simulate.city import City
from huitong.simulate.records import Truth, to_table
from huitong.simulate.seeding import rng_for

PROGRAMMES = ("天网", "雪亮", "慧眼")
# GB/T 28181 industry codes: 00 public-security roads, 01 community access, 03 other social access.
PROGRAMME_INDUSTRY = {"天网": "00", "雪亮": "01", "慧眼": "03"}
DIRECTIONS = ("东", "南", "西", "北", "东北", "西南")
METRE_DEG = 1 / 111_000
OUTAGES_PER_YEAR = 3.0


def build_camera(
    city: City, *, seed: int, start: date, as_of: date, village_coverage: float, truth: Truth
) -> dict:
    rng = rng_for(seed, "camera")
    by_code = {d.code: d for d in city.all_divisions()}
    hoods = city.neighbourhoods
    village_idx = [i for i, h in enumerate(hoods) if h.level == "village"]
    covered = {i for i, h in enumerate(hoods) if h.level == "community"}
    n_cover = round(village_coverage * len(village_idx))
    covered |= {int(i) for i in rng.choice(village_idx, size=n_cover, replace=False)}

    rows: dict[str, list] = {
        k: []
        for k in (
            "device_code", "programme", "device_name", "device_type", "civil_code", "district_code",
            "longitude", "latitude", "install_date", "updated_at",
        )
    }  # fmt: skip
    camera_of_row: list[str] = []
    serial = dict.fromkeys(PROGRAMMES, 0)
    as_of_days = (np.datetime64(as_of) - np.datetime64(start)).astype(int)
    physical = 0
    for hi in sorted(covered):
        hood = hoods[hi]
        town = by_code[hood.parent_code]
        district = by_code[town.parent_code]
        for _ in range(1 + rng.poisson(1.5)):
            physical += 1
            cam_id = f"C{physical:06d}"
            road = town.roads[int(rng.integers(0, len(town.roads)))]
            num = int(rng.integers(1, 300))
            direction = DIRECTIONS[int(rng.integers(0, len(DIRECTIONS)))]
            lon = hood.lon + rng.normal(0, 300 * METRE_DEG)
            lat = hood.lat + rng.normal(0, 300 * METRE_DEG)
            install = np.datetime64(start) + int(rng.integers(-1500, as_of_days - 30))
            n_prog = int(rng.choice([1, 2, 3], p=[0.55, 0.33, 0.12]))
            weights = np.array([1.0, 2.0, 0.8]) if hood.level == "village" else np.array([2.0, 1.0, 1.0])
            progs = rng.choice(3, size=n_prog, replace=False, p=weights / weights.sum())
            for p in sorted(int(x) for x in progs):
                prog = PROGRAMMES[p]
                serial[prog] += 1
                centre = district.code + town.code[-2:]
                names = {
                    "天网": f"{district.name}{road}{num}号{direction}侧",
                    "雪亮": f"{hood.name}{road}{num}号",
                    "慧眼": f"{road}{num}号{hood.name}-{int(rng.integers(1, 4))}",
                }
                jitter = rng.normal(0, 4 * METRE_DEG, 2)  # the metres by which surveys disagree
                digits = 4 if prog == "慧眼" else 6
                registered = max(install, np.datetime64(start) - 400) + int(rng.integers(0, 60))
                rows["device_code"].append(
                    make_gb28181(
                        centre, PROGRAMME_INDUSTRY[prog], "132" if rng.random() < 0.7 else "131", serial[prog]
                    )
                )
                rows["programme"].append(prog)
                rows["device_name"].append(names[prog])
                rows["device_type"].append("IPC" if rows["device_code"][-1][10:13] == "132" else "camera")
                rows["civil_code"].append(hood.code)
                rows["district_code"].append(district.code)
                rows["longitude"].append(round(float(lon + jitter[0]), digits))
                rows["latitude"].append(round(float(lat + jitter[1]), digits))
                rows["install_date"].append(install)
                rows["updated_at"].append(min(registered, np.datetime64(as_of) - 1))
                camera_of_row.append(cam_id)

    install = np.array(rows["install_date"], dtype="datetime64[D]")
    updated = np.array(rows["updated_at"], dtype="datetime64[D]").astype("datetime64[s]") + np.timedelta64(
        10 * 3600, "s"
    )
    devices = {**rows, "install_date": iso_date(install), "updated_at": iso_local(updated)}
    for k in ("longitude", "latitude"):
        devices[k] = np.array(rows[k], dtype=float)
    codes = np.array(rows["device_code"], dtype=object)
    truth.camera("camera", codes, np.array(camera_of_row, dtype=object))
    events = _status_events(rng, codes, np.array(rows["programme"], dtype=object), install, start, as_of)
    return {
        "devices": to_table(devices, ("device_code",)),
        "status_events": to_table(events, ("event_time", "device_code", "status")),
    }


def _status_events(rng, codes, programmes, install, start: date, as_of: date) -> dict:
    """Outages (offline) and repairs (online again); an outage still open at as_of has no repair yet."""
    start_s, as_of_s = np.datetime64(start, "s"), np.datetime64(as_of, "s")
    live_from = np.maximum(install.astype("datetime64[s]"), start_s)
    span = (as_of_s - live_from).astype(int)
    counts = rng.poisson(OUTAGES_PER_YEAR * np.maximum(span, 0) / (365 * 86400))
    dev = np.repeat(np.arange(len(codes)), counts)
    down = live_from[dev] + (rng.random(len(dev)) * span[dev]).astype("timedelta64[s]")
    hours = np.where(
        rng.random(len(dev)) < 0.1, rng.integers(72, 720, len(dev)), rng.integers(1, 48, len(dev))
    )
    up = down + (hours * 3600 + rng.integers(0, 3600, len(dev))).astype("timedelta64[s]")
    # A device is down at most once at a time: drop outages that begin before the previous one was repaired.
    order = np.lexsort((down, dev))
    dev, down, up = dev[order], down[order], up[order]
    keep = np.ones(len(dev), dtype=bool)
    last_dev, last_up = -1, None
    for i in range(len(dev)):
        if dev[i] == last_dev and down[i] <= last_up:
            keep[i] = False
        else:
            last_dev, last_up = dev[i], up[i]
    dev, down, up = dev[keep], down[keep], up[keep]
    repaired = up < as_of_s
    ev_dev = np.concatenate([dev, dev[repaired]])
    ev_time = np.concatenate([down, up[repaired]])
    status = np.concatenate(
        [np.full(len(dev), "offline", dtype=object), np.full(int(repaired.sum()), "online", dtype=object)]
    )
    ids = np.array([f"EV{i + 1:09d}" for i in range(len(ev_dev))], dtype=object)
    order = np.lexsort((codes[ev_dev].astype(str), ev_time))
    ids = ids[np.argsort(order)]  # ids follow time order, whatever the build order was
    stamp = iso_local(ev_time)
    return {
        "event_id": ids,
        "device_code": codes[ev_dev],
        "programme": programmes[ev_dev],
        "status": status,
        "event_time": stamp,
        "updated_at": stamp,
    }

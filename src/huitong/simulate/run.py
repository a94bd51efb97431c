"""One simulation run: build the city, its people and businesses, every source's records and the ground truth.

Writes under settings.sources_dir (what the source systems hold) and settings.ground_truth_dir (the answers, for
evaluation only). Same arguments, same bytes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huitong.config import Settings
from huitong.simulate.camera import build_camera
from huitong.simulate.city import build_city, write_admin_divisions
from huitong.simulate.counter_trade import build_parcel, build_trade
from huitong.simulate.hotel import build_hotel, person_format_tables
from huitong.simulate.noise import NoiseRates
from huitong.simulate.population import Businesses, People, build_businesses, build_people
from huitong.simulate.profiles import get_profile
from huitong.simulate.public_safety import build_public_safety
from huitong.simulate.records import Truth, to_table, write_parquet
from huitong.simulate.rental import build_rental

MIN_SCALE, MAX_SCALE = 0.01, 100.0


def default_start(as_of: date) -> date:
    return date(as_of.year - 1, 1, 1)


def _people_table(people: People) -> pa.Table:
    return to_table(
        {
            "person_id": people.person_id,
            "name": people.name,
            "gender": np.where(people.male, "M", "F").astype(object),
            "birth_date": np.array([str(d) for d in people.birth], dtype=object),
            "id_type": people.id_type,
            "id_number": people.id_number,
            "phone": people.phone,
            "address": people.address,
            "resident": people.resident,
            "home_code": people.home_code,
        },
        ("person_id",),
    )


def _business_registry(b: Businesses, with_id: bool) -> pa.Table:
    cols = {
        "business_code": b.code,
        "name": b.name,
        "industry": b.industry,
        "uscc": b.uscc,
        "district_code": b.district_code,
        "police_station_code": b.town_code,
        "address": b.address,
    }
    if with_id:
        cols = {"business_id": b.business_id, **cols}
    return to_table(cols, ("business_code",))


def simulate(
    settings: Settings,
    *,
    seed: int,
    scale: float,
    start: date | None = None,
    as_of: date,
    profile: str = "demo",
    noise: NoiseRates | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Generate every source store and the ground truth; returns {"stores": {path: rows}, ...}.

    noise overrides the profile's hotel noise rates (tests use it to check rates or to switch noise off)."""
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be within {MIN_SCALE}..{MAX_SCALE}, got {scale}")
    start = start or default_start(as_of)
    if start >= as_of:
        raise ValueError(f"start ({start}) must be before as_of ({as_of})")
    prof = get_profile(profile)
    if noise is not None:
        prof = replace(prof, noise=noise)
    other_noise = prof.noise.scaled(prof.other_source_noise)
    sources, truth_dir = Path(settings.sources_dir), Path(settings.ground_truth_dir)
    stores: dict[str, int] = {}
    truth = Truth()
    t0 = time.monotonic()

    def step(msg: str) -> None:
        log(f"[simulate {time.monotonic() - t0:6.1f}s] {msg}")

    def save(source: str, tables: dict[str, pa.Table]) -> None:
        for name, table in tables.items():
            stores[f"{source}/{name}"] = write_parquet(table, sources / source / f"{name}.parquet")
        step(f"{source}: " + ", ".join(f"{n} {t.num_rows:,}" for n, t in tables.items()))

    city = build_city(seed)
    stores["reference/admin_divisions"] = write_admin_divisions(
        city, sources / "reference" / "admin_divisions.csv"
    )
    step(
        f"city: {len(city.districts)} districts, {len(city.towns)} towns, {len(city.neighbourhoods)} villages/communities"
    )
    people = build_people(city, seed, scale, as_of)
    businesses = build_businesses(city, seed, scale)
    save("reference", {"key_businesses": _business_registry(businesses, with_id=False)})
    step(
        f"people: {len(people):,} ({int(people.resident.sum()):,} residents); businesses: {len(businesses):,}"
    )

    common = {"seed": seed, "scale": scale, "start": start, "as_of": as_of, "silent_share": prof.silent_share}
    hotel = build_hotel(people, businesses, noise=prof.noise, formats=person_format_tables(people), **common)
    reg_ids = hotel.table.column("reg_id").to_numpy(zero_copy_only=False)
    truth.person("hotel", reg_ids, "guest", hotel.guest_person)
    truth.business("hotel", reg_ids, hotel.business_id)
    truth.business("reference", businesses.code, businesses.business_id)
    save("hotel", {"registrations": hotel.table})
    save("rental", build_rental(city, people, businesses, noise=other_noise, truth=truth, **common))
    save("parcel", build_parcel(people, businesses, noise=other_noise, truth=truth, **common))
    save("trade", build_trade(people, businesses, noise=other_noise, truth=truth, **common))
    save(
        "camera",
        build_camera(
            city,
            seed=seed,
            start=start,
            as_of=as_of,
            village_coverage=prof.village_camera_coverage,
            truth=truth,
        ),
    )
    save("public_safety", build_public_safety(city, seed=seed, scale=scale, as_of=as_of, targets=prof.safety))

    gt = {
        "person_records": truth.table("person"),
        "business_records": truth.table("business"),
        "camera_records": truth.table("camera"),
        "persons": _people_table(people),
        "businesses": _business_registry(businesses, with_id=True),
        "hotel_stays": to_table({"reg_id": reg_ids, "stay_id": hotel.stay_id}, ("reg_id",)),
    }
    for name, table in gt.items():
        write_parquet(table, truth_dir / f"{name}.parquet")
    summary = {
        "seed": seed,
        "scale": scale,
        "start": start.isoformat(),
        "as_of": as_of.isoformat(),
        "profile": profile,
        "stores": dict(sorted(stores.items())),
        "ground_truth": {name: _counts_by_source(t) for name, t in gt.items() if name.endswith("_records")},
        "entities": {
            "persons": len(people),
            "businesses": len(businesses),
            "hotel_stays": pc.count_distinct(gt["hotel_stays"].column("stay_id")).as_py(),
            "cameras": pc.count_distinct(gt["camera_records"].column("camera_id")).as_py(),
        },
    }
    truth_dir.mkdir(parents=True, exist_ok=True)
    (truth_dir / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    )
    step(f"done: {sum(v for k, v in stores.items() if not k.startswith('reference')):,} source records")
    return summary


def _counts_by_source(table: pa.Table) -> dict[str, int]:
    counts = table.group_by("source").aggregate([("record_id", "count")]).to_pydict()
    return dict(sorted(zip(counts["source"], counts["record_id_count"], strict=True)))

"""Time validate_batch on a synthetic hotel batch: ``python -m huitong.quality.benchmark --rows 100000``.

The batch is mostly good rows with a share of the defects the hotel source is known to send (bad check digits,
mixed date spellings, reversed stays, blank keys), so the timing includes building quarantine rows.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime, timedelta

import pandas as pd

from huitong import codes
from huitong.quality import validate_batch

NOW = datetime.fromisoformat("2026-05-02T12:00:00+08:00")
_DISTRICTS = ("110101", "110105", "110108", "310104", "440305")
_SURNAMES = "王李张刘陈杨黄赵吴周"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华"


def _good_row(rng: random.Random, i: int) -> dict[str, str | None]:
    district = rng.choice(_DISTRICTS)
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    male = rng.random() < 0.5
    checkin = NOW - timedelta(hours=rng.uniform(1, 72))
    checkout = checkin + timedelta(hours=rng.uniform(2, 60))
    hotel = rng.randrange(400)
    return {
        "reg_id": f"R{i:09d}",
        "hotel_code": f"H{hotel:05d}",
        "hotel_name": f"测试酒店{hotel}",
        "hotel_uscc": codes.make_uscc(district, f"MA{hotel:07d}") if hotel % 5 else None,
        "guest_name": rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.choice((1, 2)))),
        "id_type": "居民身份证",
        "id_number": codes.make_resident_id(district, born, rng.randrange(1000), male)
        if rng.random() < 0.9
        else None,
        "gender": rng.choice(("男", "女", "M", "F", "1", "2", None)),
        "birth_date": rng.choice(
            (f"{born:%Y-%m-%d}", f"{born:%Y%m%d}", f"{born.year}/{born.month}/{born.day}")
        ),
        "phone": rng.choice(
            (f"1{rng.randrange(3, 10)}{rng.randrange(10**9):09d}", None, "+86 139-0000-0000")
        ),
        "address": f"{district}某路{rng.randrange(1, 999)}号",
        "room_no": str(rng.randrange(101, 1999)),
        "checkin_time": checkin.isoformat(timespec="seconds"),
        "checkout_time": checkout.isoformat(timespec="seconds") if checkout < NOW else None,
        "district_code": district,
        "police_station_code": f"{district}{rng.randrange(1, 30):03d}",
        "updated_at": min(checkout, NOW).isoformat(timespec="seconds"),
    }


def _spoil(rng: random.Random, row: dict[str, str | None]) -> None:
    match rng.randrange(5):
        case 0 if row["id_number"]:
            row["id_number"] = row["id_number"][:17] + ("0" if row["id_number"][17] != "0" else "1")
        case 1:
            row["reg_id"] = " "
        case 2:
            row["checkin_time"] = "2026/05/01 14:00"
        case 3 if row["checkout_time"]:
            row["checkout_time"], row["checkin_time"] = row["checkin_time"], row["checkout_time"]
        case _:
            row["district_code"] = "11010"


def synthetic_registrations(rows: int, bad_fraction: float = 0.02, seed: int = 7) -> pd.DataFrame:
    rng = random.Random(seed)
    records = []
    for i in range(rows):
        row = _good_row(rng, i)
        if rng.random() < bad_fraction:
            _spoil(rng, row)
        records.append(row)
    return pd.DataFrame.from_records(records)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bad-fraction", type=float, default=0.02)
    args = parser.parse_args(argv)
    df = synthetic_registrations(args.rows, args.bad_fraction)
    started = time.perf_counter()
    validate_batch("hotel", "registrations", df.head(10), "warm-up", context={"now": NOW})
    warm = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    result = validate_batch("hotel", "registrations", df, "bench", context={"now": NOW})
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"first call (imports GX, builds the context): {warm:.1f} s")
    print(
        f"{args.rows} rows: {took:.2f} s wall, {cpu:.2f} s CPU ({args.rows / took:,.0f} rows/s); "
        f"valid {len(result.valid)}, quarantined {len(result.quarantine)}, flagged {len(result.flags)}"
    )


if __name__ == "__main__":
    main()

"""The simulator: reproducible bytes, valid identifiers before noise, complete ground truth, a sane city."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from huitong.codes import is_valid_gb28181, is_valid_resident_id, is_valid_uscc
from huitong.config import load_settings
from huitong.simulate import simulate
from huitong.simulate.city import build_city
from huitong.simulate.names import name_pinyin
from huitong.simulate.population import ID_CARD, build_businesses, build_people

AS_OF = date(2026, 11, 23)


def run_sim(home: Path, seed: int = 11, scale: float = 0.03) -> dict:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUITONG_HOME", str(home))
        return simulate(load_settings(), seed=seed, scale=scale, as_of=AS_OF, log=lambda _: None)


def digests(home: Path) -> dict[str, str]:
    return {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.rglob("*"))
        if p.is_file() and p.suffix in {".parquet", ".csv", ".json"}
    }


@pytest.fixture(scope="module")
def sim(tmp_path_factory) -> tuple[Path, dict]:
    home = tmp_path_factory.mktemp("sim")
    return home, run_sim(home)


def read(home: Path, rel: str):
    return pq.read_table(home / rel).to_pandas()


def test_same_arguments_give_identical_bytes_and_another_seed_does_not(sim, tmp_path):
    home, _ = sim
    run_sim(tmp_path / "again")
    assert digests(tmp_path / "again") == digests(home)
    run_sim(tmp_path / "other", seed=12)
    other = digests(tmp_path / "other")
    assert (
        other["sources/hotel/registrations.parquet"] != digests(home)["sources/hotel/registrations.parquet"]
    )


def test_admin_divisions_form_a_tree_with_gbt2260_codes(sim):
    home, _ = sim
    with (home / "sources/reference/admin_divisions.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_code = {r["division_code"]: r for r in rows}
    assert len(by_code) == len(rows)
    lengths = {"district": 6, "town": 9, "village": 12, "community": 12}
    for r in rows:
        assert len(r["division_code"]) == lengths[r["level"]], r
        if r["level"] == "district":
            assert r["parent_code"] == "" and r["division_code"].startswith("3299")
        else:
            parent = by_code[r["parent_code"]]
            assert r["division_code"].startswith(parent["division_code"])
    levels = [r["level"] for r in rows]
    assert levels.count("district") == 8
    assert levels.count("village") > levels.count("community") > 0
    # Counties (329921..) hold more villages than urban districts (329902..).
    villages_by_district: dict[str, int] = {}
    for r in rows:
        if r["level"] == "village":
            villages_by_district[r["division_code"][:6]] = (
                villages_by_district.get(r["division_code"][:6], 0) + 1
            )
    assert min(villages_by_district.get(f"32992{i}", 0) for i in (1, 2, 3)) > max(
        villages_by_district.get(f"32990{i}", 0) for i in (2, 3, 4, 5)
    )


def test_identifiers_are_valid_before_noise():
    city = build_city(3)
    people = build_people(city, 3, 0.03, AS_OF)
    cards = people.id_number[people.id_type == ID_CARD]
    assert len(cards) > 0 and all(is_valid_resident_id(i) for i in cards)
    assert all(len(p) == 11 and p[0] == "1" and p[1] in "3456789" for p in people.phone)
    # Residents' IDs carry a 汇通 birthplace mostly; visitors' never do.
    resident_local = sum(i.startswith("3299") for i in people.id_number[people.resident])
    assert resident_local > 0.6 * people.resident.sum()
    assert not any(str(i).startswith("3299") for i in people.id_number[~people.resident])
    businesses = build_businesses(city, 3, 0.03)
    assert all(is_valid_uscc(u) for u in businesses.uscc)
    assert set(businesses.industry) == {"hotel", "second_hand", "scrap", "logistics", "rental_agency"}


def test_every_person_holds_their_own_id_and_birthdays_spread():
    """As in the real registry, no two people share a resident ID, and no birthday is crowded (the age tails are
    reflected into 18-80, not clipped onto its ends)."""
    city = build_city(3)
    people = build_people(city, 3, 2.0, AS_OF)  # 50k people: a clip at 18.2 years put ~2,300 on one day
    assert len(set(people.id_number)) == len(people.id_number)
    ages = (np.datetime64(AS_OF) - people.birth).astype(int) / 365.25
    assert ages.min() >= 18.2 - 1 / 365 and ages.max() <= 80
    assert np.unique(people.birth, return_counts=True)[1].max() < 20


def test_polyphone_surnames_read_as_surnames():
    assert name_pinyin("单雄信") == ("shan", "xiongxin")
    assert name_pinyin("曾国") == ("zeng", "guo")
    assert name_pinyin("乐天") == ("yue", "tian")
    assert name_pinyin("区伟") == ("ou", "wei")
    assert name_pinyin("欧阳修") == ("ouyang", "xiu")


def test_hotel_records_have_the_source_schema(sim):
    home, _ = sim
    table = pq.read_table(home / "sources/hotel/registrations.parquet")
    assert table.column_names == [
        "reg_id", "hotel_code", "hotel_name", "hotel_uscc", "guest_name", "id_type", "id_number", "gender",
        "birth_date", "phone", "address", "room_no", "checkin_time", "checkout_time", "district_code",
        "police_station_code", "updated_at",
    ]  # fmt: skip
    df = table.to_pandas()
    assert df["reg_id"].is_unique
    assert df["updated_at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00").all()
    assert (df["updated_at"] < AS_OF.isoformat()).all()
    assert df["hotel_code"].str.fullmatch(r"HT3299\d{6}").all()
    assert (df["police_station_code"].str[:6] == df["district_code"]).all()
    assert set(df["gender"].dropna()) <= {"男", "女", "M", "F", "1", "2"}
    assert {"居民身份证", "护照", "港澳居民来往内地通行证"} >= set(df["id_type"])
    # Visitors come from outside the city, and people come back.
    ids = df["id_number"].dropna()
    assert (~ids.str.startswith("3299")).mean() > 0.3
    assert ids.value_counts().max() > 3


def test_ground_truth_covers_every_record(sim):
    home, summary = sim
    persons = read(home, "ground_truth/person_records.parquet")
    businesses = read(home, "ground_truth/business_records.parquet")
    cameras = read(home, "ground_truth/camera_records.parquet")
    known_people = set(read(home, "ground_truth/persons.parquet")["person_id"])
    assert set(persons["person_id"]) <= known_people

    def truth_ids(frame, source, role=None):
        f = frame[frame["source"] == source]
        return set(f[f["role"] == role]["record_id"]) if role else set(f["record_id"])

    hotel = read(home, "sources/hotel/registrations.parquet")
    assert truth_ids(persons, "hotel", "guest") == set(hotel["reg_id"])
    assert truth_ids(businesses, "hotel") == set(hotel["reg_id"])
    trades = read(home, "sources/trade/trades.parquet")
    assert truth_ids(persons, "trade", "seller") == truth_ids(businesses, "trade") == set(trades["trade_id"])
    waybills = read(home, "sources/parcel/waybills.parquet")
    for role in ("sender", "recipient"):
        assert truth_ids(persons, "parcel", role) == set(waybills["waybill_no"])
    assert truth_ids(persons, "rental", "landlord") == set(
        read(home, "sources/rental/landlords.parquet")["landlord_id"]
    )
    assert truth_ids(persons, "rental", "tenant") == set(
        read(home, "sources/rental/tenants.parquet")["tenant_id"]
    )
    contracts = read(home, "sources/rental/contracts.parquet")
    assert truth_ids(businesses, "rental") == set(
        contracts.loc[contracts["agency_code"].notna(), "contract_id"]
    )
    registry = read(home, "sources/reference/key_businesses.parquet")
    assert truth_ids(businesses, "reference") == set(registry["business_code"])
    devices = read(home, "sources/camera/devices.parquet")
    assert set(cameras["record_id"]) == set(devices["device_code"])
    assert cameras["camera_id"].value_counts().max() >= 2  # one camera under several programmes
    assert all(is_valid_gb28181(c) for c in devices["device_code"])
    # Duplicate submissions share a stay and a person.
    stays = read(home, "ground_truth/hotel_stays.parquet")
    assert set(stays["reg_id"]) == set(hotel["reg_id"]) and stays["stay_id"].nunique() < len(stays)

    on_disk = json.loads((home / "ground_truth/summary.json").read_text())
    assert on_disk == json.loads(json.dumps(summary))
    assert on_disk["stores"]["hotel/registrations"] == len(hotel)

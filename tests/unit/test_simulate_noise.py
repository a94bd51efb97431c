"""The noise model: each corruption shows up in the hotel records at about its configured rate, and none at 0."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

import numpy as np
import pytest

from huitong.codes import is_valid_resident_id
from huitong.simulate.city import build_city
from huitong.simulate.hotel import build_hotel, person_format_tables
from huitong.simulate.noise import NoiseRates, abbreviate_address, legacy_id, mistype_id, pinyin, typo
from huitong.simulate.population import build_businesses, build_people

AS_OF = date(2026, 11, 23)
START = date(2025, 1, 1)
HIGH = NoiseRates(
    name_typo=0.1, traditional=0.05, pinyin_name=0.05, missing_id=0.05, legacy_id=0.1, mistyped_id=0.05,
    missing_phone=0.1, missing_address=0.05, address_abbrev=0.2, duplicate=0.05, broken=0.02,
)  # fmt: skip


@pytest.fixture(scope="module")
def world():
    city = build_city(5)
    people = build_people(city, 5, 0.05, AS_OF)
    return people, build_businesses(city, 5, 0.05), person_format_tables(people)


def hotel(world, rates: NoiseRates):
    people, businesses, formats = world
    out = build_hotel(
        people, businesses, seed=5, scale=0.05, start=START, as_of=AS_OF, noise=rates, silent_share=0.06,
        formats=formats,
    )  # fmt: skip
    df = out.table.to_pandas()
    by_id = dict(zip(people.person_id, range(len(people)), strict=True))
    idx = np.array([by_id[p] for p in out.guest_person])
    return df, idx, out


def test_no_noise_means_clean_records(world):
    people, *_ = world
    df, idx, out = hotel(world, NoiseRates(**{f.name: 0.0 for f in fields(NoiseRates)}))
    assert (df["guest_name"].to_numpy() == people.name[idx]).all()
    assert (df["id_number"].to_numpy() == people.id_number[idx]).all()
    cards = df["id_type"] == "居民身份证"
    assert df.loc[cards, "id_number"].map(is_valid_resident_id).all()
    assert df["phone"].notna().all() and df["checkin_time"].notna().all()
    assert len(set(out.stay_id)) == len(df)


def test_noise_rates_land_near_configuration(world):
    people, *_ = world
    df, idx, out = hotel(world, HIGH)
    n = len(df)
    assert n > 2000
    tol = 3 * np.sqrt(0.1 / n) + 0.01

    def near(share: float, rate: float) -> None:
        assert abs(share - rate) < tol, (share, rate)

    near(df["id_number"].isna().mean(), HIGH.missing_id)
    cards = df[(df["id_type"] == "居民身份证") & df["id_number"].notna()]["id_number"]
    born_1900s = (people.birth[idx].astype("datetime64[Y]").astype(int) + 1970 < 2000).mean()
    near((cards.str.len() == 15).mean(), HIGH.legacy_id * born_1900s)
    eighteen = cards[cards.str.len() == 18]
    near((~eighteen.map(is_valid_resident_id)).mean(), HIGH.mistyped_id * (1 - HIGH.legacy_id * born_1900s))
    near(df["phone"].isna().mean(), HIGH.missing_phone * (1 + 0.5 * HIGH.duplicate / 3))
    near(df["guest_name"].map(str.isascii).mean(), HIGH.pinyin_name)
    near(1 - len(set(out.stay_id)) / n, HIGH.duplicate)
    broken = df["checkin_time"].isna() | ~df["checkin_time"].fillna("").str.match(r"\d{4}-\d\d-\d\dT")
    assert 0 < broken.mean() < HIGH.broken
    changed_names = (df["guest_name"].to_numpy() != people.name[idx]).mean()
    assert changed_names > HIGH.pinyin_name + HIGH.traditional / 2


def test_corruptions_do_what_they_say():
    rng = np.random.default_rng(0)
    assert typo("张伟", rng) in {"章伟", "张玮", "张炜"}
    assert legacy_id("110101198503021234", rng) == "110101850302123"
    assert legacy_id("110101200503021234", rng) == "110101200503021234"  # no 15-digit form after 1999
    bad = mistype_id("11010119850302123X".replace("X", "8"), rng)
    assert len(bad) == 18 and not is_valid_resident_id(bad)
    assert pinyin("单田芳", rng).lower().replace(" ", "") in {"shantianfang", "tianfangshan"}
    short = abbreviate_address("泉泰区西华街道利文大道219号20栋1单元1703室", rng)
    assert short != "泉泰区西华街道利文大道219号20栋1单元1703室" and "利文大道" in short

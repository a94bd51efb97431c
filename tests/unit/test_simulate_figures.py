"""The demo profile's headline figures, computed from the generated records the way a dashboard would."""

from __future__ import annotations

import csv
from datetime import date

import pandas as pd
import pyarrow.parquet as pq
import pytest

from huitong.config import load_settings
from huitong.simulate import simulate
from huitong.simulate.profiles import get_profile

AS_OF = date(2026, 11, 23)
TARGETS = get_profile("demo").safety


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUITONG_HOME", str(home))
        simulate(load_settings(), seed=2026, scale=0.05, as_of=AS_OF, log=lambda _: None)
    return home / "sources"


def read(sources, rel: str) -> pd.DataFrame:
    return pq.read_table(sources / rel).to_pandas()


def test_incident_changes_year_to_date(home):
    df = read(home, "public_safety/incidents.parquet")
    this = df[(df["occurred_at"] >= f"{AS_OF.year}-01-01") & (df["occurred_at"] < AS_OF.isoformat())]
    same_day_last_year = AS_OF.replace(year=AS_OF.year - 1).isoformat()
    last = df[(df["occurred_at"] >= f"{AS_OF.year - 1}-01-01") & (df["occurred_at"] < same_day_last_year)]
    assert len(df) > len(this) + len(last)  # last year goes on after the comparison window

    def change(mask_this, mask_last) -> float:
        return mask_this.sum() / mask_last.sum() - 1

    checks = {
        "all": (change(this["category"].notna(), last["category"].notna()), TARGETS.incident_change),
        "criminal": (
            change(this["category"] == "criminal", last["category"] == "criminal"),
            TARGETS.criminal_change,
        ),
        "public_order": (
            change(this["category"] == "public_order", last["category"] == "public_order"),
            TARGETS.public_order_change,
        ),
        "两抢一盗": (
            change(this["two_robberies_one_theft"], last["two_robberies_one_theft"]),
            TARGETS.robbery_theft_change,
        ),
    }
    for name, (got, want) in checks.items():
        assert round(got, 2) == pytest.approx(want, abs=0.005), name
    assert (this.loc[this["two_robberies_one_theft"], "category"] == "criminal").all()
    assert round(this["cleared"].mean(), 3) == pytest.approx(TARGETS.clearance_rate)
    criminal = this[this["category"] == "criminal"]
    assert round(criminal["cleared"].mean(), 3) == pytest.approx(TARGETS.clearance_rate)


def test_sense_of_security_share(home):
    answers = read(home, "public_safety/survey_responses.parquet")["answer"]
    assert round(answers.isin(["很安全", "比较安全"]).mean(), 4) == pytest.approx(TARGETS.sense_of_security)


def test_law_enforcement_satisfaction_share(home):
    answers = read(home, "public_safety/survey_responses.parquet")["satisfaction"]
    assert answers.notna().all()
    assert round(answers.isin(["满意", "比较满意"]).mean(), 4) == pytest.approx(
        TARGETS.law_enforcement_satisfaction
    )


def test_fugitive_catch_rate_this_year(home):
    """Of the fugitives wanted this year to date (at large on 1 Jan or registered since), the target share is caught
    this year; the records carry no trait of the person."""
    df = read(home, "public_safety/fugitives.parquet")
    assert set(df.columns) == {"fugitive_key", "wanted_type", "registered_at", "district_code",
                               "police_station_code", "caught", "caught_at", "updated_at"}  # fmt: skip
    this_start, end = f"{AS_OF.year}-01-01", AS_OF.isoformat()
    assert (df["registered_at"] < end).all() and df["fugitive_key"].is_unique
    assert (df.loc[df["caught"], "caught_at"] >= df.loc[df["caught"], "registered_at"]).all()
    wanted = df[~df["caught"] | (df["caught_at"] >= this_start)]
    caught = wanted["caught"] & (wanted["caught_at"] >= this_start)
    assert len(wanted) >= 50
    assert caught.sum() == round(TARGETS.fugitive_catch_rate * len(wanted))
    # last year some were caught too: the year-on-year comparison has a base
    assert (
        df["caught"] & (df["caught_at"] < this_start) & (df["caught_at"] >= f"{AS_OF.year - 1}-01-01")
    ).any()


def test_village_camera_coverage(home):
    with (home / "reference/admin_divisions.csv").open(encoding="utf-8") as fh:
        villages = {r["division_code"] for r in csv.DictReader(fh) if r["level"] == "village"}
    devices = read(home, "camera/devices.parquet")
    covered = villages & set(devices["civil_code"])
    assert round(len(covered) / len(villages), 2) == 0.90


def test_key_industry_businesses_report_every_month(home):
    registry = read(home, "reference/key_businesses.parquet")
    hotel = read(home, "hotel/registrations.parquet")
    trades = read(home, "trade/trades.parquet")
    parcels = read(home, "parcel/waybills.parquet")
    contracts = read(home, "rental/contracts.parquet").dropna(subset=["agency_code"])
    activity = pd.concat(
        [
            pd.DataFrame({"code": hotel["hotel_code"], "at": hotel["checkin_time"]}),
            pd.DataFrame({"code": trades["shop_code"], "at": trades["trade_time"]}),
            pd.DataFrame({"code": parcels["outlet_code"], "at": parcels["event_time"]}),
            pd.DataFrame({"code": contracts["agency_code"], "at": contracts["created_at"]}),
        ]
    ).dropna()
    activity["month"] = activity["at"].str[:7]
    activity = activity[
        activity["month"].between(f"{AS_OF.year - 1}-01", AS_OF.isoformat()[:7])
    ]  # drops broken rows
    for industry, group in registry.groupby("industry"):
        codes = set(group["business_code"])
        mine = activity[activity["code"].isin(codes)]
        for month, rows in mine.groupby("month"):
            assert rows["code"].nunique() / len(codes) >= 0.9, (industry, month)
        assert mine["month"].nunique() == 23, industry  # Jan of last year .. Nov of this year

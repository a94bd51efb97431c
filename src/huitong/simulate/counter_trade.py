"""Records made at a business counter from a customer's ID: parcel real-name sending (寄递实名) at logistics
outlets, and second-hand / scrap purchases (二手、废品收购 seller registration) at shops.

Both follow one shape: business events over the calendar, each with one identified customer, so one builder serves
both and the per-source functions only add their own columns.
"""

from __future__ import annotations

import numpy as np

from huitong.simulate.activity import (
    DAYTIME_HOURS,
    active_business_months,
    business_event_days,
    iso_local,
    n_months,
    times_of_day,
)
from huitong.simulate.noise import NoiseRates
from huitong.simulate.population import Businesses, People
from huitong.simulate.records import Truth, identity_columns, to_table
from huitong.simulate.seeding import rng_for, unique_tokens

PARCEL_PER_DAY = 150.0
TRADE_PER_DAY = 30.0
ITEMS = {
    "second_hand": ("手机", "笔记本电脑", "电动自行车", "金银首饰", "相机", "平板电脑"),
    "scrap": ("废铜", "废铝", "废钢铁", "废电缆", "废旧电瓶", "废纸"),
}


def _counter_events(rng, businesses: Businesses, industries, *, scale, per_day, start, as_of, silent_share):
    """(business index, event time, last-write time) for the businesses of the given industries."""
    ids = np.concatenate([businesses.of(i) for i in industries])
    active = active_business_months(rng, len(ids), n_months(start, as_of), silent_share)
    local, day = business_event_days(rng, businesses.size[ids], active, start, as_of, per_day * scale)
    n = len(day)
    event = day.astype("datetime64[s]") + times_of_day(rng, n, DAYTIME_HOURS).astype("timedelta64[s]")
    written = event + rng.integers(30, 1800, n).astype("timedelta64[s]")
    keep = written < np.datetime64(as_of, "s")
    return ids[local][keep], event[keep], written[keep]


def _pick_people(rng, people: People, n: int, resident_share: float) -> np.ndarray:
    res, other = np.flatnonzero(people.resident), np.flatnonzero(~people.resident)
    wr, wo = people.activity[res], people.activity[other]
    return np.where(
        rng.random(n) < resident_share,
        res[rng.choice(len(res), size=n, p=wr / wr.sum())],
        other[rng.choice(len(other), size=n, p=wo / wo.sum())],
    )


def build_parcel(
    people, businesses, *, seed, scale, start, as_of, noise: NoiseRates, silent_share, truth: Truth
):
    rng = rng_for(seed, "parcel")
    biz, event, written = _counter_events(
        rng, businesses, ("logistics",), scale=scale, per_day=PARCEL_PER_DAY, start=start, as_of=as_of,
        silent_share=silent_share,
    )  # fmt: skip
    n = len(biz)
    sender = _pick_people(rng, people, n, 0.85)
    recipient = _pick_people(rng, people, n, 0.2)
    ident = identity_columns(rng, people, sender, noise)
    r_ident = identity_columns(rng, people, recipient, noise.scaled(0.5))
    waybill = np.array([f"WB{t:012d}" for t in unique_tokens(rng, n, bits=39)], dtype=object)
    cols = {
        "waybill_no": waybill,
        "outlet_code": businesses.code[biz],
        "outlet_name": businesses.name[biz],
        "sender_name": ident["name"],
        "sender_id_type": ident["id_type"],
        "sender_id_number": ident["id_number"],
        "sender_phone": ident["phone"],
        "recipient_name": r_ident["name"],
        "recipient_phone": r_ident["phone"],
        "recipient_address": people.address[recipient],
        "event_time": iso_local(event),
        "updated_at": iso_local(written),
    }
    truth.person("parcel", waybill, "sender", people.person_id[sender])
    truth.person("parcel", waybill, "recipient", people.person_id[recipient])
    truth.business("parcel", waybill, businesses.business_id[biz])
    return {"waybills": to_table(cols, ("updated_at", "waybill_no"))}


def build_trade(
    people, businesses, *, seed, scale, start, as_of, noise: NoiseRates, silent_share, truth: Truth
):
    rng = rng_for(seed, "trade")
    biz, event, written = _counter_events(
        rng, businesses, ("second_hand", "scrap"), scale=scale, per_day=TRADE_PER_DAY, start=start, as_of=as_of,
        silent_share=silent_share,
    )  # fmt: skip
    n = len(biz)
    seller = _pick_people(rng, people, n, 0.75)
    ident = identity_columns(rng, people, seller, noise)
    industry = businesses.industry[biz]
    item = np.array(
        [ITEMS[ind][k] for ind, k in zip(industry, rng.integers(0, 6, n), strict=True)], dtype=object
    )
    trade_ids = np.array([f"TR{i + 1:09d}" for i in range(n)], dtype=object)
    cols = {
        "trade_id": trade_ids,
        "shop_code": businesses.code[biz],
        "shop_name": businesses.name[biz],
        "shop_uscc": businesses.uscc[biz],
        "industry": industry,
        "seller_name": ident["name"],
        "seller_id_type": ident["id_type"],
        "seller_id_number": ident["id_number"],
        "seller_phone": ident["phone"],
        "item_category": item,
        "amount_yuan": np.round(rng.lognormal(5.0, 1.1, n), 2),
        "trade_time": iso_local(event),
        "updated_at": iso_local(written),
    }
    truth.person("trade", trade_ids, "seller", people.person_id[seller])
    truth.business("trade", trade_ids, businesses.business_id[biz])
    return {"trades": to_table(cols, ("updated_at", "trade_id"))}


__all__ = ["build_parcel", "build_trade"]

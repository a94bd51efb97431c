"""Hotel guest registrations (旅馆业治安管理信息), as the hotel source system returns them.

One row per submission. Stays follow the hotel calendar (weekend and holiday peaks); guests are residents and,
mostly, visitors from elsewhere, the frequent travellers coming back many times. Field formats depend on the
hotel's software vendor; on top of that the noise model garbles names, IDs, phones and addresses, resubmits some
stays under a new reg_id, and breaks a few rows outright so quarantine has work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from huitong.simulate.activity import (
    HOTEL_CHECKIN_HOURS,
    active_business_months,
    business_event_days,
    iso_local,
    n_months,
    times_of_day,
)
from huitong.simulate.noise import (
    BAD_DATES,
    BIRTH_FORMATS,
    GENDER_FORMATS,
    NOT_AN_ID,
    PHONE_FORMATS,
    NoiseRates,
    abbreviate_address,
    corrupt,
    corrupt_identity,
    format_birth,
    format_phone,
    traditional,
)
from huitong.simulate.population import ID_CARD, Businesses, People
from huitong.simulate.records import sort_order
from huitong.simulate.seeding import rng_for, unique_tokens

# Registrations per day at scale 1 on an ordinary weekday (~75k over 23 months with the peaks).
HOTEL_PER_DAY = 95.0
LOCAL_GUEST_SHARE = 0.3

FIELDS = (
    "reg_id", "hotel_code", "hotel_name", "hotel_uscc", "guest_name", "id_type", "id_number", "gender",
    "birth_date", "phone", "address", "room_no", "checkin_time", "checkout_time", "district_code",
    "police_station_code", "updated_at",
)  # fmt: skip
SCHEMA = pa.schema([(f, pa.string()) for f in FIELDS])


@dataclass
class HotelOutput:
    table: pa.Table
    guest_person: np.ndarray  # person_id per row of table
    business_id: np.ndarray
    stay_id: np.ndarray


def _choose_people(rng: np.random.Generator, people: People, mask: np.ndarray, n: int) -> np.ndarray:
    idx = np.flatnonzero(mask)
    w = people.activity[idx]
    return idx[rng.choice(len(idx), size=n, p=w / w.sum())]


def person_format_tables(people: People) -> tuple[np.ndarray, np.ndarray]:
    """[style, person] tables of birth dates and phones in every vendor format, so rows pick by fancy indexing."""
    births = [d.item() for d in people.birth]
    birth_styles = sorted(set(BIRTH_FORMATS))
    phone_styles = sorted(set(PHONE_FORMATS))
    bt = np.array([[format_birth(d, s) for d in births] for s in birth_styles], dtype=object)
    pt = np.array([[format_phone(p, s) for p in people.phone] for s in phone_styles], dtype=object)
    return bt, pt


def vendor_formats(software: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    birth_styles = sorted(set(BIRTH_FORMATS))
    phone_styles = sorted(set(PHONE_FORMATS))
    b = np.array([birth_styles.index(BIRTH_FORMATS[s]) for s in range(len(BIRTH_FORMATS))])[software]
    p = np.array([phone_styles.index(PHONE_FORMATS[s]) for s in range(len(PHONE_FORMATS))])[software]
    return b, p


def build_hotel(
    people: People,
    businesses: Businesses,
    *,
    seed: int,
    scale: float,
    start: date,
    as_of: date,
    noise: NoiseRates,
    silent_share: float,
    formats: tuple[np.ndarray, np.ndarray],
) -> HotelOutput:
    rng = rng_for(seed, "hotel")
    hotels = businesses.of("hotel")
    active = active_business_months(rng, len(hotels), n_months(start, as_of), silent_share)
    h_local, day = business_event_days(
        rng, businesses.size[hotels], active, start, as_of, HOTEL_PER_DAY * scale, weekend=1.35, holiday=1.8
    )
    hotel = hotels[h_local]
    n = len(day)
    checkin = day.astype("datetime64[s]") + times_of_day(rng, n, HOTEL_CHECKIN_HOURS).astype("timedelta64[s]")
    local = rng.random(n) < LOCAL_GUEST_SHARE
    guest = np.where(
        local,
        _choose_people(rng, people, people.resident, n),
        _choose_people(rng, people, ~people.resident, n),
    )
    nights = np.minimum(rng.geometric(0.55, n), 14)
    planned_out = (day + nights).astype("datetime64[s]") + np.timedelta64(12 * 3600, "s")
    actual_out = (day + nights).astype("datetime64[s]") + rng.integers(6 * 3600, 13 * 3600, n).astype(
        "timedelta64[s]"
    )
    # Written minutes after check-in; sometimes hours later (batch upload); a few again at checkout.
    delay = rng.exponential(300, n).astype(int) + 20
    late = rng.random(n) < 0.05
    delay = np.where(late, rng.integers(3600, 8 * 3600, n), delay)
    updated = checkin + delay.astype("timedelta64[s]")
    on_checkout = rng.random(n) < 0.15
    co_written = actual_out + rng.integers(60, 1800, n).astype("timedelta64[s]")
    as_of_s = np.datetime64(as_of, "s")
    checked_out = on_checkout & (co_written < as_of_s)
    updated = np.where(checked_out, co_written, updated)
    checkout_text = np.where(
        checked_out, iso_local(actual_out), np.where(on_checkout, None, iso_local(planned_out))
    ).astype(object)
    exists = updated < as_of_s  # a registration not yet written by as_of is not in the source
    sel = np.flatnonzero(exists)
    hotel, guest, checkin, updated, checkout_text = (
        hotel[sel],
        guest[sel],
        checkin[sel],
        updated[sel],
        checkout_text[sel],
    )
    n = len(sel)

    sw = businesses.software[hotel]
    birth_table, phone_table = formats
    b_style, p_style = vendor_formats(sw)
    gender_table = np.array(GENDER_FORMATS, dtype=object)
    cols: dict[str, np.ndarray] = {
        "hotel_code": businesses.code[hotel],
        "hotel_name": businesses.name[hotel],
        "hotel_uscc": np.where(rng.random(n) < 0.04, None, businesses.uscc[hotel]).astype(object),
        "guest_name": people.name[guest].copy(),
        "id_type": people.id_type[guest],
        "id_number": people.id_number[guest].copy(),
        "gender": gender_table[sw, (~people.male[guest]).astype(int)],
        "birth_date": birth_table[b_style, guest],
        "phone": phone_table[p_style, guest],
        "address": people.address[guest].copy(),
        "room_no": (rng.integers(1, 12, n) * 100 + rng.integers(1, 30, n)).astype(str).astype(object),
        "checkin_time": iso_local(checkin),
        "checkout_time": checkout_text,
        "district_code": businesses.district_code[hotel],
        "police_station_code": businesses.town_code[hotel],
        "updated_at": iso_local(updated),
    }
    for f in ("gender", "birth_date"):
        cols[f] = np.where(rng.random(n) < 0.02, None, cols[f]).astype(object)
    _apply_person_noise(rng, cols, noise, people.id_type[guest] == ID_CARD)

    # Duplicate submissions: the same stay sent again under a new reg_id, sometimes slightly different.
    dup = np.flatnonzero(rng.random(n) < noise.duplicate)
    dup_updated = updated[dup] + rng.integers(60, 6 * 3600, len(dup)).astype("timedelta64[s]")
    dup = dup[dup_updated < as_of_s]
    dup_updated = dup_updated[dup_updated < as_of_s]
    stay = np.concatenate([np.arange(n), dup])
    for f in cols:
        cols[f] = np.concatenate([cols[f], cols[f][dup]])
    cols["updated_at"][n:] = iso_local(dup_updated)
    changed = n + np.flatnonzero(rng.random(len(dup)) < 0.5)
    for i in changed:
        what = int(rng.integers(0, 3))
        if what == 0:
            cols["phone"][i] = None
        elif what == 1:
            cols["room_no"][i] = f"{cols['room_no'][i]}房"
        elif cols["guest_name"][i]:
            cols["guest_name"][i] = traditional(cols["guest_name"][i])
    total = len(stay)
    _break_rows(rng, cols, noise.broken)

    tokens = unique_tokens(rng, total)
    cols["reg_id"] = np.array([f"R{t:010X}" for t in tokens], dtype=object)
    all_hotel = np.concatenate([hotel, hotel[dup]])
    all_guest = np.concatenate([guest, guest[dup]])
    table = pa.table({f: pa.array(cols[f], pa.string()) for f in FIELDS}, schema=SCHEMA)
    order = sort_order(table, ("updated_at", "reg_id"))
    table = table.take(order)
    return HotelOutput(
        table=table,
        guest_person=people.person_id[all_guest][order],
        business_id=businesses.business_id[all_hotel][order],
        stay_id=np.array([f"S{s:09d}" for s in stay[order]], dtype=object),
    )


def _apply_person_noise(
    rng: np.random.Generator, cols: dict[str, np.ndarray], noise: NoiseRates, has_id_card: np.ndarray
) -> None:
    """Identity corruptions as at any counter, plus what hotel desks do to addresses."""
    corrupt_identity(rng, cols["guest_name"], cols["id_number"], cols["phone"], has_id_card, noise)
    addr = cols["address"]
    corrupt(addr, rng, noise.address_abbrev, abbreviate_address)
    corrupt(addr, rng, noise.traditional, traditional)
    corrupt(addr, rng, noise.missing_address, lambda v, r: None)


def _break_rows(rng: np.random.Generator, cols: dict[str, np.ndarray], rate: float) -> None:
    """Structurally broken rows: no check-in time, a date nobody can parse, an id_number that is no ID."""
    for i in np.flatnonzero(rng.random(len(cols["updated_at"])) < rate):
        kind = int(rng.integers(0, 4))
        if kind == 0:
            cols["checkin_time"][i] = None
        elif kind == 1:
            cols["checkin_time"][i] = BAD_DATES[int(rng.integers(0, len(BAD_DATES)))]
        elif kind == 2:
            cols["birth_date"][i] = BAD_DATES[int(rng.integers(0, len(BAD_DATES)))]
        else:
            cols["id_number"][i] = NOT_AN_ID[int(rng.integers(0, len(NOT_AN_ID)))]

"""Rental housing registration (出租房屋管理): landlords, contracts (direct or through an agency) and tenants.

Records carry created_at/updated_at and soft deletes (is_deleted with the deletion as the last update), as the
housing system keeps them: an incremental extract must see deletions as updates, not as vanished rows.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from huitong.simulate.activity import (
    DAYTIME_HOURS,
    active_business_months,
    business_event_days,
    days_between,
    iso_date,
    iso_local,
    n_months,
    times_of_day,
)
from huitong.simulate.city import City
from huitong.simulate.noise import NoiseRates
from huitong.simulate.population import Businesses, People, scalar_rng, street_address
from huitong.simulate.records import Truth, identity_columns, to_table
from huitong.simulate.seeding import rng_for

AGENCY_PER_DAY = 4.0
DIRECT_PER_DAY = 6.0
DELETED_SHARE = 0.03


def build_rental(
    city: City,
    people: People,
    businesses: Businesses,
    *,
    seed: int,
    scale: float,
    start: date,
    as_of: date,
    noise: NoiseRates,
    silent_share: float,
    truth: Truth,
) -> dict:
    """{table name: pa.Table}; the true people and agencies behind the rows go to truth."""
    rng = rng_for(seed, "rental")
    as_of_s = np.datetime64(as_of, "s")
    agencies = businesses.of("rental_agency")
    active = active_business_months(rng, len(agencies), n_months(start, as_of), silent_share)
    a_local, a_day = business_event_days(
        rng, businesses.size[agencies], active, start, as_of, AGENCY_PER_DAY * scale
    )
    days = days_between(start, as_of)
    d_day = np.repeat(days, rng.poisson(DIRECT_PER_DAY * scale, len(days)))
    agency = np.concatenate([agencies[a_local], np.full(len(d_day), -1)])
    day = np.concatenate([a_day, d_day])
    n = len(day)
    created = day.astype("datetime64[s]") + times_of_day(rng, n, DAYTIME_HOURS).astype("timedelta64[s]")

    # Landlords: residents who let a flat; some let several.
    residents = np.flatnonzero(people.resident)
    n_landlords = max(20, min(len(residents), round(1500 * scale)))
    landlord_people = rng.choice(residents, size=n_landlords, replace=False)
    landlord_of_contract = rng.integers(0, n_landlords, n)
    first_contract = np.full(n_landlords, np.datetime64("NaT"), dtype="datetime64[s]")
    np.fmin.at(first_contract, landlord_of_contract, created)
    has_contract = ~np.isnat(first_contract)
    ll_created = np.where(has_contract, first_contract, as_of_s - np.timedelta64(400 * 86400, "s"))
    ll_created = ll_created - rng.integers(600, 30 * 86400, n_landlords).astype("timedelta64[s]")
    ll_ids = np.array([f"LL{i + 1:07d}" for i in range(n_landlords)], dtype=object)
    ll_ident = identity_columns(rng, people, landlord_people, noise)
    landlords = {
        "landlord_id": ll_ids,
        **ll_ident,
        "address": people.address[landlord_people],
        "created_at": iso_local(ll_created),
        "updated_at": iso_local(ll_created),
        "is_deleted": np.zeros(n_landlords, dtype=bool),
    }

    hoods = city.neighbourhoods
    by_code = {d.code: d for d in city.all_divisions()}
    hood = rng.integers(0, len(hoods), n)
    house = np.empty(n, dtype=object)
    town_code = np.empty(n, dtype=object)
    district_code = np.empty(n, dtype=object)
    r = scalar_rng(rng)
    for i in range(n):
        h = hoods[hood[i]]
        t = by_code[h.parent_code]
        house[i] = street_address(r, by_code[t.parent_code], t, h)
        town_code[i], district_code[i] = t.code, t.parent_code
    months = rng.choice([6, 12, 12, 12, 24], size=n)
    start_day = day + rng.integers(0, 15, n)
    end_day = (start_day.astype("datetime64[M]") + months).astype("datetime64[D]") + (
        start_day - start_day.astype("datetime64[M]")
    )
    # Later edits (renewal note, rent change) and soft deletes, never after as_of.
    updated = created + rng.integers(60, 3600, n).astype("timedelta64[s]")
    edited = rng.random(n) < 0.2
    edit_at = created + rng.integers(86400, 200 * 86400, n).astype("timedelta64[s]")
    updated = np.where(edited & (edit_at < as_of_s), edit_at, updated)
    deleted = rng.random(n) < DELETED_SHARE
    delete_at = updated + rng.integers(3600, 60 * 86400, n).astype("timedelta64[s]")
    deleted &= delete_at < as_of_s
    updated = np.where(deleted, delete_at, updated)
    has_agency = agency >= 0
    pick = np.where(has_agency, agency, 0)
    contract_ids = np.array([f"RC{i + 1:08d}" for i in range(n)], dtype=object)
    contracts = {
        "contract_id": contract_ids,
        "landlord_id": ll_ids[landlord_of_contract],
        "house_address": house,
        "district_code": district_code,
        "police_station_code": town_code,
        "agency_code": np.where(has_agency, businesses.code[pick], None),
        "agency_name": np.where(has_agency, businesses.name[pick], None),
        "agency_uscc": np.where(has_agency, businesses.uscc[pick], None),
        "start_date": iso_date(start_day),
        "end_date": iso_date(end_day),
        "monthly_rent": (rng.lognormal(7.3, 0.4, n) // 50 * 50).astype(np.int64),
        "created_at": iso_local(created),
        "updated_at": iso_local(updated),
        "is_deleted": deleted,
    }

    per_contract = rng.choice([1, 1, 1, 2, 2, 3], size=n)
    t_contract = np.repeat(np.arange(n), per_contract)
    nonres = np.flatnonzero(~people.resident)
    res = np.flatnonzero(people.resident)
    t_person = np.where(
        rng.random(len(t_contract)) < 0.7,
        nonres[rng.integers(0, len(nonres), len(t_contract))],
        res[rng.integers(0, len(res), len(t_contract))],
    )
    t_updated = np.where(
        deleted[t_contract], updated[t_contract], created[t_contract] + np.timedelta64(120, "s")
    )
    tenant_ids = np.array([f"TN{i + 1:08d}" for i in range(len(t_contract))], dtype=object)
    tenants = {
        "tenant_id": tenant_ids,
        "contract_id": contract_ids[t_contract],
        **identity_columns(rng, people, t_person, noise),
        "created_at": iso_local(created[t_contract]),
        "updated_at": iso_local(t_updated),
        "is_deleted": deleted[t_contract],
    }
    tables = {
        "landlords": to_table(landlords, ("updated_at", "landlord_id")),
        "contracts": to_table(contracts, ("updated_at", "contract_id")),
        "tenants": to_table(tenants, ("updated_at", "tenant_id")),
    }
    truth.person("rental", ll_ids, "landlord", people.person_id[landlord_people])
    truth.person("rental", tenant_ids, "tenant", people.person_id[t_person])
    truth.business("rental", contract_ids[has_agency], businesses.business_id[pick][has_agency])
    return tables

"""The people and key-industry businesses of the simulated city: the hidden truth every source record points at.

People are residents of 汇通市 plus visitors from elsewhere (other division prefixes, a few with Hong Kong/Macao
permits or passports instead of a resident ID). Only what the sources hold is modelled: name, gender, birth date,
identity document, phone, home address. No ethnicity, religion, health or other sensitive attribute exists here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import numpy as np

from huitong.codes import USCC_ALPHABET, make_resident_id, make_uscc
from huitong.simulate.city import City, Division
from huitong.simulate.names import (
    BRAND_CHARS,
    GIVEN_EITHER,
    GIVEN_FEMALE,
    GIVEN_MALE,
    HOTEL_WORDS,
    PLACE_CHARS,
    PROVINCES,
    ROAD_CHARS,
    SURNAMES,
)
from huitong.simulate.seeding import rng_for

ID_CARD = "居民身份证"
PASSPORT = "护照"
HK_MACAO_PERMIT = "港澳居民来往内地通行证"

# Mobile prefixes in use (1[3-9]x).
MOBILE_PREFIXES = tuple(
    [f"13{d}" for d in range(10)]
    + ["145", "147", "150", "151", "152", "153", "155", "156", "157", "158", "159", "166"]
    + ["171", "173", "175", "176", "177", "178", "180", "181", "182", "183", "184", "185", "186", "187"]
    + ["188", "189", "191", "193", "195", "196", "197", "198", "199"]
)

INDUSTRIES = ("hotel", "second_hand", "scrap", "logistics", "rental_agency")
# Businesses per industry at scale 1, and the prefix of the code the public-security registry gives them.
INDUSTRY_BASE = {"hotel": 40, "second_hand": 15, "scrap": 12, "logistics": 20, "rental_agency": 12}
INDUSTRY_CODE_PREFIX = {
    "hotel": "HT",
    "second_hand": "ES",
    "scrap": "FP",
    "logistics": "WL",
    "rental_agency": "ZJ",
}
COURIERS = ("顺丰", "中通", "圆通", "韵达", "申通", "邮政", "京东", "极兔")


@dataclass
class People:
    """Columnar person table; index i is one real person."""

    person_id: np.ndarray
    name: np.ndarray
    male: np.ndarray
    birth: np.ndarray  # datetime64[D]
    id_type: np.ndarray
    id_number: np.ndarray
    phone: np.ndarray
    address: np.ndarray
    resident: np.ndarray  # lives in 汇通市
    home_code: np.ndarray  # 12-digit neighbourhood for residents, 6-digit district elsewhere
    activity: np.ndarray  # relative propensity to appear in sources (a few people travel, rent, ship a lot)

    def __len__(self) -> int:
        return len(self.person_id)


@dataclass
class Businesses:
    business_id: np.ndarray
    industry: np.ndarray
    code: np.ndarray
    name: np.ndarray
    uscc: np.ndarray
    district_code: np.ndarray
    town_code: np.ndarray
    address: np.ndarray
    size: np.ndarray  # relative volume of records (rooms, parcels, trades)
    software: np.ndarray  # which vendor's system the business runs (decides field formats)

    def __len__(self) -> int:
        return len(self.business_id)

    def of(self, industry: str) -> np.ndarray:
        return np.flatnonzero(self.industry == industry)


def scalar_rng(rng: np.random.Generator) -> random.Random:
    """A stdlib generator seeded from a numpy stream, for per-item loops where numpy's call overhead dominates."""
    return random.Random(int(rng.integers(0, 2**63)))


def _pick(r: random.Random, chars: str, n: int) -> str:
    return "".join(r.choices(chars, k=n))


def _person_names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    surnames = np.array([s for s, _, _ in SURNAMES], dtype=object)
    weights = np.array([w for _, w, _ in SURNAMES])
    sur = surnames[rng.choice(len(surnames), size=len(male), p=weights / weights.sum())]
    single = rng.random(len(male)) < 0.15
    r = scalar_rng(rng)
    pools = (GIVEN_FEMALE + GIVEN_EITHER, GIVEN_MALE + GIVEN_EITHER)
    out = np.empty(len(male), dtype=object)
    for i in range(len(male)):
        out[i] = sur[i] + _pick(r, pools[int(male[i])], 1 if single[i] else 2)
    return out


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    prefixes = np.array(MOBILE_PREFIXES, dtype=object)[rng.integers(0, len(MOBILE_PREFIXES), n)]
    rest = rng.integers(0, 10**8, n)
    return np.array([f"{p}{r:08d}" for p, r in zip(prefixes, rest, strict=True)], dtype=object)


def street_address(r: random.Random, district: Division, town: Division, hood: Division) -> str:
    """The standard form: district + town + road/number + building/unit/room (village: group and number)."""
    if hood.level == "community":
        road = r.choice(town.roads)
        return (
            f"{district.name}{town.name}{road}{r.randrange(1, 300)}号"
            f"{r.randrange(1, 30)}栋{r.randrange(1, 5)}单元{r.randrange(1, 19)}{r.randrange(1, 5):02d}室"
        )
    return f"{district.name}{town.name}{hood.name}{r.randrange(1, 13)}组{r.randrange(1, 120)}号"


def _births(rng: np.random.Generator, n: int, as_of: date) -> np.ndarray:
    # Adults 18-80 at as_of, most 22-60: the people who book rooms, rent, ship and sell. The tails are reflected
    # back into the range, not clipped: a clip put ~5% of people on one birthday, and so on shared resident IDs.
    age = rng.normal(40, 13, n)
    age = np.where(age < 18.2, 36.4 - age, age)
    age = np.clip(np.where(age > 80, 160 - age, age), 18.2, 80)
    age_days = age * 365.25
    return (np.datetime64(as_of) - age_days.astype("timedelta64[D]")).astype("datetime64[D]")


def _hood_parents(city: City) -> tuple[list[Division], dict[str, Division]]:
    hoods = city.neighbourhoods
    by_code = {d.code: d for d in city.all_divisions()}
    return hoods, by_code


def build_people(city: City, seed: int, scale: float, as_of: date) -> People:
    rng = rng_for(seed, "people")
    n_res = max(200, round(10_000 * scale))
    n_vis = max(300, round(15_000 * scale))
    n = n_res + n_vis
    resident = np.arange(n) < n_res
    male = rng.random(n) < 0.52
    births = _births(rng, n, as_of)
    names = _person_names(rng, male)
    phones = _phones(rng, n)

    hoods, by_code = _hood_parents(city)
    hood_w = np.array([3.0 if h.level == "community" else 1.0 for h in hoods])
    hood_idx = rng.choice(len(hoods), size=n_res, p=hood_w / hood_w.sum())
    district_codes = [d.code for d in city.districts]

    id_type = np.full(n, ID_CARD, dtype=object)
    id_number = np.empty(n, dtype=object)
    address = np.empty(n, dtype=object)
    home_code = np.empty(n, dtype=object)
    seqs = rng.integers(0, 1000, n)
    born_in_city = rng.random(n_res) < 0.8
    foreign_doc = rng.random(n_vis) < 0.02
    r = scalar_rng(rng)
    births_py = births.tolist()
    issued: set[str] = set()
    for i in range(n_res):
        hood = hoods[hood_idx[i]]
        town = by_code[hood.parent_code]
        district = by_code[town.parent_code]
        address[i] = street_address(r, district, town, hood)
        home_code[i] = hood.code
        if born_in_city[i]:
            birth_div = district.code if r.random() < 0.7 else r.choice(district_codes)
        else:
            birth_div = _other_district(r)[0]
        id_number[i] = _unique_resident_id(issued, birth_div, births_py[i], int(seqs[i]), bool(male[i]))

    for j in range(n_vis):
        i = n_res + j
        div, prov = _other_district(r)
        home_code[i] = div
        address[i] = (
            f"{prov}{_pick(r, PLACE_CHARS, 2)}市{_pick(r, PLACE_CHARS, 2)}区"
            f"{_pick(r, ROAD_CHARS, 2)}路{r.randrange(1, 500)}号"
        )
        if foreign_doc[j]:
            if r.random() < 0.7:
                id_type[i] = HK_MACAO_PERMIT
                id_number[i] = f"{r.choice('HM')}{r.randrange(10**8):08d}"
                address[i] = "香港特别行政区" if id_number[i][0] == "H" else "澳门特别行政区"
            else:
                id_type[i] = PASSPORT
                id_number[i] = f"E{r.randrange(10**8):08d}"
        else:
            id_number[i] = _unique_resident_id(issued, div, births_py[i], int(seqs[i]), bool(male[i]))

    # Heavy-tailed activity: most people appear a few times, some (sales reps, drivers) many times.
    activity = rng.lognormal(0.0, 1.0, n)
    return People(
        person_id=np.array([f"P{i + 1:08d}" for i in range(n)], dtype=object),
        name=names,
        male=male,
        birth=births,
        id_type=id_type,
        id_number=id_number,
        phone=phones,
        address=address,
        resident=resident,
        home_code=home_code,
        activity=activity,
    )


def _unique_resident_id(issued: set[str], division6: str, born: date, seq: int, male: bool) -> str:
    """A resident ID nobody else holds: like the issuing office, take the next free sequence number of the same
    sex (same division and birth date) when the drawn one is taken."""
    for step in range(0, 1000, 2):
        candidate = make_resident_id(division6, born, seq + step, male)
        if candidate not in issued:
            issued.add(candidate)
            return candidate
    raise ValueError(f"every sequence number of {division6} {born} is taken")


def _other_district(r: random.Random) -> tuple[str, str]:
    code, prov = r.choice(PROVINCES)
    return f"{code}{r.randrange(1, 16):02d}{r.randrange(1, 13):02d}", prov


def _business_name(r: random.Random, industry: str, town: Division, road: str) -> str:
    if industry == "hotel":
        word = r.choice(HOTEL_WORDS)
        if r.random() < 0.4:
            return f"{_pick(r, BRAND_CHARS, 2)}{word}({road}店)"
        return f"汇通{_pick(r, PLACE_CHARS, 2)}{word}"
    if industry == "second_hand":
        kind = r.choice(("二手物品寄卖行", "二手手机店", "二手车行", "旧货市场经营部"))
        return f"{town.name[:2]}{_pick(r, BRAND_CHARS, 2)}{kind}"
    if industry == "scrap":
        return f"{town.name[:2]}{_pick(r, PLACE_CHARS, 1)}废品回收站"
    if industry == "logistics":
        return f"{r.choice(COURIERS)}快递{town.name[:2]}营业部"
    return f"汇通{_pick(r, BRAND_CHARS, 2)}房地产经纪有限公司"


def build_businesses(city: City, seed: int, scale: float) -> Businesses:
    rng = rng_for(seed, "businesses")
    r = scalar_rng(rng)
    towns = city.towns
    by_code = {d.code: d for d in city.districts}
    # Businesses cluster in urban streets and county seats.
    town_w = np.array([4.0 if t.urban else 1.0 for t in towns])
    rows: list[tuple] = []
    serial_by_district: dict[tuple[str, str], int] = {}
    for industry in INDUSTRIES:
        count = max(3, round(INDUSTRY_BASE[industry] * scale))
        picks = rng.choice(len(towns), size=count, p=town_w / town_w.sum())
        for ti in picks:
            town = towns[ti]
            district = by_code[town.parent_code]
            key = (industry, district.code)
            serial_by_district[key] = serial_by_district.get(key, 0) + 1
            code = f"{INDUSTRY_CODE_PREFIX[industry]}{district.code}{serial_by_district[key]:04d}"
            road = r.choice(town.roads)
            name = _business_name(r, industry, town, road)
            small = any(w in name for w in ("旅馆", "客栈", "招待所", "回收站", "寄卖行"))
            org = _pick(r, USCC_ALPHABET, 9)
            uscc = make_uscc(district.code, org, registry="9", kind="2" if small else "1")
            address = f"{district.name}{town.name}{road}{r.randrange(1, 400)}号"
            size = r.lognormvariate(0, 0.6)
            rows.append((industry, code, name, uscc, district.code, town.code, address, size, r.randrange(4)))
    cols = list(zip(*rows, strict=True))
    n = len(rows)
    return Businesses(
        business_id=np.array([f"B{i + 1:06d}" for i in range(n)], dtype=object),
        industry=np.array(cols[0], dtype=object),
        code=np.array(cols[1], dtype=object),
        name=np.array(cols[2], dtype=object),
        uscc=np.array(cols[3], dtype=object),
        district_code=np.array(cols[4], dtype=object),
        town_code=np.array(cols[5], dtype=object),
        address=np.array(cols[6], dtype=object),
        size=np.array(cols[7], dtype=float),
        software=np.array(cols[8], dtype=np.int64),
    )

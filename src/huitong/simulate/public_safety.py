"""Public-safety statistics records: incidents (criminal / public order, 两抢一盗 a subset of criminal), disputes
found and resolved, fugitive (追逃) records registered and caught, and survey responses (sense of security and
law-enforcement satisfaction).

The profile's headline figures are *drawn into the counts*: the number of incidents of each kind in this year to
date and the same period last year, how many of this year's cases are cleared, how many survey answers are
positive, how many of this year's wanted fugitives are caught. The figures are never written anywhere; they come back only by counting these records. "Same period last
year" is [1 Jan of last year, the same month-day of last year); "this year" is [1 Jan, as_of).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from huitong.simulate.activity import DAYTIME_HOURS, days_between, iso_date, iso_local, times_of_day
from huitong.simulate.city import City
from huitong.simulate.records import to_table
from huitong.simulate.seeding import rng_for, unique_tokens

CASE_TYPES = {
    "robbery_theft": ("抢劫", "抢夺", "盗窃"),
    "criminal_other": ("诈骗", "故意伤害", "寻衅滋事", "其他刑事案件"),
    "public_order": ("殴打他人", "扰乱公共秩序", "赌博", "其他治安案件"),
}
DISPUTE_TYPES = ("邻里纠纷", "婚姻家庭纠纷", "劳资纠纷", "物业纠纷", "土地纠纷", "消费纠纷")
MIN_RATE_DAYS = 120
POSITIVE_ANSWERS = ("很安全", "比较安全")
NEGATIVE_ANSWERS = ("不太安全", "不安全")
SATISFIED_ANSWERS = ("满意", "比较满意")
DISSATISFIED_ANSWERS = ("不太满意", "不满意")
WANTED_TYPES = ("刑事", "经济", "其他")
# Fugitives still at large when the history starts were registered up to this many years before.
FUGITIVE_BACKLOG_YEARS = 5


@dataclass(frozen=True)
class SafetyTargets:
    incident_change: float
    criminal_change: float
    public_order_change: float
    robbery_theft_change: float
    clearance_rate: float
    sense_of_security: float
    robbery_theft_share: float = 0.5  # of last year's criminal cases
    # Of the fugitives wanted at any time this year to date (at large on 1 Jan or registered since), the share caught.
    fugitive_catch_rate: float = 0.6
    # Answers 满意 / 比较满意 to the survey's law-enforcement satisfaction question.
    law_enforcement_satisfaction: float = 0.97


def same_period_last_year(as_of: date) -> tuple[date, date]:
    end_day = min(as_of.day, 28) if as_of.month == 2 else as_of.day
    return date(as_of.year - 1, 1, 1), date(as_of.year - 1, as_of.month, end_day)


def period_counts(t: SafetyTargets, scale: float) -> dict[str, tuple[int, int]]:
    """{kind: (same period last year, this year to date)} for robbery_theft, criminal_other, public_order.
    The public-order share follows from the three changes: total = c*(1-p) + po*p."""
    p = (t.incident_change - t.criminal_change) / (t.public_order_change - t.criminal_change)
    total0 = max(1000, round(2000 * scale))
    po0 = round(total0 * p)
    crim0 = total0 - po0
    rt0 = round(crim0 * t.robbery_theft_share)
    crim1 = round(crim0 * (1 + t.criminal_change))
    rt1 = round(rt0 * (1 + t.robbery_theft_change))
    return {
        "robbery_theft": (rt0, rt1),
        "criminal_other": (crim0 - rt0, crim1 - rt1),
        "public_order": (po0, round(po0 * (1 + t.public_order_change))),
    }


def _spread(rng, n: int, lo: date, hi: date) -> np.ndarray:
    days = days_between(lo, hi)
    if n == 0 or len(days) == 0:
        return np.array([], dtype="datetime64[s]")
    day = days[rng.integers(0, len(days), n)]
    return day.astype("datetime64[s]") + times_of_day(rng, n, DAYTIME_HOURS).astype("timedelta64[s]")


def _places(rng, city: City, n: int) -> tuple[np.ndarray, np.ndarray]:
    towns = city.towns
    w = np.array([3.0 if t.urban else 1.0 for t in towns])
    pick = rng.choice(len(towns), size=n, p=w / w.sum())
    return (
        np.array([towns[i].parent_code for i in pick], dtype=object),
        np.array([towns[i].code for i in pick], dtype=object),
    )


def build_public_safety(city: City, *, seed: int, scale: float, as_of: date, targets: SafetyTargets) -> dict:
    rng = rng_for(seed, "public_safety")
    this_start = date(as_of.year, 1, 1)
    ly_start, ly_end = same_period_last_year(as_of)
    ly_rest_days = (this_start - ly_end).days
    as_of_s = np.datetime64(as_of, "s")

    kind_parts, type_parts, time_parts, cleared_parts = [], [], [], []
    for kind, (n_last, n_this) in period_counts(targets, scale).items():
        # The rest of last year at the comparison window's daily rate; a window of a few January days is dense
        # (the counts are what make the figures exact), so the rate is taken over at least MIN_RATE_DAYS.
        rate_days = max(MIN_RATE_DAYS, (ly_end - ly_start).days)
        n_rest = round(n_last * ly_rest_days / rate_days * rng.uniform(0.95, 1.05))
        for n, lo, hi, this_year in (
            (n_last, ly_start, ly_end, False),
            (n_rest, ly_end, this_start, False),
            (n_this, this_start, as_of, True),
        ):
            if n == 0 or lo >= hi:
                continue
            if this_year:
                # Exactly the target share of this year's cases is cleared, kind by kind.
                cleared = np.zeros(n, dtype=bool)
                cleared[rng.choice(n, size=round(targets.clearance_rate * n), replace=False)] = True
            else:
                cleared = rng.random(n) < 0.6
            kind_parts.append(np.full(n, kind, dtype=object))
            types = CASE_TYPES[kind]
            type_parts.append(np.array(types, dtype=object)[rng.integers(0, len(types), n)])
            time_parts.append(_spread(rng, n, lo, hi))
            cleared_parts.append(cleared)
    kind = np.concatenate(kind_parts)
    occurred = np.concatenate(time_parts)
    cleared = np.concatenate(cleared_parts)
    n = len(kind)
    reported = np.minimum(occurred + rng.integers(300, 6 * 3600, n).astype("timedelta64[s]"), as_of_s - 1)
    clear_delay = (rng.lognormal(2.0, 1.0, n) * 86400).astype("timedelta64[s]")
    cleared_at = np.minimum(reported + clear_delay, as_of_s - 1)
    district, town = _places(rng, city, n)
    incident_ids = np.array([f"AJ{i + 1:09d}" for i in range(n)], dtype=object)
    cleared_text = iso_local(cleared_at)
    incidents = {
        "incident_id": incident_ids,
        "category": np.where(kind == "public_order", "public_order", "criminal").astype(object),
        "two_robberies_one_theft": kind == "robbery_theft",
        "case_type": np.concatenate(type_parts),
        "occurred_at": iso_local(occurred),
        "reported_at": iso_local(reported),
        "district_code": district,
        "police_station_code": town,
        "cleared": cleared,
        "cleared_at": np.where(cleared, cleared_text, None).astype(object),
        "updated_at": iso_local(np.where(cleared, cleared_at, reported)),
    }

    disputes = _disputes(rng, city, scale, ly_start, as_of)
    surveys = _surveys(rng, city, scale, this_start, as_of, targets.sense_of_security)
    # Own streams, so adding these records left every incident, dispute and survey answer above as it was.
    surveys["satisfaction"] = _exact_share(
        rng_for(seed, "public_safety_satisfaction"), len(surveys["answer"]), targets.law_enforcement_satisfaction,
        SATISFIED_ANSWERS, DISSATISFIED_ANSWERS,
    )  # fmt: skip
    fugitives = _fugitives(
        rng_for(seed, "public_safety_fugitives"), city, scale, as_of, targets.fugitive_catch_rate
    )
    return {
        "incidents": to_table(incidents, ("updated_at", "incident_id")),
        "disputes": to_table(disputes, ("updated_at", "dispute_id")),
        "survey_responses": to_table(surveys, ("updated_at", "response_id")),
        "fugitives": to_table(fugitives, ("updated_at", "fugitive_key")),
    }


def _exact_share(rng, n: int, share: float, yes: tuple[str, str], no: tuple[str, str]) -> np.ndarray:
    """n answers on a four-point scale of which exactly round(share * n) are one of the two positive ones."""
    positive = np.zeros(n, dtype=bool)
    positive[rng.choice(n, size=round(share * n), replace=False)] = True
    pos = np.array(yes, dtype=object)[(rng.random(n) < 0.4).astype(int)]
    neg = np.array(no, dtype=object)[(rng.random(n) < 0.3).astype(int)]
    return np.where(positive, pos, neg).astype(object)


def _fugitives(rng, city: City, scale: float, as_of: date, catch_rate: float) -> dict:
    """Fugitive records (追逃): registered as wanted (上网) on a day, caught (抓获) on a later one or still at large.
    Only what the counts need leaves the records system: an opaque pseudonymous key per record (no name, ID number or
    any other trait of the person), the registering district and station, the wanted type and the two times.

    This year to date exactly round(catch_rate * wanted) are caught, wanted being those at large on 1 Jan plus those
    registered since; last year's same period catches at 0.9 times that rate, so caught-YoY comes out plausible."""
    this_start, ly_start = date(as_of.year, 1, 1), date(as_of.year - 1, 1, 1)
    backlog_start = date(ly_start.year - FUGITIVE_BACKLOG_YEARS, 1, 1)
    n_backlog = max(40, round(400 * scale))
    n_new = int(rng.poisson(max(60, 600 * scale) * (as_of - ly_start).days / 365))
    registered = np.concatenate(
        [_spread(rng, n_backlog, backlog_start, ly_start), _spread(rng, n_new, ly_start, as_of)]
    )
    n = len(registered)
    caught_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")

    def catch(pick: np.ndarray, lo: date, hi: date) -> None:
        # at a uniform time between the later of its registration and lo, and hi
        first = np.maximum(registered[pick], np.datetime64(lo, "s"))
        span = (np.datetime64(hi, "s") - first).astype(np.int64)
        caught_at[pick] = first + (rng.random(len(pick)) * np.maximum(span - 1, 0)).astype("timedelta64[s]")

    # Last year's same period catches 90% of this year's rate (the year-on-year change of catches stays plausible),
    # the rest of last year a further 30% of those still at large.
    ly_end = same_period_last_year(as_of)[1]
    wanted_ly = np.flatnonzero(registered < np.datetime64(ly_end, "s"))
    catch(
        rng.choice(wanted_ly, size=round(0.9 * catch_rate * len(wanted_ly)), replace=False), ly_start, ly_end
    )
    still_at_large = np.isnat(caught_at) & (registered < np.datetime64(this_start, "s"))
    catch(np.flatnonzero(still_at_large & (rng.random(n) < 0.3)), ly_end, this_start)
    wanted = np.flatnonzero(np.isnat(caught_at))
    catch(rng.choice(wanted, size=round(catch_rate * len(wanted)), replace=False), this_start, as_of)
    caught = ~np.isnat(caught_at)
    district, town = _places(rng, city, n)
    return {
        "fugitive_key": np.array([f"ZT{t:010x}" for t in unique_tokens(rng, n)], dtype=object),
        "wanted_type": np.array(WANTED_TYPES, dtype=object)[rng.choice(3, n, p=[0.7, 0.2, 0.1])],
        "registered_at": iso_local(registered),
        "district_code": district,
        "police_station_code": town,
        "caught": caught,
        "caught_at": np.where(caught, iso_local(np.where(caught, caught_at, registered)), None).astype(
            object
        ),
        "updated_at": iso_local(np.where(caught, caught_at, registered)),
    }


def _disputes(rng, city: City, scale: float, lo: date, hi: date) -> dict:
    n = int(rng.poisson(max(300, 3000 * scale) * (hi - lo).days / 365))
    found = np.sort(_spread(rng, n, lo, hi))
    hi_s = np.datetime64(hi, "s")
    resolved_at = found + (rng.lognormal(1.0, 1.0, n) * 86400).astype("timedelta64[s]")
    resolved = (rng.random(n) < 0.97) & (resolved_at < hi_s)
    district, town = _places(rng, city, n)
    return {
        "dispute_id": np.array([f"JF{i + 1:08d}" for i in range(n)], dtype=object),
        "dispute_type": np.array(DISPUTE_TYPES, dtype=object)[rng.integers(0, len(DISPUTE_TYPES), n)],
        "found_at": iso_local(found),
        "district_code": district,
        "police_station_code": town,
        "resolved": resolved,
        "resolved_at": np.where(resolved, iso_local(np.minimum(resolved_at, hi_s - 1)), None).astype(object),
        "updated_at": iso_local(np.where(resolved, np.minimum(resolved_at, hi_s - 1), found)),
    }


def _surveys(rng, city: City, scale: float, lo: date, hi: date, positive_share: float) -> dict:
    """Anonymous answers (no respondent identity): exactly round(share * n) are positive; n is a multiple of 5000
    so 98.66% is representable exactly."""
    n = 5000 * max(1, round(scale / 10))
    answers = _exact_share(rng, n, positive_share, POSITIVE_ANSWERS, NEGATIVE_ANSWERS)
    taken = _spread(rng, n, lo, hi)
    district, town = _places(rng, city, n)
    return {
        "response_id": np.array([f"SV{i + 1:07d}" for i in range(n)], dtype=object),
        "survey_date": iso_date(taken.astype("datetime64[D]")),
        "district_code": district,
        "police_station_code": town,
        "answer": answers,
        "updated_at": iso_local(taken),
    }

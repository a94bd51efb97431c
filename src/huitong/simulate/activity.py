"""When and where records happen: seasonality, business-months that report, and event timestamps.

Shared by every source so hotels, couriers, shops and agencies follow the same calendar. All arrays; no per-record
Python loops, so scale 50 stays fast.
"""

from __future__ import annotations

from datetime import date

import numpy as np

# Spring Festival (the first day of the lunar year); the week after it is the biggest travel peak.
SPRING_FESTIVAL = {
    2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10",
    2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13",
    2030: "2030-02-03",
}  # fmt: skip
TZ_SUFFIX = "+08:00"


def days_between(start: date, end: date) -> np.ndarray:
    return np.arange(np.datetime64(start), np.datetime64(end), dtype="datetime64[D]")


def holiday_mask(days: np.ndarray) -> np.ndarray:
    """Public holidays: New Year, Spring Festival week, Qingming, May Day, National Day (fixed-date approximations
    except the lunar new year, which comes from the table)."""
    months = days.astype("datetime64[M]").astype(int) % 12 + 1
    dom = (days - days.astype("datetime64[M]")).astype(int) + 1
    mask = (months == 1) & (dom == 1)
    mask |= (months == 4) & (dom >= 4) & (dom <= 6)
    mask |= (months == 5) & (dom <= 5)
    mask |= (months == 10) & (dom <= 7)
    for sf in SPRING_FESTIVAL.values():
        first = np.datetime64(sf)
        mask |= (days >= first - 1) & (days <= first + 6)
    return mask


def season_weights(days: np.ndarray, weekend: float, holiday: float) -> np.ndarray:
    weekday = (days.astype("datetime64[D]").astype(int) + 3) % 7  # 0 = Monday
    w = np.where(weekday >= 4, weekend, 1.0)  # Friday and Saturday nights
    w = np.where(weekday == 6, 1.0, w)
    return np.where(holiday_mask(days), w * holiday, w)


def month_index(days: np.ndarray, start: date) -> np.ndarray:
    return days.astype("datetime64[M]").astype(int) - np.datetime64(start, "M").astype(int)


def n_months(start: date, as_of: date) -> int:
    last = np.datetime64(as_of, "D") - 1
    return int(last.astype("datetime64[M]").astype(int) - np.datetime64(start, "M").astype(int)) + 1


def active_business_months(
    rng: np.random.Generator, n_business: int, months: int, silent_share: float
) -> np.ndarray:
    """[business, month] -> reports that month. Exactly floor(silent_share * n) businesses stay silent each month,
    so the reporting share never dips below 1 - silent_share however small the scale."""
    active = np.ones((n_business, months), dtype=bool)
    k = int(np.floor(silent_share * n_business))
    for m in range(months):
        if k:
            active[rng.choice(n_business, size=k, replace=False), m] = False
    return active


def business_event_days(
    rng: np.random.Generator,
    sizes: np.ndarray,
    active: np.ndarray,
    start: date,
    as_of: date,
    per_day: float,
    weekend: float = 1.0,
    holiday: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(business index, day) of every event: a seasonal Poisson stream spread over businesses by size, minus the
    silent business-months, plus one event for each active business-month so every active business reports."""
    days = days_between(start, as_of)
    lam = per_day * season_weights(days, weekend, holiday)
    counts = rng.poisson(lam)
    day = np.repeat(days, counts)
    p = sizes / sizes.sum()
    biz = rng.choice(len(sizes), size=len(day), p=p)
    keep = active[biz, month_index(day, start)]
    day, biz = day[keep], biz[keep]

    b_idx, m_idx = np.nonzero(active)
    month_first = np.datetime64(start, "M") + m_idx
    lo = np.maximum(month_first.astype("datetime64[D]"), np.datetime64(start))
    hi = np.minimum((month_first + 1).astype("datetime64[D]"), np.datetime64(as_of))
    span = (hi - lo).astype(int)
    extra_day = lo + (rng.random(len(b_idx)) * span).astype(int)
    return np.concatenate([biz, b_idx]), np.concatenate([day, extra_day])


def times_of_day(rng: np.random.Generator, n: int, hour_weights: np.ndarray) -> np.ndarray:
    """Seconds after midnight, hours drawn from a 24-bin profile."""
    hours = rng.choice(24, size=n, p=hour_weights / hour_weights.sum())
    return hours * 3600 + rng.integers(0, 3600, n)


def iso_local(ts: np.ndarray) -> np.ndarray:
    """datetime64 (Beijing local time) -> 'YYYY-MM-DDTHH:MM:SS+08:00' strings (object array)."""
    text = np.datetime_as_string(np.asarray(ts).astype("datetime64[s]"), unit="s")
    return np.strings.add(text, TZ_SUFFIX).astype(object)


def iso_date(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(days).astype("datetime64[D]"), unit="D").astype(object)


# Hourly profiles (index = hour of day).
HOTEL_CHECKIN_HOURS = np.array(
    [3, 2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 7, 10, 12, 14, 14, 13, 12, 12, 12, 11, 9, 7, 5], float
)
DAYTIME_HOURS = np.array(
    [0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 1, 3, 6, 9, 10, 10, 8, 9, 10, 10, 9, 8, 6, 4, 3, 2, 1, 0.5]
)

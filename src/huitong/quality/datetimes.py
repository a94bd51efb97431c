"""ISO 8601 date-times of a whole column at once, with exactly the meaning of checks.parse_iso_datetime.

Large batches carry a distinct timestamp on almost every row, so parsing value by value in Python was most of the
loader's validation time (1M trade rows: two date-time rules and a "not before" rule). Here the regex and the split
run in Arrow (RE2), the calendar parse in pandas, the offsets as integer arithmetic. Anything the fast path does not
settle - text that is not ASCII, years pandas cannot hold, wall-clock times that do not exist or occur twice in the
zone, calendar errors - goes through parse_iso_datetime itself, so both paths agree (tests/unit/test_quality_datetimes
compares them on generated text).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.lib.stride_tricks import sliding_window_view

from huitong.arrow_strings import string_buffers
from huitong.quality.checks import parse_iso_datetime

MISSING = np.iinfo(np.int64).min  # "no date-time" in an epoch array
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_MODERN = (np.datetime64("1970-01-01", "us"), np.datetime64("2038-01-01", "us"))
# checks._ISO_DATETIME with ASCII digits, split into the wall-clock part and the offset's parts.
_PARTS = (
    r"^(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})[T ](?P<clock>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)"
    r"(?:(?P<zulu>Z)|(?P<sign>[+-])(?P<hours>[0-9]{2})(?::?(?P<minutes>[0-9]{2}))?)?$"
)


def to_micros(instant: datetime) -> int:
    """An aware datetime as microseconds since the epoch (exact, unlike timestamp()'s float)."""
    return (instant - _EPOCH) // _MICROSECOND


def epoch_micros(value: str, tz: tzinfo) -> int:
    """One value, the slow way: microseconds since the epoch, or MISSING."""
    parsed = parse_iso_datetime(value, tz)
    return MISSING if parsed is None else to_micros(parsed)


def iso_epoch_micros(values: pd.Series, tz: tzinfo) -> np.ndarray:
    """Microseconds since the epoch for each value (text; NA allowed), MISSING where parse_iso_datetime gives None."""
    return iso_epoch_micros_fixed(values, tz)[0]


def iso_epoch_micros_fixed(values: pd.Series, tz: tzinfo) -> tuple[np.ndarray, np.ndarray]:
    """``iso_epoch_micros``, and where a value was exactly 'YYYY-MM-DDTHH:MM:SS+HH:MM' (the usual spelling): there
    the instant does not depend on ``tz``, and the value is its own trimmed form, so another parse of the same
    text (the loader's watermark, in UTC+8; the suite's, in the configured zone) can reuse it."""
    text = arrow_text(values)
    out = np.full(len(text), MISSING, dtype=np.int64)
    if not len(text):
        return out, np.zeros(0, dtype=bool)
    # The usual spelling, 'YYYY-MM-DDTHH:MM:SS+HH:MM', read from the bytes; the rest below, as before.
    fixed, micros = _fixed_offset_micros(text)
    if fixed.any():
        out[fixed] = micros
        if fixed.sum() == len(text) - text.null_count:
            return out, fixed  # every value settled: the usual batch, spared a pass of each step below
        text = pc.if_else(pa.array(fixed), pa.scalar(None, pa.string()), text)
    ascii_text = pc.if_else(pc.string_is_ascii(text), text, None)
    parts = pc.extract_regex(
        pc.if_else(pc.match_substring_regex(ascii_text, _PARTS), ascii_text, None), _PARTS
    )
    matched = np.asarray(parts.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if matched.any():
        parts = parts.filter(pa.array(matched))
        wall = pd.to_datetime(
            pc.binary_join_element_wise(parts.field("day"), parts.field("clock"), "T").to_numpy(
                zero_copy_only=False
            ),
            format="ISO8601",
            errors="coerce",
        ).to_numpy(dtype="datetime64[us]")
        out[np.flatnonzero(matched)] = _apply_offsets(wall, parts, tz)
    # Everything not settled above: non-ASCII text, no regex match (still MISSING unless Python says otherwise:
    # Python's \d also matches other scripts' digits), and matches the fast path could not place.
    present = np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    unsettled = present & (out == MISSING)
    if unsettled.any():
        out[unsettled] = [epoch_micros(v, tz) for v in text.filter(pa.array(unsettled)).to_pylist()]
    return out, fixed


# Byte positions of 'YYYY-MM-DDTHH:MM:SS+HH:MM' (T or space; + or -): the digits, and the separators.
_DIGITS = np.array([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 23, 24])
_SEPARATORS = {4: b"-", 7: b"-", 10: b"T ", 13: b":", 16: b":", 19: b"+-", 22: b":"}
_DAYS_BEFORE_MONTH = np.array([0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _fixed_offset_micros(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Where a value is exactly a real 'YYYY-MM-DDTHH:MM:SS+HH:MM' (or ' ' for 'T', '-' for '+') of a year in
    1970-2099, and its epoch microseconds there: integer arithmetic on the string bytes, no parse per value.
    parse_iso_datetime reads these values the same way (datetime.fromisoformat of a stated offset); any value
    not settled here is left to the general path."""
    n = len(text)
    fixed = np.zeros(n, dtype=bool)
    if not n or text.type != pa.string():
        return fixed, np.zeros(0, dtype=np.int64)
    bounds, buf = string_buffers(text)
    valid = np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    rows = np.flatnonzero(valid & (np.diff(bounds) == 25))
    if not len(rows):
        return fixed, np.zeros(0, dtype=np.int64)
    # Each value's 25 bytes as one row of a window over the data, gathered whole (an index array of every byte
    # was 200 MB per 1M values, slow to fault in; a gather per position, 25 passes over the rows).
    byte = sliding_window_view(buf, 25)[bounds[rows]].T  # byte[position]: that byte of every value
    # Bytes below '0' wrap past 9 (small types: ~1M rows a call).
    digits = byte[_DIGITS] - np.uint8(0x30)
    ok = (digits <= 9).all(axis=0)
    digits = digits.astype(np.int32)
    for position, allowed in _SEPARATORS.items():
        ok &= np.isin(byte[position], np.frombuffer(allowed, dtype=np.uint8))
    pairs = digits[0::2] * 10 + digits[1::2]  # century, year, month, day, hour, minute, second, oh, om
    year = pairs[0] * 100 + pairs[1]
    month, day, hour, minute, second, off_h, off_m = pairs[2:9]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    last_day = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    ok &= (year >= 1970) & (year < 2100) & month_ok & (day >= 1) & (day <= last_day)
    ok &= (hour < 24) & (minute < 60) & (second < 60) & (off_h < 24) & (off_m < 60)
    rows, sign_byte = rows[ok], byte[19][ok]
    year, month, day, hour, minute, second, off_h, off_m = (
        a[ok] for a in (year, month, day, hour, minute, second, off_h, off_m)
    )
    leap = leap[ok]
    before = year - 1970  # whole years since 1970, and the leap days among them (no century rule before 2100)
    days = before * 365 + (before + 1) // 4 + _DAYS_BEFORE_MONTH[month] + (leap & (month > 2)) + day - 1
    sign = np.where(sign_byte == ord("-"), -1, 1)
    seconds = (
        days.astype(np.int64) * 86400
        + hour * 3600
        + minute * 60
        + second
        - sign * (off_h * 3600 + off_m * 60)
    )
    fixed[rows] = True
    return fixed, seconds * 1_000_000


def arrow_text(values: pd.Series) -> pa.Array:
    """The column as an Arrow string array: Arrow-backed text as it is (no Python str per value), else converted."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage.startswith("pyarrow"):
        text = pa.array(values.array)
        text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
        return text.cast(pa.string())
    return pa.array(values.astype(object).where(values.notna(), None).to_numpy(), type=pa.string())


def _apply_offsets(wall: np.ndarray, parts: pa.StructArray, tz: tzinfo) -> np.ndarray:
    """Wall-clock times (datetime64[us], NaT where the calendar parse failed) to epoch microseconds: minus the stated
    offset, or placed in ``tz`` when there is none. MISSING where the fast path cannot decide."""

    def flag(name: str, value: str) -> np.ndarray:
        return np.asarray(pc.equal(parts.field(name), value).to_numpy(zero_copy_only=False), dtype=bool)

    def number(name: str) -> np.ndarray:  # RE2 gives '' for an absent optional group
        field = parts.field(name)
        return pc.cast(pc.if_else(pc.equal(field, ""), "0", field), pa.int64()).to_numpy(zero_copy_only=False)

    out = np.full(len(wall), MISSING, dtype=np.int64)
    valid = ~np.isnat(wall)
    zulu, negative = flag("zulu", "Z"), flag("sign", "-")
    stated = zulu | negative | flag("sign", "+")
    if stated.any():
        hours, minutes = number("hours"), number("minutes")
        # datetime accepts offsets strictly inside a day with minutes < 60; the rest stay MISSING via the slow path.
        fine = valid & stated & (hours < 24) & (minutes < 60)
        shift = np.where(negative, -1, 1) * (hours * 60 + minutes) * 60_000_000
        out[fine] = wall[fine].astype(np.int64) - shift[fine]
    # Placing a wall-clock time in a zone: pandas and zoneinfo agree on modern rules, not on local mean time and
    # other pre-1970 history, which the slow path keeps.
    naive = valid & ~stated & (wall >= _MODERN[0]) & (wall < _MODERN[1])
    if naive.any():
        local = pd.DatetimeIndex(wall[naive]).tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        rows = np.flatnonzero(naive)
        known = ~local.isna()
        out[rows[known]] = local.as_unit("us").asi8[known]
    return out

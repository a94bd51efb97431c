"""The whole-column date-time parse (huitong.quality.datetimes) against the per-value one it replaces in the
loader's hot path (checks.parse_iso_datetime): the same instant, or the same refusal, for any text."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.quality.checks import CheckEnv, value_problem
from huitong.quality.datetimes import MISSING, epoch_micros, iso_epoch_micros
from huitong.quality.frame import build_frame
from huitong.quality.spec import entity_spec

ZONES = [ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")]


def digits(n: int, low: int = 0, high: int | None = None) -> st.SearchStrategy[str]:
    return st.integers(low, high if high is not None else 10**n - 1).map(lambda v: f"{v:0{n}d}")


# Mostly well-formed, with every field allowed out of range, odd separators and offsets, other scripts' digits.
offsets = st.one_of(
    st.just(""), st.just("Z"),
    st.builds(lambda s, h, m, colon: f"{s}{h}{colon}{m}", st.sampled_from("+-"), digits(2, 0, 29),
              digits(2, 0, 69), st.sampled_from(["", ":"])),
    st.builds(lambda s, h: f"{s}{h}", st.sampled_from("+-"), digits(2, 0, 29)),
)  # fmt: skip
iso_like = st.builds(
    lambda y, mo, d, sep, h, mi, sec, off: f"{y}-{mo}-{d}{sep}{h}:{mi}{sec}{off}",
    st.one_of(digits(4, 1900, 2100), digits(4)),
    digits(2, 0, 13), digits(2, 0, 32), st.sampled_from(["T", " ", "t", "_"]),
    digits(2, 0, 25), digits(2, 0, 61),
    st.one_of(st.just(""), digits(2, 0, 61).map(":{}".format),
              st.builds(lambda s, f: f":{s}.{f}", digits(2, 0, 59), st.text("0123456789", min_size=1, max_size=7))),
    offsets,
)  # fmt: skip
texts = st.one_of(
    iso_like,
    iso_like.map(lambda s: s.replace("2", "２")),  # full-width digit
    iso_like.map(lambda s: s.replace("1", "١")),  # Arabic-Indic digit: Python's \d matches it
    st.text(max_size=30),
)


@settings(max_examples=400, deadline=None)
@given(values=st.lists(st.one_of(st.none(), texts), max_size=40), zone=st.sampled_from(ZONES))
def test_column_parse_equals_the_per_value_parse(values, zone):
    column = pd.Series(values, dtype="string[pyarrow]")
    expected = [MISSING if v is None else epoch_micros(v, zone) for v in values]
    assert iso_epoch_micros(column, zone).tolist() == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-29T02:30:00",  # Berlin: does not exist (clocks go forward)
        "2026-10-25T02:30:00",  # Berlin: occurs twice
        "2026-03-08T02:30",  # New York: does not exist
        "1988-04-10T02:30:00",  # Shanghai had summer time 1986-1991
        "2262-04-12T00:00:00",  # beyond pandas' nanosecond range
        "1600-01-01T00:00:00+08:00",
        "2026-02-29T10:00:00",
        "2026-03-01T24:00",
        "2026-03-01T10:00+24:00",
        "2026-03-01T10:00-23:59",
        "2026-03-01T10:00:00.123456Z",
    ],
)
@pytest.mark.parametrize("zone", ZONES, ids=str)
def test_edge_cases_agree(text, zone):
    assert iso_epoch_micros(pd.Series([text]), zone).tolist() == [epoch_micros(text, zone)]


def test_the_frame_gives_the_per_value_verdicts():
    """The trade spec has both kinds of date-time rule: ranges on the times and trade_time not before updated_at."""
    spec = entity_spec("trade", "trades")
    rules = [r for r in spec.rules if r.kind in ("iso_datetime", "not_before_column")]
    assert {r.kind for r in rules} == {"iso_datetime", "not_before_column"}
    env = CheckEnv(now=pd.Timestamp("2026-06-01T12:00:00+08:00").to_pydatetime(), tz=ZONES[0])
    times = ["2026-05-31T10:00:00+08:00", "2026-06-03T10:00:00", "1999-01-01T00:00:00", "2026-02-30T10:00",
             "yesterday", None, "2026-05-01 09:00", "2026-05-01T09:00:00Z"]  # fmt: skip
    rows = pd.DataFrame({field: [None] * len(times) for field in spec.fields})
    for rule in rules:
        rows[rule.column] = times
        if rule.kind == "not_before_column":
            rows[rule.params["other"]] = list(reversed(times))
    frame, targets = build_frame(rows, spec, env)
    for rule in rules:
        for p in range(len(rows)):
            value = rows.at[p, rule.column]
            other = rows.at[p, rule.params["other"]] if rule.kind == "not_before_column" else None
            expected = None if value is None else value_problem(rule, value, env, other) is None
            got = frame.at[p, targets[rule.name]]
            assert (None if got is pd.NA else bool(got)) == expected, (rule.name, value, other)


@pytest.mark.parametrize("seed", range(3))
def test_the_fixed_width_offset_spelling_read_from_bytes_matches_parse_iso_datetime(seed):
    # 'YYYY-MM-DDTHH:MM:SS+HH:MM' is settled by integer arithmetic on the bytes: real and impossible dates (leap
    # days, day 31 of short months, second 60, offsets of 24 h), years around the 1970-2099 it reads, odd bytes.
    import random
    from datetime import timedelta, timezone

    import pyarrow as pa

    from huitong.quality.datetimes import _fixed_offset_micros, epoch_micros

    rng = random.Random(seed)
    tz = timezone(timedelta(hours=8))
    values = []
    for _ in range(3000):
        year = rng.choice([1900, 1969, 1970, 1972, 2000, 2024, 2026, 2099, 2100, rng.randint(1970, 2099)])
        value = (
            f"{year:04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}{rng.choice('T T x')}"
            f"{rng.randint(0, 24):02d}:{rng.randint(0, 60):02d}:{rng.randint(0, 60):02d}"
            f"{rng.choice('+-+:')}{rng.randint(0, 24):02d}:{rng.randint(0, 60):02d}"
        )
        if rng.random() < 0.1:
            at = rng.randrange(len(value))
            value = value[:at] + rng.choice("9/٣汉") + value[at + 1 :]
        values.append(value)
    fixed, micros = _fixed_offset_micros(pa.array(values + [None], pa.string()).slice(0))
    assert fixed.sum() > 100 and not fixed[-1]
    got = dict(zip([v for v, f in zip(values, fixed, strict=False) if f], micros.tolist(), strict=True))
    for value, settled in got.items():
        assert settled == epoch_micros(value, tz), value

"""The loader's whole-column watermark parse equals the source's own watermark() of every record."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.ingest import _micros, _watermarks
from huitong.quality.datetimes import epoch_micros
from huitong.sources import get_source

stamps = st.builds(
    lambda y, mo, d, sep, clock, off, pad: f"{pad}{y:04d}-{mo:02d}-{d:02d}{sep}{clock}{off}{pad}",
    st.integers(1, 9999), st.integers(0, 13), st.integers(0, 32), st.sampled_from(["T", " ", "t", ""]),
    st.sampled_from(["00:00", "23:59:59", "10:20:30.5", "10:20:30.123456", "24:00:00", "12:60", ""]),
    st.sampled_from(["", "Z", "+08:00", "-0530", "+23:59", "+24:00", "+08", "z"]), st.sampled_from(["", " ", "\n"]),
)  # fmt: skip
fixed = st.builds(
    lambda y, mo, d, h, mi, s, sign, oh: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{sign}{oh}",
    st.integers(1960, 2110), st.integers(0, 13), st.integers(0, 32), st.integers(0, 24), st.integers(0, 60),
    st.integers(0, 60), st.sampled_from("+-"), st.sampled_from(["08:00", "00:00", "05:30", "24:00", "08:60"]),
)  # fmt: skip
values = st.one_of(
    st.none(), stamps, fixed, fixed, stamps.map(lambda s: s.replace("2", "２")), st.text(max_size=25)
)


@settings(max_examples=300, deadline=None)
@given(
    column=st.lists(values, max_size=30),
    source=st.sampled_from(["trade", "parcel", "hotel", "rental.contracts"]),
)
def test_column_watermarks_equal_the_sources_watermark(column, source):
    src = get_source(source)
    table = pa.table({src.watermark_field: pa.array(column, pa.string())})
    marks, missing, fixed = _watermarks(src, lambda i: {src.watermark_field: column[i]}, table)
    expected = [src.watermark({src.watermark_field: v}) for v in column]
    assert missing.tolist() == [m is None for m in expected]
    assert marks[~missing].tolist() == [_micros(m) for m in expected if m is not None]
    assert np.all(marks[missing] == 0)
    # Where the loader hands its parse to the suite: the suite's own parse of the trimmed value, in any zone.
    for zone in (ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")):
        shared = [epoch_micros(v.strip(), zone) for v, f in zip(column, fixed, strict=True) if f]
        assert marks[fixed].tolist() == shared

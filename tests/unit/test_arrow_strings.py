"""take_strings: Arrow's take, by numpy rows when every value spans the same bytes (digests and tokens)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from huitong.arrow_strings import take_strings, with_validity

DIGESTS = pa.array([f"{i:064x}" for i in range(200)])
ROWS = np.random.default_rng(7).integers(0, 200, 1000)


def test_digests_are_taken_as_arrow_takes_them():
    taken = take_strings(DIGESTS, ROWS)
    taken.validate(full=True)
    assert taken.equals(DIGESTS.take(pa.array(ROWS)))


def test_nulls_whose_slots_span_the_width_stay_null():
    valid = np.arange(200) % 7 != 0
    dense = with_validity(pa.array([f"{i:064x}" if ok else " " * 64 for i, ok in enumerate(valid)]), valid)
    expected = pa.array([f"{i:064x}" if ok else None for i, ok in enumerate(valid)]).take(pa.array(ROWS))
    taken = take_strings(dense, ROWS)
    taken.validate(full=True)
    assert taken.equals(expected) and taken.null_count == expected.null_count > 0


@pytest.mark.parametrize(
    "values",
    [
        pa.array(["a", "bb", "ccc"] * 10),  # widths differ
        pa.array([None, "aa", "bb"] * 10),  # a null's slot is empty
        pa.array(["", ""] * 10),  # nothing to gather
        DIGESTS.slice(3, 30),  # a slice of an array
        pa.array(["张三", "ab"] * 10),  # two characters each, not two bytes each
    ],
)
def test_anything_else_is_taken_like_arrow(values):
    rows = np.arange(len(values))[::-1]
    assert take_strings(values, rows).equals(values.take(pa.array(rows)))


def test_no_rows():
    assert take_strings(DIGESTS, np.zeros(0, dtype=np.int64)).equals(pa.array([], pa.string()))

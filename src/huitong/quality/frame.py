"""The frame GX validates: the batch's fields trimmed, plus one derived column per rule GX cannot express.

Why derived columns rather than custom GX expectations: a derived boolean column (True = passes, False = fails,
None = rule does not apply) checked by the stock ``ExpectColumnValuesToBeInSet([True])`` keeps GX's per-row
reporting (``unexpected_index_list``) and counts, needs no metric provider registered into GX's global registry
(an API that has moved between 1.x minors), and leaves the check-digit logic in huitong.codes where dbt models and
the simulator use it too. Null means "not applicable" because GX column-map expectations skip nulls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from huitong import codes
from huitong.quality.checks import CheckEnv, iso_datetime_range, value_problem
from huitong.quality.datetimes import MISSING, arrow_text, iso_epoch_micros, to_micros
from huitong.quality.spec import EntitySpec, Rule

CHECK_PREFIX = "__check__"
WHEN_PREFIX = "__when__"
EVENT_EPOCH = "__event_epoch__"
DERIVED_KINDS = frozenset(
    {"resident_id", "uscc", "gb28181", "mobile_phone", "iso_datetime", "date_any_format", "not_before_column"}
)
# Arrow-backed strings and nullable booleans: GX filters the frame once per metric, and these dtypes make each
# filter a columnar copy instead of a copy of Python object pointers (measured ~40% faster on 100k rows).
STRING = "string[pyarrow]"


def _clean(value: object) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    text = value if isinstance(value, str) else str(value)
    # Lone surrogates (legal in JSON escapes) cannot be stored as UTF-8; they become U+FFFD.
    return text.encode("utf-8", "replace").decode("utf-8").strip() or None


def normalise(series: pd.Series) -> pd.Series:
    """Strings trimmed; blank, None and NaN all become NA, so 'missing' means one thing to every rule."""
    try:
        text = series.astype(STRING).str.strip()
    except (UnicodeError, TypeError, ValueError):
        text = series.astype(object).map(_clean).astype(STRING)
    blank = text == ""
    return text.mask(blank) if blank.any() else text  # mask copies every value, blank or not


def _applies(rule: Rule, frame: pd.DataFrame) -> pd.Series:
    if rule.when is None:
        return pd.Series(True, index=frame.index)
    return frame[rule.when.column].isin(rule.when.values).fillna(False).astype(bool)


def _derived(
    rule: Rule, frame: pd.DataFrame, applies: pd.Series, env: CheckEnv, epochs: Callable[[str], np.ndarray]
) -> pd.Series:
    """True where the rule passes, False where it fails, NA where it does not apply. ``epochs(column)``: the
    column's date-times as epoch microseconds (huitong.quality.datetimes), parsed once per batch."""
    values = frame[rule.column]
    present = values.notna().to_numpy(dtype=bool)
    applies_np = applies.to_numpy(dtype=bool)
    if rule.kind == "required":
        return pd.Series(pd.arrays.BooleanArray(present, ~applies_np), index=frame.index)
    checked = applies_np & present
    ok = np.ones(len(frame), dtype=bool)
    if rule.kind == "iso_datetime":
        # Whole columns: a large batch has a distinct timestamp on almost every row.
        micros = epochs(rule.column)[checked]
        passes = micros != MISSING
        earliest, latest = iso_datetime_range(rule, env)
        if earliest is not None:
            passes &= micros >= to_micros(earliest)
        if latest is not None:
            passes &= micros <= to_micros(latest)
        ok[checked] = passes
    elif rule.kind == "not_before_column":
        # Unparseable or missing times pass here: their own iso_datetime / required rules report them.
        micros, others = epochs(rule.column)[checked], epochs(rule.params["other"])[checked]
        ok[checked] = (micros == MISSING) | (others == MISSING) | (micros >= others)
    else:
        # Batches repeat values (hotel codes, dates), so each distinct value is checked once (Arrow's dictionary:
        # no Python str per row).
        encoded = arrow_text(values[checked]).dictionary_encode()
        distinct = encoded.dictionary
        passes = np.zeros(len(distinct), dtype=bool)
        if rule.kind == "resident_id":
            # Check digits in numpy (huitong.codes): a valid ID passes resident_id_problem; the rest are asked of
            # it, which tells a legacy 15-digit ID from a wrong one.
            passes = codes.resident_ids_valid(distinct)
        asked = np.flatnonzero(~passes)
        passes[asked] = [value_problem(rule, v, env) is None for v in distinct.take(asked).to_pylist()]
        ok[checked] = passes[encoded.indices.to_numpy(zero_copy_only=False)]
    return pd.Series(pd.arrays.BooleanArray(ok, ~checked), index=frame.index)


def build_frame(
    df: pd.DataFrame,
    spec: EntitySpec,
    env: CheckEnv,
    parsed: dict[str, np.ndarray] | None = None,
    known: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The frame to validate (index = row position in the batch): every field trimmed, one column per rule that
    GX cannot read straight from a field, and the event time in epoch seconds for the freshness check.
    Also returns, per rule, the column its expectation reads. ``parsed``, when given, receives each date-time
    column the rules read as epoch microseconds (huitong.quality.datetimes; MISSING where unparseable), for the
    reasons of failing rows. ``known``: columns the caller already parsed, (epoch microseconds, where they hold
    what iso_epoch_micros would give here) per row; only the other rows are parsed."""
    raw = df.reset_index(drop=True)
    columns: dict[str, pd.Series] = {}
    for name in spec.fields:
        # A field missing from the batch is all-null here, so its required rules quarantine every row and the
        # schema check reports the drift; the batch still validates instead of crashing on a KeyError.
        columns[name] = (
            normalise(raw[name]) if name in raw else pd.Series(pd.NA, index=raw.index, dtype=STRING)
        )
    fields = pd.DataFrame(columns, index=raw.index)

    parsed = {} if parsed is None else parsed

    def epochs(
        column: str,
    ) -> np.ndarray:  # the date-time rules and the freshness check share a column's parse
        if column in parsed:
            return parsed[column]
        if known and column in known:
            micros, holds = known[column]
            parsed[column] = micros.copy()
            if not holds.all():
                parsed[column][~holds] = iso_epoch_micros(fields[column][~holds], env.tz)
        else:
            parsed[column] = iso_epoch_micros(fields[column], env.tz)
        return parsed[column]

    targets: dict[str, str] = {}
    for rule in spec.rules:
        applies = _applies(rule, fields)
        if rule.kind in DERIVED_KINDS or (rule.kind == "required" and rule.when is not None):
            target = CHECK_PREFIX + rule.name
            columns[target] = _derived(rule, fields, applies, env, epochs)
        elif rule.when is not None:
            target = WHEN_PREFIX + rule.name
            columns[target] = fields[rule.column].where(applies)
        else:
            target = rule.column
        targets[rule.name] = target
    if spec.freshness is not None:
        micros = epochs(spec.freshness.column)
        seconds = np.where(micros == MISSING, np.nan, micros / 1_000_000)
        columns[EVENT_EPOCH] = pd.Series(seconds, index=raw.index, dtype=float)
    return pd.DataFrame(columns, index=raw.index), targets


def gx_columns(frame: pd.DataFrame, targets: dict[str, str]) -> list[str]:
    """Only the columns some expectation reads: GX copies the whole frame for every metric it computes."""
    wanted = set(targets.values()) | {EVENT_EPOCH}
    return [c for c in frame.columns if c in wanted]

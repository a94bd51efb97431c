"""validate_batch: split one landed batch into rows to load and rows to quarantine, and judge the batch as a whole.

Row-level failures never raise: a row that breaks a quarantine-severity rule goes to ``quarantine`` (one row per
input row, listing every rule it broke), a row that only breaks warn-severity rules is loaded and listed in
``flags``. Batch-level failures (empty, volume out of range, stale, too much quarantined, schema drift) are
reported in ``batch_checks`` and raise only when the caller asks, through ``raise_for_batch_failures()``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from huitong.config import settings
from huitong.lake.records import json_texts
from huitong.quality import gx_suite
from huitong.quality.checks import (
    SHOWN_CHARS,
    CheckEnv,
    before_other_phrase,
    failure_reason,
    iso_datetime_range,
    shown_value,
    too_early_phrase,
    too_late_phrase,
)
from huitong.quality.datetimes import MISSING, arrow_text, to_micros
from huitong.quality.frame import build_frame, gx_columns
from huitong.quality.spec import EntitySpec, Rule, entity_spec

QUARANTINE_COLUMNS = ("batch_id", "source", "entity", "row_number", "rules", "reason", "payload")
FLAG_COLUMNS = ("row_number", "rules", "reason")
SCHEMA = "batch_schema_matches"
QUARANTINE_RATE = "batch_quarantine_rate"

# What callers may pass in ``context``; anything else is a typo that would silently skip a check.
CONTEXT_KEYS = {
    "expect_data": "bool: the interval should have produced rows (default from the suite's batch.expect_data)",
    "expected_rows": "(min, max): the row count this interval normally has; either end may be None",
    "now": "datetime or ISO string: the reference time for freshness and 'not in the future' (default: now)",
    "interval_start": "datetime or ISO string: start of the extracted interval, quoted in messages",
    "interval_end": "datetime or ISO string: end of the extracted interval; the reference time when 'now' is absent",
    "max_staleness_hours": "number: overrides the suite's batch.freshness.max_age_hours",
    "max_quarantine_fraction": "number in 0..1: overrides the suite's batch.max_quarantine_fraction",
    "fields_present": "the fields the batch's records hold (default: the frame's columns, which a loader may have "
    "filled with nulls); a suite field none of them holds fails the schema check unless batch.optional_fields lists it",
}


class BatchValidationError(RuntimeError):
    """A batch failed batch-level checks; the message says what was observed and what to do."""


@dataclass(frozen=True)
class BatchCheck:
    name: str
    success: bool
    observed: Any
    message: str


@dataclass
class ValidationResult:
    source: str
    entity: str
    batch_id: str
    keep: np.ndarray  # per row of the validated batch: True where it is loaded (not quarantined)
    quarantine: pd.DataFrame
    flags: pd.DataFrame
    batch_checks: list[BatchCheck]
    unexpected_counts: dict[str, int]
    rows: int
    seconds: float
    severities: dict[str, str] = field(default_factory=dict)
    batch: pd.DataFrame | None = field(default=None, repr=False)  # the validated rows, for ``valid``

    @property
    def valid(self) -> pd.DataFrame:
        """The rows to load. Taken when asked: the loader reads only ``quarantine``, and taking ~900k rows of a
        1M-row batch cost ~0.8 s under the profiler."""
        return self.batch.iloc[self.keep]

    @property
    def batch_failures(self) -> list[BatchCheck]:
        return [c for c in self.batch_checks if not c.success]

    def raise_for_batch_failures(self) -> None:
        failures = self.batch_failures
        if failures:
            lines = "\n".join(f"- {c.name}: {c.message}" for c in failures)
            raise BatchValidationError(
                f"{self.source}/{self.entity} batch {self.batch_id}: {len(failures)} batch-level check(s) failed "
                f"({self.rows} rows, {len(self.quarantine)} quarantined):\n{lines}"
            )

    def summary(self) -> dict[str, Any]:
        """One row for the ops data-quality table: counts per rule and the batch verdicts."""
        return {
            "batch_id": self.batch_id,
            "source": self.source,
            "entity": self.entity,
            "rows": self.rows,
            "valid": int(self.keep.sum()),
            "quarantined": len(self.quarantine),
            "flagged": len(self.flags),
            "unexpected_counts": dict(self.unexpected_counts),
            "batch_checks": {c.name: c.success for c in self.batch_checks},
            "batch_failures": [c.name for c in self.batch_failures],
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class _Context:
    expect_data: bool
    expected_rows: tuple[int | None, int | None] | None
    now: datetime
    interval_text: str
    max_staleness_hours: float | None
    max_quarantine_fraction: float | None
    fields_present: frozenset[str] | None


def _instant(value: Any, tz: ZoneInfo) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime or ISO string, got {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _parse_context(context: Mapping[str, Any] | None, spec: EntitySpec, tz: ZoneInfo) -> _Context:
    context = dict(context or {})
    unknown = set(context) - set(CONTEXT_KEYS)
    if unknown:
        accepted = "\n".join(f"  {k}: {v}" for k, v in CONTEXT_KEYS.items())
        raise ValueError(f"validate_batch context has unknown keys {sorted(unknown)}; accepted:\n{accepted}")
    reference = context.get("now") or context.get("interval_end")
    rows = context.get("expected_rows")
    start, end = context.get("interval_start"), context.get("interval_end")
    fresh = context.get("max_staleness_hours", spec.freshness.max_age_hours if spec.freshness else None)
    return _Context(
        expect_data=bool(context.get("expect_data", spec.expect_data)),
        expected_rows=None if rows is None else (rows[0], rows[1]),
        now=_instant(reference, tz) if reference else datetime.now(UTC).astimezone(tz),
        interval_text=f" ({start} to {end})" if start or end else "",
        max_staleness_hours=None if fresh is None else float(fresh),
        max_quarantine_fraction=context.get("max_quarantine_fraction", spec.max_quarantine_fraction),
        fields_present=None
        if context.get("fields_present") is None
        else frozenset(context["fields_present"]),
    )


def _jsonable(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _payloads(df: pd.DataFrame, positions: list[int]) -> list[str]:
    """Each row as JSON text with every column the batch had, including ones the suite does not know."""
    names = [str(c) for c in df.columns]
    if len(set(names)) == len(names) and all(isinstance(t, pd.StringDtype) for t in df.dtypes):
        # Text columns (what the loader passes): the JSON text built by Arrow a column at a time (no dict and
        # json.dumps per row: ~1 s for 100k rows); a row holding a control character is spelled by json.dumps.
        table = pa.Table.from_pandas(df.iloc[positions], preserve_index=False)
        texts, controls = json_texts(table, sort_keys=False)
        payloads = texts.to_pylist()
        for i in np.flatnonzero(controls).tolist():
            payloads[i] = json.dumps(table.slice(i, 1).to_pylist()[0], ensure_ascii=False, default=str)
        return payloads
    records = df.iloc[positions].to_dict(orient="records")
    return [
        json.dumps({str(k): _jsonable(v) for k, v in r.items()}, ensure_ascii=False, default=str)
        for r in records
    ]


@dataclass
class FramedBatch:
    """A batch made ready for its suite, before GX runs: the rows, the frame GX reads (huitong.quality.frame) and
    the date-time columns parsed for it. Split from validate_batch so a caller can frame a batch while it still
    works out which of its rows the suite judges: the loader frames a batch while its record hashes are computed,
    then drops the rows they show to be repeats (``take``). Every frame column is computed row by row, so framing
    all rows and taking some gives the same frame as framing only those."""

    source: str
    entity: str
    df: pd.DataFrame
    frame: pd.DataFrame
    targets: dict[str, str]
    parsed: dict[str, np.ndarray]  # date-time columns as epoch microseconds, for the failing rows' reasons
    spec: EntitySpec
    ctx: _Context
    env: CheckEnv
    seconds: float

    def take(self, rows: np.ndarray) -> FramedBatch:
        """The batch of ``rows`` (positions, in order) alone, positions renumbered from 0."""
        if len(rows) == len(self.df) and np.array_equal(rows, np.arange(len(rows))):
            return self
        started = time.perf_counter()
        df = self.df.iloc[rows].reset_index(drop=True)
        frame = self.frame.iloc[rows].reset_index(drop=True)
        parsed = {column: micros[rows] for column, micros in self.parsed.items()}
        seconds = self.seconds + time.perf_counter() - started
        return FramedBatch(self.source, self.entity, df, frame, self.targets, parsed, self.spec, self.ctx,
                           self.env, seconds)  # fmt: skip


def frame_batch(
    source: str,
    entity: str,
    df: pd.DataFrame,
    context: Mapping[str, Any] | None = None,
    epochs: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> FramedBatch:
    """The first half of ``validate_batch`` (its arguments mean the same): ``df`` framed for its suite."""
    started = time.perf_counter()
    spec = entity_spec(source, entity)
    tz = ZoneInfo(settings().timezone)
    ctx = _parse_context(context, spec, tz)
    env = CheckEnv(now=ctx.now, tz=tz)
    parsed: dict[str, np.ndarray] = {}  # filled by build_frame
    frame, targets = build_frame(df, spec, env, parsed, epochs)
    return FramedBatch(source, entity, df, frame, targets, parsed, spec, ctx, env,
                       time.perf_counter() - started)  # fmt: skip


def validate_batch(
    source: str,
    entity: str,
    df: pd.DataFrame | None,
    batch_id: str,
    context: Mapping[str, Any] | None = None,
    epochs: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    framed: FramedBatch | None = None,
) -> ValidationResult:
    """Validate one batch against ``expectations/<source>.yml`` section ``entity``; see docs/quality.md.
    ``epochs``: date-time columns the caller already parsed (huitong.quality.frame.build_frame's ``known``).
    ``framed``: the batch already framed by ``frame_batch`` (then ``df``, ``context`` and ``epochs`` are not read);
    the result's seconds include the framing."""
    if framed is None:
        if df is None:
            raise TypeError("validate_batch needs the batch: df, or framed (from frame_batch)")
        framed = frame_batch(source, entity, df, context, epochs)
    elif (framed.source, framed.entity) != (source, entity):
        raise ValueError(f"framed batch is {framed.source}.{framed.entity}, not {source}.{entity}")
    started = time.perf_counter()
    spec, ctx, env, parsed, df = framed.spec, framed.ctx, framed.env, framed.parsed, framed.df
    frame, targets = framed.frame, framed.targets
    n = len(frame)
    min_epoch = None
    if spec.freshness is not None and ctx.max_staleness_hours is not None and n:
        min_epoch = (ctx.now - timedelta(hours=ctx.max_staleness_hours)).timestamp()
    batch_expectations = gx_suite.batch_expectations(spec, ctx.expect_data, ctx.expected_rows, min_epoch)
    suite = gx_suite.build_suite(spec, targets, batch_expectations)
    results = gx_suite.run_suite(frame[gx_columns(frame, targets)], suite)

    counts = {rule.name: len(results[rule.name].get("unexpected_index_list") or []) for rule in spec.rules}
    reasons = _rule_reasons(spec, frame, results, parsed, env)
    q_positions, q_rules, q_reasons = _listed(reasons, [r.name for r in spec.rules if r.quarantines])
    f_positions, f_rules, f_reasons = _listed(reasons, [r.name for r in spec.rules if not r.quarantines])

    keep = np.ones(n, dtype=bool)
    keep[q_positions] = False
    quarantine = pd.DataFrame(
        {
            "batch_id": [batch_id] * len(q_positions),
            "source": [source] * len(q_positions),
            "entity": [entity] * len(q_positions),
            "row_number": pd.Series(q_positions, dtype="int64"),
            "rules": q_rules,
            "reason": q_reasons,
            "payload": _payloads(df, q_positions.tolist()),
        },
        columns=list(QUARANTINE_COLUMNS),
    )
    flags = pd.DataFrame(
        {"row_number": pd.Series(f_positions, dtype="int64"), "rules": f_rules, "reason": f_reasons},
        columns=list(FLAG_COLUMNS),
    )
    checks = _batch_checks(spec, df, batch_id, ctx, results, len(q_positions), n)
    return ValidationResult(
        source=source,
        entity=entity,
        batch_id=batch_id,
        keep=keep,
        quarantine=quarantine,
        flags=flags,
        batch_checks=checks,
        unexpected_counts=counts,
        rows=n,
        seconds=framed.seconds + time.perf_counter() - started,
        severities={r.name: r.severity for r in spec.rules},
        batch=df,
    )


def _rule_reasons(
    spec: EntitySpec,
    frame: pd.DataFrame,
    results: dict[str, dict[str, Any]],
    parsed: dict[str, np.ndarray],
    env: CheckEnv,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per rule that failed rows: those rows (ascending) and each one's reason. Date-time reasons with a known
    phrase and a plain value are built by Arrow a column at a time (_phrase_reasons); the rest by ``_spell``."""
    phrases = _datetime_phrases(spec, results, parsed, env)
    by_arrow = _phrase_reasons(spec, frame, phrases)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for rule in spec.rules:
        rows = np.unique(np.asarray(results[rule.name].get("unexpected_index_list") or [], dtype=np.int64))
        if not len(rows):
            continue
        texts = np.empty(len(rows), dtype=object)
        todo = np.ones(len(rows), dtype=bool)
        if rule.name in by_arrow:
            done, done_texts = by_arrow[rule.name]
            at = np.searchsorted(rows, done)
            texts[at], todo[at] = done_texts, False
        if todo.any():
            texts[todo] = _spell(rule, frame, rows[todo], phrases.get(rule.name), env)
        out[rule.name] = (rows, texts)
    return out


def _spell(
    rule: Rule, frame: pd.DataFrame, rows: np.ndarray, phrase_of: dict[int, str] | None, env: CheckEnv
) -> list[str]:
    """The reasons ``rule`` fails ``rows`` for. A reason depends only on the value, the other column's value and
    the phrase: bad values repeat (the same person's wrong ID in every parcel they send), so each distinct one is
    spelled once. Values are read only at ``rows``: a whole column as Python objects was ~0.15 s per 1M rows."""
    values = _objects(frame[rule.column], rows)
    others = (
        _objects(frame[rule.params["other"]], rows)
        if rule.kind == "not_before_column"
        else [None] * len(rows)
    )
    said = [phrase_of.get(p) for p in rows.tolist()] if phrase_of else [None] * len(rows)
    spelled: dict[tuple, str] = {}
    out = []
    for key in zip(values, others, said, strict=True):
        text = spelled.get(key)
        if text is None:
            shown, other, phrase = key
            if phrase is None or shown is None:
                text = failure_reason(rule, shown, env, other)
            else:  # what failure_reason says, without parsing the value again
                phrase = before_other_phrase(rule, other) if rule.kind == "not_before_column" else phrase
                text = f"{shown_value(rule, shown)} {phrase}"
            spelled[key] = text
        out.append(text)
    return out


def _objects(column: pd.Series, rows: np.ndarray) -> list:
    """The column's values at ``rows`` as Python objects, None where missing."""
    return [None if v is pd.NA else v for v in column.iloc[rows].astype(object).tolist()]


def _listed(
    reasons: dict[str, tuple[np.ndarray, np.ndarray]], names: list[str]
) -> tuple[np.ndarray, list[list[str]], list[str]]:
    """The rows failing any rule of ``names`` (ascending), each with the rules it fails (in ``names``' order) and
    their reasons joined by '; ', built by Arrow a column at a time (a Python join per row was ~0.6 s of a 1M-row
    parcel batch with 100k rows quarantined)."""
    failing = [name for name in names if name in reasons]
    if not failing:
        return np.zeros(0, dtype=np.int64), [], []
    rows = np.unique(np.concatenate([reasons[name][0] for name in failing]))
    fails = np.zeros((len(rows), len(failing)), dtype=bool)
    columns = []
    for j, name in enumerate(failing):
        at = np.searchsorted(rows, reasons[name][0])
        fails[at, j] = True
        texts = np.full(len(rows), None, dtype=object)
        texts[at] = reasons[name][1]
        columns.append(pa.array(texts, pa.string()))
    joined = pc.binary_join_element_wise(*columns, "; ", null_handling="skip")
    counts = fails.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    rule_names = pa.array(failing, pa.string()).take(pa.array(np.nonzero(fails)[1]))  # row by row, in order
    listed = pa.ListArray.from_arrays(pa.array(offsets), rule_names)
    return rows, listed.to_pylist(), joined.to_pylist()


# Values show() prints as they are: printable ASCII without a space, not longer than it cuts.
_PLAIN = f"^[!-~]{{1,{SHOWN_CHARS}}}$"


def _phrase_reasons(
    spec: EntitySpec, frame: pd.DataFrame, phrases: dict[str, dict[int, str]]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per date-time rule, the reason of each failing row whose phrase is known and whose value is plain (see
    _PLAIN), built a column at a time by Arrow: the same text as ``f"{shown_value(rule, value)} {phrase}"`` (~5 us
    a row in Python, 1 s of a 1M-row parcel batch with 100k rows a day ahead). The other rows are left to the
    caller. Returns the rows and their reasons, by rule."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for rule in spec.rules:
        if rule.kind != "iso_datetime" or not phrases.get(rule.name):
            continue
        phrase_of = phrases[rule.name]
        rows = np.fromiter(phrase_of, dtype=np.int64, count=len(phrase_of))
        values = arrow_text(frame[rule.column].iloc[rows])
        plain = pc.fill_null(pc.match_substring_regex(values, _PLAIN), False).to_numpy(zero_copy_only=False)
        rows, values = rows[plain], values.filter(pa.array(plain))
        said = pa.array([phrase_of[p] for p in rows.tolist()], pa.string())
        texts = pc.binary_join_element_wise(rule.column, values, said, " ")
        out[rule.name] = (rows, texts.to_numpy(zero_copy_only=False))
    return out


def _datetime_phrases(
    spec: EntitySpec, results: dict[str, dict[str, Any]], parsed: dict[str, np.ndarray], env: CheckEnv
) -> dict[str, dict[int, str]]:
    """Per date-time rule, the phrase value_problem gives each failing row, read from the batch's parse of the
    column (the instants parse_iso_datetime gives) a rule at a time: a parse per failing row was ~30 us, 3 s of
    a 1M-row parcel batch with 100k rows a day ahead. Rows left out (an unparseable value, where only the value
    tells which phrase) get failure_reason. For not_before_column the phrase names the other value: "" marks
    the rows that fail it, each gets before_other_phrase."""
    out: dict[str, dict[int, str]] = {}
    for rule in spec.rules:
        positions = results[rule.name].get("unexpected_index_list") or []
        if (
            rule.kind not in ("iso_datetime", "not_before_column")
            or rule.column not in parsed
            or not positions
        ):
            continue
        rows = np.asarray(positions, dtype=np.int64)
        micros = parsed[rule.column][rows]
        known = micros != MISSING
        if rule.kind == "not_before_column":
            if rule.params["other"] in parsed:
                others = parsed[rule.params["other"]][rows]
                before = known & (others != MISSING) & (micros < others)
                out[rule.name] = dict.fromkeys(rows[before].tolist(), "")
            continue
        earliest, latest = iso_datetime_range(rule, env)
        early = known & (micros < to_micros(earliest)) if earliest is not None else np.zeros(len(rows), bool)
        late = (
            known & ~early & (micros > to_micros(latest)) if latest is not None else np.zeros(len(rows), bool)
        )
        out[rule.name] = {
            **dict.fromkeys(rows[early].tolist(), too_early_phrase(rule)),
            **dict.fromkeys(rows[late].tolist(), too_late_phrase(rule, env)),
        }
    return out


def _batch_checks(
    spec: EntitySpec,
    df: pd.DataFrame,
    batch_id: str,
    ctx: _Context,
    results: dict[str, dict[str, Any]],
    quarantined: int,
    rows: int,
) -> list[BatchCheck]:
    what = f"{spec.source}/{spec.entity} batch {batch_id}"
    checks = [_schema_check(spec, df, ctx.fields_present if rows else None)]
    if gx_suite.NOT_EMPTY in results:
        ok = results[gx_suite.NOT_EMPTY]["success"]
        checks.append(
            BatchCheck(
                gx_suite.NOT_EMPTY,
                ok,
                rows,
                "has rows"
                if ok
                else f"{what} is empty, but this interval{ctx.interval_text} should have data. Check the "
                f"extractor's request window and the {spec.source} source's health (HTTP errors, auth, paging); "
                "if the interval really had no activity, validate with context={'expect_data': False}.",
            )
        )
    if gx_suite.VOLUME in results:
        ok = results[gx_suite.VOLUME]["success"]
        low, high = ctx.expected_rows or (None, None)
        checks.append(
            BatchCheck(
                gx_suite.VOLUME,
                ok,
                rows,
                f"{rows} rows within {low}..{high}"
                if ok
                else f"{what} has {rows} rows, outside the expected {low}..{high}{ctx.interval_text}. Too few "
                "usually means a partial extract (paging stopped early, source errors); too many, a replayed or "
                "duplicated window. Compare with the source's own count for the interval before loading.",
            )
        )
    if gx_suite.FRESHNESS in results:
        checks.append(_freshness_check(spec, what, ctx, results[gx_suite.FRESHNESS]))
    limit = ctx.max_quarantine_fraction
    if limit is not None and rows:
        share = quarantined / rows
        checks.append(
            BatchCheck(
                QUARANTINE_RATE,
                share <= limit,
                round(share, 4),
                f"{quarantined}/{rows} rows quarantined"
                if share <= limit
                else f"{what} quarantined {quarantined} of {rows} rows ({share:.0%}, limit {limit:.0%}). So many "
                f"failures usually mean the {spec.source} source changed a format: read the reasons in the "
                "quarantine table, then fix the source mapping or the rule in expectations/ and replay.",
            )
        )
    return checks


def _freshness_check(spec: EntitySpec, what: str, ctx: _Context, result: dict[str, Any]) -> BatchCheck:
    assert spec.freshness is not None and ctx.max_staleness_hours is not None
    column, allowed = spec.freshness.column, ctx.max_staleness_hours
    newest = result.get("observed_value")
    if newest is None or (isinstance(newest, float) and math.isnan(newest)):
        return BatchCheck(
            gx_suite.FRESHNESS,
            False,
            None,
            f"{what}: no row has a parseable {column}, so freshness cannot be judged; "
            f"see the quarantine reasons for {column}.",
        )
    newest_at = datetime.fromtimestamp(float(newest), ctx.now.tzinfo)
    age_h = (ctx.now - newest_at).total_seconds() / 3600
    observed = newest_at.isoformat(timespec="seconds")
    if result["success"]:
        return BatchCheck(gx_suite.FRESHNESS, True, observed, f"newest {column} is {age_h:.1f} h old")
    return BatchCheck(
        gx_suite.FRESHNESS,
        False,
        observed,
        f"{what}: the newest {column} is {observed}, {age_h:.1f} h before the reference time "
        f"{ctx.now.isoformat(timespec='seconds')}, older than the allowed {allowed:g} h. The source may have "
        "stopped sending updates, or the extractor re-read an old window: check the source's watermark and "
        "the extractor's interval (or pass context={'max_staleness_hours': ...} for a deliberate backfill).",
    )


def _schema_check(spec: EntitySpec, df: pd.DataFrame, held: frozenset[str] | None = None) -> BatchCheck:
    """The frame's columns against the suite's fields; with ``held`` (the fields the records really hold, for a
    batch with rows), a field none of them holds is missing even where the loader gave the frame a null column."""
    present = [str(c) for c in df.columns]
    missing = [
        f
        for f in spec.fields
        if f not in (present if held is None else held) and f not in spec.optional_fields
    ]
    extra = [c for c in present if c not in spec.fields]
    if not missing and not extra:
        return BatchCheck(SCHEMA, True, present, "fields match the suite")
    return BatchCheck(
        SCHEMA,
        False,
        {"missing": missing, "unexpected": extra},
        f"{spec.source}/{spec.entity} fields differ from expectations/{spec.source}.yml: missing {missing}, "
        f"unexpected {extra}. The source changed its record layout: update the suite's fields (and the bronze "
        "schema) if the change is intended, otherwise fix the extractor's field mapping.",
    )

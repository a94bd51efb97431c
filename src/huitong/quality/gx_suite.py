"""Specs turned into GX 1.x ExpectationSuites, and the one ephemeral GX context per process that runs them.

``import great_expectations`` takes several seconds, so it happens inside these functions, once, on first use.
Every expectation carries ``meta.rule`` (the rule name from the YAML) and ``meta.severity``, which is how results
are mapped back to rules; the suite itself is ordinary GX and can be rendered or saved like any other.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from huitong.quality.frame import CHECK_PREFIX, DERIVED_KINDS, EVENT_EPOCH
from huitong.quality.spec import EntitySpec, Rule

_lock = threading.Lock()
_batch_definition: Any = None

# Batch-level expectation names, as they appear in batch_checks and in the ops summary.
NOT_EMPTY = "batch_not_empty"
VOLUME = "batch_volume_in_expected_range"
FRESHNESS = "batch_freshness"

# pandas' "str" dtype: Arrow-backed text whose missing value is NaN, the default string dtype of pandas 3. See run_suite.
_GX_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def _gx_batch_definition() -> Any:
    global _batch_definition
    if _batch_definition is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        # tqdm bars would otherwise print to the task log once per validated batch.
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = context.data_sources.add_pandas("huitong_quality").add_dataframe_asset("batch")
        _batch_definition = asset.add_batch_definition_whole_dataframe("whole_batch")
    return _batch_definition


def rule_expectation(rule: Rule, target: str) -> Any:
    """The GX expectation for one rule, reading column ``target`` of the validation frame."""
    import great_expectations as gx

    common: dict[str, Any] = {
        "column": target,
        "meta": {"rule": rule.name, "severity": rule.severity, "kind": rule.kind, "field": rule.column},
        "description": rule.note or f"{rule.kind} on {rule.column}",
    }
    if rule.kind in DERIVED_KINDS or target.startswith(CHECK_PREFIX):
        return gx.expectations.ExpectColumnValuesToBeInSet(value_set=[True], **common)
    match rule.kind:
        case "required":
            return gx.expectations.ExpectColumnValuesToNotBeNull(**common)
        case "regex":
            # GX's pandas regex is a search, so the pattern is anchored to mean "the whole value".
            return gx.expectations.ExpectColumnValuesToMatchRegex(
                regex=f"^(?:{rule.params['pattern']})$", **common
            )
        case "enum":
            return gx.expectations.ExpectColumnValuesToBeInSet(
                value_set=[str(v) for v in rule.params["values"]], **common
            )
        case "length":
            return gx.expectations.ExpectColumnValueLengthsToBeBetween(
                min_value=rule.params.get("min"), max_value=rule.params.get("max"), **common
            )
    raise ValueError(f"no GX expectation for rule kind {rule.kind!r}")


def batch_expectations(
    spec: EntitySpec,
    expect_data: bool,
    rows_range: tuple[int | None, int | None] | None,
    min_epoch: float | None,
) -> list[Any]:
    import great_expectations as gx

    out: list[Any] = []
    if expect_data:
        out.append(gx.expectations.ExpectTableRowCountToBeBetween(min_value=1, meta={"rule": NOT_EMPTY}))
    if rows_range is not None:
        low, high = rows_range
        out.append(
            gx.expectations.ExpectTableRowCountToBeBetween(
                min_value=low, max_value=high, meta={"rule": VOLUME}
            )
        )
    if spec.freshness is not None and min_epoch is not None:
        out.append(
            gx.expectations.ExpectColumnMaxToBeBetween(
                column=EVENT_EPOCH, min_value=min_epoch, meta={"rule": FRESHNESS}
            )
        )
    return out


def build_suite(spec: EntitySpec, targets: dict[str, str], batch: Sequence[Any] = ()) -> Any:
    import great_expectations as gx

    expectations = [rule_expectation(rule, targets[rule.name]) for rule in spec.rules]
    return gx.ExpectationSuite(name=spec.suite_name, expectations=[*expectations, *batch])


def run_suite(frame: pd.DataFrame, suite: Any) -> dict[str, dict[str, Any]]:
    """Validate ``frame`` (its index = row position) against every expectation of ``suite`` and return each
    expectation's result dict by rule name.

    Each column's expectations are validated on a frame of that column alone (the table-level ones, row counts,
    with the first): for every expectation GX filters its whole batch frame, to the column's non-null rows and
    then to the failing ones, so on the frame of every checked column each expectation copied all of them (~0.9 s
    of GX's ~2.5 s on a 1M-row parcel batch). Every expectation still evaluates every row.

    Text columns are handed to GX as pandas' "str" dtype, and GX runs with ``future.infer_string`` on: GX's pandas
    engine reads a column for its regex and length expectations as ``column.astype(str)``, which otherwise turns
    Arrow-backed text into one Python string per value and runs Python's ``re`` or ``len`` on each (~0.5 s per
    expectation per 1M rows). With both, the column stays in Arrow and those expectations run Arrow's kernels:
    RE2 for regexes (so ``\\d`` is an ASCII digit; patterns are checked to be RE2 in huitong.quality.spec) and
    code-point counts for lengths. That is how pandas 3, whose default string dtype this is, runs the same suite."""
    import great_expectations as gx

    by_column: dict[str, list[Any]] = {}
    table_level: list[Any] = []
    for expectation in suite.expectations:
        column = getattr(expectation, "column", None)
        (by_column.setdefault(column, []) if column is not None else table_level).append(expectation)
    groups = [(_gx_column(frame, column), expectations) for column, expectations in by_column.items()]
    groups = groups or [(frame, [])]
    groups[0][1].extend(table_level)
    results: dict[str, dict[str, Any]] = {}
    for part, expectations in groups:
        outcome = _validate(part, gx.ExpectationSuite(name=suite.name, expectations=expectations))
        for item in outcome.results:
            rule = item.expectation_config.meta["rule"]
            info = item.exception_info or {}
            raised = info.get("raised_exception") or any(
                isinstance(v, dict) and v.get("raised_exception") for v in info.values()
            )
            if raised:
                raise RuntimeError(f"GX could not evaluate suite {suite.name} rule {rule!r}: {info}")
            results[rule] = {"success": bool(item.success), **dict(item.result)}
    return results


def _gx_column(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame[[column]]``, Arrow-backed text as pandas' "str" dtype (the same Arrow buffers, not a copy)."""
    series = frame[column]
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        text = _GX_TEXT.__from_arrow__(series.array.__arrow_array__())
        series = pd.Series(text, index=series.index, name=column)
    return series.to_frame()


def _validate(frame: pd.DataFrame, suite: Any) -> Any:
    """GX's validation of ``frame`` against ``suite``: COMPLETE results, with unexpected_index_list."""
    from great_expectations.execution_engine import pandas_execution_engine
    from great_expectations.validator.v1_validator import Validator

    with _lock:
        # The validator Batch.validate would build, built directly: get_batch() then validate() loaded the frame
        # twice. Index-based COMPLETE results: unexpected_index_list holds row positions. Measured ~3x faster on
        # 100k rows than unexpected_index_column_names, which builds one dict per failing row. The query text
        # (every failing index again, as a string) is not asked for: nothing reads it.
        validator = Validator(
            batch_definition=_gx_batch_definition(),
            batch_parameters={"dataframe": frame},
            result_format={"result_format": "COMPLETE", "return_unexpected_index_query": False},
        )
        # Loading a batch also fingerprints it (pandas.util.hash_pandas_object of every cell, ~0.4 s per 200k
        # rows) into a batch marker that nothing here reads; the size limit below which GX does so is lowered for
        # this run only. Every expectation still evaluates every row.
        threshold = getattr(pandas_execution_engine, "HASH_THRESHOLD", None)
        pandas_execution_engine.HASH_THRESHOLD = 0
        try:
            with pd.option_context("future.infer_string", True):  # see run_suite
                return validator.validate_expectation_suite(suite)
        finally:
            pandas_execution_engine.HASH_THRESHOLD = threshold

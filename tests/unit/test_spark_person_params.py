"""The Spark person model reads its parameters as int_person_match_params does (no Spark needed)."""

from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.parquet as pq

from huitong.er.person_params import DEFAULT_PRIOR, DEFAULTS, PRIOR
from huitong.spark.person_er import prior_weight, read_params, weight_rows


def test_defaults_come_from_the_committed_seed():
    params = read_params()
    assert params[PRIOR][0] == DEFAULT_PRIOR
    assert {k: v for k, v in params.items() if k != PRIOR} == DEFAULTS
    assert prior_weight(params) == math.log2(DEFAULT_PRIOR / (1 - DEFAULT_PRIOR))


def test_trained_rows_replace_their_defaults_and_only_those(tmp_path):
    trained = tmp_path / "er_person_params.parquet"
    pq.write_table(
        pa.table({"field": ["_prior", "name", "unknown"], "level": ["match", "exact", "x"],
                  "m": [0.002, 0.9, 0.5], "u": [0.998, 0.0004, 0.5]}),
        trained,
    )  # fmt: skip
    params = read_params(trained)
    assert params[PRIOR] == (0.002, 0.998)
    assert params[("name", "exact")] == (0.9, 0.0004)
    assert params[("phone", "exact")] == DEFAULTS[("phone", "exact")]
    assert ("unknown", "x") not in params  # a level the model does not have is not scored
    weights = {(f, lv): w for f, lv, w, _ in weight_rows(params)}
    assert weights[("name", "exact")] == math.log2(0.9 / 0.0004)
    assert PRIOR not in weights and len(weights) == len(DEFAULTS)

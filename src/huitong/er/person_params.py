"""Fellegi-Sunter parameters of the person model: where they live, their layout and the untrained defaults.

One row per (field, level): `m` = P(level | same person), `u` = P(level | different people); the match weight of a
level is log2(m / u). The row ('_prior', 'match') holds lambda, the share of candidate pairs that match, as `m`.
`huitong er train` writes trained rows to the table `ops.er_person_params` (Iceberg in the lake, so DuckDB and
Trino read the same table; a plain DuckDB table in a throwaway `er link` database). `int_person_match_params`
reads it when it exists and falls back to the committed seed `seeds/er_params/er_person_params_default.csv`,
which `python -m huitong.er.person_params` writes from DEFAULTS below.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from huitong.er.person_comparisons import LEVELS
from huitong.er.reference_data import DBT_DIR

PARAMS_NAMESPACE = "ops"
PARAMS_TABLE = "er_person_params"
COLUMNS = ("field", "level", "m", "u")
PRIOR = ("_prior", "match")
DEFAULT_SEED = DBT_DIR / "seeds" / "er_params" / "er_person_params_default.csv"

# Hand-set starting values: m from the noise a desk clerk makes, u from how often two strangers agree.
DEFAULTS: dict[tuple[str, str], tuple[float, float]] = {
    ("id_number", "exact"): (0.95, 1e-5),
    ("id_number", "fuzzy"): (0.02, 1e-5),
    ("id_number", "different"): (0.03, 0.99998),
    ("name", "exact"): (0.93, 1e-3),
    ("name", "pinyin"): (0.04, 5e-4),
    ("name", "fuzzy"): (0.02, 1e-2),
    ("name", "different"): (0.01, 0.9885),
    ("phone", "exact"): (0.9, 1e-5),
    ("phone", "fuzzy"): (0.02, 1e-5),
    ("phone", "different"): (0.08, 0.99998),
    ("birth_date", "exact"): (0.96, 3e-4),
    ("birth_date", "fuzzy"): (0.02, 3e-3),
    ("birth_date", "different"): (0.02, 0.9967),
    ("gender", "exact"): (0.98, 0.5),
    ("gender", "different"): (0.02, 0.5),
    ("address", "exact"): (0.7, 5e-4),
    ("address", "fuzzy"): (0.2, 1e-2),
    ("address", "different"): (0.1, 0.9895),
}
DEFAULT_PRIOR = 1e-4


def params_rows(params: dict[tuple[str, str], tuple[float, float]], prior: float) -> list[dict]:
    """Rows of the parameters table; every (field, level) of LEVELS must be present."""
    missing = [(f, lv) for f, levels in LEVELS.items() for lv in levels if (f, lv) not in params]
    if missing:
        raise ValueError(f"parameters missing for {missing}")
    rows = [{"field": f, "level": lv, "m": m, "u": u} for (f, lv), (m, u) in sorted(params.items())]
    return [{"field": PRIOR[0], "level": PRIOR[1], "m": prior, "u": 1.0 - prior}, *rows]


def match_weight(m: float, u: float) -> float:
    return math.log2(m / u)


def write_default_seed(path: Path = DEFAULT_SEED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            {**r, "m": repr(r["m"]), "u": repr(r["u"])} for r in params_rows(DEFAULTS, DEFAULT_PRIOR)
        )
    return path


if __name__ == "__main__":
    print(write_default_seed())

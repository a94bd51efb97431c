"""EM training of the person model's Fellegi-Sunter parameters (`huitong er train --entity person`).

As Splink does it: u (level frequencies among different people) from random record pairs, where almost every pair
is a non-match; m (level frequencies among matches) and lambda (the share of candidate pairs that match) by
expectation-maximisation over the candidate pairs' comparison vectors, u held fixed. The candidate pairs' levels
are the ones dbt computed (`int_persons_compared`); the random pairs' levels come from huitong.er.person_comparisons,
the SQL's twin. EM works on distinct comparison vectors with their counts, so it costs nothing per pair.
"""

from __future__ import annotations

import logging
import math
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from huitong.config import Settings, settings
from huitong.er.person_comparisons import LEVELS, NULL, compare
from huitong.er.person_params import DEFAULTS, PARAMS_NAMESPACE, PARAMS_TABLE, params_rows

log = logging.getLogger(__name__)

FIELDS = tuple(LEVELS)
Vector = tuple[str, ...]  # one level per field, in FIELDS order
Params = dict[tuple[str, str], tuple[float, float]]

# A level never seen gets this probability instead of 0, so its weight stays finite. m is floored higher: EM over
# candidate pairs that agree almost everywhere would otherwise make one disagreement (a wrong gender code) a veto.
U_FLOOR = 1e-6
M_FLOOR = 1e-3


@dataclass(frozen=True)
class Trained:
    params: Params
    prior: float
    iterations: int
    converged: bool
    candidate_pairs: int
    random_pairs: int


def _normalised(counts: dict[str, float], field: str, floor: float = U_FLOOR) -> dict[str, float]:
    floored = {lv: max(counts.get(lv, 0.0), 0.0) for lv in LEVELS[field]}
    total = sum(floored.values())
    if total <= 0:
        return {}
    probs = {lv: max(v / total, floor) for lv, v in floored.items()}
    norm = sum(probs.values())
    return {lv: p / norm for lv, p in probs.items()}


def estimate_u(vectors: Counter[Vector]) -> dict[tuple[str, str], float]:
    """u per (field, level) from the comparison vectors of random pairs (nulls excluded per field)."""
    u: dict[tuple[str, str], float] = {}
    for i, field in enumerate(FIELDS):
        counts: dict[str, float] = {}
        for vector, n in vectors.items():
            if vector[i] != NULL:
                counts[vector[i]] = counts.get(vector[i], 0.0) + n
        for level, p in _normalised(counts, field).items():
            u[(field, level)] = p
    return u


def expectation_maximisation(
    vectors: Counter[Vector],
    u: dict[tuple[str, str], float],
    m_start: dict[tuple[str, str], float],
    prior_start: float,
    max_iterations: int = 200,
    tolerance: float = 1e-7,
) -> tuple[dict[tuple[str, str], float], float, int, bool]:
    """m and lambda by EM over counted comparison vectors, u fixed. Returns (m, lambda, iterations, converged)."""
    m = dict(m_start)
    prior = prior_start
    items = sorted(vectors.items())  # a fixed summation order: the same input gives the same floats
    total = sum(n for _, n in items)
    for iteration in range(1, max_iterations + 1):
        # E step: posterior probability that each vector is a match
        expected: dict[tuple[str, str], float] = {}
        matched = 0.0
        for vector, n in items:
            log_m = log_u = 0.0
            for field, level in zip(FIELDS, vector, strict=True):
                if level != NULL:
                    log_m += math.log(m[(field, level)])
                    log_u += math.log(u[(field, level)])
            odds = math.exp(max(min(math.log(prior / (1 - prior)) + log_m - log_u, 700.0), -700.0))
            posterior = odds / (1.0 + odds)
            matched += n * posterior
            for field, level in zip(FIELDS, vector, strict=True):
                if level != NULL:
                    expected[(field, level)] = expected.get((field, level), 0.0) + n * posterior
        # M step
        new_m = dict(m)
        for field in FIELDS:
            counts = {lv: expected.get((field, lv), 0.0) for lv in LEVELS[field]}
            new_m.update({(field, lv): p for lv, p in _normalised(counts, field, M_FLOOR).items()})
        new_prior = min(max(matched / total, U_FLOOR), 1 - U_FLOOR)
        change = max([abs(new_m[k] - m[k]) for k in m] + [abs(new_prior - prior)])
        m, prior = new_m, new_prior
        if change < tolerance:
            return m, prior, iteration, True
    return m, prior, max_iterations, False


def candidate_vectors(con: duckdb.DuckDBPyConnection) -> Counter[Vector]:
    columns = ", ".join(f"{f}_level" for f in FIELDS)
    rows = con.execute(
        f"select {columns}, count(*) from intermediate.int_persons_compared group by all"
    ).fetchall()
    return Counter({tuple(r[:-1]): r[-1] for r in rows})


RANDOM_PAIR_COLUMNS = ("std_full_name", "name_pinyin", "name_pinyin_sorted", "std_id_number", "std_phone",
                      "birth_date", "gender", "std_address", "resident_id_valid")  # fmt: skip


def random_vectors(con: duckdb.DuckDBPyConnection, pairs: int, seed: int) -> tuple[Counter[Vector], int]:
    """Comparison vectors of `pairs` random record pairs (less those sharing a valid resident ID), and the number
    of records. Records are numbered in record_key order (not the table's storage order, which a parallel build
    does not fix), so the same records give the same sample; only the drawn records are read (at most 2 * pairs,
    not all of them)."""
    n_records = con.execute("select count(*) from intermediate.int_person_records").fetchone()[0]
    rng = random.Random(seed)
    counts: Counter[Vector] = Counter()
    if n_records < 2:
        return counts, n_records
    drawn = [rng.sample(range(n_records), 2) for _ in range(pairs)]
    con.register("er_drawn_positions", pa.table({"position": sorted({i for pair in drawn for i in pair})}))
    columns = ", ".join(RANDOM_PAIR_COLUMNS)
    # Numbering sorts the keys only; the drawn rows are then read by rowid (sorting every column costs ~2x memory).
    rows = con.execute(
        "with numbered as (select rowid as row_id, row_number() over (order by record_key) - 1 as position"
        " from intermediate.int_person_records),"
        " drawn as (select n.row_id, n.position from numbered as n"
        " inner join er_drawn_positions as d on d.position = n.position)"
        f" select drawn.position, {columns} from intermediate.int_person_records as r"
        " inner join drawn on drawn.row_id = r.rowid"
    ).fetchall()
    con.unregister("er_drawn_positions")
    records = {row[0]: dict(zip(RANDOM_PAIR_COLUMNS, row[1:], strict=True)) for row in rows}
    for a, b in drawn:
        left, right = records[a], records[b]
        if _same_resident_id(left, right):
            # u is the level frequency among DIFFERENT people. With every source in, a frequent customer's records
            # make ~0.1% of random pairs matches, which inflates u of the exact levels (phone exact ~3x) and pushes
            # name + phone links without an ID (parcel recipients) under the threshold. Pairs sharing a valid
            # resident ID are matches by rule 1 of the clustering: they are left out of the sample.
            continue
        levels = compare(left, right)
        counts[tuple(levels[f] for f in FIELDS)] += 1
    return counts, n_records


def _same_resident_id(a: dict, b: dict) -> bool:
    return bool(
        a["resident_id_valid"] and b["resident_id_valid"] and a["std_id_number"] == b["std_id_number"]
    )


def train_person(db_path: Path, random_pairs: int = 100_000, seed: int = 20261123) -> Trained:
    """Estimate the person model's parameters from a build that has int_person_records and int_persons_compared."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        candidates = candidate_vectors(con)
        randoms, n_records = random_vectors(con, random_pairs, seed)
    u = {k: DEFAULTS[k][1] for k in DEFAULTS}
    u.update(estimate_u(randoms))
    m_start = {k: DEFAULTS[k][0] for k in DEFAULTS}
    m, lam, iterations, converged = expectation_maximisation(candidates, u, m_start, 0.5)
    log.info(
        "EM %s after %d iterations; lambda %.4f", "converged" if converged else "stopped", iterations, lam
    )
    params = {k: (m[k], u[k]) for k in DEFAULTS}
    # EM's lambda is the match share among candidate pairs. The model's prior is the match share among ALL record
    # pairs (as Splink's): the evidence, not the blocking rule that proposed a pair, must carry a link.
    all_pairs = max(n_records * (n_records - 1) / 2, 1.0)
    prior = min(max(lam * sum(candidates.values()) / all_pairs, U_FLOOR), 0.5)
    return Trained(params, prior, iterations, converged, sum(candidates.values()), sum(randoms.values()))


def params_table(trained: Trained) -> pa.Table:
    return pa.Table.from_pylist(
        params_rows(trained.params, trained.prior),
        schema=pa.schema(
            [("field", pa.string()), ("level", pa.string()), ("m", pa.float64()), ("u", pa.float64())]
        ),
    )


def write_params_duckdb(trained: Trained, db_path: Path) -> None:
    """The parameters as a plain table in a DuckDB database (throwaway `er link` builds, tests)."""
    table = params_table(trained)
    with duckdb.connect(str(db_path)) as con:
        con.register("trained_params", table)
        con.execute(f"create schema if not exists {PARAMS_NAMESPACE}")
        con.execute(
            f"create or replace table {PARAMS_NAMESPACE}.{PARAMS_TABLE} as select * from trained_params"
        )


def write_params_lake(trained: Trained, cfg: Settings | None = None) -> str:
    """The parameters as the Iceberg table ops.er_person_params (Trino reads it; `huitong lake sync-views` exposes
    it to the DuckDB build). Each training replaces the table's rows in one commit."""
    from huitong.lake.catalog import get_catalog, with_commit_retry

    cfg = cfg or settings()
    table = params_table(trained)
    catalog = get_catalog(cfg)
    identifier = f"{PARAMS_NAMESPACE}.{PARAMS_TABLE}"
    iceberg = catalog.create_table_if_not_exists(identifier, schema=table.schema)
    with_commit_retry(lambda: iceberg.refresh().overwrite(table))
    return identifier


def train(entity: str = "person", db_path: Path | None = None, to: str = "lake", random_pairs: int = 100_000,
          seed: int = 20261123) -> Trained:  # fmt: skip
    """CLI entry: train from the build DuckDB and write the parameters to the lake (`to='lake'`) or into the
    DuckDB file itself (`to='duckdb'`)."""
    if entity != "person":
        raise ValueError(f"no trainable model for entity {entity!r} (only 'person')")
    cfg = settings()
    db_path = db_path or cfg.build_db
    trained = train_person(db_path, random_pairs=random_pairs, seed=seed)
    if to == "lake":
        write_params_lake(trained, cfg)
    elif to == "duckdb":
        write_params_duckdb(trained, db_path)
    else:
        raise ValueError(f"unknown parameters destination {to!r} (lake or duckdb)")
    return trained


def describe(trained: Trained) -> str:
    lines = [f"lambda {trained.prior:.4f}  ({trained.candidate_pairs} candidate pairs, {trained.random_pairs} random"
             f" pairs, {trained.iterations} EM iterations, converged={trained.converged})"]  # fmt: skip
    for (field, level), (m, u) in sorted(trained.params.items()):
        lines.append(f"  {field:11} {level:10} m={m:.5f} u={u:.6f} weight={math.log2(m / u):+.2f}")
    return "\n".join(lines)

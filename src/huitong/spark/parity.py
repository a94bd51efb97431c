"""Spark vs DuckDB person resolution on the same input: the comparison of their outputs.

The DuckDB path is `huitong er link` (the real dbt models in a throwaway project, `tables_dir` keeps its tables);
the Spark path is `huitong.spark.person_er.resolve`. Equal means: the same standardised records, the same
candidate pairs with the same levels, the same linked pairs above the threshold, and the same record -> entity_id
(entity ids are hashes of each cluster's first record, so equal ids mean equal clusters).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from huitong.spark.person_er import THRESHOLD

RECORD_COLUMNS = ("std_full_name", "name_pinyin", "name_pinyin_sorted", "std_id_number", "resident_id_valid",
                  "std_phone", "birth_date", "gender", "std_address", "name_frequency")  # fmt: skip
LEVEL_COLUMNS = tuple(f"{f}_level" for f in ("id_number", "name", "phone", "birth_date", "gender", "address"))


def _links(path: str, threshold: float) -> str:
    return (
        f"select record_key_l, record_key_r from read_parquet('{path}')"
        f" where match_probability >= {threshold!r} and not coalesce(resident_id_conflict, false)"
    )


def compare(duck_dir: Path, spark_dir: Path, threshold: float = THRESHOLD) -> dict:
    """Differences between the DuckDB tables (`er link`'s tables_dir) and the Spark job's output directory.
    Every count is 0 when the two paths agree."""
    d_records, s_records = f"{duck_dir}/records.parquet", f"{spark_dir}/records/*.parquet"
    d_pairs, s_pairs = f"{duck_dir}/pairs.parquet", f"{spark_dir}/pairs/*.parquet"
    d_clusters, s_clusters = f"{duck_dir}/clusters.parquet", f"{spark_dir}/clusters/*.parquet"
    with duckdb.connect() as con:

        def one(sql: str) -> int:
            return con.execute(sql).fetchone()[0]

        differs = " or ".join(
            f"d.{c} is distinct from s.{c}" if c != "resident_id_valid"
            else "coalesce(d.resident_id_valid, false) <> coalesce(s.resident_id_valid, false)"
            for c in RECORD_COLUMNS
        )  # fmt: skip
        level_differs = " or ".join(f"d.{c} is distinct from s.{c}" for c in LEVEL_COLUMNS)
        return {
            "records_duckdb": one(f"select count(*) from read_parquet('{d_records}')"),
            "records_spark": one(f"select count(*) from read_parquet('{s_records}')"),
            "records_differing": one(
                f"select count(*) from read_parquet('{d_records}') as d full join read_parquet('{s_records}') as s"
                f" using (record_key) where d.record_key is null or s.record_key is null or {differs}"
            ),
            "candidate_pairs_duckdb": one(f"select count(*) from read_parquet('{d_pairs}')"),
            "candidate_pairs_spark": one(f"select count(*) from read_parquet('{s_pairs}')"),
            "candidate_pairs_differing": one(
                f"select count(*) from read_parquet('{d_pairs}') as d full join read_parquet('{s_pairs}') as s"
                " using (record_key_l, record_key_r)"
                f" where d.record_key_l is null or s.record_key_l is null or {level_differs}"
            ),
            "max_match_weight_difference": con.execute(
                f"select coalesce(max(abs(d.match_weight - s.match_weight)), 0) from read_parquet('{d_pairs}') as d"
                f" join read_parquet('{s_pairs}') as s using (record_key_l, record_key_r)"
            ).fetchone()[0],
            "links_duckdb": one(f"select count(*) from ({_links(d_pairs, threshold)})"),
            "links_spark": one(f"select count(*) from ({_links(s_pairs, threshold)})"),
            "links_only_duckdb": one(f"select count(*) from ({_links(d_pairs, threshold)} except {_links(s_pairs, threshold)})"),
            "links_only_spark": one(f"select count(*) from ({_links(s_pairs, threshold)} except {_links(d_pairs, threshold)})"),
            "entities_duckdb": one(f"select count(distinct entity_id) from read_parquet('{d_clusters}')"),
            "entities_spark": one(f"select count(distinct entity_id) from read_parquet('{s_clusters}')"),
            "records_with_other_entity": one(
                f"select count(*) from read_parquet('{d_clusters}') as d full join read_parquet('{s_clusters}') as s"
                " using (record_key) where d.entity_id is distinct from s.entity_id"
                " or d.link_kind is distinct from s.link_kind or d.cluster_size is distinct from s.cluster_size"
            ),
        }  # fmt: skip


def agrees(diff: dict) -> bool:
    return not any(
        diff[k] for k in diff if k.endswith(("_differing", "_only_duckdb", "_only_spark", "_other_entity"))
    )

"""Person entity resolution on Spark: the dbt person models (`models/intermediate/persons`) at cluster scale.

Same meaning, step for step, so a city that outgrows one machine gets the same people:
- records: the documented input columns (`huitong er link`'s: record_id, source, full_name, id_number, phone,
  birth_date, gender, address; seen_at optional) standardised by the Python references of the dbt macros
  (`huitong.er.standardise*`, held to the macros by tests/integration/test_er_macros.py), in Arrow batches;
- blocking: the six rules of `int_persons_blocked`, each block a sorted neighbourhood of `window` records, over
  the first record of each profile (records equal on every compared field), the others paired with it;
- scoring: the levels of `int_persons_scored` (twin: `huitong.er.person_comparisons`) and the SAME parameters
  (`int_person_match_params`: trained rows over the committed defaults), the same threshold;
- clustering: `int_persons_clustered`'s anchors (a valid resident ID), attachment of ID-less records to their
  strongest anchored entity, label propagation among the rest, run to convergence rather than a fixed number
  of rounds, a component linked to attached records joining the entity of its strongest such link; stable ids
  from the first-seen record.

Distances are Spark's `levenshtein`, which counts characters (as Trino and the Python definitions do). One
known difference from the DuckDB build: DuckDB's character-counting stand-in gives NULL (so 'different') for a
non-ASCII pair longer than 127 characters together; Spark compares it. Inputs of that length are not names,
phones or IDs; an address that long would differ.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from huitong.er.person_comparisons import (
    ADDRESS_FUZZY_SIMILARITY,
    NAME_FUZZY_SIMILARITY,
    PINYIN_FUZZY_SIMILARITY,
)
from huitong.er.person_params import DEFAULT_SEED, PRIOR

INPUT_COLUMNS = ("record_id", "source", "full_name", "id_number", "phone", "birth_date", "gender", "address")
THRESHOLD = 0.99  # var er_person_threshold
BLOCK_WINDOW = 20  # var er_block_window
FIELDS = ("id_number", "name", "phone", "birth_date", "gender", "address")

# int_persons_blocked's rules: name -> key parts (SQL over the records view)
BLOCKING_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("id_number", ("std_id_number",)),
    ("phone", ("std_phone",)),
    ("pinyin_birth_year", ("name_pinyin", "cast(year(birth_date) as string)")),
    ("pinyin_sorted_birth_year", ("name_pinyin_sorted", "cast(year(birth_date) as string)")),
    ("name_phone_prefix", ("std_full_name", "phone_prefix")),
    ("name_address", ("std_full_name", "std_address")),
)

# int_person_records' profile: records equal on all of these compare alike with every other record
PROFILE = ("std_full_name", "std_id_number", "std_phone", "birth_date", "gender", "std_address")

RECORD_SCHEMA = (
    "record_key string, source string, record_id string, seen_at timestamp, full_name string,"
    " std_full_name string, name_pinyin string, name_pinyin_sorted string, std_id_number string,"
    " resident_id_valid boolean, resident_id_upgraded boolean, std_phone string, phone_prefix string,"
    " birth_date date, gender string, std_address string"
)


# ---------------------------------------------------------------------------------------------- parameters


def read_params(
    path: Path | None = None, defaults: Path = DEFAULT_SEED
) -> dict[tuple[str, str], tuple[float, float]]:
    """(field, level) -> (m, u), as int_person_match_params gives them: the committed defaults, each replaced by a
    trained row when `path` (CSV or Parquet with field, level, m, u: `ops.er_person_params` exported, or what
    `huitong er train` wrote) has one."""
    params = {(r["field"], r["level"]): (float(r["m"]), float(r["u"])) for r in _rows(defaults)}
    if path is not None:
        for r in _rows(Path(path)):
            if (r["field"], r["level"]) in params:
                params[(r["field"], r["level"])] = (float(r["m"]), float(r["u"]))
    if PRIOR not in params:
        raise ValueError(f"{defaults} has no prior row {PRIOR}")
    return params


def _rows(path: Path) -> list[dict]:
    if path.suffix == ".parquet" or path.is_dir():
        import pyarrow.parquet as pq

        return pq.read_table(path, columns=["field", "level", "m", "u"]).to_pylist()
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def weight_rows(params: dict[tuple[str, str], tuple[float, float]]) -> list[tuple[str, str, float, float]]:
    """(field, level, weight log2(m/u), u) for every scored level; the prior is separate."""
    return [(f, lv, math.log2(m / u), u) for (f, lv), (m, u) in sorted(params.items()) if (f, lv) != PRIOR]


def prior_weight(params: dict[tuple[str, str], tuple[float, float]]) -> float:
    lam = params[PRIOR][0]
    return math.log2(lam / (1.0 - lam))


# ---------------------------------------------------------------------------------------------- standardisation


@lru_cache(maxsize=200_000)
def _name(raw: str | None) -> tuple[str | None, str | None, str | None]:
    from huitong.er.standardise import name_pinyin_keys, standardise_name

    keys = name_pinyin_keys(raw)
    return standardise_name(raw), keys.ordered, keys.sorted


@lru_cache(maxsize=200_000)
def _id(raw: str | None) -> tuple[str | None, bool, bool, object, str | None]:
    """(std_id_number, valid, upgraded, birth date from a valid ID, gender from a valid ID)."""
    from huitong.er.standardise import _P, clean_basic, standardise_resident_id

    rid = standardise_resident_id(raw)
    cleaned = clean_basic(raw)
    other = (_P["id_junk"].sub("", cleaned).upper() or None) if cleaned is not None else None
    std = rid.id18 if rid.id18 is not None else other
    return (
        std,
        rid.valid,
        rid.upgraded,
        rid.birth_date if rid.valid else None,
        rid.gender if rid.valid else None,
    )


@lru_cache(maxsize=200_000)
def _phone(raw: str | None) -> str | None:
    from huitong.er.standardise import standardise_phone

    return standardise_phone(raw)[0]


@lru_cache(maxsize=200_000)
def _address(raw: str | None) -> str | None:
    from huitong.er.standardise_address import normalise_address

    return normalise_address(raw)


@lru_cache(maxsize=50_000)
def _date(raw: str | None):
    from huitong.er.standardise import standardise_date

    return standardise_date(raw)


@lru_cache(maxsize=1_000)
def _gender(raw: str | None) -> str | None:
    from huitong.er.standardise import standardise_gender

    return standardise_gender(raw)


def standardise_row(row: dict) -> dict:
    """One documented input row -> the int_person_records columns (name_frequency aside)."""
    std_name, pinyin, pinyin_sorted = _name(row.get("full_name"))
    std_id, valid, upgraded, id_birth, id_gender = _id(row.get("id_number"))
    phone = _phone(row.get("phone"))
    source = row.get("source") or "input"
    return {
        "record_key": f"{source}:{row['record_id']}",
        "source": source,
        "record_id": row["record_id"],
        "seen_at": row.get("seen_at"),
        "full_name": row.get("full_name"),
        "std_full_name": std_name,
        "name_pinyin": pinyin if std_name is not None else None,
        "name_pinyin_sorted": pinyin_sorted if std_name is not None else None,
        "std_id_number": std_id,
        "resident_id_valid": valid,
        "resident_id_upgraded": upgraded,
        "std_phone": phone,
        "phone_prefix": phone[:7] if phone is not None else None,
        "birth_date": _date(row.get("birth_date")) or id_birth,
        "gender": _gender(row.get("gender")) or id_gender,
        "std_address": _address(row.get("address")),
    }


def _standardise_batches(batches: Iterator) -> Iterator:
    import pandas as pd

    for frame in batches:
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
        out = pd.DataFrame.from_records([standardise_row(r) for r in rows], columns=_record_columns())
        yield out


@lru_cache(maxsize=1)
def _record_columns() -> list[str]:
    return [part.strip().split(" ")[0] for part in RECORD_SCHEMA.split(",")]


# ---------------------------------------------------------------------------------------------- the steps


def documented_input(spark, path: str):
    """The input Parquet with exactly the documented columns (missing ones NULL, all text; `source` defaults to
    'input'; seen_at kept when present), as `huitong er link` reads it."""
    from pyspark.sql import functions as F

    df = spark.read.parquet(str(path))
    if "record_id" not in df.columns:
        raise ValueError(f"{path} has no record_id column (documented columns: {', '.join(INPUT_COLUMNS)})")
    cols = []
    for c in INPUT_COLUMNS:
        if c in df.columns:
            cols.append(F.col(c).cast("string").alias(c))
        elif c == "source":
            cols.append(F.lit("input").alias(c))
        else:
            cols.append(F.lit(None).cast("string").alias(c))
    seen = F.col("seen_at").cast("timestamp") if "seen_at" in df.columns else F.lit(None).cast("timestamp")
    return df.select(*cols, seen.alias("seen_at"))


def person_records(documented):
    """int_person_records: standardised columns and the name frequency (share of records with the name).
    Eager: the standardised records are checkpointed (the Python step runs once, every later step reads them)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    std = documented.mapInPandas(_standardise_batches, RECORD_SCHEMA).localCheckpoint()
    total = std.count()
    same_name = Window.partitionBy("std_full_name")
    # Window partitions group NULLs together, as SQL's do: a profile is equal-or-both-NULL on every field
    same_profile = Window.partitionBy(*PROFILE)
    return std.withColumn(
        "name_frequency",
        F.count(F.lit(1)).over(same_name).cast("double") / F.lit(max(total, 1)).cast("double"),
    ).withColumn("profile_record_key", F.min("record_key").over(same_profile))


def blocked_pairs(spark, records_view: str, window: int = BLOCK_WINDOW):
    """int_persons_blocked: candidate pairs (record_key_l < record_key_r by block rank), first rule, rule count.
    Only a profile's first record enters the blocks; the profile's other records pair with it (same_profile)."""
    selects = []
    for name, parts in BLOCKING_RULES:
        key = " || '|' || ".join(parts)
        not_null = " and ".join(f"{p} is not null" for p in parts)
        block = (
            f"select record_key, {key} as block_key,"
            f" row_number() over (partition by {', '.join(parts)} order by record_key) as block_rank"
            f" from {records_view} where record_key = profile_record_key and {not_null}"
        )
        selects.append(
            f"select a.record_key as record_key_l, b.record_key as record_key_r, '{name}' as blocking_rule"
            f" from ({block}) as a inner join ({block}) as b on a.block_key = b.block_key"
            f" and b.block_rank > a.block_rank and b.block_rank <= a.block_rank + {int(window)}"
        )
    selects.append(
        "select profile_record_key as record_key_l, record_key as record_key_r, 'same_profile' as blocking_rule"
        f" from {records_view} where record_key <> profile_record_key"
    )
    union = "\nunion all\n".join(selects)
    return spark.sql(
        "select record_key_l, record_key_r, min(blocking_rule) as blocking_rule, count(*) as blocking_rule_count"
        f" from ({union}) as all_pairs group by record_key_l, record_key_r"
    )


def _sim(a: str, b: str) -> str:
    """er_levenshtein_similarity: 1.0 for equal strings, else 1 - distance / longer length (characters)."""
    return (
        f"case when {a} = {b} then 1.0d"
        f" else 1.0d - cast(levenshtein({a}, {b}) as double) / greatest(length({a}), length({b})) end"
    )


def scored_pairs(spark, pairs_view: str, records_view: str, params: dict):
    """int_persons_scored: levels, weights, match_weight and match_probability of every candidate pair."""
    weights = spark.createDataFrame(
        weight_rows(params), "field string, level string, weight double, u double"
    )
    weights.createOrReplaceTempView("_er_weights")
    levels = f"""
    select
        p.record_key_l, p.record_key_r, p.blocking_rule,
        case when l.std_id_number is null or r.std_id_number is null then 'null'
             when l.std_id_number = r.std_id_number then 'exact'
             when length(l.std_id_number) = length(r.std_id_number)
                  and levenshtein(l.std_id_number, r.std_id_number) <= 2 then 'fuzzy'
             else 'different' end as id_number_level,
        case when l.std_full_name is null or r.std_full_name is null then 'null'
             when l.std_full_name = r.std_full_name then 'exact'
             when l.name_pinyin = r.name_pinyin or l.name_pinyin_sorted = r.name_pinyin_sorted then 'pinyin'
             when {_sim("l.std_full_name", "r.std_full_name")} >= {NAME_FUZZY_SIMILARITY}
                  or {_sim("l.name_pinyin", "r.name_pinyin")} >= {PINYIN_FUZZY_SIMILARITY} then 'fuzzy'
             else 'different' end as name_level,
        case when l.std_phone is null or r.std_phone is null then 'null'
             when l.std_phone = r.std_phone then 'exact'
             when length(l.std_phone) = length(r.std_phone)
                  and levenshtein(l.std_phone, r.std_phone) <= 1 then 'fuzzy'
             else 'different' end as phone_level,
        case when l.birth_date is null or r.birth_date is null then 'null'
             when l.birth_date = r.birth_date then 'exact'
             when levenshtein(cast(l.birth_date as string), cast(r.birth_date as string)) <= 1 then 'fuzzy'
             else 'different' end as birth_date_level,
        case when l.gender is null or r.gender is null then 'null'
             when l.gender = r.gender then 'exact'
             else 'different' end as gender_level,
        case when l.std_address is null or r.std_address is null then 'null'
             when l.std_address = r.std_address then 'exact'
             when {_sim("l.std_address", "r.std_address")} >= {ADDRESS_FUZZY_SIMILARITY} then 'fuzzy'
             else 'different' end as address_level,
        greatest(l.name_frequency, r.name_frequency) as name_frequency,
        l.resident_id_valid and r.resident_id_valid and l.std_id_number <> r.std_id_number as resident_id_conflict
    from {pairs_view} as p
    inner join {records_view} as l on l.record_key = p.record_key_l
    inner join {records_view} as r on r.record_key = p.record_key_r
    """
    joins = "\n".join(
        f"left join _er_weights as w_{f} on w_{f}.field = '{f}' and w_{f}.level = c.{f}_level" for f in FIELDS
    )
    weight_cols = ",\n".join(f"coalesce(w_{f}.weight, 0.0d) as {f}_weight" for f in FIELDS)
    name_u = params[("name", "exact")][1]
    total = " + ".join(f"{f}_weight" for f in FIELDS)
    return spark.sql(f"""
    with compared as ({levels}),
    weighted as (
        select c.*, {weight_cols},
            case when c.name_level = 'exact' then log2(cast('{name_u!r}' as double) / c.name_frequency)
                 else 0.0d end as name_tf_adjustment,
            cast('{prior_weight(params)!r}' as double) as prior_weight
        from compared as c
        {joins}
    ),
    totalled as (
        select w.*, w.prior_weight + w.name_tf_adjustment + {total} as match_weight from weighted as w
    )
    select t.*, 1.0d / (1.0d + power(2.0d, -least(greatest(t.match_weight, -60.0d), 60.0d))) as match_probability
    from totalled as t
    """)


@dataclass(frozen=True)
class Clustering:
    clusters: (
        object  # DataFrame: record_key, source, record_id, seen_at, link_kind, cluster_size, ..., entity_id
    )
    label_iterations: int


def cluster(spark, records, links, max_iterations: int = 100) -> Clustering:
    """int_persons_clustered. `links`: scored pairs above the threshold without a resident-ID conflict."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    recs = records.select(
        "record_key", "source", "record_id", "seen_at", "std_id_number", "resident_id_valid"
    )
    links = links.select("record_key_l", "record_key_r", "match_weight")
    edges = links.select(
        F.col("record_key_l").alias("a"), F.col("record_key_r").alias("b"), "match_weight"
    ).union(links.select(F.col("record_key_r").alias("a"), F.col("record_key_l").alias("b"), "match_weight"))
    anchored = recs.where("resident_id_valid").select(
        "record_key", F.concat(F.lit("id|"), "std_id_number").alias("cluster_key")
    )
    anchored_keys = anchored.select("record_key")
    pick = Window.partitionBy("record_key").orderBy(F.col("match_weight").desc(), F.col("cluster_key"))
    attached = (
        edges.join(anchored_keys, edges.a == anchored_keys.record_key, "left_anti")
        .join(anchored.withColumnRenamed("record_key", "b"), "b")
        .select(F.col("a").alias("record_key"), "cluster_key", "match_weight")
        .withColumn("pick", F.row_number().over(pick))
        .where("pick = 1")
        .select("record_key", "cluster_key")
    ).localCheckpoint()
    loose = (
        recs.select("record_key")
        .join(anchored_keys, "record_key", "left_anti")
        .join(attached.select("record_key"), "record_key", "left_anti")
    ).localCheckpoint()
    loose_edges = (
        edges.join(loose.withColumnRenamed("record_key", "a"), "a")
        .join(loose.withColumnRenamed("record_key", "b"), "b")
        .select("a", "b")
    ).localCheckpoint()
    labels, iterations = propagate_min_labels(loose, loose_edges, max_iterations)
    # Rule 4: a loose component linked to attached records joins the one anchored entity of its strongest such link.
    strongest = Window.partitionBy("label").orderBy(F.col("match_weight").desc(), F.col("cluster_key"))
    component_attached = (
        labels.join(edges.withColumnRenamed("a", "record_key"), "record_key")
        .join(attached.withColumnRenamed("record_key", "b"), "b")
        .withColumn("pick", F.row_number().over(strongest))
        .where("pick = 1")
        .select("label", F.col("cluster_key").alias("component_cluster_key"))
    )
    assigned = (
        anchored.withColumn("link_kind", F.lit("resident_id"))
        .unionByName(attached.withColumn("link_kind", F.lit("attached")))
        .unionByName(
            labels.join(component_attached, "label", "left").select(
                "record_key",
                F.coalesce("component_cluster_key", F.concat(F.lit("rec|"), "label")).alias("cluster_key"),
                F.when(F.col("component_cluster_key").isNotNull(), "attached_component")
                .when(F.col("label") == F.col("record_key"), "root")
                .otherwise("linked")
                .alias("link_kind"),
            )
        )
    )
    first = Window.partitionBy("cluster_key").orderBy(F.col("seen_at").asc_nulls_last(), F.col("record_key"))
    whole = Window.partitionBy("cluster_key")
    clustered = (
        recs.join(assigned, "record_key")
        .withColumn("_rank", F.row_number().over(first))
        .withColumn("cluster_size", F.count(F.lit(1)).over(whole))
        .withColumn(
            "first_record_key", F.max(F.when(F.col("_rank") == 1, F.col("record_key"))).over(whole)
        )
        .select(
            "record_key", "source", "record_id", "seen_at", "link_kind", "cluster_size", "first_record_key",
            F.concat(
                F.lit("P"), F.substring(F.md5(F.concat(F.lit("person|"), "first_record_key")), 1, 15)
            ).alias("entity_id"),
        )
    )  # fmt: skip
    return Clustering(clustered, iterations)


def propagate_min_labels(nodes, edges, max_iterations: int = 100):
    """Connected components by min-label propagation: every node takes the smallest label among itself and its
    neighbours until no label changes (the dbt model unrolls the same step a fixed number of times). Returns
    (record_key, label) and the number of rounds that changed something."""
    from pyspark.sql import functions as F

    labels = nodes.select("record_key", F.col("record_key").alias("label")).localCheckpoint()
    for iteration in range(max_iterations):
        neighbour = (
            edges.join(labels.withColumnRenamed("record_key", "b").withColumnRenamed("label", "n_label"), "b")
            .groupBy(F.col("a").alias("record_key"))
            .agg(F.min("n_label").alias("n_label"))
        )
        updated = (
            labels.withColumnRenamed("label", "old")
            .join(neighbour, "record_key", "left")
            .select("record_key", "old", F.least("old", F.coalesce("n_label", "old")).alias("label"))
        ).localCheckpoint()
        changed = updated.where("label <> old").limit(1).count()
        labels = updated.select("record_key", "label")
        if not changed:
            return labels, iteration
    raise RuntimeError(f"label propagation did not converge in {max_iterations} rounds")


@dataclass(frozen=True)
class Resolution:
    records: int
    candidate_pairs: int
    links: int
    entities: int
    label_iterations: int


def resolve(spark, input_path: str, output_dir: str, params_path: str | None = None,
            threshold: float = THRESHOLD, window: int = BLOCK_WINDOW) -> Resolution:  # fmt: skip
    """The whole model: input Parquet (documented columns) -> output_dir/{records,pairs,clusters} Parquet.
    `pairs` holds every scored candidate pair; links are those with match_probability >= threshold."""
    params = read_params(Path(params_path) if params_path else None)
    records = person_records(documented_input(spark, input_path)).localCheckpoint()
    records.createOrReplaceTempView("er_person_records")
    pairs = blocked_pairs(spark, "er_person_records", window).localCheckpoint()
    pairs.createOrReplaceTempView("er_persons_blocked")
    scored = scored_pairs(spark, "er_persons_blocked", "er_person_records", params).localCheckpoint()
    links = scored.where(
        f"match_probability >= {float(threshold)!r} and not coalesce(resident_id_conflict, false)"
    )
    clustering = cluster(spark, records, links)
    base = str(output_dir).rstrip("/") if "://" in str(output_dir) else str(Path(output_dir).resolve())
    records.write.mode("overwrite").parquet(f"{base}/records")
    scored.write.mode("overwrite").parquet(f"{base}/pairs")
    clustering.clusters.write.mode("overwrite").parquet(f"{base}/clusters")
    clusters = spark.read.parquet(f"{base}/clusters")
    return Resolution(
        records=clusters.count(),
        candidate_pairs=scored.count(),
        links=links.count(),
        entities=clusters.select("entity_id").distinct().count(),
        label_iterations=clustering.label_iterations,
    )

"""Marts on Spark, for when a mart's input outgrows one machine: the dbt model's meaning, step by step.

`hotel_stays_daily`: hotel stays per district per day (dbt: stg_hotel__registrations -> fct_hotel_stays ->
metric_hotel_stays_daily), from bronze hotel registrations. With years of registrations of a large city (billions
of rows) the latest-version dedup and the distinct-guest counts are the heavy part; on Spark they shuffle by
registration and by (day, district).

| dbt | Spark |
| --- | --- |
| `latest_per_key(reg_id, _watermark_at desc, _ingested_at desc, _record_hash)` | the same window order, nulls last as on DuckDB |
| `parse_iso_timestamp(checkin_time)` (DuckDB `try_cast(.. as timestamptz)`, Trino `try(from_iso8601_timestamp(..))`) | `try_cast(.. as timestamp)`: ISO 8601 with its offset, NULL when it does not parse |
| `local_date(..)` in var `city_timezone` | `to_date(from_utc_timestamp(.., city_timezone))` (session time zone UTC) |
| stays = `count(*)`, guests = `count(distinct coalesce(guest_id_token, registration_id))` | the same |
| district name from `dim_jurisdiction` (level `district`), else `未知 unknown` | the same, from a copy of dim_jurisdiction |

Check-in times in bronze passed the source's ISO date-time rule (GX), so both parsers see well-formed values with
their offset; a time without one would be read in each engine's session time zone (Spark's is UTC here; DuckDB's
is the machine's), which the parity test does not cover.
"""

from __future__ import annotations

from dataclasses import dataclass

UNKNOWN_DISTRICT = "未知 unknown"
HOTEL_STAYS_COLUMNS = ("stay_date", "district_code", "jurisdiction_code", "district_name", "stays", "guests")


@dataclass(frozen=True)
class MartResult:
    rows: int
    registrations: int
    output: str


def _read(spark, path: str):
    return spark.read.csv(path, header=True) if path.endswith(".csv") else spark.read.parquet(path)


def hotel_stays_daily(spark, registrations: str, jurisdictions: str, output: str,
                      city_timezone: str = "Asia/Shanghai") -> MartResult:  # fmt: skip
    """metric_hotel_stays_daily from bronze hotel registrations (Parquet: the source columns, `id_number_token`
    and the lineage columns) and dim_jurisdiction (Parquet or CSV); writes Parquet to `output` (replaced)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    bronze = _read(spark, registrations)
    newest_first = Window.partitionBy("reg_id").orderBy(
        F.col("_watermark_at").desc_nulls_last(),
        F.col("_ingested_at").desc_nulls_last(),
        F.col("_record_hash").asc_nulls_last(),
    )
    latest = bronze.withColumn("_row_rank", F.row_number().over(newest_first)).where("_row_rank = 1")
    checkin = F.expr("try_cast(checkin_time as timestamp)")
    stays = latest.select(
        F.col("reg_id").alias("registration_id"),
        F.col("id_number_token").alias("guest_id_token"),
        F.to_date(F.from_utc_timestamp(checkin, city_timezone)).alias("stay_date"),
        F.col("district_code"),
    )
    districts = (
        _read(spark, jurisdictions)
        .where(F.col("jurisdiction_level") == "district")
        .select(F.col("jurisdiction_code").alias("district_code"), F.col("jurisdiction_name"))
    )
    daily = (
        stays.join(districts, "district_code", "left")
        .withColumn("district_name", F.coalesce(F.col("jurisdiction_name"), F.lit(UNKNOWN_DISTRICT)))
        .groupBy("stay_date", "district_code", "district_name")
        .agg(
            F.count(F.lit(1)).alias("stays"),
            F.countDistinct(F.coalesce(F.col("guest_id_token"), F.col("registration_id"))).alias("guests"),
        )
        .withColumn("jurisdiction_code", F.col("district_code"))
        .select(*HOTEL_STAYS_COLUMNS)
    )
    daily.write.mode("overwrite").parquet(output)
    # every latest registration is one stay (a NULL day included): the output's sum is the input's count
    rows, registrations = spark.read.parquet(output).agg(F.count(F.lit(1)), F.sum("stays")).first()
    return MartResult(rows=rows, registrations=int(registrations or 0), output=output)


MARTS = {"hotel_stays_daily": hotel_stays_daily}

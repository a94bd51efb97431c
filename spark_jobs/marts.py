"""spark-submit entry point: a mart too heavy for one machine, built on Spark (huitong.spark.marts).

    spark-submit --master local[*] spark_jobs/marts.py hotel_stays_daily --registrations BRONZE \
        --jurisdictions DIM [--output DIR]

hotel_stays_daily: metric_hotel_stays_daily (stays and distinct guests per district per day) from bronze hotel
registrations (Parquet; production: the Iceberg table bronze.hotel__registrations through the catalog in
infra/spark/) and a copy of dim_jurisdiction (Parquet or CSV). Output (default $HUITONG_HOME/spark/<mart>):
Parquet with the dbt model's columns.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mart", choices=["hotel_stays_daily"], help="the mart to build")
    parser.add_argument("--registrations", required=True, help="bronze hotel registrations (Parquet)")
    parser.add_argument("--jurisdictions", required=True, help="dim_jurisdiction (Parquet or CSV)")
    parser.add_argument("--output", help="output directory or URI (default: $HUITONG_HOME/spark/<mart>)")
    args = parser.parse_args([a for a in (sys.argv[1:] if argv is None else argv) if a])

    from huitong.config import settings
    from huitong.spark.marts import MARTS
    from huitong.spark.session import spark_session

    cfg = settings()
    output = args.output or str(cfg.spark_dir / args.mart)
    spark = spark_session(f"huitong-{args.mart.replace('_', '-')}")
    try:
        result = MARTS[args.mart](spark, args.registrations, args.jurisdictions, output, cfg.timezone)
    finally:
        spark.stop()
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()

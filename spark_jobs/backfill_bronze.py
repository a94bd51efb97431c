"""spark-submit entry point: a source's landed history -> bronze-shaped Parquet (huitong.spark.backfill).

    spark-submit --master local[*] spark_jobs/backfill_bronze.py trade.trades [--start ISO] [--end ISO] [--output DIR]

The logic lives in huitong.spark.backfill (unit-tested); this file only parses arguments. Output defaults to
$HUITONG_HOME/spark/backfill.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import datetime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("source", help="source.entity, e.g. trade.trades")
    parser.add_argument("--start", type=datetime.fromisoformat, help="first window start (ISO 8601)")
    parser.add_argument("--end", type=datetime.fromisoformat, help="last window end, exclusive (ISO 8601)")
    parser.add_argument("--output", help="output directory or URI (default: $HUITONG_HOME/spark/backfill)")
    # templated arguments that render empty (an optional Airflow param left blank) are dropped
    args = parser.parse_args([a for a in (sys.argv[1:] if argv is None else argv) if a])

    from huitong.config import settings
    from huitong.spark.backfill import backfill
    from huitong.spark.session import spark_session

    source, _, entity = args.source.partition(".")
    cfg = settings()
    spark = spark_session(f"huitong-backfill-{args.source}")
    try:
        result = backfill(
            spark, source, entity, args.output or str(cfg.spark_dir / "backfill"), args.start, args.end
        )
    finally:
        spark.stop()
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()

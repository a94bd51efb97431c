"""spark-submit entry point: person entity resolution at scale (huitong.spark.person_er).

    spark-submit --master local[*] spark_jobs/person_er.py --input persons.parquet [--output DIR] [--params P]

Input: Parquet with the documented columns of `huitong er link` (record_id; source, full_name, id_number, phone,
birth_date, gender, address; seen_at optional). Parameters: the committed defaults of the dbt seed overlaid by a
trained export of ops.er_person_params (`--params`, CSV or Parquet), as int_person_match_params reads them.
Output (default $HUITONG_HOME/spark/person_er): records/, pairs/ (every scored candidate pair), clusters/.
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
    parser.add_argument("--input", required=True, help="Parquet file or directory (documented columns)")
    parser.add_argument("--output", help="output directory or URI (default: $HUITONG_HOME/spark/person_er)")
    parser.add_argument("--params", help="trained parameters (CSV or Parquet: field, level, m, u)")
    parser.add_argument(
        "--threshold", type=float, help="match probability of a link (dbt var er_person_threshold)"
    )
    parser.add_argument(
        "--window", type=int, help="records paired per block neighbourhood (var er_block_window)"
    )
    # templated arguments that render empty (an optional Airflow param left blank) are dropped
    args = parser.parse_args([a for a in (sys.argv[1:] if argv is None else argv) if a])

    from huitong.config import settings
    from huitong.spark.person_er import BLOCK_WINDOW, THRESHOLD, resolve
    from huitong.spark.session import spark_session

    output = args.output or str(settings().spark_dir / "person_er")
    spark = spark_session("huitong-person-er")
    try:
        result = resolve(spark, args.input, output, args.params, threshold=args.threshold or THRESHOLD,
                         window=args.window or BLOCK_WINDOW)  # fmt: skip
    finally:
        spark.stop()
    print(json.dumps({**asdict(result), "output": output}))


if __name__ == "__main__":
    main()

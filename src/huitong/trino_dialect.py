"""Check that SQL compiled for Trino parses as Trino SQL and calls only functions Trino has.

No Trino server runs in CI, so ``dbt compile --target trino`` output is checked here instead: each file must parse
with sqlglot's Trino dialect, and every function call, **as spelled in the file**, must be in TRINO_FUNCTIONS
(written from https://trino.io/docs/current/functions/list.html). Names are taken from the source text, not from
sqlglot's normalised tree, because sqlglot would happily render DuckDB's ``levenshtein`` as Trino's
``levenshtein_distance`` and hide the bug (DuckDB's counts bytes).

    python -m huitong.trino_dialect dbt_project/target/compiled     # exit 1 and a list when anything is wrong
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp

# Trino's built-in functions (scalar, aggregate, window, table functions usable in SQL). Keyword-syntax forms
# (CAST, TRY_CAST, EXTRACT, CASE, IF, CURRENT_DATE, ARRAY[...]...) are in KEYWORD_FORMS below.
TRINO_FUNCTIONS = frozenset(
    """
    abs acos all_match any_match any_value approx_distinct approx_most_frequent approx_percentile approx_set
    arbitrary array_agg array_distinct array_except array_histogram array_intersect array_join array_max
    array_min array_position array_remove array_sort array_union arrays_overlap asin at_timezone atan atan2 avg
    bar beta_cdf bing_tile bing_tile_at bing_tiles_around bitwise_and bitwise_and_agg bitwise_left_shift
    bitwise_not bitwise_or bitwise_or_agg bitwise_right_shift bitwise_right_shift_arithmetic bitwise_xor
    bitwise_xor_agg bool_and bool_or cardinality cbrt ceil ceiling char2hexint checksum chr classify codepoint
    color combinations concat concat_ws contains contains_sequence convex_hull_agg corr cos cosh
    cosine_distance cosine_similarity count count_if covar_pop covar_samp crc32 cume_dist current_catalog
    current_date current_groups current_schema current_time current_timestamp current_timezone current_user
    date date_add date_diff date_format date_parse date_trunc day day_of_month day_of_week day_of_year degrees
    dense_rank dow doy e element_at empty_approx_set euclidean_distance evaluate_classifier_predictions every
    exp features first_value flatten floor format format_datetime format_number from_base from_base32
    from_base64 from_base64url from_big_endian_32 from_big_endian_64 from_encoded_polyline from_geojson_geometry
    from_hex from_ieee754_32 from_ieee754_64 from_iso8601_date from_iso8601_timestamp
    from_iso8601_timestamp_nanos from_unixtime from_unixtime_nanos from_utf8 geometric_mean greatest hamming_distance
    histogram hmac_md5 hmac_sha1 hmac_sha256 hmac_sha512 hour human_readable_seconds index infinity
    intersection_cardinality inverse_beta_cdf inverse_normal_cdf is_finite is_infinite is_json_scalar is_nan
    jaccard_index json_array json_array_contains json_array_get json_array_length json_exists json_extract
    json_extract_scalar json_format json_object json_parse json_query json_size json_value kurtosis lag
    last_day_of_month last_value lead learn_classifier learn_libsvm_classifier learn_libsvm_regressor
    learn_regressor least length levenshtein_distance listagg ln localtime localtimestamp log log10 log2 lower
    lpad ltrim luhn_check make_set_digest map map_agg map_concat map_entries map_filter map_from_entries
    map_keys map_union map_union_sum map_values map_zip_with max max_by md5 merge merge_set_digest millisecond
    min min_by minute mod month multimap_agg multimap_from_entries murmur3 nan nth_value normal_cdf
    normalize now ntile nullif numeric_histogram objectid objectid_timestamp parse_data_size parse_datetime
    parse_duration parse_presto_data_size percent_rank pi position pow power quarter radians rand random rank
    reduce reduce_agg regexp_count regexp_extract regexp_extract_all regexp_like regexp_position
    regexp_replace regexp_split regr_intercept regr_slope regress render repeat replace reverse rgb round
    row_number rpad rtrim second sequence sha1 sha256 sha512 shuffle sign simplify_geometry sin sinh skewness
    slice soundex spooky_hash_v2_32 spooky_hash_v2_64 split split_part split_to_map split_to_multimap
    sqrt st_area st_asbinary st_astext st_boundary st_buffer st_centroid st_contains
    st_convexhull st_coorddim st_crosses st_difference st_dimension st_disjoint st_distance st_endpoint
    st_envelope st_equals st_exteriorring st_geometryfromtext st_geomfrombinary st_intersection st_intersects
    st_isclosed st_isempty st_isring st_issimple st_isvalid st_length st_linefromtext st_linestring st_numpoints
    st_overlaps st_point st_polygon st_relate st_startpoint st_symdifference st_touches st_union st_within st_x
    st_xmax st_xmin st_y st_ymax st_ymin starts_with stddev stddev_pop stddev_samp strpos substr substring sum
    t_cdf t_pdf tan tanh timestamp_objectid timezone_hour timezone_minute to_base to_base32 to_base64
    to_base64url to_big_endian_32 to_big_endian_64 to_char to_date to_encoded_polyline to_geojson_geometry
    to_hex to_ieee754_32 to_ieee754_64 to_iso8601 to_milliseconds to_spherical_geography to_timestamp
    to_unixtime to_utf8 transform transform_keys transform_values translate trim trim_array truncate try
    typeof upper url_decode url_encode url_extract_fragment url_extract_host url_extract_parameter
    url_extract_path url_extract_port url_extract_protocol url_extract_query uuid value_at_quantile
    values_at_quantiles var_pop var_samp variance version week week_of_year width_bucket wilson_interval_lower
    wilson_interval_upper with_timezone word_stem xxhash64 year year_of_week yow zip zip_with
    filter none_match ngrams exclude_columns coalesce nullif if
    """.split()  # noqa: SIM905 - a word list reads like the docs page it comes from
)

# Syntax forms sqlglot represents as function nodes without a source position: SQL keywords, not functions.
KEYWORD_FORMS: tuple[type[exp.Expression], ...] = (
    exp.Cast,
    exp.TryCast,
    exp.Case,
    exp.If,
    exp.Extract,
    exp.Array,
    exp.Lambda,
    exp.Unnest,
    exp.CurrentDate,
    exp.CurrentTime,
    exp.CurrentTimestamp,
    exp.CurrentUser,
    exp.Substring,  # SUBSTRING(x FROM a FOR b) as well as substr()
    exp.Trim,  # TRIM(BOTH ' ' FROM x)
    exp.Coalesce,
    exp.Nullif,
    exp.Exists,
    exp.Struct,  # ROW(...)
    exp.And,
    exp.Or,
    exp.Not,
    exp.Xor,
    exp.Paren,
    exp.Tuple,
    exp.Interval,
    exp.JSONExtract,
)


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def called_functions(sql: str) -> tuple[set[str], set[str]]:
    """({function names as written}, {sqlglot node kinds with no source position}) of one Trino statement."""
    tree = sqlglot.parse_one(sql, read="trino")
    names, unplaced = set(), set()
    for node in tree.find_all(exp.Func):
        start, end = node.meta.get("start"), node.meta.get("end")
        if start is not None and end is not None:
            names.add(sql[start : end + 1].strip('"').lower())
        elif isinstance(node, exp.Anonymous):
            names.add(node.name.lower())
        elif not isinstance(node, KEYWORD_FORMS):
            # No source position (min_by, chr...): accept the Trino spelling only if the file itself uses it, so
            # DuckDB's arg_min or string_agg, which sqlglot renders as min_by or listagg, are still caught.
            rendered = node.sql(dialect="trino").split("(", 1)[0].strip().lower()
            if re.search(rf"(?<![\w.]){re.escape(rendered)}\s*\(", sql, re.IGNORECASE):
                names.add(rendered)
            else:
                unplaced.add(f"{type(node).__name__} (Trino spells it {rendered})")
    return names, unplaced


def check_sql(sql: str, path: str = "<sql>") -> list[Problem]:
    try:
        names, unplaced = called_functions(sql)
    except sqlglot.errors.ParseError as exc:
        return [Problem(path, f"does not parse as Trino SQL: {str(exc).splitlines()[0]}")]
    problems = [
        Problem(path, f"{name}() is not a Trino function") for name in sorted(names - TRINO_FUNCTIONS)
    ]
    problems += [
        Problem(path, f"a {kind} expression not spelled the Trino way in the file")
        for kind in sorted(unplaced)
    ]
    return problems


def sql_files(root: Path) -> Iterable[Path]:
    return sorted(p for p in Path(root).rglob("*.sql") if p.is_file())


def check_tree(root: str | Path) -> tuple[int, list[Problem]]:
    """(files checked, problems) for every .sql file under root (dbt's target/compiled)."""
    files = list(sql_files(Path(root)))
    problems = [p for f in files for p in check_sql(f.read_text(encoding="utf-8"), str(f))]
    return len(files), problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m huitong.trino_dialect COMPILED_DIR", file=sys.stderr)
        return 2
    count, problems = check_tree(args[0])
    if count == 0:
        print(f"no .sql files under {args[0]}: run `dbt compile --target trino` first", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{count} files checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The `huitong` command line. Each command is a thin shell over a function in the package, so Airflow tasks,
tests and people run the same code. Logs go to stderr; a command's result (e.g. a batch id) is the last line on
stdout, which Airflow's BashOperator pushes to XCom."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import typer

app = typer.Typer(
    help="Huitong (汇通): join a city's public-safety information islands into one governed lakehouse.\n\n"
    "Settings come from HUITONG_* environment variables (see docs/configuration.md); state lives in HUITONG_HOME.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ingest_app = typer.Typer(
    help="Move one source's data into the lake: land, validate, load.", no_args_is_help=True
)
lake_app = typer.Typer(
    help="Inspect and maintain the lake (Iceberg tables, snapshots).", no_args_is_help=True
)
source_app = typer.Typer(
    help="Run the simulated source systems (for the demo and tests).", no_args_is_help=True
)
app.add_typer(ingest_app, name="ingest")
app.add_typer(lake_app, name="lake")
app.add_typer(source_app, name="source")
er_app = typer.Typer(
    help="Entity resolution: train, evaluate against ground truth, link any table.", no_args_is_help=True
)
app.add_typer(er_app, name="er")
policy_app = typer.Typer(help="The one access policy: compile it for Trino.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
audit_app = typer.Typer(help="The query audit trail (who queried what).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
docs_app = typer.Typer(help="dbt docs: what every shared table and column means.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")

log = logging.getLogger("huitong")


def _setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("great_expectations", "pyiceberg", "urllib3", "py4j"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    _setup_logging(verbose)


def _moment(value: str) -> datetime:
    """ISO date or datetime; naive values are UTC (Airflow's data intervals are UTC)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


Start = Annotated[
    str,
    typer.Option(
        "--start",
        help="Window start, ISO 8601 (Airflow: {{ data_interval_start }}); a time without an offset is UTC.",
    ),
]
End = Annotated[
    str,
    typer.Option(
        "--end", help="Window end, exclusive, ISO 8601 ({{ data_interval_end }}); without an offset, UTC."
    ),
]
SourceName = Annotated[
    str,
    typer.Argument(
        metavar="SOURCE",
        help="source.entity, e.g. hotel.registrations, parcel.waybills, rental.contracts (a source with one "
        "entity may be named alone: hotel). A wrong name lists them all.",
    ),
]


@app.command()
def simulate(
    scale: Annotated[
        float,
        typer.Option(
            help="1.0 is ~10k residents; 0.05 for tests, 50+ for benchmarks. Default: HUITONG_SCALE, else 1.0."
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Same seed, same city, byte for byte. Default: HUITONG_SEED, else 20261123.")
    ] = None,
    as_of: Annotated[
        str,
        typer.Option(
            "--as-of",
            help="The simulated 'today' (ISO date). Default: today (make demo passes HUITONG_AS_OF).",
        ),
    ] = None,
    start: Annotated[
        str,
        typer.Option(
            help="First day of history (ISO). Default: 1 Jan last year (make demo passes HUITONG_HISTORY_START)."
        ),
    ] = None,
    profile: Annotated[str, typer.Option(help="Calibration profile of the city's figures.")] = "demo",
    deliveries: Annotated[
        bool, typer.Option(help="Also write the files systems drop (exports, catalogues).")
    ] = True,
) -> None:
    """Build the synthetic city and fill every simulated source system (plus the hidden ground truth)."""
    from huitong.config import settings
    from huitong.simulate import simulate as run_simulation
    from huitong.simulate.deliveries import write_deliveries

    cfg = settings()
    as_of_date = date.fromisoformat(as_of) if as_of else date.today()
    start_date = date.fromisoformat(start) if start else date(as_of_date.year - 1, 1, 1)
    summary = run_simulation(
        cfg,
        seed=cfg.seed if seed is None else seed,
        scale=cfg.scale if scale is None else scale,
        start=start_date,
        as_of=as_of_date,
        profile=profile,
    )
    if deliveries:
        write_deliveries(cfg, start=start_date, as_of=as_of_date)
    typer.echo(summary)


@source_app.command("serve")
def source_serve(
    name: Annotated[str, typer.Argument(help="The source system to serve: hotel.")] = "hotel",
    port: Annotated[
        int, typer.Option(help="0 picks a free port; default from HUITONG_HOTEL_API_URL.")
    ] = None,
    error_rate: Annotated[float, typer.Option(help="Share of requests answered with 5xx.")] = 0.02,
    rate_per_s: Annotated[float, typer.Option(help="Requests per second before 429s.")] = 20.0,
) -> None:
    """Serve a simulated source system on 127.0.0.1 until interrupted."""
    from huitong.simulate.hotel_api import serve_forever

    if name != "hotel":
        raise typer.BadParameter(f"no server for source {name!r}; only 'hotel' is served over HTTP")
    serve_forever(port=port, error_rate=error_rate, rate_per_s=rate_per_s)


@ingest_app.command("land")
def ingest_land(source: SourceName, start: Start, end: End) -> None:
    """Extract one window from SOURCE and land it unchanged; prints the batch id."""
    from huitong.ingest import land_window

    batch = land_window(source, _moment(start), _moment(end))
    typer.echo(batch.batch_id)


@ingest_app.command("load")
def ingest_load(batch_id: str) -> None:
    """Validate a landed batch and load it into bronze and the quarantine; prints the reconciled counts."""
    from huitong.ingest import load

    typer.echo(str(load(batch_id)))


@ingest_app.command("run")
def ingest_run(source: SourceName, start: Start, end: End) -> None:
    """Land and load one window (what the source's DAG does in two tasks)."""
    from huitong.ingest import land_window, load

    typer.echo(str(load(land_window(source, _moment(start), _moment(end)).batch_id)))


@ingest_app.command("backfill")
def ingest_backfill(
    source: SourceName,
    start: Start,
    end: End,
    every: Annotated[str, typer.Option(help="Window size: day, week or month.")] = "month",
) -> None:
    """Load a range window by window (a source's history). Re-running is safe: each window is replaced."""
    from rich.progress import Progress

    from huitong.ingest import land_window, load

    windows = list(split_windows(_moment(start), _moment(end), every))
    totals = [0, 0, 0]
    with Progress(transient=False) as progress:
        task = progress.add_task(f"{source} backfill", total=len(windows))
        for lo, hi in windows:
            result = load(land_window(source, lo, hi).batch_id)
            totals = [totals[0] + result.landed, totals[1] + result.loaded, totals[2] + result.quarantined]
            progress.advance(task)
    typer.echo(
        f"{source}: {len(windows)} windows, landed {totals[0]}, loaded {totals[1]}, quarantined {totals[2]}"
    )


def split_windows(start: datetime, end: datetime, every: str):
    if every not in ("day", "week", "month"):
        raise typer.BadParameter("--every must be day, week or month")
    lo = start
    while lo < end:
        if every == "day":
            hi = lo + timedelta(days=1)
        elif every == "week":
            hi = lo + timedelta(days=7)
        else:
            hi = (lo.replace(day=1) + timedelta(days=32)).replace(day=1)
        yield lo, min(hi, end)
        lo = min(hi, end)


@lake_app.command("sync-views")
def lake_sync_views() -> None:
    """Expose the Iceberg tables to the local DuckDB build as snapshot-pinned views (before dbt runs).
    Every known source's bronze table is created first (empty) if it has no data yet."""
    from huitong.ingest import ensure_tables
    from huitong.lake.duck import sync_lake_views

    ensure_tables()
    for name in sync_lake_views():
        typer.echo(name)


@lake_app.command("snapshots")
def lake_snapshots(
    table: Annotated[str, typer.Argument(help="<namespace>.<table>, e.g. bronze.hotel__registrations.")],
) -> None:
    """List a table's Iceberg snapshots, oldest first: * marks the current one, - the delete step inside an
    overwrite (not a rollback target). Each names the batch that wrote it."""
    from huitong.lake.maintenance import SnapshotError, list_snapshots

    try:
        snapshots = list_snapshots(table)
    except SnapshotError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"  {'snapshot_id':>20}  {'committed (UTC)':<20} {'operation':<9} {'added':<9} {'rows':<15} batch"
    )
    for snapshot in snapshots:
        typer.echo(str(snapshot))


@lake_app.command("rollback")
def lake_rollback(
    table: Annotated[str, typer.Argument(help="<namespace>.<table>, e.g. bronze.hotel__registrations.")],
    snapshot_id: Annotated[int, typer.Argument(help="The snapshot to make current (from `lake snapshots`).")],
) -> None:
    """Make an earlier (or later) snapshot of TABLE current again, in one commit; no data file is deleted, so
    the rollback can be undone the same way. Run `huitong lake sync-views` and the transform afterwards."""
    from huitong.lake.maintenance import SnapshotError, rollback

    try:
        typer.echo(str(rollback(table, snapshot_id)))
    except SnapshotError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@lake_app.command("retention")
def lake_retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be removed; change nothing.")
    ] = False,
) -> None:
    """Remove personal records older than HUITONG_RETENTION_DAYS (bronze, quarantine, landing), expire snapshots
    older than HUITONG_SNAPSHOT_KEEP_DAYS (and every snapshot that still holds removed records) and their files,
    and remove the Spark outputs under $HUITONG_HOME/spark not written for HUITONG_SPARK_OUTPUT_KEEP_DAYS. The query
    audit trail older than HUITONG_AUDIT_RETENTION_DAYS goes from the lake, the raw log and Superset's query log
    (through HUITONG_SUPERSET_RETENTION_URI). A step that fails (a table another engine is committing to,
    Superset's database) does not stop the others; the command then exits 1 naming it, and the next run tries
    again."""
    from huitong.lake.retention import apply_retention

    report = apply_retention(dry_run=dry_run)
    typer.echo(str(report))
    if unfinished := report.unfinished():
        # Retention is a promise about personal data: an unfinished run must turn the task red, not pass quietly.
        typer.echo(
            "error: retention did not finish; everything else above was applied, and the next run (or the "
            "task's retry) tries these again:\n" + "\n".join(f"  {item}" for item in unfinished),
            err=True,
        )
        raise typer.Exit(1)


@lake_app.command("compact")
def lake_compact(
    tables: Annotated[
        list[str] | None,
        typer.Argument(
            help="<namespace>.<table> to compact (default: every bronze, quarantine and ops table)."
        ),
    ] = None,
    min_files: Annotated[
        int | None,
        typer.Option(
            "--min-files",
            help="Compact a partition once it holds at least this many small files (default: HUITONG_COMPACT_MIN_FILES, 8).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be rewritten; change nothing.")
    ] = False,
) -> None:
    """Rewrite each partition's small data files (one or two per batch) as one file, in one commit per table: the
    same rows, fewer files and manifests, so later commits stay fast. Old files go when their snapshots expire
    (`huitong lake retention`)."""
    from pyiceberg.exceptions import NoSuchTableError

    from huitong.lake.compaction import compact_lake

    try:
        outcomes = compact_lake(tables=tables or None, min_files=min_files, dry_run=dry_run)
    except (ValueError, NoSuchTableError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for outcome in outcomes:
        typer.echo(str(outcome))


@app.command()
def publish(
    force: Annotated[
        bool, typer.Option("--force", help="Publish even if the last dbt build did not pass (no check).")
    ] = False,
) -> None:
    """Publish the finished dbt build for readers (atomic symlink swap); prints the release path. Refuses (exit 1,
    served build untouched) unless the last dbt build's run_results.json shows it passed."""
    from huitong.serving.build_check import BuildNotPassed, check_build_passed
    from huitong.serving.publish import publish as do_publish

    if force:
        log.warning("--force: publishing without checking that the dbt build passed")
    else:
        try:
            check_build_passed()
        except BuildNotPassed as exc:
            typer.echo(f"publish refused: {exc}", err=True)
            raise typer.Exit(1) from None
    typer.echo(str(do_publish()))


@docs_app.command("generate")
def docs_generate() -> None:
    """dbt docs generate over the finished build, published atomically to $HUITONG_HOME/docs/current."""
    from huitong.serving.docs import generate

    typer.echo(str(generate()))


@docs_app.command("serve")
def docs_serve(
    port: Annotated[int | None, typer.Option(help="default HUITONG_DOCS_PORT (8580)")] = None,
) -> None:
    """Serve the published dbt docs on 127.0.0.1 (static files; a new release shows without a restart)."""
    from huitong.serving.docs import serve

    serve(port=port)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="One read-only SELECT; unqualified tables are in schema marts.")],
    user: Annotated[str, typer.Option("--as", help="The department user the policy answers for.")],
    max_rows: Annotated[int, typer.Option(help="Rows printed at most.")] = 200,
) -> None:
    """Query the shared tables as USER, through the access policy (row filters by jurisdiction, masks on personal
    data); every query, allowed or refused, is audited. Exit code 1 when the policy refuses."""
    from huitong.query import QueryRefused, format_rows, run_query

    try:
        result = run_query(user, sql)
    except QueryRefused as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(format_rows(result.columns, result.rows, max_rows=max_rows))


@policy_app.command("compile")
def policy_compile(
    out: Annotated[str, typer.Option(help="Trino etc folder to write (default: infra/trino/etc).")] = None,
) -> None:
    """Compile infra/policy/access_policy.yaml into Trino's rules.json and group.txt (checked against the schema)."""
    from pathlib import Path

    from huitong.policy import repo_policy_file, repo_trino_etc
    from huitong.policy.trino_rules import compile_policy

    for path in compile_policy(repo_policy_file(), Path(out) if out else repo_trino_etc()):
        typer.echo(str(path))


@audit_app.command("collect")
def audit_collect(
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 inside a container).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port Trino's HTTP event listener posts to.")] = 8090,
) -> None:
    """Receive Trino's completed-query events (POST /v1/trino-events) and append each to the audit log, from which
    the `audit` DAG lands it into marts.audit_queries beside `huitong query` and Superset's query log."""
    from huitong.audit import serve_collector

    serve_collector(host, port, ready=lambda s: log.info("audit collector on %s:%d", *s.server_address[:2]))


@app.command()
def status() -> None:
    """Per source: freshness, last batch, volumes and quarantine counts, from the ledger."""
    from huitong.status import render_status

    render_status()


Entity = Annotated[
    str, typer.Option("--entity", help="The entity type: person (train, link) or camera (link).")
]


@er_app.command("train")
def er_train(
    entity: Entity = "person",
    random_pairs: Annotated[int, typer.Option(help="Random pairs for the u probabilities.")] = 100_000,
) -> None:
    """Estimate the Fellegi-Sunter m/u parameters by EM from the last build; dbt reads them next build."""
    from huitong.er.training import describe, train

    typer.echo(describe(train(entity=entity, random_pairs=random_pairs)))


@er_app.command("evaluate")
def er_evaluate(
    output: Annotated[str, typer.Option(help="Also write the report as JSON here.")] = None,
    entity: Annotated[str, typer.Option("--entity", help="person, place, address, camera, or all.")] = "all",
) -> None:
    """Score the last build's entities against the simulator's hidden ground truth (pairwise and B-cubed)."""
    from pathlib import Path

    from huitong.er.evaluate import ENTITIES, evaluate, format_report

    for name in ENTITIES if entity == "all" else (entity,):
        out = Path(output) if output else None
        if out is not None and entity == "all":
            out = out.with_name(f"{out.stem}_{name}{out.suffix}")  # one JSON per entity type
        typer.echo(f"== {name}")
        typer.echo(format_report(evaluate(output=out, entity=name)))


@er_app.command("link")
def er_link(
    entity: Entity = "person",
    input: Annotated[
        str,
        typer.Option(
            "--input",
            help="Parquet with record_id, source, full_name, id_number, "
            "phone, birth_date, gender, address (any may be null).",
        ),
    ] = ...,  # fmt: skip
    output: Annotated[str, typer.Option("--output", help="Parquet to write: record_id -> entity_id.")] = ...,
    train: Annotated[bool, typer.Option(help="Estimate parameters on this input first (EM).")] = True,
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            help="Folder of a resolved base (person): the first run resolves the input and keeps it there; later "
            "runs add the input's new records to it as one batch, re-clustering only what they reach, from the SQL "
            "dbt compiled for batches (HUITONG_ER_BATCH_EXECUTOR=dbt: a dbt run). OUTPUT then holds the input's "
            "records and the earlier records whose entity id changed.",
        ),
    ] = None,
) -> None:
    """Resolve any table of person records with the same models the pipeline runs (see docs/er.md)."""
    from pathlib import Path

    from huitong.er.link import link

    summary = link(Path(input), Path(output), entity=entity, train=train,
                   state_dir=Path(state) if state else None)  # fmt: skip
    typer.echo(json.dumps(summary, default=str, indent=1))


def main() -> None:
    from huitong.config import ConfigError
    from huitong.sources import UnknownSourceError

    try:
        app()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise SystemExit(2) from None
    except UnknownSourceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()

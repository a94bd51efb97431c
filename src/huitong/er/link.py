"""`huitong er link --entity person|camera --input IN.parquet --output OUT.parquet`: a model on any table.

The input needs the documented columns (record_id, and any of source, full_name, id_number, phone, birth_date,
gender, address; missing columns are NULL, names and IDs need not be Chinese). The run is the SAME dbt models the
warehouse builds, not a re-implementation: a throwaway dbt project (the real macros, seeds and
models/intermediate/persons, copied) builds into a throwaway DuckDB with var er_person_input=true, so
int_person_records reads the input instead of the staging models. The parameters are trained on the input itself
(EM, huitong.er.training) and the scoring models rebuilt with them; `train=False` keeps the committed defaults.
The output has record_id, source, entity_id (and link_kind, cluster_size).
`--entity camera` runs models/intermediate/cameras the same way on the documented camera columns (record_id, source,
programme, device_code, device_name, civil_code, longitude, latitude, first_seen_at); no training (defaults).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from huitong.config import settings
from huitong.er.batch_plan import compile_plan, literal, load_plan, run_plan
from huitong.er.person_params import PARAMS_NAMESPACE, PARAMS_TABLE
from huitong.er.reference_data import DBT_DIR

log = logging.getLogger(__name__)

INPUT_COLUMNS = ("record_id", "source", "full_name", "id_number", "phone", "birth_date", "gender", "address")
CAMERA_COLUMNS = ("record_id", "source", "programme", "device_code", "device_name", "civil_code", "longitude",
                  "latitude", "first_seen_at")  # fmt: skip
PROJECT_NAME = "huitong_er_link"


@dataclass(frozen=True)
class _Entity:
    columns: tuple[str, ...]
    models: str  # folder under models/intermediate
    input_table: str  # er_input.<table>
    entities: str  # the model holding record -> entity (the persisted id map's current ids)
    entity_column: str
    extra_columns: tuple[str, ...]  # carried to the output
    cluster_model: str  # the clustering: record -> proposed id (entity_column), extra_columns
    id_map: str  # the first model of the persisted id map (the map and what reads it follow)


ENTITIES = {
    "person": _Entity(INPUT_COLUMNS, "persons", "person_records", "int_person_entities", "entity_id",
                      ("link_kind", "cluster_size"), "int_persons_clustered", "int_person_id_history"),
    "camera": _Entity(CAMERA_COLUMNS, "cameras", "camera_records", "int_camera_entities", "camera_id",
                      ("programme", "cluster_size"), "int_cameras_clustered", "int_camera_id_history"),
}  # fmt: skip


# HUITONG_ER_MEMORY_LIMIT=auto: DuckDB's limit per million input records, never below the floor nor above a share
# of the machine's memory. Measured (docs/er.md): 1M records resolve in a 750MB limit (peak RSS 1.2 GB), 5M fail
# in 750MB (Out of Memory joining the records to the id map) and resolve in 4GB (peak RSS 6.3 GB).
AUTO_MB_PER_MILLION = 800
AUTO_FLOOR_MB = 750
AUTO_MAX_SHARE_OF_RAM = 0.5


def memory_limit(records: int, setting: str | None = None, total_ram_mb: float | None = None) -> str | None:
    """The DuckDB memory limit for resolving `records` records: HUITONG_ER_MEMORY_LIMIT as given, None for 'none'
    (DuckDB's default), or for 'auto' AUTO_MB_PER_MILLION per million records, at least AUTO_FLOOR_MB and at most
    AUTO_MAX_SHARE_OF_RAM of the machine's memory."""
    setting = settings().er_memory_limit if setting is None else setting
    if setting.lower() == "none":
        return None
    if setting.lower() != "auto":
        return setting
    if total_ram_mb is None:
        import psutil

        total_ram_mb = psutil.virtual_memory().total / 2**20
    wanted = max(AUTO_FLOOR_MB, round(records / 1e6 * AUTO_MB_PER_MILLION))
    return f"{min(wanted, int(total_ram_mb * AUTO_MAX_SHARE_OF_RAM))}MB"


_UNSETTLED_SQL = "select count(*) from intermediate.int_persons_clustered where label_unconverged"
_RUNS_SQL = "select coalesce(max(run_seq), 0) from intermediate.int_person_id_history"
LABEL_ROUNDS = 6  # var er_label_iterations' default (int_persons_clustered)
MAX_LABEL_ROUNDS = 192
STATE_FILE = "er_link_state.json"  # in a --state folder: what later batches build with


def _settle_clusters(root: Path, db_path: Path, rounds: int, exclude: tuple[str, ...] = ()) -> int:
    """Build int_persons_clustered and what follows again, with twice the label-propagation rounds, while any
    record is label_unconverged (its component was not settled: chains of records without resident ID longer than
    the rounds, e.g. a year of one person's parcels); returns the rounds the clusters settled with. The id map,
    when built, logs what the extra rounds merged."""
    while unsettled := _scalar(db_path, _UNSETTLED_SQL):
        if rounds >= MAX_LABEL_ROUNDS:
            raise RuntimeError(f"label propagation left {unsettled} records unsettled after {rounds} rounds")
        rounds = max(rounds * 2, 1)
        log.warning("er link: %d records in components not settled; clustering again with %d label rounds",
                    unsettled, rounds)  # fmt: skip
        _dbt(root, "run", "--select", "int_persons_clustered+", "--full-refresh", *_excluding(exclude),
             "--vars", json.dumps({"er_label_iterations": rounds}))  # fmt: skip
    return rounds


def _excluding(models: tuple[str, ...]) -> tuple[str, ...]:
    """dbt arguments leaving out `models` and everything downstream of them."""
    return ("--exclude", *(f"{m}+" for m in models)) if models else ()


def _build(root: Path, db_path: Path, entity: str, records: int, train: bool,
           rounds: int | None = None, seeds: bool = False, id_map: bool = True) -> tuple[object | None, int]:  # fmt: skip
    """`dbt run` on the loaded input (with `seeds`, `dbt build` of the seeds and the models: one dbt invocation
    less): for persons with `train`, EM first (it reads the records and the pairs' comparison levels only; the
    scores, the clustering and the id map, which must take the clusters of the trained parameters, are built once,
    after it); then the person clusters settled. Without `id_map` the persisted id map and what reads it are not
    built (a one-shot link). Returns the training result (or None) and the label rounds the clusters settled
    with."""
    training = train and entity == "person" and records >= 2
    skipped = () if id_map else (ENTITIES[entity].id_map,)
    first = ("build", "--resource-type", "seed", "--resource-type", "model") if seeds else ("run",)
    _dbt(root, *first, *_excluding((*skipped, "int_persons_scored") if training else skipped))
    trained = None
    if training:
        from huitong.er.training import train_person, write_params_duckdb  # pyarrow, numpy: not for a batch

        trained = train_person(db_path, random_pairs=min(100_000, records * 20))
        write_params_duckdb(trained, db_path)
        _dbt(root, "run", "--select", "int_person_match_params+", *_excluding(skipped))
    rounds = LABEL_ROUNDS if rounds is None else rounds  # the project's var er_label_iterations
    if entity == "person":
        rounds = _settle_clusters(root, db_path, rounds, skipped)
    return trained, rounds


def _input_rows(path: Path) -> int:
    """Rows of a Parquet file or folder, from its footers (no data read)."""
    import pyarrow.dataset as ds

    return sum(f.metadata.num_rows for f in ds.dataset(path, format="parquet").get_fragments())


def _write_project(root: Path, db_path: Path, entity: str = "person", records: int = 0,
                   batches: bool = False, label_rounds: int | None = None) -> dict:  # fmt: skip
    """The throwaway project (or, with `batches`, the kept project of `--state`, rewritten with the current models
    on every run). Returns the DuckDB options of its dbt profile."""
    spec = ENTITIES[entity]
    shutil.copytree(DBT_DIR / "macros", root / "macros", dirs_exist_ok=True)
    # The project's own generic tests (unique_combination, in_range), which the models' YAML uses.
    shutil.copytree(DBT_DIR / "tests" / "generic", root / "tests" / "generic", dirs_exist_ok=True)
    for seeds in ("er", "er_params"):
        shutil.copytree(DBT_DIR / "seeds" / seeds, root / "seeds" / seeds, dirs_exist_ok=True)
    shutil.copytree(
        DBT_DIR / "models" / "intermediate" / spec.models, root / "models" / "intermediate" / spec.models,
        dirs_exist_ok=True,
    )  # fmt: skip
    (root / "dbt_project.yml").write_text(
        f"name: {PROJECT_NAME}\nversion: '1.0'\nconfig-version: 2\nprofile: {PROJECT_NAME}\n"
        f"vars:\n  er_{entity}_input: true\n  city_timezone: Asia/Shanghai\n"
        # An input file is not a source under retention: a record one run's input lacks keeps its link (link_each).
        "  er_keep_departed: true\n"
        + ("  er_incremental: true\n" if batches else "")
        + f"  er_label_iterations: {LABEL_ROUNDS if label_rounds is None else label_rounds}\n"
        + f"models:\n  {PROJECT_NAME}:\n    +materialized: table\n    intermediate:\n      +schema: intermediate\n"
        f"seeds:\n  {PROJECT_NAME}:\n    +schema: reference\n    er:\n"
        "      +column_types: {traditional: varchar, simplified: varchar, hanzi: varchar, pinyin: varchar,"
        " surname: varchar}\n",
        encoding="utf-8",
    )
    profile = root / "profiles.yml"
    kept = profile.read_text(encoding="utf-8") if batches and profile.exists() else None
    if kept is None:
        limit = memory_limit(records)
        log.info("er link: DuckDB memory limit %s for %d records", limit or "none", records)
    else:  # --state: the memory limit was sized for the base, not for this batch
        limit = yaml.safe_load(kept)[PROJECT_NAME]["outputs"]["duckdb"]["config_options"].get("memory_limit")
    options = _duckdb_options(root, limit)
    text = (
        f"{PROJECT_NAME}:\n  target: duckdb\n  outputs:\n    duckdb:\n      type: duckdb\n"
        f"      path: {literal(str(db_path))}\n      schema: main\n      threads: 2\n      keep_open: false\n"
        "      config_options:\n"
        + "".join(f"        {name}: {literal(value)}\n" for name, value in options.items())
    )
    # Written only when it differs: a changed profile makes dbt parse the project again. It differs when a
    # --state folder was moved or copied (its absolute paths would build the old folder's database).
    if text != kept:
        if kept is not None:
            log.info("er link: the dbt profile of %s is rewritten for this folder", root)
        profile.write_text(text, encoding="utf-8")
    return options


def _duckdb_options(root: Path, limit: str | None) -> dict[str, str | bool]:
    """The build's DuckDB options (set when dbt opens the database, and by a batch plan): the memory limit
    (memory_limit; None: DuckDB's default), spilling to a folder inside the throwaway project; no insertion order
    kept (every model and read that needs an order asks for one), so DuckDB may write tables in parallel and
    buffer less; tables stored uncompressed: choosing and applying compression (FSST, dictionary) cost 14.0 s of
    CPU over the seven person tables of a 1M-record build against 5.6 s uncompressed, for a file 4x larger (981
    MB vs 238 MB; a throwaway build deletes it, a --state folder keeps it), peak memory unchanged (docs/er.md)."""
    options: dict[str, str | bool] = {} if limit is None else {"memory_limit": limit}
    return options | {"temp_directory": str(root / "duckdb_tmp"), "preserve_insertion_order": False,
                      "force_compression": "uncompressed"}  # fmt: skip


def _dbt(root: Path, *args: str):
    """One dbt command in this process (dbt's programmatic runner): dbt and its adapter are imported once per
    `er link`, not once per command (~3 s each on 2 cores). Console output off; dbt's log stays in root/logs.
    The profile's keep_open: false makes dbt close the database after each command, so this process can open it
    with other options (training reads it read-only). Returns dbt's result (a compile's nodes: compile_plan)."""
    from dbt.cli.main import dbtRunner

    with warnings.catch_warnings():
        # agate, loading the seeds: a seed's column_types name columns of the other `er` seeds
        warnings.filterwarnings(
            "ignore", message='".*" does not match the name of any column', category=RuntimeWarning
        )
        done = dbtRunner().invoke(
            [*args, "--project-dir", str(root), "--profiles-dir", str(root), "--log-path", str(root / "logs"),
             "--target-path", str(root / "target"), "--log-level", "none", "--log-level-file", "debug",
             "--no-send-anonymous-usage-stats", "--no-write-json"]
        )  # fmt: skip
    if not done.success:
        log_file = root / "logs" / "dbt.log"
        tail = log_file.read_text(encoding="utf-8", errors="replace")[-4000:] if log_file.exists() else ""
        raise RuntimeError(
            f"dbt {args[0]} failed in the er link project ({done.exception or 'see log'}):\n{tail}"
        )
    return done


def _input_view(con: duckdb.DuckDBPyConnection, input_path: Path, entity: str = "person") -> str:
    """The statement (re)creating er_input.<table> over the input file: the documented columns, cast to text,
    NULL where the file lacks one."""
    spec = ENTITIES[entity]
    present = {r[0] for r in con.execute(f"describe select * from read_parquet('{input_path}')").fetchall()}
    if "record_id" not in present:
        raise ValueError(
            f"{input_path} has no record_id column (documented columns: {', '.join(spec.columns)})"
        )
    select = ", ".join(
        f"cast({c} as varchar) as {c}" if c in present
        else ("'input' as source" if c == "source" else f"cast(null as varchar) as {c}")
        for c in spec.columns
    )  # fmt: skip
    # A view, not a copy: the records model reads the Parquet file itself, once.
    return f"create or replace view er_input.{spec.input_table} as select {select} from read_parquet('{input_path}')"


def _load_input(db_path: Path, input_path: Path, entity: str = "person") -> int:
    with _connect(db_path) as con:
        con.execute("create schema if not exists er_input")
        con.execute(_input_view(con, input_path, entity))
        return con.execute(f"select count(*) from er_input.{ENTITIES[entity].input_table}").fetchone()[0]


def _connect(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A connection to the build's database that does not checkpoint when it closes: the write-ahead log is left
    to DuckDB's checkpoint_threshold (16MB; a 10k batch at 1M writes ~13MB), checkpointed at the commit that passes
    it, and by dbt's connections when they close. The next connection replays what is left (~18 ms per MB). By
    hand at 1M this and a checkpoint at every close came out the same within noise (docs/er.md)."""
    con = duckdb.connect(str(db_path))
    con.execute("pragma disable_checkpoint_on_shutdown")
    return con


def link(input_path: Path, output_path: Path, entity: str = "person", train: bool = True,
         work_dir: Path | None = None, tables_dir: Path | None = None, state_dir: Path | None = None) -> dict:  # fmt: skip
    """Resolve the records of `input_path` and write record_id -> entity_id to `output_path` (Parquet).
    `tables_dir`: also write the intermediate tables there (records.parquet = int_person_records, pairs.parquet =
    int_persons_scored, clusters.parquet = int_persons_clustered, params.parquet = int_person_match_params),
    e.g. to compare engines. `state_dir`: keep the resolved base there and add to it (`link_batch`)."""
    if state_dir is not None:
        if entity != "person" or tables_dir is not None:
            raise ValueError("--state works for --entity person, without tables_dir")
        return link_batch(input_path, output_path, state_dir, train)
    return link_each([(input_path, output_path)], entity, train, work_dir, tables_dir)[0]


def link_batch(input_path: Path, output_path: Path, state_dir: Path, train: bool = True) -> dict:
    """`er link --state DIR`: the first run resolves its input in full (training on it) and keeps the dbt project
    and its database in DIR; every later run adds the records of its input that DIR does not hold yet as one batch
    (macros/er/er_batches.sql): the base's parameters, only the new pairs scored, only the clusters the new records
    reach clustered again, ids kept by the persisted map. The output holds every record of the input with its
    entity id, and every earlier record whose id this run changed (merged, moved, split); the whole map is
    intermediate.int_person_entities in DIR/link.duckdb. A run that stops half way resumes on the next run."""
    root = Path(state_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    db_path = root / "link.duckdb"
    input_path = Path(input_path).resolve()
    state_file = root / STATE_FILE
    by_plan = settings().er_batch_executor == "plan"
    # One connection for a batch run from the plan: each new one replays the write-ahead log (_connect). dbt needs
    # the database to itself, so the connection is closed around its commands.
    con = _connect(db_path)
    try:
        base = _has_table(con, "intermediate", "int_person_id_history")
        state = json.loads(state_file.read_text()) if base and state_file.exists() else {}
        rounds = state.get("label_rounds", LABEL_ROUNDS)
        # A kept profile keeps its memory limit, sized for the base: no need to count this input's rows.
        kept_profile = base and (root / "profiles.yml").exists()
        options = _write_project(root, db_path, "person", 0 if kept_profile else _input_rows(input_path),
                                 batches=True, label_rounds=rounds)  # fmt: skip
        # A later batch runs the SQL dbt compiled for batches when the folder's project is the one it was
        # compiled from (huitong.er.batch_plan); otherwise, and for the base, dbt builds.
        plan = load_plan(root) if base and by_plan else None
        trained = None
        if plan is not None:
            runs_before = con.execute(_RUNS_SQL).fetchone()[0]
            run_plan(con, plan, options, before=(_input_view(con, input_path, "person"),))
            records = con.execute("select count(*) from er_input.person_records").fetchone()[0]
            if con.execute(_UNSETTLED_SQL).fetchone()[0]:
                # A batch whose clusters did not settle is clustered again whole (--full-refresh): right, not fast.
                con.close()
                rounds = _settle_clusters(root, db_path, rounds)
                con = _connect(db_path)
        else:
            con.close()
            # Only the base trains; its parameters stay in DIR and later batches score with them.
            records = _load_input(db_path, input_path, "person")
            runs_before = _scalar(db_path, _RUNS_SQL) if base else 0
            trained, rounds = _build(
                root, db_path, "person", records, train and not base, rounds, seeds=not base
            )
            if by_plan:
                # A plan that does not compile leaves the build standing: the next batch runs through dbt.
                try:
                    compile_plan(root, _dbt)
                except RuntimeError as error:
                    log.warning("er batch plan: not compiled, the next batch runs through dbt: %s", error)
            con = _connect(db_path)
        state["label_rounds"] = rounds
        state_file.write_text(json.dumps(state))
        batch, changes = _write_batch_output(con, Path(output_path), runs_before)
    finally:
        con.close()
    new = changes.get("new", 0) + changes.get("joined", 0)  # records the map had no id for
    result = {"records": records, "batch": batch, "new_records": new,
              "trained": trained is not None, "id_changes": changes}  # fmt: skip
    log.info(
        "er link --state: batch %s, %d input records, %d new, id changes %s", batch, records, new, changes
    )
    return result


def _write_batch_output(
    con: duckdb.DuckDBPyConnection, output_path: Path, runs_before: int
) -> tuple[int, dict]:
    """Write the input's records and every record whose id changed after run `runs_before` (record_id, source,
    entity_id, link_kind, cluster_size) to `output_path`; returns the newest batch and the id changes by kind."""
    output_path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"""
        create temp table run_records as
        select source || ':' || record_id as record_key from er_input.person_records
        union
        select record_key from intermediate.int_person_id_history where run_seq > {int(runs_before)}
    """)
    con.execute(
        "copy (select e.record_id, e.source, e.entity_id, e.link_kind, e.cluster_size"
        " from intermediate.int_person_entities as e inner join run_records as r on r.record_key = e.record_key"
        f" order by e.source, e.record_id) to '{output_path.resolve()}' (format parquet)"
    )
    batch = con.execute("select max(er_batch) from intermediate.int_person_records").fetchone()[0]
    changes = con.execute(
        "select change_kind, count(*) from intermediate.int_person_id_history"
        f" where run_seq > {int(runs_before)} group by change_kind order by change_kind"
    ).fetchall()
    return batch, dict(changes)


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    # duckdb_tables(), not information_schema.tables: that view with bound parameters took ~0.3 s at 1M records
    found = con.execute(
        f"select count(*) from duckdb_tables() where schema_name = '{schema}' and table_name = '{table}'"
    )
    return bool(found.fetchone()[0])


def _scalar(db_path: Path, sql: str):
    with _connect(db_path) as con:
        return con.execute(sql).fetchone()[0]


def link_each(runs: list[tuple[Path, Path]], entity: str = "person", train: bool = True,
              work_dir: Path | None = None, tables_dir: Path | None = None) -> list[dict]:  # fmt: skip
    """`link` on each (input, output) in turn, in one throwaway project whose seeds are loaded once. Each run
    clusters its input afresh; the id map (int_person_id_history, int_camera_id_history) carries over, so a
    record seen by an earlier run keeps its entity id unless its entity merged or split (e.g. the same records
    before and after new ones arrive). Trained parameters do not carry over: each input trains afresh."""
    if entity not in ENTITIES:
        raise ValueError(f"er link supports entities {', '.join(ENTITIES)}, not {entity!r}")
    spec = ENTITIES[entity]
    results = []
    with tempfile.TemporaryDirectory(prefix="huitong-er-link-", dir=work_dir) as tmp:
        root = Path(tmp)
        db_path = root / "link.duckdb"
        largest = max(_input_rows(Path(input_path)) for input_path, _ in runs)
        _write_project(root, db_path, entity, largest)
        # One input: no earlier run, so the persisted map would give every cluster its proposed id (er_id_history's
        # first build); the map and the table reading it are skipped and the clustering's ids written.
        one_shot = len(runs) == 1
        ids_from = spec.cluster_model if one_shot else spec.entities
        for number, (input_path, output_path) in enumerate(runs):
            records = _load_input(db_path, Path(input_path).resolve(), entity)
            trained, _ = _build(root, db_path, entity, records, train, seeds=number == 0, id_map=not one_shot)
            output_path = Path(output_path)
            output_path.parent.mkdir(parents=True, exist_ok=True)
            with duckdb.connect(str(db_path)) as con:
                carried = ", ".join(spec.extra_columns)
                con.execute(
                    f"copy (select record_id, source, {spec.entity_column} as entity_id, {carried}"
                    f" from intermediate.{ids_from} order by source, record_id)"
                    f" to '{output_path.resolve()}' (format parquet)"
                )
                entities = con.execute(
                    f"select count(distinct {spec.entity_column}) from intermediate.{ids_from}"
                ).fetchone()[0]
                if trained is not None:
                    con.execute(
                        f"drop table if exists {PARAMS_NAMESPACE}.{PARAMS_TABLE}"
                    )  # the next input trains afresh
                if tables_dir is not None and entity == "person":
                    Path(tables_dir).mkdir(parents=True, exist_ok=True)
                    for name, model in (("records", "int_person_records"), ("pairs", "int_persons_scored"),
                                        ("clusters", "int_persons_clustered"), ("params", "int_person_match_params")):  # fmt: skip
                        target = (Path(tables_dir) / f"{name}.parquet").resolve()
                        con.execute(f"copy intermediate.{model} to '{target}' (format parquet)")
            log.info("er link: %d records -> %d entities", records, entities)
            results.append({"records": records, "entities": entities, "trained": trained is not None})
    return results

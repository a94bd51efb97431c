"""The person resolution models end to end on the real dbt project: every person source of a small simulated
city (hotel guests, rental landlords and tenants, parcel senders and recipients, trade sellers) ->
int_person_records ... dim_person; EM training; evaluation against the hidden truth; id stability when records are
added; the SQL comparison levels against their Python twin; `er link` on hand-written tricky records;
and the Trino compile of every person model."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlglot

from huitong.codes import make_resident_id
from huitong.config import settings
from huitong.er.evaluate import evaluate, evaluate_assignment, format_report
from huitong.er.link import link
from huitong.er.person_comparisons import compare
from huitong.er.training import train

from .er_person_fixtures import PERSON_MODELS, dbt, load_person_bronze

pytestmark = pytest.mark.slow

SCALE = 0.1
FIRST_SHARE = 0.7


def _run(cfg, *select: str) -> None:
    done = dbt(cfg, "run", "--select", *(select or PERSON_MODELS.split()))
    assert done.returncode == 0, done.stdout[-4000:]


def _entities(cfg) -> pd.DataFrame:
    with duckdb.connect(str(cfg.build_db), read_only=True) as con:
        return con.execute("select record_key, entity_id from intermediate.int_person_entities").df()


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A built city: run 1 on the first 70% of every person source's records, run 2 on all, then trained
    parameters."""
    home = tmp_path_factory.mktemp("er_person_home")
    mp = pytest.MonkeyPatch()
    mp.setenv("HUITONG_HOME", str(home))
    settings.cache_clear()
    from huitong.simulate import simulate

    cfg = settings()
    simulate(cfg, seed=20261123, scale=SCALE, as_of=date(2026, 6, 1), start=date(2025, 6, 1))
    load_person_bronze(cfg, share=FIRST_SHARE)
    seeded = dbt(cfg, "seed", "--select", "er_char_t2s", "er_char_pinyin", "er_person_params_default")
    assert seeded.returncode == 0, seeded.stdout[-4000:]
    _run(cfg)
    first = _entities(cfg)
    load_person_bronze(cfg)
    _run(cfg)
    second = _entities(cfg)
    with duckdb.connect(str(cfg.build_db), read_only=True) as con:
        second_log = con.execute(
            "select record_key, previous_entity_id, entity_id, change_kind from intermediate.int_person_id_history"
            " where run_seq = 2"
        ).df()
    trained = train("person", db_path=cfg.build_db, to="duckdb", random_pairs=20_000)
    # Downstream of the person models are also the integration metric marts, which need the whole city: not here.
    _run(cfg, "int_person_match_params+", "--exclude", "path:models/marts/governance")
    tested = dbt(
        cfg, "test", "--select", "int_persons_clustered+", "--exclude", "path:models/marts/governance"
    )
    yield {"cfg": cfg, "first": first, "second": second, "second_log": second_log, "trained": trained,
           "tested": tested}  # fmt: skip
    mp.undo()
    settings.cache_clear()


def test_quality_meets_the_issue_targets(city, tmp_path):
    report = evaluate(city["cfg"], output=tmp_path / "er_eval.json")
    print(format_report(report))
    assert report["coverage"]["scored_records"] == report["coverage"]["predicted_records"] > 1000
    with_id, without_id = report["all/with_resident_id"], report["all/without_resident_id"]
    assert with_id["pairwise_precision"] >= 0.998 and with_id["pairwise_recall"] >= 0.99
    assert without_id["pairwise_precision"] >= 0.98 and without_id["pairwise_recall"] >= 0.93
    assert (tmp_path / "er_eval.json").exists()


def test_em_training_gives_sensible_parameters(city):
    trained = city["trained"]
    assert trained.converged
    for field in ("id_number", "name", "phone", "birth_date"):
        m_exact, u_exact = trained.params[(field, "exact")]
        m_diff, u_diff = trained.params[(field, "different")]
        assert m_exact > 0.8 and u_exact < 0.01, field
        assert m_diff < 0.1 and u_diff > 0.9, field
    assert 0 < trained.prior < 0.01  # share of matches among all record pairs
    with duckdb.connect(str(city["cfg"].build_db), read_only=True) as con:
        origins = dict(
            con.execute(
                "select origin, count(*) from intermediate.int_person_match_params group by 1"
            ).fetchall()
        )
    assert origins == {"trained": 19}


def test_entity_ids_survive_added_records(city):
    first, second = city["first"], city["second"]
    assert len(second) > len(first)
    joined = first.merge(second, on="record_key", suffixes=("_1", "_2"))
    assert len(joined) == len(first)
    changed = joined[joined.entity_id_1 != joined.entity_id_2]
    # Ids change only by a logged merge, move or split, and rarely; every other run-1 record keeps its id.
    log = city["second_log"].set_index("record_key")
    print(f"run 1: {len(first)} records; run 2 appended:", log.change_kind.value_counts().to_dict())
    assert set(changed.record_key) == set(log.index[log.previous_entity_id.notna()])
    assert set(log.loc[list(changed.record_key), "change_kind"]) <= {"merged", "moved", "split"}
    assert len(changed) <= 0.005 * len(first), changed.head()
    # every new record is logged, and new records joined existing entities rather than all starting new ones
    new = second[~second.record_key.isin(first.record_key)]
    assert set(new.record_key) == set(log.index[log.previous_entity_id.isna()])
    assert (log.loc[list(new.record_key), "change_kind"] == "joined").mean() > 0.3
    assert new.entity_id.isin(first.entity_id).mean() > 0.3


def test_label_propagation_converged_and_dim_person_is_pseudonymised(city):
    assert city["tested"].returncode == 0, city["tested"].stdout[-3000:]
    with duckdb.connect(str(city["cfg"].build_db), read_only=True) as con:
        columns = {r[0] for r in con.execute("describe marts.dim_person").fetchall()}
        people = con.execute("select count(*), count(distinct entity_id) from marts.dim_person").fetchone()
        explained = con.execute(
            "select count(*), min(match_weight) from marts.fct_person_link_explanations"
        ).fetchone()
    assert {"entity_id", "full_name", "id_token", "phone_token", "jurisdiction_code", "birth_year"} <= columns
    assert not columns & {"id_number", "phone", "std_id_number", "std_phone", "address", "birth_date"}
    assert people[0] == people[1] > 0
    assert explained[0] > 0


def test_sql_comparison_levels_match_the_python_twin(city):
    fields = ["id_number", "name", "phone", "birth_date", "gender", "address"]
    with duckdb.connect(str(city["cfg"].build_db), read_only=True) as con:
        cur = con.execute("select * from intermediate.int_person_records")
        names = [d[0] for d in cur.description]
        records = {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
        pairs = con.execute(
            f"select record_key_l, record_key_r, {', '.join(f + '_level' for f in fields)}"
            " from intermediate.int_persons_scored using sample 3000 rows (reservoir, 7)"
        ).fetchall()
    mismatches = []
    for left, right, *levels in pairs:
        want = compare(records[left], records[right])
        got = dict(zip(fields, levels, strict=True))
        if got != want:
            mismatches.append((left, right, got, want))
    assert len(pairs) > 100 and mismatches == []


def _tricky_records() -> pd.DataFrame:
    zhang = make_resident_id("110105", date(1949, 12, 31), 2, male=True)
    zhang15 = zhang[:6] + zhang[8:17]  # the legacy 15-digit form
    zhang_typo = zhang[:10] + zhang[11] + zhang[10] + zhang[12:]  # two digits swapped
    other_zhang = make_resident_id("320102", date(1980, 1, 1), 7, male=True)
    wang = make_resident_id("330106", date(1992, 5, 17), 4, male=False)
    rows = [
        ("a1", "张伟", zhang, "13800138000", "1949-12-31", "男", "杭州市西湖区文三路5号3栋2单元501室"),
        ("a2", "張偉", zhang15, "+86 138-0013-8000", "19491231", "M", None),  # traditional, 15-digit ID
        (
            "a3",
            "Zhang Wei",
            zhang_typo,
            "13800138000",
            "1949/12/31",
            "1",
            "西湖区文三路5号3-2-501",
        ),  # pinyin, typo
        ("b1", "张伟", other_zhang, "13912345678", "1980-01-01", "男", "南京市玄武区中山路1号"),  # same name
        ("c1", "王晓敏", wang, "13700001111", "1992-05-17", "女", None),
        ("c2", "王晓敏", None, "13700001111", "1992-05-17", "F", None),  # no ID
        ("d1", "JOHN SMITH", "E12345678", "13600002222", "1975-02-03", "male", None),  # passport
        ("d2", "John  Smith", "E12345678", None, "1975-02-03", "M", None),
        ("e1", "李娜", None, None, "1990-01-01", "女", None),  # too little to link to anything
    ]
    return pd.DataFrame(
        rows, columns=["record_id", "full_name", "id_number", "phone", "birth_date", "gender", "address"]
    )


def _groups(entity_ids: pd.Series) -> list[list[str]]:
    return sorted(sorted(ids) for ids in entity_ids.groupby(entity_ids).groups.values())


def test_er_link_on_hand_written_tricky_records(tmp_path):
    _tricky_records().to_parquet(tmp_path / "in.parquet")
    summary = link(tmp_path / "in.parquet", tmp_path / "out.parquet", train=False, work_dir=tmp_path)
    out = pd.read_parquet(tmp_path / "out.parquet").set_index("record_id").entity_id
    assert _groups(out) == [["a1", "a2", "a3"], ["b1"], ["c1", "c2"], ["d1", "d2"], ["e1"]]
    assert summary == {"records": 9, "entities": 5, "trained": False}


def test_er_link_state_folder_can_move_and_a_repeated_record_joins_its_profile(tmp_path):
    """A --state folder moved elsewhere keeps working there (its dbt profile held the old absolute path, so a batch
    built the old folder's database); a batch record equal on every compared field to a base record (a repeat
    stay) is paired with that record alone (rule same_profile) and joins its entity."""
    frame = _tricky_records()
    frame.iloc[:5].to_parquet(tmp_path / "base.parquet")
    repeat = frame.iloc[[0]].assign(record_id="a4")  # a1 again
    pd.concat([frame.iloc[5:], repeat]).to_parquet(tmp_path / "batch.parquet")
    link(tmp_path / "base.parquet", tmp_path / "out_base.parquet", train=False, state_dir=tmp_path / "first")
    (tmp_path / "first").rename(tmp_path / "moved")

    batch = link(
        tmp_path / "batch.parquet", tmp_path / "out.parquet", train=False, state_dir=tmp_path / "moved"
    )
    assert not (tmp_path / "first").exists()
    assert (batch["batch"], batch["new_records"]) == (2, 5)
    with duckdb.connect(str(tmp_path / "moved" / "link.duckdb"), read_only=True) as con:
        resolved = con.execute("select record_id, entity_id from intermediate.int_person_entities").df()
        repeat_pairs = con.execute(
            "select record_key_l, blocking_rule from intermediate.int_persons_blocked"
            " where record_key_r = 'input:a4' or record_key_l = 'input:a4'"
        ).fetchall()
    assert _groups(resolved.set_index("record_id").entity_id) == [
        ["a1", "a2", "a3", "a4"], ["b1"], ["c1", "c2"], ["d1", "d2"], ["e1"]]  # fmt: skip
    assert repeat_pairs == [("input:a1", "same_profile")]


def test_er_link_state_without_a_plan_builds_its_batches_with_dbt(tmp_path, monkeypatch, caplog):
    """A base whose batch plan did not compile still stands, and its next batch runs through dbt (and compiles the
    plan again)."""
    import huitong.er.link as er_link
    from huitong.er.batch_plan import PLAN_FILE

    frame = _tricky_records()
    frame.iloc[:5].to_parquet(tmp_path / "base.parquet")
    frame.iloc[5:].to_parquet(tmp_path / "batch.parquet")

    def broken(root, dbt):
        raise RuntimeError("dbt compile failed in the er link project (simulated)")

    with monkeypatch.context() as patched, caplog.at_level("WARNING", logger="huitong.er.link"):
        patched.setattr(er_link, "compile_plan", broken)
        base = link(
            tmp_path / "base.parquet", tmp_path / "out_base.parquet", train=False, state_dir=tmp_path / "s"
        )
    assert base["batch"] == 1 and "not compiled, the next batch runs through dbt" in caplog.text
    assert not (tmp_path / "s" / PLAN_FILE).exists()

    caplog.clear()
    with caplog.at_level("INFO", logger="huitong.er.batch_plan"):
        batch = link(
            tmp_path / "batch.parquet", tmp_path / "out.parquet", train=False, state_dir=tmp_path / "s"
        )
    assert (batch["batch"], batch["new_records"]) == (2, 4)
    assert "compiled 9 models" in caplog.text and "er batch plan: int_persons_clustered" not in caplog.text
    assert (tmp_path / "s" / PLAN_FILE).exists()


def test_person_models_compile_for_trino(city):
    cfg = city["cfg"]
    done = dbt(cfg, "compile", "--no-populate-cache", "--vars", "{offline_compile: true}",
               "--select", *PERSON_MODELS.split(), target="trino")  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:]
    compiled = list((cfg.home / "dbt_target" / "compiled" / "huitong" / "models").rglob("*.sql"))
    person = [p for p in compiled if p.parent.name in ("persons", "integration")]
    assert len(person) >= 7
    for path in person:
        sql = path.read_text(encoding="utf-8")
        assert "levenshtein(" not in sql.replace("levenshtein_distance(", ""), (
            path
        )  # never DuckDB's byte count
        sqlglot.parse_one(sql, read="trino")


def test_city_person_input_holds_every_truth_record_once(city, tmp_path):
    from huitong.er.city_input import person_input
    from huitong.er.evaluate import load_truth

    cfg = city["cfg"]
    written = person_input(cfg.sources_dir, tmp_path / "all.parquet")
    frame = pd.read_parquet(tmp_path / "all.parquet")
    truth = load_truth(cfg)
    assert written == len(frame) == len(truth)
    assert set(zip(frame.source, frame.record_id, strict=True)) == set(
        zip(truth.source, truth.record_id, strict=True)
    )
    assert set(frame.source) == {"hotel", "rental", "parcel", "trade"}
    first = person_input(cfg.sources_dir, tmp_path / "first.parquet", limit=1000, sources=("parcel", "trade"))
    assert first == 1000 and set(pd.read_parquet(tmp_path / "first.parquet").source) <= {"parcel", "trade"}


def test_er_link_state_adds_a_batch_as_a_full_run_would(city, tmp_path, monkeypatch, caplog):
    """`er link --state`: a base of the first 90% of a city's person records, then the last 10% as one batch,
    resolves the city as one full run does, keeps the base's ids unless a logged merge, move or split changed
    them, and adding the same batch again adds nothing. The batch runs from the SQL dbt compiled for batches
    (huitong.er.batch_plan) and builds what `dbt run` builds from the same base."""
    from huitong.er.city_input import person_input
    from huitong.er.evaluate import load_truth

    cfg = city["cfg"]
    person_input(cfg.sources_dir, tmp_path / "all.parquet")
    frame = pd.read_parquet(tmp_path / "all.parquet")  # in arrival order (updated_at)
    cut = int(len(frame) * 0.9)
    frame.iloc[:cut].to_parquet(tmp_path / "base.parquet")
    frame.iloc[cut:].to_parquet(tmp_path / "batch.parquet")
    state = tmp_path / "state"

    base = link(tmp_path / "base.parquet", tmp_path / "out_base.parquet", train=False, state_dir=state)
    shutil.copytree(state, tmp_path / "state_dbt")
    with caplog.at_level("INFO", logger="huitong.er.batch_plan"):
        batch = link(tmp_path / "batch.parquet", tmp_path / "out_batch.parquet", train=False, state_dir=state)
    assert "er batch plan: int_persons_clustered" in caplog.text  # the batch ran from the compiled plan
    full = link(tmp_path / "all.parquet", tmp_path / "out_full.parquet", train=False, work_dir=tmp_path)
    assert (base["batch"], base["new_records"]) == (1, cut)
    assert (batch["batch"], batch["new_records"]) == (2, len(frame) - cut)
    with duckdb.connect(str(state / "link.duckdb"), read_only=True) as con:
        resolved = con.execute(
            "select source, record_id, entity_id from intermediate.int_person_entities"
        ).df()
    assert len(resolved) == len(frame) == full["records"]

    # the same partition as the full run, up to the few pairs whose blocks the batch reshuffled
    against_full = evaluate_assignment(resolved, pd.read_parquet(tmp_path / "out_full.parquet").rename(
        columns={"entity_id": "full_entity_id"}).assign(stratum="all"), truth_id="full_entity_id")["all/all"]  # fmt: skip
    print("batch vs full run:", against_full)
    assert against_full["pairwise_precision"] >= 0.999 and against_full["pairwise_recall"] >= 0.999
    truth = load_truth(cfg)
    inc_quality = evaluate_assignment(resolved, truth)["all/all"]
    full_quality = evaluate_assignment(pd.read_parquet(tmp_path / "out_full.parquet"), truth)["all/all"]
    assert inc_quality["pairwise_f1"] >= full_quality["pairwise_f1"] - 0.001

    # the batch's output: its records, and the base records whose id changed, each logged
    before = pd.read_parquet(tmp_path / "out_base.parquet").set_index(["source", "record_id"]).entity_id
    after = pd.read_parquet(tmp_path / "out_batch.parquet").set_index(["source", "record_id"]).entity_id
    batch_keys = set(zip(frame.source[cut:], frame.record_id[cut:], strict=True))
    changed = {k for k in after.index if k not in batch_keys}
    assert batch_keys <= set(after.index)
    assert all(before[k] != after[k] for k in changed)
    moved = sum(batch["id_changes"].get(kind, 0) for kind in ("merged", "moved", "split"))
    assert moved == len(changed) <= 0.005 * cut
    still = resolved.set_index(["source", "record_id"]).entity_id
    kept = [k for k in before.index if k not in changed]
    assert (still[kept] == before[kept]).all()

    again = link(tmp_path / "batch.parquet", tmp_path / "out_again.parquet", train=False, state_dir=state)
    assert (again["batch"], again["new_records"], again["id_changes"]) == (2, 0, {})
    assert len(pd.read_parquet(tmp_path / "out_again.parquet")) == len(frame) - cut

    # the same batch through dbt (the base copied before the batch) builds the same tables, row for row
    monkeypatch.setenv("HUITONG_ER_BATCH_EXECUTOR", "dbt")
    settings.cache_clear()
    caplog.clear()
    try:
        with caplog.at_level("INFO", logger="huitong.er.batch_plan"):
            link(tmp_path / "batch.parquet", tmp_path / "out_dbt.parquet", train=False,
                 state_dir=tmp_path / "state_dbt")  # fmt: skip
    finally:
        monkeypatch.delenv("HUITONG_ER_BATCH_EXECUTOR")
        settings.cache_clear()
    assert "er batch plan" not in caplog.text
    assert _table_differences(state / "link.duckdb", tmp_path / "state_dbt" / "link.duckdb") == {}


def _table_differences(a: Path, b: Path) -> dict[str, tuple[int, int]]:
    """Rows of each intermediate table in one database and not the other (as multisets), by table; the id map's
    assigned_at and invocation_id (when and by which run) left out."""
    differences = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{a}' as a (read_only)")
        con.execute(f"attach '{b}' as b (read_only)")
        tables = con.execute(
            "select table_name from duckdb_tables() where database_name = 'a' and schema_name = 'intermediate'"
        ).fetchall()
        for (table,) in tables:
            described = con.execute(f"describe a.intermediate.{table}").fetchall()
            columns = ", ".join(
                f'"{r[0]}"' for r in described if r[0] not in ("assigned_at", "invocation_id")
            )
            counts = tuple(
                con.execute(
                    f"select count(*) from (select {columns} from {x}.intermediate.{table}"
                    f" except all select {columns} from {y}.intermediate.{table})"
                ).fetchone()[0]
                for x, y in (("a", "b"), ("b", "a"))
            )
            if counts != (0, 0):
                differences[table] = counts
    return differences


def test_er_link_clusters_again_until_label_propagation_settles(tmp_path, monkeypatch, caplog):
    """With no label-propagation rounds (the model's rounds too few for a component), every linked pair of records
    without a valid resident ID is label_unconverged; er link clusters again with more rounds until none is."""
    import huitong.er.link as er_link

    monkeypatch.setattr(er_link, "LABEL_ROUNDS", 0)
    rows = [("d1", "JOHN SMITH", "E12345678", "13600002222", "1975-02-03", "male"),
            ("d2", "John  Smith", "E12345678", None, "1975-02-03", "M"),
            ("d3", "John Smith", "E12345678", "13600002222", "1975-02-03", None),
            ("e1", "李娜", None, None, "1990-01-01", "女")]  # fmt: skip
    pd.DataFrame(
        rows, columns=["record_id", "full_name", "id_number", "phone", "birth_date", "gender"]
    ).to_parquet(tmp_path / "in.parquet")
    with caplog.at_level("WARNING", logger="huitong.er.link"):
        link(tmp_path / "in.parquet", tmp_path / "out.parquet", train=False, work_dir=tmp_path)
    assert "clustering again with 1 label rounds" in caplog.text
    out = pd.read_parquet(tmp_path / "out.parquet").set_index("record_id").entity_id
    assert sorted(sorted(ids) for ids in out.groupby(out).groups.values()) == [["d1", "d2", "d3"], ["e1"]]

"""The persisted entity id map (macro er_id_history, dbt_project/macros/er/er_entity_ids.sql) on a labelled case:
three builds of hand-made clusters through the real macros and dbt-duckdb, checking which cluster keeps which id
and how each change is logged (new, joined, merged, moved, split), and that a late record that sorts first in its
cluster does not rename the entity. The person models' use of it on a simulated city is in test_er_person.py."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from huitong.er.reference_data import DBT_DIR

pytestmark = pytest.mark.slow


def proposed(cluster_key: str) -> str:
    return f"P-{cluster_key}"


def build(root: Path, clusters: dict[str, list[str]]) -> None:
    """One build: the clustering step's output is `clusters` (cluster key -> record keys), the proposed id of a
    cluster `P-<cluster key>`."""
    rows = [(r, key, proposed(key)) for key, records in clusters.items() for r in records]
    with duckdb.connect(str(root / "map.duckdb")) as con:
        con.execute(
            "create or replace table main.clusters (record_key varchar, cluster_key varchar, proposed_id varchar)"
        )
        if rows:
            con.executemany("insert into main.clusters values (?, ?, ?)", rows)
    args = ["run", "--project-dir", str(root), "--profiles-dir", str(root), "--log-path", str(root / "logs"),
            "--target-path", str(root / "target"), "--quiet"]  # fmt: skip
    result = dbtRunner().invoke(args)
    failed = [r.message for r in getattr(result.result, "results", []) if str(r.status) != "success"]
    assert result.success, result.exception or failed


def ids(root: Path) -> dict[str, str]:
    with duckdb.connect(str(root / "map.duckdb")) as con:
        return dict(con.execute("select record_key, entity_id from main.current_ids").fetchall())


def changes(root: Path, run_seq: int) -> dict[str, tuple[str | None, str, str]]:
    with duckdb.connect(str(root / "map.duckdb")) as con:
        rows = con.execute(
            "select record_key, previous_entity_id, entity_id, change_kind from main.id_history where run_seq = ?",
            [run_seq],
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(DBT_DIR / "macros", tmp_path / "macros")
    models = tmp_path / "models"
    models.mkdir()
    (tmp_path / "dbt_project.yml").write_text(
        "name: id_map_case\nversion: '1.0'\nconfig-version: 2\nprofile: id_map_case\n"
        "vars:\n  city_timezone: Asia/Shanghai\n",
        encoding="utf-8",
    )
    (tmp_path / "profiles.yml").write_text(
        "id_map_case:\n  target: duckdb\n  outputs:\n    duckdb:\n      type: duckdb\n"
        f"      path: '{tmp_path / 'map.duckdb'}'\n      schema: main\n      threads: 1\n",
        encoding="utf-8",
    )
    (models / "sources.yml").write_text(
        "version: 2\nsources:\n  - name: case\n    schema: main\n    tables:\n      - name: clusters\n",
        encoding="utf-8",
    )
    (models / "id_history.sql").write_text(
        "{{ config(materialized='incremental', incremental_strategy='append',\n"
        "          post_hook=\"{{ er_retire_departed(this, source('case', 'clusters')) }}\") }}\n"
        "{{ er_id_history(source('case', 'clusters'), 'record_key', 'cluster_key', 'proposed_id', 'P', 'person') }}\n",
        encoding="utf-8",
    )
    (models / "current_ids.sql").write_text(
        "{{ config(materialized='table') }}\n{{ er_latest_ids(ref('id_history')) }}\n", encoding="utf-8"
    )
    (models / "id_changes.sql").write_text(
        "{{ config(materialized='view') }}\n{{ er_id_changes(ref('id_history')) }}\n", encoding="utf-8"
    )
    return tmp_path


def test_ids_survive_joins_merges_and_splits(project):
    # Build 1: every record new, every cluster named by its proposed id.
    build(project, {"r1": ["r1", "r2"], "r3": ["r3"], "r4": ["r4", "r5", "r6"], "r8": ["r8", "r9", "r10"],
                    "r11": ["r11", "r12"]})  # fmt: skip
    first = ids(project)
    assert first["r2"] == "P-r1" and first["r6"] == "P-r4" and first["r12"] == "P-r11"
    assert {kind for _, _, kind in changes(project, 1).values()} == {"new"}

    # Build 2: a new record joins r1's entity; a late record r0 sorts first in r3's cluster (the cluster's key and
    # proposed id become r0's) but the entity keeps its id; r6 splits off r4's entity.
    build(project, {"r1": ["r1", "r2", "r7"], "r0": ["r0", "r3"], "r4": ["r4", "r5"], "r6": ["r6"],
                    "r8": ["r8", "r9", "r10"], "r11": ["r11", "r12"]})  # fmt: skip
    second = ids(project)
    assert second["r7"] == "P-r1" and second["r0"] == second["r3"] == "P-r3"
    assert second["r4"] == second["r5"] == "P-r4" and second["r6"] == "P-r6"
    assert changes(project, 2) == {
        "r7": (None, "P-r1", "joined"),
        "r0": (None, "P-r3", "joined"),
        "r6": ("P-r4", "P-r6", "split"),
    }

    # Build 3: r1's and r4's entities merge (both born in build 1; r1's cluster is named after r1, so P-r1 stays);
    # r8 leaves its entity, whose larger part keeps the id though it was named after r8: r8 gets a fresh id, not
    # P-r8 again; r12 moves to r3's entity (a one-one tie for P-r11 goes to the cluster holding r11); r13 is new.
    build(project, {"r1": ["r1", "r2", "r7", "r4", "r5"], "r0": ["r0", "r3", "r12"], "r6": ["r6"], "r8": ["r8"],
                    "r9": ["r9", "r10"], "r11": ["r11"], "r13": ["r13"]})  # fmt: skip
    third = ids(project)
    fresh = "P" + hashlib.md5(b"person|r8|3").hexdigest()[:15]
    assert changes(project, 3) == {
        "r4": ("P-r4", "P-r1", "merged"),
        "r5": ("P-r4", "P-r1", "merged"),
        "r8": ("P-r8", fresh, "split"),
        "r12": ("P-r11", "P-r3", "moved"),
        "r13": (None, "P-r13", "new"),
    }
    assert third["r9"] == third["r10"] == "P-r8" and third["r11"] == "P-r11" and third["r6"] == "P-r6"
    # one id per cluster, one cluster per id
    clusters = [
        ["r1", "r2", "r7", "r4", "r5"],
        ["r0", "r3", "r12"],
        ["r6"],
        ["r8"],
        ["r9", "r10"],
        ["r11"],
        ["r13"],
    ]
    assert [len({third[r] for r in c}) for c in clusters] == [1] * len(clusters)
    assert len({third[c[0]] for c in clusters}) == len(clusters)

    with duckdb.connect(str(project / "map.duckdb")) as con:
        log = con.execute(
            "select run_seq, change_kind, previous_entity_id, entity_id, records from main.id_changes order by all"
        ).fetchall()
    assert log == [
        (2, "split", "P-r4", "P-r6", 1),
        (3, "merged", "P-r4", "P-r1", 2),
        (3, "moved", "P-r11", "P-r3", 1),
        (3, "split", "P-r8", fresh, 1),
    ]


def test_an_unchanged_build_appends_nothing(project):
    clusters = {"a": ["a", "b"], "c": ["c"]}
    build(project, clusters)
    build(project, clusters)
    assert changes(project, 2) == {}
    assert ids(project) == {"a": "P-a", "b": "P-a", "c": "P-c"}


def history(root: Path) -> list[tuple[str | None, str, int]]:
    with duckdb.connect(str(root / "map.duckdb")) as con:
        return con.execute(
            "select record_key, entity_id, run_seq from main.id_history order by all"
        ).fetchall()


def test_records_that_left_every_source_are_unlinked_and_their_ids_never_reused(project):
    # Record keys are '<source>:<record id>'; two sources, s and t.
    build(project, {"s:a": ["s:a", "s:b"], "s:c": ["s:c"], "s:x": ["s:x"], "t:y": ["t:y"]})
    # s:b and s:x leave (retention removed them): their rows lose the record key, the rest of the map is as it
    # was. Source t came out empty (its bronze table being reloaded, say): its record keeps its link.
    build(project, {"s:a": ["s:a"], "s:c": ["s:c"]})
    assert history(project) == [
        ("s:a", "P-s:a", 1),
        ("s:c", "P-s:c", 1),
        ("t:y", "P-t:y", 1),
        (None, "P-s:a", 1),
        (None, "P-s:x", 1),
    ]
    assert ids(project) == {"s:a": "P-s:a", "s:c": "P-s:c", "t:y": "P-t:y"}
    # A build whose clustering came out empty unlinks nothing: a broken build must not wipe the map.
    build(project, {})
    assert ids(project) == {"s:a": "P-s:a", "s:c": "P-s:c", "t:y": "P-t:y"}
    # s:x comes back, or another cluster is named after it: P-s:x was given out, so the cluster gets a fresh id
    # (the builds since the first appended nothing, so this is run 2); t:y, back too, keeps its id.
    build(project, {"s:a": ["s:a"], "s:c": ["s:c"], "s:x": ["s:x"], "t:y": ["t:y"]})
    assert ids(project)["s:x"] == "P" + hashlib.md5(b"person|s:x|2").hexdigest()[:15]
    assert changes(project, 2) == {"s:x": (None, ids(project)["s:x"], "new")}
    assert ids(project)["t:y"] == "P-t:y"

"""Entity resolution beyond persons: cameras (天网 / 雪亮 / 慧眼 registrations -> physical cameras), places
(key-industry businesses across the register and four systems) and standard addresses.

Quality is measured on the metrics city (the real land/load path and dbt build of every mart, shared with the
metric tests) by `huitong.er.evaluate` against the simulator's hidden truth, with the issue's targets. Camera id
stability runs the same models through `huitong er link --entity camera` twice: on the registrations listed by a
cut-off date, then on all of them."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from huitong.er.evaluate import evaluate, score
from huitong.er.link import link_each

pytestmark = pytest.mark.slow  # the metrics city: simulated, landed, loaded and built with dbt

# The issue's acceptance targets (precision, recall) per entity type.
TARGETS = {"camera": (0.995, 0.98), "place": (0.995, 0.98), "address": (0.95, 0.90)}
PRECISION, RECALL = TARGETS["camera"]


@pytest.fixture(scope="module")
def camera_city(metrics_city):
    return metrics_city


def _meets_targets(report: dict, entity: str, slices: tuple[str, ...]) -> None:
    precision, recall = TARGETS[entity]
    overall = report["all/all"]
    assert overall["true_entities"] < overall["records"], overall  # there is something to resolve
    for name in slices:
        s = report[name]
        assert s["pairwise_precision"] >= precision and s["bcubed_precision"] >= precision, (name, s)
        assert s["pairwise_recall"] >= recall and s["bcubed_recall"] >= recall, (name, s)


def test_camera_quality_meets_the_issue_targets(camera_city):
    report = evaluate(camera_city.cfg, entity="camera")
    cov = report["coverage"]
    assert cov["scored_records"] == cov["predicted_records"] > 1000, (
        cov
    )  # every listed DeviceID found its truth
    _meets_targets(report, "camera", ("all/all", "all/multi_programme"))


def test_place_quality_meets_the_issue_targets(camera_city):
    report = evaluate(camera_city.cfg, entity="place")
    cov = report["coverage"]
    assert cov["scored_records"] == cov["predicted_records"] > 100, cov
    _meets_targets(report, "place", ("all/all",))
    with duckdb.connect(str(camera_city.cfg.build_db), read_only=True) as con:
        registered, places = con.execute(
            "select count_if(is_registered), count(*) from marts.dim_place"
        ).fetchone()
    assert registered == report["reference/business"]["records"] and places >= registered


def test_address_quality_meets_the_issue_targets(camera_city):
    report = evaluate(camera_city.cfg, entity="address")
    cov = report["coverage"]
    # rented houses have no truth; every other recorded address has
    assert cov["scored_records"] > 0.5 * cov["predicted_records"], cov
    _meets_targets(report, "address", ("all/all", "all/person_home"))
    with duckdb.connect(str(camera_city.cfg.build_db), read_only=True) as con:
        abbreviated = con.execute("select sum(abbreviated_record_count) from marts.dim_address").fetchone()[0]
    assert abbreviated > 0  # clerks' abbreviations were joined to their full forms


def test_dim_camera_keeps_its_columns_and_names_the_physical_camera(camera_city):
    with duckdb.connect(str(camera_city.cfg.build_db), read_only=True) as con:
        per_device = con.execute(
            "select count(*), count(distinct camera_id), count(camera_id) from marts.dim_camera"
        ).fetchone()
        physical = con.execute(
            "select count(*), sum(registrations), max(registrations) from marts.dim_physical_camera"
        ).fetchone()
        columns = {r[0] for r in con.execute("describe marts.dim_camera").fetchall()}
    devices, cameras, named = per_device
    assert named == devices and cameras < devices
    assert physical[0] == cameras and physical[1] == devices and physical[2] <= 3
    assert {"device_id", "programme", "is_current", "is_online", "jurisdiction_code", "civil_code"} <= columns


def test_camera_ids_survive_added_registrations(camera_city, tmp_path):
    devices = camera_city.cfg.sources_dir / "camera" / "devices.parquet"
    with duckdb.connect() as con:
        frame = con.execute(
            f"""select device_code as record_id, 'camera' as source, programme, device_code, device_name,
                       civil_code, longitude, latitude, cast(updated_at as timestamptz) as first_seen_at
                from read_parquet('{devices}')"""
        ).df()
    cutoff = frame.first_seen_at.quantile(0.7)
    frame[frame.first_seen_at <= cutoff].to_parquet(tmp_path / "first_in.parquet")
    frame.to_parquet(tmp_path / "second_in.parquet")
    runs = [
        (tmp_path / f"{name}_in.parquet", tmp_path / f"{name}_out.parquet") for name in ("first", "second")
    ]
    link_each(runs, entity="camera", work_dir=tmp_path)
    first, second = (pd.read_parquet(out) for _, out in runs)
    joined = first.merge(second, on="record_id", suffixes=("_1", "_2"))
    assert len(joined) == len(first) < len(second)
    assert (joined.entity_id_1 == joined.entity_id_2).all(), joined[
        joined.entity_id_1 != joined.entity_id_2
    ].head()
    new = second[~second.record_id.isin(first.record_id)]
    # later registrations joined cameras already known (a programme registers a camera weeks after another)
    assert new.entity_id.isin(first.entity_id).sum() >= 50
    # the link entry point on the simulator's own codes: the same quality as the warehouse build
    truth = pd.read_parquet(camera_city.cfg.ground_truth_dir / "camera_records.parquet")
    scored = score(
        second.merge(truth, on="record_id").rename(columns={"entity_id": "predicted", "camera_id": "truth"})
    )
    assert scored.records == len(second)
    assert scored.pairwise_precision >= PRECISION and scored.pairwise_recall >= RECALL, scored

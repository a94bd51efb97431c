"""Score a record -> entity assignment against the simulator's hidden ground truth (`huitong er evaluate`).

Pairwise precision / recall / F1 count record pairs put together (predicted) and truly together (same person_id);
B-cubed averages, per record, the share of its predicted cluster that is truly its person (precision) and the share
of its person that its cluster holds (recall). Strata split records by their TRUE person: `with_resident_id` (the
person holds a mainland resident ID, whether or not each record shows it) and `without_resident_id` (passport or
permit holders); a stratum's figures count only pairs inside it.

Cameras (`--entity camera`): registrations (one device code of one programme) against the physical camera; the
truth's device codes are mapped to the DeviceID the platforms list (a few were keyed in with a digit missing).
Strata: `multi_programme` (the physical camera is registered by 2-3 programmes) and `single_programme`.
Places (`--entity place`): every record naming a business (hotel registrations, trades, waybills, agency contracts,
register entries) against the business; one stratum, `business`, split by source in the report.
Addresses (`--entity address`): every recorded address against the clean address it was written from (strata
`person_home`, `business`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pandas as pd

from huitong.config import Settings, settings

RESIDENT_ID_TYPE = "居民身份证"
ENTITIES = ("person", "place", "address", "camera")


@dataclass(frozen=True)
class Scores:
    records: int
    true_entities: int
    predicted_entities: int
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def score(frame: pd.DataFrame) -> Scores:
    """`frame` has one row per record with columns `predicted` and `truth` (cluster labels)."""
    cell = frame.groupby(["predicted", "truth"]).size()
    predicted = frame.groupby("predicted").size()
    truth = frame.groupby("truth").size()
    together, predicted_pairs, true_pairs = _pairs(cell), _pairs(predicted), _pairs(truth)
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / true_pairs if true_pairs else 1.0
    # B-cubed: a record in cell c of predicted cluster P and true cluster T scores |c|/|P| and |c|/|T|
    cells = cell.rename("n").reset_index()
    cells["p_size"] = cells["predicted"].map(predicted)
    cells["t_size"] = cells["truth"].map(truth)
    n = len(frame)
    b_precision = float((cells["n"] ** 2 / cells["p_size"]).sum() / n) if n else 1.0
    b_recall = float((cells["n"] ** 2 / cells["t_size"]).sum() / n) if n else 1.0
    return Scores(n, len(truth), len(predicted), precision, recall, _f1(precision, recall),
                  b_precision, b_recall, _f1(b_precision, b_recall))  # fmt: skip


# Sources whose one row holds several people: the person model keys each person `<record_id>:<role>`
# (int_person_records), so the truth's rows of these sources are keyed the same way.
ROLE_KEYED_SOURCES = ("parcel",)


def load_truth(cfg: Settings) -> pd.DataFrame:
    """source, record_id, person_id, stratum for every person record the simulator wrote (record_id as the person
    model keys it)."""
    gt = cfg.ground_truth_dir
    role_keyed = ", ".join(f"'{s}'" for s in ROLE_KEYED_SOURCES)
    with duckdb.connect() as con:
        return con.execute(
            f"""select r.source,
                   case when r.source in ({role_keyed}) then r.record_id || ':' || r.role else r.record_id end
                       as record_id,
                   r.role, r.person_id,
                   case when p.id_type = '{RESIDENT_ID_TYPE}' then 'with_resident_id' else 'without_resident_id' end
                       as stratum
                from read_parquet('{gt / "person_records.parquet"}') as r
                join read_parquet('{gt / "persons.parquet"}') as p using (person_id)"""
        ).df()


def load_camera_truth(cfg: Settings) -> pd.DataFrame:
    """source, record_id (the DeviceID as listed), camera_id, stratum for every registration the simulator wrote."""
    from huitong.simulate.export_camera import listed_device_id

    with duckdb.connect() as con:
        truth = con.execute(
            f"""select source, record_id, camera_id,
                   case when count(*) over (partition by camera_id) > 1 then 'multi_programme'
                        else 'single_programme' end as stratum
                from read_parquet('{cfg.ground_truth_dir / "camera_records.parquet"}')"""
        ).df()
    truth["record_id"] = truth["record_id"].map(listed_device_id)
    return truth


def load_place_truth(cfg: Settings) -> pd.DataFrame:
    """source, record_id, business_id, stratum for every business-naming record the simulator wrote."""
    with duckdb.connect() as con:
        return con.execute(
            f"""select source, record_id, business_id, 'business' as stratum
                from read_parquet('{cfg.ground_truth_dir / "business_records.parquet"}')"""
        ).df()


def load_address_truth(cfg: Settings) -> pd.DataFrame:
    """source, record_id, true address (the clean standard form the record's address was written from), stratum.
    Derived from the hidden truth: a guest's, landlord's or parcel recipient's address is that person's home
    address, a register entry's its business's address (rented houses have no truth and are not scored)."""
    gt = cfg.ground_truth_dir
    with duckdb.connect() as con:
        return con.execute(
            f"""select r.source, r.record_id, p.address as true_address, 'person_home' as stratum
                from read_parquet('{gt / "person_records.parquet"}') as r
                join read_parquet('{gt / "persons.parquet"}') as p using (person_id)
                where r.role in ('guest', 'landlord', 'recipient') and p.address is not null
                union all
                select r.source, r.record_id, b.address, 'business' as stratum
                from read_parquet('{gt / "business_records.parquet"}') as r
                join read_parquet('{gt / "businesses.parquet"}') as b using (business_id)
                where r.source = 'reference' and b.address is not null"""
        ).df()


def evaluate_assignment(
    predicted: pd.DataFrame, truth: pd.DataFrame, truth_id: str = "person_id"
) -> dict[str, dict]:
    """`predicted`: source, record_id, entity_id. Only records present in both are scored; `coverage` says how
    many predicted records found their truth row (a join mistake shows up there, not as a good score)."""
    joined = predicted.merge(truth, on=["source", "record_id"], how="inner")
    joined = joined.rename(columns={"entity_id": "predicted", truth_id: "truth"})
    report: dict[str, dict] = {
        "coverage": {"predicted_records": len(predicted), "scored_records": len(joined)}
    }
    for (source, stratum), part in [(("all", "all"), joined), *joined.groupby(["source", "stratum"])]:
        report[f"{source}/{stratum}"] = asdict(score(part))
    for stratum, part in joined.groupby("stratum"):
        report[f"all/{stratum}"] = asdict(score(part))
    if "role" in joined.columns:  # persons: one slice per source and role (parcel senders vs recipients)
        for (source, role), part in joined.groupby(["source", "role"]):
            report[f"{source}.{role}/all"] = asdict(score(part))
    return report


CLUSTERED = {
    "person": "select source, record_id, entity_id from intermediate.int_person_entities",
    "place": "select source, record_id, place_id as entity_id from intermediate.int_places_clustered",
    "address": "select source, record_id, address_id as entity_id from intermediate.int_addresses_clustered",
    "camera": "select source, record_id, camera_id as entity_id from intermediate.int_camera_entities",
}


# entity -> (ground-truth loader, its entity column)
TRUTH = {
    "person": (load_truth, "person_id"),
    "place": (load_place_truth, "business_id"),
    "address": (load_address_truth, "true_address"),
    "camera": (load_camera_truth, "camera_id"),
}


def predicted_from_build(db_path: Path, entity: str = "person") -> pd.DataFrame:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(CLUSTERED[entity]).df()


def evaluate(cfg: Settings | None = None, db_path: Path | None = None, output: Path | None = None,
             entity: str = "person") -> dict:  # fmt: skip
    """Score the build's clusters of `entity` (CLUSTERED) against its ground truth (TRUTH); write JSON when
    `output` is given."""
    if entity not in ENTITIES:
        raise ValueError(f"entity must be one of {', '.join(ENTITIES)}, not {entity!r}")
    cfg = cfg or settings()
    load, truth_id = TRUTH[entity]
    report = evaluate_assignment(predicted_from_build(db_path or cfg.build_db, entity), load(cfg), truth_id)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return report


def format_report(report: dict) -> str:
    header = f"{'slice':34} {'records':>8} {'P pair':>8} {'R pair':>8} {'F1 pair':>8} {'P b3':>8} {'R b3':>8} {'F1 b3':>8}"
    lines = [header, "-" * len(header)]
    for name, s in report.items():
        if name == "coverage":
            continue
        lines.append(
            f"{name:34} {s['records']:>8} {s['pairwise_precision']:>8.4f} {s['pairwise_recall']:>8.4f}"
            f" {s['pairwise_f1']:>8.4f} {s['bcubed_precision']:>8.4f} {s['bcubed_recall']:>8.4f} {s['bcubed_f1']:>8.4f}"
        )
    cov = report["coverage"]
    lines.append(f"scored {cov['scored_records']} of {cov['predicted_records']} predicted records")
    return "\n".join(lines)

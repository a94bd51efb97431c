"""What every source's records share: the identity columns a clerk fills in, and byte-stable parquet writing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from huitong.simulate.noise import NoiseRates, corrupt_identity
from huitong.simulate.population import ID_CARD, People

ROW_GROUP_SIZE = 100_000


def identity_columns(rng: np.random.Generator, people: People, idx: np.ndarray, noise: NoiseRates) -> dict:
    """name / id_type / id_number / phone of the people at idx, with the typing noise of a counter clerk."""
    name = people.name[idx].copy()
    id_number = people.id_number[idx].copy()
    phone = people.phone[idx].copy()
    corrupt_identity(rng, name, id_number, phone, people.id_type[idx] == ID_CARD, noise)
    return {"name": name, "id_type": people.id_type[idx], "id_number": id_number, "phone": phone}


def _arrow(values) -> pa.Array:
    v = np.asarray(values)
    if v.dtype == bool:
        return pa.array(v, pa.bool_())
    if v.dtype.kind in "iu":
        return pa.array(v, pa.int64())
    if v.dtype.kind == "f":
        return pa.array(v, pa.float64())
    return pa.array(v, pa.string())


def sort_order(table: pa.Table, sort_by: tuple[str, ...]) -> np.ndarray:
    return pc.sort_indices(table, sort_keys=[(k, "ascending") for k in sort_by]).to_numpy()


def to_table(cols: dict[str, np.ndarray], sort_by: tuple[str, ...]) -> pa.Table:
    """Arrow table in a fixed row order (ascending on sort_by, which must identify a row); strings stay strings."""
    table = pa.table({k: _arrow(v) for k, v in cols.items()})
    return table.take(sort_order(table, sort_by))


def write_parquet(table: pa.Table, path: Path) -> int:
    """Same table in, same bytes out: fixed row groups, compression and writer options; written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(
        table,
        tmp,
        row_group_size=ROW_GROUP_SIZE,
        compression="zstd",
        compression_level=3,
        use_dictionary=True,
        write_statistics=True,
        store_schema=True,
    )
    tmp.replace(path)
    return table.num_rows


class Truth:
    """The hidden answers, collected column-wise as each source is built (never row tuples: scale 50 has tens of
    millions)."""

    def __init__(self) -> None:
        self.parts: dict[str, list[pa.Table]] = {"person": [], "business": [], "camera": []}

    def _add(self, kind: str, entity_col: str, source: str, record_ids, entity_ids, role=None) -> None:
        record_ids = np.asarray(record_ids, dtype=object)
        cols = {
            "source": pa.array(np.full(len(record_ids), source, dtype=object), pa.string()),
            "record_id": pa.array(record_ids, pa.string()),
        }
        if kind == "person":
            cols["role"] = pa.array(np.full(len(record_ids), role, dtype=object), pa.string())
        cols[entity_col] = pa.array(np.asarray(entity_ids, dtype=object), pa.string())
        self.parts[kind].append(pa.table(cols))

    def person(self, source: str, record_ids, role: str, person_ids) -> None:
        self._add("person", "person_id", source, record_ids, person_ids, role)

    def business(self, source: str, record_ids, business_ids) -> None:
        self._add("business", "business_id", source, record_ids, business_ids)

    def camera(self, source: str, record_ids, camera_ids) -> None:
        self._add("camera", "camera_id", source, record_ids, camera_ids)

    def table(self, kind: str) -> pa.Table:
        # Parts arrive in a fixed order and each is in a fixed order, so the concatenation is already
        # deterministic; sorting tens of millions of string keys at scale 50 would cost a minute for nothing.
        return pa.concat_tables(self.parts[kind])

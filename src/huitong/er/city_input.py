"""A simulated city's person records as the documented `huitong er link` input, for benchmarks and parity runs.

The same records int_person_records reads through the staging models, mapped here straight from the simulator's
stores (one row per record as its system last wrote it): hotel guests, rental landlords and tenants, parcel senders
and recipients (`<waybill_no>:sender|recipient`, as the model and `huitong er evaluate` key them), trade sellers.
The first `limit` records in the order the source systems wrote them (updated_at; ISO text with the city's one
offset, so text order is time order), so a smaller input is an earlier state of the same city.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

PERSON_SOURCES = ("hotel", "rental", "parcel", "trade")

# source -> (store under sources/, record id expression, documented columns as expressions); None: NULL
_RECORDS = {
    "hotel": [("hotel/registrations", "reg_id", "reg_id",
               ("guest_name", "id_number", "phone", "birth_date", "gender", "address"))],
    "rental": [("rental/landlords", "landlord_id", "landlord_id",
                ("name", "id_number", "phone", None, None, "address")),
               ("rental/tenants", "tenant_id", "tenant_id", ("name", "id_number", "phone", None, None, None))],
    "parcel": [("parcel/waybills", "waybill_no", "waybill_no || ':sender'",
                ("sender_name", "sender_id_number", "sender_phone", None, None, None)),
               ("parcel/waybills", "waybill_no", "waybill_no || ':recipient'",
                ("recipient_name", None, "recipient_phone", None, None, "recipient_address"))],
    "trade": [("trade/trades", "trade_id", "trade_id",
               ("seller_name", "seller_id_number", "seller_phone", None, None, None))],
}  # fmt: skip
_COLUMNS = ("full_name", "id_number", "phone", "birth_date", "gender", "address")


def _select(sources_dir: Path, source: str, store: str, key: str, record_id: str, columns: tuple) -> str:
    values = ", ".join(
        f"cast({expr} as varchar) as {name}" if expr else f"cast(null as varchar) as {name}"
        for expr, name in zip(columns, _COLUMNS, strict=True)
    )
    return (
        f"select '{source}' as source, cast({record_id} as varchar) as record_id, {values},"
        f" cast(updated_at as varchar) as updated_at"
        f" from read_parquet('{sources_dir / store}.parquet')"
        f" qualify row_number() over (partition by {key} order by updated_at desc) = 1"
    )


def person_input(sources_dir: Path, output: Path, limit: int | None = None,
                 sources: tuple[str, ...] = PERSON_SOURCES) -> int:  # fmt: skip
    """Write the first `limit` person records of `sources` (the documented er link columns) to `output`
    (Parquet); returns the number written."""
    unknown = set(sources) - set(_RECORDS)
    if unknown:
        raise ValueError(f"no person records in {sorted(unknown)}; sources: {', '.join(PERSON_SOURCES)}")
    selects = [_select(sources_dir, s, *spec) for s in sources for spec in _RECORDS[s]]
    output.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute(f"""
            copy (
                select source, record_id, {", ".join(_COLUMNS)} from ({" union all ".join(selects)}) as records
                order by updated_at, source, record_id
                {f"limit {int(limit)}" if limit is not None else ""}
            ) to '{output}' (format parquet)
        """)
        return con.execute(f"select count(*) from read_parquet('{output}')").fetchone()[0]

"""Housing-rental registrations (房屋租赁): the housing system's PostgreSQL database, pulled incrementally.

One source per table (landlords, tenants, contracts). A window is ``start <= updated_at < end`` on the table's
``updated_at``, read with psycopg in key order through a server-side cursor and landed as JSON Lines, one part per
page: exactly the rows the query returned, typed values rendered as text (times as ISO 8601 in the city's
offset, booleans as true/false). Soft deletes are updates like any other: a deleted row arrives with
``is_deleted = true`` and its deletion time as ``updated_at``, is kept in bronze, and staging drops it.

The connection string comes from ``HUITONG_RENTAL_DSN`` (read here, in ``rental_dsn``, and nowhere else).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from huitong.config import ConfigError, Settings
from huitong.lake.landing import RawPart
from huitong.sources._files import parse_lines, parse_lines_table, to_lines
from huitong.sources.base import FieldWatermark, ParsedPart, as_text
from huitong.sources.hotel import SourceUnavailable

CITY_TIMEZONE = "Asia/Shanghai"


def rental_dsn() -> str:
    dsn = os.environ.get("HUITONG_RENTAL_DSN")
    if not dsn:
        raise ConfigError(
            "HUITONG_RENTAL_DSN is not set: point it at the housing system's PostgreSQL "
            "(locally: `python -m huitong.simulate.serve_rental` prints the DSN to export)."
        )
    return dsn


def _redacted(dsn: str) -> str:
    """host:port/dbname, for lineage: never the user or password."""
    from psycopg.conninfo import conninfo_to_dict

    info = conninfo_to_dict(dsn)
    return f"postgresql://{info.get('host', '')}:{info.get('port', '5432')}/{info.get('dbname', '')}"


def render(value: object) -> str | None:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return as_text(value)


def _named(part_name: str, parsed: ParsedPart) -> ParsedPart:
    parsed.errors = [(o, p, f"{part_name}: {r}") for o, p, r in parsed.errors]
    return parsed


@dataclass
class RentalTableSource(FieldWatermark):
    entity: str
    key: str
    columns: tuple[str, ...]
    pseudonymised: tuple[tuple[str, str], ...] = ()
    name: str = "rental"
    snapshot: bool = False
    # The one field watermark() reads: the loader parses each of its distinct values once per batch.
    watermark_field: str = "updated_at"
    page_size: int = 20_000

    def extract(self, start: datetime, end: datetime, cfg: Settings) -> Iterator[RawPart]:
        import psycopg
        from psycopg import sql

        dsn = rental_dsn()
        query = sql.SQL(
            "select {cols} from {table} where updated_at >= %s and updated_at < %s order by updated_at, {key}"
        ).format(
            cols=sql.SQL(", ").join(map(sql.Identifier, self.columns)),
            table=sql.Identifier(self.entity),
            key=sql.Identifier(self.key),
        )
        try:
            conn = psycopg.connect(dsn, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise SourceUnavailable(f"rental database {_redacted(dsn)} is unreachable: {exc}") from exc
        with conn:
            conn.execute(sql.SQL("set timezone to {}").format(sql.Literal(CITY_TIMEZONE)))
            origin = f"{_redacted(dsn)}?table={self.entity}&updated_from={start.isoformat()}&updated_to={end.isoformat()}"
            with conn.cursor(name=f"huitong_{self.entity}") as cursor:
                cursor.execute(query, (start, end))
                page = 0
                while rows := cursor.fetchmany(self.page_size):
                    page += 1
                    records = [{c: render(v) for c, v in zip(self.columns, row, strict=True)} for row in rows]
                    yield RawPart(
                        name=f"{self.entity}-{page:05d}.jsonl", data=to_lines(records), origin=origin
                    )

    def parse(self, part_name: str, data: bytes) -> ParsedPart:
        return _named(part_name, parse_lines(data))

    def parse_table(self, part_name: str, data: bytes) -> ParsedPart:
        """``parse``, the lines read into Arrow string columns by Arrow's JSON reader where it reads them as
        json.loads does (huitong.sources._files.parse_lines_table): the same records, errors and offsets."""
        return _named(part_name, parse_lines_table(data, columns=self.columns))


_PERSON = ("name", "id_type", "id_number", "phone")
_TRACKING = ("created_at", "updated_at", "is_deleted")
_IDENTIFIERS = (("id_number", "resident_id"), ("phone", "phone"))

SOURCES = {
    "landlords": RentalTableSource(
        entity="landlords",
        key="landlord_id",
        columns=("landlord_id", *_PERSON, "address", *_TRACKING),
        pseudonymised=_IDENTIFIERS,
    ),
    "tenants": RentalTableSource(
        entity="tenants",
        key="tenant_id",
        columns=("tenant_id", "contract_id", *_PERSON, *_TRACKING),
        pseudonymised=_IDENTIFIERS,
    ),
    "contracts": RentalTableSource(
        entity="contracts",
        key="contract_id",
        columns=(
            "contract_id",
            "landlord_id",
            "house_address",
            "district_code",
            "police_station_code",
            "agency_code",
            "agency_name",
            "agency_uscc",
            "start_date",
            "end_date",
            "monthly_rent",
            *_TRACKING,
        ),  # fmt: skip
    ),
}

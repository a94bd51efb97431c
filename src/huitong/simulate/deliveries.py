"""What the simulated systems deliver as files (drop folders), as opposed to what they serve (the hotel API).

`huitong simulate` writes the stores first, then these deliveries for the whole history, so `history_load` and the
daily DAGs find every file a real system would have dropped. Camera catalogues are full snapshots (~1.5 MB a day at
any scale): only the most recent days are delivered; status events and police exports cover the whole history.
Parcel waybills arrive as hourly JSON Lines files (some gzipped, some late, some re-sent) and second-hand trades as
one CSV or Excel upload per shop and day. The rental system is a database, not a delivery: see serve_rental.
"""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from huitong.config import Settings
from huitong.simulate.export_camera import export_camera
from huitong.simulate.export_public_safety import export_public_safety
from huitong.simulate.serve_parcel import write_drop
from huitong.simulate.serve_trade import write_uploads

CATALOG_DAYS = 7


def write_deliveries(cfg: Settings, *, start: date, as_of: date, log=print) -> dict[str, dict[str, int]]:
    written = {"reference": {"key_businesses": _registry_csv(cfg)}}
    # Police exports cover last year too: the year-on-year figures compare against it.
    written["public_safety"] = export_public_safety(
        cfg, start=min(start, date(as_of.year - 1, 1, 1)), end=as_of
    )
    log(f"deliveries: public_safety exports {written['public_safety']}")
    events = export_camera(cfg, start=start, end=as_of, catalogs=False)
    catalogs = export_camera(
        cfg, start=max(start, as_of - timedelta(days=CATALOG_DAYS)), end=as_of, events=False
    )
    written["camera"] = {"status": events["status"], "catalog": catalogs["catalog"]}
    log(f"deliveries: camera files {written['camera']}")
    dropped = write_drop(cfg)
    written["parcel"] = {
        "files": len(dropped),
        "waybills": sum(f.rows for f in dropped if f.duplicate_of is None),
    }
    uploads = write_uploads(cfg)
    written["trade"] = {"files": len(uploads), "trades": sum(u.rows for u in uploads)}
    log(f"deliveries: parcel drop {written['parcel']}, trade uploads {written['trade']}")
    return written


def _registry_csv(cfg: Settings) -> int:
    """The key-industry registry as the public-security bureau publishes it: a CSV file."""
    table = pq.read_table(cfg.sources_dir / "reference" / "key_businesses.parquet")
    pacsv.write_csv(table, cfg.sources_dir / "reference" / "key_businesses.csv")
    return table.num_rows

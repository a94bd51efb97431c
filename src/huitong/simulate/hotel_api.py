"""The hotel source system's registration API, served from the simulated store.

    GET /api/v1/registrations?updated_from=<ISO>&updated_to=<ISO>&limit=<n<=1000>&cursor=<opaque>
        -> {"data": [records ordered by (updated_at, reg_id)], "next_cursor": str | null}
        window: updated_from <= updated_at < updated_to (either bound optional; a time without offset is +08:00)
    GET /health -> {"status": "ok", "records": n}

It behaves like the real thing the pipeline has to survive: bearer-token auth (401), a token-bucket rate limit
(429 with Retry-After), and seeded random 500/503 faults. The cursor is the key of the last row returned, so paging
through a window returns every record in it exactly once even across retries.
"""

from __future__ import annotations

import base64
import bisect
import hmac
import json
import math
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from huitong.config import settings

DEFAULT_RATE_PER_S = 20.0
DEFAULT_ERROR_RATE = 0.02
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
BEIJING = timezone(timedelta(hours=8))
_EPOCH = datetime(1970, 1, 1)


class BadRequest(ValueError):
    pass


class RegistrationStore:
    """The parquet store, loaded once, ordered by (updated_at, reg_id), indexed by updated_at seconds."""

    def __init__(self, path: Path):
        table = pq.read_table(path).sort_by([("updated_at", "ascending"), ("reg_id", "ascending")])
        self.table = table
        local = pc.strptime(
            pc.utf8_slice_codeunits(table.column("updated_at"), 0, 19), format="%Y-%m-%dT%H:%M:%S", unit="s"
        )
        self.seconds = local.to_numpy().astype("datetime64[s]").astype(np.int64)
        self.reg_ids = table.column("reg_id").to_numpy(zero_copy_only=False)

    def __len__(self) -> int:
        return self.table.num_rows

    def position_after(self, updated_s: int, reg_id: str) -> int:
        lo = int(np.searchsorted(self.seconds, updated_s, "left"))
        hi = int(np.searchsorted(self.seconds, updated_s, "right"))
        return bisect.bisect_right(self.reg_ids, reg_id, lo, hi)

    def page(self, start_s: int | None, end_s: int | None, after: tuple[int, str] | None, limit: int):
        lo = 0 if start_s is None else int(np.searchsorted(self.seconds, start_s, "left"))
        hi = len(self) if end_s is None else int(np.searchsorted(self.seconds, end_s, "left"))
        if after is not None:
            lo = max(lo, self.position_after(*after))
        stop = min(hi, lo + limit)
        rows = self.table.slice(lo, max(0, stop - lo)).to_pylist()
        more = stop < hi
        return rows, ((int(self.seconds[stop - 1]), str(self.reg_ids[stop - 1])) if more and rows else None)


def local_seconds(value: str) -> int:
    """An ISO 8601 instant as seconds of Beijing wall-clock time since 1970 (the store's clock)."""
    text = value.strip()
    if len(text) > 6 and text[-6] == " " and text[-5:-3].isdigit():
        text = text[:-6] + "+" + text[-5:]  # an unescaped '+' in a query string arrives as a space
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest(f"not an ISO 8601 time: {value!r}") from exc
    if dt.tzinfo is not None:
        dt = dt.astimezone(BEIJING).replace(tzinfo=None)
    return math.floor((dt - _EPOCH).total_seconds())


def encode_cursor(key: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        s, r = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return int(s), str(r)
    except (ValueError, TypeError) as exc:
        raise BadRequest("invalid cursor") from exc


class TokenBucket:
    def __init__(self, rate_per_s: float, capacity: float | None = None):
        self.rate = rate_per_s
        self.capacity = capacity if capacity is not None else max(1.0, rate_per_s)
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> float:
        """0 if a request may go now, else the seconds until one may."""
        if self.rate <= 0:
            return 0.0
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate


class HotelAPIServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address, store: RegistrationStore, token: str, rate_per_s: float, error_rate: float, seed: int
    ):
        super().__init__(address, _Handler)
        self.store = store
        self.token = token
        self.bucket = TokenBucket(rate_per_s)
        self.error_rate = error_rate
        self.faults = random.Random(seed)
        self.fault_lock = threading.Lock()

    def inject_fault(self) -> int | None:
        with self.fault_lock:
            if self.error_rate > 0 and self.faults.random() < self.error_rate:
                return self.faults.choice((500, 503))
        return None


class _Handler(BaseHTTPRequestHandler):
    server: HotelAPIServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's signature
        pass  # request logs would drown test output; the pipeline logs its own calls

    def _send(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        url = urlsplit(self.path)
        if url.path == "/health":
            return self._send(200, {"status": "ok", "records": len(self.server.store)})
        if url.path != "/api/v1/registrations":
            return self._send(404, {"error": "not_found"})
        expected = f"Bearer {self.server.token}".encode()
        if not hmac.compare_digest(self.headers.get("Authorization", "").encode(), expected):
            return self._send(401, {"error": "unauthorized"}, {"WWW-Authenticate": "Bearer"})
        wait = self.server.bucket.take()
        if wait > 0:
            retry = max(1, math.ceil(wait))
            return self._send(
                429, {"error": "rate_limited", "retry_after": retry}, {"Retry-After": str(retry)}
            )
        fault = self.server.inject_fault()
        if fault is not None:
            return self._send(
                fault, {"error": "upstream_unavailable"}, {"Retry-After": "1"} if fault == 503 else None
            )
        try:
            body = self._registrations(parse_qs(url.query))
        except BadRequest as exc:
            return self._send(400, {"error": "bad_request", "detail": str(exc)})
        return self._send(200, body)

    def _registrations(self, query: dict[str, list[str]]) -> dict:
        def one(name: str) -> str | None:
            values = query.get(name)
            return values[-1] if values else None

        start = one("updated_from")
        end = one("updated_to")
        try:
            limit = int(one("limit") or DEFAULT_LIMIT)
        except ValueError as exc:
            raise BadRequest("limit must be an integer") from exc
        if limit < 1:
            raise BadRequest("limit must be at least 1")
        cursor = one("cursor")
        rows, last = self.server.store.page(
            local_seconds(start) if start else None,
            local_seconds(end) if end else None,
            decode_cursor(cursor) if cursor else None,
            min(limit, MAX_LIMIT),
        )
        return {"data": rows, "next_cursor": encode_cursor(last) if last else None}


def default_store_path() -> Path:
    return settings().sources_dir / "hotel" / "registrations.parquet"


def make_server(
    store_path: Path | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    token: str | None = None,
    rate_per_s: float = DEFAULT_RATE_PER_S,
    error_rate: float = DEFAULT_ERROR_RATE,
    seed: int = 0,
) -> HotelAPIServer:
    """A server bound but not yet serving. port None -> the port of settings().hotel_api_url; 0 -> a free port.
    rate_per_s <= 0 disables the rate limit."""
    path = Path(store_path) if store_path else default_store_path()
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `huitong simulate` first")
    if port is None:
        port = urlsplit(settings().hotel_api_url).port or 8701
    return HotelAPIServer(
        (host, port),
        RegistrationStore(path),
        token if token is not None else settings().hotel_api_token,
        rate_per_s,
        error_rate,
        seed,
    )


def serve_forever(**kwargs) -> None:
    """Block serving (the CLI's `huitong source serve hotel`); Ctrl-C stops it."""
    server = make_server(**kwargs)
    host, port = server.server_address[:2]
    print(
        f"hotel API on http://{host}:{port} ({len(server.store):,} registrations); Ctrl-C to stop", flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@contextmanager
def running_server(**kwargs) -> Iterator[str]:
    """Serve in a background thread for the duration of the block; yields the base URL."""
    kwargs.setdefault("port", 0)
    server = make_server(**kwargs)
    thread = threading.Thread(target=server.serve_forever, name="hotel-api", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

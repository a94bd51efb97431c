"""Hotel guest registrations (旅馆业): an HTTP JSON API with a bearer token, cursor pagination and rate limiting."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

from huitong.config import Settings
from huitong.lake.landing import RawPart
from huitong.sources.base import (
    FieldWatermark,
    ParsedPart,
    as_text,
    may_hold_surrogates,
    storable_text,
    unstorable,
)

log = logging.getLogger(__name__)

COLUMNS = (
    "reg_id", "hotel_code", "hotel_name", "hotel_uscc", "guest_name", "id_type", "id_number", "gender",
    "birth_date", "phone", "address", "room_no", "checkin_time", "checkout_time", "district_code",
    "police_station_code", "updated_at",
)  # fmt: skip


class SourceUnavailable(RuntimeError):
    """The source kept failing after retries; the task fails and Airflow retries it later. Nothing was landed."""


def _next_cursor(body: bytes, page: int) -> str | None:
    """The page's next_cursor (None or "" on the last page). The page is landed as it is (and quarantined at load)
    whatever it holds; a cursor that cannot be sent back (a list or object, or text with no UTF-8 spelling, such as
    a lone surrogate from an escape) stops the extraction with a message instead of a crash in the HTTP client."""
    try:
        cursor = json.loads(body).get("next_cursor")
    except (ValueError, AttributeError) as exc:
        raise SourceUnavailable(f"hotel API page {page} is not valid JSON: {exc}") from exc
    if cursor is None or cursor == "":
        return None
    if isinstance(cursor, int) and not isinstance(cursor, bool):
        return str(cursor)  # an offset, sent back as the query string spells it
    if not isinstance(cursor, str):
        raise SourceUnavailable(f"hotel API page {page}: next_cursor is a {type(cursor).__name__}, not text")
    try:
        cursor.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SourceUnavailable(
            f"hotel API page {page}: next_cursor {storable_text(cursor)!r} has no UTF-8 spelling ({exc.reason})"
        ) from exc
    return cursor


def retry_after(value: str | None, default: float, now: datetime | None = None) -> float:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110); ``default`` when it is
    absent or unreadable; never negative, never more than 10 minutes (a misconfigured header must not hang the run)."""
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return default
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), 600.0)


@dataclass
class HotelApiSource(FieldWatermark):
    name: str = "hotel"
    entity: str = "registrations"
    columns: tuple[str, ...] = COLUMNS
    # Direct identifiers that get a keyed token column (<column>_token) at load; see huitong.pseudonymise.
    pseudonymised: tuple[tuple[str, str], ...] = (("id_number", "resident_id"), ("phone", "phone"))
    snapshot: bool = False
    # The one field watermark() reads: the loader parses each of its distinct values once per batch.
    watermark_field: str = "updated_at"
    page_size: int = 1000
    max_attempts: int = 6
    max_rate_limited: int = 100  # 429s waited out per request before it counts as failing
    timeout_s: float = 30.0

    def _get(self, session: requests.Session, url: str, params: dict) -> bytes:
        delay, attempt, paced = 0.5, 0, 0
        while True:
            try:
                response = session.get(url, params=params, timeout=self.timeout_s)
            except requests.RequestException as exc:
                reason = f"connection error: {exc}"
            else:
                if response.status_code == 200:
                    return response.content
                if response.status_code in (401, 403):
                    raise SourceUnavailable(
                        f"hotel API refused the token ({response.status_code}); check HUITONG_HOTEL_API_TOKEN"
                    )
                # A 429 is the server pacing us, not a failure: it does not use up an attempt, but a server that
                # never stops pacing is an outage like any other.
                if response.status_code == 429 and paced < self.max_rate_limited:
                    paced += 1
                    wait = retry_after(response.headers.get("Retry-After"), default=delay)
                    log.info("hotel API rate limit: waiting %.1fs as asked (Retry-After)", wait)
                    time.sleep(wait)
                    continue
                reason = f"HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code == 429:
                    reason += f" (rate-limited {paced} times in a row)"
            attempt += 1
            if attempt >= self.max_attempts:
                raise SourceUnavailable(
                    f"hotel API {url} failed {attempt} times, last: {reason}. Nothing was landed; the run can be "
                    "retried as is. Check that the hotel system is up and that HUITONG_HOTEL_API_URL points at it"
                    " (`huitong source serve hotel` runs the simulated one)."
                )
            log.warning("hotel API attempt %d failed (%s); retrying in %.1fs", attempt, reason, delay)
            time.sleep(delay)
            delay = min(delay * 2, 30.0)

    def extract(self, start: datetime, end: datetime, cfg: Settings) -> Iterator[RawPart]:
        url = cfg.hotel_api_url.rstrip("/") + "/api/v1/registrations"
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {cfg.hotel_api_token}"
            params = {
                "updated_from": start.isoformat(),
                "updated_to": end.isoformat(),
                "limit": self.page_size,
            }
            page = 0
            while True:
                body = self._get(session, url, params)
                page += 1
                yield RawPart(
                    name=f"page-{page:05d}.json", data=body, origin=f"{url}?cursor={params.get('cursor', '')}"
                )
                cursor = _next_cursor(body, page)
                if not cursor:
                    return
                params["cursor"] = cursor

    def parse(self, part_name: str, data: bytes) -> ParsedPart:
        parsed = ParsedPart()
        try:
            body = json.loads(data)
            rows = body["data"]
            if not isinstance(rows, list):
                raise TypeError("'data' is not a list")
        except (ValueError, KeyError, TypeError) as exc:
            parsed.errors.append(
                (0, data.decode("utf-8", "replace"), f"malformed API page {part_name}: {exc}")
            )
            return parsed
        # An escape like \ud800 (or its bytes) somewhere on the page: its records are checked one by one.
        surrogates = may_hold_surrogates(data)
        for offset, row in enumerate(rows):
            record = {key: as_text(value) for key, value in row.items()} if isinstance(row, dict) else None
            problem = "record is not a JSON object" if record is None else surrogates and unstorable(record)
            if problem:  # the payload: the record's JSON, a lone surrogate spelled as its escape
                parsed.errors.append((offset, storable_text(json.dumps(row, ensure_ascii=False)), problem))
                continue
            parsed.records.append(record)
        return parsed


SOURCE = HotelApiSource()

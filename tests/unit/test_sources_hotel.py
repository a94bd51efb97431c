"""The hotel API extraction's cursor handling, against a stubbed page fetch (the real API is exercised by
tests/integration/test_hotel_api.py): every page is landed, and a page whose next_cursor cannot be sent back stops
the extraction with SourceUnavailable naming the page, never a crash in the HTTP client."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from huitong.config import settings
from huitong.sources.hotel import HotelApiSource, SourceUnavailable

WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))


def _extract(pages: list[bytes], landed: list[str]) -> list[dict]:
    """Extracts from a stub serving `pages` in turn, appending each landed part's name to `landed`; returns the
    query parameters of each request."""
    sent: list[dict] = []
    source = HotelApiSource()

    def fetch(session, url, params):
        sent.append(dict(params))
        return pages[len(sent) - 1]

    source._get = fetch  # type: ignore[method-assign]
    for part in source.extract(*WINDOW, settings()):
        landed.append(part.name)
    return sent


def test_pages_follow_the_cursor_until_it_runs_out():
    names: list[str] = []
    sent = _extract([b'{"data": [], "next_cursor": "c2"}', b'{"data": [], "next_cursor": 3}',
                     b'{"data": [], "next_cursor": null}'], names)  # fmt: skip
    assert names == ["page-00001.json", "page-00002.json", "page-00003.json"]
    assert [p.get("cursor") for p in sent] == [None, "c2", "3"]


@pytest.mark.parametrize(
    ("next_cursor", "says"),
    [(b'"\\ud800x"', "no UTF-8 spelling"), (b'["c2"]', "next_cursor is a list"), (b"{}", "is a dict")],
)
def test_a_cursor_that_cannot_be_sent_back_stops_with_a_message(next_cursor, says):
    page = b'{"data": [], "next_cursor": ' + next_cursor + b"}"
    landed: list[str] = []
    with pytest.raises(SourceUnavailable, match=f"page 1: .*{says}"):
        _extract([page, b'{"data": [], "next_cursor": null}'], landed)
    assert landed == ["page-00001.json"]  # the page itself is landed (and quarantined at load)


class _Response:
    def __init__(self, status: int, headers: dict | None = None, body: bytes = b"{}"):
        self.status_code, self.headers, self.content, self.text = status, headers or {}, body, body.decode()


class _Session:
    """Answers each get with the next of ``responses``."""

    def __init__(self, responses: list[_Response]):
        self.responses, self.calls = list(responses), 0

    def get(self, url, params, timeout):
        self.calls += 1
        return self.responses.pop(0)


@pytest.fixture
def slept(monkeypatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr("huitong.sources.hotel.time.sleep", waits.append)
    return waits


def test_rate_limiting_is_waited_out_as_asked_without_using_up_attempts(slept):
    date = "Wed, 21 Oct 2099 07:28:00 GMT"  # an HTTP-date Retry-After: waited as far as the 10-minute cap
    responses = [_Response(429, {"Retry-After": "2"})] * 7 + [_Response(429, {"Retry-After": date})]
    session = _Session([*responses, _Response(200, body=b'{"data": []}')])
    assert HotelApiSource()._get(session, "http://h/api", {}) == b'{"data": []}'
    assert slept == [2.0] * 7 + [600.0]


def test_a_server_that_never_stops_pacing_fails_with_a_message(slept):
    source = HotelApiSource(max_attempts=2, max_rate_limited=3)
    session = _Session([_Response(429, {"Retry-After": "soon"})] * 10)
    with pytest.raises(SourceUnavailable, match=r"failed 2 times, last: HTTP 429.*rate-limited 3 times"):
        source._get(session, "http://h/api", {})
    assert session.calls == 5 and slept[:3] == [
        0.5,
        0.5,
        0.5,
    ]  # an unreadable Retry-After: the backoff's delay


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("3", 3.0), ("-4", 0.0), ("1e9", 600.0), ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0), ("Mon, 07 Dec 2026 10:00:30 GMT", 30.0),
     (None, 1.5), ("soon", 1.5)],
)  # fmt: skip
def test_retry_after_reads_seconds_and_http_dates(header, seconds):
    from huitong.sources.hotel import retry_after

    assert retry_after(header, default=1.5, now=datetime(2026, 12, 7, 10, tzinfo=UTC)) == seconds

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

"""Parsing helpers shared by the sources that land files: JSON Lines (parcel drop, rental extracts) and whole
files that cannot be read at all (parcel, trade)."""

from __future__ import annotations

import base64
import json

from huitong.sources.base import ParsedPart, as_text

# What json.loads runs on a line, without its wrappers (decode, raw_decode): a third of the call on small objects.
_SCAN = json.JSONDecoder().scan_once
_TEXT = frozenset({str, type(None)})
_ASCII_SPACE = " \t\n\r\x0b\x0c"  # what bytes.strip() removes: a line is blank by the same test either way


def parse_lines(data: bytes, extra: dict[str, str] | None = None) -> ParsedPart:
    """One JSON object per line, values as text (plus ``extra`` columns); blank lines skipped; a line that is not
    UTF-8, not JSON or not an object is an error row. The line number is the offset."""
    parsed = ParsedPart()
    try:  # one decode for the whole part: b"\n" never occurs inside a UTF-8 sequence, so the lines are the same
        lines: list[str] | list[bytes] = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        lines = data.split(b"\n")  # decoded line by line below, to name the lines that are not UTF-8
    last = len(lines) - 1
    for number, raw in enumerate(lines):
        if not raw.strip(_ASCII_SPACE if type(raw) is str else None):
            continue
        if type(raw) is str:
            line = raw
        else:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                parsed.errors.append((number, raw.decode("utf-8", "replace"), f"line is not UTF-8: {exc}"))
                continue
        record = None
        if line[:1] == "{" and line[-1:] == "}":  # the usual line: json.loads's own scanner, called directly
            try:
                record, end = _SCAN(line, 0)
            except (StopIteration, ValueError):
                record = None
            else:
                record = record if end == len(line) else None
        if record is None:  # anything else takes json.loads itself, for its exact result and error message
            try:
                record = json.loads(line)
            except ValueError as exc:
                cut = " (last line has no newline: the file looks truncated)" if number == last else ""
                parsed.errors.append((number, line, f"malformed JSON{cut}: {exc}"))
                continue
        if not isinstance(record, dict):
            parsed.errors.append((number, line, f"line is JSON but not an object ({type(record).__name__})"))
            continue
        # Text and null pass through as they are (as_text would return them unchanged): a call per value was a
        # third of the parse on large drops, and a new dict per record most of the rest.
        if not _TEXT.issuperset(map(type, record.values())):
            record = {k: v if v is None or type(v) is str else as_text(v) for k, v in record.items()}
        if extra:
            record.update(extra)
        parsed.records.append(record)
    return parsed


def to_lines(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def whole_file_error(part_name: str, data: bytes, reason: str) -> ParsedPart:
    """A part nothing can be read from: one error row holding all its bytes (base64), so nothing is lost."""
    return ParsedPart(errors=[(0, "base64:" + base64.b64encode(data).decode(), f"{part_name}: {reason}")])

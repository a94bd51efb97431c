"""Parsing helpers shared by the sources that land files: JSON Lines (parcel drop, rental extracts) and whole
files that cannot be read at all (parcel, trade)."""

from __future__ import annotations

import base64
import codecs
import csv
import io
import json
import logging
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from huitong.sources.base import ParsedPart, as_text, may_hold_surrogates, unstorable

log = logging.getLogger(__name__)

# What json.loads runs on a line, without its wrappers (decode, raw_decode): a third of the call on small objects.
_SCAN = json.JSONDecoder().scan_once
_TEXT = frozenset({str, type(None)})
_ASCII_SPACE = " \t\n\r\x0b\x0c"  # what bytes.strip() removes: a line is blank by the same test either way


def parse_lines(data: bytes, extra: dict[str, str] | None = None) -> ParsedPart:
    """One JSON object per line, values as text (plus ``extra`` columns); blank lines skipped; a line that is not
    UTF-8, not JSON or not an object is an error row. The line number is the offset. A UTF-8 byte order mark
    at the start of the part (Windows tools write one) is not part of the first line."""
    return _parse_lines(data.removeprefix(codecs.BOM_UTF8), extra)


def _parse_lines(data: bytes, extra: dict[str, str] | None) -> ParsedPart:
    parsed = ParsedPart()
    try:  # one decode for the whole part: b"\n" never occurs inside a UTF-8 sequence, so the lines are the same
        lines: list[str] | list[bytes] = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        lines = data.split(b"\n")  # decoded line by line below, to name the lines that are not UTF-8
    surrogates = may_hold_surrogates(data)  # a line with an escape like \ud800 is checked record by record
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
        if surrogates and may_hold_surrogates(line) and (problem := unstorable(record)):
            parsed.errors.append((number, line, problem))
            continue
        if extra:
            record.update(extra)
        parsed.records.append(record)
    return parsed


def decode_text(part_name: str, data: bytes) -> str:
    """The text of a file in UTF-8 (a byte order mark allowed) or else GB18030 (a superset of the GB2312 and GBK
    that older systems write), whatever it declares: UTF-8 validity is a strong signal, declarations often lie.

    A file that is neither as a whole but mixes the two (records appended by two versions of a program) is decoded
    line by line, each line as UTF-8 when it is valid UTF-8 and as GB18030 otherwise, with a warning naming the
    file and its lines of each kind. Only then: many GB18030 lines are valid UTF-8 by accident (a two-byte GB
    character can spell a two-byte UTF-8 one: 诈骗 reads as 'թƭ'), so a file GB18030 reads whole is read whole. A
    mix whose UTF-8 lines GB18030 also reads (even runs of CJK characters) is therefore still read as GB18030.
    ValueError names the first line that is neither, and its bytes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode("gb18030")
    except UnicodeDecodeError:
        pass
    texts, gb_lines, utf8_lines = [], [], 0
    for number, line in enumerate(body.split(b"\n")):
        if line.isascii():
            texts.append(line.decode("ascii"))
            continue
        try:
            texts.append(line.decode("utf-8"))
            utf8_lines += 1
        except UnicodeDecodeError:
            try:
                texts.append(line.decode("gb18030"))
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"the file is neither UTF-8 nor GB18030 (line {number + 1}: undecodable bytes at offset "
                    f"{exc.start}: {line[exc.start : exc.start + 8]!r}); ask the sender for its export's encoding"
                ) from None
            gb_lines.append(number + 1)
    shown = ", ".join(map(str, gb_lines[:10])) + (" …" if len(gb_lines) > 10 else "")
    log.warning(
        "%s mixes encodings: %d lines read as GB18030 (lines %s), %d non-ASCII lines as UTF-8; ask the sender "
        "to export in one encoding", part_name, len(gb_lines), shown, utf8_lines,
    )  # fmt: skip
    return "\n".join(texts)


def to_lines(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def whole_file_error(part_name: str, data: bytes, reason: str) -> ParsedPart:
    """A part nothing can be read from: one error row holding all its bytes (base64), so nothing is lost."""
    return ParsedPart(errors=[(0, "base64:" + base64.b64encode(data).decode(), f"{part_name}: {reason}")])


# Bytes of whole lines per Arrow read: large enough that Arrow's per-call cost vanishes, small enough that one
# malformed line sends only its own chunk through parse_lines.
_CHUNK = 1 << 22
# A closing brace followed on its line by anything but a separator: a line holding more than one JSON value (Arrow
# would read "{...} {...}" as two records, and "{...} null" as a record of nulls, where json.loads fails). Also
# matches "}x" inside a string value, which only costs that chunk the slow path.
_TRAILING = re.compile(rb"\}[ \t\r]*[^,}\]\s]")


def parse_lines_table(
    data: bytes, extra: dict[str, str] | None = None, columns: Sequence[str] = ()
) -> ParsedPart:
    """``parse_lines`` as Arrow string columns (ParsedPart.table, .partial and .errors): the same records in the same
    order, the same error rows with the same line numbers.

    Arrow's C++ JSON reader reads the part a chunk of lines at a time (~4x less CPU than json's scanner plus a dict
    per record and their conversion to columns), with every field read as a string (``columns`` first). A chunk
    Arrow might read differently from json.loads goes through ``parse_lines`` instead, line by line: any line not
    exactly one object between its first and last byte (blank lines, a BOM, two values on a line: Arrow would skip,
    accept or split what json.loads rejects), any value that is not a string or null, a lone surrogate, bytes that
    are not UTF-8, or a count of records that is not the count of lines. (A key given twice: Arrow keeps the last
    value, as json.loads does.)"""
    import pyarrow as pa

    data = data.removeprefix(codecs.BOM_UTF8)
    parsed = ParsedPart()
    # (table, first row, the chunk and its line starts when Arrow read it, the records when parse_lines did)
    pieces: list[tuple[pa.Table, int, tuple | None, list[dict] | None]] = []
    rows, first_line = 0, 0
    # Chunks are views of the part: no second copy of its bytes (~0.5 s per 470 MB here).
    whole = memoryview(data)
    chunks = [whole[start:end] for start, end in _line_chunks(data)]
    with ThreadPoolExecutor(2) as pool:  # Arrow's reader releases the GIL: both cores read chunks
        read = list(pool.map(lambda chunk: _arrow_lines(chunk, columns, extra), chunks))
    for chunk, arrow in zip(chunks, read, strict=True):
        records = None
        if arrow is None:
            text = bytes(chunk)
            lines = _parse_lines(text, extra)
            parsed.errors += [(first_line + n, payload, reason) for n, payload, reason in lines.errors]
            records = lines.records
            table = _records_table(records, columns)
            newlines = text.count(b"\n")
        else:
            table, starts, ends = arrow
            newlines = len(starts) - (chunk[-1] != 0x0A)
        pieces.append((table, rows, None if records is not None else (chunk, starts, ends), records))
        rows += table.num_rows
        first_line += newlines
    if not pieces:
        return parsed
    table = pa.concat_tables([p[0] for p in pieces], promote_options="default")
    width = table.num_columns
    # Where a record may lack a key: a null in its row (absent and null read alike), or a Python-read record.
    present = np.ones(rows, dtype=bool)
    for column in table.columns:
        if column.null_count:
            present &= column.is_valid().to_numpy(zero_copy_only=False)
    has_null = np.flatnonzero(~present)
    # The rows with a null, taken once: a take per piece would join every chunk each time.
    with_null = table.take(pa.array(has_null, pa.int64()))
    cuts = np.searchsorted(has_null, [p[1] for p in pieces] + [rows])
    for k, (_, first, chunk, records) in enumerate(pieces):
        if records is not None:
            parsed.partial.update({first + i: r for i, r in enumerate(records) if len(r) != width})
        elif cuts[k + 1] > cuts[k]:
            text, starts, ends = chunk  # one object per line: row i is line i
            mine, nulls = has_null[cuts[k] : cuts[k + 1]], with_null.slice(cuts[k], cuts[k + 1] - cuts[k])
            for line in _maybe_short(text, starts, mine - first, nulls).tolist():
                record = json.loads(bytes(text[starts[line] : ends[line]]))
                if extra:
                    record.update(extra)
                if len(record) != width:
                    parsed.partial[first + line] = record
    parsed.table = table.combine_chunks()  # one chunk per column, as Table.from_pylist gives: pandas and GX
    return parsed  # filter a column of one chunk faster


# A key _maybe_short can find by its bytes: no quote or backslash in it, and not starting with what may follow a
# string's closing quote in JSON (so '"key"' can only begin at an opening quote).
_SPELLED_OUT = re.compile(r'(?:[^"\\,:{}\[\] \t\r\n][^"\\]*)?', re.DOTALL)


def _maybe_short(text: memoryview, starts: np.ndarray, lines: np.ndarray, nulls) -> np.ndarray:
    """Of ``lines`` (lines of ``text``, starting at ``starts``, that Arrow read as the rows of table ``nulls``, each
    with a null), those whose record may lack a key rather than hold it as null: json.loads reads only these.
    In a line without a backslash (an escape could spell a key another way, or hide a quote) every quote delimits
    a string, so the line holds key k exactly when its bytes hold '"k"', JSON whitespace and a colon. Every other
    line is returned. json.loads of every line with a null cost ~0.3 s per 1M parcel records, ~3% of which hold
    one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    bounds = np.append(starts, len(text)).astype(np.int32)  # line i: its bytes up to the next line's start
    every = pa.StringArray.from_buffers(len(starts), pa.py_buffer(bounds), pa.py_buffer(text))
    chosen = every.take(pa.array(lines, pa.int64()))
    maybe = pc.match_substring(chosen, "\\").to_numpy(zero_copy_only=False)
    for name, column in zip(nulls.column_names, nulls.columns, strict=True):
        null = column.is_null().to_numpy(zero_copy_only=False) & ~maybe
        if not null.any():
            continue
        if not _SPELLED_OUT.fullmatch(name):  # the match could start at a closing quote: json.loads judges
            maybe |= null
            continue
        spelled = "".join(f"\\x{{{ord(c):x}}}" for c in name)  # RE2 reads each character literally
        held = pc.match_substring_regex(chosen.filter(null), f'"{spelled}"[ \\t\\r\\n]*:')
        maybe[np.flatnonzero(null)[~held.to_numpy(zero_copy_only=False)]] = True
    return lines[maybe]


def _line_chunks(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of consecutive slices of ``data`` of about _CHUNK bytes, each ending after a line feed (the last
    one at the end of the data)."""
    out, start = [], 0
    while start < len(data):
        cut = data.find(b"\n", start + _CHUNK - 1)
        end = len(data) if cut < 0 else cut + 1
        out.append((start, end))
        start = end
    return out


def _records_table(records: list[dict], columns: Sequence[str]):
    from huitong.lake.records import record_keys, records_table  # pyarrow: imported when a part is read

    return records_table(records, record_keys(records, columns))


def _arrow_lines(chunk: memoryview, columns: Sequence[str], extra: dict[str, str] | None):
    """The chunk's records read by Arrow as string columns with the start and end of each line (row i is line i),
    or None when Arrow's reading could differ from parse_lines's (see parse_lines_table)."""
    import pyarrow as pa
    import pyarrow.json as pajson

    buf = np.frombuffer(chunk, dtype=np.uint8)
    feeds = np.flatnonzero(buf == 0x0A)
    ends = feeds if buf[-1] == 0x0A else np.append(feeds, len(buf))
    starts = np.concatenate(([0], feeds + 1))[: len(ends)]
    # The last byte of a line, before a carriage return ('\r' is whitespace to json.loads and Arrow alike).
    last = ends - 1
    last = last - ((last > starts) & (buf[np.maximum(last, 0)] == 0x0D))
    if not len(ends) or (last <= starts).any():  # a blank line, or one of a single byte
        return None
    if (buf[starts] != 0x7B).any() or (buf[last] != 0x7D).any() or _TRAILING.search(chunk):
        return None
    known = [c for c in columns if not extra or c not in extra]
    table = None
    for _ in range(2):  # again with the fields Arrow inferred (a timestamp, say) read as strings
        schema = pa.schema([pa.field(c, pa.string()) for c in known])
        try:
            table = pajson.read_json(
                pa.BufferReader(chunk),
                read_options=pajson.ReadOptions(use_threads=False, block_size=len(chunk) + 1),
                parse_options=pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer"),
            )
            names = table.column_names  # a key that is not UTF-8 raises here, not in the read
        except (pa.ArrowException, ValueError):  # ValueError: UnicodeDecodeError of Arrow's message or a key
            return None
        if all(t == pa.string() for t in table.schema.types):
            break
        if set(known) >= set(names):
            return None
        known = names
    else:
        return None
    if table.num_rows != len(ends):
        return None
    try:
        table.validate(full=True)  # every string is UTF-8
    except pa.ArrowInvalid:
        return None
    for name, value in (extra or {}).items():  # record.update(extra): the batch's value wins
        column = pa.repeat(pa.scalar(value, pa.string()), table.num_rows)
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, column)
        else:
            table = table.append_column(name, column)
    return table.combine_chunks(), starts, ends


# ---- plain CSV through Arrow's reader (trade uploads, public-safety exports) ----

# Exactly the characters str.isspace() accepts (tests/unit/test_sources_trade.py checks the list against every code
# point), so a blank cell means the same here as in the csv-module readers' tests (str.strip, str.isspace).
SPACE_CODE_POINTS = (
    0x9, 0xA, 0xB, 0xC, 0xD, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
    0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
)  # fmt: skip
_BLANK = "^[" + "".join(f"\\x{{{c:x}}}" for c in SPACE_CODE_POINTS) + "]*$"
# The bytes the UTF-8 spelling of a SPACE_CODE_POINTS character starts with.
_SPACE_FIRST_BYTES = np.isin(np.arange(256), [chr(c).encode()[0] for c in SPACE_CODE_POINTS])


def plain_csv_table(data: bytes, header_names: Callable[[list[str]], list[str]], *, blank_cells: bool):
    """A CSV file without quotes as Arrow string columns, the records a csv-module reader gives in the same order,
    or None when Arrow's reading could differ from the csv module's (a quote or NUL byte, ragged rows, a header
    with a blank last cell) or the bytes are neither UTF-8 nor GB18030: the caller's csv-module reader then reads
    the file and names what is wrong with it.

    The header is the first line, its cells named by ``header_names``; a UTF-8 byte order mark is dropped; rows
    whose every cell is empty or whitespace are dropped; an empty cell is None, and so is a whitespace-only one when
    ``blank_cells``."""
    import pyarrow as pa

    # In UTF-8 and GB18030 alike a quote or NUL byte is never part of a multi-byte character: testing the bytes
    # is testing the decoded text.
    if b'"' in data or b"\x00" in data:
        return None
    body = data.removeprefix(codecs.BOM_UTF8)
    try:  # UTF-8, tried first: Arrow reads the bytes as they are, and checks every cell is UTF-8
        return _plain_csv_table(_first_line(body).decode("utf-8"), body, header_names, blank_cells)
    except (UnicodeError, pa.ArrowInvalid):
        pass
    try:  # GB18030 whole, as decode_text reads it (a file that mixes encodings is left to the caller's reader)
        text = body.decode("gb18030")
        return _plain_csv_table(_first_line(text), text.encode("utf-8"), header_names, blank_cells)
    except (UnicodeError, pa.ArrowInvalid):
        return None


def _first_line(text: str | bytes) -> str | bytes:
    return text[: text.find("\n" if isinstance(text, str) else b"\n") + 1 or len(text)]


def _plain_csv_table(head: str, data: bytes, header_names, blank_cells: bool):
    """plain_csv_table of UTF-8 ``data`` whose first line is ``head``. Raises pa.ArrowInvalid when a cell is not
    UTF-8."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    header = _header_cells(head)
    if not header or not (header[-1] or "").strip() or not any(h.strip() for h in header):
        return None
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = _string_columns(data, names, pacsv.ParseOptions(quote_char=False, ignore_empty_lines=True))
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc).upper().replace("-", ""):
            raise  # not UTF-8: the caller decodes the file as GB18030 and tries again
        return None
    if _too_long_for_csv_module(data, table):
        return None
    columns, blank_row = [], np.ones(table.num_rows, dtype=bool)
    for name in names:
        column = table[name]
        empty, blank = _empty_and_blank(column)
        nulls = blank if blank_cells else empty
        columns.append(pc.if_else(pa.array(nulls), None, column) if nulls.any() else column)
        blank_row &= blank
    table = pa.table(columns, names=header_names(header))
    if not blank_row.any():
        return table  # filtering copies every column: only when there is a blank row to drop
    return table.filter(pa.array(~blank_row))


def _header_cells(line: str) -> list[str] | None:
    """The cells of a CSV header line as the csv module reads them; None for no cell, or for a cell over
    csv.field_size_limit(), which the caller's csv-module reader quarantines (the file whole)."""
    try:
        return next(csv.reader(io.StringIO(line, newline="")), None)
    except csv.Error:
        return None


def _string_columns(data: bytes, names: list[str], parse_options):
    """The rows below the header line of CSV ``data`` as string columns ``names`` (an empty cell ""), read by
    Arrow's reader with ``parse_options``. Raises pa.ArrowInvalid (a cell not UTF-8, a row of another width)."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    return pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        parse_options=parse_options,
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False
        ),
    )


def _too_long_for_csv_module(data: bytes, table) -> bool:
    """Whether a cell of ``table`` (read from ``data``) is longer than the csv module reads: it refuses the file
    (quarantined whole), so the columnar readers must not load it instead."""
    limit = csv.field_size_limit()
    return len(data) > limit and any(_longest(column) > limit for column in table.columns)


def _longest(column) -> int:
    """The most characters in a cell of the column (chunked Arrow strings); 0 when it has none. Counted in bytes
    from the offsets first (a cell has at least as many bytes as characters), in characters only past the limit."""
    import pyarrow.compute as pc

    from huitong.arrow_strings import string_buffers

    most = max((int(np.diff(string_buffers(chunk)[0]).max(initial=0)) for chunk in column.chunks), default=0)
    if most <= csv.field_size_limit():
        return most
    return pc.max(pc.utf8_length(column)).as_py() or 0


def _empty_and_blank(column) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of the column (chunked Arrow strings): empty, and blank (empty or only SPACE_CODE_POINTS). Only
    non-empty cells that start with a byte a space's UTF-8 starts with are asked the _BLANK regex: asking every
    cell was ~0.6 s of a 1M-row upload where few cells are blank."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kinds = [_maybe_blank(chunk) for chunk in column.chunks]
    empty = np.concatenate([e for e, _ in kinds] or [np.zeros(0, dtype=bool)])
    blank = empty.copy()
    rows = np.flatnonzero(np.concatenate([m for _, m in kinds] or [np.zeros(0, dtype=bool)]) & ~empty)
    if len(rows):
        blank[rows] = pc.match_substring_regex(column.take(pa.array(rows)), _BLANK).to_numpy(
            zero_copy_only=False
        )
    return empty, blank


def _maybe_blank(chunk) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of a string array: (empty, empty or its first byte is one a SPACE_CODE_POINTS character starts
    with)."""
    from huitong.arrow_strings import string_buffers

    offsets, data = string_buffers(chunk)
    empty = offsets[1:] == offsets[:-1]
    if not len(data):
        return empty, empty
    first = data[np.minimum(offsets[:-1], len(data) - 1)]  # an empty cell's index is clamped; it is `empty`
    return empty, empty | _SPACE_FIRST_BYTES[first]


# ---- quoted CSV through Arrow's reader (reference registries) ----

_QUOTED_CELL = '"(?:[^"]|"")*"'  # RE2: a cell in double quotes, a quote inside it doubled
# RE2 repeats a group at most 1,000 times, and the form check repeats one per cell after the first.
_MOST_COLUMNS = 1001


def quoted_csv_table(data: bytes, header_names: Callable[[list[str]], list[str]]):
    """A UTF-8 CSV file in the form CSV writers such as Arrow's give (below a header line, quoted the same way or
    not at all, every non-empty cell in double quotes, quotes inside doubled, an empty cell either ``""`` or
    nothing, every row as many cells as the header, one line end throughout), as Arrow string columns: the
    records ``csv.DictReader`` gives in the same order, an empty cell None. None for any file not in exactly that
    form (a bare cell, text after a closing quote, a ragged or blank row, mixed line ends, bytes that are not
    UTF-8), which the caller's csv-module reader then reads.

    In that form a cell is the text between its quotes with doubled quotes undone, in the csv module's reading
    and in Arrow's alike, so the form is checked on the bytes (one RE2 match over the file) before Arrow reads it."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    if b"\x00" in data:
        return None
    body = data.removeprefix(codecs.BOM_UTF8)
    head = _first_line(body)
    eol = b"\r\n" if head.endswith(b"\r\n") else b"\n"
    # Arrow skips the header as one line, ending at any line end, a bare carriage return too, and quotes or not:
    # a header line holding another line end would hand Arrow rows the form check below never saw.
    if not head.endswith(eol) or b"\r" in head[: -len(eol)]:
        return None
    try:
        header = _header_cells(head.decode("utf-8"))
    except UnicodeError:
        return None
    if not header or len(header) > _MOST_COLUMNS or (b'"' in head and head != _quoted_row(header) + eol):
        return None  # a header with a line break inside quotes would not be its first line
    if not body.endswith(eol):
        body += eol  # the last row may end the file without a line end
    # A one-column file's empty cell would be a blank line, which DictReader skips: there, every cell is quoted.
    cell = _QUOTED_CELL if len(header) == 1 else f"(?:{_QUOTED_CELL})?"
    line_end = r"\r\n" if eol == b"\r\n" else r"\n"
    rows = f"^(?:{cell}(?:,{cell}){{{len(header) - 1}}}{line_end})*$"
    # The rows as one binary value over the file's own bytes (a slice of `body` would copy the whole file).
    text = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(),
        1,
        [None, pa.array([len(head), len(body)], pa.int64()).buffers()[1], pa.py_buffer(body)],
    )
    try:
        if not pc.match_substring_regex(text, rows)[0].as_py():
            return None
    except pa.ArrowInvalid:  # RE2 refused the pattern: the csv module reads the file
        return None
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = _string_columns(
            body, names, pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False)
        )
    except pa.ArrowInvalid:
        return None  # not UTF-8
    if _too_long_for_csv_module(data, table):
        return None
    return pa.table([_empty_as_null(table[n]) for n in names], names=header_names(header))


def _quoted_row(cells: list[str]) -> bytes:
    return ",".join('"' + c.replace('"', '""') + '"' for c in cells).encode("utf-8")


def _empty_as_null(column):
    """The column with "" as None (as the csv readers' records have it)."""
    import pyarrow.compute as pc

    return pc.if_else(pc.equal(column, ""), None, column)

"""Arrow string arrays read as bytes: the code-point-free fast paths (record hashes, resident-ID check digits,
fixed-offset date-times) judge values on their UTF-8 bytes in numpy, without a Python str per value."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def string_buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Views of a string (or large_string) array's buffers: the ``len(values) + 1`` offsets of its values (this
    slice of the array's, so value i is ``data[offsets[i]:offsets[i + 1]]``) and the data bytes. Null values have
    empty or arbitrary bytes: read the validity separately."""
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    if not len(values):
        return np.zeros(1, dtype=width), np.zeros(0, dtype=np.uint8)
    _, offsets, data = values.buffers()[:3]
    bounds = np.frombuffer(offsets, dtype=width)[values.offset : values.offset + len(values) + 1]
    return bounds, np.frombuffer(data or b"", dtype=np.uint8)


def take_strings(values: pa.Array, rows: np.ndarray) -> pa.Array:
    """``values.take(rows)`` for a string array. When every slot spans the same number of bytes (hex digests and
    tokens, a null's slot too) the bytes are gathered as rows of a numpy array: Arrow's take copies value by value,
    ~0.3 s per 1M 64-byte values here against a few hundredths. Any other array goes to Arrow's take."""
    offsets, data = string_buffers(values)
    n, m = len(values), len(rows)
    width = int(offsets[1] - offsets[0]) if n else 0
    uniform = (
        pa.types.is_string(values.type)
        and width > 0
        and m * width < 2**31  # int32 offsets
        and int(offsets[-1] - offsets[0]) == n * width
        and bool((np.diff(offsets) == width).all())
    )
    if not uniform:
        return values.take(pa.array(rows, pa.int64()))
    # Each value one numpy item of `width` bytes: a take copies it whole (as rows of bytes, numpy goes byte by byte).
    gathered = np.take(data[offsets[0] : offsets[-1]].view(np.dtype((np.void, width))), rows)
    bounds = np.arange(0, (m + 1) * width, width, dtype=np.int32)
    taken = pa.Array.from_buffers(pa.string(), m, [None, pa.py_buffer(bounds), pa.py_buffer(gathered)])
    if not values.null_count:
        return taken
    return with_validity(taken, values.is_valid().to_numpy(zero_copy_only=False)[rows])


def with_validity(values: pa.Array, valid: np.ndarray) -> pa.Array:
    """``values`` (an array without nulls, offset 0) with the slots where ``valid`` is False null."""
    bitmap = pa.array(valid, pa.bool_()).buffers()[1]
    return pa.Array.from_buffers(
        values.type, len(values), [bitmap, *values.buffers()[1:]], null_count=int((~valid).sum())
    )

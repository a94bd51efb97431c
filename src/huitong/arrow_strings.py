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

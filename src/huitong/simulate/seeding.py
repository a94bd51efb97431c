"""Independent, reproducible random streams, one per generation step.

Each step draws from its own stream keyed by (seed, step name), so adding draws to one step never shifts another's
output. Nothing here touches global random state.
"""

from __future__ import annotations

import zlib

import numpy as np


def rng_for(seed: int, step: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(step.encode())]))


def unique_tokens(rng: np.random.Generator, n: int, bits: int = 40) -> np.ndarray:
    """n distinct random integers below 2**bits (for opaque record ids that carry no order)."""
    values = rng.integers(0, 2**bits, n, dtype=np.int64)
    while True:
        uniq, first = np.unique(values, return_index=True)
        if len(uniq) == n:
            return values
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        values[dup] = rng.integers(0, 2**bits, int(dup.sum()), dtype=np.int64)

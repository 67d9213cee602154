"""Seeded random streams: one independent numpy Generator per part of the demo.

Each part (geography, ledger, requests ...) draws from its own stream derived from the seed and
the part's name, so changing how one part draws (or how many requests are asked for) never
changes the others.
"""

from __future__ import annotations

import zlib

import numpy as np


def rng_for(seed: int, part: str) -> np.random.Generator:
    """The Generator of `part` for `seed` (crc32 of the name: stable across processes,
    unlike hash())."""
    return np.random.default_rng([int(seed), zlib.crc32(part.encode("utf-8"))])

"""A seeded order of rows that is the same on every machine and with every library version.

``sample`` keeps a slice of it, ``mix`` fills its quotas in it and ``review push`` samples in it.
Polars' own ``hash`` is not used: its values may change between Polars versions, and with them
which rows a seed picks.
"""

from __future__ import annotations

import hashlib

import polars as pl


def seeded_order(keys: pl.Series, seed: int) -> pl.Series:
    """A stable rank per key (Int64, ``>= 0``): the first 8 bytes of sha256(``f"{seed}:{key}"``), shifted
    right once to fit. A null key ranks as the text ``None``."""
    prefix = f"{seed}:".encode()
    return pl.Series([int.from_bytes(hashlib.sha256(prefix + str(k).encode()).digest()[:8], "big") >> 1
                      for k in keys], dtype=pl.Int64)

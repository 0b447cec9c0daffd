"""Word counts as the paper counts them: runs of non-whitespace (``\\S+``), exact and fast.

The one definition of a word in thinkset: the length filter, select, the checks, the card, review and the
GRPO length penalty all count with ``count_words`` (one text), ``regex_word_count`` (a Polars expression)
or ``word_counts`` (a Series, the fast path).

A regex count pays for every word found (hundreds per trace). For pure-ASCII rows the same
number is the count of word starts, a non-space byte at the row start or after a space byte,
computed with numpy over the Arrow buffer, a few MB at a time on every core (numpy releases the
GIL). Rows with other characters (where Unicode spaces may appear) keep the regex count, so
the result equals ``str.count_matches(r"\\S+")`` on every input.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl
import pyarrow as pa

WORD = r"\S+"
# The ASCII members of Unicode White_Space, which the regex ``\s`` matches: \t \n \v \f \r and space
# (not \x1c-\x1f, which Python's str.split also splits on).
_FIRST_CONTROL_SPACE, _LAST_CONTROL_SPACE = 9, 13
CHUNK_BYTES = 1 << 23  # bounds the temporary arrays to a few times this


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _threads() -> ThreadPoolExecutor:
    """One pool for the process: threads made per call would each grow their own malloc arena."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max(1, pl.thread_pool_size()), thread_name_prefix="thinkset-words")
        return _pool


# Python's ``\\s`` also matches \x1c-\x1f; Rust's (Polars) is Unicode White_Space. Spelled out, both agree.
_WORD = re.compile("[^\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def count_words(text: str | None) -> int:
    """``\\S+`` matches in one text (0 for None), as ``regex_word_count`` counts a row."""
    return sum(1 for _ in _WORD.finditer(text)) if text else 0


def regex_word_count(text: pl.Expr) -> pl.Expr:
    """``\\S+`` matches per row (nulls count 0), as a Polars expression."""
    return text.str.count_matches(WORD).fill_null(0).cast(pl.Int32)


def _starts(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Word starts per row of ASCII ``data`` whose rows begin at ``offsets`` (relative, with the end)."""
    space = data == 32
    space |= (data - np.uint8(_FIRST_CONTROL_SPACE)) <= (_LAST_CONTROL_SPACE - _FIRST_CONTROL_SPACE)
    start = ~space
    start[1:] &= space[:-1]
    first = offsets[:-1]
    nonempty = offsets[1:] > first
    heads = first[nonempty]
    start[heads] = ~space[heads]  # a row's first byte starts a word whatever ended the previous row
    counts = np.zeros(len(first), dtype=np.int64)
    if len(heads):
        counts[nonempty] = np.add.reduceat(start, heads, dtype=np.int64)
    return counts


def word_counts(texts: pl.Series) -> pl.Series:
    """Int32 ``\\S+`` count of every row (0 for nulls), equal to ``regex_word_count``."""
    texts = texts.cast(pl.Utf8)
    if texts.len() == 0:
        return pl.Series(texts.name, [], dtype=pl.Int32)
    array = texts.rechunk().to_arrow()
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = array.cast(pa.large_string())
    _, offset_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offset_buffer, dtype=np.int64)[array.offset:array.offset + len(array) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    # row ranges of about CHUNK_BYTES each
    cuts = np.searchsorted(offsets, np.arange(offsets[0], offsets[-1], CHUNK_BYTES), side="left")
    bounds = sorted({0, len(array), *cuts.tolist()})
    ranges = list(zip(bounds[:-1], bounds[1:], strict=True))

    def count(rows: tuple[int, int]) -> np.ndarray:
        local = offsets[rows[0]:rows[1] + 1]
        return _starts(data[local[0]:local[-1]], local - local[0])

    counts = np.concatenate(list(_threads().map(count, ranges)))
    result = pl.Series(texts.name, counts, dtype=pl.Int32)
    # null slots may hold bytes; non-ASCII rows may hold Unicode spaces: both take the exact path
    other = (texts.str.len_bytes() != texts.str.len_chars()) | texts.is_null()
    if other.any():
        rows = other.arg_true()
        exact = texts.gather(rows).to_frame().select(regex_word_count(pl.col(texts.name))).to_series()
        result = result.scatter(rows, exact)
    return result

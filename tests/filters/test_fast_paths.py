"""The fast paths of the filters give exactly what their plain versions give (differential tests)."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.filters.dedup import normalized
from curation.filters.reflection import DEFAULT_MARKERS, Cutter
from curation.verify.normalize import portable

MARKER_PIECES = ["Wait,", "wait,", "WAIT,", "But wait,", "but Wait,", "But the question", "Hold on,", "Wait a moment",
                 "Wait", "Await,", "_Wait,", "4Wait,", '"', "'", "`", "  ", " ", "\n", "x", "é", "\u017f", "ſ"]
region = st.lists(st.one_of(st.sampled_from(MARKER_PIECES), st.text(alphabet="aitwW, \"'_", max_size=4)),
                  max_size=20).map("".join)
marker_sets = st.sampled_from([DEFAULT_MARKERS, ["Wait,", "wait a"], ["wait", "Wait,", "t, B"], ["a", "aa"]])


@settings(max_examples=400, deadline=None)
@given(region, marker_sets, st.booleans())
def test_literal_marker_scan_equals_the_regex_scan(text, markers, case_sensitive):
    cutter = Cutter(markers, case_sensitive)
    # the plain definition: a match is quoted when the text before it, less trailing spaces, ends in a quote
    regex = [m.start() for m in cutter.marker.finditer(text)
             if (text[:m.start()].rstrip(" ") or " ")[-1] not in "\"'\u201c\u2018`"]
    assert cutter.markers_in(text) == regex
    if text.isascii():
        assert cutter._ascii_markers_in(text) == regex


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=" \t\n\r\v\f\u00a0\u2003aB.", max_size=12), max_size=10))
def test_dedup_space_runs_normalize_like_every_run(texts):
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.Utf8})
    plain = pl.col("text").str.to_lowercase().str.replace_all(portable(r"\s+"), " ").str.strip_chars()
    assert frame.select(normalized("text", pl.Utf8)).equals(frame.select(plain))


texts = st.lists(st.one_of(st.none(), st.text(alphabet=" \t\n\v\f\r\x1c\x1f\x85\xa0\u1680\u2003\u2028\u202f\u3000ab.é",
                                              max_size=30)),
                 max_size=40)


@settings(max_examples=200, deadline=None)
@given(texts, st.sampled_from([1, 7, 1 << 23]))
def test_word_counts_equal_the_regex_count(rows, chunk_bytes):
    import curation.filters.words as words

    series = pl.Series("response", rows, dtype=pl.Utf8)
    expected = series.to_frame().select(words.regex_word_count(pl.col("response"))).to_series()
    previous, words.CHUNK_BYTES = words.CHUNK_BYTES, chunk_bytes  # many small ranges cross row boundaries
    try:
        assert words.word_counts(series).to_list() == expected.to_list()
        assert words.word_counts(series.slice(1)).to_list() == expected.slice(1).to_list()  # an offset array
        assert [words.count_words(text) for text in rows] == expected.to_list()  # one text, in Python
    finally:
        words.CHUNK_BYTES = previous


answers = st.sampled_from(["4", "4.0", "(B)", "B", "b", "\\frac{1}{2}", "0.5", "50%", "yes", "No", "", "x^2", "12 cm"])
graded_rows = st.lists(st.tuples(answers, answers, st.sampled_from([[], ["4", "5"], ["yes", "no", "0.5"]])),
                       min_size=1, max_size=30)


@settings(max_examples=20, deadline=None)
@given(graded_rows, st.integers(3, 12))
def test_decisions_carried_across_batches_equal_fresh_ones(rows, batch_rows):
    from curation.verify.fast import DecisionMemo, fast_verdicts

    responses = pl.Series([f"<think>so</think><answer>{pred}</answer>" for pred, _, _ in rows])
    golds = pl.Series([gold for _, gold, _ in rows])
    choices = pl.Series([options for _, _, options in rows], dtype=pl.List(pl.Utf8))
    fresh = fast_verdicts(responses, golds, choices)
    memo = DecisionMemo(max_rows=7)  # small: the bound is exercised too
    batched = pl.concat([fast_verdicts(responses.slice(i, batch_rows), golds.slice(i, batch_rows),
                                       choices.slice(i, batch_rows), memo)
                         for i in range(0, len(rows), batch_rows)])
    assert batched.equals(fresh)

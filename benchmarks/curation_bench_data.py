"""Seeded synthetic rollouts for ``curation_bench.py``: the fixed mix of the issue, so runs compare.

Answers: 60% integers/decimals, 20% multiple-choice letters, 10% LaTeX fractions/expressions,
10% yes/no. Responses 50-900 words (newlines and runs of spaces included), 30% with a reflection,
60% correct (half of those written in an equivalent form), 5% without an answer tag; tagged responses
are in the project's trace format (only whitespace between ``</think>`` and ``<answer>``).
"""

from __future__ import annotations

import numpy as np
import polars as pl

WORDS = ("the bar chart shows values for each year and we compare heights of adjacent bars then sum "
         "angle triangle side length area ratio so therefore since because compute total count").split()
EXPRESSIONS = [("\\sqrt{2}", "\\frac{2}{\\sqrt{2}}"), ("2\\sqrt{3}", "\\sqrt{12}"), ("3\\pi", "3\\pi"),
               ("\\frac{\\pi}{4}", "\\pi/4"), ("x^2-1", "(x-1)(x+1)"), ("4\\sqrt{2}", "\\sqrt{32}")]


def _filler(rng: np.random.Generator, n_variants: int = 64, words: int = 950) -> list[tuple[str, np.ndarray]]:
    """Long filler texts with the character offset after each word, to cut any length cheaply."""
    out = []
    for _ in range(n_variants):
        picked = rng.choice(WORDS, size=words)
        seps = rng.choice([" "] * 9 + ["  ", "\n", " \n\n"], size=words)
        parts, ends, length = [], [], 0
        for word, sep in zip(picked, seps, strict=True):
            parts.append(word + sep)
            length += len(word)
            ends.append(length)
            length += len(sep)
        out.append(("".join(parts), np.array(ends)))
    return out


def make_rollouts(rows: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    fillers = _filler(rng)
    problems = max(1, rows // 4)
    kind = rng.choice(["number", "mc", "latex", "yesno"], p=[0.6, 0.2, 0.1, 0.1], size=problems)
    ints = rng.integers(0, 2000, size=problems)
    decimal = rng.random(problems) < 0.3
    ids, problem_ids, problem_texts, golds, choices, responses, samples = [], [], [], [], [], [], []
    outcome = rng.choice(["correct", "wrong", "untagged"], p=[0.6, 0.35, 0.05], size=rows)
    alt_form = rng.random(rows) < 0.5
    reflect = rng.random(rows) < 0.3
    lengths = rng.integers(50, 901, size=rows)
    variant = rng.integers(0, len(fillers), size=rows)
    for row in range(rows):
        p = row % problems
        k = kind[p]
        opts: list[str] = []
        if k == "number":
            gold = f"{ints[p] / 4:.2f}" if decimal[p] else str(ints[p])
            right = (f"{float(gold):,.2f}" if decimal[p] else f"{ints[p]}.0") if alt_form[row] else gold
            wrong = str(ints[p] + 1)
        elif k == "mc":
            opts = [str(ints[p] + i) for i in range(4)]
            gold = "ABCD"[ints[p] % 4]
            right = (f"({gold})" if row % 2 else opts["ABCD".index(gold)]) if alt_form[row] else gold
            wrong = "ABCD"[(ints[p] + 1) % 4]
        elif k == "latex":
            if ints[p] % 2:
                a, b = int(ints[p] % 7 + 1), 8
                gold, right, wrong = f"\\frac{{{a}}}{{{b}}}", (str(a / b) if alt_form[row] else f"\\frac{{{a}}}{{{b}}}"), str(a / b + 1)
            else:
                if ints[p] % 4 == 0:
                    gold, alt = EXPRESSIONS[ints[p] % len(EXPRESSIONS)]
                else:  # 3\sqrt{2} = \sqrt{18}: many distinct pairs only math-verify can settle
                    a = int(ints[p] % 25 + 2)
                    gold, alt = f"{a}\\sqrt{{2}}", f"\\sqrt{{{2 * a * a}}}"
                right, wrong = (alt if alt_form[row] else gold), "\\sqrt{5}"
        else:
            gold = "Yes" if ints[p] % 2 else "No"
            right = gold.lower() + "." if alt_form[row] else gold
            wrong = "No" if gold == "Yes" else "Yes"
        answer = right if outcome[row] == "correct" else wrong
        text, ends = fillers[variant[row]]
        body = text[: ends[min(lengths[row], len(ends)) - 1]]
        think = f"{body} so the result is {answer}."
        if reflect[row]:
            think += f" Wait, let me double check the figure. {body[:200]} yes, {answer}."
        think += f" The result is {answer}."
        # the one trace format (curation.verify.trace_format): only whitespace between </think> and <answer>
        tail = f"<answer>{answer}</answer>" if outcome[row] != "untagged" else f"I think it is {answer}"
        responses.append(f"<think>{think}</think>\n{tail}")
        ids.append(f"r{row:09d}")
        problem_ids.append(f"p{p:09d}")
        problem_texts.append(f"Problem {p}: what value does the figure show?")
        golds.append(gold)
        choices.append(opts)
        samples.append(row // problems)
    return pl.DataFrame({
        "id": ids, "source": ["bench"] * rows, "problem": problem_texts, "answer": golds, "choices": choices,
        "image_ids": [[f"{int(pid[1:]):064x}"] for pid in problem_ids], "metadata": ["{}"] * rows,
        "problem_id": problem_ids, "sample_index": pl.Series(samples, dtype=pl.Int32), "model": ["bench"] * rows,
        "response": responses,
    }, schema_overrides={"choices": pl.List(pl.Utf8), "image_ids": pl.List(pl.Utf8)})

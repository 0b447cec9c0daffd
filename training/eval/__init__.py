"""Evaluation: score a model on an eval snapshot in a benchmark's style, record it, compare, study captions.

``run_eval`` is the entry point; ``compare_evals`` and ``caption_study`` build on it.
"""

from training.eval.result import EvalResult, GroupScore
from training.eval.run import EvalError, run_eval
from training.eval.score import STYLES, Score, score_response
from training.eval.stats import pass_at_k, wilson

__all__ = ["STYLES", "EvalError", "EvalResult", "GroupScore", "Score", "pass_at_k", "run_eval", "score_response",
           "wilson"]

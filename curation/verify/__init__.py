"""Answer extraction and grading: ``grade`` for one response, ``BatchGrader`` for many."""

from curation.verify.batch import BatchGrader, grade_frame
from curation.verify.extract import extract_answer
from curation.verify.grade import STATUSES, Verdict, grade
from curation.verify.normalize import normalize_answer

__all__ = ["STATUSES", "BatchGrader", "Verdict", "extract_answer", "grade", "grade_frame", "normalize_answer"]

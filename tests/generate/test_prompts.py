"""Prompt templates: bundled names, files, inline text; errors name the template and the row."""

from __future__ import annotations

import pytest

from curation.generate.prompts import TemplateError, render, template_digest
from curation.verify.trace_format import INSTRUCTION


def test_bundled_reason_template_lists_choices_with_letters_and_never_the_answer():
    row = {"id": "r1", "problem": "Which is largest?", "choices": ["3", "7"], "caption": "Two bars.",
           "answer": "B", "metadata": "{}"}
    text = render("reason_text", row)
    assert "Image description:\nTwo bars." in text and "(A) 3\n(B) 7" in text
    assert "Which is largest?" in text and "<answer>" in text
    assert "Choices" not in render("reason_text", {**row, "choices": []})


@pytest.mark.parametrize("name", ["reason_text", "reason_image"])
def test_bundled_reason_templates_ask_for_the_trace_format_as_training_does(name):
    """The model is asked for the format of trace_format in the words training's prompts use."""
    row = {"id": "r1", "problem": "How many?", "choices": [], "caption": "Bars.", "metadata": "{}"}
    assert render(name, row).endswith("\n" + INSTRUCTION)


def test_the_image_prompt_is_the_question_training_and_eval_ask():
    """A policy is sampled (reason_image) with the exact user text it is trained on and evaluated with."""
    from training.data import question_text as training_question
    from training.eval.generate import messages_for

    row = {"id": "r1", "problem": " Which is largest? ", "choices": ["3", "7"], "metadata": "{}"}
    prompt = render("reason_image", row)
    assert prompt == training_question(row["problem"], row["choices"]) == messages_for(row, "image")[0]["content"][-1]["text"]
    assert prompt.startswith("Which is largest?\nChoices:\n(A) 3\n(B) 7\n")
    assert render("{{ question_text(problem, choices, 'Be brief.') }}", row).endswith("(B) 7\nBe brief.")


def test_file_and_inline_templates(tmp_path):
    path = tmp_path / "mine.j2"
    path.write_text("Q: {{ problem }} ({{ metadata.level }})")
    row = {"id": "r1", "problem": "2+2?", "metadata": '{"level": "easy"}'}
    assert render(str(path), row) == "Q: 2+2? (easy)"
    assert render("Inline {{ problem }}", row) == "Inline 2+2?"
    assert template_digest(str(path)) != template_digest("Inline {{ problem }}")


def test_template_errors_say_what_is_wrong(tmp_path):
    with pytest.raises(TemplateError, match="no such file .*bundled templates: caption"):
        render(str(tmp_path / "missing.j2"), {})
    with pytest.raises(TemplateError, match="for row r9: 'answer_hint' is undefined"):
        render("{{ answer_hint }}", {"id": "r9"})

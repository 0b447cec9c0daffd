"""One Jinja setup for every card and report, reading the data_cards package."""

from __future__ import annotations

import pytest
from jinja2 import TemplateNotFound, UndefinedError

from curation.templates import environment, render

CONTEXT = dict(front_matter="base_model: b", model_name="m", mode="sft", base_model="b", preset_name="p",
               snapshot=dict(ref="sft@v1", id="abc", kind="sft", rows=3), versions={"trl": "1", "torch": "2"},
               output_dir="/o", rows_used=3, preset={"max_pixels": 5, "lr": 1e-6}, metrics={"loss": 1.0})


def test_model_card_renders_tables_with_blank_lines_between_sections():
    card = render("model_card.md.j2", lineage=[dict(src_name="pool", src_version=1, kind="filtered_from",
                                                     dst_name="sft", dst_version=1)], **CONTEXT)
    assert "| image max pixels | 5 |\n\nLineage of the snapshot" in card
    assert "- pool@v1 --filtered_from--> sft@v1\n\n## Preset `p`" in card
    assert "| lr | `1e-06` |\n| max_pixels | `5` |\n\n## Final metrics" in card
    assert card.endswith("- torch 2\n- trl 1\n\n")


def test_missing_values_and_templates_are_errors():
    with pytest.raises(UndefinedError):
        render("model_card.md.j2", lineage=[])
    with pytest.raises(TemplateNotFound):
        render("no_such_card.md.j2")


def test_html_is_escaped_markdown_is_not():
    env = environment()
    assert env.autoescape("check_report.html.j2") and not env.autoescape("dataset_card.md.j2")

"""Ingest adapters: each test writes a small folder in exactly one layout, with PNGs it draws, and reads it back."""

from __future__ import annotations

import io
import json

import datasets
import pytest
from PIL import Image, ImageDraw

from curation.schema import IngestError, PoolRecord
from curation.sources.layouts import LayoutError, detect_layout, iter_records
from curation.sources.readers import SourceError


def draw_png(index: int) -> bytes:
    image = Image.new("RGB", (48, 40), "white")
    ImageDraw.Draw(image).ellipse([4, 4, 8 + 4 * index, 30], fill=(40 * index % 256, 90, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def split_results(items):
    items = list(items)
    return [i for i in items if isinstance(i, PoolRecord)], [i for i in items if isinstance(i, IngestError)]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_hf_saved_dataset_with_image_feature_and_splits(tmp_path):
    # The paper's released seed-set layout: problem/answer/source/image, saved with save_to_disk.
    features = datasets.Features({"problem": datasets.Value("string"), "answer": datasets.Value("string"),
                                  "source": datasets.Value("string"), "image": datasets.Image(),
                                  "pid": datasets.Value("int64")})
    def part(offset, n):
        return datasets.Dataset.from_dict({
            "problem": [f"Find x in figure {offset + i}." for i in range(n)],
            "answer": [str(offset + i) for i in range(n)],
            "source": ["geometry3k"] * n,
            "image": [{"bytes": draw_png(offset + i), "path": None} for i in range(n)],
            "pid": list(range(offset, offset + n)),
        }, features=features)
    datasets.DatasetDict({"train": part(0, 3), "test": part(10, 2)}).save_to_disk(str(tmp_path / "seed"))

    records, errors = split_results(iter_records(str(tmp_path / "seed")))
    assert errors == []
    assert [r.answer for r in records] == ["0", "1", "2", "10", "11"]
    assert records[1].images == [draw_png(1)]  # original bytes, not re-encoded
    assert {r.source for r in records} == {"geometry3k"}
    assert records[3].metadata["ingest"]["split"] == "test" and records[3].metadata["ingest"]["layout"] == "hf"
    assert records[3].metadata["columns"] == {"pid": 10}
    only_test, _ = split_results(iter_records(str(tmp_path / "seed"), split="test"))
    assert [r.answer for r in only_test] == ["10", "11"]


def test_hf_parquet_with_mapped_columns_relative_paths_and_a_missing_image(tmp_path):
    folder = tmp_path / "tabmwp"
    (folder / "imgs").mkdir(parents=True)
    for i in range(3):
        (folder / "imgs" / f"{i}.png").write_bytes(draw_png(i))
    datasets.Dataset.from_dict({
        "question": ["Total?", "Mean?", "Range?"],
        "label": ["12", "3.5", "7"],
        "options": [None, json.dumps(["3.5", "4"]), None],
        "image_path": ["imgs/0.png", "imgs/1.png", "imgs/missing.png"],
    }).to_parquet(str(folder / "train-00000.parquet"))

    items = list(iter_records(str(folder), columns={"problem": "question", "answer": "label"}))
    records, errors = split_results(items)
    assert [r.problem for r in records] == ["Total?", "Mean?"]
    assert records[1].choices == ["3.5", "4"]
    assert records[0].images == [draw_png(0)]
    assert records[0].source == "tabmwp"  # no source column: the folder name
    assert len(errors) == 1 and errors[0].row_index == 2 and errors[0].reason == "missing_image"
    assert "imgs/missing.png" in errors[0].detail
    labelled, _ = split_results(iter_records(str(folder), layout="hf", columns={"problem": "question",
                                                                                "answer": "label"},
                                             source="tabmwp-dev"))
    assert {r.source for r in labelled} == {"tabmwp-dev"}


def test_sharegpt_jsonl_folder_with_images(tmp_path):
    folder = tmp_path / "sft"
    (folder / "images").mkdir(parents=True)
    for i in range(4):
        (folder / "images" / f"{i}.png").write_bytes(draw_png(i))
    def row(i, reply, images):
        return {"messages": [{"role": "system", "content": "Think first."},
                             {"role": "user", "content": f"<image>How many dots are in picture {i}?"},
                             {"role": "assistant", "content": reply}],
                "images": images}
    write_jsonl(folder / "train.jsonl", [
        row(0, "<think>one by one</think> There are 3. <answer>3</answer>", ["images/0.png"]),
        row(1, "Counting carefully, the answer is 5.", ["images/1.png"]),
        row(2, "I am not sure what the picture shows.", ["images/2.png"]),
        row(3, "<answer>2</answer>", ["images/3.png", "images/0.png"]),
    ])
    assert detect_layout(["messages", "images"]) == "sharegpt"
    records, errors = split_results(iter_records(str(folder)))
    assert [(r.problem, r.answer) for r in records] == [
        ("How many dots are in picture 0?", "3"), ("How many dots are in picture 1?", "5")]
    assert records[0].images == [draw_png(0)]
    assert records[0].metadata["reference_response"].startswith("<think>")
    assert [(e.row_index, e.reason) for e in errors] == [(2, "no_answer"), (3, "image_count_mismatch")]
    assert "train" in errors[0].location


def test_easyr1_parquet_file_with_image_list(tmp_path):
    features = datasets.Features({"problem": datasets.Value("string"), "answer": datasets.Value("string"),
                                  "images": datasets.Sequence(datasets.Image())})
    datasets.Dataset.from_dict({
        "problem": ["<image>What is the angle?", "<image><image>Compare the two charts.", "No image here."],
        "answer": ["30", "B", "7"],
        "images": [[{"bytes": draw_png(1), "path": None}], [{"bytes": draw_png(2), "path": None},
                                                             {"bytes": draw_png(3), "path": None}], []],
    }, features=features).to_parquet(str(tmp_path / "geo.parquet"))

    records, errors = split_results(iter_records(str(tmp_path / "geo.parquet")))
    assert errors == []
    assert [r.metadata["ingest"]["layout"] for r in records] == ["easyr1"] * 3
    assert [r.problem for r in records] == ["What is the angle?", "Compare the two charts.", "No image here."]
    assert [len(r.images) for r in records] == [1, 2, 0]
    assert records[1].images[1] == draw_png(3)
    assert {r.source for r in records} == {"geo"}


def test_llava_json_with_answer_pattern_and_a_corrupt_image(tmp_path):
    folder = tmp_path / "llava"
    folder.mkdir()
    (folder / "a.png").write_bytes(draw_png(1))
    (folder / "b.png").write_bytes(draw_png(2))
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    def row(image, reply):
        return {"id": image, "image": image,
                "conversations": [{"from": "human", "value": "<image>\nWhat colour is the circle?"},
                                  {"from": "gpt", "value": reply}]}
    (folder / "data.json").write_text(json.dumps([
        row("a.png", "The circle is filled.\nThe answer is blue."),
        row("b.png", "Looking closely: the answer is: Red"),
        row("broken.png", "The answer is green."),
    ]))
    assert detect_layout(["id", "image", "conversations"]) == "llava"
    records, errors = split_results(iter_records(str(folder)))
    assert [r.answer for r in records] == ["blue", "Red"]
    assert records[0].problem == "What colour is the circle?"
    assert records[0].metadata["columns"] == {"id": "a.png"}
    assert [(e.row_index, e.reason) for e in errors] == [(2, "bad_image")]

    custom, errors = split_results(iter_records(str(folder / "data.json"), layout="llava",
                                                answer_pattern=r"circle is (\w+)"))
    assert [r.answer for r in custom] == ["filled"]
    assert [(e.row_index, e.reason) for e in errors] == [(1, "no_answer"), (2, "no_answer")]


def test_undetectable_layout_names_the_columns_and_known_layouts(tmp_path):
    write_jsonl(tmp_path / "data.jsonl", [{"text": "hello", "label_id": 3}])
    with pytest.raises(LayoutError) as info:
        list(iter_records(str(tmp_path)))
    message = str(info.value)
    assert "text, label_id" in message
    for layout in ("hf", "sharegpt", "easyr1", "llava"):
        assert layout in message


@pytest.mark.parametrize(("columns", "expected"), [
    (["problem", "answer", "images"], "easyr1"),
    (["problem", "answer", "source", "image"], "hf"),
    (["question", "answer", "decoded_image", "choices"], "hf"),
    (["problem", "answer", "images", "source"], "hf"),
    (["messages", "images"], "sharegpt"),
    (["conversations", "images"], "sharegpt"),
    (["conversations", "image"], "llava"),
    (["conversations"], "llava"),
])
def test_detect_layout_from_columns(columns, expected):
    assert detect_layout(columns) == expected


def test_mapping_and_layout_errors_are_explicit(tmp_path):
    assert detect_layout(["q", "a"], columns={"problem": "q", "answer": "a"}) == "hf"
    with pytest.raises(LayoutError, match="no column 'q'"):
        detect_layout(["question", "answer"], columns={"problem": "q"})
    with pytest.raises(LayoutError, match="unknown field 'prompt'"):
        detect_layout(["question", "answer"], columns={"prompt": "question"})
    write_jsonl(tmp_path / "d.jsonl", [{"problem": "p", "answer": "1"}])
    with pytest.raises(LayoutError, match="unknown layout 'alpaca'"):
        list(iter_records(str(tmp_path), layout="alpaca"))
    with pytest.raises(LayoutError, match="layout 'sharegpt' needs field"):
        list(iter_records(str(tmp_path), layout="sharegpt"))
    with pytest.raises(LayoutError, match="not a valid regex"):
        list(iter_records(str(tmp_path), answer_pattern="(unclosed"))
    with pytest.raises(SourceError, match="no such file"):
        list(iter_records(str(tmp_path / "nope" / "x.jsonl")))


@pytest.mark.parametrize("reply", [
    "Counting the bars gives 3, so the answer is 3. Checking again: \\boxed{5}",  # boxed beats the phrase
    "The answer is 2. <answer>\\boxed{7}</answer>",  # the tag wins, and its boxed content is the answer
    "Long reasoning...\nThe final answer is: 12 cm.",
])
def test_conversation_answers_are_read_as_the_grader_reads_them(reply):
    from curation.sources.layout_rows import parse_conversation
    from curation.verify.extract import extract_answer

    row = {"messages": [{"role": "user", "content": "How many?"}, {"role": "assistant", "content": reply}]}
    assert parse_conversation(row, None).answer == extract_answer(reply)[0]

"""Sources through the real store: a synthetic pool snapshot whose stored answers re-derive from the stored
params and whose stored images are the drawn bytes; an ingested pool whose unreadable rows are rejections."""

from __future__ import annotations

import json

from curation.sources.pool import write_ingested_pool, write_synthetic_pool
from curation.sources.synthetic import derive_answer, generate_problems


def test_synthetic_pool_snapshot_answers_rederive_from_stored_params(store):
    info = write_synthetic_pool(store, n=80, seed=2)
    frame = store.open(info.ref).read()
    assert frame.height == 80
    drawn = {json.dumps(p.params, sort_keys=True): p.image_png for p in generate_problems(80, seed=2)}
    for row in frame.iter_rows(named=True):
        metadata = json.loads(row["metadata"])
        assert derive_answer(row["source"], metadata["params"]) == row["answer"]
        assert store.images.get(row["image_ids"][0]) == drawn[json.dumps(metadata["params"], sort_keys=True)]
    assert write_synthetic_pool(store, n=80, seed=2).id == info.id  # same inputs: the same version


def test_ingested_pool_quarantines_unreadable_rows_with_reasons(store, tmp_path):
    folder = tmp_path / "mine"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "ok.png").write_bytes(generate_problems(1).__next__().image_png)
    rows = [
        {"problem": "<image>What is shown?", "answer": "7", "images": ["images/ok.png"]},
        {"problem": "<image>And here?", "answer": "8", "images": ["images/gone.png"]},
        {"problem": "<image>Empty answer?", "answer": "", "images": ["images/ok.png"]},
    ]
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    info, quarantined = write_ingested_pool(store, str(folder), name="mine")
    assert info.rows == 1 and quarantined == 2
    kept = store.open(info.ref).read()
    assert kept["problem"].to_list() == ["What is shown?"]
    rejections = store.open(info.ref).rejections().collect().sort("reason")
    assert rejections["reason"].to_list() == ["missing_image", "no_answer"]
    assert "gone.png" in rejections["detail"][0]

"""Image paths in a dataset stay inside its folder: ``..``, absolute paths and symlinks leading out are refused per
row with a reason; the rest of the rows are ingested."""

from __future__ import annotations

import json

from curation.schema import IngestError, PoolRecord
from curation.sources.images import image_bytes
from curation.sources.layouts import iter_records
from tests.reliability.hostile import png


def test_image_paths_escaping_the_dataset_folder_are_refused_per_row(tmp_path):
    secret = tmp_path / "elsewhere" / "private.png"
    secret.parent.mkdir()
    secret.write_bytes(png(1))
    folder = tmp_path / "data"
    (folder / "img").mkdir(parents=True)
    (folder / "img" / "ok.png").write_bytes(png(2))
    (folder / "img" / "out.png").symlink_to(secret)
    (folder / "img" / "in.png").symlink_to(folder / "img" / "ok.png")
    images = ["img/ok.png", "../elsewhere/private.png", str(secret), "img/out.png", {"path": "img/../../elsewhere/private.png"},
              "img/in.png", str(folder / "img" / "ok.png")]
    rows = [{"problem": f"<image>Q{i}?", "answer": "1", "images": [image]} for i, image in enumerate(images)]
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    items = list(iter_records(str(folder)))
    kept = [i.problem for i in items if isinstance(i, PoolRecord)]
    refused = [i for i in items if isinstance(i, IngestError)]
    assert kept == ["Q0?", "Q5?", "Q6?"]  # inside, a symlink staying inside, an absolute path inside
    assert [e.row_index for e in refused] == [1, 2, 3, 4]
    assert {e.reason for e in refused} == {"image_outside_source"}
    assert "outside the dataset folder" in refused[0].detail


def test_a_hub_dataset_cannot_name_local_files(tmp_path):
    local = tmp_path / "x.png"
    local.write_bytes(png(1))
    try:
        image_bytes(str(local), None)
    except Exception as exc:  # noqa: BLE001 - the assertion names the type
        assert getattr(exc, "reason", None) == "image_outside_source"
    else:
        raise AssertionError("a path from a hub dataset was read")

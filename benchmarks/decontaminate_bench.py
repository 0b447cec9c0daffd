"""Decontamination at scale: the `decontaminate` stage vs brute force, on planted overlaps. Prints JSON.

    .venv/bin/python benchmarks/decontaminate_bench.py [--train 5000] [--eval 500] [--planted 50]

A training pool of random-word problems, each with its own busy image, and an eval split of the same
kind. Planted overlaps, ``--planted`` of each: the eval text re-cased and re-spaced (text_exact), the
eval text with one word changed (text_near, when its true Jaccard is over the threshold), the eval image
itself (image_exact), and the eval image resized and re-encoded as JPEG (image_near).

Figures: the stage's wall time and rows/s (a real recipe run: store, rejections, catalog), what it found
per planted kind, rows dropped that nothing planted explains (false positives), and the baseline of the
same text work done by brute force in the same run (exact Jaccard of every training text against every
eval text): its time, and the MinHash/LSH recall against its exact pairs (Jaccard >= threshold).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import tempfile
import time
from pathlib import Path

import polars as pl
from PIL import Image, ImageDraw

from curation.pipeline import run_recipe
from curation.recipe import recipe_from_dict
from curation.store import Store

THRESHOLD, NGRAM = 0.7, 3


def picture(rng: random.Random, size: int = 64) -> Image.Image:
    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for _ in range(10):
        x, y = rng.randrange(size), rng.randrange(size)
        draw.rectangle([x, y, x + rng.randrange(6, 30), y + rng.randrange(6, 30)],
                       fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    return image


def put(store: Store, image: Image.Image, fmt: str = "PNG", **save) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return store.images.put(buffer.getvalue())


def sentence(rng: random.Random, words: list[str]) -> str:
    return " ".join(rng.choice(words) for _ in range(rng.randrange(15, 30))) + "?"


def shingles(text: str) -> set[str]:
    tokens = re.findall(r"\w+", text.lower())
    return {" ".join(tokens[i:i + NGRAM]) for i in range(max(1, len(tokens) - NGRAM + 1))}


def write(store: Store, name: str, rows: list[dict]) -> None:
    frame = pl.DataFrame(rows, schema_overrides={"choices": pl.List(pl.Utf8)})
    with store.writer(name, "pool", config={"bench": name, "rows": len(rows)}) as writer:
        writer.write(frame)


def build(store: Store, n_train: int, n_eval: int, planted: int, seed: int) -> dict[str, str]:
    """Write `train` and `eval`; returns the planted kind of each planted training row id."""
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randrange(3, 9)))
             for _ in range(3000)]

    def row(i: str, text: str, sha: str) -> dict:
        return {"id": i, "source": "bench", "problem": text, "answer": "1", "choices": [], "image_ids": [sha],
                "metadata": "{}"}

    evals = [row(f"e{i}", sentence(rng, words), "") for i in range(n_eval)]
    eval_images = [picture(rng) for _ in range(n_eval)]
    for r, image in zip(evals, eval_images, strict=True):
        r["image_ids"] = [put(store, image)]
    write(store, "eval", evals)
    kinds: dict[str, str] = {}
    train = []
    for i in range(n_train):
        text, image_sha = sentence(rng, words), put(store, picture(rng))
        block, j = divmod(i, planted) if i < 4 * planted else (None, None)
        if block == 0:
            text, kinds[f"t{i}"] = "  " + evals[j]["problem"].upper().replace(" ", "   "), "text_exact"
        elif block == 1:
            tokens = evals[j]["problem"].split()
            tokens[rng.randrange(len(tokens))] = rng.choice(words)
            text, kinds[f"t{i}"] = " ".join(tokens), "text_near"
        elif block == 2:
            image_sha, kinds[f"t{i}"] = evals[j]["image_ids"][0], "image_exact"
        elif block == 3:
            image_sha = put(store, eval_images[j].resize((48, 48)), "JPEG", quality=75)
            kinds[f"t{i}"] = "image_near"
        train.append(row(f"t{i}", text, image_sha))
    write(store, "train", train)
    return kinds


def brute_force(store: Store) -> tuple[set[str], float]:
    """Training ids whose text has an eval text at exact Jaccard >= THRESHOLD, and the seconds it took."""
    train = store.open("train").read().select("id", "problem").rows()
    evals = [shingles(t) for t in store.open("eval").read()["problem"]]
    started = time.perf_counter()
    found = set()
    for row_id, text in train:
        mine = shingles(text)
        if any(len(mine & other) / len(mine | other) >= THRESHOLD for other in evals):
            found.add(row_id)
    return found, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=5000)
    parser.add_argument("--eval", type=int, default=500)
    parser.add_argument("--planted", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store")
        started = time.perf_counter()
        kinds = build(store, args.train, args.eval, args.planted, args.seed)
        build_s = time.perf_counter() - started
        recipe = recipe_from_dict({"name": "bench", "input": "train", "output": "clean", "stages": [
            {"type": "decontaminate", "against": ["eval"], "near_threshold": THRESHOLD, "ngram": NGRAM}]},
            where="bench")
        started = time.perf_counter()
        info = run_recipe(recipe, store).final
        stage_s = time.perf_counter() - started
        rejected = store.open(info.ref).rejections().collect()
        dropped = dict(zip(rejected["row_id"], rejected["detail"], strict=True))
        text_truth, brute_s = brute_force(store)
        found_text = {i for i, detail in dropped.items() if detail.startswith(("text_exact", "text_near"))}
        explained = set(kinds) | text_truth
        print(json.dumps({
            "train_rows": args.train, "eval_rows": args.eval, "build_s": round(build_s, 2),
            "stage_s": round(stage_s, 2), "stage_rows_per_s": round(args.train / stage_s, 1),
            "planted": {kind: sum(1 for k in kinds.values() if k == kind) for kind in sorted(set(kinds.values()))},
            "found_planted": {kind: sum(1 for i, k in kinds.items() if k == kind and i in dropped)
                              for kind in sorted(set(kinds.values()))},
            "dropped": len(dropped), "false_positives": len(set(dropped) - explained),
            "false_positive_details": sorted(dropped[i] for i in set(dropped) - explained)[:5],
            "baseline_brute_force_text_s": round(brute_s, 2),
            "brute_force_text_pairs_over_threshold": len(text_truth),
            "lsh_text_recall_vs_brute_force": round(len(found_text & text_truth) / max(len(text_truth), 1), 4),
            "near_planted_under_threshold": sum(1 for i, k in kinds.items() if k == "text_near" and i not in text_truth),
        }, indent=2))


if __name__ == "__main__":
    main()

"""CLEVR-like scenes of coloured shapes: counting, "subtract all ..." and comparison questions."""

from __future__ import annotations

import random
from typing import Any

from PIL import Image

from curation.sources.synthetic_draw import (
    BLACK,
    COLORS,
    canvas,
    choice_letter,
    numeric_options,
    options_text,
)

SOURCE = "synth_counting"
WIDTH, HEIGHT = 320, 240
COLUMNS, ROWS = 5, 4
SHAPES = ["circle", "square", "triangle"]
RADIUS = {"small": 10, "large": 19}
QUESTIONS = ["count_color_shape", "count_shape", "count_total", "subtract", "more"]


def sample(rng: random.Random) -> dict[str, Any]:
    count = rng.randint(3, 10)
    palette = rng.sample(list(COLORS), rng.randint(2, 4))
    cells = rng.sample(range(COLUMNS * ROWS), count)  # one object per grid cell: objects never overlap
    objects = [
        {"shape": rng.choice(SHAPES), "color": rng.choice(palette), "size": rng.choice(["small", "large"]),
         "cell": cell, "jitter": [rng.randint(-8, 8), rng.randint(-6, 6)]}
        for cell in cells
    ]
    kind = rng.choice(QUESTIONS)
    target = rng.choice(objects)  # ask about something that is usually present
    params: dict[str, Any] = {"objects": objects, "question": kind}
    if kind == "count_color_shape":
        params["color"], params["shape"] = target["color"], rng.choice([target["shape"], rng.choice(SHAPES)])
    elif kind == "count_shape":
        params["shape"] = rng.choice(SHAPES)
    elif kind == "subtract":
        params["color"] = target["color"] if rng.random() < 0.5 else None
        params["size"] = target["size"] if params["color"] is None or rng.random() < 0.5 else None
        params["shape"] = target["shape"] if rng.random() < 0.5 else None
    elif kind == "more":
        params["color"], params["other_color"] = rng.sample(palette, 2)
    if kind != "more" and rng.random() < 0.35:
        params["options"] = numeric_options(rng, _count(params), low=0)
    return params


def _matches(obj: dict[str, Any], params: dict[str, Any]) -> bool:
    return all(params.get(key) in (None, obj[key]) for key in ("color", "shape", "size"))


def _count(params: dict[str, Any]) -> int:
    objects, kind = params["objects"], params["question"]
    if kind == "count_total":
        return len(objects)
    if kind == "subtract":
        return sum(1 for obj in objects if not _matches(obj, params))
    return sum(1 for obj in objects if _matches(obj, params))


def answer(params: dict[str, Any]) -> str:
    if params["question"] == "more":
        colors = [obj["color"] for obj in params["objects"]]
        return "yes" if colors.count(params["color"]) > colors.count(params["other_color"]) else "no"
    truth = str(_count(params))
    return choice_letter(params["options"], truth) if "options" in params else truth


def _describe(params: dict[str, Any]) -> str:
    adjectives = [word for word in (params.get("size"), params.get("color")) if word]
    shape = params.get("shape")
    return " ".join([*adjectives, f"{shape}s" if shape else "objects"])


def question(params: dict[str, Any]) -> tuple[str, list[str]]:
    kind = params["question"]
    if kind == "count_total":
        text = "How many objects are there in the picture?"
    elif kind == "subtract":
        text = f"Subtract all {_describe(params)}. How many objects are left?"
    elif kind == "more":
        text = (f"Are there more {params['color']} objects than {params['other_color']} objects? "
                "Answer yes or no.")
    else:
        text = f"How many {_describe(params)} are there?"
    if "options" in params:
        return f"{text}\n{options_text(params['options'])}", list(params["options"])
    return text, []


def render(params: dict[str, Any]) -> Image.Image:
    image, draw = canvas(WIDTH, HEIGHT)
    cell_w, cell_h = WIDTH / COLUMNS, HEIGHT / ROWS
    for obj in params["objects"]:
        row, col = divmod(obj["cell"], COLUMNS)
        x = (col + 0.5) * cell_w + obj["jitter"][0]
        y = (row + 0.5) * cell_h + obj["jitter"][1]
        r = RADIUS[obj["size"]]
        fill = COLORS[obj["color"]]
        box = [x - r, y - r, x + r, y + r]
        if obj["shape"] == "circle":
            draw.ellipse(box, fill=fill, outline=BLACK)
        elif obj["shape"] == "square":
            draw.rectangle(box, fill=fill, outline=BLACK)
        else:
            draw.polygon([(x, y - r), (x + r, y + r), (x - r, y + r)], fill=fill, outline=BLACK)
    return image


def caption(params: dict[str, Any]) -> str:
    tally: dict[str, int] = {}
    for obj in params["objects"]:
        key = f"{obj['size']} {obj['color']} {obj['shape']}"
        tally[key] = tally.get(key, 0) + 1
    parts = ", ".join(f"{n} {key}{'s' if n > 1 else ''}" for key, n in sorted(tally.items()))
    return f"A scene with {len(params['objects'])} objects on a white background: {parts}."

"""Small tables with word problems (TabMWP-like): price lists and frequency tables."""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

from PIL import Image

from curation.sources.synthetic_draw import (
    BLACK,
    canvas,
    centered_text,
    choice_letter,
    font,
    number_text,
    options_text,
)

SOURCE = "synth_table"
WIDTH = 300
ROW_HEIGHT = 24
ITEMS = ["pencil", "notebook", "eraser", "ruler", "marker", "stapler", "glue stick", "folder"]
NAMES = ["Ann", "Ben", "Cara", "Dev", "Eli", "Fay"]
FREQUENCY_TABLES = [
    ("Visitors to the museum", "Day", "Visitors", ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]),
    ("Books borrowed", "Class", "Books", ["Class A", "Class B", "Class C", "Class D", "Class E"]),
    ("Goals scored", "Player", "Goals", ["Kim", "Leo", "Mia", "Noah", "Omar"]),
]
FREQUENCY_QUESTIONS = ["total", "range", "mean", "difference", "argmax"]


def sample(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.4:
        items = rng.sample(ITEMS, rng.randint(3, 5))
        cents = [rng.randint(2, 40) * 25 for _ in items]  # prices in quarters: exact decimal answers
        bought = rng.sample(items, 2)
        return {"table": "prices", "title": "School supplies", "header": ["Item", "Price"], "rows": items,
                "cents": cents, "buyer": rng.choice(NAMES),
                "quantities": {bought[0]: rng.randint(1, 4), bought[1]: rng.randint(1, 3)}, "question": "cost"}
    title, key_name, value_name, keys = rng.choice(FREQUENCY_TABLES)
    rows = keys[: rng.randint(3, 5)]
    values = rng.sample(range(2, 40), len(rows))  # distinct, so "which has the most" has one answer
    kind = rng.choice(FREQUENCY_QUESTIONS)
    params: dict[str, Any] = {"table": "frequency", "title": title, "header": [key_name, value_name],
                              "rows": rows, "values": values, "question": kind, "pair": rng.sample(rows, 2)}
    if kind == "argmax":
        options = list(rows[:4])
        top = rows[values.index(max(values))]
        if top not in options:
            options[rng.randrange(len(options))] = top
        rng.shuffle(options)
        params["options"] = options
    return params


def _truth(params: dict[str, Any]) -> Fraction | str:
    if params["table"] == "prices":
        price = dict(zip(params["rows"], params["cents"], strict=True))
        return Fraction(sum(price[item] * n for item, n in params["quantities"].items()), 100)
    values, kind = params["values"], params["question"]
    value = dict(zip(params["rows"], values, strict=True))
    if kind == "total":
        return Fraction(sum(values))
    if kind == "range":
        return Fraction(max(values) - min(values))
    if kind == "mean":
        return Fraction(sum(values), len(values))
    if kind == "difference":
        first, second = params["pair"]
        return Fraction(abs(value[first] - value[second]))
    return params["rows"][values.index(max(values))]


def answer(params: dict[str, Any]) -> str:
    truth = _truth(params)
    if isinstance(truth, str):
        return choice_letter(params["options"], truth)
    return number_text(truth)


def question(params: dict[str, Any]) -> tuple[str, list[str]]:
    if params["table"] == "prices":
        wants = " and ".join(f"{n} {item}{'s' if n > 1 else ''}" for item, n in params["quantities"].items())
        return f"How much money does {params['buyer']} need to buy {wants}? Answer in dollars.", []
    key_name, value_name = (h.lower() for h in params["header"])
    value = dict(zip(params["rows"], params["values"], strict=True))
    first, second = sorted(params["pair"], key=value.__getitem__, reverse=True)
    texts = {
        "total": f"What is the total number of {value_name} in the table?",
        "range": f"What is the range of the numbers of {value_name}?",
        "mean": f"What is the mean of the numbers of {value_name}?",
        "difference": f"How many more {value_name} does {first} have than {second}?",
        "argmax": f"Which {key_name} has the most {value_name}?",
    }
    text = texts[params["question"]]
    if "options" in params:
        return f"{text}\n{options_text(params['options'])}", list(params["options"])
    return text, []


def _cells(params: dict[str, Any]) -> list[str]:
    if params["table"] == "prices":
        return [f"${c // 100}.{c % 100:02d}" for c in params["cents"]]
    return [str(v) for v in params["values"]]


def render(params: dict[str, Any]) -> Image.Image:
    rows = params["rows"]
    height = ROW_HEIGHT * (len(rows) + 2) + 20
    image, draw = canvas(WIDTH, height)
    left, mid, right, top = 30, 170, WIDTH - 30, 10
    draw.rectangle([left, top, right, top + ROW_HEIGHT], fill=(225, 232, 245), outline=BLACK)
    centered_text(draw, ((left + right) / 2, top + ROW_HEIGHT / 2), params["title"], size=13)
    lines = [params["header"], *zip(rows, _cells(params), strict=True)]
    for i, (key, value) in enumerate(lines, start=1):
        y0 = top + i * ROW_HEIGHT
        draw.rectangle([left, y0, mid, y0 + ROW_HEIGHT], outline=BLACK)
        draw.rectangle([mid, y0, right, y0 + ROW_HEIGHT], outline=BLACK)
        size = 13 if i == 1 else 12
        draw.text((left + 8, y0 + ROW_HEIGHT / 2), key, fill=BLACK, font=font(size), anchor="lm")
        draw.text((mid + 8, y0 + ROW_HEIGHT / 2), value, fill=BLACK, font=font(size), anchor="lm")
    return image


def caption(params: dict[str, Any]) -> str:
    pairs = "; ".join(f"{key}: {value}" for key, value in zip(params["rows"], _cells(params), strict=True))
    return (f"A table titled '{params['title']}' with columns {params['header'][0]} and "
            f"{params['header'][1]}. Rows: {pairs}.")

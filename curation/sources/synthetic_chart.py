"""Bar and line charts with FigureQA-style yes/no and ChartQA-style value questions."""

from __future__ import annotations

import random
from typing import Any

from PIL import Image

from curation.sources.synthetic_draw import (
    BLACK,
    COLORS,
    GRID,
    canvas,
    centered_text,
    choice_letter,
    font,
    number_text,
    options_text,
)

SOURCE = "synth_chart"
WIDTH, HEIGHT = 320, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 308, 34, 204
THEMES: list[tuple[str, list[str]]] = [
    ("Fruit sold", ["apple", "banana", "cherry", "grape", "lemon", "mango", "pear"]),
    ("Votes per pet", ["cat", "dog", "fish", "bird", "horse", "rabbit", "snake"]),
    ("Books read", ["Ann", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus"]),
    ("Rainy days", ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul"]),
]
LINE_TITLES = ["Visitors (thousands)", "Sales (units)", "Members", "Trees planted"]
BAR_QUESTIONS = ["compare", "value", "argmax", "difference", "total"]
LINE_QUESTIONS = ["compare", "value", "argmax", "difference", "increase"]


def sample(rng: random.Random) -> dict[str, Any]:
    chart = rng.choice(["bar", "line"])
    count = rng.randint(3, 6)
    y_max = rng.choice([10, 20, 50, 100])
    unit = y_max // 10
    # Distinct values: "which is largest" and "is A greater than B" then always have one true answer.
    values = [unit * v for v in rng.sample(range(1, 11), count)]
    if chart == "bar":
        title, names = rng.choice(THEMES)
        labels = rng.sample(names, count)
        kind = rng.choice(BAR_QUESTIONS)
    else:
        title = rng.choice(LINE_TITLES)
        first = rng.randint(2010, 2018)
        labels = [str(first + i) for i in range(count)]
        kind = rng.choice(LINE_QUESTIONS)
    params: dict[str, Any] = {"chart": chart, "title": title, "labels": labels, "values": values,
                              "y_max": y_max, "color": rng.choice(list(COLORS)), "question": kind}
    a, b = rng.sample(range(count), 2)
    if kind == "increase":
        a = rng.randrange(count - 1)
        b = a + 1
    params["a"], params["b"] = labels[a], labels[b]
    if kind == "argmax" and chart == "bar":
        top = labels[values.index(max(values))]
        others = rng.sample([label for label in labels if label != top], min(3, count - 1))
        options = [top, *others]
        rng.shuffle(options)
        params["options"] = options
    return params


def _value(params: dict[str, Any], label: str) -> int:
    return params["values"][params["labels"].index(label)]


def answer(params: dict[str, Any]) -> str:
    kind, a, b = params["question"], params["a"], params["b"]
    values = params["values"]
    if kind == "compare":
        return "yes" if _value(params, a) > _value(params, b) else "no"
    if kind == "increase":
        return "yes" if _value(params, b) > _value(params, a) else "no"
    if kind == "value":
        return number_text(_value(params, a))
    if kind == "difference":
        return number_text(abs(_value(params, a) - _value(params, b)))
    if kind == "total":
        return number_text(sum(values))
    top = params["labels"][values.index(max(values))]
    return choice_letter(params["options"], top) if "options" in params else top


def question(params: dict[str, Any]) -> tuple[str, list[str]]:
    kind, a, b = params["question"], params["a"], params["b"]
    noun = "bar" if params["chart"] == "bar" else "point"
    texts = {
        "compare": f"Is the value of {a} greater than the value of {b}? Answer yes or no.",
        "increase": f"Did the value increase from {a} to {b}? Answer yes or no.",
        "value": f"What is the value of {a} in the chart?",
        "difference": f"What is the absolute difference between the values of {a} and {b}?",
        "total": "What is the sum of all the values in the chart?",
        "argmax": f"Which {'category' if noun == 'bar' else 'year'} has the highest value?",
    }
    text = texts[kind]
    if "options" in params:
        return f"{text}\n{options_text(params['options'])}", list(params["options"])
    return text, []


def _y(value: float, y_max: int) -> float:
    return BOTTOM - (BOTTOM - TOP) * value / y_max


def render(params: dict[str, Any]) -> Image.Image:
    image, draw = canvas(WIDTH, HEIGHT)
    labels, values, y_max = params["labels"], params["values"], params["y_max"]
    color = COLORS[params["color"]]
    centered_text(draw, (WIDTH / 2, 14), params["title"], size=14)
    for tick in range(0, y_max + 1, y_max // 5):
        y = _y(tick, y_max)
        draw.line([(LEFT, y), (RIGHT, y)], fill=GRID)
        draw.text((LEFT - 4, y), str(tick), fill=BLACK, font=font(11), anchor="rm")
    draw.line([(LEFT, TOP), (LEFT, BOTTOM), (RIGHT, BOTTOM)], fill=BLACK)
    slot = (RIGHT - LEFT) / len(labels)
    centers = [LEFT + slot * (i + 0.5) for i in range(len(labels))]
    points = [(x, _y(v, y_max)) for x, v in zip(centers, values, strict=True)]
    if params["chart"] == "bar":
        half = slot * 0.32
        for x, y in points:
            draw.rectangle([x - half, y, x + half, BOTTOM], fill=color)
    else:
        draw.line(points, fill=color, width=2)
        for x, y in points:
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=color)
    for (x, y), value, label in zip(points, values, labels, strict=True):
        centered_text(draw, (x, y - 8), str(value), size=11)
        centered_text(draw, (x, BOTTOM + 10), label, size=11)
    return image


def caption(params: dict[str, Any]) -> str:
    pairs = ", ".join(f"{label} = {value}" for label, value in zip(params["labels"], params["values"], strict=True))
    kind = "bar chart" if params["chart"] == "bar" else "line chart over the years"
    return (f"A {kind} titled '{params['title']}' drawn in {params['color']}. The y-axis runs from 0 to "
            f"{params['y_max']}; each value is printed above its {'bar' if params['chart'] == 'bar' else 'point'}: "
            f"{pairs}.")

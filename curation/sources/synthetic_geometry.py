"""Triangles (Geometry3K/GEOS-like): missing angles, Pythagorean lengths, perimeter and area."""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any

from PIL import Image

from curation.sources.synthetic_draw import (
    BLACK,
    canvas,
    centered_text,
    choice_letter,
    number_text,
    numeric_options,
    options_text,
)

SOURCE = "synth_geometry"
WIDTH, HEIGHT = 320, 240
TRIPLES = [(3, 4, 5), (5, 12, 13), (8, 15, 17), (7, 24, 25), (20, 21, 29), (9, 40, 41)]
QUESTIONS = ["third_angle", "isosceles_base", "hypotenuse", "leg", "right_area", "perimeter"]


def sample(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(QUESTIONS)
    params: dict[str, Any] = {"question": kind}
    if kind == "third_angle":
        angle_a = rng.randint(25, 110)
        angle_b = rng.randint(25, 155 - angle_a)
        params["angles"] = {"A": angle_a, "B": angle_b}
    elif kind == "isosceles_base":
        params["angles"] = {"A": 2 * rng.randint(15, 65)}  # even apex angle -> integer base angles
    elif kind in ("hypotenuse", "leg", "right_area"):
        a, b, c = rng.choice(TRIPLES)
        scale = rng.randint(1, 3) if c < 20 else 1
        params["sides"] = {"BC": a * scale, "AC": b * scale, "AB": c * scale}  # right angle at C
    else:
        while True:
            sides = [rng.randint(3, 15) for _ in range(3)]
            longest = max(sides)
            if 2 * longest < sum(sides) - 1:  # a clearly non-degenerate triangle
                break
        params["sides"] = dict(zip(["BC", "AC", "AB"], sides, strict=True))
    if kind != "right_area" and rng.random() < 0.4:
        truth = _truth(params)
        params["options"] = numeric_options(rng, int(truth), spread=6 if truth > 20 else 3, low=1)
    return params


def _truth(params: dict[str, Any]) -> Fraction:
    kind = params["question"]
    if kind == "third_angle":
        return Fraction(180 - params["angles"]["A"] - params["angles"]["B"])
    if kind == "isosceles_base":
        return Fraction(180 - params["angles"]["A"], 2)
    sides = params["sides"]
    if kind == "hypotenuse":
        return Fraction(math.isqrt(sides["BC"] ** 2 + sides["AC"] ** 2))
    if kind == "leg":
        return Fraction(math.isqrt(sides["AB"] ** 2 - sides["BC"] ** 2))
    if kind == "right_area":
        return Fraction(sides["BC"] * sides["AC"], 2)
    return Fraction(sum(sides.values()))


def answer(params: dict[str, Any]) -> str:
    truth = number_text(_truth(params))
    return choice_letter(params["options"], truth) if "options" in params else truth


def question(params: dict[str, Any]) -> tuple[str, list[str]]:
    kind = params["question"]
    texts = {
        "third_angle": "In triangle ABC, find the measure of angle C in degrees.",
        "isosceles_base": "Triangle ABC is isosceles with AB = AC. Find the measure of angle B in degrees.",
        "hypotenuse": "Triangle ABC has a right angle at C. Find the length of AB.",
        "leg": "Triangle ABC has a right angle at C. Find the length of AC.",
        "right_area": "Triangle ABC has a right angle at C. What is the area of the triangle?",
        "perimeter": "What is the perimeter of triangle ABC?",
    }
    text = texts[kind]
    if "options" in params:
        return f"{text}\n{options_text(params['options'])}", list(params["options"])
    return text, []


def _angles(params: dict[str, Any]) -> tuple[float, float]:
    """Interior angles at A and B (degrees) of the triangle to draw."""
    kind = params["question"]
    if kind == "third_angle":
        return params["angles"]["A"], params["angles"]["B"]
    if kind == "isosceles_base":
        apex = params["angles"]["A"]
        return apex, (180 - apex) / 2
    a, b, c = params["sides"]["BC"], params["sides"]["AC"], params["sides"]["AB"]
    angle_a = math.degrees(math.acos((b * b + c * c - a * a) / (2 * b * c)))
    angle_b = math.degrees(math.acos((a * a + c * c - b * b) / (2 * a * c)))
    return angle_a, angle_b


def _points(angle_a: float, angle_b: float) -> dict[str, tuple[float, float]]:
    """Vertices with AB on the baseline, scaled and centred to fit the canvas."""
    ta, tb = math.radians(angle_a), math.radians(angle_b)
    # C from A along angle_a; |AC| = sin(B) / sin(A + B) with |AB| = 1 (law of sines).
    ac = math.sin(tb) / math.sin(ta + tb)
    raw = {"A": (0.0, 0.0), "B": (1.0, 0.0), "C": (ac * math.cos(ta), ac * math.sin(ta))}
    xs, ys = [p[0] for p in raw.values()], [p[1] for p in raw.values()]
    scale = min((WIDTH - 80) / (max(xs) - min(xs)), (HEIGHT - 80) / (max(ys) - min(ys)))
    off_x = (WIDTH - scale * (max(xs) - min(xs))) / 2 - scale * min(xs)
    return {k: (off_x + scale * x, HEIGHT - 40 - scale * y) for k, (x, y) in raw.items()}


def render(params: dict[str, Any]) -> Image.Image:
    image, draw = canvas(WIDTH, HEIGHT)
    angle_a, angle_b = _angles(params)
    points = _points(angle_a, angle_b)
    interior = {"A": angle_a, "B": angle_b, "C": 180 - angle_a - angle_b}
    draw.polygon([points["A"], points["B"], points["C"]], outline=BLACK, width=2)
    cx = sum(p[0] for p in points.values()) / 3
    cy = sum(p[1] for p in points.values()) / 3

    def outward(x: float, y: float, distance: float) -> tuple[float, float]:
        dx, dy = x - cx, y - cy
        norm = math.hypot(dx, dy) or 1.0
        return x + distance * dx / norm, y + distance * dy / norm

    def inward(name: str) -> tuple[float, float]:
        # A sharp corner needs its label further in, or the text sits on the sides.
        distance = min(60.0, max(24.0, 14 / math.sin(math.radians(interior[name]) / 2)))
        return outward(*points[name], -distance)

    for name, (x, y) in points.items():
        centered_text(draw, outward(x, y, 12), name, size=14)
    kind = params["question"]
    if "angles" in params:
        for name, degrees in params["angles"].items():
            centered_text(draw, inward(name), f"{degrees}°", size=12)
        if kind == "third_angle":
            centered_text(draw, inward("C"), "?", size=13)
        else:
            for side in ("AB", "AC"):  # tick marks on the equal sides
                (x1, y1), (x2, y2) = points[side[0]], points[side[1]]
                mx, my = (x1 + x2) / 2, (y1 + y2) / 2
                draw.line([outward(mx, my, -4), outward(mx, my, 4)], fill=BLACK, width=2)
    if "sides" in params:
        hidden = {"hypotenuse": "AB", "leg": "AC"}.get(kind)
        for side, length in params["sides"].items():
            (x1, y1), (x2, y2) = points[side[0]], points[side[1]]
            text = "?" if side == hidden else str(length)
            centered_text(draw, outward((x1 + x2) / 2, (y1 + y2) / 2, 12), text, size=12)
        if kind in ("hypotenuse", "leg", "right_area"):
            cx_, cy_ = points["C"]
            a_dir, b_dir = _unit(points["C"], points["A"]), _unit(points["C"], points["B"])
            corner = [(cx_ + 10 * a_dir[0], cy_ + 10 * a_dir[1]),
                      (cx_ + 10 * (a_dir[0] + b_dir[0]), cy_ + 10 * (a_dir[1] + b_dir[1])),
                      (cx_ + 10 * b_dir[0], cy_ + 10 * b_dir[1])]
            draw.line(corner, fill=BLACK, width=1)
    return image


def _unit(origin: tuple[float, float], target: tuple[float, float]) -> tuple[float, float]:
    dx, dy = target[0] - origin[0], target[1] - origin[1]
    norm = math.hypot(dx, dy) or 1.0
    return dx / norm, dy / norm


def caption(params: dict[str, Any]) -> str:
    kind = params["question"]
    if kind == "third_angle":
        a, b = params["angles"]["A"], params["angles"]["B"]
        return f"Triangle ABC. Angle A is labelled {a}°, angle B is labelled {b}°, and angle C is marked '?'."
    if kind == "isosceles_base":
        return (f"Triangle ABC with tick marks showing AB = AC. The apex angle A is labelled "
                f"{params['angles']['A']}°.")
    sides = params["sides"]
    hidden = {"hypotenuse": "AB", "leg": "AC"}.get(kind)
    parts = [f"{side} = {'?' if side == hidden else length}" for side, length in sides.items()]
    right = " A right-angle mark is at C." if kind in ("hypotenuse", "leg", "right_area") else ""
    return f"Triangle ABC with side lengths labelled {', '.join(parts)}.{right}"

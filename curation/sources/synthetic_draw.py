"""Helpers shared by the synthetic families: canvas, font, PNG bytes, answer text, multiple choice."""

from __future__ import annotations

import io
import random
from fractions import Fraction
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

LETTERS = "ABCDEFGH"
WHITE = (255, 255, 255)
BLACK = (20, 20, 20)
GRID = (215, 215, 215)
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (214, 39, 40),
    "blue": (31, 119, 180),
    "green": (44, 160, 44),
    "yellow": (230, 200, 30),
    "purple": (148, 103, 189),
    "gray": (127, 127, 127),
}


@lru_cache(maxsize=8)
def font(size: int = 13) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """PIL's bundled default font (no download); cached because loading it costs more than a drawing."""
    return ImageFont.load_default(size=size)


def canvas(width: int, height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (width, height), WHITE)
    return image, ImageDraw.Draw(image)


def png_bytes(image: Image.Image) -> bytes:
    # compress_level=1: flat-colour drawings compress well even at the fastest level, and it keeps
    # generation well above 500 problems/s; the PNG encoder is deterministic for a given level.
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def number_text(value: float | int | Fraction) -> str:
    """Canonical answer text of a number: ``12``, ``7.5``, ``3.75`` (no trailing zeros, no exponent)."""
    if isinstance(value, Fraction) and value.denominator == 1:
        return str(value.numerator)
    number = float(value)
    if number == int(number):
        return str(int(number))
    return f"{number:.6f}".rstrip("0").rstrip(".")


def centered_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int = 13,
                  fill: tuple[int, int, int] = BLACK) -> None:
    draw.text(xy, text, fill=fill, font=font(size), anchor="mm")


def numeric_options(rng: random.Random, truth: int, count: int = 4, spread: int = 3, low: int = 0) -> list[str]:
    """``count`` distinct integer option texts including ``truth``, shuffled."""
    candidates = {truth}
    step = rng.choice([1, 2, 5, 10]) if spread > 3 else 1
    while len(candidates) < count:
        delta = rng.randint(1, spread) * step * rng.choice([-1, 1])
        if truth + delta >= low:
            candidates.add(truth + delta)
    options = [str(c) for c in candidates]
    rng.shuffle(options)
    return options


def choice_letter(options: list[str], truth: str) -> str:
    """The letter of the option equal to ``truth``; the params must contain it (a broken draw is a bug)."""
    return LETTERS[options.index(truth)]


def options_text(options: list[str]) -> str:
    return "Choices: " + " ".join(f"({LETTERS[i]}) {text}" for i, text in enumerate(options))

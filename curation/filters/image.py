"""image: every referenced image is present, decodable, complete, not blank and not too large.

Checks per image (results cached by sha256, since k rollouts share one image): present in the
image store, header within ``bomb_pixels`` (checked before decoding: decompression bombs are
refused unread), decodes fully (a truncated file fails), not blank (the grey-level range is at
most ``blank_range``), and at most ``max_pixels`` (paper: 262144) unless ``resize: allow``, where
a larger image is kept and ``image_scale`` says how much training must shrink it.
"""

from __future__ import annotations

import warnings
from typing import Literal

import polars as pl
from PIL import Image
from pydantic import Field

from curation.rows import decide
from curation.stages.base import Stage, StageParams
from curation.stages.registry import register_stage


class ImageParams(StageParams):
    max_pixels: int = Field(262_144, gt=0, description="largest width*height for training (paper: 262144)")
    resize: Literal["allow", "drop"] = Field(
        "allow", description="larger images: keep and scale down at training time (allow) or drop")
    bomb_pixels: int = Field(50_000_000, gt=0, description="refuse to decode images whose header claims more pixels")
    blank_range: int = Field(2, ge=0, description="an image whose grey levels span at most this is blank")
    require_image: bool = Field(False, description="drop rows that reference no image")
    column: str = Field("image_ids", description="list column of image sha256 ids")


def inspect_image(path: str, p: ImageParams) -> tuple[str | None, int]:
    """(issue or None, pixels) for one image file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                pixels = image.width * image.height
                if pixels > p.bomb_pixels:
                    return f"decompression bomb ({image.width}x{image.height})", pixels
                image.load()
                low, high = image.convert("L").getextrema()
    except FileNotFoundError:
        return "missing from the image store", 0
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return f"decompression bomb ({exc})", 0
    except Exception as exc:  # noqa: BLE001 - decoders raise OSError, ValueError, SyntaxError...: all mean unusable
        return f"undecodable ({type(exc).__name__}: {str(exc)[:200]})", 0
    if high - low <= p.blank_range:
        return "blank", pixels
    if pixels > p.max_pixels and p.resize == "drop":
        return f"too large ({pixels} > {p.max_pixels} pixels)", pixels
    return None, pixels


@register_stage
class ImageFilter(Stage):
    type = "image"
    Params = ImageParams
    description = "drop rows whose images are missing, undecodable, truncated, blank, bombs or too large"

    def __init__(self, params: StageParams, ctx) -> None:
        super().__init__(params, ctx)
        self._seen: dict[str, tuple[str | None, int]] = {}

    def _check(self, sha: str) -> tuple[str | None, int]:
        if sha not in self._seen:
            self._seen[sha] = inspect_image(str(self.ctx.store.images.path(sha)), self.params)  # type: ignore[arg-type]
        return self._seen[sha]

    def process_batch(self, batch: pl.DataFrame) -> pl.DataFrame:
        p: ImageParams = self.params  # type: ignore[assignment]
        issues, largest = [], []
        for ids in batch[p.column].to_list():
            ids = ids or []
            checked = [(sha, *self._check(sha)) for sha in ids]
            bad = [f"{sha[:12]}: {issue}" for sha, issue, _ in checked if issue]
            if not ids and p.require_image:
                bad = ["no image"]
            issues.append("; ".join(bad) or None)
            largest.append(max((pixels for _, _, pixels in checked), default=0))
        pixels = pl.Series("image_pixels", largest, dtype=pl.Int64)
        scale = pl.when(pl.col("image_pixels") > p.max_pixels).then(
            (p.max_pixels / pl.col("image_pixels").cast(pl.Float64)).sqrt()).otherwise(1.0)
        out = batch.with_columns(pixels, pl.Series("image_issue", issues, dtype=pl.Utf8))
        return out.with_columns(scale.alias("image_scale")).with_columns(
            decide(pl.col("image_issue").is_null(), "bad_image", pl.col("image_issue")))

"""The image filter survives every decoder failure (PIL raises more than OSError) and keeps unusual but valid
images: CMYK JPEG, 16-bit PNG, animated GIF."""

from __future__ import annotations

from curation.filters.image import ImageParams, inspect_image
from tests.reliability.hostile import animated_gif, bomb_png, png, sixteen_bit_png


def test_a_decoder_value_error_is_an_undecodable_image_not_a_crash(tmp_path):
    path = tmp_path / "broken.ppm"
    path.write_bytes(b"P6\n" + b"1" * 40 + b" 4\n255\n" + b"\x00" * 48)  # PIL raises ValueError (token too long)
    issue, pixels = inspect_image(str(path), ImageParams())
    assert issue is not None and issue.startswith("undecodable (ValueError") and pixels == 0


def test_unusual_valid_images_are_kept_and_bombs_refused(tmp_path):
    params = ImageParams()
    for name, data in [("cmyk.jpg", png(3, mode="CMYK", fmt="JPEG")), ("deep.png", sixteen_bit_png()),
                       ("moving.gif", animated_gif())]:
        (tmp_path / name).write_bytes(data)
        assert inspect_image(str(tmp_path / name), params)[0] is None, name
    (tmp_path / "bomb.png").write_bytes(bomb_png())
    assert "decompression bomb" in inspect_image(str(tmp_path / "bomb.png"), params)[0]

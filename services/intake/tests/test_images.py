"""Photos are judged by decoding and stored as a fresh encoding without metadata."""

from __future__ import annotations

import hashlib
import io

import pytest
from intake_support import (
    SECRET_COMMENT,
    gif,
    hostile_photos,
    huge_png,
    jpeg_with_gps,
    png,
    png_with_chunks,
    text_chunk,
    webp,
)
from PIL import Image

from sipokat.intake.adapters.images import PhotoRefused, clean

LIMIT = 40_000_000


def test_a_jpeg_loses_its_gps_exif_and_comment_but_keeps_its_pixels_upright() -> None:
    original = jpeg_with_gps(size=(64, 48), orientation=6)  # 6: rotate 90° to view
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the GPS is there
    photo = clean(original, LIMIT)
    stored = Image.open(io.BytesIO(photo.data))
    assert photo.content_type == "image/jpeg"
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}
    assert "exif" not in stored.info
    assert "comment" not in stored.info
    assert SECRET_COMMENT not in photo.data
    assert b"Exif" not in photo.data
    assert (photo.width, photo.height) == (48, 64)  # orientation applied to the pixels
    red, green, blue = stored.convert("RGB").getpixel((10, 10))  # type: ignore[misc]
    assert red > 150 and green < 80 and blue < 80
    assert photo.sha256 == hashlib.sha256(photo.data).hexdigest()


def test_png_text_chunks_are_dropped_and_transparency_kept() -> None:
    photo = clean(png(text="alamat rumah"), LIMIT)
    stored = Image.open(io.BytesIO(photo.data))
    assert photo.content_type == "image/png"
    assert b"alamat rumah" not in photo.data
    assert stored.mode == "RGBA"
    assert stored.getpixel((0, 0)) == (10, 200, 10, 128)


def test_webp_is_accepted() -> None:
    assert clean(webp(), LIMIT).content_type == "image/webp"


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7 not an image", b"", gif(), b"<svg xmlns='http://www.w3.org/2000/svg'/>"],
    ids=["pdf", "empty", "gif", "svg"],
)
def test_what_is_not_a_jpeg_png_or_webp_is_refused(data: bytes) -> None:
    with pytest.raises(PhotoRefused) as refused:
        clean(data, LIMIT)
    assert refused.value.code == "not_an_image"


def test_a_jpeg_named_anything_is_judged_by_its_bytes_and_a_cut_one_is_refused() -> None:
    data = jpeg_with_gps(size=(256, 256))
    with pytest.raises(PhotoRefused) as refused:
        clean(data[: len(data) // 2], LIMIT)
    assert refused.value.code == "broken_image"


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    bomb = huge_png(8000)  # 64 million pixels in a few kilobytes
    assert len(bomb) < 100_000
    with pytest.raises(PhotoRefused) as refused:
        clean(bomb, LIMIT)
    assert refused.value.code == "too_many_pixels"
    assert "8000x8000" in str(refused.value)


def test_the_configured_pixel_limit_holds() -> None:
    with pytest.raises(PhotoRefused):
        clean(png(size=(101, 100)), max_pixels=10_000)
    assert clean(png(size=(100, 100)), max_pixels=10_000).width == 100


@pytest.mark.parametrize(("data", "code"), hostile_photos().values(), ids=hostile_photos().keys())
def test_every_way_pillow_refuses_a_file_is_one_photo_refusal(data: bytes, code: str) -> None:
    """Text and ICC chunks that inflate past Pillow's limits, too much text in all, files cut
    off in any format, headers past Pillow's own bomb guard: a PhotoRefused, nothing else."""
    with pytest.raises(PhotoRefused) as refused:
        clean(data, LIMIT)
    assert refused.value.code == code
    said = refused.value.text()
    assert said.render("id") != said.render("en")


def test_a_phone_photo_with_ordinary_metadata_text_is_kept() -> None:
    """The text limit is far above what a phone writes (a few kilobytes)."""
    photo = clean(png_with_chunks(*[text_chunk(f"XMP{n}", 200_000) for n in range(3)]), LIMIT)
    assert (photo.width, photo.height) == (8, 8)

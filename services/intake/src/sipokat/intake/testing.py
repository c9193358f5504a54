"""Test support: photos made with Pillow (one with GPS EXIF and a comment, as phones write them)
and a bomb-shaped PNG. Used by the service tests and the end-to-end tests."""

from __future__ import annotations

import io

from PIL import Image

# Where the RT head's house is: the position that must never be stored.
GPS_LATITUDE = ((3.0, 1.0), (17.0, 1.0), (42.0, 1.0))
SECRET_COMMENT = b"rumah pak RT, Jl. Pelita 7"


def jpeg_with_gps(size: tuple[int, int] = (64, 48), orientation: int = 1) -> bytes:
    image = Image.new("RGB", size, (180, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "S"
    gps[2] = (3.0, 17.0, 42.0)
    gps[3] = "E"
    gps[4] = (102.0, 51.0, 41.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=SECRET_COMMENT)
    return out.getvalue()


def png(size: tuple[int, int] = (32, 32), text: str | None = None) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    if text:
        info.add_text("Comment", text)
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 200, 10, 128)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def webp(size: tuple[int, int] = (32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 10, 200)).save(out, "WEBP")
    return out.getvalue()


def huge_png(side: int) -> bytes:
    """A tiny file of side x side pixels: the shape of a decompression bomb."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG", optimize=True)
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, "GIF")
    return out.getvalue()

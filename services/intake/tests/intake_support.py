"""Test support: photos made with Pillow (one with GPS EXIF and a comment, as phones write them)
and a bomb-shaped PNG. Used by intake's tests and the cross-service tests (put on the path by
this folder's conftest.py and by tests/conftest.py)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, PngImagePlugin

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


def png(size: tuple[int, int] = (32, 32), text: str | None = None, shade: int = 10) -> bytes:
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text)
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 200, shade, 128)).save(out, "PNG", pnginfo=info)
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


# Hostile files of the shapes an attacker sends: each must be refused with a 4xx, never a 500.


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def png_with_chunks(*chunks: bytes, after_pixels: bool = False) -> bytes:
    """A small PNG with `chunks` (made by `_chunk`) before its pixel data, or after it."""
    data = png(size=(8, 8))
    if after_pixels:
        iend = data.rindex(b"IEND") - 4
        return data[:iend] + b"".join(chunks) + data[iend:]
    ihdr_end = 8 + 8 + 13 + 4  # signature, IHDR length and type, IHDR, CRC
    return data[:ihdr_end] + b"".join(chunks) + data[ihdr_end:]


def inflating(size: int) -> bytes:
    """`size` bytes of text, deflated to about a thousandth of that."""
    return zlib.compress(b"a" * size, 9)


def text_bomb(kind: str = "zTXt", after_pixels: bool = False) -> bytes:
    """One text chunk that inflates past Pillow's limit for a chunk (MAX_TEXT_CHUNK)."""
    too_much = inflating(PngImagePlugin.MAX_TEXT_CHUNK + 1)
    payload = {
        "zTXt": b"Comment\0\0" + too_much,
        "iTXt": b"Comment\0\1\0\0\0" + too_much,  # compressed, no language, no translation
        "iCCP": b"icc\0\0" + too_much,
    }[kind]
    return png_with_chunks(_chunk(kind.encode(), payload), after_pixels=after_pixels)


def text_chunk(keyword: str, size: int) -> bytes:
    """A zTXt chunk of `size` bytes of text."""
    return _chunk(b"zTXt", keyword.encode() + b"\0\0" + inflating(size))


def text_flood(chunks: int = 8, each: int = 900 * 1024) -> bytes:
    """Many text chunks, each within Pillow's limit for one, several MiB of text in all."""
    return png_with_chunks(*(text_chunk(f"Comment{n}", each) for n in range(chunks)))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` pixels (its CRC fixed up); its pixel data is
    that of an 8 x 8 image."""
    data = png(size=(8, 8))
    ihdr = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + data[33:]


def hostile_photos() -> dict[str, tuple[bytes, str]]:
    """Name → (bytes, the refusal code): the shapes the fuzz and abuse tests send."""
    cut_png = png(size=(256, 256))
    cut_jpeg = jpeg_with_gps(size=(256, 256))
    cut_webp = webp(size=(256, 256))
    return {
        "png-ztxt-bomb": (text_bomb("zTXt"), "broken_image"),
        "png-itxt-bomb": (text_bomb("iTXt"), "broken_image"),
        "png-iccp-bomb": (text_bomb("iCCP"), "broken_image"),
        "png-ztxt-bomb-after-pixels": (text_bomb("zTXt", after_pixels=True), "broken_image"),
        "png-text-flood": (text_flood(), "broken_image"),
        "png-cut-off": (cut_png[: len(cut_png) - 40], "broken_image"),
        "jpeg-cut-off": (cut_jpeg[: len(cut_jpeg) // 2], "broken_image"),
        "webp-cut-off": (cut_webp[: len(cut_webp) // 2], "broken_image"),
        "png-header-past-pillow-guard": (png_claiming(30_000, 30_000), "too_many_pixels"),
        "png-header-over-limit": (png_claiming(8_000, 6_000), "too_many_pixels"),
    }

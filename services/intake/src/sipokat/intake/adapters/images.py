"""Photo checks and re-encoding with Pillow: judged by decoding, never by name or declared type.

The stored photo is a fresh encoding of the decoded pixels: EXIF (above all the GPS position of
the RT head's house), XMP, comments and anything appended after the image do not survive,
because none of it is copied. The orientation EXIF carried is applied to the pixels first, so
the photo still stands the right way up without it.

Every way Pillow can refuse the bytes ends as one `PhotoRefused` with one of three codes: not
an image at all, too many pixels, or an image that cannot be read (cut off, corrupt, or with
metadata that inflates past Pillow's limits). Nothing Pillow raises on bad input escapes as
anything else.
"""

from __future__ import annotations

import contextlib
import io
import struct
from collections.abc import Iterator
from typing import Any

from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from sipokat.intake.domain import CleanPhoto
from sipokat.runtime.messages import Text

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}

# PNG text chunks (tEXt, zTXt, iTXt) are inflated while the header is read, before any pixel
# limit is checked, and none of them is kept. Pillow caps one chunk at 1 MiB and all of them at
# 64 MiB a file; 64 MiB of made-up text per concurrent upload is memory no photo needs. A phone's
# metadata is a few kilobytes. (Pillow's own setting, process-wide: only photos use it here.)
PngImagePlugin.MAX_TEXT_MEMORY = 4 * 1024 * 1024

# What Pillow raises for bytes it cannot read once a plugin has taken them: OSError (cut off,
# "broken data stream", decoder errors), SyntaxError (a malformed chunk or marker), ValueError
# (a text or ICC chunk that inflates past Pillow's limits), EOFError, struct.error, IndexError
# and TypeError (plugins reading fields the file does not have).
_UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, TypeError)


# Why a photo is refused, by message key: (English, Indonesian), formatted with the refusal's
# params; the words beside the refusals that use them.
PHOTOS: dict[str, tuple[str, str]] = {
    "not_an_image": (
        "the file is not a JPEG, PNG or WebP image",
        "berkas ini bukan gambar JPEG, PNG, atau WebP",
    ),
    "too_many_pixels": (
        "the image has {width}x{height} pixels; at most {max_pixels} are accepted",
        "gambar berukuran {width}x{height} piksel; paling banyak {max_pixels} piksel diterima",
    ),
    "bomb": (
        "the image has more than {max_pixels} pixels",
        "gambar memiliki lebih dari {max_pixels} piksel",
    ),
    "broken_image": (
        "the image cannot be read: its data is broken or cut off, or its metadata is too large",
        "gambar tidak dapat dibaca: datanya rusak atau terpotong, atau metadatanya terlalu besar",
    ),
}


class PhotoRefused(ValueError):
    """The upload is not a photo intake keeps. `code` is one of not_an_image, too_many_pixels,
    broken_image; `message_key` and `params` give the text (`PHOTOS`), `reason` what Pillow
    said, for the log only (English, and about Pillow, not the client)."""

    def __init__(
        self, code: str, message_key: str | None = None, *, reason: str = "", **params: Any
    ) -> None:
        self.code = code
        self.message_key = message_key or code
        self.params = params
        self.reason = reason
        super().__init__(str(self.text()))

    def text(self) -> Text:
        english, indonesian = PHOTOS[self.message_key]
        return Text(english, indonesian, self.params)


@contextlib.contextmanager
def _refusals(max_pixels: int) -> Iterator[None]:
    """Pillow's errors on bad input, as PhotoRefused."""
    try:
        yield
    except PhotoRefused:
        raise
    except UnidentifiedImageError as exc:  # an OSError: before the generic case
        raise PhotoRefused("not_an_image", reason=str(exc)) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRefused(
            "too_many_pixels", "bomb", reason=str(exc), max_pixels=_pixel_limit(max_pixels)
        ) from exc
    except _UNREADABLE as exc:
        raise PhotoRefused("broken_image", reason=f"{type(exc).__name__}: {exc}") from exc


def _pixel_limit(max_pixels: int) -> int:
    return min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Read the header only: the pixel count is judged before any pixel is decoded.

    Pillow's own bomb guard (`Image.MAX_IMAGE_PIXELS`) stays as a second line: the limit is the
    lower of the two. (Its warning is not turned into an error: `warnings.catch_warnings` is not
    thread-safe, and photos are decoded on several threads at once.)
    """
    with _refusals(max_pixels):
        image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    width, height = image.size
    limit = _pixel_limit(max_pixels)
    if width * height > limit:
        raise PhotoRefused("too_many_pixels", width=width, height=height, max_pixels=limit)
    return image


def _bytes_per_pixel(mode: str) -> int:
    """What Pillow holds a pixel of `mode` in: one byte for 1/L/P, two for 16-bit grey, else four
    (RGB is padded to four)."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def decode_cost(data: bytes, max_pixels: int) -> int:
    """The bytes decoding and re-encoding `data` holds at its peak, from the header alone: the
    decoded pixels, one more full-size image while it is turned upright or converted, and the
    JPEG coefficients libjpeg keeps for a progressive decode or an optimised encode (about
    4 bytes a pixel in all). Raises PhotoRefused as `clean` would for a bad header."""
    image = _open(data, max_pixels)
    per_pixel = 2 * _bytes_per_pixel(image.mode)
    if image.format in ("JPEG", "MPO"):
        per_pixel += 4
    width, height = image.size
    return width * height * per_pixel


# Encoder settings: JPEG and WebP are re-compressed at a quality that keeps a report photo
# legible; PNG is lossless anyway.
_SAVE_OPTIONS: dict[str, dict[str, int | bool]] = {
    "JPEG": {"quality": 85, "optimize": True},
    "WEBP": {"quality": 85},
    "PNG": {"optimize": True},
}


def clean(data: bytes, max_pixels: int) -> CleanPhoto:
    """Decode `data` fully, then encode the pixels again in the same format, without metadata.

    One full-size image is held, plus a second only while it is turned upright or converted:
    the decoded image is worked on in place, not copied.
    """
    image = _open(data, max_pixels)
    # Phones write multi-picture JPEGs (MPO); the first picture is the photo.
    fmt = "JPEG" if image.format == "MPO" else str(image.format)
    with _refusals(max_pixels):
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        if fmt == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        elif image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        # Encoders fall back to `info` for what they are not given (Pillow's JPEG encoder copies
        # a comment from it), so only the transparency of the pixels themselves is left in it.
        image.info = {k: v for k, v in image.info.items() if k == "transparency"}
        out = io.BytesIO()
        image.save(out, format=fmt, **_SAVE_OPTIONS[fmt])
    return CleanPhoto(out.getvalue(), FORMATS[fmt], image.width, image.height)

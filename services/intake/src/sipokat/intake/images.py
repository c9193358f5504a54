"""Photo checks and re-encoding with Pillow: judged by decoding, never by name or declared type.

The stored photo is a fresh encoding of the decoded pixels: EXIF (above all the GPS position of
the RT head's house), XMP, comments and anything appended after the image do not survive,
because none of it is copied. The orientation EXIF carried is applied to the pixels first, so
the photo still stands the right way up without it.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class PhotoRefused(ValueError):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code  # not_an_image, unsupported_format, too_many_pixels, broken_image


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Read the header only: the pixel count is judged before any pixel is decoded."""
    try:
        # Pillow's own bomb guard (MAX_IMAGE_PIXELS) stays as a second line: its warning is
        # made an error so it cannot pass by unnoticed if the configured limit is set higher.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except UnidentifiedImageError as exc:
        raise PhotoRefused("not_an_image", "the file is not a JPEG, PNG or WebP image") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRefused("too_many_pixels", str(exc)) from exc
    width, height = image.size
    if width * height > max_pixels:
        raise PhotoRefused(
            "too_many_pixels",
            f"the image has {width}x{height} pixels; at most {max_pixels} are accepted",
        )
    return image


# Encoder settings: JPEG and WebP are re-compressed at a quality that keeps a report photo
# legible; PNG is lossless anyway.
_SAVE_OPTIONS: dict[str, dict[str, int | bool]] = {
    "JPEG": {"quality": 85, "optimize": True},
    "WEBP": {"quality": 85},
    "PNG": {"optimize": True},
}


def clean(data: bytes, max_pixels: int) -> CleanPhoto:
    """Decode `data` fully, then encode the pixels again in the same format, without metadata."""
    image = _open(data, max_pixels)
    # Phones write multi-picture JPEGs (MPO); the first picture is the photo.
    fmt = "JPEG" if image.format == "MPO" else str(image.format)
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt pixel data
        raise PhotoRefused("broken_image", f"the image cannot be decoded: {exc}") from exc
    if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    elif upright.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        upright = upright.convert("RGBA")
    # Encoders fall back to `info` for what they are not given (Pillow's JPEG encoder copies a
    # comment from it), so only the transparency of the pixels themselves is left in it.
    bare = upright.copy()
    bare.info = {k: v for k, v in upright.info.items() if k == "transparency"}
    out = io.BytesIO()
    bare.save(out, format=fmt, **_SAVE_OPTIONS[fmt])
    return CleanPhoto(out.getvalue(), FORMATS[fmt], bare.width, bare.height)

"""A small JPEG for a report: a made-up scene (sky, ground, a few houses), different each time so
every upload is its own attachment."""

from __future__ import annotations

import io
from random import Random

from PIL import Image, ImageDraw

SIZE = (320, 240)


def scene_jpeg(rng: Random) -> bytes:
    width, height = SIZE
    image = Image.new("RGB", SIZE, (rng.randint(120, 180), rng.randint(170, 210), 235))
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(height // 2, height * 2 // 3)
    draw.rectangle((0, horizon, width, height), fill=(rng.randint(60, 110), 140, 70))
    for _ in range(rng.randint(2, 5)):
        left = rng.randint(0, width - 60)
        top = horizon - rng.randint(30, 70)
        wall = (rng.randint(150, 250), rng.randint(120, 230), rng.randint(90, 200))
        draw.rectangle((left, top, left + 50, horizon + 5), fill=wall)
        draw.polygon([(left - 5, top), (left + 25, top - 20), (left + 55, top)], fill=(150, 50, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()

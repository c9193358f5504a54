"""Draws the app's icons (public/icon-*.png): a white house with a check mark on Sipokat blue.

Run once by hand (`python3 -m uv run python apps/rt/scripts/icons.py`) when the icon changes;
the PNGs are committed, so the build needs no image library.
"""

from pathlib import Path

from PIL import Image, ImageDraw

BLUE, WHITE = (11, 61, 145), (255, 255, 255)
HERE = Path(__file__).resolve().parents[1] / "public"


def icon(size: int, maskable: bool) -> Image.Image:
    image = Image.new("RGB", (size, size), BLUE)
    draw = ImageDraw.Draw(image)
    # A maskable icon keeps its drawing inside the central 80% safe zone.
    s = size * (0.6 if maskable else 0.8) / 100
    o = (size - 100 * s) / 2

    def p(x: float, y: float) -> tuple[float, float]:
        return (o + x * s, o + y * s)

    draw.polygon([p(50, 8), p(95, 48), p(5, 48)], fill=WHITE)  # roof
    draw.rectangle([p(17, 46), p(83, 92)], fill=WHITE)  # walls
    draw.line([p(32, 68), p(45, 80), p(70, 55)], fill=BLUE, width=max(2, round(9 * s)))
    return image


for size in (192, 512):
    icon(size, maskable=False).save(HERE / f"icon-{size}.png", optimize=True)
icon(512, maskable=True).save(HERE / "icon-maskable-512.png", optimize=True)

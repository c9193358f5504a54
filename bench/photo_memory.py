"""Peak RSS of intake while six 40-megapixel PNGs are uploaded at once (issue 19, item 3).

    uv run --group bench python bench/photo_memory.py [--uploads 6] [--rounds 2]

Each PNG is 8000 x 5000 pixels of one colour: about 150 KB on the wire, within the upload
limits (10 MiB, 40 million pixels), 160 MB once decoded. `--uploads` of them (each its own RT,
so the per-RT upload rate does not refuse any) go to a real intake process at once, `--rounds`
times; the figure is the kernel's record of the process's peak RSS (VmHWM), beside its RSS just
after start. Only intake runs (the uploads need nothing upstream). Deletes the topology and the
data afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import time
from pathlib import Path

import httpx
from figures import Figure, table
from PIL import Image
from processes import Platform, clean_up_on_sigterm

from sipokat.runtime.testing import bearer

SIZE = (8000, 5000)
# Six RTs of Pelita Jaya (16.73.02.1019) in the shipped directory.
RTS = [f"16.73.02.1019/{n:03d}" for n in range(1, 7)]


def big_png(shade: int) -> bytes:
    """Each upload its own bytes, so the content-addressed store does not answer from a hash."""
    out = io.BytesIO()
    Image.new("RGB", SIZE, (200, 30, shade)).save(out, "PNG")
    return out.getvalue()


def rss_mib(platform: Platform, field: str = "VmRSS") -> float:
    status = Path(f"/proc/{platform.processes['intake'].pid}/status").read_text()
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith(field))
    return kib / 1024


async def upload_all(url: str, photos: list[bytes]) -> tuple[list[int], float]:
    async with httpx.AsyncClient(base_url=url, timeout=300) as client:

        async def upload(index: int, data: bytes) -> int:
            rt = RTS[index % len(RTS)]
            answer = await client.post(
                "/v1/attachments",
                files={"file": (f"foto-{index}.png", data, "image/png")},
                headers=bearer("ketua_rt", rt),
            )
            return answer.status_code

        started = time.monotonic()
        statuses = await asyncio.gather(*(upload(i, data) for i, data in enumerate(photos)))
        return list(statuses), time.monotonic() - started


def measure(uploads: int = 6, rounds: int = 2) -> list[Figure]:
    platform = Platform({"SIPOKAT_UPLOAD_BURST": str(2 * rounds + 2)})
    try:
        platform.start("intake")
        time.sleep(2.0)  # past start-up work
        idle = rss_mib(platform)
        statuses: list[int] = []
        seconds: list[float] = []
        size = 0
        for round_ in range(rounds):
            photos = [big_png(round_ * uploads + i) for i in range(uploads)]
            size = max(size, *(len(p) for p in photos))
            answered, took = asyncio.run(upload_all(platform.url("intake"), photos))
            statuses += answered
            seconds.append(took)
        peak = rss_mib(platform, "VmHWM")
        after = rss_mib(platform)
        platform.check_running()
    except BaseException:
        platform.close(keep_logs=True)
        raise
    platform.close()
    created = statuses.count(201)
    megapixels = SIZE[0] * SIZE[1] / 1e6
    return [
        Figure(
            f"peak RSS, intake, {uploads} concurrent {megapixels:.0f} MP PNG uploads",
            "MiB",
            peak,
            baseline=idle,
            baseline_name="idle, just after start",
            higher_is_better=False,
            notes=(
                f"{created} of {len(statuses)} stored (201)"
                + (f", others {sorted(set(statuses) - {201})}" if created < len(statuses) else "")
                + "; "
                f"{rounds} rounds of {uploads}, {size / 1000:.0f} KB each, "
                f"{' / '.join(f'{s:.1f}' for s in seconds)} s a round; RSS after {after:.0f} MiB"
            ),
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    clean_up_on_sigterm()
    print(table(measure(args.uploads, args.rounds)))


if __name__ == "__main__":
    main()

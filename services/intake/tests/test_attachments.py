"""POST /v1/attachments and GET /v1/attachments/{sha256}: real SQLite store, files on disk."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from intake_support import (
    SECRET_COMMENT,
    gif,
    hostile_photos,
    huge_png,
    jpeg_with_gps,
    png,
)
from PIL import Image, ImageFile

from sipokat.intake.adapters.images import decode_cost
from sipokat.intake.bootstrap import create_app
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.media import MediaSigner
from sipokat.runtime.testing import bearer, runtime_of_app, service_client

pytestmark = pytest.mark.broker

RT = "16.73.02.1019/007"


async def upload(
    client: httpx.AsyncClient, data: bytes, rt: str = RT, name: str = "foto.jpg"
) -> httpx.Response:
    return await client.post(
        "/v1/attachments",
        files={"file": (name, data, "application/octet-stream")},
        headers=bearer("ketua_rt", rt),
    )


async def test_the_stored_bytes_of_an_uploaded_jpeg_carry_no_gps_exif(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    answer = await upload(client, jpeg_with_gps())
    assert answer.status_code == 201, answer.text
    photo = answer.json()
    assert photo["content_type"] == "image/jpeg"
    assert answer.headers["location"] == photo["url"] == f"/v1/attachments/{photo['sha256']}"

    files = [p for p in (settings.data_dir / "attachments").rglob("*") if p.is_file()]
    assert [f.name for f in files] == [photo["sha256"]]
    stored = files[0].read_bytes()
    image = Image.open(io.BytesIO(stored))
    assert image.getexif().get_ifd(0x8825) == {}
    assert dict(image.getexif()) == {}
    assert b"Exif" not in stored
    assert SECRET_COMMENT not in stored

    fetched = await client.get(photo["url"], headers=bearer("ketua_rt", RT))
    assert fetched.status_code == 200
    assert fetched.content == stored
    assert fetched.headers["content-type"] == "image/jpeg"


async def test_the_same_photo_twice_is_stored_once(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    data = png()
    first, second = (await upload(client, data)).json(), (await upload(client, data)).json()
    assert first == second
    assert len([p for p in (settings.data_dir / "attachments").rglob("*") if p.is_file()]) == 1


@pytest.mark.parametrize(
    ("data", "name", "status", "kind"),
    [
        (b"%PDF-1.7 pretending", "foto.jpg", 415, "photo-not-an-image"),
        (gif(), "foto.png", 415, "photo-not-an-image"),
        (huge_png(8000), "bom.png", 422, "photo-too-many-pixels"),
    ],
    ids=["pdf-named-jpg", "gif", "decompression-bomb"],
)
async def test_files_that_are_not_acceptable_photos_are_refused(
    client: httpx.AsyncClient,
    settings: IntakeSettings,
    data: bytes,
    name: str,
    status: int,
    kind: str,
) -> None:
    answer = await upload(client, data, name=name)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith(kind)
    assert answer.json()["errors"][0]["pointer"] == "/body/file"
    assert not (settings.data_dir / "attachments").exists()


@pytest.mark.parametrize(("data", "code"), hostile_photos().values(), ids=hostile_photos().keys())
async def test_files_pillow_refuses_are_4xx_problems_in_the_callers_language(
    client: httpx.AsyncClient, settings: IntakeSettings, data: bytes, code: str
) -> None:
    """Never a 500: what Pillow cannot read (a zTXt chunk inflating past its limit, a file cut
    off, ...) is one problem, in Indonesian when asked, and nothing is stored."""
    answers = {
        language: await client.post(
            "/v1/attachments",
            files={"file": ("foto.png", data, "image/png")},
            headers={**bearer("ketua_rt", RT), "Accept-Language": language},
        )
        for language in ("id", "en")
    }
    for answer in answers.values():
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"].endswith("photo-" + code.replace("_", "-"))
        assert answer.json()["errors"][0] == {
            "pointer": "/body/file",
            "detail": answer.json()["detail"],
            "code": code,
        }
    indonesian, english = answers["id"].json(), answers["en"].json()
    assert (indonesian["title"], english["title"]) == ("Foto tidak valid", "Invalid photo")
    assert indonesian["detail"].startswith("gambar ")
    assert english["detail"].startswith("the image ")
    assert not (settings.data_dir / "attachments").exists()


class DecodesInFlight:
    """Counts the photos decoded at once: a decode is in flight on its thread from Pillow's first
    `load` (the pixels are decoded) to the end of `save` (the re-encoded copy is written, the
    pixels can go). Each decode lingers a little at its start, so decodes that may overlap do."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.threads: set[int] = set()
        self.most = 0
        self.lock = threading.Lock()
        load, save = ImageFile.ImageFile.load, Image.Image.save

        def counted_load(image: ImageFile.ImageFile) -> Any:
            with self.lock:
                starting = threading.get_ident() not in self.threads
                self.threads.add(threading.get_ident())
                self.most = max(self.most, len(self.threads))
            if starting:
                time.sleep(0.2)
            return load(image)

        def counted_save(image: Image.Image, *args: Any, **kwargs: Any) -> None:
            try:
                save(image, *args, **kwargs)
            finally:
                with self.lock:
                    self.threads.discard(threading.get_ident())

        monkeypatch.setattr(ImageFile.ImageFile, "load", counted_load)
        monkeypatch.setattr(Image.Image, "save", counted_save)


@pytest.mark.parametrize(("photos_in_budget", "at_once"), [(1, 1), (5, 2)])
async def test_concurrent_uploads_decode_within_the_memory_budget(
    settings: IntakeSettings,
    monkeypatch: pytest.MonkeyPatch,
    photos_in_budget: int,
    at_once: int,
) -> None:
    """Five uploads at once: with room in the budget for one decode, one at a time; with room
    for five, as many as there are decode threads (two)."""
    photos = [png(size=(600, 400), shade=n) for n in range(5)]
    cost = decode_cost(photos[0], settings.max_photo_pixels)
    budgeted = settings.model_copy(
        update={"photo_decode_budget_bytes": cost * photos_in_budget, "photo_decode_threads": 2}
    )
    async with service_client(create_app(budgeted)) as client:
        in_flight = DecodesInFlight(monkeypatch)
        answers = await asyncio.gather(*(upload(client, photo) for photo in photos))
    assert [a.status_code for a in answers] == [201] * 5
    assert in_flight.most == at_once


async def test_a_photo_over_the_size_limit_is_413(settings: IntakeSettings) -> None:
    small = settings.model_copy(update={"max_photo_bytes": 2000})
    async with service_client(create_app(small)) as client:
        # within the multipart allowance, above the photo limit: judged after reading
        answer = await upload(client, jpeg_with_gps(size=(200, 200)) + b"\0" * 3000)
        assert answer.status_code == 413
        assert answer.json()["title"] == "Photo too large"
        # far above: refused by the body limit before the app reads it
        flood = await upload(client, b"\0" * 200_000)
        assert flood.status_code == 413
        assert flood.json()["title"] == "Content too large"


async def test_only_rt_heads_upload(client: httpx.AsyncClient) -> None:
    for role, wilayah in [("lurah", "16.73.02.1019"), ("admin", None), ("integrator", None)]:
        answer = await client.post(
            "/v1/attachments", files={"file": ("f.png", png())}, headers=bearer(role, wilayah)
        )
        assert answer.status_code == 403, role
    assert (
        await client.post("/v1/attachments", files={"file": ("f.png", png())})
    ).status_code == 401


def report_with(photo: dict[str, str]) -> dict[str, object]:
    return {
        "kind": "kegiatan",
        "bidang": "kesehatan_lingkungan",
        "title": "Kerja bakti",
        "description": "Gotong royong.",
        "activity_date": date.today().isoformat(),
        "photos": [{"sha256": photo["sha256"], "content_type": photo["content_type"]}],
    }


# Who may fetch the photo of a report of RT 007 in Pelita Jaya (16.73.02.1019), kecamatan
# Lubuk Linggau Barat I (16.73.02), Kota Lubuk Linggau (16.73): before and after the report.
WHO = [
    ("ketua_rt", RT, 200, 200),  # the uploader
    ("ketua_rt", "16.73.02.1019/003", 404, 404),  # another RT of the same kelurahan
    ("lurah", "16.73.02.1019", 404, 200),
    ("lurah", "16.73.02.1001", 404, 404),  # another kelurahan of the kecamatan
    ("camat", "16.73.02", 404, 200),
    ("camat", "16.73.01", 404, 404),
    ("pemkot", "16.73", 404, 200),
    ("pemkot", "35.71", 404, 404),
    ("admin", None, 404, 200),
    ("integrator", None, 404, 404),
]


async def test_a_photo_is_seen_by_its_rt_and_by_whoever_sees_a_report_showing_it(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    photo = (await upload(client, jpeg_with_gps())).json()
    before = [
        (await client.get(photo["url"], headers=bearer(role, wilayah))).status_code
        for role, wilayah, _, _ in WHO
    ]
    submitted = await client.post(
        "/v1/reports", json=report_with(photo), headers=bearer("ketua_rt", RT)
    )
    assert submitted.status_code == 202, submitted.text
    after = [
        (await client.get(photo["url"], headers=bearer(role, wilayah))).status_code
        for role, wilayah, _, _ in WHO
    ]
    assert before == [expected for _, _, expected, _ in WHO]
    assert after == [expected for _, _, _, expected in WHO]
    assert (await client.get(photo["url"])).status_code == 401
    stored = await runtime_of_app(app).database.events.read_stream(
        f"report-{submitted.json()['report_id']}"
    )
    assert stored[0].data.content.photos[0].sha256 == photo["sha256"]  # type: ignore[attr-defined]


async def test_a_report_may_show_only_photos_its_rt_uploaded(client: httpx.AsyncClient) -> None:
    photo = (await upload(client, png(), rt="16.73.02.1019/003")).json()
    answer = await client.post(
        "/v1/reports",
        json=report_with(photo),
        headers={**bearer("ketua_rt", RT), "Accept-Language": "id"},
    )
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert error["pointer"] == "/body/photos/0/sha256"
    assert error["detail"].startswith(f"foto {photo['sha256']} belum diunggah oleh RT {RT}")


async def test_a_refused_photo_is_explained_in_indonesian_when_asked(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/v1/attachments",
        files={"file": ("foto.jpg", b"%PDF-1.7 pretending", "application/octet-stream")},
        headers={**bearer("ketua_rt", RT), "Accept-Language": "id"},
    )
    assert (answer.status_code, answer.json()["title"]) == (415, "Jenis berkas tidak didukung")
    assert answer.json()["detail"] == "berkas ini bukan gambar JPEG, PNG, atau WebP"
    assert answer.headers["content-language"] == "id"


async def test_a_signed_link_shows_the_photo_without_a_token_until_it_expires(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    photo = (await upload(client, jpeg_with_gps())).json()
    sha = photo["sha256"]
    signer = MediaSigner(settings.media_url_secret.get_secret_value())
    now = time.time()
    link = signer.url(sha, now, 3600)
    shown = await client.get(link)
    assert shown.status_code == 200, shown.text
    assert shown.content == (await client.get(photo["url"], headers=bearer("ketua_rt", RT))).content
    assert shown.headers["cache-control"] == "private, max-age=3600"
    assert shown.headers["content-type"] == photo["content_type"]

    past = int(now) - 1
    later = int(now) + 3600
    foreign = MediaSigner("x" * 32).sign(sha, later)
    other = "0" * 64
    wrong = [
        f"{photo['url']}?exp={past}&sig={signer.sign(sha, past)}",  # expired
        link[:-1] + ("0" if link[-1] != "0" else "1"),  # tampered
        f"{photo['url']}?exp={int(now) + 7200}&sig={signer.sign(sha, int(now) + 3600)}",
        f"{photo['url']}?exp={int(now) + 3600}",  # no signature
        f"{photo['url']}?exp={later}&sig={foreign}",  # another secret's
    ]
    for url in wrong:
        refused = await client.get(url, headers={"Accept-Language": "id"})
        assert refused.status_code == 403, url
        assert refused.headers["content-type"] == "application/problem+json"
        assert "kedaluwarsa" in refused.json()["detail"]
    # A link signed for a photo that was never stored shows nothing.
    missing = await client.get(signer.url(other, now, 3600))
    assert missing.status_code == 404

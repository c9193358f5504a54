"""The shared CSV helper: RFC 4180 records, a BOM for Excel, no cell taken for a formula, the
header language and the attachment's name."""

from __future__ import annotations

import csv
import io

import pytest

from sipokat.runtime.csvexport import (
    attachment,
    csv_document,
    csv_stream,
    header_language,
    safe_cell,
    wants_csv,
)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+62 812", "'+62 812"),
        ("-sum", "'-sum"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("Kerja bakti = gotong royong", "Kerja bakti = gotong royong"),
        ("", ""),
        (None, ""),
        (-5, "-5"),  # a number is not a formula
        (2.5, "2.5"),
        (True, "true"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(
    value: str | int | float | None, written: str
) -> None:
    assert safe_cell(value) == written


def test_a_document_is_rfc_4180_with_a_bom_and_reads_back_whole() -> None:
    rows = [
        ["1", 'Parit, "besar"', "baris satu\nbaris dua"],
        ["2", "=HYPERLINK(1)", "Sungai — Timur"],
    ]
    document = csv_document(["id", "judul", "uraian"], rows)
    assert document.startswith("\ufeffid,judul,uraian\r\n")
    assert '"Parit, ""besar"""' in document
    read = list(csv.reader(io.StringIO(document.removeprefix("\ufeff"), newline="")))
    assert read == [
        ["id", "judul", "uraian"],
        ["1", 'Parit, "besar"', "baris satu\nbaris dua"],
        ["2", "'=HYPERLINK(1)", "Sungai — Timur"],
    ]


async def test_a_stream_gives_the_same_document_in_chunks() -> None:
    async def rows():  # type: ignore[no-untyped-def]
        for n in range(5):
            yield [n, f"judul {n}"]

    chunks = [chunk async for chunk in csv_stream(["n", "judul"], rows(), per_chunk=2)]
    assert len(chunks) == 3
    expected = csv_document(["n", "judul"], [[n, f"judul {n}"] for n in range(5)])
    assert b"".join(chunks) == expected.encode()
    assert chunks[0].startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "id"),
        ("", "id"),
        ("id", "id"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("id-ID,id;q=0.9,en;q=0.8", "id"),
        ("fr", "id"),
        ("*", "id"),
    ],
)
def test_headers_are_indonesian_unless_english_is_asked_for(
    header: str | None, language: str
) -> None:
    assert header_language(header) == language


def test_the_attachment_names_its_file_also_beyond_ascii() -> None:
    assert attachment("laporan-16.73.csv") == (
        "attachment; filename=\"laporan-16.73.csv\"; filename*=UTF-8''laporan-16.73.csv"
    )
    named = attachment('laporan "Sungai—Timur".csv')
    assert 'filename="laporan _Sungai_Timur_.csv"' in named
    assert "filename*=UTF-8''laporan%20%22Sungai%E2%80%94Timur%22.csv" in named


def test_csv_is_asked_for_by_name() -> None:
    assert wants_csv("text/csv")
    assert wants_csv("application/json;q=0.5, text/csv")
    assert not wants_csv("*/*")
    assert not wants_csv(None)

"""The roster's reading and checking without I/O: every kind of bad row with its line, and the
files spreadsheets write (BOM, CRLF, `;`, Windows-1252)."""

from __future__ import annotations

import pytest

from sipokat.identity.domain.roster import (
    ROSTER_RULES,
    Roster,
    RosterTooLarge,
    RowError,
    parse_roster,
)
from sipokat.wilayah import load_default_directory

LEVEL_OF = load_default_directory().level_of
RT1, RT2, RT3 = "16.73.02.1019/001", "16.73.02.1019/002", "16.73.02.1019/003"


def parse(text: str, **kw: int) -> Roster:
    return parse_roster(text.encode(), LEVEL_OF, **kw)


def problems(roster: Roster) -> list[tuple[int, str | None, str]]:
    return [(e.line, e.field, e.code) for e in roster.errors]


def test_a_good_roster_reads_into_rows_with_numbers_in_e164() -> None:
    roster = parse(
        "rt,nama,telepon\n"
        f"{RT1},Siti  Rahma ,0812-3456-7890\n"
        f"{RT2}, Budi Santoso,+62 813 1111 2222\n"
    )
    assert roster.errors == []
    assert [(r.line, r.rt, r.name, r.phone, r.email) for r in roster.rows] == [
        (2, RT1, "Siti Rahma", "+6281234567890", None),
        (3, RT2, "Budi Santoso", "+6281311112222", None),
    ]


def test_english_headers_in_any_order_and_case_an_email_and_unknown_columns() -> None:
    roster = parse(
        f"No,Phone,NAME,Kelurahan,RT,E-mail\n1,081234567890,Siti,Pelita Jaya,{RT1},Siti@Mail.ID\n"
    )
    assert roster.errors == []
    assert roster.ignored_columns == ["No", "Kelurahan"]
    (row,) = roster.rows
    assert (row.rt, row.name, row.phone, row.email) == (
        RT1,
        "Siti",
        "+6281234567890",
        "Siti@mail.id",
    )


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_excel_files_bom_crlf_and_the_separator_of_an_indonesian_locale(separator: str) -> None:
    text = separator.join(["rt", "nama", "telepon"]) + "\r\n"
    text += separator.join([RT1, "Siti Rahma", "0812 3456 7890"]) + "\r\n"
    text += "\r\n"  # a blank line is no row
    text += separator.join([RT2, "Budi", "081311112222"]) + "\r\n"
    roster = parse_roster(b"\xef\xbb\xbf" + text.encode(), LEVEL_OF)
    assert roster.errors == []
    assert [(r.line, r.rt) for r in roster.rows] == [(2, RT1), (4, RT2)]


def test_windows_1252_text_is_read_too() -> None:
    data = f"rt;nama;telepon\r\n{RT1};Andr\u00e9 Sihombing;081234567890\r\n".encode("cp1252")
    roster = parse_roster(data, LEVEL_OF)
    assert roster.errors == [] and roster.rows[0].name == "Andr\u00e9 Sihombing"


def test_every_bad_row_is_reported_with_its_line_and_field() -> None:
    roster = parse(
        "rt,nama,telepon,email\n"
        f"{RT1},Siti Rahma,081234567890,\n"  # 2: good
        "16.73.02.1019/999,Budi,081311112222,\n"  # 3: no such RT
        "16.73.02.1019,Budi,081311112223,\n"  # 4: a kelurahan
        f"{RT2},,081311112224,\n"  # 5: no name
        f"{RT3},Ani,12345,\n"  # 6: not a number
        f"{RT3},Ani,+1 202 555 0143,\n"  # 7: another country's; RT3 again
        f"16.73.02.1019/004,Joko,081234567890,\n"  # 8: line 2's number
        "16.73.02.1019/005,Rina,081311112225\n"  # 9: a column short
        "16.73.02.1019/006,Rina,081311112226,bukan-email\n"  # 10: bad email
        ",=HYPERLINK(1),,\n"  # 11: empty RT, a formula, empty phone
    )
    assert problems(roster) == [
        (3, "rt", "rt_unknown"),
        (4, "rt", "rt_not_rt"),
        (5, "name", "name_empty"),
        (6, "phone", "phone_invalid"),
        (7, "phone", "phone_invalid"),
        (7, "rt", "rt_repeated"),
        (8, "phone", "phone_repeated"),
        (9, None, "columns"),
        (10, "email", "email_invalid"),
        (11, "rt", "rt_empty"),
        (11, "name", "name_invalid"),
        (11, "phone", "phone_empty"),
    ]
    repeated = roster.errors[5]
    assert repeated.message("en") == f"RT {RT3} has another head on line 6: one person per RT"
    assert "baris 6" in repeated.message("id")
    assert "line 2" in roster.errors[6].message("en")
    assert roster.errors[3].message("id").startswith("bukan nomor telepon Indonesia")
    assert "kelurahan" in roster.errors[1].message("en")
    assert [r.line for r in roster.rows] == [2]


def test_two_people_for_one_rt_and_one_number_twice() -> None:
    roster = parse(
        f"rt,nama,telepon\n{RT1},Siti,081234567890\n{RT1},Budi,081311112222\n"
        f"{RT2},Ani,0812-3456-7890\n"
    )
    assert problems(roster) == [(3, "rt", "rt_repeated"), (4, "phone", "phone_repeated")]


def test_a_quoted_name_may_hold_the_separator_and_span_lines_keep_the_count() -> None:
    roster = parse(f'rt,nama,telepon\n{RT1},"Rahma, Siti",081234567890\n{RT2},"Budi\nS",x\n')
    assert roster.rows[0].name == "Rahma, Siti"
    # the row starting on line 3 is the one reported, even if it ends on line 4
    assert problems(roster) == [(3, "phone", "phone_invalid")]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ("rt,nama,telepon\n", "empty"),
        (f"{RT1},Siti,081234567890\n", "header_missing"),
        ("rt,nama\n", "header_missing"),
        ("rt,nama,telepon,phone\n", "header_repeated"),
    ],
)
def test_a_file_without_a_header_or_rows(text: str, code: str) -> None:
    roster = parse_roster(text.encode(), LEVEL_OF)
    codes = [e.code for e in roster.errors]
    if code == "empty" and not codes:
        assert roster.rows == []  # a header without rows: the handler says "empty"
        return
    assert codes == [code]


def test_the_missing_columns_are_named() -> None:
    (error,) = parse("rt,nama\n").errors
    assert error.params == {"missing": "phone"}
    assert "telepon" in error.message("id")


def test_bytes_that_are_no_text() -> None:
    roster = parse_roster(b"PK\x03\x04\x00\x00binary", LEVEL_OF)  # an .xlsx, say
    assert [e.code for e in roster.errors] == ["encoding"]


def test_a_broken_quote_is_reported_at_its_line() -> None:
    roster = parse(f'rt,nama,telepon\n{RT1},Siti,081234567890\n{RT2},"Budi" x,081311112222\n')
    assert problems(roster) == [(3, None, "unreadable")]


def test_more_rows_than_allowed_is_too_large() -> None:
    rows = "".join(f"16.73.02.1019/{n:03d},Orang {n},0812{n:08d}\n" for n in range(1, 5))
    assert len(parse("rt,nama,telepon\n" + rows, max_rows=4).errors) == 0
    with pytest.raises(RosterTooLarge):
        parse("rt,nama,telepon\n" + rows + rows, max_rows=4)


def test_every_code_speaks_both_languages() -> None:
    for code, (english, indonesian) in ROSTER_RULES.items():
        assert english and indonesian and english != indonesian, code
    error = RowError(2, "rt", "rt_held", {"rt": RT1, "account": "a-1", "since": "2026-01-01"})
    assert "posts/end" in error.message("en") and "akhiri" in error.message("id")

"""Every field of the contract is bounded (sipokat.events.bounds): what no store or reader could
hold is refused where an event is made and where it is parsed; events stored before the bounds
still parse, mended where a reader safely can. No I/O."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from sipokat.events import Envelope, ReportKind, ReportRejected
from sipokat.events.bounds import (
    MAX_RUPIAH,
    MULTI_LINE,
    SINGLE_LINE,
    code_level,
)
from sipokat.events.schema import event_json_schemas
from sipokat.events.testing import make_approved, make_content, make_rejected, make_submitted

Body = dict[str, Any]
Mutation = Callable[[Body], None]

PARSERS = pytest.mark.parametrize(
    "parse", [Envelope.model_validate_json, Envelope.from_json], ids=["validate", "from_json"]
)


def fund(amount: int = 45_000_000, programme: str = "Prodamas 2026") -> dict[str, Any]:
    return {
        "programme": programme,
        "amount_rupiah": amount,
        "progress_percent": 50,
        "bidang_dana": "infrastruktur",
    }


def submitted_body() -> Body:
    body: Body = json.loads(make_submitted().to_json())
    body["data"]["content"] |= {"kind": "progres_dana", "fund": fund()}
    return body


def content(body: Body) -> Body:
    return body["data"]["content"]  # type: ignore[no-any-return]


def setter(*path: str, value: Any) -> Mutation:
    def mutate(body: Body) -> None:
        *parents, last = path
        for part in parents:
            body = body[part]
        body[last] = value

    return mutate


# Values outside the contract that no reader could mend: refused by every parser.
OUT_OF_BOUNDS: dict[str, tuple[Mutation, str]] = {
    "amount 10^30 (past int64)": (
        setter("data", "content", "fund", "amount_rupiah", value=10**30),
        "data.content.fund.amount_rupiah",
    ),
    "amount past the ceiling": (
        setter("data", "content", "fund", "amount_rupiah", value=MAX_RUPIAH + 1),
        "data.content.fund.amount_rupiah",
    ),
    "negative amount": (
        setter("data", "content", "fund", "amount_rupiah", value=-1),
        "data.content.fund.amount_rupiah",
    ),
    "kota code of another shape": (
        setter("data", "wilayah", "kota_code", value="1673"),
        "data.wilayah.kota_code",
    ),
    "RT code of four digits": (
        setter("data", "wilayah", "rt_code", value="16.73.02.1019/0007"),
        "data.wilayah.rt_code",
    ),
    "RT code of dots only": (
        setter("data", "wilayah", "rt_code", value="..../007"),
        "data.wilayah.rt_code",
    ),
    "empty actor subject": (setter("actor", "subject", value=""), "actor.subject"),
    "actor wilayah that is no code": (setter("actor", "wilayah", value="Pelita"), "actor.wilayah"),
}


@PARSERS
@pytest.mark.parametrize(("mutate", "where"), OUT_OF_BOUNDS.values(), ids=OUT_OF_BOUNDS.keys())
def test_values_outside_the_contract_are_refused(
    mutate: Mutation, where: str, parse: Callable[[str], Envelope]
) -> None:
    body = submitted_body()
    mutate(body)
    with pytest.raises(ValidationError) as refused:
        parse(json.dumps(body))
    assert where in str(refused.value)


def test_the_ceiling_amount_and_the_longest_texts_are_held() -> None:
    body = submitted_body()
    content(body).update(
        {
            "title": "T" * 200,
            "description": ("baris\tdengan tab\n" * 400)[:5000],
            "fund": fund(MAX_RUPIAH, "P" * 200),
        }
    )
    parsed = Envelope.from_json(json.dumps(body))
    assert parsed.data.content.fund.amount_rupiah == MAX_RUPIAH  # type: ignore[attr-defined]
    assert Envelope.from_json(parsed.to_json()) == parsed


# ---------------------------------------------------------------- text


@pytest.mark.parametrize("text", ["Rapat\nwarga", "Rapat\twarga", "Rapat\x00", "Rapat\x0b", "R\r"])
def test_one_line_fields_refuse_every_control_character(text: str) -> None:
    with pytest.raises(ValidationError, match="title"):
        make_content(title=text)
    with pytest.raises(ValidationError, match="programme"):
        make_content(ReportKind.PROGRES_DANA, fund=fund(programme=text))


@pytest.mark.parametrize("text", ["a\x00b", "a\x0bb", "a\x1bb", "a\r\nb", "a\rb", "\x7f\x01"])
def test_free_text_refuses_control_characters_but_newline_and_tab(text: str) -> None:
    with pytest.raises(ValidationError, match="description"):
        make_content(description=text)
    rejected = make_rejected(uuid4(), stream_version=2).data
    with pytest.raises(ValidationError, match="note"):
        ReportRejected.model_validate({**rejected.model_dump(), "note": text})


def test_free_text_keeps_newlines_tabs_and_any_script() -> None:
    text = "Kerja bakti:\n\t- saluran 60 m\n\t- 🧹 gotong royong\nمسجد 中文"
    assert make_content(description=text).description == text


def test_verifier_and_area_names_are_bounded() -> None:
    approved = make_approved(uuid4(), stream_version=2).data.model_dump(mode="json")
    payload_cls = type(make_approved(uuid4(), stream_version=2).data)
    for path, value in [
        (("verifier", "subject"), ""),
        (("verifier", "subject"), "s" * 201),
        (("verifier", "name"), "Bu\nLurah"),
        (("wilayah", "kelurahan_name"), "K" * 101),
        (("wilayah", "kota_name"), "Kota\x00"),
    ]:
        body = json.loads(json.dumps(approved))
        body[path[0]][path[1]] = value
        with pytest.raises(ValidationError, match=path[1]):
            payload_cls.model_validate(body)


# ---------------------------------------------------------------- wilayah codes


NOT_CODES = [
    "16.73\n",  # Python's `$` matches before a trailing newline
    "16.73.02.1019/007\n",
    "\u0661\u0666.\u0667\u0663",  # Arabic-Indic digits: `\d` takes them
    "16.73.02.1019/\u0660\u0660\u0667",
    "\uff11\uff16.\uff17\uff13",  # fullwidth digits
    " 16.73",
    "16.73.02.1019/007/001",
    "",
]


@pytest.mark.parametrize("code", NOT_CODES)
def test_wilayah_codes_are_ascii_digits_and_nothing_else(code: str) -> None:
    assert code_level(code) is None
    body = submitted_body()
    body["actor"]["wilayah"] = code
    with pytest.raises(ValidationError, match=r"actor\.wilayah"):
        Envelope.model_validate_json(json.dumps(body))


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("16.73", "kota"),
        ("16.73.02", "kecamatan"),
        ("16.73.02.1019", "kelurahan"),
        ("16.73.02.1019/007", "rt"),
    ],
)
def test_each_level_of_code_is_recognised(code: str, level: str) -> None:
    assert code_level(code) == level


# ---------------------------------------------------------------- events stored before the bounds


def test_stored_events_with_control_characters_are_mended_as_they_are_read() -> None:
    body = submitted_body()
    content(body).update(
        {"title": "Rapat\x00 warga\x0b", "description": "baris satu\r\nbaris\x1bdua"}
    )
    body["actor"]["wilayah"] = (
        "16.73.02.1019/\u0660\u0660\u0667"  # an RT token of Arabic-Indic digits
    )
    body["data"]["wilayah"]["rt_code"] = "16.73.02.1019/\u0660\u0660\u0667"
    with pytest.raises(ValidationError):  # the contract itself stays strict ...
        Envelope.model_validate_json(json.dumps(body))
    parsed = Envelope.from_json(json.dumps(body))  # ... and readers mend what they safely can
    data: Any = parsed.data
    assert data.content.title == "Rapat\ufffd warga\ufffd"
    assert data.content.description == "baris satu\nbaris\ufffddua"
    assert parsed.actor.wilayah == data.wilayah.rt_code == "16.73.02.1019/007"
    assert parsed.event_id == UUID(body["event_id"])


def test_a_stored_verifier_name_past_its_bound_is_cut_there() -> None:
    body = json.loads(make_approved(uuid4(), stream_version=2).to_json())
    body["data"]["verifier"]["name"] = "N" * 500
    assert Envelope.from_json(json.dumps(body)).data.verifier.name == "N" * 200  # type: ignore[attr-defined]


def test_what_cannot_be_mended_stays_refused_naming_the_field() -> None:
    body = submitted_body()
    content(body)["title"] = "Rapat\x00"  # mendable, but with it ...
    content(body)["fund"]["amount_rupiah"] = 10**30  # ... a value no guess can mend
    with pytest.raises(ValidationError) as refused:
        Envelope.from_json(json.dumps(body))
    assert "data.content.fund.amount_rupiah" in str(refused.value)


# ---------------------------------------------------------------- schemas


def test_the_json_schemas_state_the_bounds() -> None:
    schema = event_json_schemas()["ReportSubmitted"]
    defs = schema["$defs"]
    assert defs["FundProgress"]["properties"]["amount_rupiah"]["maximum"] == MAX_RUPIAH
    assert defs["ReportContent"]["properties"]["title"]["pattern"] == SINGLE_LINE
    assert defs["ReportContent"]["properties"]["description"]["pattern"] == MULTI_LINE
    assert defs["WilayahPath"]["properties"]["rt_code"]["pattern"] == (
        r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}/[0-9]{3}$"
    )
    assert defs["WilayahPath"]["properties"]["kelurahan_name"]["maxLength"] == 100
    approved = event_json_schemas()["ReportApproved"]["$defs"]["Verifier"]["properties"]
    assert approved["subject"]["maxLength"] == approved["name"]["anyOf"][0]["maxLength"] == 200

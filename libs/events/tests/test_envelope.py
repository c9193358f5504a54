"""The envelope and the catalogue: round trips, routing keys, rejection of bad input. No I/O."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from sipokat.events import (
    EVENT_TYPES,
    ROUTING_KEYS,
    Actor,
    Envelope,
    FundProgress,
    PostEnded,
    PostStarted,
    ReportContent,
    ReportKind,
    ReportSubmitted,
    Role,
    Tier,
    new_event_id,
)
from sipokat.events.store.base import check_batch
from sipokat.events.testing import (
    ReportStream,
    make_approved,
    make_content,
    make_overdue,
    make_post_ended,
    make_post_started,
    make_rejected,
    make_revised,
    make_submitted,
    make_verified,
    sample_events,
    sample_post_events,
    wilayah_path,
)

SAMPLES = sample_events() + sample_post_events()

# Both parse JSON the same way; `from_json` takes a faster path for current events.
ParseJson = Callable[[bytes | str], Envelope]
PARSERS = pytest.mark.parametrize(
    "parse", [Envelope.model_validate_json, Envelope.from_json], ids=["validate", "from_json"]
)


def test_samples_cover_every_event_type() -> None:
    assert {e.type for e in SAMPLES} == set(EVENT_TYPES) == set(ROUTING_KEYS)


@PARSERS
@pytest.mark.parametrize("envelope", SAMPLES, ids=lambda e: f"{e.type}-v{e.stream_version}")
def test_json_round_trip(envelope: Envelope, parse: ParseJson) -> None:
    body = envelope.to_json()
    parsed = parse(body)
    assert type(parsed) is Envelope
    assert parsed == envelope
    assert parsed.model_fields_set == Envelope.model_validate_json(body).model_fields_set
    assert type(parsed.data) is EVENT_TYPES[envelope.type]
    assert parsed.to_json() == body
    # The wire format is plain JSON with the documented fields (DESIGN §3).
    raw = json.loads(body)
    assert set(raw) == {
        "event_id",
        "type",
        "schema_version",
        "stream_id",
        "stream_version",
        "occurred_at",
        "source",
        "correlation_id",
        "causation_id",
        "actor",
        "data",
    }
    assert raw["type"] == envelope.type
    key = "report_id" if "report_id" in raw["data"] else "account_id"
    assert raw["data"][key] == str(getattr(envelope.data, key))
    # and a dict (e.g. from a document store) parses the same way
    assert Envelope.model_validate(raw) == envelope


def test_wrap_takes_type_version_and_stream_from_payload() -> None:
    report_id = uuid4()
    envelope = make_submitted(report_id, stream_version=1)
    assert envelope.type == "ReportSubmitted"
    assert envelope.schema_version == ReportSubmitted.schema_version == 1
    assert envelope.stream_id == f"report-{report_id}"
    assert envelope.stream_version == 1
    assert envelope.occurred_at.tzinfo is not None
    assert envelope.event_id.version == 7


def test_event_ids_are_time_ordered_uuid7() -> None:
    ids = [new_event_id() for _ in range(200)]
    assert all(isinstance(i, UUID) and i.version == 7 for i in ids)
    assert len(set(ids)) == len(ids)
    assert sorted(ids) == ids


def test_causation_and_correlation_survive_round_trip() -> None:
    cause = make_submitted()
    effect = make_approved(
        cause.data.report_id,  # type: ignore[attr-defined]
        stream_version=2,
        correlation_id=cause.correlation_id,
        causation_id=cause.event_id,
    )
    parsed = Envelope.model_validate_json(effect.to_json())
    assert parsed.causation_id == cause.event_id
    assert parsed.correlation_id == cause.correlation_id


ROUTING_CASES = [
    (make_submitted(), "report.submitted"),
    (make_revised(uuid4(), stream_version=3), "report.revised"),
    (make_verified(uuid4(), stream_version=4), "report.verified"),
    *[(make_approved(uuid4(), stream_version=2, tier=t), f"report.approved.{t}") for t in Tier],
    *[(make_rejected(uuid4(), stream_version=2, tier=t), f"report.rejected.{t}") for t in Tier],
    *[(make_overdue(uuid4(), stream_version=2, tier=t), f"report.overdue.{t}") for t in Tier],
    (make_post_started(), "post.started.ketua_rt"),
    (make_post_ended(role=Role.LURAH, wilayah="16.73.02.1019"), "post.ended.lurah"),
    (make_post_ended(role=Role.ADMIN, wilayah=None), "post.ended.admin"),
]


def test_post_events_carry_no_one_s_name_phone_or_email() -> None:
    # Issue 22 §5: integrators may see which wilayah gained or lost a holder and the holder's
    # account id, never who the person is.
    for cls in (PostStarted, PostEnded):
        assert set(cls.model_fields) <= {"account_id", "role", "wilayah", "started_at", "ended_at"}
    with pytest.raises(ValidationError):
        PostStarted.model_validate(
            {
                "account_id": str(uuid4()),
                "role": "ketua_rt",
                "started_at": "2026-12-07T09:00:00Z",
                "phone": "+6281234567890",
            }
        )


def test_system_holds_no_post() -> None:
    with pytest.raises(ValidationError, match="holds no post"):
        PostEnded(
            account_id=uuid4(),
            role=Role.SYSTEM,
            started_at=datetime(2026, 1, 1, tzinfo=UTC),
            ended_at=datetime(2026, 2, 1, tzinfo=UTC),
        )


@pytest.mark.parametrize(("envelope", "key"), ROUTING_CASES, ids=[key for _, key in ROUTING_CASES])
def test_routing_keys(envelope: Envelope, key: str) -> None:
    assert envelope.routing_key == key
    assert key in ROUTING_KEYS[envelope.type]
    assert Envelope.model_validate_json(envelope.to_json()).routing_key == key


def test_public_routing_keys_are_exactly_the_documented_ones() -> None:
    # These names are a public contract (DESIGN §3): integrators bind to them.
    assert ROUTING_KEYS == {
        "ReportSubmitted": ["report.submitted"],
        "ReportRevised": ["report.revised"],
        "ReportApproved": [
            "report.approved.kelurahan",
            "report.approved.kecamatan",
            "report.approved.kota",
        ],
        "ReportRejected": [
            "report.rejected.kelurahan",
            "report.rejected.kecamatan",
            "report.rejected.kota",
        ],
        "ReportVerified": ["report.verified"],
        "VerificationOverdue": [
            "report.overdue.kelurahan",
            "report.overdue.kecamatan",
            "report.overdue.kota",
        ],
        "PostStarted": [
            "post.started.ketua_rt",
            "post.started.lurah",
            "post.started.camat",
            "post.started.pemkot",
            "post.started.admin",
            "post.started.integrator",
        ],
        "PostEnded": [
            "post.ended.ketua_rt",
            "post.ended.lurah",
            "post.ended.camat",
            "post.ended.pemkot",
            "post.ended.admin",
            "post.ended.integrator",
        ],
    }


# ---------------------------------------------------------------- rejection


def _raw(envelope: Envelope | None = None) -> dict[str, Any]:
    return json.loads((envelope or make_submitted()).to_json())  # type: ignore[no-any-return]


@PARSERS
def test_unknown_type_is_rejected_clearly(parse: ParseJson) -> None:
    raw = _raw()
    raw["type"] = "ReportTeleported"
    with pytest.raises(ValidationError, match="unknown event type 'ReportTeleported'"):
        parse(json.dumps(raw))


def test_missing_type_is_rejected() -> None:
    raw = _raw()
    del raw["type"]
    with pytest.raises(ValidationError, match="unknown event type None"):
        Envelope.model_validate(raw)


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1, 2]", b'"a string"', b"{}", b'{"type": "ReportSubmitted"}'],
    ids=["empty", "not-json", "array", "string", "empty-object", "type-only"],
)
@PARSERS
def test_malformed_bodies_are_rejected(body: bytes, parse: ParseJson) -> None:
    with pytest.raises(ValidationError):
        parse(body)


@pytest.mark.parametrize(
    ("mutate", "complaint"),
    [
        (lambda r: r["data"].pop("wilayah"), "wilayah"),
        (lambda r: r["data"].update(report_id="not-a-uuid"), "report_id"),
        (lambda r: r["data"].update(unexpected="x"), "unexpected"),
        (lambda r: r.update(unexpected="x"), "unexpected"),
        (lambda r: r["data"]["content"].update(kind="gossip"), "kind"),
        (lambda r: r["data"]["content"].update(title="ab"), "title"),
        (lambda r: r["data"]["wilayah"].update(rt_code="16.73.02.1019-7"), "rt_code"),
        (lambda r: r.update(stream_version=0), "stream_version"),
        (lambda r: r.update(occurred_at="2026-03-14T10:00:00"), "occurred_at"),
        (lambda r: r["actor"].update(role="bupati"), "role"),
        (lambda r: r.update(schema_version="one"), "schema_version"),
    ],
    ids=[
        "missing-wilayah",
        "bad-report-id",
        "extra-data-field",
        "extra-envelope-field",
        "unknown-kind",
        "short-title",
        "bad-rt-code",
        "version-zero",
        "naive-datetime",
        "unknown-role",
        "string-schema-version",
    ],
)
@PARSERS
def test_malformed_payloads_are_rejected(mutate: Any, complaint: str, parse: ParseJson) -> None:
    raw = _raw()
    mutate(raw)
    with pytest.raises(ValidationError, match=complaint) as caught:
        parse(json.dumps(raw))
    # the same errors, whichever parser found them
    with pytest.raises(ValidationError) as canonical:
        Envelope.model_validate_json(json.dumps(raw))
    assert caught.value.errors() == canonical.value.errors()


@PARSERS
@pytest.mark.parametrize(
    ("field", "value"),
    [("stream_id", "report-someone-else"), ("schema_version", 2), ("type", "ReportApproved")],
)
def test_a_body_disagreeing_with_its_payload_is_rejected(
    field: str, value: Any, parse: ParseJson
) -> None:
    raw = _raw()
    raw[field] = value
    with pytest.raises(ValidationError, match=field if field != "type" else "tier"):
        parse(json.dumps(raw))


def test_payload_of_another_type_is_rejected() -> None:
    raw = _raw()
    raw["type"] = "ReportApproved"  # the data is a ReportSubmitted's
    with pytest.raises(ValidationError, match=r"data\.tier\n  Field required") as caught:
        Envelope.model_validate(raw)
    assert {error["loc"] for error in caught.value.errors()} >= {("data", "tier")}


def test_envelope_must_agree_with_its_typed_payload() -> None:
    submitted = make_submitted()
    overdue = make_overdue(uuid4(), stream_version=2)
    with pytest.raises(ValidationError, match="does not match payload VerificationOverdue"):
        submitted.model_validate({**dict(submitted), "data": overdue.data})
    with pytest.raises(ValidationError, match="stream_id"):
        Envelope(**{**dict(submitted), "stream_id": "report-someone-else"})
    with pytest.raises(ValidationError, match="schema_version"):
        Envelope(**{**dict(submitted), "schema_version": 2})


def test_envelope_is_immutable() -> None:
    envelope = make_submitted()
    with pytest.raises(ValidationError):
        envelope.stream_version = 2  # type: ignore[misc]


def test_actor_needs_subject() -> None:
    with pytest.raises(ValidationError, match="subject"):
        Actor(subject="", role=Role.LURAH)


# ---------------------------------------------------------------- report content rules


def test_progres_dana_requires_fund() -> None:
    with pytest.raises(ValidationError, match="progres_dana report needs `fund`"):
        make_content(ReportKind.PROGRES_DANA, fund=None)
    content = make_content(ReportKind.PROGRES_DANA)
    assert content.fund is not None and content.fund.progress_percent == 50


@pytest.mark.parametrize("kind", [ReportKind.KEGIATAN, ReportKind.USULAN])
def test_fund_only_on_progres_dana(kind: ReportKind) -> None:
    fund = FundProgress(
        programme="Prodamas 2026",
        amount_rupiah=50_000_000,
        progress_percent=100,
        bidang_dana="sosial",  # type: ignore[arg-type]
    )
    with pytest.raises(ValidationError, match="`fund` belongs only to progres_dana"):
        make_content(kind, fund=fund)


def test_progres_dana_without_fund_is_rejected_on_the_wire() -> None:
    raw = _raw(make_submitted(kind=ReportKind.PROGRES_DANA))
    assert raw["data"]["content"]["fund"]["amount_rupiah"] == 50_000_000
    raw["data"]["content"]["fund"] = None
    with pytest.raises(ValidationError, match="needs `fund`"):
        Envelope.model_validate_json(json.dumps(raw))


@pytest.mark.parametrize("percent", [-1, 25, 75, 101])
def test_fund_progress_is_0_50_or_100(percent: int) -> None:
    with pytest.raises(ValidationError, match="progress_percent"):
        FundProgress(
            programme="Prodamas 2026",
            amount_rupiah=1,
            progress_percent=percent,  # type: ignore[arg-type]
            bidang_dana="ekonomi",  # type: ignore[arg-type]
        )


def test_content_limits() -> None:
    with pytest.raises(ValidationError, match="photos"):
        make_content(photos=[make_content().photos[0]] * 11)
    with pytest.raises(ValidationError, match="latitude"):
        make_content(location={"latitude": 91, "longitude": 0})
    with pytest.raises(ValidationError, match="sha256"):
        make_content(photos=[{"sha256": "XYZ", "content_type": "image/jpeg"}])
    assert isinstance(make_content(location={"latitude": -3.3, "longitude": 102.9}), ReportContent)


# ---------------------------------------------------------------- batches


def test_check_batch_rules() -> None:
    report_id = uuid4()
    first, second = make_submitted(report_id), make_rejected(report_id, stream_version=2)
    check_batch([first, second])
    with pytest.raises(ValueError, match="nothing to append"):
        check_batch([])
    with pytest.raises(ValueError, match="one stream"):
        check_batch([first, make_rejected(uuid4(), stream_version=2)])
    with pytest.raises(ValueError, match="consecutive"):
        check_batch([first, make_rejected(report_id, stream_version=3)])
    with pytest.raises(ValueError, match="same event_id twice"):
        check_batch([first, second.model_copy(update={"event_id": first.event_id})])


def test_wilayah_builder_matches_the_directory_codes() -> None:
    path = wilayah_path("16.73.02.1019/003")
    assert path.rt_code.startswith(path.kelurahan_code + "/")
    assert path.kelurahan_code.startswith(path.kecamatan_code + ".")
    assert path.kecamatan_code.startswith(path.kota_code + ".")


def test_occurred_at_keeps_its_instant() -> None:
    at = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    submitted = make_submitted()
    envelope = Envelope.wrap(
        submitted.data,
        stream_version=1,
        source="intake",
        actor=submitted.actor,
        correlation_id="req-1",
        occurred_at=at,
    )
    assert Envelope.model_validate_json(envelope.to_json()).occurred_at == at


def test_a_report_stream_is_consecutive_valid_events_at_the_moments_given() -> None:
    at = datetime(2026, 3, 2, 2, tzinfo=UTC)
    stream = ReportStream()
    stream.submit(at=at)
    stream.reject(Tier.KELURAHAN, at)
    revised = make_content(title="Diperbaiki")
    stream.revise(revised, at)
    stream.overdue(Tier.KELURAHAN, at)
    for tier in Tier:
        stream.approve(tier, at)
    verified = stream.verify(at=at)

    assert [e.stream_version for e in stream.events] == list(range(1, 9))
    assert {e.stream_id for e in stream.events} == {f"report-{stream.report_id}"}
    assert {e.occurred_at for e in stream.events} == {at}
    assert [Envelope.from_json(e.to_json()) for e in stream.events] == stream.events
    assert stream.events[2].data.revision == 1  # type: ignore[attr-defined]
    assert verified.data.content == revised  # type: ignore[attr-defined]

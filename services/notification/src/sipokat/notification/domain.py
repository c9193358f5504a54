"""Who hears what, what waits where, and when to try again: pure rules, no I/O.

Recipients are offices resolved from the event's wilayah path alone (every report event carries
it): `lurah:<kelurahan>`, `camat:<kecamatan>`, `pemkot:<kota>`, `ketua_rt:<RT>`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sipokat.events.catalogue import (
    ReportApproved,
    ReportEvent,
    ReportRejected,
    ReportRevised,
    ReportSubmitted,
    ReportVerified,
    Tier,
    VerificationOverdue,
    WilayahPath,
)
from sipokat.events.envelope import Envelope, EventData, Role
from sipokat.runtime.messages import Text, text

WIB = ZoneInfo("Asia/Jakarta")

_TIER_ROLE = {Tier.KELURAHAN: Role.LURAH, Tier.KECAMATAN: Role.CAMAT, Tier.KOTA: Role.PEMKOT}
_TIER_ABOVE = {Tier.KELURAHAN: Tier.KECAMATAN, Tier.KECAMATAN: Tier.KOTA}


def recipient(role: Role, wilayah: str | None) -> str:
    """An inbox belongs to an office: the lurah of a kelurahan, the RT head of an RT, ..."""
    return f"{role}:{wilayah or '-'}"


def office_of(tier: Tier, path: WilayahPath) -> str:
    """The office that verifies at `tier` for a report of the RT at `path`."""
    area = {
        Tier.KELURAHAN: path.kelurahan_code,
        Tier.KECAMATAN: path.kecamatan_code,
        Tier.KOTA: path.kota_code,
    }[tier]
    return recipient(_TIER_ROLE[tier], area)


class NoticeKind(StrEnum):
    AWAITING = "awaiting_verification"  # a new or revised report waits for this office
    REJECTED = "rejected"  # the RT head's report was sent back
    VERIFIED = "verified"  # the RT head's report passed the last tier
    REMINDER = "reminder"  # this office missed a deadline
    ESCALATION = "escalation"  # the office below missed a deadline


@dataclass(frozen=True)
class Notice:
    recipient: str
    kind: NoticeKind


def notices(data: EventData) -> list[Notice]:
    """Who hears about an event, and as what."""
    if isinstance(data, ReportSubmitted | ReportRevised):
        return [Notice(office_of(Tier.KELURAHAN, data.wilayah), NoticeKind.AWAITING)]
    if isinstance(data, ReportApproved):
        if data.next_tier is None:
            return []  # the ReportVerified that follows tells the RT head
        return [Notice(office_of(data.next_tier, data.wilayah), NoticeKind.AWAITING)]
    if isinstance(data, ReportRejected):
        return [Notice(recipient(Role.KETUA_RT, data.wilayah.rt_code), NoticeKind.REJECTED)]
    if isinstance(data, ReportVerified):
        return [Notice(recipient(Role.KETUA_RT, data.wilayah.rt_code), NoticeKind.VERIFIED)]
    if isinstance(data, VerificationOverdue):
        late = [Notice(office_of(data.tier, data.wilayah), NoticeKind.REMINDER)]
        above = _TIER_ABOVE.get(data.tier)
        if above is not None:
            late.append(Notice(office_of(above, data.wilayah), NoticeKind.ESCALATION))
        return late
    return []


def facts(envelope: Envelope) -> dict[str, Any]:
    """What a message about the event says, in plain fields for templates and the inbox."""
    data = envelope.data
    assert isinstance(data, ReportEvent)
    wilayah = data.wilayah
    content = getattr(data, "content", None)
    found: dict[str, Any] = {
        "event_type": envelope.type,
        "report_id": str(data.report_id),
        "rt_code": wilayah.rt_code,
        "kelurahan": wilayah.kelurahan_name,
        "kecamatan": wilayah.kecamatan_name,
        "title": content.title if content is not None else None,
        "tier": str(getattr(data, "tier", "") or "") or None,
        "next_tier": str(getattr(data, "next_tier", "") or "") or None,
    }
    if isinstance(data, ReportRejected):
        found |= {"reason_code": str(data.reason_code), "note": data.note}
    if isinstance(data, ReportRevised):
        found["revision"] = data.revision
    if isinstance(data, VerificationOverdue):
        found["due_at"] = data.due_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB")
    return found


# What an inbox item keeps of the event's facts, to say it in the reader's language later.
INBOX_FACTS = ("event_type", "rt_code", "title", "tier", "note")


def inbox_text(kind: NoticeKind, f: dict[str, Any]) -> Text:
    """The one-line inbox text in Indonesian and English. What it quotes (the RT's code, the
    report's title, the verifier's note) keeps its case: only our own words are written to
    start a sentence."""
    quoted = f"RT {f['rt_code']}" + (f": {f['title']}" if f.get("title") else "")
    said = {"quoted": quoted, "tier": f.get("tier"), "note": f.get("note"), "title": f.get("title")}
    said["rt"] = f["rt_code"]
    if kind is NoticeKind.AWAITING:
        if f["event_type"] == "ReportRevised":
            return text(
                "Revised report {quoted} awaits verification",
                "Revisi laporan {quoted} menunggu verifikasi",
                **said,
            )
        if f["event_type"] == "ReportApproved":
            return text(
                "Report {quoted} approved at the {tier} tier, awaiting your verification",
                "Laporan {quoted} disetujui tingkat {tier}, menunggu verifikasi Anda",
                **said,
            )
        return text(
            "New report from RT {rt} awaits verification: {title}",
            "Laporan baru dari RT {rt} menunggu verifikasi: {title}",
            **said,
        )
    if kind is NoticeKind.REJECTED:
        return text(
            "Report {quoted} rejected at the {tier} tier: {note}",
            "Laporan {quoted} ditolak di tingkat {tier}: {note}",
            **said,
        )
    if kind is NoticeKind.VERIFIED:
        return text("Report {quoted} is verified", "Laporan {quoted} telah terverifikasi", **said)
    if kind is NoticeKind.REMINDER:
        return text(
            "Reminder: verifying report {quoted} at the {tier} tier is past its due time",
            "Pengingat: verifikasi laporan {quoted} di tingkat {tier} melewati batas waktu",
            **said,
        )
    return text(
        "Escalation: verifying report {quoted} at the {tier} tier is late",
        "Eskalasi: verifikasi laporan {quoted} di tingkat {tier} terlambat",
        **said,
    )


def digest_text(day: str, waiting: int, overdue: int) -> Text:
    return text(
        "Daily digest {day}: {waiting} waiting, {overdue} overdue",
        "Ringkasan harian {day}: {waiting} menunggu, {overdue} terlambat",
        day=day,
        waiting=waiting,
        overdue=overdue,
    )


def item_text(item: dict[str, Any]) -> Text | None:
    """An inbox item's words in both languages, from what it kept; None for an item folded
    before items kept their facts (it has its Indonesian `message` only)."""
    if item.get("kind") == "digest":
        return digest_text(item["day"], item["waiting"], item["overdue"])
    if item.get("facts"):
        return inbox_text(NoticeKind(item["kind"]), item["facts"])
    return None


def inbox_message(kind: NoticeKind, f: dict[str, Any]) -> str:
    """The inbox text in Indonesian, the apps' language: what an item says when the reader's
    language is not asked for."""
    return inbox_text(kind, f).render("id")


# ---------------------------------------------------------------- what waits where (digest)


def waiting_after(current: dict[str, Any] | None, envelope: Envelope) -> dict[str, Any] | None:
    """Fold one event into the record of where a report waits; None when it changes nothing.

    An event older than the one already folded (by stream version) changes nothing, so a
    duplicate or a late redelivery cannot move a report backwards.
    """
    if current is not None and current["version"] >= envelope.stream_version:
        return None
    data = envelope.data
    assert isinstance(data, ReportEvent)
    wilayah = data.wilayah
    base = {"title": None, **(current or {})} | {
        "report_id": str(data.report_id),
        "rt_code": wilayah.rt_code,
        "kelurahan": wilayah.kelurahan_name,
        "version": envelope.stream_version,
    }
    if isinstance(data, ReportSubmitted | ReportRevised):
        return base | {
            "title": data.content.title,
            "waiting": True,
            "tier": str(Tier.KELURAHAN),
            "office": office_of(Tier.KELURAHAN, wilayah),
            "since": envelope.occurred_at.isoformat(),
            "due_at": None,
            "overdue": False,
        }
    if isinstance(data, ReportApproved) and data.next_tier is not None:
        return base | {
            "waiting": True,
            "tier": str(data.next_tier),
            "office": office_of(data.next_tier, data.wilayah),
            "since": data.decided_at.isoformat(),
            "due_at": data.next_due_at.isoformat() if data.next_due_at else None,
            "overdue": False,
        }
    if isinstance(data, VerificationOverdue):
        if base.get("tier") != str(data.tier):
            return base  # the report has moved on since the deadline passed
        return base | {"overdue": True, "due_at": data.due_at.isoformat()}
    # Approved at the last tier, rejected (waits for the RT head), or verified: nobody's queue.
    return base | {"waiting": False, "office": None, "overdue": False}


@dataclass(frozen=True)
class Digest:
    recipient: str
    day: date
    waiting: list[dict[str, Any]]
    overdue: list[dict[str, Any]]

    @property
    def name(self) -> str:
        """Stands for the event in the (event, recipient, channel) delivery key."""
        return f"digest-{self.day.isoformat()}"


def digests(waiting: list[dict[str, Any]], day: date, now: datetime) -> list[Digest]:
    """One digest per verifier office with something waiting; a report counts as overdue when
    the verification service said so or its due time has passed."""
    by_office: dict[str, list[dict[str, Any]]] = {}
    for item in waiting:
        if item.get("waiting") and item.get("office"):
            by_office.setdefault(item["office"], []).append(item)
    result = []
    for office, items in sorted(by_office.items()):
        items.sort(key=lambda i: i["since"])
        late = [i for i in items if i["overdue"] or _past(i.get("due_at"), now)]
        result.append(Digest(office, day, items, late))
    return result


def _past(moment: str | None, now: datetime) -> bool:
    return moment is not None and datetime.fromisoformat(moment) <= now


# An admin may send the digest of a moment other than now (`POST /v1/notifications/digests`)
# within the past week: to catch up on a day the job missed. Any other moment would put an item
# in every office's inbox for a day nobody reviews (year 1), or is not a date at all in WIB
# (year 9999, last hours). A minute ahead is a clock's skew, not a future day.
DIGEST_CATCH_UP = timedelta(days=7)
DIGEST_CLOCK_SKEW = timedelta(minutes=1)


def digest_moment_refused(at: datetime, now: datetime) -> str | None:
    """Why a digest cannot be sent for `at` (a code of `DIGEST_REFUSALS`), None when it can."""
    if at > now + DIGEST_CLOCK_SKEW:
        return "digest_in_future"
    if at < now - DIGEST_CATCH_UP:
        return "digest_too_old"
    return None


# (English, Indonesian), formatted with `days`.
DIGEST_REFUSALS = {
    "digest_in_future": (
        "a digest is sent for now or a moment of the past {days} days, not the future",
        "ringkasan dikirim untuk saat ini atau {days} hari terakhir, bukan masa depan",
    ),
    "digest_too_old": (
        "a digest can be sent again for the past {days} days only",
        "ringkasan hanya dapat dikirim ulang untuk {days} hari terakhir",
    ),
}


def digest_day(now: datetime) -> date:
    return now.astimezone(WIB).date()


def next_digest_at(now: datetime, hour_wib: int) -> datetime:
    """The next moment the clock in Jakarta shows `hour_wib`:00, after `now`."""
    local = now.astimezone(WIB)
    candidate = local.replace(hour=hour_wib, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate


# ---------------------------------------------------------------- delivery rules


def retry_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): exponential, capped, with
    full jitter, so receivers coming back up are not hit by every sender at once."""
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching, as integrators bind queues: `*` one word, `#` zero or more."""
    return _words_match(pattern.split("."), routing_key.split("."))


def _words_match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_words_match(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    return head in ("*", words[0]) and _words_match(rest, words[1:])


TOPIC_PATTERN = r"^(?:[a-z_]+|\*|#)(?:\.(?:[a-z_]+|\*|#))*$"

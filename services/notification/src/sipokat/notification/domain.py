"""Who hears what: the recipients of an event, resolved from the event alone."""

from __future__ import annotations

from sipokat.events.catalogue import ReportRevised, ReportSubmitted
from sipokat.events.envelope import EventData, Role


def recipient(role: Role, wilayah: str | None) -> str:
    """An inbox belongs to an office: the lurah of a kelurahan, the RT head of an RT, ..."""
    return f"{role}:{wilayah or '-'}"


def recipients(data: EventData) -> list[str]:
    if isinstance(data, ReportSubmitted | ReportRevised):
        return [recipient(Role.LURAH, data.wilayah.kelurahan_code)]
    return []


def message(data: EventData) -> str:
    if isinstance(data, ReportSubmitted):
        return (
            f"Laporan baru dari RT {data.wilayah.rt_code} menunggu verifikasi: {data.content.title}"
        )
    if isinstance(data, ReportRevised):
        return f"Laporan RT {data.wilayah.rt_code} telah direvisi: {data.content.title}"
    return data.event_type

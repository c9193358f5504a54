"""Email through a real SMTP server (aiosmtpd): who gets it, in which language, and once."""

from __future__ import annotations

from uuid import uuid4

from notification_support import started

from sipokat.events.catalogue import Tier
from sipokat.events.testing import eventually, make_overdue, make_rejected, make_submitted
from sipokat.notification.handlers import notifier, send_digests
from sipokat.notification.settings import NotificationSettings
from sipokat.runtime.testing import Mailbox, bearer

LURAH = bearer("lurah", "16.73.02.1019")
CAMAT = bearer("camat", "16.73.02")
RT_HEAD = bearer("ketua_rt", "16.73.02.1019/007")


def with_smtp(settings: NotificationSettings, smtp: Mailbox) -> NotificationSettings:
    return settings.model_copy(
        update={"smtp_enabled": True, "smtp_port": smtp.port, "smtp_sender": "sipokat@kota.test"}
    )


async def test_each_office_gets_mail_in_its_language_once(
    settings: NotificationSettings, smtp: Mailbox
) -> None:
    async with started(with_smtp(settings, smtp)) as service:
        for headers, email, language in [
            (LURAH, "lurah.pelitajaya@kota.test", "id"),
            (RT_HEAD, "rt007@kota.test", "en"),
        ]:
            answer = await service.client.put(
                "/v1/notifications/preferences",
                json={"email": email, "language": language},
                headers=headers,
            )
            assert answer.status_code == 200, answer.text
        handle = notifier(service.context).handle
        rid = uuid4()
        submitted = make_submitted(rid)
        await handle(submitted)
        await handle(submitted)  # a redelivery
        await handle(make_rejected(rid, stream_version=2, tier=Tier.KELURAHAN))
        # The camat and pemkot have no address on file: nothing to mail them.
        await handle(make_overdue(uuid4(), stream_version=2, tier=Tier.KECAMATAN))
        await eventually(lambda: len(smtp.messages) >= 2, timeout=60)
        assert len(await service.context.ledger.find("deliveries")) == 2

        by_rcpt = {m["X-Rcpt-To"]: m for m in smtp.messages}
        lurah_mail = by_rcpt["lurah.pelitajaya@kota.test"]
        assert (
            lurah_mail["Subject"] == "[Sipokat] Laporan menunggu verifikasi: RT 16.73.02.1019/007"
        )
        assert lurah_mail["From"] == "sipokat@kota.test"
        text = lurah_mail.get_payload(decode=True).decode()
        assert "Laporan baru dari RT 16.73.02.1019/007 (Kelurahan Pelita Jaya" in text
        assert str(rid) in text

        rt_mail = by_rcpt["rt007@kota.test"]
        assert rt_mail["Subject"] == "[Sipokat] Report rejected at the kelurahan tier"
        text = rt_mail.get_payload(decode=True).decode()
        assert "Verifier's note: Foto kegiatan tidak terlihat jelas" in text
        assert "Please correct it and send a revision." in text

        # The worker removes a sent mail's outbox entry just after the mail is out: wait for
        # that, so what follows sees only what the replay plans.
        async def outbox_empty() -> bool:
            return len(await service.context.ledger.find("outbox")) == 0

        await eventually(outbox_empty, timeout=30, message="sent mail left in the outbox")

        # A rebuild replays the same events: no mail goes out again.
        await service.runtime.database.views.reset()
        await handle(submitted)
        await notifier(service.context).plan(submitted)
        assert len(await service.context.ledger.find("outbox")) == 0
        assert len(smtp.messages) == 2


async def test_no_mail_when_email_is_off_by_default(
    settings: NotificationSettings, smtp: Mailbox
) -> None:
    assert NotificationSettings().smtp_enabled is False
    async with started(settings) as service:
        await service.client.put(
            "/v1/notifications/preferences", json={"email": "l@kota.test"}, headers=LURAH
        )
        await notifier(service.context).handle(make_submitted())
        assert await service.context.ledger.find("deliveries") == []


async def test_the_daily_digest_lists_what_waits_and_what_is_late_once_a_day(
    settings: NotificationSettings, smtp: Mailbox
) -> None:
    async with started(with_smtp(settings, smtp)) as service:
        await service.client.put(
            "/v1/notifications/preferences",
            json={"email": "camat@kota.test", "language": "en"},
            headers=CAMAT,
        )
        handle = notifier(service.context).handle
        late, fresh = uuid4(), uuid4()
        await handle(make_submitted(late))
        await handle(make_overdue(late, stream_version=2, tier=Tier.KELURAHAN))
        await handle(make_submitted(fresh))
        admin = bearer("admin", None)

        first = await service.client.post("/v1/notifications/digests", headers=admin)
        assert first.status_code == 200, first.text
        [digest] = first.json()["digests"]
        assert digest["recipient"] == "lurah:16.73.02.1019"
        assert (digest["waiting"], digest["overdue"], digest["new"]) == (2, 1, True)
        assert digest["overdue_report_ids"] == [str(late)]
        again = await service.client.post("/v1/notifications/digests", headers=admin)
        assert again.json()["digests"][0]["new"] is False

        inbox = (await service.client.get("/v1/notifications/inbox", headers=LURAH)).json()
        assert [i["kind"] for i in inbox["items"]].count("digest") == 1
        # The camat heard of the late report (escalation) but has nothing waiting: no digest.
        forbidden = await service.client.post("/v1/notifications/digests", headers=LURAH)
        assert forbidden.status_code == 403

        # Lurah has no address: only the camat's escalation mail goes out.
        await eventually(lambda: smtp.messages, timeout=60)
        assert [m["Subject"] for m in smtp.messages] == [
            "[Sipokat] Escalation: verification at the kelurahan tier is late"
        ]


async def test_the_digest_mail_counts_and_names_the_reports(
    settings: NotificationSettings, smtp: Mailbox
) -> None:
    async with started(with_smtp(settings, smtp)) as service:
        await service.client.put(
            "/v1/notifications/preferences", json={"email": "lurah@kota.test"}, headers=LURAH
        )
        handle = notifier(service.context).handle
        late = uuid4()
        await handle(make_submitted(late))
        await handle(make_overdue(late, stream_version=2))
        await eventually(lambda: len(smtp.messages) == 2, timeout=60)  # new report + reminder
        await send_digests(service.context)
        await send_digests(service.context)
        await eventually(lambda: len(smtp.messages) == 3, timeout=60)
        digest = smtp.messages[2]
        assert digest["Subject"].startswith("[Sipokat] Ringkasan harian")
        assert digest["Subject"].endswith(": 1 menunggu, 1 terlambat")
        text = digest.get_payload(decode=True).decode().replace("\r\n", "\n")
        assert "Terlambat:\n- RT 16.73.02.1019/007 (Pelita Jaya)" in text

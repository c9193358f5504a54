"""Signed photo links: who holds the secret signs, a wrong, foreign or expired link is refused."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sipokat.runtime.media import STEP_SECONDS, MediaSigner

SHA = "ab" * 32


def test_a_link_lives_at_least_its_seconds_and_ends_on_a_step() -> None:
    signer = MediaSigner("s" * 32)
    now = 1_800_000_123.5
    query = parse_qs(urlsplit(signer.url(SHA, now, 3600)).query)
    exp = int(query["exp"][0])
    assert now + 3600 <= exp < now + 3600 + STEP_SECONDS
    assert exp % STEP_SECONDS == 0
    assert signer.verify(SHA, exp, query["sig"][0], now)
    # The same link a minute later: the phone's cache still holds it.
    assert signer.url(SHA, now + 60, 3600) == signer.url(SHA, now, 3600)


def test_wrong_foreign_and_expired_signatures_are_refused() -> None:
    signer = MediaSigner("s" * 32)
    exp = 2_000_000_000
    sig = signer.sign(SHA, exp)
    assert signer.verify(SHA, exp, sig, exp - 1)
    assert not signer.verify(SHA, exp, sig, exp)  # expired the moment exp comes
    assert not signer.verify("cd" * 32, exp, sig, 0)  # another photo
    assert not signer.verify(SHA, exp + 1, sig, 0)  # a longer life
    assert not signer.verify(SHA, exp, MediaSigner("t" * 32).sign(SHA, exp), 0)  # another key
    assert not signer.verify(SHA, exp, "0" * 64, 0)

"""Every word of the vocabulary has its label in both languages."""

from __future__ import annotations

from sipokat.events.catalogue import Bidang, BidangDana, RejectionReason, ReportKind
from sipokat.events.labels import (
    BIDANG_DANA_LABELS,
    BIDANG_LABELS,
    KIND_LABELS,
    REASON_LABELS,
    STATUS_LABELS,
    STATUSES,
    labelled,
)


def test_every_kind_bidang_and_fund_split_has_indonesian_and_english_words() -> None:
    for vocabulary, labels in (
        (ReportKind, KIND_LABELS),
        (Bidang, BIDANG_LABELS),
        (BidangDana, BIDANG_DANA_LABELS),
        (RejectionReason, REASON_LABELS),
    ):
        assert list(labels) == list(vocabulary)
        for label in labels.values():
            assert label.id and label.en


def test_labelled_lists_codes_in_order_with_both_languages() -> None:
    listed = labelled(KIND_LABELS)
    assert listed[0] == {"code": "kegiatan", "label": {"id": "Kegiatan", "en": "Activity"}}
    assert [item["code"] for item in listed] == [str(kind) for kind in ReportKind]


def test_every_status_the_api_names_has_words() -> None:
    assert tuple(STATUS_LABELS) == STATUSES
    for label in STATUS_LABELS.values():
        assert label.id and label.en

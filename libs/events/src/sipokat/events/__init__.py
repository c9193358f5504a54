"""Sipokat's event contracts, event store and RabbitMQ backbone.

Importing the package imports the catalogue, which registers its payload classes with
`sipokat.events.payloads`: whoever imports any module of it can parse every current event.
"""

from sipokat.events.catalogue import (
    ROUTING_KEYS,
    Bidang,
    BidangDana,
    FundProgress,
    GeoPoint,
    PhotoRef,
    PostEnded,
    PostEvent,
    PostStarted,
    RejectionReason,
    ReportApproved,
    ReportContent,
    ReportEvent,
    ReportKind,
    ReportRejected,
    ReportRevised,
    ReportSubmitted,
    ReportVerified,
    Tier,
    VerificationOverdue,
    Verifier,
    WilayahPath,
)
from sipokat.events.envelope import Actor, Envelope, Role, new_event_id, utc_now
from sipokat.events.payloads import EVENT_TYPES, EventData, UnknownEventType, upcaster

__all__ = [
    "EVENT_TYPES",
    "ROUTING_KEYS",
    "Actor",
    "Bidang",
    "BidangDana",
    "Envelope",
    "EventData",
    "FundProgress",
    "GeoPoint",
    "PhotoRef",
    "PostEnded",
    "PostEvent",
    "PostStarted",
    "RejectionReason",
    "ReportApproved",
    "ReportContent",
    "ReportEvent",
    "ReportKind",
    "ReportRejected",
    "ReportRevised",
    "ReportSubmitted",
    "ReportVerified",
    "Role",
    "Tier",
    "UnknownEventType",
    "VerificationOverdue",
    "Verifier",
    "WilayahPath",
    "new_event_id",
    "upcaster",
    "utc_now",
]

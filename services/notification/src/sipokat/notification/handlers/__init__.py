"""What notification does for each input: an event from the consumer (fold it, plan its
deliveries, push it live), a route's command, a pass of the delivery worker, the daily digest.
One module per kind of work; the names below are what the routes, jobs and bootstrap use."""

from sipokat.notification.adapters.webhooks import UnsafeTarget
from sipokat.notification.handlers.context import NotificationContext
from sipokat.notification.handlers.delivery import Deliverer, deliverer
from sipokat.notification.handlers.digest import send_digests
from sipokat.notification.handlers.fold import VIEW
from sipokat.notification.handlers.planning import (
    Notifier,
    email_delivery,
    notifier,
    webhook_delivery,
)

__all__ = [
    "VIEW",
    "Deliverer",
    "NotificationContext",
    "Notifier",
    "UnsafeTarget",
    "deliverer",
    "email_delivery",
    "notifier",
    "send_digests",
    "webhook_delivery",
]

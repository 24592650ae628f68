"""Wise webhooks: the stored-event state machine, pending → done | dead.

``intake`` verifies a delivery over its raw bytes and stores it in one statement (the request's
whole job); ``apply`` is the worker's side: claim, apply once, or park with a reason; ``events``
says what an event means and checks its data. Callers use only the names exported here.
"""

from backend.services.webhooks.apply import (
    PendingReport,
    failed,
    pending_count,
    process_pending,
    retry,
)
from backend.services.webhooks.events import (
    KYC_REVIEW_EVENT,
    TRANSFER_EVENT,
    USER_EVENT,
    VERIFICATION_EVENT,
    InvalidEvent,
    plan,
)
from backend.services.webhooks.intake import (
    Received,
    accept,
    last_stored_id,
    receive,
    received_test,
)

__all__ = [
    "KYC_REVIEW_EVENT",
    "TRANSFER_EVENT",
    "USER_EVENT",
    "VERIFICATION_EVENT",
    "InvalidEvent",
    "PendingReport",
    "Received",
    "accept",
    "failed",
    "last_stored_id",
    "pending_count",
    "plan",
    "process_pending",
    "receive",
    "received_test",
    "retry",
]

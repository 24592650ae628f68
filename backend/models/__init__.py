"""SQLModel tables and their role-named request and response models.

Importing this package registers every table on ``SQLModel.metadata`` (Alembic relies on it).
"""

from backend.models.link import (
    AccessTokenPublic,
    AccessTokenRequest,
    LinkStatus,
    VerificationStatus,
    WiseLink,
    WiseLinkEvent,
    WiseLinkPublic,
)
from backend.models.notification import PartnerNotification
from backend.models.session import (
    CustomerCreate,
    FailureReason,
    OnboardingSession,
    OnboardingSessionCreate,
    OnboardingSessionCreated,
    OnboardingSessionPublic,
    SessionStatus,
)
from backend.models.webhook import TransferStatus, TransferStatusPublic, WiseWebhookEvent

__all__ = [
    "AccessTokenPublic",
    "AccessTokenRequest",
    "CustomerCreate",
    "FailureReason",
    "LinkStatus",
    "OnboardingSession",
    "OnboardingSessionCreate",
    "OnboardingSessionCreated",
    "OnboardingSessionPublic",
    "PartnerNotification",
    "SessionStatus",
    "TransferStatus",
    "TransferStatusPublic",
    "VerificationStatus",
    "WiseLink",
    "WiseLinkEvent",
    "WiseLinkPublic",
    "WiseWebhookEvent",
]

"""SQLModel tables and their role-named request and response models.

Importing this package registers every table on ``SQLModel.metadata`` (Alembic relies on it).
"""

from backend.models.app_token import WiseAppToken
from backend.models.camera_check import (
    CameraCheckCreate,
    CameraCheckReport,
)
from backend.models.idempotency import IdempotencyRecord
from backend.models.link import (
    AccessTokenPublic,
    AccessTokenRequest,
    LinkStatus,
    VerificationStatus,
    WiseLink,
    WiseLinkEvent,
    WiseLinkPublic,
)
from backend.models.notification import NotificationStatus, PartnerNotification
from backend.models.prefill import (
    BusinessPrefill,
    DirectorPrefill,
    PersonalPrefill,
    Prefill,
    PrefillAccount,
    PrefillAddress,
    UboPrefill,
)
from backend.models.session import (
    CustomerCreate,
    FailureReason,
    IdentityCheck,
    OnboardingSession,
    OnboardingSessionCreate,
    OnboardingSessionCreated,
    OnboardingSessionPublic,
    PrefillError,
    SessionMode,
    SessionStatus,
)
from backend.models.webhook import (
    EventStatus,
    TransferStatus,
    TransferStatusPublic,
    WiseWebhookEvent,
)

__all__ = [
    "AccessTokenPublic",
    "AccessTokenRequest",
    "BusinessPrefill",
    "CameraCheckCreate",
    "CameraCheckReport",
    "CustomerCreate",
    "DirectorPrefill",
    "EventStatus",
    "FailureReason",
    "IdempotencyRecord",
    "IdentityCheck",
    "LinkStatus",
    "NotificationStatus",
    "OnboardingSession",
    "OnboardingSessionCreate",
    "OnboardingSessionCreated",
    "OnboardingSessionPublic",
    "PartnerNotification",
    "PersonalPrefill",
    "Prefill",
    "PrefillAccount",
    "PrefillAddress",
    "PrefillError",
    "SessionMode",
    "SessionStatus",
    "TransferStatus",
    "TransferStatusPublic",
    "UboPrefill",
    "VerificationStatus",
    "WiseAppToken",
    "WiseLink",
    "WiseLinkEvent",
    "WiseLinkPublic",
    "WiseWebhookEvent",
]

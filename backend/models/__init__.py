"""SQLModel tables and their role-named request and response models.

Importing this package registers every table on ``SQLModel.metadata`` (Alembic relies on it).
"""

from backend.models.app_token import WiseAppToken
from backend.models.camera_check import (
    CameraCheckCreate,
    CameraCheckCreated,
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
    WiseLinkQuery,
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
    ExternalId,
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
    WebhookReceived,
    WiseWebhookDelivery,
    WiseWebhookEvent,
)

__all__ = [
    "AccessTokenPublic",
    "AccessTokenRequest",
    "BusinessPrefill",
    "CameraCheckCreate",
    "CameraCheckCreated",
    "CameraCheckReport",
    "CustomerCreate",
    "DirectorPrefill",
    "EventStatus",
    "ExternalId",
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
    "WebhookReceived",
    "WiseAppToken",
    "WiseLink",
    "WiseLinkEvent",
    "WiseLinkPublic",
    "WiseLinkQuery",
    "WiseWebhookDelivery",
    "WiseWebhookEvent",
]

"""SQLModel tables and their role-named request and response models.

Importing this package registers every table on ``SQLModel.metadata`` (Alembic relies on it).
"""

from backend.models.camera_check import (
    CameraCheckCreate,
    CameraCheckReport,
    RateLimitWindow,
)
from backend.models.link import LinkStatus, WiseLink, WiseLinkPublic
from backend.models.session import (
    CustomerCreate,
    FailureReason,
    OnboardingSession,
    OnboardingSessionCreate,
    OnboardingSessionCreated,
    OnboardingSessionPublic,
    SessionStatus,
)

__all__ = [
    "CameraCheckCreate",
    "CameraCheckReport",
    "CustomerCreate",
    "FailureReason",
    "LinkStatus",
    "OnboardingSession",
    "OnboardingSessionCreate",
    "OnboardingSessionCreated",
    "OnboardingSessionPublic",
    "RateLimitWindow",
    "SessionStatus",
    "WiseLink",
    "WiseLinkPublic",
]

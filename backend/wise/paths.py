"""Every path of Wise's API the kit calls, in one table.

Wise's 2026 documentation moved the API to quarterly, calendar-versioned paths (``/2026Q3/...``,
<https://docs.wise.com/guides/developer/global-versioning>) and files the ``/v1``-``/v3`` paths
below under "Legacy". Wise has not published when (or whether) those legacy paths stop working,
and only a few versioned paths are documented so far (for example ``/2026Q3/oauth/token``). So the
kit keeps calling the legacy paths, which are the ones Wise documents for this whole journey, and
names each one here: moving an operation to a versioned path is a change to this table, and the
``backend.wise.client`` methods do not change. ``tests/backend/test_wise_paths.py`` checks that no
other module of the kit spells a Wise path.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import quote


class WisePath(StrEnum):
    """A Wise API path template; ``{name}`` parts are filled by ``at``."""

    TOKEN = "/oauth/token"  # noqa: S105  (a path, not a secret)
    # Users and the Onboarding API (pre-filled accounts).
    USERS_EXISTS = "/v1/users/exists"
    SIGN_UP = "/v1/user/signup/registration_code"
    CLAIM_ACCOUNT = "/v1/user/claim-account"
    # Profiles.
    PROFILES = "/v2/profiles"
    PROFILE = "/v2/profiles/{profile_id}"
    PERSONAL_PROFILE = "/v2/profiles/personal-profile"
    BUSINESS_PROFILE_V2 = "/v2/profiles/business-profile"
    # Announced for deprecation in favour of the v2 path above.
    BUSINESS_PROFILE_V3 = "/v3/profiles/business-profile"
    DIRECTORS = "/v1/profiles/{profile_id}/directors"
    UBOS = "/v1/profiles/{profile_id}/ubos"
    # Verification.
    VERIFICATION_STATUS = "/v3/profiles/{profile_id}/verification-status/bank-transfer"
    SIMULATE_VERIFICATION = "/v1/simulation/profiles/{profile_id}/verifications"
    # Hosted KYC.
    KYC_REVIEWS = "/v1/profiles/{profile_id}/kyc-reviews"
    KYC_REVIEW = "/v2/profiles/{profile_id}/kyc-reviews/{kyc_review_id}"
    KYC_REVIEW_REDIRECT = "/v1/profiles/{profile_id}/kyc-reviews/{kyc_review_id}"
    # Application webhook subscriptions (client-credentials token).
    SUBSCRIPTIONS = "/v3/applications/{client_key}/subscriptions"
    SUBSCRIPTION = "/v3/applications/{client_key}/subscriptions/{subscription_id}"
    TEST_NOTIFICATIONS = (
        "/v3/applications/{client_key}/subscriptions/{subscription_id}/test-notifications"
    )

    def at(self, **parts: object) -> str:
        """The path with its parts filled in; every part is percent-encoded as one segment."""
        return self.value.format(**{name: quote(str(v), safe="") for name, v in parts.items()})

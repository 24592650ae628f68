"""Configuration of the Wise emulator: registered API clients, seed users and behaviour switches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

# Wise's sandbox accepts this code on every two-factor prompt; the emulator does the same.
TWO_FACTOR_CODE = "111111"
DEMO_PASSWORD = "wise-demo"  # noqa: S105 - published for the demo users


@dataclass
class RegisteredClient:
    """An API client as Wise configures it: credentials, webhook key and allowed redirect URIs."""

    client_id: str
    client_secret: str
    client_key: str
    # Matched exactly, query string included, as Wise documents for its preconfigured URIs.
    redirect_uris: list[str]
    name: str = "Acme Bank"


@dataclass(frozen=True)
class DemoProfile:
    """A profile seeded for a demo user."""

    type: str  # "PERSONAL" or "BUSINESS"
    business_name: str | None = None
    registration_number: str | None = None
    company_type: str | None = None


@dataclass(frozen=True)
class DemoUser:
    """A seeded Wise user; every demo user's password is ``wise-demo``."""

    email: str
    first_name: str
    last_name: str
    date_of_birth: str
    profiles: tuple[DemoProfile, ...]
    password: str = DEMO_PASSWORD


DEMO_CLIENT = RegisteredClient(
    client_id="acme-bank-demo",
    client_secret="acme-bank-demo-secret",  # noqa: S106 - a published demo credential, not a secret
    client_key="acme-bank-demo-key",
    redirect_uris=[],
)

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("ada@example.com", "Ada", "Lovelace", "1990-04-01", (DemoProfile("PERSONAL"),)),
    DemoUser("grace@example.com", "Grace", "Hopper", "1985-12-09", (DemoProfile("PERSONAL"),)),
    DemoUser(
        "alan@example.com",
        "Alan",
        "Turing",
        "1982-06-23",
        (
            DemoProfile("PERSONAL"),
            DemoProfile(
                "BUSINESS",
                business_name="Turing Machines Ltd",
                registration_number="07209813",
                company_type="LIMITED",
            ),
        ),
    ),
    # A customer account without any profile: Wise then calls back without a profileId.
    DemoUser("nobody@example.com", "Nora", "Body", "1995-01-01", ()),
)


# Switches that take one of a few words.
CHOICES: dict[str, tuple[str, ...]] = {"business_profile_v3_answer": ("profile", "empty")}


@dataclass
class Switches:
    """Run-time switches; each one picks a behaviour Wise's documentation leaves unconfirmed.

    The control API can change them while the emulator runs (``PATCH /__emulator/settings``).
    """

    # Whether a refresh_token grant returns a new refresh token and retires the old one.
    refresh_token_rotation: bool = False
    # Wise documents expires_in 43199 (12 hours) but promises no lifetime; tests shorten it.
    access_token_lifetime_seconds: int = 43199
    # Wise documents both 401 and 400 for a reclaimed or wrong registration code.
    registration_code_invalid_status: int = 401
    # Wise only says a denial may come back with `error` and `error_description`.
    deny_error: str = "access_denied"
    deny_error_description: str = "The user denied access to their Wise account"
    deny_includes_state: bool = True
    # A refresh token revoked by the user or by an email change: "403 when attempting to generate
    # an access_token" on one page, `invalid_grant` on another; the body is always invalid_grant.
    revoked_refresh_status: int = 403
    # A profile that exists but was not granted to this token (another user's, or not chosen).
    ungranted_profile_status: int = 403
    # Demo only: also accept plain-http and loopback webhook URLs (any port), so a kit on
    # localhost can receive. Wise accepts only https on port 443 at a domain name.
    demo_allow_loopback_http_webhooks: bool = False
    webhook_retry_base_seconds: float = 60.0
    deliver_webhooks_automatically: bool = True
    # Wise counts a delivery as failed unless a 2xx arrives within 5 seconds; tests compress it.
    webhook_success_within_seconds: float = 5.0
    # Wise documents v3 business-profile creation as "200 Created business profile." with no body:
    # "profile" answers the v2 profile shape, "empty" an empty object.
    business_profile_v3_answer: str = "profile"
    # "The Hosted KYC link expires 5 minutes after generation."
    kyc_link_lifetime_seconds: int = 300

    def update(self, values: dict[str, Any]) -> None:
        """Set the named switches, refusing unknown names and values of the wrong type."""
        known = {f.name: f for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown setting {name!r}")
            if name in CHOICES and value not in CHOICES[name]:
                raise ValueError(f"setting {name!r} is one of {', '.join(CHOICES[name])}")
            current = getattr(self, name)
            if isinstance(current, bool) != isinstance(value, bool):
                raise ValueError(f"setting {name!r} needs a {type(current).__name__}")
            if isinstance(current, float) and isinstance(value, int):
                value = float(value)
            if not isinstance(value, type(current)):
                raise ValueError(f"setting {name!r} needs a {type(current).__name__}")
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        """Return the switches as a JSON-friendly mapping."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class EmulatorConfig:
    """Everything ``create_emulator_app`` needs; the defaults give a ready demo emulator."""

    clients: list[RegisteredClient] = field(default_factory=lambda: [DEMO_CLIENT])
    seed_demo_users: bool = True
    # PEM of an RSA private key for webhook signatures; a fresh RSA-2048 key is made when None.
    webhook_private_key_pem: bytes | None = None
    # Wise retries after 1, 2, 4 ... minutes, then daily; tests compress the minute.
    webhook_retry_base_seconds: float = 60.0
    # Wise's delivery window: a 2xx must arrive within this many seconds.
    webhook_success_within_seconds: float = 5.0
    # When False, deliveries wait for `POST /__emulator/webhooks/flush`.
    deliver_webhooks_automatically: bool = True
    refresh_token_rotation: bool = False
    access_token_lifetime_seconds: int = 43199
    registration_code_invalid_status: int = 401
    deny_error: str = "access_denied"
    deny_error_description: str = "The user denied access to their Wise account"
    deny_includes_state: bool = True
    revoked_refresh_status: int = 403
    ungranted_profile_status: int = 403
    demo_allow_loopback_http_webhooks: bool = False
    business_profile_v3_answer: str = "profile"
    # Aware UTC "now"; the control API adds an offset on top. Default: the system clock.
    clock: Callable[[], datetime] | None = None
    # The test-only control API under /__emulator/.
    enable_control_api: bool = True
    # The partner app customers start from (the demo sets Acme Bank's URL); the landing page at
    # / links to it. The emulator cannot know it otherwise.
    partner_app_url: str | None = None

    def initial_switches(self) -> Switches:
        """Return a fresh set of run-time switches holding this configuration's values."""
        return Switches(
            refresh_token_rotation=self.refresh_token_rotation,
            access_token_lifetime_seconds=self.access_token_lifetime_seconds,
            registration_code_invalid_status=self.registration_code_invalid_status,
            deny_error=self.deny_error,
            deny_error_description=self.deny_error_description,
            deny_includes_state=self.deny_includes_state,
            revoked_refresh_status=self.revoked_refresh_status,
            ungranted_profile_status=self.ungranted_profile_status,
            demo_allow_loopback_http_webhooks=self.demo_allow_loopback_http_webhooks,
            webhook_retry_base_seconds=self.webhook_retry_base_seconds,
            webhook_success_within_seconds=self.webhook_success_within_seconds,
            deliver_webhooks_automatically=self.deliver_webhooks_automatically,
            business_profile_v3_answer=self.business_profile_v3_answer,
        )

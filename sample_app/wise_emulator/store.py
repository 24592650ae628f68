"""The emulator's in-process state, guarded by one lock.

Every read-modify-write happens while holding ``Store.lock``, so concurrent requests (the server is
threaded) see Wise's guarantees, e.g. an authorization code redeemed by exactly one request.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .config import DEMO_USERS, EmulatorConfig, RegisteredClient, Switches
from .models import (
    AccessToken,
    AuthCode,
    ClaimCode,
    Delivery,
    Fault,
    Flow,
    KycReview,
    Profile,
    RefreshToken,
    Subscription,
    Transfer,
    User,
)

FIRST_USER_ID = 9_000_001
FIRST_PROFILE_ID = 30_000_001
FIRST_TRANSFER_ID = 50_000_001


def hash_secret(value: str) -> str:
    """Return the SHA-256 hex digest of a password or registration code."""
    return hashlib.sha256(value.encode()).hexdigest()


def secret_matches(value: str, digest: str | None) -> bool:
    """Compare a secret with its stored digest in constant time."""
    return digest is not None and hmac.compare_digest(hash_secret(value), digest)


def system_clock() -> datetime:
    """Return the current aware UTC time."""
    return datetime.now(UTC)


class Store:
    """All of the emulator's data, plus the clock and the counters the control API reports."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.lock = threading.RLock()
        self.config = config
        self._base_clock: Callable[[], datetime] = config.clock or system_clock
        self.clients: dict[str, RegisteredClient] = {c.client_id: c for c in config.clients}
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every user, token, webhook and counter, then seed the demo users again."""
        with self.lock:
            self.clock_offset = timedelta()
            self.switches: Switches = self.config.initial_switches()
            self.users: dict[int, User] = {}
            self.profiles: dict[int, Profile] = {}
            self.auth_codes: dict[str, AuthCode] = {}
            self.claim_codes: dict[str, ClaimCode] = {}
            self.access_tokens: dict[str, AccessToken] = {}
            self.refresh_tokens: dict[str, RefreshToken] = {}
            self.revoked_refresh_tokens: set[str] = set()
            self.subscriptions: dict[str, Subscription] = {}
            self.deliveries: dict[str, Delivery] = {}
            self.transfers: dict[int, Transfer] = {}
            self.kyc_reviews: dict[str, KycReview] = {}
            self.faults: list[Fault] = []
            # Hold faults stay here after their counts are used up, until released.
            self.held: dict[int, Fault] = {}
            self.flows: dict[str, Flow] = {}
            # (user id, route, X-idempotence-uuid) -> (status, body) of the first response.
            self.idempotent_responses: dict[tuple[int, str, str], tuple[int, Any]] = {}
            self.counters: dict[str, Counter[str]] = {
                "token_requests": Counter(),
                "tokens_issued": Counter(),
                "requests": Counter(),
                "paths": Counter(),
                "created": Counter(),
            }
            self._next_user_id = FIRST_USER_ID
            self._next_profile_id = FIRST_PROFILE_ID
            self._next_transfer_id = FIRST_TRANSFER_ID
            self._next_small_id = 1
            if self.config.seed_demo_users:
                self._seed_demo_users()

    def _seed_demo_users(self) -> None:
        for demo in DEMO_USERS:
            user = self.add_user(
                email=demo.email,
                password=demo.password,
                first_name=demo.first_name,
                last_name=demo.last_name,
                date_of_birth=demo.date_of_birth,
            )
            for seeded in demo.profiles:
                if seeded.type == "PERSONAL":
                    self.add_personal_profile(
                        user,
                        first_name=demo.first_name,
                        last_name=demo.last_name,
                        date_of_birth=demo.date_of_birth,
                    )
                else:
                    self.add_profile(
                        user,
                        "BUSINESS",
                        business_name=seeded.business_name,
                        registration_number=seeded.registration_number,
                        company_type=seeded.company_type,
                        address=demo_address(),
                    )

    # -- time and ids ----------------------------------------------------------------------------

    def now(self) -> datetime:
        """Return the emulator's time: the configured clock plus the control API's offset."""
        return self._base_clock() + self.clock_offset

    def advance_clock(self, seconds: float) -> datetime:
        """Move the emulator's time forward (or back) and return the new time."""
        with self.lock:
            self.clock_offset += timedelta(seconds=seconds)
            return self.now()

    def small_id(self) -> int:
        """Return the next id for directors, UBOs and faults."""
        with self.lock:
            value = self._next_small_id
            self._next_small_id += 1
            return value

    def count(self, family: str, key: str, amount: int = 1) -> None:
        """Add to one of the counters the control API reports."""
        with self.lock:
            self.counters[family][key] += amount

    # -- users and profiles ----------------------------------------------------------------------

    def user_by_email(self, email: str) -> User | None:
        """Find a user by email, ignoring case as Wise does."""
        wanted = email.strip().lower()
        with self.lock:
            return next((u for u in self.users.values() if u.email.lower() == wanted), None)

    def add_user(
        self,
        *,
        email: str,
        password: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        date_of_birth: str | None = None,
        registration_code: str | None = None,
        created_by_client_id: str | None = None,
    ) -> User:
        """Create a user; the caller has checked that the email is free."""
        with self.lock:
            user = User(
                id=self._next_user_id,
                email=email.strip(),
                created_at=self.now(),
                password_hash=hash_secret(password) if password is not None else None,
                first_name=first_name,
                last_name=last_name,
                date_of_birth=date_of_birth,
                registration_code_hash=(
                    hash_secret(registration_code) if registration_code is not None else None
                ),
                created_by_client_id=created_by_client_id,
                claimed=registration_code is None,
            )
            self._next_user_id += 1
            self.users[user.id] = user
            self.counters["created"]["users"] += 1
            return user

    def add_profile(self, user: User, profile_type: str, **values: Any) -> Profile:
        """Create a profile of ``profile_type`` for ``user`` with the given field values."""
        with self.lock:
            now = self.now()
            profile = Profile(
                id=self._next_profile_id,
                public_id=str(uuid.uuid4()),
                user_id=user.id,
                type=profile_type,
                created_at=now,
                updated_at=now,
                email=user.email,
                **values,
            )
            self._next_profile_id += 1
            if user.created_by_client_id:
                profile.linked_client_ids.add(user.created_by_client_id)
            self.profiles[profile.id] = profile
            self.counters["created"]["profiles"] += 1
            return profile

    def add_personal_profile(
        self, user: User, *, first_name: str, last_name: str, date_of_birth: str
    ) -> Profile:
        """Create a PERSONAL profile with a demo address."""
        return self.add_profile(
            user,
            "PERSONAL",
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            address=demo_address(),
        )

    def profiles_of(self, user_id: int) -> list[Profile]:
        """Return a user's profiles, personal first, oldest first."""
        with self.lock:
            owned = [p for p in self.profiles.values() if p.user_id == user_id]
        return sorted(owned, key=lambda p: (p.type != "PERSONAL", p.id))

    def next_transfer_id(self) -> int:
        """Return the next transfer id."""
        with self.lock:
            value = self._next_transfer_id
            self._next_transfer_id += 1
            return value

    # -- tokens ----------------------------------------------------------------------------------

    def revoke_user_tokens(self, user_id: int) -> int:
        """Revoke every access and refresh token of a user, as Wise does on revoke or email change.

        Returns how many refresh tokens were revoked.
        """
        with self.lock:
            gone = [v for v, t in self.refresh_tokens.items() if t.user_id == user_id]
            for value in gone:
                del self.refresh_tokens[value]
                self.revoked_refresh_tokens.add(value)
            for value in [v for v, t in self.access_tokens.items() if t.user_id == user_id]:
                del self.access_tokens[value]
            return len(gone)

    def live_access_token(self, value: str) -> AccessToken | None:
        """Return the access token if it exists and has not expired."""
        with self.lock:
            token = self.access_tokens.get(value)
            if token is None or token.expires_at <= self.now():
                return None
            return token


def demo_address() -> dict[str, Any]:
    """Return the address seeded on demo profiles."""
    return {
        "addressFirstLine": "56 Shoreditch High Street",
        "city": "London",
        "countryIso2Code": "GB",
        "countryIso3Code": "gbr",
        "postCode": "E1 6JJ",
        "stateCode": None,
    }

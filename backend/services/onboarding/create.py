"""Creating onboarding sessions: validation against the configuration, and Idempotency-Key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from backend import logs, metrics
from backend.context import Context
from backend.errors import InvalidRequest, InvalidReturnUrl
from backend.models import (
    BusinessPrefill,
    OnboardingSession,
    OnboardingSessionCreate,
    OnboardingSessionCreated,
    SessionMode,
    SessionStatus,
)
from backend.security import hash_secret, is_allowed_return_url, new_secret
from backend.services import idempotency, prefill
from backend.services.idempotency import IdempotencyKey

INSERT_SESSION = insert(OnboardingSession.__table__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Created:
    """A create answer: the 201 body, and whether it replays an earlier one (Idempotency-Key)."""

    body: dict[str, Any]
    replayed: bool = False


def create_session(
    *, ctx: Context, data: OnboardingSessionCreate, idempotency_key: IdempotencyKey | None = None
) -> Created:
    """Create a session and return the 201 body with its launch URL.

    The launch URL is known only here. With an ``Idempotency-Key``, a retry with the same body
    gets this same answer back, and concurrent first uses of one key still create one session.
    """
    db = ctx.db
    if idempotency_key is not None:
        earlier = idempotency.replay(ctx=ctx, key=idempotency_key)
        if earlier is not None:
            return Created(earlier, replayed=True)
    row, launch_url = _new_session(ctx, data)
    logs.set_session(row["id"])
    # A prebuilt Core INSERT: building an ORM object of 30 columns cost more than storing it.
    db.execute(INSERT_SESSION, row)
    body = OnboardingSessionCreated(
        id=row["id"], status=row["status"], launch_url=launch_url, expires_at=row["expires_at"]
    ).model_dump(mode="json")
    if idempotency_key is not None:
        idempotency.remember(
            ctx=ctx,
            key=idempotency_key,
            session_id=row["id"],
            answer=body,
        )
    try:
        db.commit()
    except IntegrityError:
        if idempotency_key is None:
            raise
        # A concurrent request with the same key committed first; its session is the one.
        db.rollback()
        earlier = idempotency.replay(ctx=ctx, key=idempotency_key)
        if earlier is None:
            raise
        return Created(earlier, replayed=True)
    metrics.SESSIONS_CREATED.labels(mode=data.mode).inc()
    return Created(body)


def _new_session(ctx: Context, data: OnboardingSessionCreate) -> tuple[dict[str, Any], str]:
    """Check the body against the configuration and build the row's values and launch URL.

    Columns not named here take their defaults (nothing launched, claimed or finished yet).
    """
    settings, now = ctx.settings, ctx.now()
    ttl = data.ttl_seconds or settings.session_ttl_seconds
    if ttl > settings.session_max_ttl_seconds:
        raise InvalidRequest(
            f"ttl_seconds must be at most {settings.session_max_ttl_seconds}", field="ttl_seconds"
        )
    if not is_allowed_return_url(data.return_url, settings.return_urls):
        raise InvalidReturnUrl(field="return_url")
    if data.refresh_url is not None and not is_allowed_return_url(
        data.refresh_url, settings.return_urls
    ):
        raise InvalidReturnUrl(
            "refresh_url is not in the configured allowlist (ONBOARDING_RETURN_URLS).",
            field="refresh_url",
        )
    customer = data.customer
    if customer.type == "personal" and customer.date_of_birth is None:
        raise InvalidRequest(
            "customer.date_of_birth is required for personal customers: "
            "it is checked against the linked Wise profile",
            field="customer.date_of_birth",
        )
    registration_number = _registration_number(data)
    if data.mode == SessionMode.PREFILL and customer.prefill is None:
        raise InvalidRequest(
            'customer.prefill is required when mode is "prefill"', field="customer.prefill"
        )
    if data.mode == SessionMode.LINK and customer.prefill is not None:
        raise InvalidRequest(
            'customer.prefill is only used when mode is "prefill"', field="customer.prefill"
        )
    if (
        isinstance(customer.prefill, BusinessPrefill)
        and customer.prefill.business_representative.business_representative_id is not None
        and settings.wise_business_profile_api != "v3"
    ):
        # Wise's v2 flow creates the representative as a personal profile: an id cannot be used.
        raise InvalidRequest(
            "customer.prefill.business_representative.business_representative_id needs "
            "ONBOARDING_WISE_BUSINESS_PROFILE_API=v3; with v2 send the representative's details",
            field="customer.prefill.business_representative.business_representative_id",
        )
    token = new_secret()
    row = {
        "id": str(uuid.uuid4()),
        "status": SessionStatus.CREATED,
        "mode": data.mode,
        "customer_external_id": customer.external_id,
        "customer_type": customer.type,
        "customer_email": customer.email,
        "customer_date_of_birth": customer.date_of_birth,
        "customer_registration_number": registration_number,
        "prefill_ciphertext": (
            prefill.encrypt_prefill(ctx.cipher, customer.prefill) if customer.prefill else None
        ),
        "return_url": data.return_url,
        "refresh_url": data.refresh_url,
        "launch_token_hash": hash_secret(token),
        "created_at": now,
        "expires_at": now + timedelta(seconds=ttl),
    }
    return row, f"{settings.public_base_url}/onboarding/launch/{token}"


def _registration_number(data: OnboardingSessionCreate) -> str | None:
    """The business registration number the identity check compares, if the partner gave one."""
    customer = data.customer
    if customer.type != "business":
        if customer.registration_number is not None:
            raise InvalidRequest(
                "customer.registration_number is only for business customers",
                field="customer.registration_number",
            )
        return None
    given = customer.registration_number
    prefilled = (
        customer.prefill.registration_number
        if isinstance(customer.prefill, BusinessPrefill)
        else None
    )
    if given and prefilled and given != prefilled:
        raise InvalidRequest(
            "customer.prefill.registration_number differs from customer.registration_number",
            field="customer.prefill.registration_number",
        )
    return given or prefilled

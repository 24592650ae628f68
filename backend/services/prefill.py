"""Prefill mode: prepare the customer's Wise account before the redirect (Wise's API pre-upload).

``prepare`` runs while one launch request holds the session's preparation lease (taken and
released in ``backend.services.onboarding``). In order, it:

1. gets the shared client-credentials token (``backend.services.app_token``);
2. signs the customer up with ``POST /v1/user/signup/registration_code`` (first asking
   ``POST /v1/users/exists`` when ``ONBOARDING_PREFILL_CHECK_USER_EXISTS`` is on). The
   registration code is made once per customer, kept encrypted, and reused by every retry and
   every later session;
3. on 409 (the email already has a Wise account) tries that code: if it works, the account is
   the one the kit created earlier and was never claimed, so preparation goes on; if Wise refuses
   it, the customer logs in to their own account instead (link mode, ``existing_account``);
4. takes a user token with the ``registration_code`` grant;
5. creates the profiles in Wise's field names (``backend.services.prefill_profiles``): the
   personal profile, or the business (v2 or v3, ``ONBOARDING_WISE_BUSINESS_PROFILE_API``) with
   its representative, directors and owners, none of them twice on a retry. A call Wise refuses
   is recorded and skipped: Wise asks the customer for that data itself;
6. gets a claim code (valid 5 minutes) for the redirect.

Transient failures are retried with backoff within ``ONBOARDING_PREFILL_TIME_BUDGET_SECONDS``;
past it ``BudgetExhausted`` reaches the caller, which shows a "try again" page. Progress (the
customer's account row, the Wise user id) is committed as it is made, never across a Wise call,
so the next attempt picks up where this one stopped. Nothing here logs personal data, a code or
a token.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend.context import Context
from backend.crypto import TokenCipher
from backend.models import (
    BusinessPrefill,
    OnboardingSession,
    PersonalPrefill,
    Prefill,
    PrefillAccount,
)
from backend.security import hash_secret
from backend.services.app_token import app_token, forget_app_token
from backend.services.prefill_profiles import create_profiles, refused
from backend.wise import WiseApiError, WiseOAuthError
from backend.wise.retry import Budget

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Wise asks for at least 32 characters; 32 random bytes give 43.
REGISTRATION_CODE_BYTES = 32


@dataclass(frozen=True)
class Prepared:
    """Where the redirect goes: the claim flow (``claim_code``) or plain log-in (None)."""

    claim_code: str | None
    existing_account: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)


def encrypt_prefill(cipher: TokenCipher, data: Prefill) -> str:
    """The prefill as stored on the session: a Fernet ciphertext of its JSON."""
    return cipher.encrypt(data.model_dump_json(exclude_none=True))


def decrypt_prefill(cipher: TokenCipher, ciphertext: str, customer_type: str) -> Prefill:
    """Read a stored prefill back into its personal or business shape."""
    model: type[Prefill] = BusinessPrefill if customer_type == "business" else PersonalPrefill
    return model.model_validate_json(cipher.decrypt(ciphertext))


def prepare(
    *,
    ctx: Context,
    session: OnboardingSession,
) -> Prepared:
    """Create (or find again) the customer's Wise account and profiles; return the claim code.

    Raises ``BudgetExhausted`` when Wise stays unavailable; nothing is lost, the next launch of
    the same link carries on where this one stopped.
    """
    if session.prefill_ciphertext is None or session.customer_email is None:
        return Prepared(claim_code=None)  # nothing to pre-fill: plain link mode
    db, wise = ctx.db, ctx.wise
    data = decrypt_prefill(ctx.cipher, session.prefill_ciphertext, session.customer_type)
    email = session.customer_email
    budget = Budget(ctx.settings.prefill_time_budget_seconds)
    account, code = _account(ctx, session.customer_external_id, email)
    # No transaction stays open while Wise is called (the fast path above only read).
    db.commit()

    if account.wise_user_id is None and not _known_to_wise(ctx, budget, email):
        try:
            user_id = _with_app_token(
                ctx,
                budget,
                lambda token, timeout: wise.sign_up(
                    app_token=token,
                    email=email,
                    registration_code=code,
                    language=ctx.settings.prefill_language,
                    timeout=timeout,
                ),
            )
        except WiseApiError as exc:
            if exc.status != 409:
                # Wise refused the sign-up itself (e.g. an email it does not accept): the customer
                # signs up or logs in on Wise's page instead.
                logger.info("prefill: sign-up refused (%s); session %s: link mode", exc, session.id)
                return Prepared(claim_code=None, errors=[refused("signup", exc)])
            # 409: the email has an account. It may be the one this kit made on an earlier try
            # whose answer was lost; the registration code below tells.
        else:
            _remember_user(ctx, account, user_id)

    try:
        user = budget.call(
            lambda timeout: wise.registration_code_token(
                email=email, registration_code=code, timeout=timeout
            ),
            what="Wise registration-code token",
        )
    except WiseOAuthError:
        # Someone else's account, or ours already claimed: the customer logs in and links it.
        logger.info("prefill: existing Wise account; session %s uses link mode", session.id)
        return Prepared(claim_code=None, existing_account=True)

    errors = create_profiles(
        ctx=ctx,
        budget=budget,
        access_token=user.access_token,
        account=account,
        session=session,
        data=data,
    )

    try:
        claim_code = budget.call(
            lambda timeout: wise.claim_account(
                access_token=user.access_token, registration_code=code, timeout=timeout
            ),
            what="Wise claim-account",
        )
    except WiseApiError as exc:
        # Claimed between the two calls, or refused: the customer logs in at Wise instead.
        logger.info("prefill: claim refused (%s); session %s: link mode", exc, session.id)
        errors.append(refused("claim_account", exc))
        return Prepared(claim_code=None, existing_account=True, errors=errors)
    return Prepared(claim_code=claim_code, errors=errors)


# -- the customer's Wise account ---------------------------------------------------------------


def _account(ctx: Context, customer_external_id: str, email: str) -> tuple[PrefillAccount, str]:
    """Return the customer's account row and registration code, creating them on first use."""
    db, cipher, now = ctx.db, ctx.cipher, ctx.now()
    email_hash = hash_secret(email.strip().lower())
    for _ in range(2):
        row = db.exec(
            select(PrefillAccount)
            .where(col(PrefillAccount.customer_external_id) == customer_external_id)
            .execution_options(populate_existing=True)
        ).first()
        if row is not None and row.email_hash == email_hash:
            return row, cipher.decrypt(row.registration_code_ciphertext)
        code = secrets.token_urlsafe(REGISTRATION_CODE_BYTES)
        fresh: dict[str, Any] = {
            "email_hash": email_hash,
            "registration_code_ciphertext": cipher.encrypt(code),
            "idempotence_seed": str(uuid.uuid4()),
            "wise_user_id": None,
            "updated_at": now,
        }
        if row is None:
            db.add(
                PrefillAccount(customer_external_id=customer_external_id, created_at=now, **fresh)
            )
        else:
            # The customer's email changed since the last account was made: that account belongs
            # to the old address, so a new one (new code, new idempotence seed) is started.
            db.exec(
                update(PrefillAccount)
                .where(
                    col(PrefillAccount.id) == row.id,
                    col(PrefillAccount.email_hash) == row.email_hash,
                )
                .values(**fresh)
            )
        try:
            db.commit()
        except IntegrityError:
            db.rollback()  # another launch of this customer created it first: read theirs
    raise RuntimeError("prefill account could not be created")


def _remember_user(ctx: Context, account: PrefillAccount, user_id: int) -> None:
    ctx.db.exec(
        update(PrefillAccount)
        .where(col(PrefillAccount.id) == account.id)
        .values(wise_user_id=user_id, updated_at=ctx.now())
    )
    ctx.db.commit()


def _known_to_wise(ctx: Context, budget: Budget, email: str) -> bool:
    """With ONBOARDING_PREFILL_CHECK_USER_EXISTS, ask Wise first whether the email has an account.

    Wise recommends ``POST /v1/users/exists`` before a sign-up. True skips the sign-up: the
    registration code then tells whether the account is one this kit made earlier (preparation
    goes on) or the customer's own (log in and link). Off by default: the sign-up's 409 tells
    the same thing in one call fewer when the email is new.
    """
    if not ctx.settings.prefill_check_user_exists:
        return False
    return _with_app_token(
        ctx,
        budget,
        lambda token, timeout: ctx.wise.user_exists(app_token=token, email=email, timeout=timeout),
        what="Wise users/exists",
    )


def _with_app_token(
    ctx: Context, budget: Budget, call: Callable[[str, float], T], what: str = "Wise sign-up"
) -> T:
    """Run ``call(token, timeout)`` with the shared application token; renew it once on 401."""
    for attempt in range(2):
        token = app_token(ctx=ctx, budget=budget)
        try:
            return budget.call(partial(call, token), what=what)
        except WiseApiError as exc:
            if exc.status != 401 or attempt:
                raise
            forget_app_token(ctx=ctx)
    raise AssertionError("unreachable")

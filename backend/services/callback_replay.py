"""A replayed OAuth return of a finished link: show the outcome instead of an error.

Going Back or reloading after a successful link sends the browser to the callback URL again. Its
state is spent, so nothing may be exchanged with Wise again, but "already used" would tell a
linked customer that something went wrong. So the successful callback hands the browser a
receipt: the time it was issued and an HMAC, under a key derived from the secret key, of that
time, the session id and the state's hash. A replay of that very state, from a browser holding a
fresh receipt for it, of a session that is linked, is answered with the outcome. Any other
replay (another browser, an altered or old receipt, another session, another outcome) still gets
the refusal. Nothing is stored: the receipt proves itself, and reveals nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from sqlmodel import col, select

from backend.context import Context
from backend.models import OnboardingSession, SessionStatus
from backend.security import hash_secret, plausible_secret
from backend.services.onboarding import return_link
from backend.settings import Settings

# Long enough for Back and reload; short enough that a shared computer does not keep it.
RECEIPT_MAX_AGE_SECONDS = 600
# The key is the secret key put to this one use, so a receipt is never valid anywhere else.
PURPOSE = b"onboarding callback receipt"
RECEIPT_RE = re.compile(r"^([0-9]{1,12})\.([0-9a-f]{64})\Z")
S = OnboardingSession


@dataclass(frozen=True)
class Replay:
    """A replay of a finished link: the session, and the way back to the app (if allowlisted)."""

    session: OnboardingSession
    return_link: str | None


def receipt_cookie_name(settings: Settings) -> str:
    """``__Secure-`` (not ``__Host-``, which requires path ``/``): the cookie is path-scoped."""
    name = "wise_onboarding_linked"
    return f"__Secure-{name}" if settings.secure_cookies else name


def issue_receipt(*, ctx: Context, session: OnboardingSession) -> str:
    """Return the receipt of a session this browser has just linked."""
    assert session.state_hash is not None
    issued = int(ctx.now().timestamp())
    return f"{issued}.{_mac(ctx.settings, session.id, session.state_hash, issued)}"


def replay_of_link(*, ctx: Context, state: str | None, receipt: str | None) -> Replay | None:
    """The link this browser finished with ``state``, proven by its receipt; or None.

    Only reads: a replay never changes a session and never calls Wise.
    """
    found = RECEIPT_RE.match(receipt or "")
    if found is None or not plausible_secret(state):
        return None
    assert state is not None
    issued, mac = int(found[1]), found[2]
    if not 0 <= ctx.now().timestamp() - issued <= RECEIPT_MAX_AGE_SECONDS:
        return None
    row = ctx.db.exec(select(S).where(col(S.state_hash) == hash_secret(state))).first()
    if row is None or row.state_consumed_at is None or row.status != SessionStatus.LINKED:
        return None
    assert row.state_hash is not None
    # Constant time: the comparison must not tell a forger how much of the MAC was right.
    if not hmac.compare_digest(_mac(ctx.settings, row.id, row.state_hash, issued), mac):
        return None
    link = return_link(ctx.settings, row, status=SessionStatus.LINKED)
    return Replay(session=row, return_link=link)


def _mac(settings: Settings, session_id: str, state_hash: str, issued: int) -> str:
    key = hmac.new(settings.secret_key.encode(), PURPOSE, hashlib.sha256).digest()
    message = f"{session_id}|{state_hash}|{issued}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()

"""The customer's browser legs: launch into Wise's authorize page and the OAuth return."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from backend import extensions, logs, metrics
from backend.errors import LaunchLinkUnavailable
from backend.models import SessionStatus
from backend.services import callback_replay, onboarding
from backend.settings import Settings

logger = logging.getLogger(__name__)

bp = Blueprint("journey", __name__)


def binding_cookie_name(settings: Settings) -> str:
    """``__Host-`` pins the cookie to our host and path, but browsers require Secure for it."""
    return "__Host-wise_onboarding" if settings.secure_cookies else "wise_onboarding"


@bp.get("/onboarding/launch/<token>")
def launch(token: str) -> ResponseReturnValue:
    """Redeem a launch link once, bind this browser, and send it to Wise.

    In prefill mode the customer's Wise account is prepared first; when Wise is down the answer
    is a 503 "try again" page and the link keeps working. A dead link of a session created with a
    ``refresh_url`` sends the browser there, so the partner can start a fresh session.
    """
    if request.method == "HEAD":
        # Link scanners probe with HEAD; only a real GET may spend the single-use token.
        return Response(status=204)
    ctx = extensions.context()
    settings = ctx.settings
    try:
        result = onboarding.launch(ctx=ctx, token=token)
    except LaunchLinkUnavailable as dead:
        if dead.refresh_link is None:
            raise
        return redirect(dead.refresh_link, code=303)
    response = redirect(result.authorize_url, code=303)
    # Lax, not Strict: the return from Wise is a cross-site top-level GET, which Lax allows and
    # Strict would strip. HttpOnly keeps scripts away from it.
    response.set_cookie(
        binding_cookie_name(settings),
        result.binding,
        max_age=settings.state_ttl_seconds,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.get("/oauth/wise/callback")
def callback() -> ResponseReturnValue:
    """Finish the OAuth return and send the browser back to the partner's return URL.

    A replay (Back, reload) of a return this browser already finished with a link shows that
    outcome instead of an error; see ``callback_replay``.
    """
    ctx = extensions.context()
    settings = ctx.settings
    receipt_cookie = callback_replay.receipt_cookie_name(settings)
    receipt = request.cookies.get(receipt_cookie)
    if receipt is not None:
        replay = callback_replay.replay_of_link(
            ctx=ctx, state=request.args.get("state"), receipt=receipt
        )
        if replay is not None:
            logs.set_session(replay.session.id)
            logger.info("replayed OAuth return of a linked session: showing its outcome")
            return render_template("connected.html", return_link=replay.return_link)
    cookie = binding_cookie_name(settings)
    started, label = time.perf_counter(), "refused"
    try:
        outcome = onboarding.complete(
            ctx=ctx, params=request.args.to_dict(), binding=request.cookies.get(cookie)
        )
        label = str(outcome.session.status)
    finally:
        elapsed = time.perf_counter() - started
        metrics.CALLBACK_SECONDS.labels(outcome=label).observe(elapsed)
    response = redirect(outcome.return_to, code=303)
    response.delete_cookie(
        cookie, path="/", secure=settings.secure_cookies, httponly=True, samesite="Lax"
    )
    if outcome.session.status == SessionStatus.LINKED:
        # Scoped to this path: only a replay of the return ever sends it back. Lax and HttpOnly
        # for the same reasons as the binding cookie.
        response.set_cookie(
            receipt_cookie,
            callback_replay.issue_receipt(ctx=ctx, session=outcome.session),
            max_age=callback_replay.RECEIPT_MAX_AGE_SECONDS,
            path=url_for("journey.callback"),
            secure=settings.secure_cookies,
            httponly=True,
            samesite="Lax",
        )
    return response

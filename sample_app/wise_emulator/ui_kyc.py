"""The hosted KYC page a review's link opens: the customer provides what Wise needs.

The link holds a one-time token that lives 5 minutes. "Submit" provides the information (the
review moves to PROCESSING) and "Close" leaves without it; either way the browser goes to the
partner's ``redirectUrl`` with ``status=success`` or ``status=closed``. An expired or used link
offers the way back with ``status=error``. Wise's documentation names ``success`` and ``error``
on one page and ``success``, ``failed`` and ``closed`` on another; the partner must accept all
four.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request
from flask.typing import ResponseReturnValue

from . import kyc
from .state import emulator
from .ui_flow import UiError, page, with_query

bp = Blueprint("wise_kyc_ui", __name__)

REQUIREMENT_TEXT = {
    "ID_DOCUMENT_WITH_LIVENESS": "A photo of your ID document and a selfie",
    "SOURCE_OF_FUNDS": "Where the money you send comes from",
    "TRANSFER_PURPOSE": "What your transfers are for",
    "BUSINESS_USE_CASE": "How your business uses Wise",
}


@bp.get("/embedded-flows/verification")
def hosted_review() -> ResponseReturnValue:
    """Show what Wise needs, with Submit and Close."""
    state = emulator()
    review = kyc.find_by_token(state, request.args.get("token", ""))
    if review is None or not kyc.link_live(state, review):
        back = None
        if review is not None and review.redirect_url is not None:
            back = with_query(review.redirect_url, {"status": "error"})
        return page("kyc_expired.html", "This link has expired", back=back), 410
    with state.store.lock:
        needed = [
            REQUIREMENT_TEXT.get(r["key"], r["key"].replace("_", " ").capitalize())
            for r in review.requirements
            if r["state"] == "NOT_PROVIDED"
        ]
    return page(
        "kyc_review.html",
        "Wise needs a few more details",
        needed=needed,
        token=request.args.get("token", ""),
    )


@bp.post("/embedded-flows/verification")
def answer_review() -> ResponseReturnValue:
    """Submit the information (success) or leave (closed); the link is used up either way."""
    state = emulator()
    review = kyc.find_by_token(state, request.form.get("token", ""))
    if review is None or not kyc.link_live(state, review) or review.redirect_url is None:
        raise UiError("This link has expired", "Go back to the app and open it again.", 410)
    submitted = request.form.get("decision") == "submit"
    with state.store.lock:
        back = with_query(review.redirect_url, {"status": "success" if submitted else "closed"})
        kyc.end_link(review)
        if submitted:
            for requirement in review.requirements:
                if requirement["state"] == "NOT_PROVIDED":
                    requirement["state"] = "IN_REVIEW"
    if submitted:
        # "If the flow completes successfully, you receive a KYC review status webhook with the
        # status PROCESSING."
        kyc.move(state, review, "PROCESSING")
    return redirect(back, code=302)

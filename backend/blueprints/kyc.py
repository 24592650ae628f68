"""The customer's browser legs of Hosted KYC: into Wise's KYC page, and back to the partner."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, request
from flask.typing import ResponseReturnValue

from backend import extensions
from backend.services import kyc_launch

bp = Blueprint("kyc", __name__)


@bp.get("/kyc/launch/<token>")
def launch(token: str) -> ResponseReturnValue:
    """Redeem a KYC launch link once and send the browser to Wise's page (minted now)."""
    if request.method == "HEAD":
        # Link scanners probe with HEAD; only a real GET may spend the single-use token.
        return Response(status=204)
    result = kyc_launch.launch(ctx=extensions.context(), token=token)
    return redirect(result.url, code=303)


@bp.get("/kyc/wise/return")
def wise_return() -> ResponseReturnValue:
    """Wise's page sent the customer back: record the outcome, go on to the partner's app."""
    result = kyc_launch.complete(
        ctx=extensions.context(), ref=request.args.get("ref"), status=request.args.get("status")
    )
    return redirect(result.url, code=303)

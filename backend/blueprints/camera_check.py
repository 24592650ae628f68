"""The camera-check page for real devices, and the endpoint that receives its reports."""

from __future__ import annotations

from flask import Blueprint, Response, request

from backend import extensions
from backend.api import json_response, parse_body, read_body
from backend.camera_check import page_headers, page_html
from backend.errors import InvalidRequest, PayloadTooLarge
from backend.models import CameraCheckCreate, CameraCheckCreated
from backend.openapi import contract
from backend.security import is_allowed_return_url
from backend.services import camera_checks

bp = Blueprint("camera_check", __name__)

# A report is a few KB of JSON; anything larger is not one (and images never are welcome).
MAX_REPORT_BYTES = 16 * 1024


class ReportTooLarge(PayloadTooLarge):
    description = f"A camera-check report is at most {MAX_REPORT_BYTES} bytes."


@bp.get("/webview/camera-check")
def page() -> Response:
    """Serve the self-contained diagnostic page with its own CSP and Permissions-Policy."""
    return_url = request.args.get("return_url")
    if return_url is not None and not is_allowed_return_url(
        return_url, extensions.settings().return_urls
    ):
        # The page navigates to this URL from the kit's origin: the kit's redirect rule holds.
        raise InvalidRequest(
            "return_url must be one of the URLs in ONBOARDING_RETURN_URLS, exactly as listed.",
            field="return_url",
        )
    response = Response(page_html(), mimetype="text/html")
    response.headers.update(page_headers())
    return response


@bp.post("/api/v1/camera-checks")
@contract(
    tag="Camera checks",
    security="none",
    body=CameraCheckCreate,
    replies={201: CameraCheckCreated},
    # Reports per client address are limited by backend.rate_limits (a 429, implied).
    errors=(ReportTooLarge,),
    operation_id="sendCameraCheckReport",
)
def receive_report() -> Response:
    """Store a camera-check report (unauthenticated: it comes from a device's webview)."""
    if (request.content_length or 0) > MAX_REPORT_BYTES:
        raise ReportTooLarge()
    ctx = extensions.context()
    if len(read_body(cache=True)) > MAX_REPORT_BYTES:
        raise ReportTooLarge()
    data = parse_body(CameraCheckCreate)
    row = camera_checks.record_report(ctx=ctx, data=data)
    return json_response(CameraCheckCreated(id=row.id), 201)

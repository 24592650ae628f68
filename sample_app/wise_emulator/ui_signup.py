"""Sign-up on the authorize page: account details, then a photo of an ID document."""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from .state import emulator
from .ui_flow import current_flow, page, past_date, valid_email

bp = Blueprint("wise_signup", __name__)

MIN_PASSWORD_LENGTH = 8
FIELDS = ("email", "first_name", "last_name", "date_of_birth")


def looks_like_image(data: bytes) -> bool:
    """Tell whether ``data`` starts like a PNG, JPEG, GIF or WebP file."""
    return (
        data.startswith(b"\x89PNG\r\n\x1a\n")
        or data.startswith(b"\xff\xd8\xff")
        or data.startswith((b"GIF87a", b"GIF89a"))
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    )


def decode_data_url(value: str) -> bytes:
    """Return the bytes of a ``data:image/...;base64,`` URL, or b"" when it is not one."""
    header, _, payload = value.partition(",")
    if not header.startswith("data:image/") or not header.endswith(";base64"):
        return b""
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return b""


@bp.route("/oauth/authorize/signup", methods=["GET", "POST"])
def signup() -> ResponseReturnValue:
    """Collect the new account's email, password, name and date of birth."""
    flow = current_flow()
    if request.method == "GET":
        return page("signup.html", "Create a Wise account", values=dict.fromkeys(FIELDS, ""))
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    password = request.form.get("password", "")
    error = None
    if not valid_email(values["email"]):
        error = "Enter a valid email address."
    elif emulator().store.user_by_email(values["email"]) is not None:
        error = "You're already a member. Please log in."
    elif len(password) < MIN_PASSWORD_LENGTH:
        error = f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters."
    elif not values["first_name"] or not values["last_name"]:
        error = "Enter your first and last name."
    elif len(values["first_name"]) > 30 or len(values["last_name"]) > 30:
        error = "Names can have at most 30 characters."
    elif past_date(values["date_of_birth"]) is None:
        error = "Enter your date of birth."
    if error:
        return page("signup.html", "Create a Wise account", values=values, error=error), 400
    with emulator().store.lock:
        # The account is only created once the ID photo is in; until then it lives in the flow.
        flow.pending_signup = {**values, "password": password}
    return redirect(url_for(".id_document"))


@bp.route("/oauth/authorize/id-document", methods=["GET", "POST"])
def id_document() -> ResponseReturnValue:
    """Take (or upload) a photo of an ID document, then create the account and its profile."""
    flow = current_flow()
    pending = flow.pending_signup
    if pending is None:
        return redirect(url_for(".signup"))
    if request.method == "GET":
        return page("id_document.html", "ID document photo")
    image = decode_data_url(request.form.get("photo_data", ""))
    upload = request.files.get("photo_file")
    if not image and upload is not None and upload.filename:
        image = upload.read()
    if not image or not looks_like_image(image):
        error = "Take a photo of your ID document, or upload one."
        return page("id_document.html", "ID document photo", error=error), 400
    size = len(image)
    del image  # only the size is kept: the emulator holds no identity documents
    store = emulator().store
    with store.lock:
        if store.user_by_email(pending["email"]) is not None:
            flow.pending_signup = None
            return redirect(url_for(".signup"))
        user = store.add_user(
            email=pending["email"],
            password=pending["password"],
            first_name=pending["first_name"],
            last_name=pending["last_name"],
            date_of_birth=pending["date_of_birth"],
        )
        user.id_document_bytes = size
        store.add_personal_profile(
            user,
            first_name=pending["first_name"],
            last_name=pending["last_name"],
            date_of_birth=pending["date_of_birth"],
        )
        flow.pending_signup = None
        flow.user_id = user.id
        flow.two_factor_passed = False
    return redirect(url_for("wise_ui.two_factor"))

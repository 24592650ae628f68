"""Acme Bank: a demo partner web app that connects its customers' Wise accounts through the kit."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from jinja2 import StrictUndefined

from sample_app.acme.customers import DEMO_CUSTOMERS, Customer, find_customer
from sample_app.acme.kit_client import KitApiError, KitClient

OUTCOME_TEXT = {
    "linked": "Your Wise account is connected.",
    "declined": "You chose not to connect your Wise account.",
    "expired": "The connection link expired. Please start again.",
    "created": "You have not finished connecting your Wise account yet.",
    "launched": "You have not finished connecting your Wise account yet.",
}
VERIFICATION_TEXT = {
    "verified": "Wise has verified your identity.",
    "not_verified": "Wise has not verified your identity yet.",
    "unknown": "Wise has not told us yet whether it verified your identity.",
}
UNREACHABLE = "We could not reach Wise just now. Please try again in a minute."
FAILURE_TEXT = {
    "identity_mismatch": "The Wise account's details do not match the details we hold for you.",
    "profile_type_mismatch": "That Wise profile is not the kind of account we expected.",
    "no_profile": "That Wise account has no profile yet.",
    "wise_unavailable": "Wise is not reachable right now.",
}
# What the customer can do about each failure; every failure page says one.
NEXT_STEP = {
    "identity_mismatch": "Connect the Wise account that is yours (we hold {date_of_birth} as your "
    "date of birth), or contact Acme support if our record is wrong.",
    "profile_type_mismatch": "Connect again and choose your {type} profile at Wise.",
    "no_profile": "Finish setting up your account at Wise, then connect it again.",
    "wise_unavailable": "Please try again in a few minutes.",
}
DEFAULT_NEXT_STEP = "Please try again from your account page."
SIMULATION_STARTED = "Wise is verifying your profile. This page updates when Wise tells us."
KYC_RETURN_TEXT = {
    "success": "Thank you. Wise is checking the information you gave.",
    "closed": "You left Wise's page before finishing. Wise still needs this information.",
    "expired": "The link to Wise's page expired. Please try again.",
}
KYC_RETURN_PROBLEM = "Something went wrong at Wise. Please try again from your account page."
NOT_CONNECTED = "Your Wise account is not connected any more. Reload the page to see why."


@dataclass(frozen=True)
class AcmeConfig:
    """How Acme reaches the kit, and where Acme itself is served."""

    kit_url: str
    api_key: str
    public_url: str
    secret_key: str
    customers: tuple[Customer, ...] = DEMO_CUSTOMERS

    @property
    def return_url(self) -> str:
        """The URL the kit sends customers back to (allowlisted in the kit)."""
        return f"{self.public_url.rstrip('/')}/wise/return"

    @property
    def refresh_url(self) -> str:
        """Where a dead launch link sends the customer, to start afresh (allowlisted)."""
        return f"{self.public_url.rstrip('/')}/wise/refresh"

    @property
    def kyc_return_url(self) -> str:
        """Where the kit sends customers back from Wise's KYC page (allowlisted)."""
        return f"{self.public_url.rstrip('/')}/wise/kyc-return"


def create_acme_app(config: AcmeConfig) -> Flask:
    """Build the Acme Bank demo app."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_NAME="acme_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.jinja_env.undefined = StrictUndefined
    kit = KitClient(config.kit_url, config.api_key)
    register_routes(app, config, kit)
    register_headers(app)
    return app


def register_routes(app: Flask, config: AcmeConfig, kit: KitClient) -> None:
    """Acme's pages: log in, account, connect to Wise, return from Wise."""

    def current_customer() -> Customer | None:
        wanted = session.get("customer")
        return next((c for c in config.customers if c.external_id == wanted), None)

    @app.context_processor
    def csrf() -> dict[str, str]:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return {"csrf_token": session["csrf"]}

    @app.context_processor
    def texts() -> dict[str, Any]:
        return {"verification_text": verification_text}

    @app.before_request
    def check_csrf() -> None:
        if request.method == "POST":
            sent = request.form.get("csrf_token", "")
            if not hmac.compare_digest(sent, session.get("csrf", "")) or not sent:
                abort(400)

    @app.get("/")
    def index() -> ResponseReturnValue:
        """Show the login page, or the account when logged in."""
        if current_customer():
            return redirect(url_for("account"))
        return render_template("login.html", customers=config.customers, error=None)

    @app.post("/login")
    def login() -> ResponseReturnValue:
        """Log in as a demo customer."""
        customer = find_customer(config.customers, request.form.get("email", ""))
        password = request.form.get("password", "")
        if customer is None or not hmac.compare_digest(password, customer.password):
            html = render_template(
                "login.html", customers=config.customers, error="Wrong email or password."
            )
            return html, 401
        session.clear()
        session["customer"] = customer.external_id
        return redirect(url_for("account"), code=303)

    @app.post("/logout")
    def logout() -> ResponseReturnValue:
        """Log out."""
        session.clear()
        return redirect(url_for("index"), code=303)

    @app.get("/account")
    def account() -> ResponseReturnValue:
        """The customer's account page, with the Wise link status read from the kit."""
        customer = current_customer()
        if customer is None:
            return redirect(url_for("index"))
        return render_account(customer)

    def render_account(customer: Customer, problem: str | None = None) -> str:
        link, link_problem = _read_link(kit, customer)
        return render_template(
            "account.html",
            customer=customer,
            link=link,
            kyc=_read_kyc(kit, customer, link),
            problem=problem or link_problem,
            connected_said=False,
        )

    def start(customer: Customer, body: dict[str, Any]) -> ResponseReturnValue:
        """Ask the kit for a session (server to server) and send the browser to its launch URL."""
        # One key per press: if the kit's answer is lost, the client's retry gets the same
        # session back instead of creating a second one.
        key = f"acme-{customer.external_id}-{secrets.token_urlsafe(16)}"
        try:
            created = kit.create_session(body, idempotency_key=key)
        except (KitApiError, OSError):
            problem = "We could not start connecting your Wise account. Please try again."
            return render_account(customer, problem), 502
        return redirect(created["launch_url"], code=303)

    @app.post("/wise/connect")
    def connect() -> ResponseReturnValue:
        """Connect a Wise account the customer logs in to (or signs up for) at Wise."""
        customer = current_customer()
        if customer is None:
            return redirect(url_for("index"))
        return start(customer, session_body(config, customer, prefill=False))

    @app.post("/wise/create")
    def create_with_acme_details() -> ResponseReturnValue:
        """Create the customer's Wise account from the details Acme holds (prefill mode)."""
        customer = current_customer()
        if customer is None:
            return redirect(url_for("index"))
        if customer.prefill is None:
            abort(404)
        return start(customer, session_body(config, customer, prefill=True))

    @app.get("/wise/refresh")
    def refresh() -> ResponseReturnValue:
        """A dead launch link brought the customer here: start them a fresh session.

        The kit's ``refresh_url``: Acme signs the customer in as usual (its session cookie), then
        mints a new session in the mode of the one that died.
        """
        customer = current_customer()
        if customer is None:
            return redirect(url_for("index"))
        try:
            dead = kit.get_session(request.args.get("session_id", ""))
        except (KitApiError, OSError):
            dead = {}
        if dead.get("customer_external_id") != customer.external_id:
            return redirect(url_for("account"), code=303)
        prefill = dead.get("mode") == "prefill" and customer.prefill is not None
        return start(customer, session_body(config, customer, prefill=prefill))

    @app.post("/wise/kyc/<review_id>/continue")
    def continue_with_wise(review_id: str) -> ResponseReturnValue:
        """Send the customer to Wise's page for a review that waits for them (Hosted KYC)."""
        customer = current_customer()
        if customer is None:
            return redirect(url_for("index"))
        try:
            launch = kit.launch_kyc_review(
                customer.external_id, review_id, return_url=config.kyc_return_url
            )
        except (KitApiError, OSError):
            return render_account(customer, "We could not open Wise's page. Please try again."), 502
        return redirect(launch["launch_url"], code=303)

    @app.get("/wise/kyc-return")
    def kyc_return() -> ResponseReturnValue:
        """Back from Wise's KYC page. The status is a hint: the review comes from the kit."""
        customer = current_customer()
        if customer is None:
            return redirect(url_for("index"))
        review_id = request.args.get("kyc_review_id", "")
        try:
            reviews = kit.kyc_reviews(customer.external_id)
        except KitApiError as exc:
            abort(404 if exc.status == 404 else 502)
        except OSError:
            abort(502)
        # Anyone can type a return URL; only a review of the logged-in customer is shown.
        review = next((r for r in reviews if r.get("id") == review_id), None)
        if review is None:
            abort(404)
        status = request.args.get("status", "")
        link, problem = _read_link(kit, customer)
        return render_template(
            "kyc_result.html",
            customer=customer,
            status=status,
            text=KYC_RETURN_TEXT.get(status, KYC_RETURN_PROBLEM),
            review=review,
            link=link,
            problem=problem,
            connected_said=False,
        )

    @app.post("/wise/check")
    def check_with_wise() -> ResponseReturnValue:
        """Ask the kit to check with Wise now (verification; a revoked access shows up here)."""
        customer = current_customer()
        if customer is None:
            return redirect(url_for("index"))
        try:
            kit.refresh_link(customer.external_id)
        except KitApiError as exc:
            # 409: Wise revoked our access; the link now says so and the page offers a reconnect.
            if exc.status not in (404, 409):
                return render_account(customer, UNREACHABLE), 503
        except OSError:
            abort(502)
        # The page looks the same when nothing changed: say that the check happened.
        flash("Checked with Wise just now.")
        return redirect(url_for("account"), code=303)

    @app.post("/wise/simulate-verification")
    def simulate_verification() -> ResponseReturnValue:
        """Sandbox demo: have Wise verify the customer; the account page follows the change.

        The page's script posts this form with ``Accept: application/json`` and stays on the
        page; without the script the form posts and the browser comes back to the account page.
        """
        customer = current_customer()
        if customer is None:
            return redirect(url_for("index"))
        wants_json = request.accept_mimetypes.best == "application/json"
        problem, status = None, 202
        try:
            kit.simulate_verification(customer.external_id)
        except KitApiError as exc:
            if exc.status == 403:  # the kit runs against production Wise: no simulation there
                problem, status = "Verification can only be simulated in Wise's sandbox.", 403
            elif exc.status in (404, 409):  # not linked (any more): the account page says why
                problem, status = NOT_CONNECTED, 409
            else:
                problem, status = UNREACHABLE, 503
        except OSError:
            abort(502)
        if wants_json:
            return jsonify(message=None if problem else SIMULATION_STARTED, problem=problem), status
        if status == 409:
            return redirect(url_for("account"), code=303)
        if problem:
            return render_account(customer, problem), status
        flash(SIMULATION_STARTED)
        return redirect(url_for("account"), code=303)

    @app.get("/account/wise-link")
    def account_link() -> ResponseReturnValue:
        """The customer's Wise link status as JSON, which the account page polls."""
        customer = current_customer()
        if customer is None:
            return jsonify(error="not_logged_in"), 401
        link, problem = _read_link(kit, customer)
        verification = str(link.get("verification_status") or "unknown")
        return jsonify(
            status=link.get("status"),
            verification_status=verification,
            verification_text=verification_text(verification),
            problem=problem,
        )

    @app.get("/wise/return")
    def wise_return() -> ResponseReturnValue:
        """Show the outcome. The query is only a hint: the truth is read from the kit's API."""
        customer = current_customer()
        if customer is None:
            return redirect(url_for("index"))
        session_id = request.args.get("session_id", "")
        if not session_id:
            abort(400)
        try:
            onboarding = kit.get_session(session_id)
        except KitApiError as exc:
            abort(404 if exc.status == 404 else 502)
        except OSError:
            abort(502)
        # Anyone can type a return URL; only a session of the logged-in customer is shown.
        if onboarding.get("customer_external_id") != customer.external_id:
            abort(403)
        status = str(onboarding["status"])
        reason = onboarding.get("failure_reason")
        existing = bool(onboarding.get("existing_account"))
        text = OUTCOME_TEXT.get(status) or FAILURE_TEXT.get(
            str(reason), "Connecting your Wise account did not work."
        )
        link, problem = _read_link(kit, customer)
        return render_template(
            "result.html",
            customer=customer,
            status=status,
            reason=reason,
            text=text,
            next_step=next_step(customer, reason) if status == "failed" else None,
            existing_account=existing,
            link=link,
            problem=problem,
            # The outcome line already says "connected"; the link block does not repeat it.
            connected_said=status == "linked",
        )


def session_body(config: AcmeConfig, customer: Customer, *, prefill: bool) -> dict[str, Any]:
    """The kit's session body for this customer, in link or prefill mode."""
    described: dict[str, Any] = {
        "external_id": customer.external_id,
        "email": customer.email,
        "type": customer.type,
    }
    if customer.date_of_birth:
        described["date_of_birth"] = customer.date_of_birth
    if customer.registration_number:
        described["registration_number"] = customer.registration_number
    body: dict[str, Any] = {
        "customer": described,
        "return_url": config.return_url,
        # A dead launch link comes back to /wise/refresh instead of ending on a dead page.
        "refresh_url": config.refresh_url,
    }
    if prefill:
        body["mode"] = "prefill"
        described["prefill"] = customer.prefill
    return body


def next_step(customer: Customer, reason: object) -> str:
    """What the customer can do after a failed connection."""
    template = NEXT_STEP.get(str(reason), DEFAULT_NEXT_STEP)
    return template.format(date_of_birth=customer.date_of_birth, type=customer.type)


def verification_text(status: str) -> str:
    """What the account page says about a verification status (also sent to its poller)."""
    return VERIFICATION_TEXT.get(status, VERIFICATION_TEXT["unknown"])


def _read_kyc(kit: KitClient, customer: Customer, link: dict[str, object]) -> list[dict[str, Any]]:
    """The KYC reviews to show: those waiting for the customer, and those Wise is checking."""
    if link.get("status") != "linked":
        return []
    try:
        reviews = kit.kyc_reviews(customer.external_id)
    except (KitApiError, OSError):
        return []
    shown = ("WAITING_CUSTOMER_INPUT", "PROCESSING")
    return [r for r in reviews if r.get("status") in shown]


def _read_link(kit: KitClient, customer: Customer) -> tuple[dict[str, object], str | None]:
    try:
        return kit.get_link(customer.external_id), None
    except (KitApiError, OSError):
        return {"status": "unknown"}, "The Wise link status is unavailable right now."


def register_headers(app: Flask) -> None:
    """The same strict headers the kit uses."""

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            # Scripts and fetches from Acme itself only: the account page polls its own status.
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
            "img-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'; "
            "base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

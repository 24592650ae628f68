"""Helpers for the lifecycle tests: the partner API, linking a customer, a partner receiver."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import create_engine, text
from sqlmodel import Session, select
from werkzeug.wrappers import Request

from backend.crypto import TokenCipher
from backend.extensions import runtime_of
from backend.models import WiseLink
from sample_app.demo import Stack, kit_config
from sample_app.wise_emulator import EmulatorControl
from tests.support.factories import API_KEY
from tests.support.kit import TIMEOUT, KitApi

CLIENT_ID = "acme-bank-demo"
CLIENT_SECRET = "acme-bank-demo-secret"
ACCESS_TOKEN_SECONDS = 43199
MARGIN_SECONDS = 600


@dataclass(frozen=True)
class Linked:
    """A customer linked through the real flow."""

    external_id: str
    email: str
    profile_id: int
    user_id: int


class LifecycleApi(KitApi):
    """The partner API, including the link lifecycle endpoints; answers are returned raw."""

    def access_token(
        self, external_id: str = "c-123", json_body: Any = None, **kwargs: Any
    ) -> requests.Response:
        """``POST /api/v1/customers/<id>/wise-link/access-token``."""
        return self.http.post(
            f"{self.base_url}/api/v1/customers/{external_id}/wise-link/access-token",
            json=json_body,
            timeout=TIMEOUT,
            **kwargs,
        )

    def link(self, external_id: str = "c-123", **params: str) -> requests.Response:
        """``GET /api/v1/customers/<id>/wise-link``."""
        return self.http.get(
            f"{self.base_url}/api/v1/customers/{external_id}/wise-link",
            params=params,
            timeout=TIMEOUT,
        )

    def simulate_verification(self, external_id: str = "c-123") -> requests.Response:
        """``POST /api/v1/customers/<id>/wise-link/simulate-verification`` (sandbox only)."""
        return self.http.post(
            f"{self.base_url}/api/v1/customers/{external_id}/wise-link/simulate-verification",
            timeout=TIMEOUT,
        )

    def unlink(self, external_id: str = "c-123") -> requests.Response:
        """``DELETE /api/v1/customers/<id>/wise-link``."""
        return self.http.delete(
            f"{self.base_url}/api/v1/customers/{external_id}/wise-link", timeout=TIMEOUT
        )

    def token_value(self, external_id: str = "c-123") -> str:
        """The access token, asserting a 200."""
        response = self.access_token(external_id)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


def link_customer(
    api: KitApi,
    wise: EmulatorControl,
    stack: Stack,
    *,
    external_id: str = "c-123",
    email: str = "ada@example.com",
    date_of_birth: str = "1990-04-01",
) -> Linked:
    """Link ``external_id`` to the Wise user ``email`` through launch, consent and callback."""
    created = api.create_session(
        customer__external_id=external_id, customer__date_of_birth=date_of_birth
    )
    launched = api.launch(created["launch_url"], created["id"])
    granted = wise.authorize(
        CLIENT_ID, f"{stack.kit_url}/oauth/wise/callback", email, state=launched.state
    )
    params = {k: v[0] for k, v in parse_qs(urlsplit(granted["redirect_url"]).query).items()}
    response = api.callback(params, launched.cookies)
    assert response.status_code == 303, response.text
    assert "status=linked" in response.headers["Location"], response.headers["Location"]
    user = wise.get_user(email)
    assert user is not None
    return Linked(external_id, email, int(granted["profile_id"]), int(user["id"]))


def link_row(database_url: str, external_id: str = "c-123") -> dict[str, Any]:
    """Read a link row straight from the database."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        row = (
            conn.execute(
                text("SELECT * FROM wise_link WHERE customer_external_id = :id"),
                {"id": external_id},
            )
            .mappings()
            .one()
        )
    engine.dispose()
    return dict(row)


def query(database_url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Run a read query against the test database."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(text(sql), params).mappings().all()]
    engine.dispose()
    return rows


def age_tokens(database_url: str, seconds: int) -> None:
    """Move every link's token timestamps back, as if ``seconds`` had passed since it was issued.

    For commands, which run on the system clock rather than the test's frozen one.
    """
    delta = timedelta(seconds=seconds)
    engine = create_engine(database_url)
    with Session(engine) as db:
        for link in db.exec(select(WiseLink)).all():
            if link.access_token_expires_at is not None:
                link.access_token_expires_at -= delta
            if link.access_token_obtained_at is not None:
                link.access_token_obtained_at -= delta
            db.add(link)
        db.commit()
    engine.dispose()


def settled(stack: Stack) -> None:
    """Run the kit's worker until it finds nothing to do, as ``onboarding-kit worker`` would.

    Requests only store webhooks and queue notifications; the worker applies and delivers them.
    """
    assert stack.worker is not None
    stack.worker.drain()
    runtime = runtime_of(stack.kit_app)
    now = runtime.clock.now().replace(tzinfo=None)  # stored as naive UTC
    due = query(
        runtime.settings.database_url,
        "SELECT id FROM wise_webhook_event WHERE status = 'pending' AND next_attempt_at <= :now "
        "AND (lease_until IS NULL OR lease_until < :now)",
        now=now,
    )
    assert due == [], "the worker left due webhooks unapplied"


def stored_tokens(stack: Stack, database_url: str, external_id: str = "c-123") -> tuple[str, str]:
    """The decrypted access and refresh tokens of a link."""
    row = link_row(database_url, external_id)
    cipher: TokenCipher = runtime_of(stack.kit_app).cipher
    return cipher.decrypt(row["access_token_ciphertext"]), cipher.decrypt(
        row["refresh_token_ciphertext"]
    )


def wise_accepts(stack: Stack, token: str, profile_id: int) -> bool:
    """Tell whether the emulator accepts ``token`` for reading the profile."""
    response = requests.get(
        f"{stack.emulator_url}/v2/profiles/{profile_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    return response.status_code == 200


def refreshes(wise: EmulatorControl) -> int:
    """How many refresh_token grants the emulator has seen."""
    return int(wise.counters()["token_requests"].get("refresh_token", 0))


def app_token(stack: Stack) -> str:
    """A client-credentials token of the demo client at the emulator."""
    response = requests.post(
        f"{stack.emulator_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


# -- webhooks ---------------------------------------------------------------------------------


class Signer:
    """A test RSA key pair standing in for Wise's webhook key."""

    _shared: rsa.RSAPrivateKey | None = None

    def __init__(self, key: rsa.RSAPrivateKey | None = None) -> None:
        self.key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @classmethod
    def shared(cls) -> Signer:
        """One key for the whole run, as Wise has one per environment; RSA-2048 costs ~0.1 s."""
        if cls._shared is None:
            cls._shared = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(cls._shared)

    @property
    def public_pem(self) -> str:
        """The PEM the kit is configured to trust."""
        return (
            self.key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    @property
    def private_pem(self) -> bytes:
        """The private key as PEM, for an emulator that should sign with it."""
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def headers(self, body: bytes, delivery_id: str | None = None, **extra: str) -> dict[str, str]:
        """Headers of a Wise delivery of ``body``."""
        headers = {"Content-Type": "application/json", "X-Signature-SHA256": self.sign(body)}
        if delivery_id:
            headers["X-Delivery-Id"] = delivery_id
        return {**headers, **extra}

    def sign(self, body: bytes) -> str:
        """Base64 RSA-PKCS1v15-SHA256 of ``body``, as in ``X-Signature-SHA256``."""
        return base64.b64encode(self.key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def envelope(event_type: str, data: dict[str, Any], **extra: Any) -> bytes:
    """A webhook body in Wise's envelope, compact JSON."""
    body = {
        "data": data,
        "subscription_id": extra.pop("subscription_id", "f2f3c1aa-0000-4000-8000-000000000001"),
        "event_type": event_type,
        "schema_version": extra.pop("schema_version", "2.0.0"),
        "sent_at": extra.pop("sent_at", "2026-01-01T10:00:00Z"),
        **extra,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def verification_body(profile_id: int, state: str, occurred_at: str, **extra: Any) -> bytes:
    """A ``profiles#verification-state-change`` body."""
    data = {
        "resource": {"type": "profile", "id": profile_id},
        "current_state": state,
        "occurred_at": occurred_at,
    }
    return envelope("profiles#verification-state-change", data, **extra)


def transfer_body(
    transfer_id: int, state: str, occurred_at: str, previous: str | None = None, **extra: Any
) -> bytes:
    """A ``transfers#state-change`` body."""
    data = {
        "resource": {
            "type": "transfer",
            "id": transfer_id,
            "profile_id": 30000001,
            "account_id": 7,
        },
        "current_state": state,
        "previous_state": previous,
        "occurred_at": occurred_at,
    }
    return envelope("transfers#state-change", data, **extra)


# -- the partner's notification endpoint ------------------------------------------------------


class PartnerReceiver:
    """A partner endpoint: records notifications, can be down (scripted status) or hang."""

    def __init__(self) -> None:
        self.url = ""
        self.received: list[dict[str, Any]] = []
        self.status = 200
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """Record the request; answer with the current status once not held."""
        incoming = Request(environ)
        record = {"body": incoming.get_data(), "headers": dict(incoming.headers)}
        self._open.wait(timeout=30)
        with self._lock:
            status = self.status
            if 200 <= status < 300:
                self.received.append(record)
        start_response(f"{status} Scripted", [("Content-Type", "text/plain")])
        return [b"ok"]

    def hold(self) -> None:
        """Make requests hang until ``release``."""
        self._open.clear()

    def release(self) -> None:
        """Let held requests finish."""
        self._open.set()

    def events(self) -> list[dict[str, Any]]:
        """The accepted notifications' JSON bodies, in arrival order."""
        with self._lock:
            return [json.loads(r["body"]) for r in self.received]


def instance_config(stack: Stack, database_url: str, **overrides: Any) -> dict[str, Any]:
    """Settings of another kit instance next to the stack's kit (same database, same Wise)."""
    config = kit_config(
        kit_url=stack.kit_url,
        emulator_url=stack.emulator_url,
        acme_url=stack.acme_url,
        database_url=database_url,
        stack=stack.secrets,
        webhook_public_key=stack.emulator_app.extensions["wise_emulator"].public_key_pem(),
    )
    return {**config, "ONBOARDING_API_KEYS": API_KEY, **overrides}

"""Wise webhook events for the benchmarks: distinct, signed the way Wise signs them.

The bench holds an RSA key pair standing in for Wise's: the kit trusts its public half
(``ONBOARDING_WISE_WEBHOOK_PUBLIC_KEYS``) and the emulator signs with its private half. Events are
signed before a burst starts, so the senders spend no time on signatures.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SUBSCRIPTION_ID = "f2f3c1aa-0000-4000-8000-000000000001"
TRANSFER_STATES = ("processing", "funds_converted", "outgoing_payment_sent")


@dataclass(frozen=True)
class Event:
    """One delivery: the exact body and its headers."""

    body: bytes
    headers: dict[str, str]


class Signer:
    """An RSA-2048 key pair standing in for Wise's webhook key."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def public_pem(self) -> str:
        """The PEM the kit is configured to trust."""
        public = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return public.decode()

    def write_private_key(self, path: Path) -> Path:
        """Write the private key (PEM, mode 0600) for the emulator to sign with."""
        path.touch(mode=0o600)
        path.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return path

    def sign(self, body: bytes) -> str:
        """Base64 RSA-PKCS1v15-SHA256 of ``body``, as in ``X-Signature-SHA256``."""
        signature = self.key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()


class EventPool:
    """Distinct signed ``transfers#state-change`` events, handed out once each, thread-safe."""

    def __init__(self, signer: Signer, first_transfer_id: int = 50_000_000) -> None:
        self.signer = signer
        self._ids = itertools.count(first_transfer_id)
        self._events: list[Event] = []
        self._used = 0
        self._lock = threading.Lock()

    def sign(self, count: int) -> list[Event]:
        """Sign ``count`` new events (each about another transfer) outside the pool."""
        return [self._event(next(self._ids)) for _ in range(count)]

    def top_up(self, available: int) -> None:
        """Sign events until at least ``available`` unused ones are in the pool."""
        self._events.extend(self.sign(max(0, available - self.remaining())))

    def take(self) -> Event | None:
        """The next unused event, or None when the pool is spent."""
        with self._lock:
            if self._used >= len(self._events):
                return None
            self._used += 1
            return self._events[self._used - 1]

    def remaining(self) -> int:
        """How many unused events are left."""
        with self._lock:
            return len(self._events) - self._used

    def _event(self, transfer_id: int) -> Event:
        body = json.dumps(
            {
                "data": {
                    "resource": {
                        "type": "transfer",
                        "id": transfer_id,
                        "profile_id": 30000001,
                        "account_id": 7,
                    },
                    "current_state": TRANSFER_STATES[transfer_id % len(TRANSFER_STATES)],
                    "previous_state": "incoming_payment_waiting",
                    "occurred_at": "2026-01-01T10:00:00Z",
                },
                "subscription_id": SUBSCRIPTION_ID,
                "event_type": "transfers#state-change",
                "schema_version": "2.0.0",
                "sent_at": "2026-01-01T10:00:01Z",
            },
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Signature-SHA256": self.signer.sign(body),
            "X-Delivery-Id": str(uuid.uuid4()),
        }
        return Event(body, headers)

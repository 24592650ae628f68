"""Signed webhook delivery with Wise's retry schedule.

Each event becomes one delivery per matching subscription. Its JSON body is fixed when the event
happens and signed once: ``X-Signature-SHA256`` is the Base64 RSASSA-PKCS1-v1_5 SHA-256 signature
of the exact body bytes. Every HTTP attempt carries a new ``X-Delivery-Id``. An attempt succeeds on
a 2xx answer within 5 seconds; otherwise it is retried after 1, 2, 4 ... minutes (eleven doubling
retries) and then daily, 25 attempts in all. The minute is ``webhook_retry_base_seconds``.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .models import Attempt, Delivery, Subscription
from .tokens import iso_millis, iso_seconds

if TYPE_CHECKING:
    from .state import Emulator

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "2.0.0"
MAX_ATTEMPTS = 25
DOUBLING_RETRIES = 11
DAY_IN_MINUTES = 24 * 60
IDLE_POLL_SECONDS = 0.5
VERIFICATION_EVENT = "profiles#verification-state-change"
TRANSFER_EVENT = "transfers#state-change"
USER_EVENT = "users#state-change"
KYC_REVIEW_EVENT = "kyc-reviews#state-change"
EVENT_TYPES = (VERIFICATION_EVENT, TRANSFER_EVENT, USER_EVENT, KYC_REVIEW_EVENT)


def retry_delay_seconds(retry_number: int, base_seconds: float) -> float:
    """Return how long to wait before retry ``retry_number`` (1-based): 1, 2, 4 ... then daily."""
    if retry_number <= DOUBLING_RETRIES:
        return base_seconds * 2 ** (retry_number - 1)
    return base_seconds * DAY_IN_MINUTES


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    """Return one attempt as the control API shows it."""
    return {
        "delivery_id": attempt.delivery_id,
        "attempted_at": iso_millis(attempt.attempted_at),
        "status_code": attempt.status_code,
        "error": attempt.error,
        "duration_seconds": round(attempt.duration_seconds, 4),
        "succeeded": attempt.succeeded,
    }


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    """Return a delivery, its body and its attempts, as the control API shows it."""
    return {
        "id": delivery.id,
        "subscription_id": delivery.subscription_id,
        "event_type": delivery.event_type,
        "url": delivery.url,
        "test": delivery.test,
        "state": delivery.state,
        "created_at": iso_millis(delivery.created_at),
        "next_attempt_at": (
            iso_millis(delivery.next_attempt_at) if delivery.state == "pending" else None
        ),
        "body": json.loads(delivery.body),
        "signature": delivery.signature,
        "attempts": [attempt_json(a) for a in delivery.attempts],
    }


class WebhookDispatcher:
    """Queues, signs and sends webhook deliveries; a background thread sends them when due."""

    def __init__(self, state: Emulator) -> None:
        self.state = state
        self.store = state.store
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None

    # -- events ----------------------------------------------------------------------------------

    def sign(self, body: bytes) -> str:
        """Return the Base64 RSA-PKCS1v15-SHA256 signature of ``body``."""
        signature = self.state.signing_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def _enqueue(
        self, subscription: Subscription, event_type: str, data: dict[str, Any], *, test: bool
    ) -> Delivery:
        store = self.store
        with store.lock:
            now = store.now()
            envelope = {
                "data": data,
                "subscription_id": subscription.id,
                "event_type": event_type,
                "schema_version": SCHEMA_VERSION,
                "sent_at": iso_seconds(now),
            }
            body = json.dumps(envelope, separators=(",", ":")).encode()
            delivery = Delivery(
                id=str(uuid.uuid4()),
                subscription_id=subscription.id,
                event_type=event_type,
                url=subscription.url,
                body=body,
                signature=self.sign(body),
                test=test,
                created_at=now,
                next_attempt_at=now,
                next_delivery_id=str(uuid.uuid4()),
            )
            store.deliveries[delivery.id] = delivery
            store.counters["created"]["webhook_deliveries"] += 1
        return delivery

    def emit(
        self,
        event_type: str,
        data: dict[str, Any],
        *,
        client_ids: set[str],
        profile_id: int | None = None,
    ) -> list[Delivery]:
        """Queue an event for the clients' application subscriptions and the profile's own."""
        with self.store.lock:
            targets = [
                s
                for s in self.store.subscriptions.values()
                if s.trigger_on == event_type
                and (
                    (s.scope_domain == "application" and s.client_id in client_ids)
                    or (
                        s.scope_domain == "profile"
                        and profile_id is not None
                        and s.scope_id == str(profile_id)
                    )
                )
            ]
            deliveries = [self._enqueue(s, event_type, data, test=False) for s in targets]
        self.wake()
        return deliveries

    def send_test(self, subscription: Subscription) -> dict[str, str]:
        """Queue a test notification (``X-Test-Notification: true``) for one subscription."""
        now = iso_seconds(self.store.now())
        # Wise's test payloads: "random UUIDs, entity IDs of zero, current dates and times, and
        # hard-coded status codes".
        if subscription.trigger_on == VERIFICATION_EVENT:
            data: dict[str, Any] = {
                "resource": {"type": "profile", "id": 0},
                "current_state": "verified",
                "occurred_at": now,
            }
        elif subscription.trigger_on == KYC_REVIEW_EVENT:
            stamp = self.store.now().strftime("%Y-%m-%dT%H:%M:%S.%f")
            data = {
                "resource": {
                    "id": str(uuid.uuid4()),
                    "state": "WAITING_CUSTOMER_INPUT",
                    "profileId": 0,
                    "requiredBy": None,
                    "createdAt": stamp,
                    "updatedAt": stamp,
                    "triggerReferences": [],
                }
            }
        elif subscription.trigger_on == USER_EVENT:
            data = {
                "resource": {"type": "user", "id": 0},
                "previous_state": "ACTIVE",
                "current_state": "WITHDRAW_ONLY",
                "occurred_at": now,
            }
        else:
            data = {
                "resource": {"type": "transfer", "id": 0, "profile_id": 0, "account_id": 0},
                "current_state": "processing",
                "previous_state": "incoming_payment_waiting",
                "occurred_at": now,
            }
        delivery = self._enqueue(subscription, subscription.trigger_on, data, test=True)
        # Read before waking the sender: each attempt replaces next_delivery_id.
        first = {"delivery_id": delivery.next_delivery_id, "created_at": now}
        self.wake()
        return first

    # -- sending ---------------------------------------------------------------------------------

    def attempt(self, delivery_id: str) -> dict[str, Any] | None:
        """Make one HTTP attempt of a delivery already marked in flight; return its record."""
        store = self.store
        with store.lock:
            delivery = store.deliveries.get(delivery_id)
            if delivery is None:
                return None
            header_id = delivery.next_delivery_id
            attempted_at = store.now()
            window = store.switches.webhook_success_within_seconds
            url, body, signature, test = (
                delivery.url,
                delivery.body,
                delivery.signature,
                delivery.test,
            )
        headers = {
            "Content-Type": "application/json",
            "X-Signature-SHA256": signature,
            "X-Delivery-Id": header_id,
            "User-Agent": "wise-emulator-webhooks",
        }
        if test:
            headers["X-Test-Notification"] = "true"
        status: int | None = None
        error: str | None = None
        started = time.monotonic()
        try:
            with requests.Session() as http:
                # Straight to the target: proxy variables of the host running the emulator are
                # not part of Wise's behaviour, and the usual targets are on loopback.
                http.trust_env = False
                with http.post(
                    url,
                    data=body,
                    headers=headers,
                    timeout=window,
                    allow_redirects=False,
                ) as response:
                    status = response.status_code
        except requests.RequestException as exc:
            error = type(exc).__name__
        duration = time.monotonic() - started
        in_time = duration <= window
        succeeded = status is not None and 200 <= status < 300 and in_time
        if status is not None and not in_time:
            error = f"answered after {window:g} seconds"
        record = self._record(
            delivery_id, Attempt(header_id, attempted_at, status, error, duration, succeeded)
        )
        # A retry may now be due sooner than the sender thread's current wait.
        self._wake.set()
        return record

    def _record(self, delivery_id: str, attempt: Attempt) -> dict[str, Any] | None:
        store = self.store
        with store.lock:
            delivery = store.deliveries.get(delivery_id)
            if delivery is None:  # the control API reset the emulator meanwhile
                return None
            now = store.now()
            delivery.attempts.append(attempt)
            delivery.in_flight = False
            store.counters["created"]["webhook_attempts"] += 1
            if attempt.succeeded:
                delivery.state = "delivered"
            elif len(delivery.attempts) >= MAX_ATTEMPTS:
                delivery.state = "failed"
            else:
                delay = retry_delay_seconds(
                    len(delivery.attempts), store.switches.webhook_retry_base_seconds
                )
                delivery.next_attempt_at = now + timedelta(seconds=delay)
                delivery.next_delivery_id = str(uuid.uuid4())
            outcome = "delivered" if attempt.succeeded else (attempt.status_code or attempt.error)
            logger.info(
                "webhook %s attempt %d: %s", delivery.event_type, len(delivery.attempts), outcome
            )
            return {
                "delivery": delivery.id,
                "subscription_id": delivery.subscription_id,
                "event_type": delivery.event_type,
                "state": delivery.state,
                **attempt_json(attempt),
            }

    def _claim(self, *, due_only: bool) -> list[str]:
        """Mark pending deliveries in flight and return their ids."""
        store = self.store
        with store.lock:
            now = store.now()
            claimed = [
                d
                for d in store.deliveries.values()
                if d.state == "pending"
                and not d.in_flight
                and (not due_only or d.next_attempt_at <= now)
            ]
            for delivery in claimed:
                delivery.in_flight = True
            return [d.id for d in claimed]

    def flush(self) -> list[dict[str, Any]]:
        """Attempt every pending delivery once, now, whatever its schedule says."""
        results = [self.attempt(delivery_id) for delivery_id in self._claim(due_only=False)]
        return [r for r in results if r is not None]

    def cancel_pending(self) -> None:
        """Stop retrying everything still pending (used by the control API's reset)."""
        with self.store.lock:
            for delivery in self.store.deliveries.values():
                if delivery.state == "pending":
                    delivery.state = "cancelled"

    # -- background thread -----------------------------------------------------------------------

    def wake(self) -> None:
        """Nudge the sender thread, starting it when automatic delivery is on."""
        with self.store.lock:
            automatic = self.store.switches.deliver_webhooks_automatically
        if automatic and not self._stopped.is_set():
            self._ensure_thread()
        self._wake.set()

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wise-webhook")
                self._thread = threading.Thread(
                    target=self._run, name="wise-webhook-scheduler", daemon=True
                )
                self._thread.start()

    def _seconds_to_next_due(self) -> float:
        store = self.store
        with store.lock:
            now = store.now()
            waiting = [
                (d.next_attempt_at - now).total_seconds()
                for d in store.deliveries.values()
                if d.state == "pending" and not d.in_flight
            ]
        return max(0.005, min([IDLE_POLL_SECONDS, *waiting]))

    def _run(self) -> None:
        while not self._stopped.is_set():
            with self.store.lock:
                automatic = self.store.switches.deliver_webhooks_automatically
            if automatic and self._pool is not None:
                for delivery_id in self._claim(due_only=True):
                    self._pool.submit(self._attempt_logged, delivery_id)
            self._wake.wait(timeout=self._seconds_to_next_due())
            self._wake.clear()

    def _attempt_logged(self, delivery_id: str) -> None:
        try:
            self.attempt(delivery_id)
        except Exception:
            logger.exception("webhook attempt crashed")
            with self.store.lock:
                delivery = self.store.deliveries.get(delivery_id)
                if delivery is not None:
                    delivery.in_flight = False

    def stop(self) -> None:
        """Stop the sender thread and its workers."""
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

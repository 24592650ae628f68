"""The per-app emulator object kept in ``app.extensions["wise_emulator"]``."""

from __future__ import annotations

from functools import cache
from typing import cast

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app

from .config import EmulatorConfig
from .store import Store
from .webhooks import WebhookDispatcher

EXTENSION_KEY = "wise_emulator"


@cache
def _process_key() -> rsa.RSAPrivateKey:
    # Wise signs with one key per environment; an emulator process does the same, and the tests'
    # many emulators in one process skip ~0.1 s of RSA key generation each.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def load_signing_key(pem: bytes | None) -> rsa.RSAPrivateKey:
    """Load the webhook signing key, or this process's own RSA-2048 key when none is configured."""
    if pem is None:
        return _process_key()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("webhook_private_key_pem must hold an RSA private key")
    return key


class Emulator:
    """Everything one emulator app holds: configuration, store, signing key and webhook sender."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.store = Store(config)
        self.signing_key = load_signing_key(config.webhook_private_key_pem)
        self.webhooks = WebhookDispatcher(self)

    def public_key_pem(self) -> str:
        """Return the PEM of the public key that verifies webhook signatures."""
        return (
            self.signing_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def close(self) -> None:
        """Stop the background webhook sender, if it runs."""
        self.webhooks.stop()


def emulator() -> Emulator:
    """Return the emulator of the app handling the current request."""
    return cast(Emulator, current_app.extensions[EXTENSION_KEY])

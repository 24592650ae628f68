"""Encryption of Wise tokens at rest with Fernet (AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class TokenCipher:
    """Encrypts with the first configured key and decrypts with any of them (key rotation)."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernets = [Fernet(k.encode()) for k in keys]
        self._multi = MultiFernet(self._fernets)

    def encrypt(self, plaintext: str) -> str:
        """Return the ciphertext of ``plaintext`` under the primary key."""
        return self._multi.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """Return the plaintext; raise ``InvalidToken`` when no configured key opens it."""
        return self._multi.decrypt(ciphertext.encode("ascii")).decode("utf-8")

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt a ciphertext under the primary key."""
        return self._multi.rotate(ciphertext.encode("ascii")).decode("ascii")

    def is_primary(self, ciphertext: str) -> bool:
        """Tell whether the primary key alone decrypts this ciphertext."""
        try:
            self._fernets[0].decrypt(ciphertext.encode("ascii"))
        except InvalidToken:
            return False
        return True


__all__ = ["InvalidToken", "TokenCipher"]

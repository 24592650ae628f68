"""Wise webhook signatures: the published public keys and the check of ``X-Signature-SHA256``.

Wise signs the exact bytes of each webhook body with RSASSA-PKCS1-v1_5 over SHA-256 and sends the
signature Base64-encoded. Only the body is signed (not the headers, not the URL), so the check must
run on the raw bytes as received: parsing and re-serializing the JSON would change them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# Wise's published webhook keys (docs.wise.com, "Event handling"; identical in the 2020 API docs).
PRODUCTION_KEY = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvO8vXV+JksBzZAY6GhSO
XdoTCfhXaaiZ+qAbtaDBiu2AGkGVpmEygFmWP4Li9m5+Ni85BhVvZOodM9epgW3F
bA5Q1SexvAF1PPjX4JpMstak/QhAgl1qMSqEevL8cmUeTgcMuVWCJmlge9h7B1CS
D4rtlimGZozG39rUBDg6Qt2K+P4wBfLblL0k4C4YUdLnpGYEDIth+i8XsRpFlogx
CAFyH9+knYsDbR43UJ9shtc42Ybd40Afihj8KnYKXzchyQ42aC8aZ/h5hyZ28yVy
Oj3Vos0VdBIs/gAyJ/4yyQFCXYte64I7ssrlbGRaco4nKF3HmaNhxwyKyJafz19e
HwIDAQAB
-----END PUBLIC KEY-----
"""
SANDBOX_KEY = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwpb91cEYuyJNQepZAVfP
ZIlPZfNUefH+n6w9SW3fykqKu938cR7WadQv87oF2VuT+fDt7kqeRziTmPSUhqPU
ys/V2Q1rlfJuXbE+Gga37t7zwd0egQ+KyOEHQOpcTwKmtZ81ieGHynAQzsn1We3j
wt760MsCPJ7GMT141ByQM+yW1Bx+4SG3IGjXWyqOWrcXsxAvIXkpUD/jK/L958Cg
nZEgz0BSEh0QxYLITnW1lLokSx/dTianWPFEhMC9BgijempgNXHNfcVirg1lPSyg
z7KqoKUN0oHqWLr2U1A+7kqrl6O2nx3CKs1bj1hToT1+p4kcMoHXA7kA+VBLUpEs
VwIDAQAB
-----END PUBLIC KEY-----
"""
PEM_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)
# A 4096-bit RSA signature is 512 bytes, 684 Base64 characters. Anything much longer is refused
# before decoding, so a hostile header cannot make us do work.
MAX_SIGNATURE_CHARS = 1024


class KeyConfigError(ValueError):
    """The configured webhook keys cannot be used; the message says why."""


def published_key(environment: str) -> str:
    """Return Wise's published webhook key for ``sandbox`` or ``production``."""
    return PRODUCTION_KEY if environment == "production" else SANDBOX_KEY


def load_public_keys(value: str) -> tuple[str, ...]:
    """Read PEM keys from ``value``: PEM text, or file paths separated by commas.

    Several keys are allowed (for example during a key change at Wise). Environment variables
    often carry PEM text with literal ``\\n``; those are turned into newlines.
    """
    text = value.replace("\\n", "\n")
    if "-----BEGIN" not in text:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        chunks = []
        for part in parts:
            path = Path(part)
            if not path.is_file():
                raise KeyConfigError(f"{part!r} is neither PEM text nor a readable file")
            chunks.append(path.read_text(encoding="ascii", errors="replace"))
        text = "\n".join(chunks)
    blocks = tuple(PEM_BLOCK.findall(text))
    if not blocks:
        raise KeyConfigError("no '-----BEGIN PUBLIC KEY-----' block found")
    for block in blocks:
        _load_rsa(block)
    return tuple(block + "\n" for block in blocks)


@lru_cache(maxsize=32)
def _load_rsa(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise KeyConfigError("a public key block could not be read") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyConfigError("webhook keys must be RSA public keys")
    return key


def decode_signature(header: str | None) -> bytes | None:
    """Return the signature bytes of an ``X-Signature-SHA256`` value, or None if malformed."""
    if not header or len(header) > MAX_SIGNATURE_CHARS:
        return None
    try:
        # validate=True: characters outside the Base64 alphabet are an error, not skipped.
        decoded = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded or None


def verify(body: bytes, header: str | None, keys: Sequence[str]) -> bool:
    """Tell whether ``header`` is a valid signature of the raw ``body`` under any of ``keys``."""
    signature = decode_signature(header)
    if signature is None:
        return False
    for pem in keys:
        try:
            _load_rsa(pem).verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return True
    return False

"""Field encryption at rest (AES-256-GCM) and keyed blind indexes (HMAC-SHA256).

The master key is 32 random bytes from configuration. Two sub-keys are derived with HKDF so that
the encryption key and the index key are never the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PREFIX = "v1:"


class FieldKeyError(ValueError):
    """The key is malformed, or a ciphertext does not open with it."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"consult/" + purpose).derive(
        master
    )


def generate_master_key() -> str:
    """A new master key, base64 text, for configuration or the instance key file."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


class FieldCipher:
    """Encrypts short text fields (ID numbers, phone numbers) bound to their field name."""

    def __init__(self, master_key_b64: str) -> None:
        try:
            master = base64.urlsafe_b64decode(master_key_b64.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise FieldKeyError("field key is not base64") from exc
        if len(master) != 32:
            raise FieldKeyError("field key must be 32 bytes")
        self._aead = AESGCM(_derive(master, b"field-encryption"))
        self._index_key = _derive(master, b"blind-index")

    def encrypt(self, plaintext: str, field: str) -> str:
        nonce = os.urandom(12)
        ct = self._aead.encrypt(nonce, plaintext.encode("utf-8"), field.encode("ascii"))
        return _PREFIX + base64.urlsafe_b64encode(nonce + ct).decode("ascii")

    def decrypt(self, token: str, field: str) -> str:
        if not token.startswith(_PREFIX):
            raise FieldKeyError("unknown ciphertext version")
        try:
            raw = base64.urlsafe_b64decode(token[len(_PREFIX) :].encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:  # binascii.Error is a ValueError
            raise FieldKeyError("ciphertext is not base64") from exc
        if len(raw) < 12 + 16:  # nonce + GCM tag
            raise FieldKeyError("ciphertext is truncated")
        try:
            pt = self._aead.decrypt(raw[:12], raw[12:], field.encode("ascii"))
        except InvalidTag as exc:
            raise FieldKeyError("ciphertext does not open with this key") from exc
        return pt.decode("utf-8")

    def blind_index(self, value: str, field: str) -> str:
        """A keyed hash to find equal values without decrypting (e.g. one ID number, one person)."""
        msg = field.encode("ascii") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._index_key, msg, hashlib.sha256).hexdigest()


def mask(value: str | None, keep_start: int = 3, keep_end: int = 4) -> str:
    """Shown instead of the value: mask(v, 6, 4) gives 110105********1234 for an ID number.
    Short values are masked entirely."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    # Not value[-keep_end:]: with keep_end == 0 that slice is the whole value.
    return value[:keep_start] + "*" * hidden + value[keep_start + hidden :]


def token_hash(token: str) -> str:
    """How bearer tokens and one-time codes are stored: SHA-256, never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()

"""Ballot receipts (VOTING.md "Data"): 128 random bits a voter keeps to find their ballot.

A receipt is written as RFC 4648 base32 (alphabet A–Z, 2–7), upper case, without padding: 26
characters. 26 × 5 = 130 bits carry the 128, so the last character's two low bits are zero and
it is one of A E I M Q U Y 4; any other last character is not a canonical encoding and is
refused. For reading aloud it is shown in five groups joined by "-": four of five characters and
a last of six (ABCDE-FGHIJ-KLMNO-PQRST-UVWXYA).

Only `receipt_hash` — lowercase hex SHA-256 of the 26 ASCII characters, no separators — is ever
stored or published.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import unicodedata

RECEIPT_BITS = 128
RECEIPT_LENGTH = 26
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
GROUPS = (5, 5, 5, 5, 6)
SEPARATOR = "-"

_PADDING = "======"  # 26 characters + 6 pad = 40, a whole number of 8-character blocks
_ALPHABET_SET = frozenset(ALPHABET)


class InvalidReceipt(ValueError):
    """Text that is not a well-formed receipt."""


def new_receipt() -> str:
    """A fresh receipt: 128 bits from the operating system's CSPRNG, 26 base32 characters."""
    raw = secrets.token_bytes(RECEIPT_BITS // 8)
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def format_receipt(receipt: str) -> str:
    """The receipt in groups for reading aloud: ABCDE-FGHIJ-KLMNO-PQRST-UVWXYA."""
    text = normalise_receipt(receipt)
    parts, start = [], 0
    for size in GROUPS:
        parts.append(text[start : start + size])
        start += size
    return SEPARATOR.join(parts)


def normalise_receipt(text: str) -> str:
    """The 26-character canonical form of what a voter typed.

    Accepts either case, with or without "-" and spaces, and full-width characters from a
    Chinese input method (folded by NFKC). Raises InvalidReceipt for anything else.
    """
    if not isinstance(text, str):
        raise InvalidReceipt("a receipt is text")
    if (
        len(text) == RECEIPT_LENGTH
        and _ALPHABET_SET.issuperset(text)
        and not ALPHABET.index(text[-1]) & 0b11
    ):
        return text  # canonical already (as every browser sends it): the rest would not change it
    folded = unicodedata.normalize("NFKC", text)
    compact = "".join(ch for ch in folded if ch != SEPARATOR and not ch.isspace())
    # Upper-case only ASCII: str.upper() would turn "ı" into "I" and "ß" into "SS".
    compact = "".join(ch.upper() if ch.isascii() else ch for ch in compact)
    if len(compact) != RECEIPT_LENGTH:
        raise InvalidReceipt(
            f"a receipt has {RECEIPT_LENGTH} letters and digits, not {len(compact)}"
        )
    wrong = sorted({ch for ch in compact if ch not in _ALPHABET_SET})
    if wrong:
        raise InvalidReceipt(
            "a receipt uses only the letters A–Z and the digits 2–7, not " + " ".join(wrong)
        )
    if ALPHABET.index(compact[-1]) & 0b11:
        # 130 bits written, 128 used: the last character's two low bits must be zero.
        raise InvalidReceipt("the last character of a receipt is one of A E I M Q U Y 4")
    return compact


def receipt_hash(receipt: str) -> str:
    """Lowercase hex SHA-256 of the canonical 26 ASCII characters (the form typed is normalised)."""
    return hashlib.sha256(normalise_receipt(receipt).encode("ascii")).hexdigest()


def receipt_bytes(receipt: str) -> bytes:
    """The 16 bytes a receipt encodes."""
    return base64.b32decode(normalise_receipt(receipt) + _PADDING)

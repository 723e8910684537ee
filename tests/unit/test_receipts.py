"""Ballot receipts (VOTING.md "Data"): 26 base32 characters, read aloud in groups, hashed."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.crypto.receipts import (
    ALPHABET,
    RECEIPT_LENGTH,
    InvalidReceipt,
    format_receipt,
    new_receipt,
    normalise_receipt,
    receipt_bytes,
    receipt_hash,
)

pytestmark = pytest.mark.unit

# 16 bytes 0x00..0x0f in RFC 4648 base32, padding dropped.
FIXED = "AAAQEAYEAUDAOCAJBIFQYDIOB4"
FIXED_HASH = hashlib.sha256(b"AAAQEAYEAUDAOCAJBIFQYDIOB4").hexdigest()

receipts = st.binary(min_size=16, max_size=16).map(
    lambda raw: base64.b32encode(raw).decode("ascii").rstrip("=")
)


def test_the_fixed_example_is_rfc_4648_base32_of_sixteen_bytes():
    assert base64.b32encode(bytes(range(16))).decode() == FIXED + "======"
    assert receipt_bytes(FIXED) == bytes(range(16))


def test_a_new_receipt_is_26_upper_case_base32_characters():
    receipt = new_receipt()
    assert len(receipt) == RECEIPT_LENGTH == 26
    assert re.fullmatch(r"[A-Z2-7]{26}", receipt)
    assert set(receipt) <= set(ALPHABET)
    assert normalise_receipt(receipt) == receipt
    assert len(receipt_bytes(receipt)) == 16


def test_new_receipts_differ():
    assert len({new_receipt() for _ in range(200)}) == 200


def test_format_groups_the_receipt_for_reading_aloud():
    assert format_receipt(FIXED) == "AAAQE-AYEAU-DAOCA-JBIFQ-YDIOB4"


@given(receipts)
def test_format_then_normalise_is_the_identity(receipt):
    shown = format_receipt(receipt)
    assert shown.replace("-", "") == receipt
    assert normalise_receipt(shown) == receipt


@given(receipts)
def test_any_base32_of_128_bits_is_accepted_and_round_trips(receipt):
    assert normalise_receipt(receipt) == receipt
    assert base64.b32encode(receipt_bytes(receipt)).decode().rstrip("=") == receipt


@pytest.mark.parametrize(
    "typed",
    [
        "aaaqeayeaudaocajbifqydiob4",
        "aaaqe-ayeau-daoca-jbifq-ydiob4",
        "AAAQE AYEAU DAOCA JBIFQ YDIOB4",
        "  aaaQE-AYEAU - daoca jbifq-YDIOB4\n",
        # full-width forms, as a Chinese input method may type them
        "ＡＡＡＱＥ－ＡＹＥＡＵ－ＤＡＯＣＡ－ＪＢＩＦＱ－ＹＤＩＯＢ４",
    ],
)
def test_lowercase_spaces_and_separators_are_accepted(typed):
    assert normalise_receipt(typed) == FIXED
    assert receipt_hash(typed) == FIXED_HASH


@pytest.mark.parametrize(
    "typed",
    [
        "",
        FIXED[:-1],
        FIXED + "A",
        FIXED[:-1] + "AA",
        "0" + FIXED[1:],  # 0, 1, 8 and 9 are not base32
        "1" + FIXED[1:],
        "8" + FIXED[1:],
        FIXED[:5] + "_" + FIXED[6:],
        FIXED[:5] + "ı" + FIXED[6:],  # upper-cases to I, but is not a receipt letter
        FIXED + "======",
        FIXED[:10] + "." + FIXED[10:],
    ],
)
def test_wrong_length_or_characters_are_refused(typed):
    with pytest.raises(InvalidReceipt):
        normalise_receipt(typed)
    with pytest.raises(ValueError, match="receipt"):
        receipt_hash(typed)


@pytest.mark.parametrize("last", sorted(set(ALPHABET) - set("AEIMQUY4")))
def test_a_last_character_with_unused_bits_set_is_not_canonical(last):
    typed = FIXED[:-1] + last
    with pytest.raises(InvalidReceipt, match="last character"):
        normalise_receipt(typed)


@pytest.mark.parametrize("last", list("AEIMQUY4"))
def test_the_eight_canonical_last_characters_are_accepted(last):
    assert normalise_receipt(FIXED[:-1] + last) == FIXED[:-1] + last


def test_a_receipt_must_be_text():
    with pytest.raises(InvalidReceipt):
        normalise_receipt(FIXED.encode())  # type: ignore[arg-type]


def test_receipt_hash_is_hex_sha256_of_the_26_ascii_characters():
    # The literal is `printf AAAQEAYEAUDAOCAJBIFQYDIOB4 | sha256sum`.
    assert receipt_hash(FIXED) == FIXED_HASH
    assert FIXED_HASH == "b3f0010fec117d12f0a1d428855f4e1b64bcc4ab28c8cfc4b168d4b677a37578"
    assert receipt_hash(format_receipt(FIXED)) == FIXED_HASH
    assert receipt_hash(FIXED.lower()) == FIXED_HASH


@given(receipts)
def test_receipt_hash_is_lowercase_hex_of_64_digits(receipt):
    digest = receipt_hash(receipt)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == hashlib.sha256(receipt.encode("ascii")).hexdigest()

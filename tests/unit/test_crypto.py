"""Pure cryptography: canonical JSON, field encryption at rest, blind indexes, masking, hashes."""

from __future__ import annotations

import base64
import hashlib
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.crypto.canonical import canonical_bytes, canonical_json, sha256_hex
from consult.crypto.fields import (
    FieldCipher,
    FieldKeyError,
    generate_master_key,
    mask,
    token_hash,
)

pytestmark = pytest.mark.unit

KEY = base64.urlsafe_b64encode(bytes(range(32))).decode("ascii")
OTHER_KEY = base64.urlsafe_b64encode(bytes(range(1, 33))).decode("ascii")
ID_NUMBER = "11010519491231002X"


@pytest.fixture(scope="module")
def cipher() -> FieldCipher:
    return FieldCipher(KEY)


# ---------------------------------------------------------------- canonical JSON


def test_canonical_json_sorts_keys_at_every_level():
    assert canonical_json({"b": 1, "a": {"d": 2, "c": [3, {"f": 4, "e": 5}]}}) == (
        '{"a":{"c":[3,{"e":5,"f":4}],"d":2},"b":1}'
    )


def test_canonical_json_has_no_whitespace_between_tokens():
    text = canonical_json({"a": [1, 2], "b": None, "c": True, "d": "x y"})
    assert text == '{"a":[1,2],"b":null,"c":true,"d":"x y"}'


def test_canonical_json_keeps_non_ascii_as_utf8():
    assert canonical_json({"名称": "和平里社区"}) == '{"名称":"和平里社区"}'
    assert canonical_bytes({"名称": "和平里"}) == '{"名称":"和平里"}'.encode()
    assert b"\\u" not in canonical_bytes({"name": "张秀英"})


def test_canonical_json_is_the_same_whatever_the_insertion_order():
    assert canonical_json({"x": 1, "y": 2}) == canonical_json({"y": 2, "x": 1})


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_canonical_json_refuses_values_json_cannot_carry(value):
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_json({"x": value})


def test_canonical_json_refuses_objects_it_cannot_serialise():
    with pytest.raises(TypeError):
        canonical_json({"x": object()})


def test_canonical_json_escapes_quotes_and_control_characters():
    assert canonical_json({"s": 'a"b\\c\n'}) == '{"s":"a\\"b\\\\c\\n"}'


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_round_trips_and_is_a_fixed_point(value):
    text = canonical_json(value)
    assert json.loads(text) == value
    assert canonical_json(json.loads(text)) == text


def test_sha256_hex_matches_the_fips_180_vector():
    assert sha256_hex(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_token_hash_is_sha256_of_the_utf8_token():
    assert token_hash("abc") == sha256_hex(b"abc")
    assert token_hash("cst_x") != "cst_x"
    assert len(token_hash("cst_x")) == 64


# ---------------------------------------------------------------- field encryption


@pytest.mark.parametrize("plaintext", [ID_NUMBER, "", "13800138000", "张秀英 +86 138", "x" * 1000])
def test_encrypt_then_decrypt_gives_back_the_plaintext(cipher, plaintext):
    token = cipher.encrypt(plaintext, "id_number")
    assert cipher.decrypt(token, "id_number") == plaintext


@given(st.text())
def test_any_text_round_trips(plaintext):
    cipher = FieldCipher(KEY)
    assert cipher.decrypt(cipher.encrypt(plaintext, "phone"), "phone") == plaintext


def test_ciphertext_is_versioned_and_never_contains_the_plaintext(cipher):
    token = cipher.encrypt(ID_NUMBER, "id_number")
    assert token.startswith("v1:")
    assert ID_NUMBER not in token
    assert ID_NUMBER[6:14] not in token  # not even the birth date


def test_ciphertext_differs_each_time(cipher):
    tokens = {cipher.encrypt(ID_NUMBER, "id_number") for _ in range(20)}
    assert len(tokens) == 20


def test_another_instance_with_the_same_key_decrypts(cipher):
    token = cipher.encrypt(ID_NUMBER, "id_number")
    assert FieldCipher(KEY).decrypt(token, "id_number") == ID_NUMBER


def test_ciphertext_is_bound_to_its_field_name(cipher):
    token = cipher.encrypt(ID_NUMBER, "id_number")
    with pytest.raises(FieldKeyError):
        cipher.decrypt(token, "phone")


def test_wrong_key_fails_with_field_key_error(cipher):
    token = cipher.encrypt(ID_NUMBER, "id_number")
    with pytest.raises(FieldKeyError):
        FieldCipher(OTHER_KEY).decrypt(token, "id_number")


def test_tampered_ciphertext_fails_with_field_key_error(cipher):
    token = cipher.encrypt(ID_NUMBER, "id_number")
    raw = bytearray(base64.urlsafe_b64decode(token[3:]))
    raw[-1] ^= 1
    tampered = "v1:" + base64.urlsafe_b64encode(bytes(raw)).decode("ascii")
    with pytest.raises(FieldKeyError):
        cipher.decrypt(tampered, "id_number")


@pytest.mark.parametrize(
    "token",
    [
        ID_NUMBER,  # plaintext stored by mistake
        "v2:AAAA",  # a version this code does not know
        "v1:",  # nothing after the prefix
        "v1:AAAA",  # shorter than a nonce and a tag
        "v1:abc",  # not base64
        "v1:" + "A" * 30,  # bad padding
        "v1:密文",  # not even ASCII
    ],
)
def test_malformed_ciphertext_fails_with_field_key_error(cipher, token):
    with pytest.raises(FieldKeyError):
        cipher.decrypt(token, "id_number")


@pytest.mark.parametrize(
    "key",
    [
        "",
        "not base64 at all!",
        base64.urlsafe_b64encode(bytes(16)).decode("ascii"),  # 16 bytes, not 32
        base64.urlsafe_b64encode(bytes(33)).decode("ascii"),
        "密钥",
    ],
)
def test_malformed_master_key_is_refused(key):
    with pytest.raises(FieldKeyError):
        FieldCipher(key)


def test_generated_master_keys_are_32_random_bytes():
    first, second = generate_master_key(), generate_master_key()
    assert first != second
    assert len(base64.urlsafe_b64decode(first)) == 32
    FieldCipher(first)  # usable as is


# ---------------------------------------------------------------- blind index


def test_blind_index_is_stable_for_the_same_key(cipher):
    index = cipher.blind_index(ID_NUMBER, "id_number")
    assert index == cipher.blind_index(ID_NUMBER, "id_number")
    assert index == FieldCipher(KEY).blind_index(ID_NUMBER, "id_number")
    assert len(index) == 64
    int(index, 16)  # hex


def test_blind_index_is_keyed(cipher):
    index = cipher.blind_index(ID_NUMBER, "id_number")
    assert index != FieldCipher(OTHER_KEY).blind_index(ID_NUMBER, "id_number")
    # Not a bare hash anyone could compute from a guessed number.
    assert index != hashlib.sha256(ID_NUMBER.encode()).hexdigest()
    assert index != hashlib.sha256(b"id_number\x00" + ID_NUMBER.encode()).hexdigest()


def test_blind_index_depends_on_the_field_and_the_value(cipher):
    index = cipher.blind_index(ID_NUMBER, "id_number")
    assert index != cipher.blind_index(ID_NUMBER, "phone")
    assert index != cipher.blind_index("110105194912310021", "id_number")


def test_blind_index_key_is_not_the_encryption_key(cipher):
    # The index is an HMAC under a derived sub-key, not under the master key itself.
    import hmac

    master = base64.urlsafe_b64decode(KEY)
    naive = hmac.new(master, b"id_number\x00" + ID_NUMBER.encode(), hashlib.sha256).hexdigest()
    assert cipher.blind_index(ID_NUMBER, "id_number") != naive


# ---------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("value", "args", "shown"),
    [
        (None, (), ""),
        ("", (), ""),
        ("1234567", (), "*******"),  # no longer than what would be kept: all hidden
        ("123", (), "***"),
        ("12345678", (), "123*5678"),
        ("13800138000", (), "138****8000"),
        (ID_NUMBER, (6, 4), "110105********002X"),
        ("1234567890", (6, 4), "**********"),
        ("12345678901", (6, 4), "123456*8901"),
        ("abcdefgh", (2, 0), "ab******"),  # keep nothing at the end means nothing
        ("abcdefgh", (0, 2), "******gh"),
        ("abcdefgh", (0, 0), "********"),
    ],
)
def test_mask_hides_the_middle(value, args, shown):
    assert mask(value, *args) == shown


@given(st.text(min_size=1), st.integers(0, 10), st.integers(0, 10))
def test_mask_keeps_the_length_and_never_shows_more_than_asked(value, keep_start, keep_end):
    shown = mask(value, keep_start, keep_end)
    assert len(shown) == len(value)
    visible = sum(1 for a, b in zip(shown, value, strict=True) if a == b and a != "*")
    assert visible <= keep_start + keep_end

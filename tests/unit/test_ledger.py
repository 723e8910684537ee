"""The signed ballot ledger (VOTING.md "The ledger"): built the same whatever the ballot order,
and every kind of tampering caught by the offline verifier."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from consult.crypto.canonical import canonical_bytes
from consult.crypto.ledger import (
    OPEN,
    PUBLIC_SUMMARY_KEYS,
    SECRET,
    LedgerError,
    build_ledger,
    find_receipt,
    ledger_bytes,
    ledger_leaves,
    public_key_base64,
    public_summary,
    signed_bytes,
    verify_ledger,
)
from consult.crypto.merkle import MerkleTree, root, verify_inclusion
from consult.crypto.receipts import receipt_hash

pytestmark = pytest.mark.unit

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
CLOSED_AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
OPTIONS = ["yes", "no", "abstain"]


def _hash(n: int) -> str:
    return hashlib.sha256(f"receipt {n}".encode()).hexdigest()


def _secret_ballots(choices: list[str]) -> list[dict[str, str]]:
    return [{"choice": c, "receipt_hash": _hash(i)} for i, c in enumerate(choices)]


def _ledger(choices: list[str] | None = None, options: list[str] | None = None) -> dict[str, Any]:
    choices = ["yes"] * 5 + ["no"] * 2 if choices is None else choices
    return build_ledger("v-1", CLOSED_AT, options or OPTIONS, _secret_ballots(choices), KEY)


def _resign(document: dict[str, Any], key: Ed25519PrivateKey = KEY) -> dict[str, Any]:
    """Recompute the tree over the entries as they now are and sign again, so that only the
    change under test is wrong."""
    doc = copy.deepcopy(document)
    doc.pop("signature", None)
    doc["tree_size"] = len(doc["entries"])
    doc["merkle_root"] = root(ledger_leaves(doc["entries"])).hex()
    doc["public_key"] = public_key_base64(key)
    doc["signature"] = base64.b64encode(key.sign(signed_bytes(doc))).decode()
    return doc


def _failed(document: Any, **kwargs: Any) -> set[str]:
    check = verify_ledger(document, **kwargs)
    assert not check.ok
    assert check.problems
    return {name for name, passed in check.checks().items() if not passed}


# ---------------------------------------------------------------- building


def test_a_secret_ledger_has_the_shape_of_voting_md():
    doc = _ledger()
    assert set(doc) == {
        "vote_id",
        "closed_at",
        "entries",
        "counts",
        "tree_size",
        "merkle_root",
        "public_key",
        "signature",
    }
    assert doc["closed_at"] == "2026-11-23T10:00:00Z"
    assert doc["tree_size"] == 7
    assert all(set(e) == {"choice", "receipt_hash"} for e in doc["entries"])
    hashes = [e["receipt_hash"] for e in doc["entries"]]
    assert hashes == sorted(hashes)
    assert base64.b64decode(doc["public_key"]) == base64.b64decode(public_key_base64(KEY))
    assert len(base64.b64decode(doc["public_key"])) == 32
    assert len(base64.b64decode(doc["signature"])) == 64


def test_counts_include_options_nobody_chose():
    doc = _ledger(["yes", "yes", "no"], options=["yes", "no", "abstain", "弃权"])
    assert doc["counts"] == {"yes": 2, "no": 1, "abstain": 0, "弃权": 0}
    assert verify_ledger(doc).ok


def test_an_empty_vote_still_makes_a_verifiable_ledger():
    doc = _ledger([])
    assert doc["entries"] == []
    assert doc["counts"] == {"yes": 0, "no": 0, "abstain": 0}
    assert doc["tree_size"] == 0
    assert doc["merkle_root"] == hashlib.sha256(b"").hexdigest()
    assert verify_ledger(doc).ok


def test_the_root_is_rfc_9162_over_the_canonical_json_of_each_entry():
    doc = _ledger()
    leaves = [
        json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        for e in doc["entries"]
    ]
    assert leaves[0].startswith(b'{"choice":')
    assert doc["merkle_root"] == root(leaves).hex()
    tree = MerkleTree(leaves)
    for i in range(len(leaves)):
        assert verify_inclusion(
            tree.leaf_hash(i), i, doc["tree_size"], tree.inclusion_proof(i), tree.root
        )


def test_the_signature_is_ed25519_over_the_document_without_signature():
    doc = _ledger()
    unsigned = {k: v for k, v in doc.items() if k != "signature"}
    KEY.public_key().verify(base64.b64decode(doc["signature"]), canonical_bytes(unsigned))


def test_closed_at_is_written_in_utc_to_the_second():
    beijing = timezone(timedelta(hours=8))
    when = datetime(2026, 11, 23, 18, 0, 0, 123456, tzinfo=beijing)
    doc = build_ledger("v", when, OPTIONS, [], KEY)
    assert doc["closed_at"] == "2026-11-23T10:00:00Z"
    assert build_ledger("v", "2026-11-23T10:00:00Z", OPTIONS, [], KEY) == doc


@given(
    choices=st.lists(st.sampled_from(OPTIONS), max_size=30),
    data=st.data(),
)
@settings(max_examples=40)
def test_any_reordering_of_the_ballots_gives_the_same_ledger(choices, data):
    ballots = _secret_ballots(choices)
    shuffled = data.draw(st.permutations(ballots))
    first = build_ledger("v-1", CLOSED_AT, OPTIONS, ballots, KEY)
    second = build_ledger("v-1", CLOSED_AT, list(reversed(OPTIONS)), shuffled, KEY)
    assert ledger_bytes(first) == ledger_bytes(second)
    assert verify_ledger(second).ok


@given(
    ballots=st.lists(
        st.tuples(
            st.sampled_from(["王建国", "李秀英", "张伟", "Zhang Wei", "张伟"]),
            st.sampled_from(OPTIONS),
        ),
        max_size=12,
    ),
    data=st.data(),
)
@settings(max_examples=40)
def test_any_reordering_of_named_ballots_gives_the_same_ledger(ballots, data):
    entries = [{"choice": c, "voter": v} for v, c in ballots]
    shuffled = data.draw(st.permutations(entries))
    first = build_ledger(7, CLOSED_AT, OPTIONS, entries, KEY)
    second = build_ledger(7, CLOSED_AT, OPTIONS, shuffled, KEY)
    assert ledger_bytes(first) == ledger_bytes(second)
    assert verify_ledger(second).ok


def test_a_named_vote_is_sorted_by_voter_then_choice():
    entries = [
        {"choice": "yes", "voter": "王建国"},
        {"choice": "no", "voter": "Zhang Wei"},
        {"choice": "yes", "voter": "张伟"},
        {"choice": "no", "voter": "张伟"},  # a namesake
        {"choice": "abstain", "voter": "李秀英"},
    ]
    doc = build_ledger("v-2", CLOSED_AT, OPTIONS, entries, KEY)
    assert [(e["voter"], e["choice"]) for e in doc["entries"]] == [
        ("Zhang Wei", "no"),
        ("张伟", "no"),
        ("张伟", "yes"),
        ("李秀英", "abstain"),
        ("王建国", "yes"),
    ]
    # Unicode code point order is UTF-8 byte order.
    voters = [e["voter"] for e in doc["entries"]]
    assert voters == sorted(voters, key=lambda v: v.encode("utf-8"))
    check = verify_ledger(doc)
    assert check.ok
    assert check.kind == OPEN


def test_canonical_json_keeps_chinese_choices_as_utf8():
    doc = build_ledger("v-3", CLOSED_AT, ["赞成", "反对", "弃权"], _secret_ballots(["赞成"]), KEY)
    published = ledger_bytes(doc)
    assert '"赞成":1'.encode() in published
    assert '"choice":"赞成"'.encode() in published
    assert b"\\u" not in published
    assert ledger_leaves(doc["entries"])[0] == (
        '{"choice":"赞成","receipt_hash":"' + doc["entries"][0]["receipt_hash"] + '"}'
    ).encode("utf-8")
    assert verify_ledger(json.loads(published.decode("utf-8"))).ok


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"choice": "maybe", "receipt_hash": _hash(1)}], "not an option"),
        ([{"choice": "yes", "receipt_hash": _hash(1), "voter": "张伟"}], "exactly"),
        ([{"choice": "yes", "receipt_hash": _hash(1), "cast_at": "10:01"}], "exactly"),
        ([{"choice": "yes"}], "exactly"),
        ([{"choice": "yes", "receipt_hash": _hash(1).upper()}], "lowercase hex"),
        ([{"choice": "yes", "receipt_hash": "abc"}], "lowercase hex"),
        ([{"choice": "yes", "voter": ""}], "voter"),
        (
            [{"choice": "yes", "receipt_hash": _hash(1)}, {"choice": "no", "voter": "张伟"}],
            "not both",
        ),
        (
            [
                {"choice": "yes", "receipt_hash": _hash(1)},
                {"choice": "no", "receipt_hash": _hash(1)},
            ],
            "more than once",
        ),
    ],
)
def test_ballots_that_cannot_make_a_ledger_are_refused(entries, message):
    with pytest.raises(LedgerError, match=message):
        build_ledger("v", CLOSED_AT, OPTIONS, entries, KEY)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"closed_at": datetime(2026, 11, 23, 10, 0)}, "timezone-aware"),
        ({"closed_at": "2026-11-23 10:00"}, "closed_at"),
        ({"options": ["yes", "yes"]}, "repeat"),
        ({"options": ["yes", ""]}, "non-empty"),
        ({"vote_id": ""}, "vote_id"),
        ({"vote_id": True}, "vote_id"),
    ],
)
def test_bad_vote_details_are_refused(kwargs, message):
    args: dict[str, Any] = {
        "vote_id": "v",
        "closed_at": CLOSED_AT,
        "options": OPTIONS,
        "entries": [],
        "private_key": KEY,
    }
    args.update(kwargs)
    with pytest.raises(LedgerError, match=message):
        build_ledger(**args)


# ---------------------------------------------------------------- verifying


def test_verify_accepts_a_good_secret_ledger_and_names_every_check():
    check = verify_ledger(_ledger())
    assert check.ok
    assert check.kind == SECRET
    assert check.problems == ()
    assert check.checks() == {
        "well_formed": True,
        "sorted": True,
        "no_duplicate_receipts": True,
        "counts_match": True,
        "tree_size_matches": True,
        "root_matches": True,
        "signature_valid": True,
    }


def test_a_changed_choice_is_caught():
    doc = _ledger()
    doc["entries"][0]["choice"] = "no" if doc["entries"][0]["choice"] == "yes" else "yes"
    assert {"counts_match", "root_matches", "signature_valid"} <= _failed(doc)


def test_a_changed_choice_with_recomputed_counts_is_still_caught_by_the_root():
    doc = _ledger()
    entry = doc["entries"][0]
    doc["counts"][entry["choice"]] -= 1
    entry["choice"] = "abstain"
    doc["counts"]["abstain"] += 1
    assert _failed(doc) == {"root_matches", "signature_valid"}


def test_a_removed_entry_is_caught():
    doc = _ledger()
    del doc["entries"][3]
    assert {"counts_match", "tree_size_matches", "root_matches", "signature_valid"} <= _failed(doc)


def test_a_duplicated_entry_is_caught_even_when_resigned():
    doc = _ledger()
    doc["entries"].insert(1, dict(doc["entries"][0]))
    doc["counts"][doc["entries"][0]["choice"]] += 1
    failed = _failed(_resign(doc))
    assert failed == {"no_duplicate_receipts"}
    assert any("appears 2 times" in p for p in verify_ledger(_resign(doc)).problems)


def test_an_unsorted_ledger_is_caught_even_when_resigned():
    doc = _ledger()
    doc["entries"][0], doc["entries"][1] = doc["entries"][1], doc["entries"][0]
    assert "sorted" in _failed(doc)
    assert _failed(_resign(doc)) == {"sorted"}


def test_an_unsorted_named_ledger_is_caught():
    entries = [{"choice": "yes", "voter": "王建国"}, {"choice": "no", "voter": "李秀英"}]
    doc = build_ledger("v", CLOSED_AT, OPTIONS, entries, KEY)
    doc["entries"].reverse()
    assert _failed(_resign(doc)) == {"sorted"}


def test_altered_counts_are_caught():
    doc = _ledger()
    doc["counts"]["yes"] += 1
    assert _failed(doc) == {"counts_match", "signature_valid"}
    assert _failed(_resign(doc)) == {"counts_match"}


def test_a_count_for_an_option_nobody_chose_must_be_zero():
    doc = _ledger()
    doc["counts"]["abstain"] = 1
    assert _failed(_resign(doc)) == {"counts_match"}


def test_an_altered_root_is_caught():
    doc = _ledger()
    doc["merkle_root"] = ("0" if doc["merkle_root"][0] != "0" else "1") + doc["merkle_root"][1:]
    assert _failed(doc) == {"root_matches", "signature_valid"}


def test_an_altered_tree_size_is_caught():
    doc = _ledger()
    doc["tree_size"] += 1
    assert _failed(doc) == {"tree_size_matches", "signature_valid"}


def test_an_altered_signature_is_caught():
    doc = _ledger()
    raw = bytearray(base64.b64decode(doc["signature"]))
    raw[10] ^= 1
    doc["signature"] = base64.b64encode(bytes(raw)).decode()
    assert _failed(doc) == {"signature_valid"}


def test_a_swapped_public_key_is_caught():
    doc = _ledger()
    doc["public_key"] = public_key_base64(OTHER_KEY)
    assert _failed(doc) == {"signature_valid"}


def test_a_ledger_resigned_by_another_key_fails_only_when_the_community_key_is_pinned():
    forged = _resign(_ledger(), OTHER_KEY)
    assert verify_ledger(forged).ok
    assert _failed(forged, expected_public_key=public_key_base64(KEY)) == {"key_trusted"}
    genuine = _ledger()
    for pinned in (
        public_key_base64(KEY),
        KEY.public_key(),
        base64.b64decode(public_key_base64(KEY)),
    ):
        check = verify_ledger(genuine, expected_public_key=pinned)
        assert check.ok
        assert check.checks()["key_trusted"] is True


def test_a_pinned_key_that_is_not_a_key_fails():
    assert "key_trusted" in _failed(_ledger(), expected_public_key="not a key")


@pytest.mark.parametrize(
    "extra", [{"voter": "张伟"}, {"cast_at": "2026-11-23T09:30:00Z"}, {"id": 3}]
)
def test_an_extra_key_in_an_entry_is_caught_even_when_resigned(extra):
    doc = _ledger()
    doc["entries"][2].update(extra)
    failed = _failed(_resign(doc))
    assert "well_formed" in failed
    assert any("entries[2] has keys" in p for p in verify_ledger(_resign(doc)).problems)


def test_an_extra_key_in_the_document_is_caught():
    doc = _ledger()
    doc["note"] = "x"
    assert "well_formed" in _failed(_resign(doc))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("vote_id", None),
        ("closed_at", "yesterday"),
        ("closed_at", "2026-13-01T00:00:00Z"),
        ("counts", {"yes": -1}),
        ("counts", {"yes": 1.0}),
        ("counts", {"yes": True}),
        ("tree_size", "7"),
        ("merkle_root", "ABC"),
        ("public_key", "!!!!"),
        ("signature", base64.b64encode(b"short").decode()),
        ("entries", {"0": {}}),
    ],
)
def test_malformed_fields_make_the_ledger_not_well_formed(field, value):
    doc = _ledger()
    doc[field] = value
    assert "well_formed" in _failed(doc)


def test_a_non_canonical_base64_spelling_is_not_well_formed():
    doc = _ledger()
    doc["public_key"] = doc["public_key"].rstrip("=")
    assert "well_formed" in _failed(doc)


@pytest.mark.parametrize(
    "document", [None, [], "ledger", 3, {}, {"entries": [1, "x", None]}, {"entries": [{}] * 20}]
)
def test_garbage_is_rejected_without_raising(document):
    check = verify_ledger(document)
    assert not check.ok
    assert not check.well_formed
    assert check.problems


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(field=st.sampled_from(sorted(_ledger())), value=json_values)
@settings(max_examples=100)
def test_any_replaced_field_is_caught_without_raising(field, value):
    doc = _ledger()
    if doc[field] == value:
        return
    doc[field] = value
    assert not verify_ledger(doc).ok


def test_a_lone_surrogate_is_refused_not_raised():
    doc = _ledger()
    doc["entries"][0]["choice"] = "\ud800"
    failed = _failed(doc)
    assert {"root_matches", "signature_valid"} <= failed


def test_many_problems_of_one_kind_are_summarised():
    doc = _ledger(["yes"] * 40)
    doc["entries"].reverse()
    problems = verify_ledger(doc).problems
    order = [p for p in problems if "not sorted" in p]
    assert len(order) == 5
    assert "… and 34 more like these" in problems


# ---------------------------------------------------------------- public view and receipts


def test_the_public_summary_of_a_named_vote_has_no_names():
    entries = [{"choice": "yes", "voter": "王建国"}, {"choice": "no", "voter": "李秀英"}]
    doc = build_ledger("v", CLOSED_AT, OPTIONS, entries, KEY)
    summary = public_summary(doc)
    assert tuple(summary) == PUBLIC_SUMMARY_KEYS
    assert summary["counts"] == {"yes": 1, "no": 1, "abstain": 0}
    assert summary["tree_size"] == 2
    assert summary["merkle_root"] == doc["merkle_root"]
    text = canonical_bytes(summary).decode()
    assert "王建国" not in text
    assert "李秀英" not in text
    assert "entries" not in summary


def test_a_voter_finds_their_receipt_hash_in_the_ledger():
    receipt = "AAAQEAYEAUDAOCAJBIFQYDIOB4"
    mine = {"choice": "no", "receipt_hash": receipt_hash(receipt)}
    doc = build_ledger("v", CLOSED_AT, OPTIONS, [*_secret_ballots(["yes"] * 6), mine], KEY)
    index = find_receipt(doc, hashlib.sha256(receipt.encode()).hexdigest())
    assert index is not None
    assert doc["entries"][index] == mine
    assert find_receipt(doc, _hash(999)) is None

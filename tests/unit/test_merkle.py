"""RFC 9162 Merkle trees: the published transparency-dev/merkle vectors, and properties."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consult.crypto.merkle import (
    EMPTY_ROOT,
    MerkleError,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

pytestmark = pytest.mark.unit

VECTORS = Path(__file__).parent / "vectors" / "merkle"


def _load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


CONSTANTS = _load("constants.json")
VERIFY_TEST = _load("verify_test.json")
INCLUSION_CASES = _load("inclusion.json")["cases"]
CONSISTENCY_CASES = _load("consistency.json")["cases"]

LEAVES = [bytes.fromhex(h) for h in CONSTANTS["leaf_inputs_hex"]]
ROOTS = [bytes.fromhex(h) for h in CONSTANTS["root_hashes_hex_by_size"]]
SOME_HASH = bytes.fromhex(VERIFY_TEST["some_hash_hex"])


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value is not None else b""


def _hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def _reference_root(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH written as the RFC states it, recursively."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    left, right = _reference_root(leaves[:k]), _reference_root(leaves[k:])
    return hashlib.sha256(b"\x01" + left + right).digest()


# ---------------------------------------------------------------- testonly/constants.go


def test_the_vectors_are_the_eight_published_leaves():
    assert CONSTANTS["leaf_inputs_hex"] == [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    assert CONSTANTS["root_hashes_hex_by_size"][8] == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


@pytest.mark.parametrize("size", range(9))
def test_root_of_the_first_leaves_matches_the_published_root(size):
    assert root(LEAVES[:size]) == ROOTS[size]
    assert MerkleTree(LEAVES[:size]).root == ROOTS[size]


def test_the_empty_tree_hashes_as_sha256_of_nothing():
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert EMPTY_ROOT.hex() == CONSTANTS["root_hashes_hex_by_size"][0]


def test_leaf_hashes_match_the_published_level_zero():
    assert [leaf_hash(leaf).hex() for leaf in LEAVES] == CONSTANTS["node_hashes_hex"][0]


@pytest.mark.parametrize("level", [1, 2, 3])
def test_node_hashes_match_the_published_complete_subtrees(level):
    below = [bytes.fromhex(h) for h in CONSTANTS["node_hashes_hex"][level - 1]]
    made = [node_hash(below[i], below[i + 1]).hex() for i in range(0, len(below), 2)]
    assert made == CONSTANTS["node_hashes_hex"][level]


def test_leaf_and_node_hashes_are_domain_separated():
    # The same 64 bytes hashed as a leaf and as two children must differ (RFC 9162 §2.1.1).
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert leaf_hash(a + b) != node_hash(a, b)


# ---------------------------------------------------------------- proof/verify_test.go


@pytest.mark.parametrize("case", VERIFY_TEST["inclusion_proofs"][1:], ids=str)
def test_inclusion_proofs_match_verify_test_go(case):
    index, size = case["leaf"] - 1, case["size"]  # the Go table counts leaves from 1
    proof = _hexes(case["proof_hex"])
    assert inclusion_proof(LEAVES[:size], index) == proof
    assert verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])


def test_the_zero_leaf_zero_size_row_of_verify_test_go_is_no_proof():
    case = VERIFY_TEST["inclusion_proofs"][0]
    assert (case["leaf"], case["size"]) == (0, 0)
    with pytest.raises(MerkleError):
        inclusion_proof([], 0)
    assert not verify_inclusion(SOME_HASH, 0, 0, [], EMPTY_ROOT)


@pytest.mark.parametrize("case", VERIFY_TEST["consistency_proofs"], ids=str)
def test_consistency_proofs_match_verify_test_go(case):
    old, new = case["size1"], case["size2"]
    proof = _hexes(case["proof_hex"])
    assert consistency_proof(LEAVES[:new], old) == proof
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_verify_inclusion_rejects_the_probes_of_verify_test_go(index, size):
    assert not verify_inclusion(SOME_HASH, index, size, [], b"")
    assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


def test_single_entry_inclusion_of_verify_test_go():
    h = leaf_hash(b"data")
    assert verify_inclusion(h, 0, 1, [], h)
    assert not verify_inclusion(b"", 0, 1, [], h)
    assert not verify_inclusion(h, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], b"")


def _table_value(name: str) -> bytes:
    return {
        "dc1": b"don't care 1",
        "dc2": b"don't care 2",
        "empty": bytes.fromhex(VERIFY_TEST["empty_tree_hash_hex"]),
    }[name]


@pytest.mark.parametrize("row", VERIFY_TEST["consistency_table"], ids=str)
def test_consistency_table_of_verify_test_go(row):
    proof = [] if row["proof"] == "proof1" else [bytes.fromhex(VERIFY_TEST["empty_tree_hash_hex"])]
    root1, root2 = _table_value(row["root1"]), _table_value(row["root2"])
    accepted = verify_consistency(row["size1"], row["size2"], root1, root2, proof)
    if row["wantErr"]:
        assert not accepted
    else:
        # Deliberately stricter than the Go table: its "don't care" roots are 12 bytes, and we
        # refuse any root that is not a 32-byte hash. With real hashes in their place, the same
        # sizes are consistent.
        assert not accepted
        assert len(root1) != 32
        if row["size1"] == row["size2"]:
            assert verify_consistency(row["size1"], row["size2"], SOME_HASH, SOME_HASH, proof)
        else:
            assert row["size1"] == 0
            assert verify_consistency(0, row["size2"], EMPTY_ROOT, SOME_HASH, proof)


# ---------------------------------------------------------------- testdata/**/*.json


@pytest.mark.parametrize("case", INCLUSION_CASES, ids=lambda c: c["source"])
def test_inclusion_testdata(case):
    accepted = verify_inclusion(
        _b64(case["leafHash"]),
        case["leafIdx"],
        case["treeSize"],
        [_b64(p) for p in case["proof"] or []],
        _b64(case["root"]),
    )
    assert accepted is not case["wantErr"]


@pytest.mark.parametrize("case", CONSISTENCY_CASES, ids=lambda c: c["source"])
def test_consistency_testdata(case):
    accepted = verify_consistency(
        case["size1"],
        case["size2"],
        _b64(case["root1"]),
        _b64(case["root2"]),
        [_b64(p) for p in case["proof"] or []],
    )
    assert accepted is not case["wantErr"]


def test_the_testdata_has_corrupted_cases_and_happy_paths():
    for cases in (INCLUSION_CASES, CONSISTENCY_CASES):
        happy = [c for c in cases if not c["wantErr"]]
        assert len(happy) == 5
        assert len(cases) - len(happy) >= 70


@pytest.mark.parametrize(
    "case", [c for c in INCLUSION_CASES if not c["wantErr"]], ids=lambda c: c["source"]
)
def test_our_inclusion_proofs_equal_the_testdata_happy_paths(case):
    size, index = case["treeSize"], case["leafIdx"]
    assert [base64.b64encode(p).decode() for p in inclusion_proof(LEAVES[:size], index)] == (
        case["proof"] or []
    )


@pytest.mark.parametrize(
    "case", [c for c in CONSISTENCY_CASES if not c["wantErr"]], ids=lambda c: c["source"]
)
def test_our_consistency_proofs_equal_the_testdata_happy_paths(case):
    proof = consistency_proof(LEAVES[: case["size2"]], case["size1"])
    assert [base64.b64encode(p).decode() for p in proof] == (case["proof"] or [])


# ---------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    "args",
    [
        ("index", -1),
        ("index", True),
        ("index", 1.0),
        ("size", -5),
        ("size", None),
        ("leaf", b"short"),
        ("leaf", "not bytes"),
        ("root", b"\x00" * 33),
        ("proof", [b"\x00" * 31, b"\x00" * 32]),
        ("proof", "abc"),
        ("proof", [None]),
    ],
    ids=str,
)
def test_verify_inclusion_refuses_malformed_input_without_raising(args):
    tree = MerkleTree(LEAVES)
    good: dict[str, Any] = {
        "leaf": tree.leaf_hash(2),
        "index": 2,
        "size": 8,
        "proof": tree.inclusion_proof(2),
        "root": tree.root,
    }
    assert verify_inclusion(good["leaf"], good["index"], good["size"], good["proof"], good["root"])
    good[args[0]] = args[1]
    assert not verify_inclusion(
        good["leaf"], good["index"], good["size"], good["proof"], good["root"]
    )


@pytest.mark.parametrize(
    "args",
    [
        ("old", -1),
        ("old", 9),
        ("new", 2),
        ("new", False),
        ("old_root", b""),
        ("new_root", "5dc9"),
        ("proof", [b"\x01" * 32] * 65),
        ("proof", None),
    ],
    ids=str,
)
def test_verify_consistency_refuses_malformed_input_without_raising(args):
    tree = MerkleTree(LEAVES)
    good: dict[str, Any] = {
        "old": 3,
        "new": 8,
        "old_root": ROOTS[3],
        "new_root": tree.root,
        "proof": tree.consistency_proof(3),
    }
    assert verify_consistency(
        good["old"], good["new"], good["old_root"], good["new_root"], good["proof"]
    )
    good[args[0]] = args[1]
    assert not verify_consistency(
        good["old"], good["new"], good["old_root"], good["new_root"], good["proof"]
    )


def test_consistency_from_the_empty_tree_needs_the_empty_root_and_no_proof():
    assert consistency_proof(LEAVES, 0) == []
    assert verify_consistency(0, 8, EMPTY_ROOT, ROOTS[8], [])
    assert not verify_consistency(0, 8, ROOTS[1], ROOTS[8], [])
    assert not verify_consistency(0, 8, EMPTY_ROOT, ROOTS[8], [ROOTS[8]])


@pytest.mark.parametrize(("index", "size"), [(-1, 3), (3, 3), (0, 0)])
def test_inclusion_proof_outside_the_tree_raises(index, size):
    with pytest.raises(MerkleError):
        inclusion_proof(LEAVES[:size], index)


@pytest.mark.parametrize("old_size", [-1, 9])
def test_consistency_proof_beyond_the_tree_raises(old_size):
    with pytest.raises(MerkleError):
        consistency_proof(LEAVES, old_size)


# ---------------------------------------------------------------- properties

leaf_lists = st.lists(st.binary(max_size=12), min_size=1, max_size=70)


@given(leaves=st.lists(st.binary(max_size=12), max_size=70))
def test_iterative_root_equals_the_recursive_definition(leaves):
    assert root(leaves) == _reference_root(leaves) == MerkleTree(leaves).root


@given(leaves=leaf_lists, data=st.data())
def test_every_inclusion_proof_verifies(leaves, data):
    index = data.draw(st.integers(0, len(leaves) - 1))
    tree = MerkleTree(leaves)
    proof = tree.inclusion_proof(index)
    assert verify_inclusion(leaf_hash(leaves[index]), index, len(leaves), proof, tree.root)
    assert proof == inclusion_proof(leaves, index)


@given(leaves=leaf_lists, data=st.data())
def test_every_consistency_proof_verifies(leaves, data):
    old_size = data.draw(st.integers(0, len(leaves)))
    proof = consistency_proof(leaves, old_size)
    assert verify_consistency(old_size, len(leaves), root(leaves[:old_size]), root(leaves), proof)


@given(leaves=leaf_lists, data=st.data())
def test_flipping_any_byte_of_an_inclusion_proof_or_root_fails(leaves, data):
    index = data.draw(st.integers(0, len(leaves) - 1))
    tree = MerkleTree(leaves)
    proof, good_root = tree.inclusion_proof(index), tree.root
    h = leaf_hash(leaves[index])
    flip = data.draw(st.integers(1, 255))
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        j = data.draw(st.integers(0, 31))
        bad = list(proof)
        bad[i] = bad[i][:j] + bytes([bad[i][j] ^ flip]) + bad[i][j + 1 :]
        assert not verify_inclusion(h, index, len(leaves), bad, good_root)
    j = data.draw(st.integers(0, 31))
    bad_root = good_root[:j] + bytes([good_root[j] ^ flip]) + good_root[j + 1 :]
    assert not verify_inclusion(h, index, len(leaves), proof, bad_root)


@given(leaves=st.lists(st.binary(max_size=12), min_size=2, max_size=70), data=st.data())
def test_flipping_any_byte_of_a_consistency_proof_or_root_fails(leaves, data):
    old_size = data.draw(st.integers(1, len(leaves) - 1))
    proof = consistency_proof(leaves, old_size)
    old_root, new_root = root(leaves[:old_size]), root(leaves)
    flip = data.draw(st.integers(1, 255))
    j = data.draw(st.integers(0, 31))
    i = data.draw(st.integers(0, len(proof) - 1))
    bad = list(proof)
    bad[i] = bad[i][:j] + bytes([bad[i][j] ^ flip]) + bad[i][j + 1 :]
    assert not verify_consistency(old_size, len(leaves), old_root, new_root, bad)
    for which in ("old", "new"):
        r = old_root if which == "old" else new_root
        r = r[:j] + bytes([r[j] ^ flip]) + r[j + 1 :]
        pair = (r, new_root) if which == "old" else (old_root, r)
        assert not verify_consistency(old_size, len(leaves), *pair, proof)


@settings(max_examples=50)
@given(
    leaves=st.lists(st.binary(max_size=12), min_size=2, max_size=70, unique=True), data=st.data()
)
def test_an_inclusion_proof_does_not_verify_for_another_leaf_or_index(leaves, data):
    index = data.draw(st.integers(0, len(leaves) - 1))
    tree = MerkleTree(leaves)
    proof = tree.inclusion_proof(index)
    other = data.draw(st.integers(0, len(leaves) - 1).filter(lambda i: i != index))
    assert not verify_inclusion(leaf_hash(leaves[other]), index, len(leaves), proof, tree.root)
    assert not verify_inclusion(leaf_hash(leaves[index]), other, len(leaves), proof, tree.root)


def test_a_tree_of_100000_leaves_is_built_in_linear_time():
    leaves = [i.to_bytes(4, "big") for i in range(100_000)]
    tree = MerkleTree(leaves)
    assert tree.root == root(leaves)
    for index in (0, 1, 65_535, 65_536, 99_999):
        proof = tree.inclusion_proof(index)
        assert len(proof) <= 17
        assert verify_inclusion(tree.leaf_hash(index), index, 100_000, proof, tree.root)
    proof = tree.consistency_proof(70_001)
    assert verify_consistency(70_001, 100_000, root(leaves[:70_001]), tree.root, proof)

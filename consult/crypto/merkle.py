"""RFC 9162 §2.1 Merkle trees: the tree hash, inclusion proofs and consistency proofs.

Hashing (RFC 9162 §2.1.1): a leaf hashes as SHA-256(0x00 || data), an inner node as
SHA-256(0x01 || left || right), a tree of n > 1 leaves splits at the largest power of two
smaller than n, and the empty tree hashes as SHA-256("").

Conventions:
- Generating a proof (`inclusion_proof`, `consistency_proof`, `MerkleTree`) from arguments that
  make no sense (an index outside the tree, an old size larger than the tree) raises
  `MerkleError`, a `ValueError`.
- Verifying (`verify_inclusion`, `verify_consistency`) never raises: anything that does not
  prove the claim returns False — a wrong hash, and equally malformed input such as a hash that
  is not 32 bytes, an index not below the size, a negative size or a proof of the wrong length.

The tree is built bottom up in O(n) hashes: pairing neighbours level by level and carrying an
unpaired last node up unchanged gives exactly the RFC's left-balanced tree, so node j of level L
is the hash of leaves [j·2^L, min((j+1)·2^L, n)).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class MerkleError(ValueError):
    """A proof was asked for with arguments outside the tree."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 §2.1.1: SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


class MerkleTree:
    """A tree over fixed leaves, built once, answering root and proof queries.

    Keeps every level (about 2n hashes), so many proofs over one tree — one per ballot of a
    large vote — cost O(log n) each after the O(n) build.
    """

    def __init__(self, leaves: Iterable[bytes]) -> None:
        self._levels: list[list[bytes]] = [_leaf_hashes(leaves)]
        while len(self._levels[-1]) > 1:
            self._levels.append(_level_above(self._levels[-1]))

    @property
    def size(self) -> int:
        return len(self._levels[0])

    @property
    def root(self) -> bytes:
        """RFC 9162 §2.1.1 MTH(D[n])."""
        return self._levels[-1][0] if self.size else EMPTY_ROOT

    def leaf_hash(self, index: int) -> bytes:
        self._check_index(index)
        return self._levels[0][index]

    def inclusion_proof(self, index: int) -> list[bytes]:
        """RFC 9162 §2.1.3.1 PATH(index, D[n]), lowest level first."""
        self._check_index(index)
        proof: list[bytes] = []
        position = index
        for level in self._levels[:-1]:
            sibling = position ^ 1
            if sibling < len(level):
                proof.append(level[sibling])
            # else: this node was carried up unchanged and has no sibling at this level
            position >>= 1
        return proof

    def consistency_proof(self, old_size: int) -> list[bytes]:
        """RFC 9162 §2.1.4.1 PROOF(old_size, D[n]); empty when old_size is 0 or n."""
        if not _is_size(old_size) or old_size > self.size:
            raise MerkleError(f"old size {old_size!r} is not between 0 and {self.size}")
        if old_size in (0, self.size):
            return []
        proof: list[bytes] = []
        self._subproof(old_size, 0, self.size, True, proof)
        return proof

    def _subproof(self, m: int, start: int, end: int, complete: bool, out: list[bytes]) -> None:
        # RFC 9162 §2.1.4.1 SUBPROOF(m, D[start:end], b). The recursion is O(log n) deep and
        # each subtree hash it needs is one node of a stored level.
        n = end - start
        if m == n:
            if not complete:
                out.append(self._subtree_hash(start, end))
            return
        k = _split(n)
        if m <= k:
            self._subproof(m, start, start + k, complete, out)
            out.append(self._subtree_hash(start + k, end))
        else:
            self._subproof(m - k, start + k, end, False, out)
            out.append(self._subtree_hash(start, start + k))

    def _subtree_hash(self, start: int, end: int) -> bytes:
        # Every range the proofs ask for starts at a multiple of 2^level and ends either at
        # start + 2^level or at the right edge of the tree: exactly one stored node.
        level = (end - start - 1).bit_length()
        return self._levels[level][start >> level]

    def _check_index(self, index: int) -> None:
        if not _is_size(index) or index >= self.size:
            raise MerkleError(f"leaf index {index!r} is outside a tree of {self.size} leaves")


def root(leaves: Iterable[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH over the leaves (raw leaf data, not leaf hashes)."""
    level = _leaf_hashes(leaves)
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        level = _level_above(level)
    return level[0]


# A million-ballot ledger hashes two million times: these loops call hashlib directly rather
# than through leaf_hash and node_hash (the same hashes, a good part of the time saved).


def _leaf_hashes(leaves: Iterable[bytes]) -> list[bytes]:
    sha256 = hashlib.sha256
    prefix = _LEAF_PREFIX
    return [
        sha256(prefix + (leaf if type(leaf) is bytes else bytes(leaf))).digest() for leaf in leaves
    ]


def _level_above(level: list[bytes]) -> list[bytes]:
    """Neighbours paired, left to right; an unpaired last node moves up unchanged."""
    sha256 = hashlib.sha256
    prefix = _NODE_PREFIX
    paired = len(level) - len(level) % 2
    lefts, rights = level[0:paired:2], level[1:paired:2]
    above = [
        sha256(prefix + left + right).digest() for left, right in zip(lefts, rights, strict=True)
    ]
    if paired < len(level):
        above.append(level[-1])
    return above


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1: the audit path of leaf `index`. Raises MerkleError if out of range."""
    return MerkleTree(leaves).inclusion_proof(index)


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1: proves the first `old_size` leaves are a prefix of `leaves`."""
    return MerkleTree(leaves).consistency_proof(old_size)


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` show the leaf hash at `index` in the tree `root`?"""
    if not (_is_size(index) and _is_size(size) and index < size):
        return False
    if not (_is_hash(leaf_hash) and _is_hash(root) and _is_proof(proof)):
        return False
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return False  # the proof is longer than the path
        if fn & 1 or fn == sn:
            r = node_hash(bytes(p), r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, bytes(p))
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(r, bytes(root))


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree `old_root` of `old_size` leaves a prefix of `new_root`?

    Beyond the RFC (which defines proofs for 0 < old_size < new_size): equal sizes are
    consistent with an empty proof and equal roots; the empty tree (whose root can only be
    SHA-256("")) is a prefix of every tree, with an empty proof.
    """
    if not (_is_size(old_size) and _is_size(new_size) and old_size <= new_size):
        return False
    if not (_is_hash(old_root) and _is_hash(new_root) and _is_proof(proof)):
        return False
    old_root, new_root = bytes(old_root), bytes(new_root)
    if old_size == new_size:
        return not proof and hmac.compare_digest(old_root, new_root)
    if old_size == 0:
        return not proof and hmac.compare_digest(old_root, EMPTY_ROOT)
    if not proof:
        return False
    path = [bytes(p) for p in proof]
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a subtree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def _is_proof(proof: object) -> bool:
    return isinstance(proof, list | tuple) and all(_is_hash(p) for p in proof)

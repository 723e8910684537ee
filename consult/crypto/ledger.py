"""The signed ballot ledger of a closed vote (VOTING.md "The ledger", INTERFACES.md §5).

    {"vote_id": "...", "closed_at": "2026-11-23T10:00:00Z",
     "entries": [{"choice": "yes", "receipt_hash": "<64 hex>"}, ...],
     "counts": {"yes": 12, "no": 3, "abstain": 1},
     "tree_size": 16, "merkle_root": "<64 hex>",
     "public_key": "<base64 of the raw 32-byte Ed25519 key>", "signature": "<base64>"}

- A secret vote's entries have exactly `choice` and `receipt_hash` (lowercase hex SHA-256 of the
  receipt), sorted by `receipt_hash`. An open (named) vote's entries have exactly `choice` and
  `voter`, sorted by `voter` and, between namesakes, by `choice`. Strings compare by Unicode
  code point, which is also the order of their UTF-8 bytes.
- `counts` has every option of the vote, those nobody chose with 0.
- Leaf i is the canonical JSON (`consult.crypto.canonical`) of entries[i]; `merkle_root` is the
  RFC 9162 tree hash over the leaves (`consult.crypto.merkle`), lowercase hex; `tree_size` is the
  number of entries.
- `signature` is Ed25519 by the community key over the canonical JSON of the whole document
  without `signature`; `public_key` and `signature` are standard base64 with padding.

`build_ledger` raises `LedgerError` (a ValueError) for ballots that cannot make a ledger.
`verify_ledger` never raises for bad input: it returns a `LedgerCheck` naming every check and
every problem found, so a verifier can print why a ledger fails.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from consult.crypto.canonical import canonical_bytes
from consult.crypto.merkle import root


class LedgerKind(StrEnum):
    """A secret vote's ledger lists receipt hashes; an open vote's names the voters."""

    SECRET = "secret"  # noqa: S105 - a kind of vote, not a password
    OPEN = "open"


SECRET, OPEN = LedgerKind.SECRET, LedgerKind.OPEN
SECRET_ENTRY_KEYS = frozenset({"choice", "receipt_hash"})
OPEN_ENTRY_KEYS = frozenset({"choice", "voter"})
DOCUMENT_KEYS = frozenset(
    {
        "vote_id",
        "closed_at",
        "entries",
        "counts",
        "tree_size",
        "merkle_root",
        "public_key",
        "signature",
    }
)
# What the public sees of a named vote (VOTING.md): the outcome and the tree, not who voted how.
PUBLIC_SUMMARY_KEYS = ("vote_id", "closed_at", "counts", "tree_size", "merkle_root", "public_key")

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
_HEX_HASH = re.compile(r"[0-9a-f]{64}")
_UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")
_MAX_LISTED = 5  # problems of one kind listed before "and N more"


class LedgerError(ValueError):
    """Ballots, options or times that cannot make a ledger."""


@dataclass(frozen=True)
class LedgerCheck:
    """What `verify_ledger` found: one flag per check, and the problems in words."""

    well_formed: bool
    sorted: bool
    no_duplicate_receipts: bool
    counts_match: bool
    tree_size_matches: bool
    root_matches: bool
    signature_valid: bool
    key_trusted: bool | None = None  # None: no expected community key was given
    kind: LedgerKind | None = None  # None when it cannot be told (no entries, or mixed)
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(self.checks().values())

    def checks(self) -> dict[str, bool]:
        result = {
            "well_formed": self.well_formed,
            "sorted": self.sorted,
            "no_duplicate_receipts": self.no_duplicate_receipts,
            "counts_match": self.counts_match,
            "tree_size_matches": self.tree_size_matches,
            "root_matches": self.root_matches,
            "signature_valid": self.signature_valid,
        }
        if self.key_trusted is not None:
            result["key_trusted"] = self.key_trusted
        return result


# ---------------------------------------------------------------- building


def build_ledger(
    vote_id: str | int,
    closed_at: datetime | str,
    options: Sequence[str],
    entries: Iterable[Mapping[str, str]],
    private_key: Ed25519PrivateKey,
) -> dict[str, Any]:
    """The signed ledger of a closed vote; the same ballots in any order give the same bytes.

    `entries` are `{"choice", "receipt_hash"}` (secret vote) or `{"choice", "voter"}` (open
    vote), nothing else; `options` are the vote's options in any order, each counted even if
    nobody chose it. `closed_at` is an aware datetime (written in UTC to the second) or an
    RFC 3339 UTC string ending in Z.
    """
    if not _is_vote_id(vote_id):
        raise LedgerError("vote_id must be a non-empty string or an integer")
    option_list = list(options)
    if not all(isinstance(o, str) and o for o in option_list):
        raise LedgerError("every option must be a non-empty string")
    if len(set(option_list)) != len(option_list):
        raise LedgerError("options must not repeat")
    rows = [_entry_for_ledger(i, entry, option_list) for i, entry in enumerate(entries)]
    kinds = {_kind_of(row) for row in rows}
    if len(kinds) > 1:
        raise LedgerError("a ledger holds either secret or open ballots, not both")
    if SECRET in kinds:
        repeated = [h for h, n in Counter(r["receipt_hash"] for r in rows).items() if n > 1]
        if repeated:
            raise LedgerError(f"receipt hash {repeated[0]} appears more than once")
    rows.sort(key=_sort_key)
    counts = dict.fromkeys(option_list, 0)
    for row in rows:
        counts[row["choice"]] += 1
    document: dict[str, Any] = {
        "vote_id": vote_id,
        "closed_at": _utc_text(closed_at),
        "entries": rows,
        "counts": counts,
        "tree_size": len(rows),
        "merkle_root": root(ledger_leaves(rows)).hex(),
        "public_key": public_key_base64(private_key),
    }
    signature = private_key.sign(canonical_bytes(document))
    document["signature"] = base64.b64encode(signature).decode("ascii")
    return document


def ledger_leaves(entries: Iterable[Any]) -> list[bytes]:
    """Leaf i of the tree: the canonical JSON bytes of entries[i]."""
    return [canonical_bytes(entry) for entry in entries]


def ledger_bytes(document: Mapping[str, Any]) -> bytes:
    """The canonical JSON of a whole ledger, as published."""
    return canonical_bytes(document)


def signed_bytes(document: Mapping[str, Any]) -> bytes:
    """What the signature covers: the canonical JSON of the document without `signature`."""
    return canonical_bytes({k: v for k, v in document.items() if k != "signature"})


def public_key_base64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Standard base64 of the raw 32-byte Ed25519 public key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_summary(document: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a named vote's ledger the public may see: counts, tree size and root.

    Without the entries nobody can check the signature, so it is left out with them. Note that
    for a small body whose members are known, counts and root together allow guessing who voted
    how by trying every assignment; the root of a named vote is a commitment, not a secret.
    """
    return {key: document[key] for key in PUBLIC_SUMMARY_KEYS}


def find_receipt(document: Mapping[str, Any], receipt_hash: str) -> int | None:
    """The index of the entry with this receipt hash in a secret ledger, or None."""
    entries = document.get("entries")
    if not isinstance(entries, list):
        return None
    for index, entry in enumerate(entries):
        if isinstance(entry, Mapping) and entry.get("receipt_hash") == receipt_hash:
            return index
    return None


def _entry_for_ledger(index: int, entry: Mapping[str, str], options: list[str]) -> dict[str, str]:
    if not isinstance(entry, Mapping):
        raise LedgerError(f"ballot {index} is not a mapping")
    keys = set(entry)
    if keys not in (SECRET_ENTRY_KEYS, OPEN_ENTRY_KEYS):
        raise LedgerError(
            f"ballot {index} has keys {sorted(keys)}; a ledger entry has exactly "
            "choice and receipt_hash (secret vote) or choice and voter (open vote)"
        )
    row = {key: entry[key] for key in keys}
    if row["choice"] not in options:
        raise LedgerError(f"ballot {index} chose {row['choice']!r}, which is not an option")
    if "receipt_hash" in row and not _is_hex_hash(row["receipt_hash"]):
        raise LedgerError(f"ballot {index}: receipt_hash is not 64 lowercase hex digits")
    if "voter" in row and not (isinstance(row["voter"], str) and row["voter"]):
        raise LedgerError(f"ballot {index}: voter must be a non-empty string")
    return row


def _utc_text(closed_at: datetime | str) -> str:
    if isinstance(closed_at, datetime):
        if closed_at.tzinfo is None or closed_at.utcoffset() is None:
            raise LedgerError("closed_at must be timezone-aware")
        return closed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(closed_at, str) and _is_utc_time(closed_at):
        return closed_at
    raise LedgerError("closed_at must be an aware datetime or a UTC time like 2026-11-23T10:00:00Z")


# ---------------------------------------------------------------- verifying


def verify_ledger(
    document: object, expected_public_key: str | bytes | Ed25519PublicKey | None = None
) -> LedgerCheck:
    """Check a published ledger offline: shape, order, counts, tree and signature.

    `expected_public_key` (base64 text, the raw 32 bytes, or a key) pins the community key: a
    ledger signed by any other key then fails `key_trusted`, even if its signature is valid.
    """
    problems = _Problems()
    if not isinstance(document, Mapping):
        problems.add("shape", "the ledger is not a JSON object")
        return LedgerCheck(
            well_formed=False,
            sorted=False,
            no_duplicate_receipts=False,
            counts_match=False,
            tree_size_matches=False,
            root_matches=False,
            signature_valid=False,
            key_trusted=None if expected_public_key is None else False,
            problems=problems.lines(),
        )
    entries = document.get("entries")
    entry_list = entries if isinstance(entries, list) else None
    kind = _check_shape(document, entry_list, problems)
    well_formed = not problems.has("shape")

    return LedgerCheck(
        well_formed=well_formed,
        sorted=_check_order(entry_list, kind, problems),
        no_duplicate_receipts=_check_duplicates(entry_list, problems),
        counts_match=_check_counts(document.get("counts"), entry_list, problems),
        tree_size_matches=_check_tree_size(document.get("tree_size"), entry_list, problems),
        root_matches=_check_root(document.get("merkle_root"), entry_list, problems),
        signature_valid=_check_signature(document, problems),
        key_trusted=_check_key(document.get("public_key"), expected_public_key, problems),
        kind=kind,
        problems=problems.lines(),
    )


class _Problems:
    """Problems in the order found; past a few of one kind, a count stands for the rest."""

    def __init__(self) -> None:
        self._items: list[tuple[str, str | tuple[str, str]]] = []
        self._seen: Counter[tuple[str, str]] = Counter()

    def add(self, topic: str, message: str, group: str | None = None) -> None:
        key = (topic, group or message)
        self._seen[key] += 1
        if group is None or self._seen[key] <= _MAX_LISTED:
            self._items.append((topic, message))
        elif self._seen[key] == _MAX_LISTED + 1:
            self._items.append((topic, key))  # where "… and N more" goes

    def has(self, topic: str) -> bool:
        return any(t == topic for t, _ in self._items)

    def lines(self) -> tuple[str, ...]:
        return tuple(
            item
            if isinstance(item, str)
            else f"… and {self._seen[item] - _MAX_LISTED} more like these"
            for _, item in self._items
        )


def _check_shape(
    document: Mapping[str, Any], entries: list[Any] | None, problems: _Problems
) -> LedgerKind | None:
    keys = set(document)
    for key in sorted(DOCUMENT_KEYS - keys):
        problems.add("shape", f"{key} is missing")
    for key in sorted(str(k) for k in keys - DOCUMENT_KEYS):
        problems.add("shape", f"unexpected key {key!r} in the ledger")
    if "vote_id" in keys and not _is_vote_id(document["vote_id"]):
        problems.add("shape", "vote_id is not a non-empty string or an integer")
    if "closed_at" in keys and not _is_utc_time(document["closed_at"]):
        problems.add("shape", "closed_at is not a UTC time like 2026-11-23T10:00:00Z")
    counts = document.get("counts")
    if "counts" in keys and not (
        isinstance(counts, Mapping)
        and all(isinstance(k, str) and k and _is_count(v) for k, v in counts.items())
    ):
        problems.add("shape", "counts is not an object of options to whole numbers")
    if "tree_size" in keys and not _is_count(document["tree_size"]):
        problems.add("shape", "tree_size is not a whole number")
    if "merkle_root" in keys and not _is_hex_hash(document["merkle_root"]):
        problems.add("shape", "merkle_root is not 64 lowercase hex digits")
    if "public_key" in keys and _decode_b64(document["public_key"], PUBLIC_KEY_SIZE) is None:
        problems.add("shape", "public_key is not base64 of 32 bytes")
    if "signature" in keys and _decode_b64(document["signature"], SIGNATURE_SIZE) is None:
        problems.add("shape", "signature is not base64 of 64 bytes")
    if "entries" in keys and entries is None:
        problems.add("shape", "entries is not a list")
    return _check_entries(entries or [], problems)


def _check_entries(entries: list[Any], problems: _Problems) -> LedgerKind | None:
    kinds: Counter[LedgerKind] = Counter()
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            problems.add("shape", f"entries[{i}] is not an object", group="not-object")
            continue
        keys = {str(k) for k in entry}
        if keys == SECRET_ENTRY_KEYS:
            kinds[SECRET] += 1
        elif keys == OPEN_ENTRY_KEYS:
            kinds[OPEN] += 1
        else:
            problems.add(
                "shape",
                f"entries[{i}] has keys {sorted(keys)}; an entry has exactly choice and "
                "receipt_hash (secret vote) or choice and voter (open vote)",
                group="keys",
            )
            continue
        if not (isinstance(entry["choice"], str) and entry["choice"]):
            problems.add("shape", f"entries[{i}].choice is not a non-empty string", group="choice")
        if "receipt_hash" in keys and not _is_hex_hash(entry["receipt_hash"]):
            problems.add(
                "shape",
                f"entries[{i}].receipt_hash is not 64 lowercase hex digits",
                group="receipt_hash",
            )
        if "voter" in keys and not (isinstance(entry["voter"], str) and entry["voter"]):
            problems.add("shape", f"entries[{i}].voter is not a non-empty string", group="voter")
    if len(kinds) > 1:
        problems.add(
            "shape",
            f"entries mix {kinds[SECRET]} secret and {kinds[OPEN]} open ballots",
        )
        return None
    return next(iter(kinds), None)


def _check_order(entries: list[Any] | None, kind: LedgerKind | None, problems: _Problems) -> bool:
    if entries is None:
        return False
    if not entries:
        return True
    if kind is None:
        return False
    keys = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            return False
        key = _sort_key(entry)
        if not all(isinstance(part, str) for part in key):
            return False
        keys.append(key)
    order = "receipt_hash" if kind == SECRET else "voter (then choice)"
    in_order = True
    for i in range(1, len(keys)):
        if keys[i - 1] > keys[i]:
            in_order = False
            problems.add(
                "order",
                f"entries are not sorted by {order}: entries[{i - 1}] comes after entries[{i}]",
                group="order",
            )
    return in_order


def _check_duplicates(entries: list[Any] | None, problems: _Problems) -> bool:
    # Namesakes may both vote in an open vote, so only receipt hashes must be unique.
    if entries is None:
        return False
    seen = Counter(
        str(e["receipt_hash"]) for e in entries if isinstance(e, Mapping) and "receipt_hash" in e
    )
    repeated = [(h, n) for h, n in seen.items() if n > 1]
    for receipt, times in repeated:
        problems.add(
            "duplicates", f"receipt hash {receipt} appears {times} times", group="duplicate"
        )
    return not repeated


def _check_counts(counts: object, entries: list[Any] | None, problems: _Problems) -> bool:
    # A malformed counts or entry is already reported as a shape problem.
    if entries is None or not isinstance(counts, Mapping):
        return False
    chosen: Counter[Any] = Counter(
        e["choice"] for e in entries if isinstance(e, Mapping) and "choice" in e
    )
    if sum(chosen.values()) != len(entries):
        return False
    match = True
    for choice, n in sorted(chosen.items(), key=lambda item: str(item[0])):
        if not isinstance(choice, str) or counts.get(choice) != n:
            match = False
            problems.add(
                "counts",
                f"counts[{choice!r}] is {counts.get(choice) if isinstance(choice, str) else None}"
                f" but {n} entries chose it",
                group="count",
            )
    for option, n in counts.items():
        if option not in chosen and n != 0:
            match = False
            problems.add(
                "counts", f"counts[{option!r}] is {n} but no entry chose it", group="count"
            )
    return match


def _check_tree_size(tree_size: object, entries: list[Any] | None, problems: _Problems) -> bool:
    if entries is None or not _is_count(tree_size):
        return False
    if tree_size != len(entries):
        problems.add("tree_size", f"tree_size is {tree_size} but there are {len(entries)} entries")
        return False
    return True


def _check_root(merkle_root: object, entries: list[Any] | None, problems: _Problems) -> bool:
    if entries is None or not _is_hex_hash(merkle_root):
        return False
    try:
        recomputed = root(ledger_leaves(entries)).hex()
    except (ValueError, TypeError, RecursionError):
        problems.add("root", "the entries cannot be written as canonical JSON")
        return False
    if recomputed != merkle_root:
        problems.add("root", f"merkle_root does not match the entries (recomputed {recomputed})")
        return False
    return True


def _check_signature(document: Mapping[str, Any], problems: _Problems) -> bool:
    raw_key = _decode_b64(document.get("public_key"), PUBLIC_KEY_SIZE)
    signature = _decode_b64(document.get("signature"), SIGNATURE_SIZE)
    if raw_key is None or signature is None:
        problems.add(
            "signature", "the signature cannot be checked without public_key and signature"
        )
        return False
    try:
        message = signed_bytes(document)
    except (ValueError, TypeError, RecursionError):
        problems.add("signature", "the ledger cannot be written as canonical JSON")
        return False
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        problems.add("signature", "the signature does not verify with public_key")
        return False
    return True


def _check_key(
    public_key: object,
    expected: str | bytes | Ed25519PublicKey | None,
    problems: _Problems,
) -> bool | None:
    if expected is None:
        return None
    if isinstance(expected, Ed25519PublicKey):
        wanted: bytes | None = expected.public_bytes(Encoding.Raw, PublicFormat.Raw)
    elif isinstance(expected, bytes):
        wanted = expected if len(expected) == PUBLIC_KEY_SIZE else None
    else:
        wanted = _decode_b64(expected.strip(), PUBLIC_KEY_SIZE)
    if wanted is None:
        problems.add("key", "the expected community key is not base64 of 32 bytes")
        return False
    actual = _decode_b64(public_key, PUBLIC_KEY_SIZE)
    if actual is None or not hmac.compare_digest(actual, wanted):
        problems.add("key", "public_key is not the expected community key")
        return False
    return True


# ---------------------------------------------------------------- small predicates


def _kind_of(entry: Mapping[str, Any]) -> LedgerKind:
    return SECRET if "receipt_hash" in entry else OPEN


def _sort_key(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    if "receipt_hash" in entry:
        return (entry.get("receipt_hash"),)
    return (entry.get("voter"), entry.get("choice"))


def _is_vote_id(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and bool(value))


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hex_hash(value: object) -> bool:
    return isinstance(value, str) and _HEX_HASH.fullmatch(value) is not None


def _is_utc_time(value: object) -> bool:
    if not (isinstance(value, str) and _UTC_TIME.fullmatch(value)):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _decode_b64(value: object, size: int) -> bytes | None:
    """Strict standard base64 of exactly `size` bytes, in its one canonical spelling."""
    if not isinstance(value, str) or not value.isascii():
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != size or base64.b64encode(raw).decode("ascii") != value:
        return None
    return raw

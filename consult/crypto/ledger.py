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
from itertools import islice
from json.encoder import encode_basestring
from operator import itemgetter, le
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
    built = _build(vote_id, closed_at, options, entries, private_key)
    field = "receipt_hash" if built.kind is SECRET else "voter"
    return {
        "vote_id": built.vote_id,
        "closed_at": built.closed_at,
        "entries": [{"choice": choice, field: key} for choice, key in built.rows],
        "counts": built.counts,
        "tree_size": len(built.rows),
        "merkle_root": built.merkle_root,
        "public_key": built.public_key,
        "signature": built.signature,
    }


@dataclass(frozen=True)
class SignedLedger:
    """A ledger built straight to its published text (what a vote stores at close).

    `text` is the canonical JSON of the whole signed document — exactly
    `ledger_bytes(build_ledger(...))` decoded — made without a dict per ballot or a second
    serialisation: for a million ballots that is most of the work saved."""

    text: str
    merkle_root: str
    tree_size: int
    counts: dict[str, int]


def build_ledger_text(
    vote_id: str | int,
    closed_at: datetime | str,
    options: Sequence[str],
    ballots: Iterable[Mapping[str, str]] | Iterable[tuple[str, str]],
    private_key: Ed25519PrivateKey,
    *,
    kind: LedgerKind | None = None,
) -> SignedLedger:
    """build_ledger, returned as the canonical JSON text (same checks, same errors).

    `ballots` are entries as build_ledger takes them or, when `kind` is given, pairs as a
    database returns them — (choice, receipt_hash) for SECRET, (choice, voter) for OPEN —
    so that a million ballots need not become a million dicts first."""
    built = _build(vote_id, closed_at, options, ballots, private_key, kind)
    return SignedLedger(
        text=built.text(),
        merkle_root=built.merkle_root,
        tree_size=len(built.rows),
        counts=built.counts,
    )


def ledger_leaves(entries: Iterable[Any]) -> list[bytes]:
    """Leaf i of the tree: the canonical JSON bytes of entries[i].

    An entry that is a plain dict of two strings under the keys of a ledger entry is written
    directly (the same bytes canonical_json gives, without its general machinery); anything
    else goes through canonical_bytes, errors included."""
    leaves: list[bytes] = []
    add = leaves.append
    encode = _encode_string
    for entry in entries:
        if type(entry) is dict and len(entry) == 2:
            choice = entry.get("choice")
            if type(choice) is str:
                digest = entry.get("receipt_hash")
                if type(digest) is str:
                    add(f'{{"choice":{encode(choice)},"receipt_hash":{encode(digest)}}}'.encode())
                    continue
                voter = entry.get("voter")
                if type(voter) is str:
                    add(f'{{"choice":{encode(choice)},"voter":{encode(voter)}}}'.encode())
                    continue
        add(canonical_bytes(entry))
    return leaves


# A string as canonical JSON writes it (ensure_ascii=False: what json.dumps calls for str).
_encode_string = encode_basestring
_HEX_DIGITS = b"0123456789abcdef"


def _leaves_of(
    kind: LedgerKind | None, rows: Iterable[tuple[str, str]], choices: Iterable[str]
) -> list[bytes]:
    """The leaves of well-formed (choice, receipt_hash or voter) rows — strings, hashes in
    lowercase hex, every choice among `choices` — written directly, byte for byte
    canonical_bytes({"choice": …, "receipt_hash" or "voter": …})."""
    encode = _encode_string
    if kind is SECRET:
        before = {c: f'{{"choice":{encode(c)},"receipt_hash":"' for c in choices}
        return [(before[choice] + digest + '"}').encode() for choice, digest in rows]
    before = {c: f'{{"choice":{encode(c)},"voter":' for c in choices}
    return [(before[choice] + encode(voter) + "}").encode() for choice, voter in rows]


@dataclass(frozen=True)
class _Built:
    """A ledger's parts: rows are (choice, receipt_hash or voter), sorted as published; `head`
    and `tail` are the canonical JSON around the entries, `tail` split where the signature
    goes (keys sorted: … public_key, signature, tree_size, vote_id)."""

    kind: LedgerKind | None
    vote_id: str | int
    closed_at: str
    rows: list[tuple[str, str]]
    counts: dict[str, int]
    merkle_root: str
    public_key: str
    signature: str
    entries: bytes  # the entries' canonical JSON, comma-separated: the leaves joined
    head: bytes
    tail: tuple[bytes, bytes]

    def text(self) -> str:
        signature = b',"signature":' + canonical_bytes(self.signature)
        parts = (self.head, self.entries, self.tail[0], signature, self.tail[1])
        return b"".join(parts).decode("utf-8")


def _build(
    vote_id: str | int,
    closed_at: datetime | str,
    options: Sequence[str],
    ballots: Iterable[Any],
    private_key: Ed25519PrivateKey,
    pairs_of: LedgerKind | None = None,
) -> _Built:
    if not _is_vote_id(vote_id):
        raise LedgerError("vote_id must be a non-empty string or an integer")
    option_list = list(options)
    if not all(isinstance(o, str) and o for o in option_list):
        raise LedgerError("every option must be a non-empty string")
    if len(set(option_list)) != len(option_list):
        raise LedgerError("options must not repeat")
    if pairs_of is None:
        kind, rows = _ledger_rows(list(ballots), option_list)
    else:
        kind, rows = _pair_rows(list(ballots), LedgerKind(pairs_of), option_list)
    if kind is SECRET:
        if len(set(map(itemgetter(1), rows))) != len(rows):
            repeated = [h for h, n in Counter(map(itemgetter(1), rows)).items() if n > 1]
            raise LedgerError(f"receipt hash {repeated[0]} appears more than once")
        rows.sort(key=itemgetter(1))  # receipt hashes are unique: the order is total
    else:
        rows.sort(key=itemgetter(1, 0))  # by voter, then choice between namesakes
    counts = dict.fromkeys(option_list, 0)
    for choice, n in Counter(map(itemgetter(0), rows)).items():
        counts[choice] += n
    leaves = _leaves_of(kind, rows, option_list)
    merkle_root = root(leaves).hex()
    closed_text = _utc_text(closed_at)
    public_key = public_key_base64(private_key)
    joined = b",".join(leaves)
    del leaves
    head = b'{"closed_at":%b,"counts":%b,"entries":[' % (
        canonical_bytes(closed_text),
        canonical_bytes(counts),
    )
    tail = (
        b'],"merkle_root":%b,"public_key":%b'
        % (
            canonical_bytes(merkle_root),
            canonical_bytes(public_key),
        ),
        b',"tree_size":%d,"vote_id":%b}' % (len(rows), canonical_bytes(vote_id)),
    )
    # The signature covers the canonical JSON of the document without `signature`.
    signature = private_key.sign(b"".join((head, joined, *tail)))
    return _Built(
        kind=kind,
        vote_id=vote_id,
        closed_at=closed_text,
        rows=rows,
        counts=counts,
        merkle_root=merkle_root,
        public_key=public_key,
        signature=base64.b64encode(signature).decode("ascii"),
        entries=joined,
        head=head,
        tail=tail,
    )


def _ledger_rows(
    entries: list[Any], options: list[str]
) -> tuple[LedgerKind | None, list[tuple[str, str]]]:
    """The ballots as (receipt_hash or voter, choice), checked; unsorted."""
    quick = _plain_rows(entries, frozenset(options))
    if quick is not None:
        return quick
    # Something is unusual (or wrong): check entry by entry, naming the first bad one.
    rows = [_entry_for_ledger(i, entry, options) for i, entry in enumerate(entries)]
    kinds = {_kind_of(row) for row in rows}
    if len(kinds) > 1:
        raise LedgerError("a ledger holds either secret or open ballots, not both")
    kind = next(iter(kinds), None)
    field = "receipt_hash" if kind is SECRET else "voter"
    return kind, [(row["choice"], row[field]) for row in rows]


def _pair_rows(
    pairs: list[Any], kind: LedgerKind, options: list[str]
) -> tuple[LedgerKind | None, list[tuple[str, str]]]:
    """Pairs (tuples) (choice, receipt_hash or voter) as rows, checked as _entry_for_ledger
    checks an entry; on any doubt they go that way, as entries, for the precise error."""
    field = "receipt_hash" if kind is SECRET else "voter"
    try:
        keys = [key for _, key in pairs]  # ValueError unless pairs
        fine = (
            all(type(pair) is tuple for pair in pairs)
            and frozenset(options).issuperset(map(itemgetter(0), pairs))
            and all(type(key) is str for key in keys)
        )
        if fine and kind is SECRET:
            fine = set(map(len, keys)) <= {64} and not "".join(keys).encode("ascii").translate(
                None, _HEX_DIGITS
            )
        elif fine:
            fine = all(keys)  # non-empty voters
    except (TypeError, ValueError):  # not pairs, unhashable choices, non-ASCII hashes
        fine = False
    if fine:
        return (kind if pairs else None), pairs
    return _ledger_rows([_pair_entry(pair, field) for pair in pairs], options)


def _pair_entry(pair: Any, field: str) -> Any:
    if not (isinstance(pair, tuple | list) and len(pair) == 2):
        return pair  # not a pair: _entry_for_ledger says so
    return {"choice": pair[0], field: pair[1]}


def _plain_rows(
    entries: list[Any], options: frozenset[str]
) -> tuple[LedgerKind | None, list[tuple[str, str]]] | None:
    """The common case at speed: every entry a plain dict of two strings that _entry_for_ledger
    accepts, all of one kind. None if any is not (the caller then checks one by one)."""
    secret: list[tuple[str, str]] = []
    named: list[tuple[str, str]] = []
    for entry in entries:
        if type(entry) is not dict or len(entry) != 2:
            return None
        choice = entry.get("choice")
        if type(choice) is not str or choice not in options:
            return None
        digest = entry.get("receipt_hash")
        if type(digest) is str and len(digest) == 64:
            secret.append((choice, digest))
            continue
        voter = entry.get("voter")
        if type(voter) is not str or not voter:
            return None
        named.append((choice, voter))
    if secret and named:
        return None
    if secret:
        try:
            hashes = "".join(map(itemgetter(1), secret)).encode("ascii")
        except UnicodeEncodeError:
            return None
        if hashes.translate(None, _HEX_DIGITS):  # something besides 0-9 a-f is left
            return None
        return SECRET, secret
    return (OPEN, named) if named else (None, [])


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
    plain = _plain_entries(entry_list) if entry_list else None
    kind = _check_shape(document, entry_list, problems, plain)
    well_formed = not problems.has("shape")
    leaves = _Leaves(entry_list if entry_list is not None else [], plain)

    return LedgerCheck(
        well_formed=well_formed,
        sorted=_check_order(entry_list, kind, problems, plain),
        no_duplicate_receipts=_check_duplicates(entry_list, problems, plain),
        counts_match=_check_counts(document.get("counts"), entry_list, problems, plain),
        tree_size_matches=_check_tree_size(document.get("tree_size"), entry_list, problems),
        root_matches=_check_root(document.get("merkle_root"), entry_list, problems, leaves),
        signature_valid=_check_signature(document, problems, leaves),
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
    document: Mapping[str, Any],
    entries: list[Any] | None,
    problems: _Problems,
    plain: _Plain | None = None,
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
    return _check_entries(entries or [], problems, plain)


@dataclass(frozen=True)
class _Plain:
    """Entries all of one kind, each a plain dict of its two keys with well-formed strings (as
    json.loads gives a good ledger): the checks below then run over columns, not entry by
    entry — a million entries in a fraction of the time, with the same outcome."""

    kind: LedgerKind
    choices: list[str]
    keys: list[str]  # the receipt hashes (secret) or the voters (open), in entry order


def _plain_entries(entries: list[Any]) -> _Plain | None:
    """The entries as a _Plain, or None if any is not plain (then they are checked one by
    one, each problem named)."""
    first = entries[0]
    secret = type(first) is dict and "receipt_hash" in first
    field = "receipt_hash" if secret else "voter"
    try:
        if not (all(type(e) is dict for e in entries) and set(map(len, entries)) == {2}):
            return None
        choices = list(map(itemgetter("choice"), entries))
        keys = list(map(itemgetter(field), entries))
    except KeyError:
        return None
    for column in (choices, keys):
        if set(map(type, column)) != {str} or not all(column):
            return None
    if secret:
        if set(map(len, keys)) != {64}:
            return None
        try:
            if "".join(keys).encode("ascii").translate(None, _HEX_DIGITS):
                return None
        except UnicodeEncodeError:
            return None
    return _Plain(SECRET if secret else OPEN, choices, keys)


def _check_entries(
    entries: list[Any], problems: _Problems, plain: _Plain | None = None
) -> LedgerKind | None:
    if plain is not None:
        return plain.kind  # every entry well formed, all of one kind: nothing to report
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


def _check_order(
    entries: list[Any] | None,
    kind: LedgerKind | None,
    problems: _Problems,
    plain: _Plain | None = None,
) -> bool:
    if entries is None:
        return False
    if not entries:
        return True
    if plain is not None:
        keys: list[Any] = (
            plain.keys
            if plain.kind is SECRET
            else list(zip(plain.keys, plain.choices, strict=True))
        )
        if all(map(le, keys, islice(keys, 1, None))):
            return True  # in order; otherwise each misplaced entry is named below
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


def _check_duplicates(
    entries: list[Any] | None, problems: _Problems, plain: _Plain | None = None
) -> bool:
    # Namesakes may both vote in an open vote, so only receipt hashes must be unique.
    if entries is None:
        return False
    if plain is not None and (plain.kind is OPEN or len(set(plain.keys)) == len(plain.keys)):
        return True
    seen = Counter(
        str(e["receipt_hash"]) for e in entries if isinstance(e, Mapping) and "receipt_hash" in e
    )
    repeated = [(h, n) for h, n in seen.items() if n > 1]
    for receipt, times in repeated:
        problems.add(
            "duplicates", f"receipt hash {receipt} appears {times} times", group="duplicate"
        )
    return not repeated


def _check_counts(
    counts: object, entries: list[Any] | None, problems: _Problems, plain: _Plain | None = None
) -> bool:
    # A malformed counts or entry is already reported as a shape problem.
    if entries is None or not isinstance(counts, Mapping):
        return False
    chosen: Counter[Any] = Counter(
        plain.choices
        if plain is not None
        else (e["choice"] for e in entries if isinstance(e, Mapping) and "choice" in e)
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


class _Leaves:
    """The entries' leaves, made at most once: the root needs them, and so does the signed
    message (for a million entries, making them is seconds). Raises ValueError each time
    if the entries cannot be written as canonical JSON."""

    def __init__(self, entries: list[Any], plain: _Plain | None = None) -> None:
        self.entries = entries
        self._plain = plain
        self._leaves: list[bytes] | None = None
        self._failed = False

    def get(self) -> list[bytes]:
        if self._failed:
            raise ValueError("the entries cannot be written as canonical JSON")
        if self._leaves is None:
            try:
                plain = self._plain
                if plain is None:
                    self._leaves = ledger_leaves(self.entries)
                else:
                    rows = zip(plain.choices, plain.keys, strict=True)
                    self._leaves = _leaves_of(plain.kind, rows, set(plain.choices))
            except (ValueError, TypeError, RecursionError):
                self._failed = True
                raise
        return self._leaves


def _signed_message(document: Mapping[str, Any], leaves: _Leaves) -> bytes:
    """signed_bytes(document), with the entries written from their leaves when the document is
    a plain dict with string keys (as json.loads makes it): the same bytes, once not twice."""
    if not (
        type(document) is dict
        and document.get("entries") is leaves.entries
        and all(type(key) is str for key in document)
    ):
        return signed_bytes(document)
    parts = []
    for key in sorted(key for key in document if key != "signature"):
        if key == "entries":
            value = b"[" + b",".join(leaves.get()) + b"]"
        else:
            value = canonical_bytes(document[key])
        parts.append(_encode_string(key).encode() + b":" + value)
    return b"{" + b",".join(parts) + b"}"


def _check_root(
    merkle_root: object, entries: list[Any] | None, problems: _Problems, leaves: _Leaves
) -> bool:
    if entries is None or not _is_hex_hash(merkle_root):
        return False
    try:
        recomputed = root(leaves.get()).hex()
    except (ValueError, TypeError, RecursionError):
        problems.add("root", "the entries cannot be written as canonical JSON")
        return False
    if recomputed != merkle_root:
        problems.add("root", f"merkle_root does not match the entries (recomputed {recomputed})")
        return False
    return True


def _check_signature(document: Mapping[str, Any], problems: _Problems, leaves: _Leaves) -> bool:
    raw_key = _decode_b64(document.get("public_key"), PUBLIC_KEY_SIZE)
    signature = _decode_b64(document.get("signature"), SIGNATURE_SIZE)
    if raw_key is None or signature is None:
        problems.add(
            "signature", "the signature cannot be checked without public_key and signature"
        )
        return False
    try:
        message = _signed_message(document, leaves)
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

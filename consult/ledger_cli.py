"""`consult ledger verify LEDGER.json [--json]` (INTERFACES.md §2): check a published ballot
ledger offline.

No database, no network, no application: the command reads one file and recomputes everything
from it, so a supervisor can run it on any machine with consult installed. It is registered both
in `consult.cli.COMMANDS` and as a `flask.commands` entry point (pyproject.toml); the entry point
makes Flask's command group offer it without creating the app, so it runs even where the app
could not start (no configuration, no secret key).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from consult.crypto.ledger import LedgerCheck, find_receipt, verify_ledger
from consult.crypto.receipts import InvalidReceipt, receipt_hash

CHECK_LABELS = {
    "well_formed": "well formed",
    "sorted": "entries in order",
    "no_duplicate_receipts": "no receipt hash appears twice",
    "counts_match": "counts match the entries",
    "tree_size_matches": "tree size matches the entries",
    "root_matches": "Merkle root matches the entries",
    "signature_valid": "signature valid for the public key in the ledger",
    "key_trusted": "public key is the community key given",
    "receipt_found": "the receipt's ballot is in the ledger",
}


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two values for one key would let two readers see two different ledgers.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def load_ledger(path: Path) -> Any:
    """The parsed file; a ClickException (one line, exit 1) if it cannot be read as JSON."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{path} is not UTF-8 text") from None
    try:
        return json.loads(
            text,
            object_pairs_hook=_object_without_duplicate_keys,
            parse_constant=_not_json,
        )
    except (ValueError, RecursionError) as exc:
        reason = " ".join(str(exc).split())
        raise click.ClickException(f"{path} is not a JSON ledger: {reason}") from None


def _field(document: Any, key: str) -> Any:
    return document.get(key) if isinstance(document, dict) else None


def report(
    path: Path, document: Any, check: LedgerCheck, receipt: dict[str, Any] | None
) -> dict[str, Any]:
    """The --json report."""
    checks: dict[str, bool] = check.checks()
    if receipt is not None:
        checks["receipt_found"] = receipt["found"]
    payload: dict[str, Any] = {
        "file": str(path),
        "ok": all(checks.values()),
        "kind": check.kind,
        "vote_id": _field(document, "vote_id"),
        "closed_at": _field(document, "closed_at"),
        "tree_size": _field(document, "tree_size"),
        "merkle_root": _field(document, "merkle_root"),
        "public_key": _field(document, "public_key"),
        "counts": _field(document, "counts"),
        "checks": checks,
        "problems": list(check.problems),
    }
    if receipt is not None:
        payload["receipt"] = receipt
    return payload


def _text(payload: dict[str, Any]) -> str:
    kind = {"secret": "secret ballot", "open": "open (named) vote"}.get(payload["kind"] or "")
    lines = [f"Ledger {payload['file']}"]
    lines.append(
        f"  vote {payload['vote_id']}, closed {payload['closed_at']}"
        + (f", {kind}" if kind else "")
        + f", {payload['tree_size']} entries"
    )
    counts = payload["counts"]
    if isinstance(counts, dict):
        lines.append("  counts: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    lines.append(f"  Merkle root: {payload['merkle_root']}")
    lines.append(f"  public key:  {payload['public_key']}")
    receipt = payload.get("receipt")
    if receipt is not None:
        where = f"found, choice {receipt['choice']!r}" if receipt["found"] else "NOT in the ledger"
        lines.append(f"  receipt hash {receipt['receipt_hash']}: {where}")
    for name, passed in payload["checks"].items():
        lines.append(f"  {'ok  ' if passed else 'FAIL'}  {CHECK_LABELS.get(name, name)}")
    if payload["problems"]:
        lines.append("Problems:")
        lines.extend(f"  - {problem}" for problem in payload["problems"])
    lines.append("The ledger verifies." if payload["ok"] else "The ledger does NOT verify.")
    return "\n".join(lines)


@click.group("ledger")
def ledger_group() -> None:
    """Published ballot ledgers of closed votes."""


@ledger_group.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--public-key",
    metavar="BASE64",
    help="The community's public key; the ledger must be signed by it.",
)
@click.option(
    "--receipt",
    metavar="RECEIPT",
    help="A ballot receipt (with or without dashes) to look for in the ledger.",
)
def verify_command(file: Path, as_json: bool, public_key: str | None, receipt: str | None) -> None:
    """Verify a published ballot ledger offline: exit 0 if every check passes, 1 otherwise."""
    wanted_hash = None
    if receipt is not None:
        try:
            wanted_hash = receipt_hash(receipt)
        except InvalidReceipt as exc:
            raise click.ClickException(f"--receipt: {exc}") from None
    document = load_ledger(file)
    check = verify_ledger(document, expected_public_key=public_key)
    found: dict[str, Any] | None = None
    if wanted_hash is not None:
        index = find_receipt(document, wanted_hash) if isinstance(document, dict) else None
        entry = document["entries"][index] if index is not None else None
        found = {
            "receipt_hash": wanted_hash,
            "found": index is not None,
            "index": index,
            "choice": entry.get("choice") if isinstance(entry, dict) else None,
        }
    payload = report(file, document, check, found)
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False))
    else:
        click.echo(_text(payload))
    if not payload["ok"]:
        failed = [name for name, passed in payload["checks"].items() if not passed]
        raise click.ClickException(f"{file} does not verify: {', '.join(failed)}")

"""`consult ledger verify LEDGER.json [--json]` (INTERFACES.md §2): offline, exit 0 only when
every check passes, a one-line error on stderr otherwise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from consult.crypto.ledger import build_ledger, public_key_base64
from consult.crypto.receipts import receipt_hash
from consult.ledger_cli import ledger_group

pytestmark = pytest.mark.integration

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
MY_RECEIPT = "AAAQEAYEAUDAOCAJBIFQYDIOB4"


def _document() -> dict[str, Any]:
    ballots = [
        {"choice": "赞成", "receipt_hash": receipt_hash(MY_RECEIPT)},
        {"choice": "反对", "receipt_hash": receipt_hash("WN46TRWREDLIOKA6TWAXWTFLQQ")},
        {"choice": "赞成", "receipt_hash": receipt_hash("B" * 25 + "A")},
    ]
    return build_ledger("vote-7", "2026-11-23T10:00:00Z", ["赞成", "反对", "弃权"], ballots, KEY)


def _write(tmp_path: Path, document: Any, name: str = "ledger.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _verify(*args: str) -> Result:
    return CliRunner().invoke(ledger_group, ["verify", *args])


def test_a_good_ledger_verifies_with_exit_0_and_a_json_report(tmp_path):
    result = _verify(str(_write(tmp_path, _document())), "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["file"].endswith("ledger.json")
    assert report["vote_id"] == "vote-7"
    assert report["kind"] == "secret"
    assert report["tree_size"] == 3
    assert report["counts"] == {"赞成": 2, "反对": 1, "弃权": 0}
    assert report["merkle_root"] == _document()["merkle_root"]
    assert report["problems"] == []
    assert set(report["checks"]) == {
        "well_formed",
        "sorted",
        "no_duplicate_receipts",
        "counts_match",
        "tree_size_matches",
        "root_matches",
        "signature_valid",
    }
    assert all(report["checks"].values())


def test_the_text_report_lists_every_check(tmp_path):
    result = _verify(str(_write(tmp_path, _document())))
    assert result.exit_code == 0
    assert "counts: 赞成 2, 反对 1, 弃权 0" in result.stdout
    assert result.stdout.count("  ok    ") == 7
    assert "FAIL" not in result.stdout
    assert result.stdout.rstrip().endswith("The ledger verifies.")


def test_a_tampered_ledger_exits_1_with_the_failed_checks(tmp_path):
    document = _document()
    document["counts"]["赞成"] = 3
    result = _verify(str(_write(tmp_path, document)), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["checks"]["counts_match"] is False
    assert report["checks"]["signature_valid"] is False
    assert report["checks"]["root_matches"] is True
    assert any("counts['赞成'] is 3 but 2 entries chose it" in p for p in report["problems"])
    error_lines = result.stderr.strip().splitlines()
    assert len(error_lines) == 1
    assert "does not verify" in error_lines[0]
    assert "counts_match" in error_lines[0]


def test_a_tampered_ledger_fails_in_the_text_report_too(tmp_path):
    document = _document()
    entry = document["entries"][0]
    entry["choice"] = "弃权" if entry["choice"] != "弃权" else "赞成"
    result = _verify(str(_write(tmp_path, document)))
    assert result.exit_code == 1
    assert "FAIL  Merkle root matches the entries" in result.stdout
    assert "The ledger does NOT verify." in result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not a JSON ledger"),
        (b"", "not a JSON ledger"),
        (b'{"vote_id": "a", "vote_id": "b"}', "appears twice"),
        (b'{"tree_size": NaN}', "not a JSON value"),
        ("账本".encode("gb18030"), "not UTF-8"),
    ],
)
def test_a_file_that_is_not_json_fails_with_one_line(tmp_path, content, reason):
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    result = _verify(str(path), "--json")
    assert result.exit_code != 0
    assert result.stdout == ""
    error_lines = result.stderr.strip().splitlines()
    assert len(error_lines) == 1
    assert reason in error_lines[0]


def test_a_missing_file_fails_with_one_line(tmp_path):
    result = _verify(str(tmp_path / "nowhere.json"))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: cannot read {tmp_path / 'nowhere.json'}: No such file or directory"
    ]


def test_json_that_is_not_a_ledger_is_reported_not_crashed(tmp_path):
    result = _verify(str(_write(tmp_path, [1, 2, 3])), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["checks"]["well_formed"] is False
    assert report["vote_id"] is None


def test_the_community_key_can_be_pinned(tmp_path):
    path = _write(tmp_path, _document())
    good = _verify(str(path), "--json", "--public-key", public_key_base64(KEY))
    assert good.exit_code == 0
    assert json.loads(good.stdout)["checks"]["key_trusted"] is True
    other = public_key_base64(Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))
    bad = _verify(str(path), "--json", "--public-key", other)
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["checks"]["key_trusted"] is False


def test_a_voter_finds_their_receipt(tmp_path):
    path = _write(tmp_path, _document())
    result = _verify(str(path), "--json", "--receipt", "aaaqe-ayeau-daoca-jbifq-ydiob4")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["receipt"] == {
        "receipt_hash": receipt_hash(MY_RECEIPT),
        "found": True,
        "index": report["receipt"]["index"],
        "choice": "赞成",
    }
    assert report["checks"]["receipt_found"] is True


def test_a_receipt_missing_from_the_ledger_fails(tmp_path):
    path = _write(tmp_path, _document())
    result = _verify(str(path), "--receipt", "C" * 25 + "A")
    assert result.exit_code == 1
    assert "NOT in the ledger" in result.stdout
    assert "receipt_found" in result.stderr


def test_a_malformed_receipt_fails_with_one_line(tmp_path):
    result = _verify(str(_write(tmp_path, _document())), "--receipt", "123")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--receipt" in result.stderr


def test_the_command_is_registered_on_the_app(app: Flask, tmp_path):
    path = _write(tmp_path, _document())
    result = app.test_cli_runner().invoke(args=["ledger", "verify", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"] is True


def test_consult_ledger_verify_needs_no_configuration(tmp_path):
    # Production mode without a secret key: the app itself refuses to start
    # (test_app.py), yet the offline verifier runs.
    path = _write(tmp_path, _document())
    env = {
        "CONSULT_ENV": "production",
        "CONSULT_INSTANCE_PATH": str(tmp_path / "instance"),
        "PATH": "/usr/bin:/bin",
    }
    command = ["ledger", "verify", str(path), "--json"]
    done = subprocess.run(
        [sys.executable, "-c", "from consult.cli import main; main()", *command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True
    assert not (tmp_path / "instance").exists()

"""The `consult` command line (INTERFACES.md §2): exit codes, one-line errors, --json output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from consult.accounts.service import authenticate, find_user, user_for_token
from consult.extensions import db
from consult.registry.models import Resident
from tests.factories import make_community, make_user

pytestmark = pytest.mark.integration

GOOD_CSV = (
    "household,name,birth_date,gender,group,phone,id_number\n"
    "1号楼1单元101,王建国,1950-03-02,M,第一居民小组,13800000001,\n"
    "1号楼1单元101,李秀英,1952-07-15,F,第一居民小组,,\n"
    "2号楼2单元302,张伟,1985-11-30,M,第二居民小组,,\n"
)
BAD_CSV = (
    "household,name,birth_date,gender,group,phone,id_number\n"
    "1号楼1单元101,王建国,1950-13-02,M,第一居民小组,,\n"
    "1号楼1单元101,李秀英,1952-07-15,X,第一居民小组,,\n"
)


def _run(app: Flask, args: list[str], stdin: str | None = None) -> Any:
    return app.test_cli_runner().invoke(args=args, input=stdin)


def _residents(community_id: int) -> int:
    return db.session.execute(
        select(func.count(Resident.id)).where(Resident.community_id == community_id)
    ).scalar_one()


def test_residents_import_prints_json(app: Flask, db_session: Any, tmp_path: Path) -> None:
    community = make_community("heping", name="和平里社区")
    path = tmp_path / "register.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    result = _run(app, ["residents", "import", "--community", "heping", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["created"] == 3
    assert report["updated"] == 0
    assert report["rejected"] == []
    assert _residents(community.id) == 3
    again = _run(app, ["residents", "import", "--community", "heping", str(path), "--json"])
    assert again.exit_code == 0
    assert json.loads(again.stdout)["created"] == 0
    assert _residents(community.id) == 3


def test_residents_import_of_a_bad_file_fails_with_one_line(
    app: Flask, db_session: Any, tmp_path: Path
) -> None:
    community = make_community("heping", name="和平里社区")
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    result = _run(app, ["residents", "import", "--community", "heping", str(path)])
    assert result.exit_code != 0
    assert result.stdout == ""
    error_lines = result.stderr.strip().splitlines()
    assert len(error_lines) == 1
    assert "line 2" in error_lines[0]
    assert "line 3" in error_lines[0]
    assert _residents(community.id) == 0


def test_residents_import_into_an_unknown_community_fails(
    app: Flask, db_session: Any, tmp_path: Path
) -> None:
    path = tmp_path / "register.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    result = _run(app, ["residents", "import", "--community", "nowhere", str(path)])
    assert result.exit_code != 0
    assert len(result.stderr.strip().splitlines()) == 1


def test_admin_create_reads_the_password_from_stdin(app: Flask, db_session: Any) -> None:
    result = _run(
        app,
        ["admin", "create", "--email", "Root@Example.org", "--password-stdin"],
        stdin="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = authenticate("root@example.org", "a long enough password")
    assert user is not None
    assert user.is_admin


def test_admin_create_refuses_a_short_password(app: Flask, db_session: Any) -> None:
    result = _run(
        app, ["admin", "create", "--email", "root@example.org", "--password-stdin"], stdin="short\n"
    )
    assert result.exit_code != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert find_user("root@example.org") is None


def test_tokens_create_prints_the_token_alone_on_the_last_line(app: Flask, db_session: Any) -> None:
    user = make_user("clerk@example.org")
    result = _run(app, ["tokens", "create", "--email", "clerk@example.org", "--name", "scripts"])
    assert result.exit_code == 0, result.output
    token = result.stdout.rstrip("\n").splitlines()[-1]
    assert token == token.strip()
    assert " " not in token
    owner = user_for_token(token)
    assert owner is not None
    assert owner.id == user.id


def test_tokens_create_for_an_unknown_user_fails(app: Flask, db_session: Any) -> None:
    result = _run(app, ["tokens", "create", "--email", "nobody@example.org"])
    assert result.exit_code != 0
    assert result.stdout == ""


def test_demo_json_prints_the_logins(app: Flask, db_session: Any) -> None:
    result = _run(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    demo = json.loads(result.stdout)
    assert demo["community"] == {"code": "heping", "name": "和平里社区"}
    roles = {login["role"] for login in demo["logins"]}
    assert {"admin", "staff", "chair", "recorder", "supervisor", "representative"} <= roles
    first = demo["logins"][0]
    assert authenticate(first["email"], first["password"]) is not None
    text = _run(app, ["demo"])
    assert text.exit_code == 0
    assert "staff@heping.demo" in text.stdout
    assert "demo-password-2026" in text.stdout

"""The `consult` command: Flask's CLI bound to the app (INTERFACES.md §2).

Each command is one transaction: commit on success, roll back and print a one-line error on
stderr (exit 1) otherwise.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from consult.actor import Actor
from consult.errors import DomainError
from consult.extensions import db
from consult.ledger_cli import ledger_group


@contextmanager
def command_transaction() -> Iterator[None]:
    """Commit once if the command succeeded; otherwise roll back and exit with one line."""
    try:
        yield
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        message = exc.message
        if isinstance(exc.details, list) and exc.details:
            message += ": " + "; ".join(
                f"line {d.get('line')}: {d.get('error')}"
                for d in exc.details[:5]
                if isinstance(d, dict)
            )
            if len(exc.details) > 5:
                message += f"; and {len(exc.details) - 5} more"
        elif isinstance(exc.details, dict):
            message += ": " + "; ".join(f"{k}: {v}" for k, v in exc.details.items())
        raise click.ClickException(message) from None
    except Exception:
        db.session.rollback()
        raise


def _emit(as_json: bool, payload: dict[str, Any], text: str) -> None:
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False))
    else:
        click.echo(text)


def _cli_actor(label: str) -> Actor:
    return Actor.system(label=f"cli:{label}")


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the schema (Alembic head) and key material; idempotent."""
    from flask_migrate import upgrade

    from consult.documents.service import ensure_authorities

    upgrade(directory=current_app.extensions["migrate"].directory)
    with command_transaction():
        # Each community's certificate authority for signed minutes (issue 5).
        cipher = current_app.extensions["consult.field_cipher"]
        made = ensure_authorities(_cli_actor("init"), cipher)
    keys = Path(current_app.instance_path) / "keys"
    click.echo(f"database at head; keys in {keys}; {made} certificate authorities created")


@click.command("demo")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def demo_command(as_json: bool) -> None:
    """Load a realistic demo community (idempotent) and print its logins."""
    from consult.demo import load_demo

    with command_transaction():
        demo = load_demo()
    if as_json:
        click.echo(json.dumps(demo, ensure_ascii=False))
        return
    for c in demo["communities"]:
        click.echo(
            f"Demo community {c['name']} ({c['code']}): {c['residents']} residents "
            f"in {c['households']} households, {c['groups']} groups"
        )
    click.echo(f"Logins (password for all: {demo['password']}):")
    for login in demo["logins"]:
        where = login.get("community") or "platform"
        roles = "+".join(login.get("roles") or [login["role"]])
        click.echo(f"  {roles:<16} {where:<9} {login['email']:<26} {login['password']}")
    click.echo(f"Meetings (public notice board: {demo['notice_board']}):")
    for m in demo["meetings"]:
        click.echo(f"  {m['title']}  staff: {m['staff_page']}  public: {m['public_page']}")
        for page in m.get("votes", []):
            click.echo(f"    vote result, receipt check and ledger: {page}")
        if m.get("minutes"):
            signed = m["minutes"]
            click.echo(
                f"    signed minutes: {signed['pdf']} — check it at {signed['verify']} "
                f"(demo signers' passphrase: {signed['passphrase']})"
            )
    shown = demo.get("disclosures") or {}
    if shown:
        click.echo(
            f"Disclosures: board {shown['board']}, due and overdue {shown['due']}, kiosk "
            f"{shown['kiosk']}, staff {shown['manage']}; a signed statement: {shown['statement']}"
        )
        click.echo(
            "  November's ledger waits for supervisor@heping.demo to review; "
            f"what the village owes: {demo['village_disclosures_due']}"
        )
    for vote in demo.get("open_votes", []):
        click.echo(
            f"Open vote: {vote['title']} — sign in as resident@heping.demo and open "
            f"{vote['ballot']} (or 我的表决)"
        )


@click.group("admin")
def admin_group() -> None:
    """Platform administrators."""


@admin_group.command("create")
@click.option("--email", required=True)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@with_appcontext
def admin_create(email: str, password_stdin: bool) -> None:
    """Create a platform administrator."""
    from consult.accounts.service import create_user

    if not password_stdin:
        raise click.UsageError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    with command_transaction():
        user = create_user(_cli_actor("admin-create"), email, password, is_admin=True)
    click.echo(f"administrator {user.email} created")


@click.group("tokens")
def tokens_group() -> None:
    """API tokens."""


@tokens_group.command("create")
@click.option("--email", required=True)
@click.option("--name", default="cli")
@with_appcontext
def tokens_create(email: str, name: str) -> None:
    """Print a new API token for that user, alone on the last line."""
    from consult.accounts.service import create_token, find_user

    with command_transaction():
        user = find_user(email)
        if user is None:
            raise click.ClickException(f"no account with e-mail {email}")
        row, token = create_token(_cli_actor("tokens-create"), user, name)
    click.echo(f"token {row.prefix}… for {user.email} ({row.name})", err=True)
    click.echo(token)


@click.group("residents")
def residents_group() -> None:
    """The resident register."""


@residents_group.command("import")
@click.option("--community", "code", required=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def residents_import(code: str, file: Path, as_json: bool) -> None:
    """Import a register file (INTERFACES.md §4): all lines or none."""
    from consult.registry.service import get_community, import_residents

    with command_transaction():
        community = get_community(code)
        result = import_residents(
            _cli_actor("residents-import"),
            community,
            file.read_bytes(),
            current_app.extensions["consult.field_cipher"],
        )
    _emit(
        as_json,
        {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
        },
        f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged",
    )


@click.group("pdf")
def pdf_group() -> None:
    """Signed PDFs."""


_ROLE_WORDS = {"recorder": "recorder", "chair": "chair", "supervisor": "supervisor"}


@pdf_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def pdf_verify(file: Path, as_json: bool) -> None:
    """Validate every signature in a PDF made by consult (INTERFACES.md §2): pyHanko's verdict
    against the communities' certificate authorities; exit 1 unless every signature is intact
    and valid and nothing but permitted form filling follows a signature."""
    from consult.documents.service import check_pdf
    from consult.documents.toolkit import timestamp_roots

    with command_transaction():
        check = check_pdf(file.read_bytes(), timestamp_roots=timestamp_roots())
    report = check.report
    if as_json:
        click.echo(json.dumps(check.as_json(str(file)), ensure_ascii=False))
    else:
        for sig in report.signatures:
            verdict = "ok" if sig.intact and sig.valid else "BROKEN"
            click.echo(
                f"{verdict:<6} {_ROLE_WORDS.get(sig.role or '', sig.role or '?'):<10} "
                f"{sig.signer or '?'}  signed {sig.signed_at or '?'}  "
                f"intact={sig.intact} valid={sig.valid} trusted={sig.trusted}"
                + (f"  problems: {', '.join(sig.problems)}" if sig.problems else "")
            )
        if not report.signatures:
            click.echo("no signatures")
        if report.modified_after_last_signature:
            click.echo("MODIFIED after the last signature")
        if check.minutes is not None:
            if check.is_current:
                state = "current"
            elif check.stage is not None and check.stage.role != "supervisor":
                state = f"an earlier stage, signed as far as the {check.stage.role}"
            else:
                state = check.minutes.state
            click.echo(
                f"consult document {check.minutes.document_id}, version "
                f"{check.minutes.version} ({state})"
            )
        else:
            click.echo("not a file consult issued (no stage of any minutes has this hash)")
        click.echo("valid" if report.ok else "NOT VALID")
    if not report.ok:
        sys.exit(1)


COMMANDS: list[Callable[..., Any]] = [
    init_command,
    demo_command,
    admin_group,
    tokens_group,
    residents_group,
    ledger_group,
    pdf_group,
]


def register_cli(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)  # type: ignore[arg-type]


def _create_app() -> Flask:
    from consult import create_app

    return create_app()


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
def cli() -> None:
    """consult — 基层民主协商平台."""


def main() -> None:
    from consult.config import ConfigError

    try:
        cli(prog_name="consult")
    except ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)

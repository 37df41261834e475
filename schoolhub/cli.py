"""Command-line tools: `flask --app schoolhub init-db | seed-demo | create-user | import-roster | backup`."""
from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from schoolhub.accounts import services
from schoolhub.accounts.cli_roster import import_roster_command
from schoolhub.accounts.models import OrgUnit, Role, User
from schoolhub.db import get_session
from schoolhub.services import ServiceError


def _db():
    return get_session()


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create or upgrade the database to the newest migration."""
    from schoolhub.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is at the newest migration.")


@click.command("seed-demo")
@with_appcontext
@click.option("--password", default="schoolhub57", show_default=True, help="Password of every demo account.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def seed_demo_command(password: str, if_empty: bool):
    """Create the demo commune (Bình Chương, Quảng Ngãi) with schools, classes and people."""
    from schoolhub.demo import seed_demo

    db = _db()
    if if_empty and db.scalar(select(func.count(User.id))):
        click.echo("Database already has users: demo not seeded.")
        return
    if db.scalar(select(User.id).where(User.username == "demo.officer")) is not None:
        raise click.ClickException("The demo commune is already there.")
    seed_demo(db, password)
    db.commit()
    click.echo("Demo commune seeded. Accounts: demo.officer, demo.admin, demo.teacher, demo.student, "
               f"demo.teacher2, demo.judge — password: {password}")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name, with diacritics.")
@click.option("--role", type=click.Choice([r.value for r in Role]), help="Role to grant.")
@click.option("--unit", "unit_code", help="Code of the unit the role is held on.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(username, full_name, role, unit_code, password):
    """Create an account, optionally with a role on a unit (e.g. the first officer)."""
    db = _db()
    unit = None
    if role:
        if not unit_code:
            raise click.UsageError("--role needs --unit CODE")
        unit = db.scalar(select(OrgUnit).where(func.upper(OrgUnit.code) == unit_code.upper()))
        if unit is None:
            raise click.ClickException(f"No unit has the code {unit_code}.")
    try:
        if role:
            user, _ = services.create_user(db, None, full_name=full_name, role=Role(role), unit=unit,
                                           username=username, password=password)
        else:
            services.validate_password(password)
            from schoolhub.security import hash_password
            from schoolhub.textfold import fold, nfc

            username = services.normalise_username(username)
            if services.find_user(db, username):
                raise ServiceError(f"The username {username} is already taken.")
            user = User(username=username, full_name=nfc(full_name), name_folded=fold(full_name),
                        password_hash=hash_password(password))
            db.add(user)
            db.flush()
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from error
    db.commit()
    click.echo(f"Created {user.username}.")


@click.command("backup")
@with_appcontext
def backup_command():
    """Copy the SQLite database (consistently, while the app runs) and the uploads into instance/backups/."""
    url = current_app.config["DATABASE_URL"]
    if not url.startswith("sqlite:///"):
        raise click.ClickException("backup copies the embedded SQLite database; for PostgreSQL use pg_dump.")
    source = Path(url.removeprefix("sqlite:///"))
    if not source.exists():
        raise click.ClickException(f"No database file at {source}.")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target_dir = Path(current_app.config["BACKUP_DIR"]) / stamp
    target_dir.mkdir(parents=True, exist_ok=False)
    target = target_dir / source.name
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)  # SQLite's online backup: a consistent snapshot even during writes
    uploads = Path(current_app.config["UPLOAD_DIR"])
    if uploads.exists():
        shutil.copytree(uploads, target_dir / "uploads")
    click.echo(f"Backup written to {target_dir}")


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (init_db_command, seed_demo_command, create_user_command, backup_command, import_roster_command):
        app.cli.add_command(command)

"""Core command-line tools: `flask --app schoolhub init-db | seed-demo | backup`.

Domains add their own commands in their init_app (accounts: create-user, import-roster)."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from schoolhub.clock import local_now
from schoolhub.db import Base, get_session


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
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has data.")
def seed_demo_command(password: str, if_empty: bool):
    """Create the demo commune (Bình Chương, Quảng Ngãi) with schools, classes and people."""
    from schoolhub.demo import seed_demo

    db = _db()
    if if_empty and _has_rows(db):
        click.echo("Database already has data: demo not seeded.")
        return
    if _has_rows(db):
        raise click.ClickException("The database already has data: the demo commune goes into an empty one.")
    accounts = seed_demo(db, password)
    db.commit()
    click.echo(f"Demo commune seeded. Accounts: {', '.join(accounts)} — password: {password}")


@click.command("seed-scale")
@with_appcontext
@click.option("--preset", type=click.Choice(["commune", "province"]), default="commune", show_default=True,
              help="commune: 8 schools, 4,000 students; province: 300 schools, 150,000 students.")
@click.option("--seed", type=int, default=57, show_default=True, help="The same seed always gives the same data.")
@click.option("--password", default="schoolhub57", show_default=True, help="Password of every generated account.")
def seed_scale_command(preset: str, seed: int, password: str):
    """Fill an EMPTY migrated database with realistic data at scale (demo accounts included)."""
    import time

    from schoolhub.scale import PRESETS, seed_scale

    db = _db()
    if _has_rows(db):
        raise click.ClickException("seed-scale fills an empty database; this one already has data.")
    started = time.perf_counter()
    run = seed_scale(db, PRESETS[preset], seed=seed, password=password)
    click.echo(f"Preset {preset} (seed {seed}) in {time.perf_counter() - started:.0f} s: "
               + ", ".join(f"{n:,} {label}" for label, n in run.counts.items()))
    click.echo(f"Demo accounts: {', '.join(sorted(run.made.get('demo', {})))} — password: {password}")


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
    stamp = local_now().strftime("%Y%m%d-%H%M%S")
    target_dir = Path(current_app.config["BACKUP_DIR"]) / stamp
    target_dir.mkdir(parents=True, exist_ok=False)
    target = target_dir / source.name
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)  # SQLite's online backup: a consistent snapshot even during writes
    uploads = Path(current_app.config["UPLOAD_DIR"])
    if uploads.exists():
        shutil.copytree(uploads, target_dir / "uploads")
    click.echo(f"Backup written to {target_dir}")


def _has_rows(db) -> bool:
    """True when any table of any domain holds a row."""
    return any(db.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables)


def init_app(app: Flask) -> None:
    """Register the core commands."""
    for command in (init_db_command, seed_demo_command, seed_scale_command, backup_command):
        app.cli.add_command(command)

"""Core command-line tools: `flask --app schoolhub init-db | seed-demo | seed-scale | backup | restore | recount`.

Domains add their own commands in their init_app (accounts: create-user, import-roster)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from schoolhub.db import Base, get_engine, get_session


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

    from schoolhub.scale import PRESETS, seed_scale, settle

    db = _db()
    if _has_rows(db):
        raise click.ClickException("seed-scale fills an empty database; this one already has data.")
    started = time.perf_counter()
    run = seed_scale(db, PRESETS[preset], seed=seed, password=password)
    settle(get_engine())
    click.echo(f"Preset {preset} (seed {seed}) in {time.perf_counter() - started:.0f} s: "
               + ", ".join(f"{n:,} {label}" for label, n in run.counts.items()))
    click.echo(f"Demo accounts: {', '.join(sorted(run.made.get('demo', {})))} — password: {password}")


@click.command("backup")
@with_appcontext
@click.option("--to", "to_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the backup into (default: BACKUP_DIR).")
def backup_command(to_dir: Path | None):
    """Back up the database (SQLite online backup, or pg_dump) and the uploads, readable by the owner only."""
    from schoolhub import backup

    config = current_app.config
    into = to_dir or Path(config["BACKUP_DIR"])
    try:
        target = backup.make_backup(get_engine(), config["DATABASE_URL"], Path(config["UPLOAD_DIR"]), into)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    manifest = backup.read_manifest(target)
    click.echo(f"Backup written to {target}: {sum(manifest['tables'].values())} rows in "
               f"{len(manifest['tables'])} tables, {len(manifest['uploads'])} uploaded files.")
    if backup.default_is_inside_instance(into, Path(current_app.instance_path)):
        click.echo("Note: this directory is inside instance/, beside the database it protects: copy it to "
                   "another disk or machine (or use --to / BACKUP_DIR).")


@click.command("restore")
@with_appcontext
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(source: Path, yes: bool):
    """Replace the database and the uploads with a backup made by `backup` (stop the app servers first)."""
    from schoolhub import backup

    config = current_app.config
    try:
        manifest = backup.read_manifest(source)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    if not yes:
        click.confirm(f"Replace the database and every uploaded file with the backup of {manifest['created_at']}? "
                      "What was saved since is lost.", abort=True)
    try:
        backup.restore_backup(get_engine(), config["DATABASE_URL"], Path(config["UPLOAD_DIR"]), source)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {source}: {sum(manifest['tables'].values())} rows, {len(manifest['uploads'])} files; "
               "the row counts match the backup's.")


def _has_rows(db) -> bool:
    """True when any table of any domain holds a row."""
    return any(db.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables)


@click.command("recount")
@with_appcontext
def recount_command():
    """Count every figure kept on write again from the rows, and say how many rows were wrong.

    For after a drift the counters cannot see: rows written around them (a bulk SQL fix, workers of an
    older release still writing while a migration counted)."""
    from schoolhub.domains import registry

    db = _db()
    conn = db.connection()
    for table, recount in registry().figures:
        before = _figure_rows(conn, table)
        recount(conn)
        after = _figure_rows(conn, table)
        wrong = sum(1 for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        click.echo(f"{table.name}: {len(after):,} rows, {wrong:,} corrected")
    db.commit()


def _figure_rows(conn, table) -> dict:
    """A figures table's rows by primary key."""
    key = list(table.primary_key.columns)
    return {tuple(row[:len(key)]): tuple(row)
            for row in conn.execute(select(*key, *[c for c in table.columns if c not in key]).order_by(*key))}


def init_app(app: Flask) -> None:
    """Register the core commands."""
    for command in (init_db_command, seed_demo_command, seed_scale_command, backup_command, restore_command,
                    recount_command):
        app.cli.add_command(command)

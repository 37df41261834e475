"""`flask --app schoolhub import-roster FILE --school CODE`: the web import, from the command line."""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from schoolhub.accounts import roster_services
from schoolhub.accounts.models import OrgUnit, SchoolClass, UnitKind
from schoolhub.accounts.roster import RosterError, class_key
from schoolhub.clock import current_school_year
from schoolhub.db import get_session
from schoolhub.services import ServiceError


@click.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", "school_code", required=True, help="Code of the school.")
@click.option("--kind", type=click.Choice(roster_services.KINDS), default="auto", show_default=True,
              help="What the list contains.")
@click.option("--class", "class_name", help="Class for rows that name none (this school year).")
@click.option("--create-classes", is_flag=True, help="Open the classes named in the file that do not exist yet.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write usernames and one-time passwords to this CSV (default: standard output).")
@with_appcontext
def import_roster_command(file: Path, school_code: str, kind: str, class_name: str | None, create_classes: bool,
                          out: Path | None):
    """Import a class or staff list (.xlsx or .csv): all rows or none; prints the one-time passwords."""
    db = get_session()
    school = db.scalar(select(OrgUnit).where(func.upper(OrgUnit.code) == school_code.strip().upper(),
                                             OrgUnit.kind == UnitKind.SCHOOL))
    if school is None:
        raise click.ClickException(f"No school has the code {school_code}.")
    class_id = None
    if class_name:
        wanted = class_key(class_name)
        classes = db.scalars(select(SchoolClass).where(
            SchoolClass.school_id == school.id, SchoolClass.school_year == current_school_year(),
            SchoolClass.is_active.is_(True)))
        match = next((c for c in classes if class_key(c.name) == wanted), None)
        if match is None:
            raise click.ClickException(f"{school.code} has no open class {class_name} this school year.")
        class_id = match.id
    try:
        result = roster_services.commit_import(
            db, None, school, file.read_bytes(), kind=kind, class_id=class_id, create_classes=create_classes,
            filename=file.name)
    except roster_services.ImportRejected as error:
        db.rollback()
        plan = error.plan
        for row in plan.bad_rows:
            reasons = "; ".join(str(e) for e in row.errors)
            click.echo(f"{row.sheet}, row {row.row}: {row.full_name or '-'}: {reasons}", err=True)
        click.echo(f"{len(plan.bad_rows)} of {len(plan.rows)} rows have problems; nothing was imported.", err=True)
        sys.exit(1)
    except (RosterError, ServiceError) as error:
        db.rollback()
        raise click.ClickException(str(error.message)) from error
    db.commit()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["class", "full_name", "username", "password"])
    for label, user, temp in result.accounts:
        writer.writerow([label or "", user.full_name, user.username, temp])
    if out is None:
        click.echo(buffer.getvalue(), nl=False)
    else:
        # utf-8-sig: Excel then opens the Vietnamese names correctly.
        out.write_text(buffer.getvalue(), encoding="utf-8-sig")
    summary = ", ".join(f"{c.label or 'teachers'}: {c.count}" for c in result.plan.counts)
    click.echo(f"Imported {len(result.accounts)} accounts into {school.code} ({summary}).", err=True)
    for row in result.plan.existing_rows:
        click.echo(f"{row.sheet}, row {row.row}: {row.full_name} already has an account "
                   f"({row.existing.username}): skipped.", err=True)

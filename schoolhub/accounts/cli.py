"""Command-line tools of the accounts domain: `create-user` and `import-roster`."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from schoolhub.accounts import services
from schoolhub.accounts.cli_roster import import_roster_command
from schoolhub.accounts.models import OrgUnit, Role, User
from schoolhub.db import get_session
from schoolhub.services import ServiceError


def _db():
    return get_session()


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


COMMANDS = (create_user_command, import_roster_command)

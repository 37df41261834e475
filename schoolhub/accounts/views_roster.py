"""Roster import: upload a class list, preview every row, commit all or nothing, print the passwords."""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from schoolhub import policy
from schoolhub.accounts import queries, roster_services
from schoolhub.accounts.forms import ImportForm
from schoolhub.accounts.models import OrgUnit
from schoolhub.accounts.roster import RosterError, class_key
from schoolhub.accounts.views_school import load_school
from schoolhub.clock import current_school_year
from schoolhub.db import get_session
from schoolhub.forms import apply_service_error
from schoolhub.services import ServiceError

bp = Blueprint("roster", __name__, url_prefix="/schools")

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
STALE_AFTER = 24 * 3600  # uploads never committed are removed after a day


def _import_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep(folder: Path) -> None:
    """Remove uploads (and used-token markers) older than a day."""
    cutoff = time.time() - STALE_AFTER
    for item in folder.iterdir():
        try:
            if item.is_file() and item.stat().st_mtime < cutoff:
                item.unlink()
        except OSError:
            pass  # another request removed it first


def _class_choices(school: OrgUnit):
    classes = queries.classes_of(get_session(), school, open_only=True, school_year=current_school_year())
    return [SelectChoice(0, _("— none: the file names the classes —"))] + [SelectChoice(c.id, c.name) for c in classes]


@bp.route("/<int:school_id>/import", methods=["GET", "POST"])
@login_required
def upload(school_id: int):
    """Upload a class or staff list, then show the preview of every row."""
    school = load_school(school_id)
    policy.require(policy.Action.MANAGE_PEOPLE, school)
    form = ImportForm()
    form.class_id.choices = _class_choices(school)
    if form.validate_on_submit():
        upload_file = form.file.data
        data = upload_file.read(current_app.config.get("MAX_CONTENT_LENGTH") or -1)
        options = {"school_id": school.id, "kind": form.kind.data, "class_id": form.class_id.data or None,
                   "create_classes": bool(form.create_classes.data),
                   "filename": os.path.basename(upload_file.filename or "")[:200]}
        try:
            plan = roster_services.preview_import(
                get_session(), school, data, kind=options["kind"], class_id=options["class_id"],
                create_classes=options["create_classes"])
        except RosterError as error:
            form.file.errors = list(form.file.errors) + [str(error.message)]
        except ServiceError as error:
            apply_service_error(form, error, default="file")
        else:
            token = None
            if plan.ok:
                token = secrets.token_hex(16)
                folder = _import_dir()
                _sweep(folder)
                (folder / f"{token}.{plan.roster.format}").write_bytes(data)
                (folder / f"{token}.json").write_text(
                    json.dumps({**options, "format": plan.roster.format, "actor_id": current_user.id}))
            return render_template("school/import_preview.html", school=school, plan=plan, token=token,
                                   filename=options["filename"])
    return render_template("school/import_upload.html", school=school, form=form)


def _load_upload(school: OrgUnit, token: str) -> tuple[dict, Path, Path]:
    """The stored options and file paths of a token; 404 unless it is this school's."""
    if not _TOKEN.match(token):
        abort(404)
    folder = _import_dir()
    meta_path = folder / f"{token}.json"
    try:
        options = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        abort(404)
    if options.get("school_id") != school.id or options.get("format") not in ("xlsx", "csv"):
        abort(404)
    return options, folder / f"{token}.{options['format']}", folder / f"{token}.used"


@bp.route("/<int:school_id>/import/<token>", methods=["POST"])
@login_required
def commit(school_id: int, token: str):
    """Create every account of the previewed file in one transaction, then print the passwords."""
    school = load_school(school_id)
    policy.require(policy.Action.MANAGE_PEOPLE, school)
    options, data_path, used_path = _load_upload(school, token)
    # Claim the token atomically: a double submit (or two tabs) finds the marker and gets 409.
    try:
        fd = os.open(used_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        # A reload of the printed sheet posts here again: say the passwords were shown once, offer new ones.
        done = _done(used_path)
        if done is not None:
            return render_template("school/import_done.html", school=school, done=done), 409
        abort(409)
    os.close(fd)
    try:
        data = data_path.read_bytes()
    except OSError:
        abort(409)
    db = get_session()
    try:
        result = roster_services.commit_import(
            db, current_user, school, data, kind=options["kind"], class_id=options.get("class_id"),
            create_classes=bool(options.get("create_classes")), filename=options.get("filename", ""))
    except (roster_services.ImportRejected, RosterError, ServiceError) as error:
        db.rollback()
        used_path.unlink(missing_ok=True)
        if isinstance(error, roster_services.ImportRejected):
            # Something changed since the preview (e.g. a class was closed): show the rows again.
            return render_template("school/import_preview.html", school=school, plan=error.plan, token=None,
                                   filename=options.get("filename", "")), 409
        abort(409)
    except Exception:
        db.rollback()
        used_path.unlink(missing_ok=True)
        raise
    db.commit()
    data_path.unlink(missing_ok=True)
    # What was made, so that reloading the sheet (a GET of this address) can say it and offer new passwords.
    groups = [{"label": label, "count": len(accounts),
               "class_id": result.plan.classes[class_key(label)].id if label else None}
              for label, accounts in result.groups]
    used_path.with_suffix(".done").write_text(json.dumps({"groups": groups, "kind": result.plan.kind}))
    return render_template("school/import_sheet.html", school=school, result=result,
                           filename=options.get("filename", ""))


@bp.route("/<int:school_id>/import/<token>", methods=["GET"])
@login_required
def sheet_again(school_id: int, token: str):
    """The address of a printed sheet, opened again: the passwords were shown once; offer new ones."""
    school = load_school(school_id)
    policy.require(policy.Action.MANAGE_PEOPLE, school)
    _options, _data_path, used_path = _load_upload(school, token)
    return render_template("school/import_done.html", school=school, done=_done(used_path))


def _done(used_path):
    """What an import made (its classes and counts), or None when it was checked but never imported."""
    try:
        return json.loads(used_path.with_suffix(".done").read_text())
    except (OSError, ValueError):
        return None

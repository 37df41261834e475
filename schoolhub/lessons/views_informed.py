"""Figures with names behind them: which of a school's teachers confirmed each core lesson, on screen and as XLSX."""
from __future__ import annotations

import io
import re

from flask import abort, render_template, send_file
from flask_babel import gettext as _
from flask_login import login_required
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from schoolhub import policy
from schoolhub.accounts.models import OrgUnit, UnitKind
from schoolhub.db import get_session
from schoolhub.i18n import format_day
from schoolhub.lessons import queries
from schoolhub.lessons.views import bp
from schoolhub.textfold import fold

A = policy.Action


def _school(school_id: int) -> OrgUnit:
    """The school if the user may see its teachers' confirmations: 404 when it is not theirs, 403 otherwise."""
    school = policy.load_visible(get_session().get(OrgUnit, school_id), A.VIEW_SCHOOL)
    if school.kind != UnitKind.SCHOOL:
        abort(404)
    policy.require(A.VIEW_CONFIRMATIONS, school)
    return school


@bp.route("/informed/<int:school_id>")
@login_required
def informed(school_id: int):
    """Each core lesson the school's teachers are asked to confirm: who has confirmed it, and who has not."""
    school = _school(school_id)
    db = get_session()
    teachers, per_lesson = queries.school_confirmations(db, school)
    figure = queries.informed_by_school(db, [school.id])[school.id]
    return render_template("lessons/informed.html", school=school, teachers=teachers, per_lesson=per_lesson,
                           figure=figure)


def _text(cell, value) -> None:
    """A cell that is always text: a name such as "=HYPERLINK(…)" must never become a formula."""
    cell.value = value
    cell.data_type = "s"


@bp.route("/informed/<int:school_id>.xlsx")
@login_required
def informed_xlsx(school_id: int):
    """The same list as a spreadsheet: one row per teacher, one column per core lesson (date confirmed)."""
    school = _school(school_id)
    teachers, per_lesson = queries.school_confirmations(get_session(), school)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Core material")[:31]
    heads = [_("No."), _("Full name"), _("Position")] + [c.lesson.title for c in per_lesson] + [
        _("Confirmed at least one")]
    for col, head in enumerate(heads, 1):
        cell = sheet.cell(row=1, column=col)
        _text(cell, head)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    when = {(c.lesson.id, t.id): at for c in per_lesson for t, at in c.confirmed}
    for row, teacher in enumerate(teachers, 2):
        sheet.cell(row=row, column=1, value=row - 1)
        _text(sheet.cell(row=row, column=2), teacher.full_name)
        _text(sheet.cell(row=row, column=3), teacher.position or "")
        done = False
        for col, confirmations in enumerate(per_lesson, 4):
            at = when.get((confirmations.lesson.id, teacher.id))
            done = done or at is not None
            _text(sheet.cell(row=row, column=col), format_day(at) if at else _("not yet"))
        _text(sheet.cell(row=row, column=4 + len(per_lesson)), _("yes") if done else _("not yet"))
    sheet.column_dimensions["B"].width = 28
    sheet.column_dimensions["C"].width = 18
    sheet.freeze_panes = "C2"
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    name = re.sub(r"[^a-z0-9]+", "-", fold(school.code)).strip("-") or "truong"
    response = send_file(out, as_attachment=True, download_name=f"xac-nhan-tai-lieu-cot-loi-{name}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Cache-Control"] = "private, no-store"  # teachers' names: never kept on a shared computer
    return response

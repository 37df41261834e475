"""The rows of a school's student and teacher lists, built in Python.

A page shows 25 people; as a Jinja loop each row cost a dozen escapes and attribute look-ups and three
links built by the router, about half of the page's time at the province preset. Here each row is one
string. Who may manage whom is still asked of the policy (policy.can, MANAGE_USER), row by row.
"""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup, escape

from schoolhub import policy
from schoolhub.i18n import format_day, format_moment
from schoolhub.views_common import id_link


def people_rows(people, school, *, is_student: bool, manages: bool) -> list[Markup]:
    """One <tr> per person of the list: name, username, class and birth date (students) or position
    (teachers), last login, and the links to manage them where the viewer may."""
    words = {"username": escape(_("Username")), "class": escape(_("Class")), "birth": escape(_("Date of birth")),
             "position": escape(_("Position")), "login": escape(_("Last login")),
             "deactivated": escape(_("deactivated")), "never": escape(_("never")), "edit": escape(_("Edit")),
             "new_password": escape(_("New password")), "deactivate": escape(_("Deactivate")),
             "reactivate": escape(_("Reactivate"))}
    return [_row(person, school.id, is_student, manages, words) for person in people]


def _row(p, school_id: int, is_student: bool, manages: bool, words: dict) -> Markup:
    active = p.is_active_account
    note = "" if active else f' <em>({words["deactivated"]})</em>'
    cells = [f'<td class="title"><span data-testid="person-name">{escape(p.full_name)}</span>{note}</td>',
             f'<td data-label="{words["username"]}"><code>{escape(p.username)}</code></td>']
    if is_student:
        classes = "".join(escape(m.school_class.name) for m in p.memberships if m.school_class)
        cells.append(f'<td data-label="{words["class"]}">{classes}</td>'
                     f'<td data-label="{words["birth"]}">{escape(format_day(p.birth_date))}</td>')
    else:
        cells.append(f'<td data-label="{words["position"]}">{escape(p.position or "")}</td>')
    login = escape(format_moment(p.last_login_at)) if p.last_login_at else f'<span class="muted">{words["never"]}</span>'
    cells.append(f'<td data-label="{words["login"]}">{login}</td>')
    if manages:
        links = ""
        if policy.can(policy.Action.MANAGE_USER, p):
            ids = {"school_id": school_id, "user_id": p.id}
            links = (f'<a href="{escape(id_link("school.edit_person", **ids))}">{words["edit"]}</a> '
                     f'<a href="{escape(id_link("school.reset_password", **ids))}">{words["new_password"]}</a> '
                     f'<a href="{escape(id_link("school.person_active", **ids))}">'
                     f'{words["deactivate"] if active else words["reactivate"]}</a>')
        cells.append(f'<td class="actions">{links}</td>')
    opening = "<tr>" if active else '<tr class="inactive">'
    return Markup(f'{opening}{"".join(cells)}</tr>')

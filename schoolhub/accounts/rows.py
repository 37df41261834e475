"""The rows of the accounts domain's lists (a school's students and teachers, a commune's schools), built
in Python from rows of what they show (accounts.listings).

A page shows 25 people; as a Jinja loop each row cost a dozen escapes and attribute look-ups and three
links built by the router, about half of the page's time at the province preset. Here each row is one
string, kept per shown values like a lesson card. Who may manage whom is still asked of the policy
(policy.can_each, MANAGE_USER), for each row.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from schoolhub import policy
from schoolhub.accounts.models import Role
from schoolhub.i18n import format_day, format_moment
from schoolhub.views_common import id_link
from schoolhub.vocab import label


def people_rows(people, school, *, is_student: bool, manages: bool) -> list[Markup]:
    """One <tr> per person of the list (rows of accounts.people.people_page): name, username, class and
    birth date (students) or position (teachers), last login, and the links to manage them where the
    viewer may. Whether the viewer may is asked of the policy for each person (MANAGE_USER), as the list
    shows them: the membership it lists them by."""
    language, root = str(get_locale()), request.script_root
    held = (Held(Role.STUDENT if is_student else Role.TEACHER, school),)
    allowed = (policy.can_each(policy.Action.MANAGE_USER, [Listed(p.id, held) for p in people]) if manages
               else [False] * len(people))
    rows = []
    for p, may in zip(people, allowed, strict=True):
        rows.append(_row(language, root, school.id, is_student, manages, may, p.id, p.full_name, p.username,
                         bool(p.is_active), p.class_name or "", p.birth_date, p.position or "", p.last_login_at))
    return rows


@dataclass(frozen=True)
class Held:
    """A membership as the MANAGE_USER rule reads it: a role over a unit."""

    role: Role
    unit: object


@dataclass(frozen=True)
class Listed:
    """A listed person as the MANAGE_USER rule reads them: their id and the memberships the list shows."""

    id: int
    memberships: tuple


@functools.lru_cache(maxsize=4096)
def _row(language: str, root: str, school_id: int, is_student: bool, manages: bool, may: bool, user_id: int, full_name: str,
         username: str, active: bool, class_name: str, birth_date, position: str, last_login_at) -> Markup:
    # A pure function of what the row shows, kept like a lesson card (lessons.cards): called inside a
    # request of `language` and under the app's `root`, whose words and links it uses.
    words = _words(language)
    note = "" if active else f' <em>({words["deactivated"]})</em>'
    cells = [f'<td class="title"><span data-testid="person-name">{escape(full_name)}</span>{note}</td>',
             f'<td data-label="{words["username"]}"><code>{escape(username)}</code></td>']
    if is_student:
        cells.append(f'<td data-label="{words["class"]}">{escape(class_name)}</td>'
                     f'<td data-label="{words["birth"]}">{escape(format_day(birth_date))}</td>')
    else:
        cells.append(f'<td data-label="{words["position"]}">{escape(position)}</td>')
    login = escape(format_moment(last_login_at)) if last_login_at else f'<span class="muted">{words["never"]}</span>'
    cells.append(f'<td data-label="{words["login"]}">{login}</td>')
    if manages:
        links = ""
        if may:
            ids = {"school_id": school_id, "user_id": user_id}
            links = (f'<a href="{escape(id_link("school.edit_person", **ids))}">{words["edit"]}</a> '
                     f'<a href="{escape(id_link("school.reset_password", **ids))}">{words["new_password"]}</a> '
                     f'<a href="{escape(id_link("school.person_active", **ids))}">'
                     f'{words["deactivate"] if active else words["reactivate"]}</a>')
        cells.append(f'<td class="actions">{links}</td>')
    opening = "<tr>" if active else '<tr class="inactive">'
    return Markup(f'{opening}{"".join(cells)}</tr>')


@functools.lru_cache(maxsize=8)
def _words(language: str) -> dict:
    # Called inside a request of `language`.
    return {"username": escape(_("Username")), "class": escape(_("Class")), "birth": escape(_("Date of birth")),
            "position": escape(_("Position")), "login": escape(_("Last login")),
            "deactivated": escape(_("deactivated")), "never": escape(_("never")), "edit": escape(_("Edit")),
            "new_password": escape(_("New password")), "deactivate": escape(_("Deactivate")),
            "reactivate": escape(_("Reactivate"))}


def school_rows(schools, commune) -> list[Markup]:
    """One <tr> per school of the commune's list: code, name, level, admins, counters and the links to
    edit it, appoint an admin, deactivate or reactivate it."""
    language, root = str(get_locale()), request.script_root
    return [_school_row(language, root, commune.id, s.id, s.code, s.name, s.level, bool(s.is_active), s.admins or "[]",
                        s.teachers or 0, s.classes or 0, s.students or 0) for s in schools]


@functools.lru_cache(maxsize=1024)
def _school_row(language: str, root: str, commune_id: int, school_id: int, code: str, name: str, level, active: bool,
                admins: str, teachers: int, classes: int, students: int) -> Markup:
    # Called inside a request of `language` and under the app's `root`, whose words and links it uses.
    words = _school_words(language)
    note = "" if active else f' <em>({words["deactivated"]})</em>'
    by_name = sorted(json.loads(admins), key=lambda admin: (admin[2], admin[3]))
    # A deactivated admin is named and marked, as on the school's people list: the to-do badge counts
    # their school as one without an admin, and the row says why.
    people = ", ".join(f'{escape(full_name)} <span class="muted">({escape(username)})</span>'
                       + ("" if is_active else f' <em>({words["deactivated"]})</em>')
                       for full_name, username, _key, _id, is_active in by_name) or f'<em>{words["none"]}</em>'
    ids = {"commune_id": commune_id, "school_id": school_id}
    toggle = words["deactivate"] if active else words["reactivate"]
    opening = "<tr>" if active else '<tr class="inactive">'
    return Markup(
        f'{opening}<td data-label="{words["code"]}">{escape(code)}</td>'
        f'<td class="title">{escape(name)}{note}</td>'
        f'<td data-label="{words["level"]}">{escape(label(level))}</td>'
        f'<td data-label="{words["admins"]}">{people}</td>'
        f'<td data-label="{words["teachers"]}" class="num">{teachers}</td>'
        f'<td data-label="{words["classes"]}" class="num">{classes}</td>'
        f'<td data-label="{words["students"]}" class="num">{students}</td>'
        f'<td class="actions"><a href="{escape(id_link("admin.edit_school", **ids))}">{words["edit"]}</a> '
        f'<a href="{escape(id_link("admin.appoint_admin", **ids))}">{words["appoint"]}</a> '
        f'<a href="{escape(id_link("admin.school_active", **ids))}">{toggle}</a></td></tr>')


@functools.lru_cache(maxsize=8)
def _school_words(language: str) -> dict:
    # Called inside a request of `language`.
    return {key: escape(text) for key, text in (
        ("code", _("Code")), ("level", _("Level")), ("admins", _("Admins")), ("teachers", _("Teachers")),
        ("classes", _("Classes")), ("students", _("Students")), ("edit", _("Edit")), ("appoint", _("Appoint admin")),
        ("deactivate", _("Deactivate")), ("reactivate", _("Reactivate")), ("none", _("none yet")),
        ("deactivated", _("deactivated")))}


def commune_school_rows(schools, counts) -> list[Markup]:
    """One <tr> per school of the officer's home table: its name linking to its page, level and counters
    (counts: accounts.queries.SchoolCounts by school id)."""
    language, root = str(get_locale()), request.script_root
    rows = []
    for s in schools:
        n = counts[s.id]
        rows.append(_commune_school_row(language, root, s.id, s.name, s.level, bool(s.is_active), n.teachers,
                                        n.classes, n.students))
    return rows


@functools.lru_cache(maxsize=1024)
def _commune_school_row(language: str, root: str, school_id: int, name: str, level, active: bool, teachers: int,
                        classes: int, students: int) -> Markup:
    # Called inside a request of `language` and under the app's `root`, whose words and links it uses.
    words = _school_words(language)
    note = "" if active else f' <em>({words["deactivated"]})</em>'
    opening = "<tr>" if active else '<tr class="inactive">'
    return Markup(
        f'{opening}<td class="title"><a href="{escape(id_link("school.overview", school_id=school_id))}">'
        f'{escape(name)}</a>{note}</td><td data-label="{words["level"]}">{escape(label(level))}</td>'
        f'<td data-label="{words["teachers"]}" class="num">{teachers}</td>'
        f'<td data-label="{words["classes"]}" class="num">{classes}</td>'
        f'<td data-label="{words["students"]}" class="num">{students}</td></tr>')

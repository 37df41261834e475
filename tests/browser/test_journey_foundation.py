"""The foundation journey, on a 360px phone in Vietnamese: a commune officer registers a school and
appoints its admin; the admin imports a class list; a student logs in with the printed password.

Assertions use URLs, ids, names and data-testid, not wording (the Vietnamese catalog changes).
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from schoolhub.accounts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
ROSTER = REPO_ROOT / "tests" / "data" / "roster-samples" / "thcs-lop-7-theo-lop.xlsx"

SCHOOL_CODE = "THCS-BC"
SCHOOL_NAME = "Trường THCS Bình Chương"
ADMIN_NAME = "Phan Đức Quân"
OFFICER_PASSWORD = "cán-bộ-xã-2025"


def path_of(page) -> str:
    return urlsplit(page.url).path


def submit(page, form) -> None:
    """Submit a form by its submit button and wait for the next page."""
    with page.expect_navigation():
        form.locator("button[type=submit]").first.click()


def main_form(page, field_name: str):
    """The form in <main> that has a field of that name (the header has forms too)."""
    return page.locator("main form").filter(has=page.locator(f"[name={field_name}]"))


def set_new_password(page, current: str, new: str) -> None:
    assert path_of(page) == "/password"
    form = main_form(page, "confirm")
    form.locator("input[name=current_password]").fill(current)
    form.locator("input[name=password]").fill(new)
    form.locator("input[name=confirm]").fill(new)
    submit(page, form)
    assert path_of(page) == "/", page.locator("main").inner_text()


def read_credentials(page) -> tuple[str, str]:
    username = page.locator("code[data-testid=username]").first.inner_text().strip()
    password = page.locator("code[data-testid=password]").first.inner_text().strip()
    assert username and password
    return username, password


def test_officer_school_admin_import_student(page, live_factory, live_db, log_in, log_out):
    assert ROSTER.is_file(), f"roster sample missing: {ROSTER} (tests/data/roster-samples)"
    commune = live_factory.commune()
    live_factory.user(Role.OFFICER, commune, username="canbo.xa", full_name="Trần Thị Hà",
                      password=OFFICER_PASSWORD)
    live_db.commit()

    # The officer logs in; the UI speaks Vietnamese by default.
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert log_in(page, "canbo.xa", OFFICER_PASSWORD) == "/"

    # Schools of the commune, from the menu; then "register a school".
    schools_path = f"/communes/{commune.id}/schools"
    page.locator("header details.menu summary").click()  # the menu is folded on a phone
    with page.expect_navigation():
        page.locator(f'nav a[href$="{schools_path}"]').click()
    assert path_of(page) == schools_path
    with page.expect_navigation():
        page.locator(f'main a[href$="{schools_path}/new"]').click()
    assert path_of(page) == f"{schools_path}/new"
    form = main_form(page, "code")
    form.locator("input[name=code]").fill(SCHOOL_CODE)
    form.locator("input[name=name]").fill(SCHOOL_NAME)
    form.locator("select[name=level]").select_option("thcs")
    form.locator("input[name=address]").fill("Thôn Vạn Lộc, xã Bình Chương")
    submit(page, form)

    # Straight on to appointing the school's admin: a new account with a one-time password.
    match = re.fullmatch(rf"{schools_path}/(\d+)/admins", path_of(page))
    assert match, page.url
    school_id = int(match.group(1))
    form = main_form(page, "full_name")
    form.locator("input[name=full_name]").fill(ADMIN_NAME)
    submit(page, form)
    admin_username, admin_temp = read_credentials(page)
    log_out(page)

    # The admin's first login goes to the password form, then home.
    assert log_in(page, admin_username, admin_temp) == "/password"
    set_new_password(page, admin_temp, "quản-trị-trường-1")

    # The admin imports the class lists of grade 7, creating the classes on the way.
    page.goto(f"/schools/{school_id}/import")
    assert path_of(page) == f"/schools/{school_id}/import"
    form = main_form(page, "file")
    form.locator("input[name=file]").set_input_files(str(ROSTER))
    form.locator("select[name=kind]").select_option("students")
    form.locator("input[name=create_classes]").check()
    submit(page, form)
    commit = page.locator("[data-testid=commit-import]")
    assert commit.count() == 1, page.locator("main").inner_text()
    with page.expect_navigation():
        commit.click()
    assert page.locator("code[data-testid=username]").count() > 1, "a sheet for the whole list"
    student_username, student_temp = read_credentials(page)
    log_out(page)

    # The student logs in with the printed one-time password, chooses their own, sees their school.
    assert log_in(page, student_username, student_temp) == "/password"
    set_new_password(page, student_temp, "học-sinh-lớp-7a")
    home = page.locator("main").inner_text()
    assert SCHOOL_NAME in home
    assert re.search(r"\b7[AB]\b", home), "the class made from the sheet's tab (7A or 7B)"
    assert page.locator("html").get_attribute("lang") == "vi"

    assert page.external_requests == []
    assert page.js_errors == []

"""Role × route → allowed or refused, for every endpoint of the app.

A new route without a row here fails `test_every_endpoint_has_a_row`.
Codes: 200/302 allowed, 403 refused, 404 private (another school's object),
LOGIN = redirected to the login page.
"""
from __future__ import annotations

import io

import pytest

LOGIN = "login"
ROLES = ("anonymous", "student", "teacher", "admin", "other_admin", "officer", "outsider")


def row(anonymous, student, teacher, admin, other_admin, officer, outsider):
    return dict(zip(ROLES, (anonymous, student, teacher, admin, other_admin, officer, outsider), strict=True))


OFFICER_ONLY = row(LOGIN, 403, 403, 403, 403, 200, 404)
ADMIN_ONLY = row(LOGIN, 403, 403, 200, 404, 403, 404)
STAFF_ONLY = row(LOGIN, 403, 200, 200, 404, 403, 404)

# endpoint: (method, url template, expected per role)
MATRIX = {
    "static": ("GET", "/static/css/app.css", row(200, 200, 200, 200, 200, 200, 200)),
    "core.home": ("GET", "/", row(LOGIN, 200, 200, 200, 200, 200, 200)),
    "core.healthz": ("GET", "/healthz", row(200, 200, 200, 200, 200, 200, 200)),
    "core.language": ("POST", "/language", row(302, 302, 302, 302, 302, 302, 302)),
    "auth.login": ("GET", "/login", row(200, 302, 302, 302, 302, 302, 302)),
    "auth.logout": ("POST", "/logout", row(LOGIN, 302, 302, 302, 302, 302, 302)),
    "auth.change_password": ("GET", "/password", row(LOGIN, 200, 200, 200, 200, 200, 200)),
    "admin.schools": ("GET", "/communes/{commune}/schools", OFFICER_ONLY),
    "admin.new_school": ("GET", "/communes/{commune}/schools/new", OFFICER_ONLY),
    "admin.edit_school": ("GET", "/communes/{commune}/schools/{school}/edit", OFFICER_ONLY),
    "admin.school_active": ("GET", "/communes/{commune}/schools/{school}/active", OFFICER_ONLY),
    "admin.appoint_admin": ("GET", "/communes/{commune}/schools/{school}/admins", OFFICER_ONLY),
    "school.overview": ("GET", "/schools/{school}", row(LOGIN, 200, 200, 200, 404, 200, 404)),
    "school.teachers": ("GET", "/schools/{school}/teachers", STAFF_ONLY),
    "school.students": ("GET", "/schools/{school}/students", STAFF_ONLY),
    "school.class_detail": ("GET", "/schools/{school}/classes/{school_class}", row(LOGIN, 403, 302, 302, 404, 403, 404)),
    "school.new_teacher": ("GET", "/schools/{school}/teachers/new", ADMIN_ONLY),
    "school.new_student": ("GET", "/schools/{school}/students/new", ADMIN_ONLY),
    "school.edit_person": ("GET", "/schools/{school}/people/{student}/edit", ADMIN_ONLY),
    "school.person_active": ("GET", "/schools/{school}/people/{student}/active", ADMIN_ONLY),
    "school.reset_password": ("GET", "/schools/{school}/people/{student}/password", ADMIN_ONLY),
    "school.new_class": ("GET", "/schools/{school}/classes/new", ADMIN_ONLY),
    "school.edit_class": ("GET", "/schools/{school}/classes/{school_class}/edit", ADMIN_ONLY),
    "roster.upload": ("GET", "/schools/{school}/import", ADMIN_ONLY),
    # The school's audit log: its admins and the commune's officers.
    "audit.log": ("GET", "/units/{school}/audit", row(LOGIN, 403, 403, 200, 404, 200, 404)),
    # A token that was never issued: even the school's admin gets 404.
    "roster.commit": ("POST", "/schools/{school}/import/{token}", row(LOGIN, 403, 403, 404, 404, 403, 404)),
    # Lessons. {lesson}: published, for school THCS-A only, written by `teacher`, with one picture
    # attached. A POST without data changes nothing (400, or a no-op redirect).
    "lessons.index": ("GET", "/lessons", row(200, 200, 200, 200, 200, 200, 200)),
    "lessons.feed": ("GET", "/lessons/feed.atom", row(200, 200, 200, 200, 200, 200, 200)),
    "lessons.mine": ("GET", "/lessons/mine", row(LOGIN, 200, 200, 200, 200, 200, 200)),
    "lessons.new": ("GET", "/lessons/new", row(LOGIN, 403, 200, 200, 200, 403, 403)),
    "lessons.view": ("GET", "/lessons/{lesson}", row(LOGIN, 200, 200, 200, 404, 200, 404)),
    "lessons.print_view": ("GET", "/lessons/{lesson}/print", row(LOGIN, 200, 200, 200, 404, 200, 404)),
    "files.serve": ("GET", "/files/{file}", row(LOGIN, 200, 200, 200, 404, 200, 404)),
    "lessons.edit": ("GET", "/lessons/{lesson}/edit", row(LOGIN, 403, 200, 200, 404, 403, 404)),
    "lessons.status": ("POST", "/lessons/{lesson}/status", row(LOGIN, 403, 400, 400, 404, 403, 404)),
    "lessons.core": ("POST", "/lessons/{lesson}/core", row(LOGIN, 403, 403, 302, 404, 302, 404)),
    "lessons.confirm": ("POST", "/lessons/{lesson}/confirm", row(LOGIN, 400, 400, 400, 404, 400, 404)),
    # Only commune or public lessons can be copied.
    "lessons.copy": ("POST", "/lessons/{lesson}/copy", row(LOGIN, 403, 403, 403, 404, 403, 404)),
    "lessons.readers": ("GET", "/lessons/{lesson}/readers", row(LOGIN, 403, 200, 200, 404, 200, 404)),
    "lessons.revisions": ("GET", "/lessons/{lesson}/revisions", row(LOGIN, 403, 200, 200, 404, 403, 404)),
    "lessons.revision": ("GET", "/lessons/{lesson}/revisions/1", row(LOGIN, 403, 200, 200, 404, 403, 404)),
    "lessons.restore": ("POST", "/lessons/{lesson}/revisions/1/restore", row(LOGIN, 403, 302, 302, 404, 403, 404)),
}


def test_every_endpoint_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - MATRIX.keys())
    stale = sorted(MATRIX.keys() - endpoints)
    assert not missing, f"endpoints without an access-matrix row: {missing}"
    assert not stale, f"rows for endpoints that no longer exist: {stale}"


def _user(world, role):
    return {
        "student": world.student, "teacher": world.teacher, "admin": world.admin,
        "other_admin": world.other_admin, "officer": world.officer, "outsider": world.outsider,
    }[role]


def _lesson_with_picture(world, factory, app, db):
    from schoolhub import files
    from schoolhub.lessons import services as lesson_services
    from tests.test_files import png_bytes

    lesson = factory.lesson(world.school, world.teacher, visibility="school")
    stored = files.store(io.BytesIO(png_bytes()), "anh.png", app.config["UPLOAD_DIR"], max_bytes=10**6)
    with app.app_context():
        attachment = lesson_services.add_attachment(db, world.teacher, lesson, stored)
    db.commit()
    return lesson, attachment


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(role, world, client, login_as, factory, app, db):
    lesson, attachment = _lesson_with_picture(world, factory, app, db)
    if role != "anonymous":
        login_as(_user(world, role))
    ids = {"commune": world.commune.id, "school": world.school.id, "school_class": world.school_class.id,
           "student": world.student.id, "token": "0123456789abcdef0123456789abcdef",
           "lesson": lesson.id, "attachment": attachment.id, "file": attachment.token}
    failures = []
    for endpoint, (method, template, expected) in MATRIX.items():
        url = template.format(**ids)
        response = client.open(url, method=method, data={} if method == "POST" else None)
        response.close()
        want = expected[role]
        if want == LOGIN:
            ok = response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            ok = response.status_code == want
        if not ok:
            failures.append(f"{endpoint} {method} {url}: expected {want}, got {response.status_code}")
        if endpoint == "auth.logout" and role != "anonymous":
            login_as(_user(world, role))
    assert not failures, "\n".join(failures)

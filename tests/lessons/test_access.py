"""Who gets what from every lessons endpoint and method, files included.

Rows and principals: tests/helpers/access.py. {lesson}: published, for its school (THCS-A) only,
written by `teacher`, with one picture attached ({file}); not core material, so confirming it is 400,
and copying it is refused (only commune or public lessons are copied). A POST is sent empty.
"""
from __future__ import annotations

import pytest

from tests.helpers.access import LOGIN, PRINCIPALS, Row, assert_rows_match_app
from tests.helpers.samples import png_bytes


def readers(endpoint: str, method: str, path: str, allowed: int = 200) -> Row:
    """The lesson as its readers get it: the school's people and the commune's officer; others 404."""
    return Row(endpoint, method, path, default=404, anonymous=LOGIN, student=allowed, teacher=allowed,
               colleague=allowed, admin=allowed, officer=allowed)


def editors(endpoint: str, method: str, path: str, allowed: int = 200) -> Row:
    """What only the author and the school's admin may do; other readers 403, everyone else 404."""
    return Row(endpoint, method, path, default=404, anonymous=LOGIN, student=403, colleague=403, officer=403,
               teacher=allowed, admin=allowed)


def writers(endpoint: str, method: str, path: str, allowed: int = 200) -> Row:
    """Writing a new lesson: the teachers and admins of any school."""
    return Row(endpoint, method, path, default=403, anonymous=LOGIN, teacher=allowed, colleague=allowed,
               other_teacher=allowed, admin=allowed, other_admin=allowed)


LESSON = "/lessons/{lesson}"

ROWS = [
    Row("lessons.index", "GET", "/lessons", default=200),
    Row("lessons.feed", "GET", "/lessons/feed.atom", default=200),
    Row("lessons.mine", "GET", "/lessons/mine", default=200, anonymous=LOGIN),
    writers("lessons.new", "GET", "/lessons/new"),
    writers("lessons.new", "POST", "/lessons/new"),  # the form again, with what is missing
    readers("lessons.view", "GET", LESSON),
    readers("lessons.print_view", "GET", LESSON + "/print"),
    readers("files.serve", "GET", "/files/{file}"),
    # Not core material: every reader's confirmation is refused.
    readers("lessons.confirm", "POST", LESSON + "/confirm", allowed=400),
    # A school-only lesson is copied by nobody.
    readers("lessons.copy", "POST", LESSON + "/copy", allowed=403),
    editors("lessons.edit", "GET", LESSON + "/edit"),
    editors("lessons.edit", "POST", LESSON + "/edit"),  # the form again, with what is missing
    editors("lessons.status", "POST", LESSON + "/status", allowed=400),  # no status asked for
    Row("lessons.core", "POST", LESSON + "/core", default=404, anonymous=LOGIN, student=403, teacher=403,
        colleague=403, admin=302, officer=302),
    Row("lessons.readers", "GET", LESSON + "/readers", default=404, anonymous=LOGIN, student=403, colleague=403,
        teacher=200, admin=200, officer=200),
    editors("lessons.revisions", "GET", LESSON + "/revisions"),
    editors("lessons.revision", "GET", LESSON + "/revisions/1"),
    editors("lessons.restore", "POST", LESSON + "/revisions/1/restore", allowed=302),
    Row("lessons.formatting", "GET", "/lessons/formatting", default=200),
    # Teachers' names behind the core-material figures: the school's admins and the commune's officers.
    Row("lessons.informed", "GET", "/lessons/informed/{school}", default=404, anonymous=LOGIN, student=403,
        teacher=403, colleague=403, admin=200, officer=200),
    Row("lessons.informed_xlsx", "GET", "/lessons/informed/{school}.xlsx", default=404, anonymous=LOGIN,
        student=403, teacher=403, colleague=403, admin=200, officer=200),
]


@pytest.fixture
def targets(world, factory) -> dict:
    lesson = factory.lesson(world.school, world.teacher, visibility="school")
    picture = factory.attachment(lesson, png_bytes(), "anh.png")
    return {"lesson": lesson.id, "file": picture.token, "school": world.school.id}


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_access(principal, check_access, targets):
    check_access(ROWS, principal, targets)


def test_every_endpoint_and_method_has_a_row(app):
    assert_rows_match_app(app, ROWS, "lessons")

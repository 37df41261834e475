"""Lessons' fixtures: factory methods that make lessons and their files through the lessons services, and the
generated cases tests/core/test_policy.py checks the VIEW_LESSON scope against."""
from __future__ import annotations

import io

import pytest


class LessonFactory:
    """`factory.lesson(...)` and `factory.attachment(...)` (mixed into the core Factory)."""

    def lesson(self, school, author, *, title: str = "Bài học thử", body: str = "Nội dung bài học.",
               status: str = "published", visibility: str = "commune", is_core: bool = False, **fields):
        """A lesson made through the services, as a teacher would make it."""
        from schoolhub.lessons import services as lesson_services
        from schoolhub.lessons.models import LessonStatus, Visibility

        data = lesson_services.LessonInput(title=title, body=body, visibility=Visibility(visibility), **fields)
        lesson = lesson_services.create_lesson(self.db, author, school, data)
        if status != "draft":
            lesson_services.set_status(self.db, author, lesson, LessonStatus.PUBLISHED)
        if status == "archived":
            lesson_services.set_status(self.db, author, lesson, LessonStatus.ARCHIVED)
        lesson.is_core = is_core
        self.db.commit()
        return lesson

    def attachment(self, lesson, data: bytes, name: str, actor=None):
        """A file stored in UPLOAD_DIR and attached to the lesson by `actor` (default: its author)."""
        from schoolhub import files
        from schoolhub.lessons import services as lesson_services

        stored = files.store(io.BytesIO(data), name, self.app.config["UPLOAD_DIR"], max_bytes=10**7)
        attachment = lesson_services.add_attachment(self.db, actor or lesson.author, lesson, stored)
        self.db.commit()
        return attachment


def pytest_schoolhub_factory_parts() -> type:
    return LessonFactory



@pytest.fixture
def scope_case_view_lesson(world, factory, db):
    """Lessons of every status × visibility in three schools (two communes), and every kind of reader."""
    from schoolhub.accounts.models import Role

    far_commune = factory.commune(name="Xã Bình Hải")
    far_school = factory.school(far_commune, name="Trường THCS Bình Hải")
    far_teacher = factory.user(Role.TEACHER, far_school, username="far.teacher")
    far_officer = factory.user(Role.OFFICER, far_commune, username="far.officer")
    province_officer = factory.user(Role.OFFICER, world.commune.parent, username="province.officer")
    db.commit()
    authors = {world.school.id: world.teacher, world.other_school.id: world.other_teacher, far_school.id: far_teacher}
    lessons = []
    for school in (world.school, world.other_school, far_school):
        for status in ("draft", "published", "archived"):
            for visibility in ("school", "commune", "public"):
                lessons.append(factory.lesson(school, authors[school.id], title=f"{status} {visibility}",
                                              status=status, visibility=visibility))
    # A lesson by a teacher who no longer teaches at its school (the author is now elsewhere).
    lessons.append(factory.lesson(world.school, world.other_teacher, title="left", status="draft"))
    principals = {"anonymous": None, "student": world.student, "teacher": world.teacher, "admin": world.admin,
                  "other_admin": world.other_admin, "other_teacher": world.other_teacher,
                  "other_student": world.other_student, "officer": world.officer, "outsider": world.outsider,
                  "far_teacher": far_teacher, "far_officer": far_officer, "province_officer": province_officer}
    return lessons, principals
@pytest.fixture
def scope_case_confirm_lesson(world, factory, db):
    """Core lessons of two communes: flagged for the school or the commune, for each audience, each
    visibility (and a draft and an unflagged one); the people of every role, near and far."""
    from schoolhub.accounts.models import Role

    far_commune = factory.commune(name="Xã Bình Hải")
    far_school = factory.school(far_commune, name="Trường THCS Bình Hải")
    far_teacher = factory.user(Role.TEACHER, far_school, username="far.teacher")
    far_student = factory.user(Role.STUDENT, far_school, username="far.student",
                               school_class=factory.school_class(far_school, "6A", 6))
    db.commit()
    authors = {world.school.id: world.teacher, world.other_school.id: world.other_teacher, far_school.id: far_teacher}
    lessons = []
    for school in (world.school, far_school):
        for scope in (school, school.parent, None):
            for audiences in ((), ("teachers",), ("students",), ("parents",)):
                for visibility in ("school", "commune"):
                    lesson = factory.lesson(school, authors[school.id], title=f"core {visibility}", is_core=True,
                                            visibility=visibility, audiences=audiences)
                    lesson.core_unit_id = scope.id if scope is not None else None
                    lessons.append(lesson)
    lessons.append(factory.lesson(world.other_school, world.other_teacher, title="B core", is_core=True))
    lessons.append(factory.lesson(world.school, world.teacher, title="core draft", status="draft", is_core=True))
    lessons.append(factory.lesson(world.school, world.teacher, title="not core", visibility="commune"))
    db.commit()
    principals = {"anonymous": None, "student": world.student, "teacher": world.teacher, "admin": world.admin,
                  "other_admin": world.other_admin, "other_teacher": world.other_teacher,
                  "other_student": world.other_student, "officer": world.officer, "outsider": world.outsider,
                  "far_teacher": far_teacher, "far_student": far_student}
    return lessons, principals


@pytest.fixture
def sent(app):
    """The statements the app sends while the test runs, leading blanks stripped, as a list it may clear."""
    from sqlalchemy import event

    found: list[str] = []

    def _before(conn, cursor, statement, *args):
        found.append(statement.lstrip())

    engine = app.extensions["schoolhub.engine"]
    event.listen(engine, "before_cursor_execute", _before)
    yield found
    event.remove(engine, "before_cursor_execute", _before)

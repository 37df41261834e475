"""Lessons' fixtures: factory methods that make lessons and their files through the lessons services."""
from __future__ import annotations

import io


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


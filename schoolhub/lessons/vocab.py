"""The fixed vocabularies of lessons: topics from the plan, subjects, audiences."""
from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from schoolhub.vocab import set_labels


class LessonStatus(enum.StrEnum):
    """Draft → published → archived (and back to draft to rework)."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Visibility(enum.StrEnum):
    """Who may read a published lesson."""

    SCHOOL = "school"
    COMMUNE = "commune"
    PUBLIC = "public"


# Topics drawn from the commune plan (ke-hoach-nq57); keys are stored, labels shown.
TOPICS = {
    "khcn": _l("Science and technology"),
    "dmst": _l("Innovation"),
    "cds": _l("Digital transformation"),
    "stem": _l("STEM"),
    "ai": _l("Artificial intelligence"),
    "attt": _l("Information security"),
    "kns": _l("Digital skills / Bình dân học vụ số"),
}

SUBJECTS = {
    "toan": _l("Mathematics"),
    "khtn": _l("Natural sciences"),
    "cong_nghe": _l("Technology"),
    "tin_hoc": _l("Informatics"),
    "vat_ly": _l("Physics"),
    "hoa_hoc": _l("Chemistry"),
    "sinh_hoc": _l("Biology"),
    "khac": _l("Other subject"),
}

AUDIENCES = {
    "students": _l("Students"),
    "teachers": _l("Teachers"),
    "parents": _l("Parents"),
}

set_labels(Visibility, {
    Visibility.SCHOOL: _l("My school only"),
    Visibility.COMMUNE: _l("All schools of the commune"),
    Visibility.PUBLIC: _l("Public"),
})

set_labels(LessonStatus, {
    LessonStatus.DRAFT: _l("Draft"),
    LessonStatus.PUBLISHED: _l("Published"),
    LessonStatus.ARCHIVED: _l("Archived"),
})

GRADES = range(0, 13)  # 0: pre-school groups, 1-12: grades


def grade_label(grade: int):
    """'Mầm non' for 0, 'Lớp 7' for 7 (a lazy string: translated when shown, in the reader's language)."""
    return _l("Pre-school") if grade == 0 else _l("Grade %(n)d", n=grade)


def pack(values) -> str:
    """Store a set of keys as ',a,b,' so one LIKE '%,a,%' finds it on every database."""
    values = [str(v) for v in values if str(v)]
    return f",{','.join(values)}," if values else ""


def unpack(stored: str | None) -> list[str]:
    """The keys of a packed column, in stored order."""
    return [v for v in (stored or "").split(",") if v]

# What the audit log page calls each action this domain records (schoolhub.audit).
AUDIT_LABELS = {
    "lesson.draft": _l("Lesson taken back to draft"),
    "lesson.published": _l("Lesson published"),
    "lesson.archived": _l("Lesson archived"),
    "lesson.core": _l("Lesson marked as core material"),
    "lesson.not_core": _l("Lesson no longer core material"),
    "lesson.copy": _l("Lesson copied"),
}


# The labels in one language, made once per language: a page of lesson cards and the search form's
# choices would otherwise translate each lazy label anew, hundreds of catalog look-ups a page.
_IN_LANGUAGE: dict[str, dict] = {}


def labels_in(language: str) -> dict:
    """TOPICS, SUBJECTS, AUDIENCES and grade labels as plain strings of `language` (the current one)."""
    if language not in _IN_LANGUAGE:
        _IN_LANGUAGE[language] = {
            "TOPICS": {k: str(v) for k, v in TOPICS.items()},
            "SUBJECTS": {k: str(v) for k, v in SUBJECTS.items()},
            "AUDIENCES": {k: str(v) for k, v in AUDIENCES.items()},
            "GRADE_LABELS": {g: str(grade_label(g)) for g in GRADES},
        }
    return _IN_LANGUAGE[language]


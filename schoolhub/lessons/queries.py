"""Read-side queries of lessons: what a user may see, search, reader counts."""
from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import Select, case, column, func, select, table, true
from sqlalchemy.orm import Session, defer, joinedload

from schoolhub.accounts.models import Membership, OrgUnit, Role
from schoolhub.lessons.models import Lesson, LessonRead, LessonStatus
from schoolhub.lessons.policy import visible_lessons
from schoolhub.textfold import exact_key, fold, nfc

QUERY_MAX = 100


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# The FTS5 trigram table migration 0004 keeps beside `lessons` on SQLite (rowid = lessons.id).
_FTS = table("lessons_fts", column("rowid"), column("search_folded"))
# What a lesson card shows needs none of the long text: lists never carry it through their sort.
CARD_OPTIONS = (defer(Lesson.body), defer(Lesson.body_html), defer(Lesson.search_folded), defer(Lesson.search_exact))


def _on_sqlite() -> bool:
    return has_app_context() and current_app.extensions["schoolhub.engine"].dialect.name == "sqlite"


def contains_word(word: str):
    """Lessons whose folded text contains `word`, through the trigram index of either database.

    PostgreSQL's pg_trgm GIN index serves the LIKE on lessons.search_folded itself; on SQLite the
    FTS5 trigram table answers the same LIKE (words of 3 characters or more without LIKE's special
    characters; the rest take the plain LIKE, with the same result).
    """
    if _on_sqlite() and len(word) >= 3 and not any(ch in word for ch in "%_\\"):
        return Lesson.id.in_(select(_FTS.c.rowid).where(_FTS.c.search_folded.like(f"%{word}%")))
    return Lesson.search_folded.like(f"%{_like_escape(word)}%", escape="\\")


def visible_clause(user):
    """The WHERE clause for the lessons the user may read: the VIEW_LESSON scope (lessons.policy)."""
    return visible_lessons(user)


def _words(q: str) -> list[str]:
    return [w for w in fold(q).split(" ") if w][:8]


def search(user, *, q: str = "", topic: str = "", subject: str = "", grade: int | None = None,
           school_id: int | None = None, status: LessonStatus | None = LessonStatus.PUBLISHED,
           mine: bool = False) -> Select:
    """Lessons the user may read, matching the query (accent-insensitive) and filters, best first.

    Every word of the query must appear in the folded text; a lesson whose text holds the query
    exactly as typed (diacritics included) ranks first, then one whose title matches.
    """
    q = nfc(q)[:QUERY_MAX]
    stmt = (select(Lesson)
            .where(visible_clause(user))
            .options(joinedload(Lesson.school), joinedload(Lesson.author), *CARD_OPTIONS))
    if status is not None:
        stmt = stmt.where(Lesson.status == status)
    if mine and getattr(user, "is_authenticated", False):
        stmt = stmt.where(Lesson.author_id == user.id)
    if topic:
        stmt = stmt.where(Lesson.topics.like(f"%,{_like_escape(topic)},%", escape="\\"))
    if subject:
        stmt = stmt.where(Lesson.subjects.like(f"%,{_like_escape(subject)},%", escape="\\"))
    if grade is not None:
        stmt = stmt.where(Lesson.grades.like(f"%,{int(grade)},%"))
    if school_id:
        stmt = stmt.where(Lesson.school_id == school_id)
    words = _words(q)
    for word in words:
        stmt = stmt.where(contains_word(word))
    order = []
    if words:
        exact = _like_escape(exact_key(q))
        folded = _like_escape(" ".join(words))
        order.append(case(
            (Lesson.search_exact.like(f"%{exact}%", escape="\\"), 0),
            (Lesson.title_folded.like(f"%{folded}%", escape="\\"), 1),
            (Lesson.search_folded.like(f"%{folded}%", escape="\\"), 2),
            else_=3,
        ))
    # Published lessons always have published_at: ordering by the column itself lets an index serve the list.
    when = Lesson.published_at if status == LessonStatus.PUBLISHED else func.coalesce(Lesson.published_at,
                                                                                        Lesson.updated_at)
    order += [Lesson.is_core.desc(), when.desc(), Lesson.id.desc()]
    return stmt.order_by(*order)


def newest(user) -> Select:
    """Published lessons the user may read, newest first (the home page's list)."""
    return search(user).order_by(None).order_by(Lesson.published_at.desc(), Lesson.id.desc())


def schools_with_lessons(session: Session, user) -> list[OrgUnit]:
    """Schools owning at least one lesson the user may read (the school filter's choices)."""
    stmt = (select(OrgUnit).join(Lesson, Lesson.school_id == OrgUnit.id)
            .where(visible_clause(user), Lesson.status == LessonStatus.PUBLISHED)
            .distinct().order_by(OrgUnit.name_folded))
    return list(session.scalars(stmt))


def reader_counts(session: Session, lesson: Lesson) -> dict[Role, tuple[int, int]]:
    """For each role: how many people holding it opened the lesson, and how many confirmed it."""
    stmt = (
        select(Membership.role, func.count(func.distinct(LessonRead.user_id)),
               func.count(func.distinct(case((LessonRead.confirmed_at.is_not(None), LessonRead.user_id)))))
        .join(Membership, Membership.user_id == LessonRead.user_id)
        .where(LessonRead.lesson_id == lesson.id, Membership.ended_on.is_(None))
        .group_by(Membership.role)
    )
    return {Role(role): (int(read), int(confirmed)) for role, read, confirmed in session.execute(stmt)}


def informed_teachers(session: Session, unit: OrgUnit) -> tuple[int, int]:
    """(teachers under the unit who confirmed at least one core lesson, all teachers under it).

    The commune's "teachers informed about the resolution" figure counts these records.
    """
    under = unit.subtree()
    staff = (under, Membership.role.in_([Role.TEACHER, Role.SCHOOL_ADMIN]), Membership.ended_on.is_(None))
    teachers = select(Membership.user_id).join(OrgUnit, OrgUnit.id == Membership.unit_id).where(*staff)
    total = session.scalar(select(func.count(func.distinct(Membership.user_id))).select_from(
        Membership).join(OrgUnit, OrgUnit.id == Membership.unit_id).where(*staff)) or 0
    informed = session.scalar(
        select(func.count(func.distinct(LessonRead.user_id)))
        .join(Lesson, Lesson.id == LessonRead.lesson_id)
        .where(Lesson.is_core.is_(true()), LessonRead.confirmed_at.is_not(None),
               LessonRead.user_id.in_(teachers))) or 0
    return int(informed), int(total)


def core_unconfirmed_select(user) -> Select:
    """Core lessons the user may read and has not confirmed yet (the worklist asks its count)."""
    confirmed = select(LessonRead.lesson_id).where(LessonRead.user_id == user.id, LessonRead.confirmed_at.is_not(None))
    return (select(Lesson)
            .where(visible_clause(user), Lesson.status == LessonStatus.PUBLISHED, Lesson.is_core.is_(true()),
                   Lesson.id.not_in(confirmed)))


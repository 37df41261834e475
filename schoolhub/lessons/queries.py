"""Read-side queries of lessons: what a user may see, search, reader counts."""
from __future__ import annotations

from sqlalchemy import Select, case, func, select, true
from sqlalchemy.orm import Session, joinedload

from schoolhub.accounts.models import Membership, OrgUnit, Role
from schoolhub.lessons.models import Lesson, LessonRead, LessonStatus
from schoolhub.lessons.policy import visible_lessons
from schoolhub.textfold import exact_key, fold, nfc

QUERY_MAX = 100


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
            .options(joinedload(Lesson.school), joinedload(Lesson.author)))
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
        stmt = stmt.where(Lesson.search_folded.like(f"%{_like_escape(word)}%", escape="\\"))
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
    order += [Lesson.is_core.desc(), func.coalesce(Lesson.published_at, Lesson.updated_at).desc(), Lesson.id.desc()]
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
        .where(LessonRead.lesson_id == lesson.id)
        .group_by(Membership.role)
    )
    return {Role(role): (int(read), int(confirmed)) for role, read, confirmed in session.execute(stmt)}


def informed_teachers(session: Session, unit: OrgUnit) -> tuple[int, int]:
    """(teachers under the unit who confirmed at least one core lesson, all teachers under it).

    The commune's "teachers informed about the resolution" figure counts these records.
    """
    under = OrgUnit.path.like(f"{_like_escape(unit.path)}%", escape="\\")
    teachers = (select(Membership.user_id).join(OrgUnit, OrgUnit.id == Membership.unit_id)
                .where(under, Membership.role.in_([Role.TEACHER, Role.SCHOOL_ADMIN])))
    total = session.scalar(select(func.count(func.distinct(Membership.user_id))).select_from(
        Membership).join(OrgUnit, OrgUnit.id == Membership.unit_id)
        .where(under, Membership.role.in_([Role.TEACHER, Role.SCHOOL_ADMIN]))) or 0
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



def read_of(session: Session, user, lesson: Lesson) -> LessonRead | None:
    """The user's reading record of the lesson, if they opened it before."""
    return session.scalar(select(LessonRead).where(LessonRead.lesson_id == lesson.id, LessonRead.user_id == user.id))

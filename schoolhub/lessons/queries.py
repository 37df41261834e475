"""Read-side queries of lessons: what a user may see, search, reader counts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import Integer, Select, and_, case, column, func, or_, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, defer, joinedload
from sqlalchemy.sql.functions import FunctionElement

from schoolhub.accounts.models import Membership, OrgUnit, Role, UnitKind, User
from schoolhub.lessons.labels import Named, named_in
from schoolhub.lessons.models import CoreReader, Lesson, LessonRead, LessonStatus
from schoolhub.lessons.policy import core_lessons_for_teachers_of, lessons_to_confirm, visible_lessons
from schoolhub.pagination import COUNT_CAP, Page, current_page, paginate
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


SHORT = 2  # words this short hold no trigram: no index can serve them


class _position(FunctionElement):
    """Where `needle` first occurs in `text` (1-based, 0 when absent): instr on SQLite, strpos on PostgreSQL,
    decided when the statement is compiled for its database."""

    type = Integer()
    inherit_cache = True


@compiles(_position)
def _position_sqlite(element, compiler, **kw):
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(_position, "postgresql")
def _position_postgresql(element, compiler, **kw):
    return f"strpos({compiler.process(element.clauses, **kw)})"


def contains_word(word: str):
    """Lessons whose folded text contains `word`, through the trigram index of either database.

    PostgreSQL's pg_trgm GIN index serves the LIKE on lessons.search_folded itself; on SQLite the
    FTS5 trigram table answers the same LIKE (words of 3 characters or more without LIKE's special
    characters; the rest take the plain LIKE, with the same result).

    A word of one or two letters ("so", "ai") holds no trigram: given to the GIN index it makes
    PostgreSQL read the whole index. It is checked instead on the rows the longer words (through the
    index) and the other conditions narrowed, as a plain substring test: strpos / instr, the same
    answer as the escaped LIKE, in a form no planner hands to the trigram index.
    """
    if len(word) <= SHORT:
        return _position(Lesson.search_folded, word) > 0
    if _on_sqlite() and len(word) >= 3 and not any(ch in word for ch in "%_\\"):
        return Lesson.id.in_(select(_FTS.c.rowid).where(_FTS.c.search_folded.like(f"%{word}%")))
    return Lesson.search_folded.like(f"%{_like_escape(word)}%", escape="\\")


def visible_clause(user):
    """The WHERE clause for the lessons the user may read: the VIEW_LESSON scope (lessons.policy)."""
    return visible_lessons(user)


def _words(q: str) -> list[str]:
    return [w for w in fold(q).split(" ") if w][:8]


def _label_clause(label: Named):
    column = getattr(Lesson, label.column)
    return column.like(f"%,{_like_escape(label.key)},%", escape="\\")


def _matches(words: list[str]):
    """Every word in the lesson's folded text; or, when the query names labels (lessons.labels), the
    lessons filed under all of them whose text holds the words left over."""
    in_text = and_(*[contains_word(word) for word in words])
    named, rest = named_in(words)
    if not named:
        return in_text
    return or_(in_text, and_(*[_label_clause(label) for label in named], *[contains_word(word) for word in rest]))


def _search_parts(user, *, q: str = "", topic: str = "", subject: str = "", grade: int | None = None,
                  school_id: int | None = None, status: LessonStatus | None = LessonStatus.PUBLISHED,
                  mine: bool = False) -> tuple[list, list]:
    """The conditions of search(), and its order as (expression, descending) pairs."""
    q = nfc(q)[:QUERY_MAX]
    where = [visible_clause(user)]
    if status is not None:
        where.append(Lesson.status == status)
    if mine and getattr(user, "is_authenticated", False):
        where.append(Lesson.author_id == user.id)
    if topic:
        where.append(Lesson.topics.like(f"%,{_like_escape(topic)},%", escape="\\"))
    if subject:
        where.append(Lesson.subjects.like(f"%,{_like_escape(subject)},%", escape="\\"))
    if grade is not None:
        where.append(Lesson.grades.like(f"%,{int(grade)},%"))
    if school_id:
        where.append(Lesson.school_id == school_id)
    words = _words(q)
    if words:
        where.append(_matches(words))
    order = []
    if words:
        exact = _like_escape(exact_key(q))
        folded = _like_escape(" ".join(words))
        order.append((case(
            (Lesson.search_exact.like(f"%{exact}%", escape="\\"), 0),
            (Lesson.title_folded.like(f"%{folded}%", escape="\\"), 1),
            (Lesson.search_folded.like(f"%{folded}%", escape="\\"), 2),
            else_=3,
        ), False))
    # Published lessons always have published_at: ordering by the column itself lets an index serve the list.
    when = Lesson.published_at if status == LessonStatus.PUBLISHED else func.coalesce(Lesson.published_at,
                                                                                        Lesson.updated_at)
    order += [(Lesson.is_core, True), (when, True), (Lesson.id, True)]
    return where, order


def _ordered(keys) -> list:
    return [expr.desc() if descending else expr for expr, descending in keys]


def search(user, **filters) -> Select:
    """Lessons the user may read, matching the query (accent-insensitive) and filters, best first.

    Every word of the query must appear in the folded text; a lesson whose text holds the query
    exactly as typed (diacritics included) ranks first, then one whose title matches.
    Filters: q, topic, subject, grade, school_id, status (published; None: any), mine.
    """
    where, order = _search_parts(user, **filters)
    return (select(Lesson).where(*where)
            .options(joinedload(Lesson.school), joinedload(Lesson.author), *CARD_OPTIONS)
            .order_by(*_ordered(order)))


def ranks(q: str) -> bool:
    """True when search() orders by relevance: its sort then reads every match (see search_page)."""
    return bool(_words(nfc(q)[:QUERY_MAX]))


def search_page(session: Session, user, **filters) -> Page:
    """The requested page of search(user, **filters), ranked by relevance, in one statement.

    A ranked search sorts every match whatever the page, so the same statement counts them
    (COUNT(*) OVER (), capped as paginate caps it): no second statement reads the matches again. The
    ranking, count and page run on narrow rows (id and sort keys); only the page's 25 lessons are then
    joined to their columns, school and author, instead of every match before the sort. A page past
    the end falls back to paginate, which shows the last page.
    """
    where, order = _search_parts(user, **filters)
    per_page = current_app.config["PER_PAGE"]
    page = current_page()
    cap = max(COUNT_CAP, (page + 10) * per_page)
    # The sort keys of every match, computed row by row. OFFSET 0 keeps PostgreSQL from merging this
    # into the level above, where the window would hold each match's compressed text (about 1 KB) to
    # compute the keys after it: 5,000 matches then spill to disk.
    keyed = (select(Lesson.id.label("lesson_id"), *[expr.label(f"k{i}") for i, (expr, _d) in enumerate(order)])
             .where(*where).offset(0).subquery())
    by_keys = [(keyed.c[f"k{i}"], desc) for i, (_e, desc) in enumerate(order)]
    ranked = (select(keyed, func.count().over().label("total")).order_by(*_ordered(by_keys))
              .limit(per_page).offset((page - 1) * per_page).subquery())
    stmt = (select(Lesson, ranked.c.total).join(ranked, ranked.c.lesson_id == Lesson.id)
            .options(joinedload(Lesson.school), joinedload(Lesson.author), *CARD_OPTIONS)
            .order_by(*_ordered([(ranked.c[f"k{i}"], desc) for i, (_e, desc) in enumerate(order)])))
    rows = list(session.execute(stmt).unique())
    if not rows and page > 1:
        return paginate(session, search(user, **filters))
    total = rows[0][1] if rows else 0
    return Page(items=[row[0] for row in rows], page=page, per_page=per_page, total=min(total, cap),
                more=total > cap)


def newest(user) -> Select:
    """Published lessons the user may read, newest first (the home page's list)."""
    return search(user).order_by(None).order_by(Lesson.published_at.desc(), Lesson.id.desc())


def schools_with_lessons(session: Session, user) -> list:
    """Schools owning at least one lesson the user may read (the school filter's choices): rows of id
    and name, by name (a province's 300 schools as ORM objects cost more than the query).

    One EXISTS per unit on the (school_id) index, which stops at the first readable lesson, instead
    of reading every visible lesson of the province to find their distinct schools.
    """
    readable = (select(Lesson.id).where(Lesson.school_id == OrgUnit.id, Lesson.status == LessonStatus.PUBLISHED,
                                        visible_clause(user))
                # OFFSET 0 keeps it a probe per school that stops at the first readable lesson: PostgreSQL
                # would otherwise turn the EXISTS into a semi-join that reads every visible lesson first.
                .correlate(OrgUnit).limit(1).offset(0))
    stmt = select(OrgUnit.id, OrgUnit.name).where(readable.exists()).order_by(OrgUnit.name_folded)
    return list(session.execute(stmt))


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


@dataclass(frozen=True)
class Informed:
    """Of a school's (or a commune's) active teachers, how many confirmed at least one core lesson."""

    informed: int = 0
    teachers: int = 0


def _active_teachers():
    """Memberships of active accounts holding the teacher role (school admins are not counted), each with
    whether the teacher confirmed at least one core lesson (core_readers, kept on write by lessons.counts)."""
    return (select(Membership.unit_id, Membership.user_id,
                   case((CoreReader.confirmed > 0, Membership.user_id)).label("informed_id"))
            .join(User, User.id == Membership.user_id)
            .outerjoin(CoreReader, CoreReader.user_id == Membership.user_id)
            .where(Membership.role == Role.TEACHER, Membership.ended_on.is_(None), User.is_active_account.is_(True)))


def informed_by_school(session: Session, school_ids: list[int]) -> dict[int, Informed]:
    """The "teachers informed about the resolution" figure of each school, in one statement.

    The one definition every page uses: active accounts with the teacher role at the school (not its
    admins), and among them those who confirmed at least one core lesson.
    """
    found = {sid: Informed() for sid in school_ids}
    if not school_ids:
        return found
    rows = _active_teachers().where(Membership.unit_id.in_(school_ids)).subquery()
    stmt = (select(rows.c.unit_id, func.count(func.distinct(rows.c.user_id)), func.count(func.distinct(rows.c.informed_id)))
            .group_by(rows.c.unit_id))
    for unit_id, teachers, informed in session.execute(stmt):
        found[unit_id] = Informed(informed=int(informed), teachers=int(teachers))
    return found


def informed_teachers(session: Session, unit: OrgUnit) -> Informed:
    """The same figure for every active school under the unit (a commune), each teacher counted once."""
    schools = select(OrgUnit.id).where(OrgUnit.kind == UnitKind.SCHOOL, OrgUnit.is_active.is_(True),
                                       unit.subtree())
    rows = _active_teachers().where(Membership.unit_id.in_(schools)).subquery()
    teachers, informed = session.execute(
        select(func.count(func.distinct(rows.c.user_id)), func.count(func.distinct(rows.c.informed_id)))).one()
    return Informed(informed=int(informed or 0), teachers=int(teachers or 0))


@dataclass
class CoreConfirmations:
    """One core lesson and which of a school's teachers confirmed it (with when), and which have not."""

    lesson: Lesson
    confirmed: list[tuple[User, datetime]]
    waiting: list[User]


def school_confirmations(session: Session, school: OrgUnit) -> tuple[list[User], list[CoreConfirmations]]:
    """The school's active teachers, and for each core lesson they are asked to confirm, who did and who
    has not: three statements whatever the number of teachers and lessons."""
    teachers = list(session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == school.id, Membership.role == Role.TEACHER, Membership.ended_on.is_(None),
               User.is_active_account.is_(True))
        .order_by(User.name_sort, User.id)))
    lessons = list(session.scalars(
        select(Lesson).where(core_lessons_for_teachers_of(school)).options(*CARD_OPTIONS)
        .order_by(Lesson.published_at.desc(), Lesson.id.desc())))
    when: dict[tuple[int, int], datetime] = {}
    if teachers and lessons:
        teacher_ids = (select(Membership.user_id)
                       .where(Membership.unit_id == school.id, Membership.role == Role.TEACHER,
                              Membership.ended_on.is_(None)))
        for lesson_id, user_id, confirmed_at in session.execute(
                select(LessonRead.lesson_id, LessonRead.user_id, LessonRead.confirmed_at)
                .where(LessonRead.lesson_id.in_([lesson.id for lesson in lessons]),
                       LessonRead.user_id.in_(teacher_ids), LessonRead.confirmed_at.is_not(None))):
            when[(lesson_id, user_id)] = confirmed_at
    return teachers, [
        CoreConfirmations(lesson=lesson,
                          confirmed=[(t, when[(lesson.id, t.id)]) for t in teachers if (lesson.id, t.id) in when],
                          waiting=[t for t in teachers if (lesson.id, t.id) not in when])
        for lesson in lessons]


def core_unconfirmed_select(user) -> Select:
    """Core lessons the user is asked to confirm and has not confirmed yet (the worklist asks its count).

    Who is asked is the CONFIRM_LESSON scope (lessons.policy): the lesson's school or commune, the
    audiences it names; the confirm button and route ask the same rule.
    """
    confirmed = select(LessonRead.lesson_id).where(LessonRead.user_id == user.id, LessonRead.confirmed_at.is_not(None))
    return select(Lesson).where(lessons_to_confirm(user), Lesson.id.not_in(confirmed))



def read_of(session: Session, user, lesson: Lesson) -> LessonRead | None:
    """The user's reading record of the lesson, if they opened it before."""
    return session.scalar(select(LessonRead).where(LessonRead.lesson_id == lesson.id, LessonRead.user_id == user.id))

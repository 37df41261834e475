"""Read-side queries of lessons: what a user may see, search, reader counts."""
from __future__ import annotations

import functools
import json
import operator
import threading
from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType

from flask import current_app, has_app_context
from sqlalchemy import (
    DateTime,
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    not_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, defer, joinedload
from sqlalchemy.sql.util import ClauseAdapter

from schoolhub.accounts.models import Membership, OrgUnit, Role, UnitKind, User
from schoolhub.db import PerDatabase, equals_constant, generic_plan, planned_for_values, read_rows
from schoolhub.json_rows import json_rows
from schoolhub.lessons import search as search_module
from schoolhub.lessons.cards import CARD_COLUMNS, CARD_FIELDS
from schoolhub.lessons.models import (
    CoreReader,
    InformedCount,
    Lesson,
    LessonRead,
    LessonShelfToken,
    LessonStatus,
    SchoolLessons,
)
from schoolhub.lessons.policy import (
    REACH_SCHOOL,
    core_lessons_for_teachers_of,
    lessons_to_confirm,
    own_of_reached,
    reach_walk_keys,
    reached_units,
    readable_of_school,
    teachers_of,
    visible_lessons,
    walks_by_reach,
)
from schoolhub.pagination import COUNT_CAP, Page, current_page, paged, paginate
from schoolhub.policy import principal_key, shared_clause
from schoolhub.textfold import fold, nfc
from schoolhub.worklist import NOT_ASKED, page_answer

QUERY_MAX = search_module.QUERY_MAX


# What a lesson card shows needs none of the long text: lists never carry it through their sort.
CARD_OPTIONS = (defer(Lesson.body), defer(Lesson.body_html), defer(Lesson.search_folded), defer(Lesson.search_exact))
# A card's school and author: their names are all it shows.
CARD_JOINS = (joinedload(Lesson.school).load_only(OrgUnit.name), joinedload(Lesson.author).load_only(User.full_name))


def _on_sqlite() -> bool:
    return has_app_context() and current_app.extensions["schoolhub.engine"].dialect.name == "sqlite"


def contains_word(word: str):
    """Lessons whose folded text contains `word`, through the trigram index of either database
    (lessons.search.word_test, with the word bound)."""
    shape, params = _words_shape([word])
    return search_module.bound(search_module.word_test(shape.kinds[0], "w0"), params)


def visible_clause(user):
    """The WHERE clause for the lessons the user may read: the VIEW_LESSON scope (lessons.policy)."""
    return visible_lessons(user)


def _words_shape(words: list[str]) -> tuple[search_module.Shape, dict]:
    """The shape and values of a search for these folded words alone (as typed: the same words)."""
    return search_module.shape_of(None, q=" ".join(words))


def _matches(words: list[str]):
    """Every word in the lesson's folded text; or, when the query names labels (lessons.labels), the
    lessons filed under all of them whose text holds the words left over (search.match_of, bound)."""
    shape, params = _words_shape(words)
    return search_module.bound(search_module.match_of(shape), params)


def _tiers(q: str, words: list[str]) -> list:
    """The ranking's tests, best first (search.tiers_of, bound to the query as typed)."""
    shape, params = search_module.shape_of(None, q=q)
    return [search_module.bound(test, params) for test in search_module.tiers_of(shape)]


def _ordered(keys) -> list:
    return [expr.desc() if descending else expr for expr, descending in keys]


def search(user, **filters) -> Select:
    """Lessons the user may read, matching the query (accent-insensitive) and filters, best first.

    Every word of the query must appear in the folded text; a lesson whose text holds the query
    exactly as typed (diacritics included) ranks first, then one whose title matches.
    Filters: q, topic, subject, grade, school_id, status (published; None: any), mine.
    """
    shape, params = search_shape(user, **filters)
    where, order = search_module.parts_of(shape, user)
    return (select(Lesson).where(*where)
            .options(*CARD_JOINS, *CARD_OPTIONS)
            .order_by(*_ordered(order))).params(params)


def _cards(where: list, order: list) -> Select:
    """search()'s lessons as rows of what their cards show (lessons.cards), not as ORM objects."""
    return _card_rows().where(*where).order_by(*_ordered(order))


def _card_rows() -> Select:
    # Outer joins, as joinedload wrote them: the plan stays the one measured (the lessons' index, then
    # the school and the author by primary key for the page's rows).
    return (select(*CARD_COLUMNS).outerjoin(OrgUnit, OrgUnit.id == Lesson.school_id)
            .outerjoin(User, User.id == Lesson.author_id))


def ranks(q: str) -> bool:
    """True when search() orders by relevance: its sort then reads every match (see search_page)."""
    return bool(search_module.words_of(nfc(q)[:QUERY_MAX]))


# A ranked page is found tier by tier (see search_page), for its first PROBE lessons (pages 1 to 4);
# a tier's first lessons in list order are picked walking at most WALK of the newest readable ones.
PROBE = 100
WALK = 1000
# A search matching fewer readable lessons than FEW is ranked whole, in one statement. The probe asking
# whether it does reads matches until it has FEW: for common words most of a search's first statement
# (bench-phrases at the province preset, PostgreSQL: the probe 7.1-7.4 ms a search at 60, 6.2-6.4 at 30,
# the tiers' statement unchanged at 10 ms; "chuyen doi so" 0.89 -> 0.60 ms).
FEW = 30
# With a filter (topic, subject, grade, school) a tier's probe reads up to COMPLETE matches, so a tier
# holding fewer is sorted whole here instead of walked: the walk reads the newest lessons the filter
# keeps, and a topic keeps about one lesson in five (measured at the province preset, "tri tue nhan tao"
# in topic "ai": the walk read 5,657 lessons for 26, 8 ms; the whole tier was 116 rows).
COMPLETE = 200
# Tier by tier through the tiers' statement on PostgreSQL only (None): its trigram indexes find a tier's
# first matches. On SQLite each probe would read every readable lesson (measured at the commune preset: a
# rare phrase 9 ms against 30 ms, a common one 52 ms against 37 ms). Tests set True to check both ways agree.
TIERED: bool | None = None
# On SQLite (None) a search found matching many is walked instead (_walks_page): each tier in list order,
# through the list walk index (migration 0022), its exact and phrase tiers asked of the trigram tables.
# Tests set True to walk on PostgreSQL too, False to rank every match on SQLite.
WALKS: bool | None = None


# What this process found matching at least FEW readable lessons, by principal (policy.principal_key) and
# what was asked: its next run goes straight to the tiers, without the probe for few matches, which for
# it only ever answered "many" (measured at the province preset, PostgreSQL, in process: "chuyen doi so"
# 8.3 -> 7.1 ms of app and database CPU a search, "tri tue nhan tao" in topic "ai" 10.6 -> 9.6 ms). It
# decides which statements run, never which lessons a page shows nor whether its count is exact. The tiers
# of a search known to match many are asked for at least FEW lessons, so they tell whether it still does:
# when it does, the page says "more than" as after the probe (a bound of whole pages below what the tiers
# saw, which reading a few more may raise); when it matches fewer now (lessons archived or edited since),
# every tier comes back complete and the page counts them exactly, as the probe's statement would
# (tests/lessons/test_search_tiers.py). Such a search is then forgotten: its next run takes the cheaper way.
# Kept with it: whether its head statement found its page last time (HEAD), or its title tier held too few
# and the tiers' statement had to follow (TIERS): its next runs then ask the tiers at once.
_MANY: OrderedDict = OrderedDict()
HEAD, TIERS = "head", "tiers"
_MANY_KEPT = 4096  # a few hundred bytes each
_MANY_LOCK = threading.Lock()


def forget_many() -> None:
    """Forget what _MANY holds, as a new process would (the tests' app, one per session of tests, calls it
    before each test: a test's lessons are not the last one's)."""
    with _MANY_LOCK:
        _MANY.clear()


def _known_many(asked: tuple) -> str | None:
    """How this process found the search last: None (not known to match many), HEAD (the head statement
    may find its page) or TIERS (the head found too few in the title tier: go straight to the tiers)."""
    with _MANY_LOCK:
        way = _MANY.get(asked)
        if way is not None:
            _MANY.move_to_end(asked)
        return way


def _many_found(asked: tuple, many: bool, way: str = HEAD) -> None:
    with _MANY_LOCK:
        if not many:
            _MANY.pop(asked, None)
            return
        _MANY[asked] = way
        while len(_MANY) > _MANY_KEPT:
            _MANY.popitem(last=False)



def search_shape(user, **filters) -> tuple[search_module.Shape, dict]:
    """A search's shape and values (lessons.search.shape_of)."""
    return search_module.shape_of(user, **filters)


def _kept(kind: str, shape: search_module.Shape, user, build, plan: str | None = None):
    """A search statement of this kind and shape for this principal, built once and reused: its values
    are parameters, so it serves every query of the shape (see lessons.search). `plan` on PostgreSQL:
    "custom" plans it for each query's words, never with a generic plan, which knows nothing of the LIKE
    patterns: its values are written into its SQL (db.planned_for_values); "generic" runs its generic plan
    (db.generic_plan); None plans it as PostgreSQL chooses (auto)."""
    marks = {"custom": _for_values, "generic": generic_plan, None: lambda stmt: stmt}
    return shared_clause(("search", kind, shape), user, lambda u: marks[plan](build(shape, u)))


def _for_values(stmt):
    """On PostgreSQL, planned_for_values; SQLite plans every statement for its values already."""
    return stmt if _on_sqlite() else planned_for_values(stmt)


def _tiers_plan(shape: search_module.Shape) -> str | None:
    """How the tiers' statement is planned. Its generic plan asks each tier's trigram index with the pattern
    as a parameter, and runs as fast as the plan made for the words, without making it: at the province
    preset (PostgreSQL server CPU a run, EXPLAIN's plans alike) "chuyen doi so" 5.1 → 2.9 ms, with
    diacritics 12.0 → 9.9 ms, "tri tue nhan tao" in topic "ai" 6.0 → 5.4 ms, "hoc sinh" in topic "ai"
    341 → 122 ms. Under auto PostgreSQL kept planning it anew on every run (1.4 ms of planning). Not for a
    lone short word ("so"): its patterns hold no trigram, and a generic plan still hands them to the
    trigram indexes, which then read whole (458 ms against 284 ms planned for the word)."""
    return None if shape.kinds == ("short",) else "generic"


def search_page(session: Session, user, **filters) -> Page:
    """The requested page of search(user, **filters), ranked by relevance, without ranking every match.

    The ranking puts the tiers of _tiers() first, then the rest of the matches; inside a tier, the
    list order (core material, newest, id). A common phrase matches nearly every lesson of a province:
    ranking all of them rechecks each one's text, 0.4–0.8 s at 30,000 lessons. Instead each tier is
    asked in turn for as many matches as the page needs (its trigram index finds them). Fewer, and the
    tier is complete, its first lessons sorted by the statement. As many, and the tier fills the rest of
    the page with its first lessons in list order, found walking the newest readable lessons and stopping
    as soon as it has them (or, when the WALK newest hold too few, sorting the whole tier). The title tier
    of a search without filters is walked first, from the index's entries alone, and asked only when its
    walk found too few (_walks_first). Tiers past the page are never read. All of it is one statement
    (_tier_rows), which sends the lessons it found with what their cards show. With a filter, a tier of
    fewer than COMPLETE matches is read whole by its probe, never walked. A search matching fewer than
    FEW readable lessons (found by one probe of the trigram index) skips the tiers: the same statement
    ranks those few whole and reads their cards (_few_matches), which is cheaper than the tiers' statement
    (measured at the province preset: "kinh hien vi", 31 matches, 42 → 29 ms in-process, when that
    statement was still built on every search): the page is then the user's statement and this one, as the
    lesson list is. A search this process found matching many skips that probe (_MANY): its page is the
    user's statement and the head statement (_head_page: the exact tier and the title tier, walked through
    the reach walk index), or, when those hold too few for the page, the tiers' (and, when a walk fell
    short, the whole tier's); such a search's next runs go to the tiers at once.

    Every statement is built once per shape and principal (lessons.search), its values parameters.

    On SQLite (see WALKS) a search known to match many is walked instead (_walks_page): each tier in list
    order through the list walk index, its exact and phrase tiers probed from the trigram tables first.

    The number of lessons is exact when every tier was asked and complete, else "more than" a number
    below what was seen. Past the first PROBE lessons (page 5 and later), for lists other than
    published lessons, and on SQLite for a query too short for a trigram (one word of one or two
    letters), _sorted_page ranks every match in one statement.
    """
    shape, params = search_shape(user, **filters)
    per_page = current_app.config["PER_PAGE"]
    page = current_page()
    need = page * per_page + 1  # one past the page: tells whether a next page exists
    tiered = TIERED if TIERED is not None else not _on_sqlite()
    walked = not tiered and (WALKS if WALKS is not None else shape.fts_tiers)
    if not (tiered or walked) or not shape.ranked or shape.status != LessonStatus.PUBLISHED or need > PROBE:
        return _sorted_page(session, user, shape, params)
    asked = (principal_key(user), tuple(filters.items()))
    many = _known_many(asked)
    if walked:
        if not many:
            few = _few_page(session, user, shape, params, page, per_page)
            if few is not None:
                return few
            _many_found(asked, True)
        return _walks_page(session, user, shape, params, max(need, FEW), page, per_page, asked)
    if many == HEAD and _heads(shape, user):
        found = _head_page(session, user, shape, params, max(need, FEW), page, per_page)
        if found is not None:
            return found
        # Its exact and title tiers hold too few for the page, or the exact tier fills its probe: its next
        # runs ask the tiers at once.
        _many_found(asked, True, TIERS)
    if not many:
        # Few matches: ranking them all in one statement costs less than the tiers'.
        few = _few_page(session, user, shape, params, page, per_page)
        if few is not None:
            return few
        _many_found(asked, True)
    else:
        # At least FEW, so the tiers tell whether it still matches as many: the probe's answer, not asked.
        need = max(need, FEW)
    limit = _probe_limit(shape, need)
    probes, walks, held = _tier_rows(session, user, shape, params, need, limit)
    heads = _heads(shape, user)
    found: list = []
    seen, more = 0, False  # matches seen; whether more may exist than were seen
    for rank, rows in enumerate(probes):
        if len(found) >= need:
            more = True  # this tier and the next were not asked
            break
        wanted = need - len(found)
        walked = walks[rank]
        if _walks_first(shape, rank) and len(walked) >= wanted:  # the walk filled the page, unprobed
            seen += len(walked)
            full = True
        else:
            counted = held[rank]
            if rank == 1 and heads and counted >= wanted:
                # The title tier fills the page: counted as the head statement counts it (_head_page, its
                # first `need`), so a search says the same "more than" whichever statement found its page.
                counted = min(counted, need)
            seen += counted
            full = held[rank] == limit  # more than the probe read
        if full:  # take the tier's first ones in list order
            if len(walked) < wanted:  # the WALK newest held too few: sort the whole tier
                walked = read_rows(session, _kept(f"whole{rank}", shape, user, _whole_tier(rank)),
                                   {**params, "wanted": wanted}).all()
            found += walked[:wanted]
            more = True
            break
        found += rows  # the tier's first `need` in list order: the statement sorted them
    if many and not more and seen < FEW:  # every tier complete: `seen` counts every match
        _many_found(asked, False)  # fewer now: the next run ranks them in the few matches' statement
    items = found[(page - 1) * per_page:page * per_page]
    if not items and page > 1:
        return _sorted_page(session, user, shape, params)  # past the end: shows the last page
    # "More than" a whole number of pages below what was seen: true of the lessons and of the pages.
    total = (seen - 1) // per_page * per_page if more else seen
    return Page(items=items, page=page, per_page=per_page, total=total, more=more)


def _few_page(session: Session, user, shape: search_module.Shape, params: dict, page: int,
              per_page: int) -> Page | None:
    """The page of a search matching fewer than FEW readable lessons, every match ranked with what its card
    shows in one statement (_few_matches); None when it matches more."""
    few = read_rows(session, _kept("few", shape, user, _few_matches, plan="custom"), {**params, "few": FEW}).all()
    if len(few) >= FEW:
        return None
    items = few[(page - 1) * per_page:page * per_page]  # every match, ranked: the page is among them
    if not items and page > 1:
        return _sorted_page(session, user, shape, params)  # past the end: shows the last page
    return Page(items=items, page=page, per_page=per_page, total=len(few), more=False)


def _walks_page(session: Session, user, shape: search_module.Shape, params: dict, need: int, page: int,
                per_page: int, asked: tuple) -> Page:
    """The page of a search known to match many, its tiers walked in list order (_walks_statement): each
    tier's first lessons, until `need` are found. A tier that gave all it was asked for may hold more, and
    the page then says "more than" a whole number of pages below what was seen, as the tiers' statement
    does; when every tier was walked to its end, the count is exact (and the search, if it now matches
    fewer than FEW, is forgotten: its next run takes the few matches' statement)."""
    rows = read_rows(session, _kept("walks", shape, user, _walks_statement), {**params, "need": need}).all()
    by_part: dict[int, list] = {}
    for row in rows:
        by_part.setdefault(row.part, []).append(row)
    for tier in by_part.values():  # the statement sends them in no order: each part in list order
        tier.sort(key=_list_key, reverse=True)
    found: list = []
    more = False
    for rank in range(search_module.TIERS + 1):
        tier = by_part.get(rank, [])
        wanted = need - len(found)
        found += tier
        if len(tier) >= wanted:  # it gave what it was asked for: more may follow
            more = True
            break
    seen = len(found)
    if not more and seen < FEW:
        _many_found(asked, False)
    items = found[(page - 1) * per_page:page * per_page]
    if not items and page > 1:
        return _sorted_page(session, user, shape, params)  # past the end: shows the last page
    total = (seen - 1) // per_page * per_page if more else seen
    return Page(items=items, page=page, per_page=per_page, total=total, more=more)


def _walks_statement(shape: search_module.Shape, user) -> Select:
    """_walks_page's statement: for each tier (search.tiers_of, then "matches, in none of them"), its first
    lessons in list order the reader may read, at most `need` less what the better tiers found. A tier is
    asked only while the better ones hold fewer than `need` (its LIMIT is then above 0: SQLite skips a part
    whose LIMIT is 0 without reading it), and so only when each better tier was read to its end: a lesson
    of a better tier is one of its rows.

    A tier a trigram table finds (search.tier_probes) is first probed from the table, any order, at most as
    many as it may give: fewer, and the probe is the whole tier (the statement sorts it); as many, and it
    is walked in list order. The walk reads the list walk index its hint names, testing each entry's labels,
    tier and scope, and reads a lesson's row only for a text's substring test. Measured with callgrind at the
    commune preset ("tri tue nhan tao" in topic "ai", whose phrase tier holds no lesson beyond its title
    tier): the phrase tier walked 5.2 million instructions, probed 3.0.

    Without the hint SQLite's planner would read a rare word's trigram matches by rowid and sort them all,
    and prefer the narrow list-order index to the covering one for a LIMIT; a probe's hint (NOT INDEXED:
    by rowid only) keeps it reading the table's matches, not the lessons of a status looked up in it."""
    # The label filters by instr, which finds ",ai," in a lesson's short labels with fewer instructions
    # than the LIKE '%,ai,%' (its pattern matched character by character): the filtered search's statement
    # 5.2 → 4.8 million instructions (callgrind, commune preset).
    scope, filters = search_module.scope_of(shape, user), search_module.filters_of(shape, plain=True)
    need = bindparam("need", type_=Integer)
    zero = literal_column("0", Integer)
    probes = search_module.tier_probes(shape)
    parts: list = []
    held: list = []  # each better tier's count
    taken: list = []  # each better part's ids
    for rank, test in enumerate([*search_module.tiers_of(shape), search_module.match_of(shape)]):
        part = literal_column(str(rank), Integer).label("part")
        left = search_module.greatest(need - sum(held, zero), zero)
        # One "in no better part" test of all their ids: each NOT IN builds its own temporary index on
        # every run (the filtered search's thirteen took 0.3 of its 5.5 million instructions).
        not_better = [Lesson.id.not_in(union_all(*taken) if len(taken) > 1 else taken[0])] if taken else []
        # The cheap and narrow tests first: SQLite tests them in the order written.
        walk_limit, probed = left, None
        if probes[rank] is not None:
            column, name, then = probes[rank]
            probe = (select(part, Lesson.id).select_from(column.table.join(Lesson, Lesson.id == column.table.c.rowid))
                     .where(search_module.fts_match(column, name), *filters, *then, *not_better, *scope)
                     .limit(left).with_hint(Lesson, "NOT INDEXED", "sqlite").cte(f"sought{rank}"))
            found = select(func.count()).select_from(probe).scalar_subquery()
            whole = found < left
            walk_limit = case((whole, zero), else_=left)
            parts.append(select(probe.c.part, probe.c.id).where(whole))
            taken.append(select(probe.c.id).where(whole))
            probed = case((whole, found), else_=zero)
        walk = (select(part, Lesson.id).where(*filters, search_module.unindexed_ids(test), *not_better, *scope)
                .order_by(*_LIST_ORDER).limit(walk_limit)
                .with_hint(Lesson, "INDEXED BY ix_lessons_list_walk", "sqlite").cte(f"walk{rank}"))
        parts.append(select(walk.c.part, walk.c.id))
        taken.append(select(walk.c.id))
        walked = select(func.count()).select_from(walk).scalar_subquery()
        held.append(walked if probed is None else walked + probed)
    # In no order: _walks_page puts each part's few rows in list order. Sorted here, the union's parts were
    # each read into a temporary b-tree and merged (SQLite pushes the ORDER BY into every part): 0.38 of
    # the common phrase's 2.2 million instructions (callgrind, commune preset).
    found = union_all(*parts).subquery("found")
    return _card_rows().add_columns(found.c.part).join(found, found.c.id == Lesson.id)


# The list order inside a ranking tier: core material first, then the newest (a published lesson's).
_LIST_ORDER = (Lesson.is_core.desc(), Lesson.published_at.desc(), Lesson.id.desc())


# Where a card row holds the list order's values: read by position, as a tuple's, not by name through the
# row's key map (a part of 30 rows sorted in 28 µs by name, 2.5 µs by position).
_ORDER_AT = operator.itemgetter(*(CARD_FIELDS.index(name) for name in ("is_core", "published_at", "id")))
_NO_DATE = datetime(1970, 1, 1, tzinfo=UTC)


def _list_key(row) -> tuple:
    """A card row's place in the list order, descending (_LIST_ORDER); a lesson without a date after the
    dated ones, where SQLite's descending order puts NULL (a published lesson always has one)."""
    is_core, when, id_ = _ORDER_AT(row)
    return is_core, when is not None, when or _NO_DATE, id_


# The publication time the probes and walks carry inside the tiers' statement only to be put in list order:
# as the database has it (the rows sent carry the card's own).
_SORT_TIME = type_coerce(Lesson.published_at, DateTime(timezone=True)).label("published_at")


def _few_matches(shape: search_module.Shape, user) -> Select:
    """At most `few` readable lessons matching the words (the probe, any order); when it found fewer, they
    are every match, and each row holds what its card shows, in rank order (the ranking of search()).

    One statement: the probe's lessons are then read by primary key, with their school and author, only
    when fewer than `few` (else their columns are NULL, never read: the join's condition is the probe's
    count, which PostgreSQL tests once). It ran as two, the probe then the matches ranked by id with their
    cards: a round trip and 0.4 ms more a search of few matches (province preset, "kinh hien vi")."""
    where, order = search_module.parts_of(shape, user)
    few = bindparam("few", type_=Integer)
    probe = select(Lesson.id.label("match_id")).where(*where).limit(few).cte("few")
    found = select(func.count()).select_from(probe).scalar_subquery()
    # The id to read, NULL when the probe is full: PostgreSQL's index lookup of NULL reads nothing (the
    # count as a join filter beside the id read each lesson first, then dropped it).
    wanted = case((found < few, probe.c.match_id))
    # The names as subqueries, not joins: the statement is planned for each new query's words, and two more
    # joins took its planning from 0.25 to 0.42 ms (the probe's alone: 0.11 ms; "kinh hien vi").
    names = (select(OrgUnit.name).where(OrgUnit.id == Lesson.school_id).scalar_subquery().label("school_name"),
             select(User.full_name).where(User.id == Lesson.author_id).scalar_subquery().label("author_name"))
    columns = [column for column in CARD_COLUMNS if column.key not in ("school_name", "author_name")]
    # The card's columns first, in CARD_COLUMNS' order, so its card is kept by them (cards.lesson_cards).
    return (select(*columns, *names, probe.c.match_id).select_from(probe)
            .outerjoin(Lesson, Lesson.id == wanted).order_by(*_ordered(order)))


def _tier_tests(shape: search_module.Shape) -> list[list]:
    """Each tier's tests, for _whole_tier (a statement of its own, with no probes to ask): its own first, as
    its probe asks them (search.probe_tests), then "not a better tier" on the texts (title, folded text,
    exact text), so a lesson's long text is read only once its cheaper tests passed. The tiers' statement
    asks the better tiers' probes instead (_tiers_statement). A lesson passing a tier's own
    test matches the query (the exact text, the title and the phrase all lie inside its folded text,
    which holds every word), so the first tiers are found through their own indexes alone; only the
    last, "matches, but none of those", asks for the words."""
    tiers = search_module.tiers_of(shape)
    asked = search_module.probe_tests(shape) + [[search_module.match_of(shape)]]
    return [asked[rank] + [not_(tiers[i]) for i in (1, 2, 0) if i < rank] for rank in range(len(tiers) + 1)]


def _tier_rows(session: Session, user, shape: search_module.Shape, params: dict, need: int,
               limit: int) -> tuple[list[list], list[list], list[int]]:
    """For each tier, the first `need` lessons of its probe in list order (the probe reads at most `limit`
    matches), its walk (its first `need` in list order among the WALK newest readable lessons), and how
    many lessons its probe read, in ONE statement whose parts run only when needed (_tiers_statement).
    Each row is a card's (CARD_COLUMNS), then its part and its probe's count."""
    stmt = _kept("tiers", shape, user, _tiers_statement, plan=_tiers_plan(shape))
    rows = read_rows(session, stmt, {**params, "need": need, "probe_limit": limit, "walk": WALK}).all()
    parts = search_module.TIERS + 1  # the tiers' statement is built once; its tests are not built again
    # One pass over the rows, each put with its part, in the statement's order within each part.
    by_part: dict[int, list] = {}
    for row in rows:
        by_part.setdefault(row.part, []).append(row)
    probes = [by_part.get(rank, []) for rank in range(parts)]
    walks = [by_part.get(parts + rank, []) for rank in range(parts)]
    return probes, walks, [probe[0].held if probe else 0 for probe in probes]


def _walks_first(shape: search_module.Shape, rank: int) -> bool:
    """Whether a tier is walked before it is probed: the title tier of a search without filters. Its walk
    tests what the list-order index carries (visibility, school, folded title: migration 0015), so it
    reads index entries only, and where the phrase fills many titles it finds the page there before any
    trigram lookup (measured at the province preset, "chuyen doi so": the walk 0.28 ms, the title's
    trigram probe 1.75 ms). The other tiers test long texts: read lesson by lesson, a walk costs more
    than the trigram probe; and a filter's walk reads the newest lessons the filter keeps (see COMPLETE)."""
    return rank == 1 and not shape.filters


def _tiers_statement(shape: search_module.Shape, user):
    """The tiers' statement of _tier_rows: its probes and walks, `need`, `probe_limit` and `walk` bound.

    A tier's probe runs only while the tiers before it hold fewer than `need` lessons; its walk only
    when its probe came back full. A tier walked first (_walks_first) is walked while the tiers before it
    hold fewer than `need`, and probed only when its walk found too few for the page. Each condition is
    a scalar subquery on the earlier parts, which both databases evaluate once, before reading any row
    of that part (PostgreSQL shows the part as "never executed"). So the page costs the same statements
    whatever the query finds, and a tier past the page is never read.
    """
    where = search_module.where_of(shape, user)
    tiers = search_module.tiers_of(shape)
    need, limit = bindparam("need", type_=Integer), bindparam("probe_limit", type_=Integer)
    counts, parts, probes = [], [], []
    null_count = literal(None, Integer).label("held")  # a walk's rows: its length is its count
    for rank in range(len(tiers) + 1):
        held = sum(counts, literal(0)) if counts else None  # lessons of the better tiers
        before = held < need if held is not None else None
        # The tier's own test, then "in no better tier". A part runs only while the better tiers hold fewer
        # than `need` (≤ `probe_limit`) lessons, so their probes are complete: a lesson is in a better tier
        # exactly when a better probe holds it. Asked of the probes' ids, not of the lesson's texts: the
        # exact text (about 3 KB, compressed) of each title match was read only to leave it out (measured
        # at the province preset, "tri tue nhan tao" in topic "ai": 118 texts, 1.4 ms of the statement's 5.7).
        own = (tiers[rank:rank + 1] or [search_module.match_of(shape)])[0]
        better = list(probes)
        newest = (select(Lesson.id, Lesson.is_core, _SORT_TIME, Lesson.title_folded, Lesson.search_folded,
                         Lesson.search_exact, Lesson.topics, Lesson.subjects, Lesson.grades, Lesson.audiences)
                  .where(*where).order_by(*_LIST_ORDER).limit(bindparam("walk", type_=Integer))
                  .subquery(f"newest{rank}"))
        adapt = ClauseAdapter(newest).traverse
        # In list order, the subquery's: the rows stream in its index order, no sort is planned, and the LIMIT
        # stops the walk at the first `need` that pass.
        walk = (select(literal(len(tiers) + 1 + rank).label("part"), newest.c.id)
                .where(*([before] if before is not None else []), adapt(own),
                       *[newest.c.id.not_in(select(p.c.id)) for p in better])
                .order_by(newest.c.is_core.desc(), newest.c.published_at.desc(), newest.c.id.desc()).limit(need))
        first = _walks_first(shape, rank)
        if first:
            walk = walk.cte(f"walk{rank}")
            walked = select(func.count()).select_from(walk).scalar_subquery()
            # Probed only when the walk found fewer than the page still needs (`need` less what the better
            # tiers hold); then the probe, complete or full, holds at least what the walk found.
            probed = [(held if held is not None else literal(0)) + walked < need]
        else:
            probed = [before] if before is not None else []
        asked = search_module.probe_tests(shape)[rank] if rank < len(tiers) else [own]
        probe, count, shown = _probe(shape, user, rank, where, [*asked, *probed], better, need, limit)
        probes.append(probe)
        if first:
            parts += [shown, select(walk.c.part, walk.c.id, null_count)]
            # What the later tiers count this one as: its probe when it ran (it holds the walk's lessons),
            # else the walk, which then filled the page.
            counts.append(case((count > walked, count), else_=walked))
        else:
            walk = walk.where(count == limit)
            parts += [shown, select(*walk.subquery(f"walk{rank}").c, null_count)]
            counts.append(count)
    # Each row with what its card shows (the page's cards are read here, not by a statement of their own),
    # each part in list order.
    found = union_all(*parts).subquery("found")
    return (_card_rows().add_columns(found.c.part, found.c.held).join(found, found.c.id == Lesson.id)
            .order_by(found.c.part, *_LIST_ORDER))


def _probe(shape: search_module.Shape, user, rank: int, where: list, asked: list, better: list, need, limit):
    """A tier's probe in the tiers' and the head statements: at most `limit` lessons passing `asked` and not
    in the `better` probes (a CTE), its count, and its first `need` in list order with that count (a part
    of the statement's union: only those can be on the page; a filtered search's title tier held 118
    lessons, each sent and sorted in Python for a page of 25).

    The tier's own test (which its index serves) and the scope narrow first, inside a subquery PostgreSQL
    keeps whole (OFFSET 0), and the better probes are asked only of the lessons they keep."""
    scope = search_module.where_of(shape, user, plain=True) if search_module.through_joins(shape, rank) else where
    kept = select(Lesson.id, Lesson.is_core, _SORT_TIME).where(*scope, *asked).offset(0).subquery(f"kept{rank}")
    probe = (select(literal(rank).label("part"), kept.c.id, kept.c.is_core, kept.c.published_at)
             .where(*[kept.c.id.not_in(select(p.c.id)) for p in better]).limit(limit)
             .cte(f"probe{rank}"))
    count = select(func.count()).select_from(probe).scalar_subquery()
    shown = (select(probe.c.part, probe.c.id, count.label("held"))
             .order_by(probe.c.is_core.desc(), probe.c.published_at.desc(), probe.c.id.desc()).limit(need)
             .subquery(f"shown{rank}").select())
    return probe, count, shown


def _probe_limit(shape: search_module.Shape, need: int) -> int:
    """How many matches a tier's probe reads: `need`, or with a filter COMPLETE at least (see COMPLETE)."""
    return max(need, COMPLETE) if shape.filters else need


def _heads(shape: search_module.Shape, user) -> bool:
    """Whether a search known to match many first asks the head statement (_head_statement): one whose only
    filters are labels (topic, subject, grade), by a reader of a school or a commune (policy.reach_walk_keys),
    on PostgreSQL, whose reach walk index it walks (migration 0021)."""
    return "school" not in shape.filters and not shape.mine and not _on_sqlite() and walks_by_reach(user)


def _head_page(session: Session, user, shape: search_module.Shape, params: dict, need: int, page: int,
               per_page: int) -> Page | None:
    """The page of a search known to match many when the exact tier and the title tier hold its first `need`
    lessons (most common phrases: their title tier alone holds hundreds); None when they hold fewer, or
    when the exact tier fills its probe (its first lessons are then the tiers' to walk): the tiers decide.

    The same page as the tiers' statement, counted the same way ("more than", from what was seen: a
    filtered search's title tier, which the tiers probe whole, counted there too as its first `need`), in a
    statement a fifth of the tiers' size: at the province preset PostgreSQL spent 0.26 ms of the tiers'
    0.9 ms only setting up and closing their parts, most of which a common phrase never runs."""
    limit = _probe_limit(shape, need)
    stmt = _kept("head", shape, user, _head_statement, plan=_tiers_plan(shape))
    rows = read_rows(session, stmt, {**params, "need": need, "probe_limit": limit}).all()
    exact = [row for row in rows if row.part == 0]
    walked = [row for row in rows if row.part != 0]
    held = exact[0].held if exact else 0
    if held >= limit:
        return None  # the exact tier is full: its first lessons in list order are its walk's
    if held >= need:
        found, seen = exact[:need], held  # the title tier was not asked: more may follow
    elif len(exact) + len(walked) >= need:
        found, seen = exact + walked[:need - len(exact)], held + len(walked)
    else:
        return None  # the title tier holds too few for the page: the tiers count the rest
    items = found[(page - 1) * per_page:page * per_page]
    return Page(items=items, page=page, per_page=per_page, total=(seen - 1) // per_page * per_page, more=True)


def _head_statement(shape: search_module.Shape, user):
    """The head of the tiers' statement (_tiers_statement): the exact tier's probe, its first `need` lessons
    in list order with its count, and the title tier's first `need` lessons in list order, walked while the
    exact tier holds fewer than `need`; each row with what its card shows.

    The walk reads PostgreSQL's reach walk index (migration 0021) key by key (policy.reach_walk_keys): each
    key's range holds the published lessons of one visibility and one school (every public lesson in one
    range), in list order, with the title and labels, so each key's first `need` title matches are read
    from the index alone and merged. Only lessons the reader may read are read: walking the newest published
    lessons, three in four were left out as another school's or commune's (province preset), and with a
    label filter the walk read the whole table's newest in turn; the title tier's probe through the joins
    read 564 lessons from the table to keep the reader's 118 ("tri tue nhan tao" in topic "ai": 0.94 ms
    against 0.47 ms walked by key, PostgreSQL's CPU)."""
    need, limit = bindparam("need", type_=Integer), bindparam("probe_limit", type_=Integer)
    probe, count, shown = _probe(shape, user, 0, search_module.where_of(shape, user),
                                 search_module.probe_tests(shape)[0], [], need, limit)
    keys = reach_walk_keys(user)
    title = search_module.tiers_of(shape)[1]
    by_key = (select(Lesson.id, Lesson.is_core, _SORT_TIME)
              .where(equals_constant(Lesson.status, LessonStatus.PUBLISHED.value),
                     Lesson.visibility == keys.c.visibility, REACH_SCHOOL == keys.c.school, title,
                     *search_module.filters_of(shape, plain=True), Lesson.id.not_in(select(probe.c.id)))
              .order_by(*_LIST_ORDER).limit(need).lateral("by_key"))
    walk = (select(literal(1).label("part"), by_key.c.id, literal(None, Integer).label("held"))
            .select_from(keys).join(by_key, true()).where(count < need)
            .order_by(by_key.c.is_core.desc(), by_key.c.published_at.desc(), by_key.c.id.desc()).limit(need)
            .subquery("walk1").select())
    found = union_all(shown, walk).subquery("found")
    return (_card_rows().add_columns(found.c.part, found.c.held).join(found, found.c.id == Lesson.id)
            .order_by(found.c.part, *_LIST_ORDER))


def _whole_tier(rank: int):
    def build(shape: search_module.Shape, user) -> Select:
        """A tier's first `wanted` lessons in list order, sorting the whole tier (when its walk fell short)."""
        where = search_module.where_of(shape, user, plain=search_module.through_joins(shape, rank))
        return (_card_rows().where(*where, *_tier_tests(shape)[rank]).order_by(*_LIST_ORDER)
                .limit(bindparam("wanted")))

    return build


def _sorted_page(session: Session, user, shape: search_module.Shape, params: dict) -> Page:
    """The requested page of search(user, **filters), every match ranked and counted in one statement.

    A ranked search sorts every match whatever the page, so the same statement counts them
    (COUNT(*) OVER (), capped as paginate caps it): no second statement reads the matches again. The
    ranking, count and page run on narrow rows (id and sort keys); only the page's 25 lessons are then
    joined to their columns, school and author, instead of every match before the sort. A page past
    the end falls back to paginate, which shows the last page.
    """
    per_page = current_app.config["PER_PAGE"]
    page = current_page()
    cap = max(COUNT_CAP, (page + 10) * per_page)
    # Its plan depends on the words (the trigram indexes, or the newest lessons read in order), so
    # PostgreSQL chooses.
    stmt = _kept("sorted", shape, user, _sorted_statement)
    rows = list(read_rows(session, stmt, {**params, "page_limit": per_page, "page_offset": (page - 1) * per_page}))
    if not rows and page > 1:
        where, order = search_module.parts_of(shape, user)
        return paginate(session, select(Lesson).where(*where).options(*CARD_JOINS, *CARD_OPTIONS)
                        .order_by(*_ordered(order)).params(params))
    total = rows[0].total if rows else 0
    return Page(items=rows, page=page, per_page=per_page, total=min(total, cap), more=total > cap)


def _sorted_statement(shape: search_module.Shape, user) -> Select:
    where, order = search_module.parts_of(shape, user)
    # The sort keys of every match, computed row by row. OFFSET 0 keeps PostgreSQL from merging this
    # into the level above, where the window would hold each match's compressed text (about 1 KB) to
    # compute the keys after it: 5,000 matches then spill to disk.
    keyed = (select(Lesson.id.label("lesson_id"), *[expr.label(f"k{i}") for i, (expr, _d) in enumerate(order)])
             .where(*where).offset(0).subquery())
    by_keys = [(keyed.c[f"k{i}"], desc) for i, (_e, desc) in enumerate(order)]
    ranked = (select(keyed, func.count().over().label("total")).order_by(*_ordered(by_keys))
              .limit(bindparam("page_limit")).offset(bindparam("page_offset")).subquery())
    return (_card_rows().add_columns(ranked.c.total).join(ranked, ranked.c.lesson_id == Lesson.id)
            .order_by(*_ordered([(ranked.c[f"k{i}"], desc) for i, (_e, desc) in enumerate(order)])))


def newest_few(session: Session, user, limit: int) -> list:
    """The first `limit` rows of newest(user); the statement is built once per process and principal."""
    stmt = shared_clause("newest", user, lambda u: generic_plan(newest(u).limit(bindparam("newest_limit"))))
    return list(read_rows(session, stmt, {"newest_limit": limit}))


NEWEST = "lessons_newest"
_Newest = namedtuple("_Newest", "id title school_name")


def newest_column(user, limit: int):
    """newest_few(user, limit) as one JSON text, a scalar SELECT: asked with the user on the home page
    (worklist.joined_to), each row with its place, as SQLite keeps no order inside an aggregate."""
    place = func.row_number().over(order_by=(Lesson.published_at.desc(), Lesson.id.desc())).label("place")
    rows = newest(user).add_columns(place).limit(limit).subquery()
    return select(json_rows(rows.c.id, rows.c.title, rows.c.school_name, rows.c.place)).scalar_subquery()


def newest_rows(text: str | None) -> list:
    """newest_column's answer as newest_few's rows (id, title, school_name), newest first."""
    return list(_newest_rows(text or "[]"))


@functools.lru_cache(maxsize=1024)
def _newest_rows(text: str) -> tuple:
    return tuple(_Newest(int(lesson_id), title, school) for lesson_id, title, school, _place
                 in sorted(json.loads(text), key=lambda row: row[3]))


def newest(user) -> Select:
    """Published lessons the user may read, newest first (the home page's list): rows of id, title and
    the school's name, all the box shows (not lessons with their school and author as ORM objects)."""
    where, _order = search_module.parts_of(search_module.Shape(), user)
    return (select(Lesson.id, Lesson.title, OrgUnit.name.label("school_name"))
            .join(OrgUnit, OrgUnit.id == Lesson.school_id).where(*where)
            .order_by(Lesson.published_at.desc(), Lesson.id.desc()))


def lesson_list(session: Session, user, total: int | None = None) -> Page:
    """The requested page of every published lesson the user may read, in list order, with its exact
    count (kept on write; `total` when the caller read it already, from lesson_shelf). The statements
    are built once per process and principal."""
    page_stmt = shared_clause("lesson_list", user, lambda u: generic_plan(paged(_cards(*search_module.parts_of(search_module.Shape(), u)))))
    total = published_count(session, user) if total is None else total
    # With the total known, paginate counts nothing: the page statement is all it runs.
    return paginate(session, page_stmt, total=total, page_stmt=page_stmt, scalars=False)


def lesson_shelf(session: Session, user) -> tuple[tuple[tuple[int, str], ...], Mapping[int, int]]:
    """The school filter's choices and published_count of each (the lesson list shows both; read from the
    figures kept on write, school_lessons, one row per school, not from the lessons): the schools owning a
    published lesson the user may read, as (id, name) by name, and how many of their published lessons the
    user may read (their sum is the list's count; a school absent has none).

    In two halves (lessons.policy.own_of_school): the public lessons of every school, the same for every
    reader, kept by this process under the shelf token they were read with (models.LessonShelfToken, drawn
    anew by every write that changes them); and the reader's own, their commune's and school's lessons
    beyond the public ones. A page asks the token and the reader's half with the user (lessons' init_app),
    one JSON text of a dozen schools: the province's 300 were aggregated on every list and search. The
    public half is read again, in a statement of its own, only when the token is one this process has not
    seen."""
    answer = page_answer(SHELF, user)  # asked with the user (lessons' init_app), else asked here
    if answer is NOT_ASKED:
        answer = read_rows(session, shared_clause("lesson_shelf", user, _lesson_shelf)).scalar()
    token, _, own = (answer or "").partition(" ")
    return _shelf(_public_shelf(session, token), own or "[]")


SHELF = "lesson_shelf"


def lesson_shelf_column(user):
    """lesson_shelf's question as a scalar SELECT, asked with the user on the list's page (worklist.joined_to):
    the shelf token and the reader's own half, as one text ("<token> <JSON>")."""
    return shared_clause("lesson_shelf", user, _lesson_shelf).scalar_subquery()


# No row yet reads as token 0: no counted write has changed the figures (models.LessonShelfToken).
_TOKEN = select(LessonShelfToken.token).where(LessonShelfToken.id == 1).scalar_subquery()
_PUBLIC_SHELF = generic_plan(select(
    func.coalesce(cast(_TOKEN, String), "0").label("token"),
    select(json_rows(OrgUnit.id, OrgUnit.name, SchoolLessons.public))
    .select_from(OrgUnit).join(SchoolLessons, SchoolLessons.school_id == OrgUnit.id)
    .where(SchoolLessons.public > 0).scalar_subquery().label("public")))
_PUBLIC_KEPT = 4  # tokens whose public half each app keeps (a province's is about 12 KB)
_PUBLIC_LOCK = threading.Lock()


def _public_shelf(session: Session, token: str) -> str:
    """The public half of the school choices (JSON: [id, name, public lessons] per school) under `token`:
    kept by the app, or read with the token it belongs to (one statement, its two answers from one
    snapshot) and kept under that one."""
    kept: OrderedDict = current_app.extensions.setdefault("schoolhub.lesson_shelf", OrderedDict())
    text = kept.get(token) if token else None
    if text is None:
        read_token, text = read_rows(session, _PUBLIC_SHELF).one()
        text = text or "[]"
        if read_token:
            with _PUBLIC_LOCK:
                kept[read_token] = text
                while len(kept) > _PUBLIC_KEPT:
                    kept.popitem(last=False)
    return text


@functools.lru_cache(maxsize=256)
def _shelf(public: str, own: str) -> tuple[tuple[tuple[int, str], ...], Mapping[int, int]]:
    # [id, name, count] per school, in no set order on either database: added up and sorted here, by the
    # folded name (as org_units.name_folded holds it), once per distinct pair of texts (the public one is
    # the kept string itself, whose hash Python keeps).
    readable: dict[int, int] = {}
    names: dict[int, str] = {}
    for sid, name, n in (*json.loads(public), *json.loads(own)):
        readable[int(sid)] = readable.get(int(sid), 0) + int(n)
        names[int(sid)] = name
    rows = sorted(((sid, names[sid], n) for sid, n in readable.items() if n > 0),
                  key=lambda row: (fold(row[1]), row[0]))
    return (tuple((sid, name) for sid, name, _n in rows), MappingProxyType({sid: n for sid, _name, n in rows}))


def _lesson_shelf(user) -> Select:
    reached = reached_units(user)
    if reached is None:  # a reader of no unit reads the public lessons alone
        return generic_plan(select(func.coalesce(cast(_TOKEN, String), "0") + " []"))
    own = own_of_reached(user, reached.c)
    # From the reader's dozen units (policy.reached_units), each school's row matched to them. No ORDER BY
    # in the aggregate: _shelf sorts what it parses (once per distinct text), and sorting 300 names under
    # the database's collation was 0.27 of the statement's 0.64 ms (EXPLAIN ANALYZE).
    rows = (select(json_rows(reached.c.id, reached.c.name, own))
            .select_from(reached).join(SchoolLessons, SchoolLessons.school_id == reached.c.id)
            .where(own > 0).scalar_subquery())
    return generic_plan(select(func.coalesce(cast(_TOKEN, String), "0") + " " + func.coalesce(rows, "[]")))


def published_count(session: Session, user, school_id: int | None = None) -> int:
    """How many published lessons the user may read (of one school, or of all): the lesson list's exact
    count when nothing narrows it but the school, from the figures kept on write."""
    if school_id:  # as search() reads it: no school (None or 0) is every school
        stmt = shared_clause("published_count_of_school", user, lambda u: _published_count(u).where(
            SchoolLessons.school_id == bindparam("school_id")))
        return int(session.scalar(stmt, {"school_id": school_id}) or 0)
    return int(session.scalar(shared_clause("published_count", user, _published_count)) or 0)


def _published_count(user) -> Select:
    return generic_plan(select(func.coalesce(func.sum(readable_of_school(user)), 0)).select_from(SchoolLessons))


def reader_counts(session: Session, lesson: Lesson) -> dict[Role, tuple[int, int]]:
    """For each role: how many people holding it opened the lesson, and how many confirmed it."""
    return {Role(role): (int(read), int(confirmed))
            for role, read, confirmed in read_rows(session, _READER_COUNTS, {"lesson_id": lesson.id})}


# Built once, their values as parameters (an "expanding" one for a list of ids): see accounts.queries.
_READER_COUNTS = generic_plan(
    select(Membership.role, func.count(func.distinct(LessonRead.user_id)),
           func.count(func.distinct(case((LessonRead.confirmed_at.is_not(None), LessonRead.user_id)))))
    .join(Membership, Membership.user_id == LessonRead.user_id)
    .where(LessonRead.lesson_id == bindparam("lesson_id"), Membership.ended_on.is_(None))
    .group_by(Membership.role)
)


@dataclass(frozen=True)
class Informed:
    """Of a school's (or a commune's) active teachers, how many confirmed at least one core lesson."""

    informed: int = 0
    teachers: int = 0


def _active_teachers():
    """Memberships of active accounts holding the teacher role (school admins are not counted), each with
    whether the teacher confirmed at least one core lesson (core_readers, kept on write by lessons.counts)."""
    # The constants are written into the SQL when it is built (db.equals_constant), not sent as values:
    # PostgreSQL's generic plan then knows that teachers are most of the memberships and reads the schools'
    # rows by index. Not with literal_execute, which wrote them into the SQL again on every run.
    # Whether the account is active is read from the membership's copy (accounts.sortkeys, kept on write):
    # joining `users` for it was an index probe per teacher, 324 of them for a commune at the province preset.
    return (select(Membership.unit_id, Membership.user_id,
                   case((CoreReader.confirmed > literal_column("0", Integer), Membership.user_id))
                   .label("informed_id"))
            .outerjoin(CoreReader, CoreReader.user_id == Membership.user_id)
            .where(equals_constant(Membership.role, Role.TEACHER.value), Membership.ended_on.is_(None),
                   Membership.user_inactive.is_(False)))


def informed_by_school(session: Session, school_ids: list[int]) -> dict[int, Informed]:
    """The "teachers informed about the resolution" figure of each school, in one statement.

    The one definition every page uses: active accounts with the teacher role at the school (not its
    admins), and among them those who confirmed at least one core lesson.
    """
    found = {sid: Informed() for sid in school_ids}
    if not school_ids:
        return found
    for unit_id, teachers, informed in session.execute(_INFORMED_BY_SCHOOL(session), {"ids": school_ids}):
        found[unit_id] = Informed(informed=int(informed), teachers=int(teachers))
    return found


def informed_in_commune(session: Session, commune: OrgUnit,
                        schools: list[OrgUnit]) -> tuple[dict[int, Informed], Informed]:
    """informed_by_school of a commune's schools and informed_teachers of the commune (its active schools,
    each teacher counted once), the officer's home shows both: in one statement, from the figures kept on
    write (informed_counts, lessons.counts), a row per school and the commune's own. Joining the commune's
    teachers (324 at the province preset) with their confirmations cost the page 1 ms of the database's
    CPU on every view."""
    found = {school.id: Informed() for school in schools}
    overall = Informed()
    ids = [commune.id, *found]
    for unit_id, teachers, informed in read_rows(session, _INFORMED_KEPT(session), {"ids": ids}):
        figure = Informed(informed=int(informed), teachers=int(teachers))
        if unit_id == commune.id:
            overall = figure
        else:
            found[unit_id] = figure
    return found, overall


def _informed_by_school(ids_in) -> Select:
    rows = _active_teachers().where(ids_in(Membership.unit_id, "ids")).subquery()
    return (select(rows.c.unit_id, func.count(func.distinct(rows.c.user_id)),
                   func.count(func.distinct(rows.c.informed_id)))
            .group_by(rows.c.unit_id))


_INFORMED_BY_SCHOOL = PerDatabase(lambda ids_in: generic_plan(_informed_by_school(ids_in)))
_INFORMED_KEPT = PerDatabase(lambda ids_in: generic_plan(
    select(InformedCount.unit_id, InformedCount.teachers, InformedCount.informed).where(
        ids_in(InformedCount.unit_id, "ids"))))


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


def _core_confirmation_counts(school: OrgUnit) -> Select:
    teachers = (select(Membership.user_id)
                .where(Membership.unit_id == school.id, Membership.role == Role.TEACHER,
                       Membership.ended_on.is_(None), Membership.user_inactive.is_(False)))
    confirmed = (select(func.count(func.distinct(LessonRead.user_id)))
                 .where(LessonRead.lesson_id == Lesson.id, LessonRead.confirmed_at.is_not(None),
                        LessonRead.user_id.in_(teachers))
                 .correlate(Lesson).scalar_subquery())
    return generic_plan(select(Lesson.id, Lesson.title, confirmed.label("confirmed"))
                        .where(core_lessons_for_teachers_of(school))
                        .order_by(Lesson.published_at.desc(), Lesson.id.desc()))


def school_informed(session: Session, school: OrgUnit) -> tuple[Informed, list]:
    """informed_by_school of one school and each core lesson its teachers are asked to confirm, newest
    first, with how many of its active teachers confirmed it, in one statement (the admin's home shows
    both; school_confirmations names the people): the figure, and rows of (id, title, confirmed)."""
    stmt = shared_clause("school_informed", teachers_of(school), lambda _: _school_informed(school))
    rows = list(read_rows(session, stmt))
    figure = Informed(informed=int(rows[0].informed), teachers=int(rows[0].teachers))
    return figure, [row for row in rows if row.id is not None]


def _school_informed(school: OrgUnit) -> Select:
    # The figure as kept on write (informed_counts, lessons.counts; no row: no teachers): counted here it
    # hashed every row of core_readers, which grows with the province's confirmations, not the school's.
    def kept(column):
        return func.coalesce(select(column).where(InformedCount.unit_id == school.id).scalar_subquery(),
                             literal_column("0", Integer))

    figure = select(kept(InformedCount.teachers).label("teachers"),
                    kept(InformedCount.informed).label("informed")).subquery()
    lessons = (_core_confirmation_counts(school).add_columns(Lesson.published_at).order_by(None)
               .subquery("core"))
    # The figure's one row, joined to every core lesson (none: the row alone, its lesson columns NULL).
    return generic_plan(select(figure.c.teachers, figure.c.informed, lessons.c.id, lessons.c.title,
                               lessons.c.confirmed)
                        .select_from(figure).outerjoin(lessons, true())
                        .order_by(lessons.c.published_at.desc(), lessons.c.id.desc()))


def core_unconfirmed_select(user) -> Select:
    """Core lessons the user is asked to confirm and has not confirmed yet (the worklist asks its count).

    Who is asked is the CONFIRM_LESSON scope (lessons.policy): the lesson's school or commune, the
    audiences it names; the confirm button and route ask the same rule.
    """
    confirmed = select(LessonRead.lesson_id).where(LessonRead.user_id == user.id, LessonRead.confirmed_at.is_not(None))
    return select(Lesson).where(lessons_to_confirm(user), Lesson.id.not_in(confirmed))

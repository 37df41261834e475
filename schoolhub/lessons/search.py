"""The clauses of a lesson search, built from its shape with its values as parameters.

A search's SQL depends on its shape: how many words, which are too short for a trigram index (or, on
SQLite, go through the FTS5 table), which labels the words name, which filters are given, the status
asked. Its values (the LIKE patterns, the filter keys, the author) are bound parameters named here, so
a statement built for one shape serves every query of that shape: queries.search_page keeps the ones it
runs per shape and principal (policy.shared_clause), where building a ranked search's statements and
working out their SQLAlchemy cache keys cost about 3 ms of Python on every search (measured at the
province preset). search() binds the values into the same clauses, so both read exactly alike.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy import Integer, String, Text, and_, bindparam, case, column, func, literal_column, or_, select, table
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.functions import FunctionElement

from schoolhub.lessons.labels import named_and_kept
from schoolhub.lessons.models import Lesson, LessonStatus
from schoolhub.lessons.policy import visible_lessons, visible_published_lessons
from schoolhub.policy import is_authenticated
from schoolhub.textfold import exact_key, fold, nfc

QUERY_MAX = 100
SHORT = 2  # words this short hold no trigram: no index can serve them

# The FTS5 trigram tables migrations 0004 and 0022 keep beside `lessons` on SQLite (rowid = lessons.id).
_FTS = table("lessons_fts", column("rowid"), column("search_folded"))
_EXACT_FTS = table("lessons_exact_fts", column("rowid"), column("search_exact"))
# The folded text's trigrams without their positions (migration 0022), asked as a whole table (a table
# without positions answers no query of one column).
_TRIGRAMS = table("lessons_trigrams", column("rowid"), column("lessons_trigrams"))
# A trigram table finds a text of at least this many characters; a shorter one holds no trigram.
TRIGRAM = 3
FILTERS = ("topic", "subject", "grade", "school")


def like_escape(text: str) -> str:
    """`text` with LIKE's wildcards and its escape character escaped with a backslash (the clauses say
    ESCAPE '\\' on SQLite; on PostgreSQL it is the default escape and left unwritten: schoolhub.db)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _on_sqlite() -> bool:
    return has_app_context() and current_app.extensions["schoolhub.engine"].dialect.name == "sqlite"


def integer_function(doc: str, sqlite: str, other: str) -> type[FunctionElement]:
    """An integer SQL function of its arguments named `sqlite` on SQLite and `other` elsewhere, decided when
    the statement is compiled for its database."""
    element = type(f"_{other}", (FunctionElement,), {"__doc__": doc, "type": Integer(), "inherit_cache": True})
    compiles(element)(lambda e, compiler, **kw: f"{other}({compiler.process(e.clauses, **kw)})")
    compiles(element, "sqlite")(lambda e, compiler, **kw: f"{sqlite}({compiler.process(e.clauses, **kw)})")
    return element


_position = integer_function("Where `needle` first occurs in `text` (1-based, 0 when absent).", "instr", "strpos")
greatest = integer_function("The greater of two integers.", "max", "greatest")


class _unplanned(FunctionElement):
    """`expr` as SQLite's planner does not look into it: `+expr` (unary plus, a no-op on any value: SQLite's
    documented way to keep a term from an index); as it is on other databases."""

    inherit_cache = True

    def __init__(self, expr):
        super().__init__(expr)
        self.type = expr.type


@compiles(_unplanned)
def _unplanned_plain(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_unplanned, "sqlite")
def _unplanned_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.clauses, **kw)}"


def unindexed_ids(clause):
    """`clause` with each lessons.id it tests written so that SQLite reads no lesson by it: a test of
    "the id in a trigram table's answer" then filters the rows an index walk reads, instead of becoming
    the walk (SQLite's planner would read a word's matches by rowid and sort them all)."""
    def replace(element):
        if getattr(element, "table", None) is Lesson.__table__ and getattr(element, "name", None) == "id":
            return _unplanned(Lesson.id)
        return None

    return visitors.replacement_traverse(clause, {}, replace)


def _like(column_, name: str):
    """`column_` LIKE the pattern bound to `name` (its wildcards escaped with a backslash).

    On SQLite the pattern is written `+?`: given a bare parameter, SQLite's planner reads its value to see
    whether an index could serve a prefix, and marks the statement to be prepared again whenever the
    parameter is bound anew, which is every time it runs (our patterns always start with a wildcard, so no
    index ever served them). A search's statement was then parsed and planned on every search: two thirds
    of its cost (measured with callgrind at the commune preset, "chuyen doi so": 16.5 → 5.2 million
    instructions a run)."""
    return column_.like(_unplanned(_text(name)), escape="\\")


def words_of(q: str) -> list[str]:
    """The folded words of a query (already cut to QUERY_MAX), at most eight."""
    return [w for w in fold(q).split(" ") if w][:8]


def bound(clause, params: dict):
    """`clause` with the values of `params` in its parameters (as search() has them; a statement would
    take .params(), which SQLAlchemy keeps for statements)."""
    def replace(element):
        if isinstance(element, BindParameter) and element.key in params:
            return bindparam(element.key, params[element.key], type_=element.type)
        return None

    return visitors.replacement_traverse(clause, {}, replace)


def _text(name: str):
    """A text value bound to `name` (typed, so a statement can also be shown with its values written in)."""
    return bindparam(name, type_=String())


def word_kind(word: str) -> str:
    """How a word is looked for: "short" (no trigram: a substring test on the rows the rest narrowed),
    "fts" (a phrase query of SQLite's FTS5 trigram table) or "like" (the folded text's LIKE, PostgreSQL's
    trigram index)."""
    if len(word) <= SHORT:
        return "short"
    if _on_sqlite():
        return "fts"
    return "like"


def fts_phrase(text: str) -> str:
    """`text` as an FTS5 phrase (a string in double quotes, its own doubled): on a trigram table, the
    rows holding it as a substring. Every character is text there, LIKE's wildcards too."""
    return '"' + text.replace('"', '""') + '"'


def _word_value(kind: str, word: str) -> str:
    return word if kind == "short" else fts_phrase(word) if kind == "fts" else f"%{like_escape(word)}%"


def _found(column_, name: str):
    """`column_` holds the text bound to `name` (unescaped), tested by strpos / instr: no index serves it, so
    the planner reads the rows other conditions found (the LIKE with its wildcards escaped is the same test)."""
    return _position(column_, _text(name)) > 0


def word_test(kind: str, name: str):
    """Lessons whose folded text holds the word bound to `name`, through the trigram index of either
    database.

    PostgreSQL's pg_trgm GIN index serves the LIKE on lessons.search_folded itself. On SQLite the FTS5
    trigram table answers a phrase query: the word's trigrams one after the other, the same rows as the
    LIKE, found from the index's positions alone. Its LIKE went through the same index, but then read
    and tested each candidate's text (about 3 KB): for a word in most lessons, 4.2 ms against 0.33 ms
    (measured at the commune preset, "chuyen", 949 lessons).

    A word of one or two letters ("so", "ai") holds no trigram: given to the GIN index it makes
    PostgreSQL read the whole index. It is checked instead on the rows the longer words (through the
    index) and the other conditions narrowed, as a plain substring test: strpos / instr, the same
    answer as the escaped LIKE, in a form no planner hands to the trigram index.
    """
    if kind == "short":
        return _found(Lesson.search_folded, name)
    if kind == "fts":
        return _in_table(_FTS.c.search_folded, name)
    return _like(Lesson.search_folded, name)


@dataclass(frozen=True)
class Shape:
    """What a search's SQL is built from: each word's kind, the columns of the labels the words name,
    the places of the words left over once the labels are taken, the filters given, the status asked
    (None: any) and whether only the user's own lessons are asked."""

    kinds: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    rest: tuple[int, ...] = ()
    filters: tuple[str, ...] = ()
    status: LessonStatus | None = LessonStatus.PUBLISHED
    mine: bool = False
    joins: bool = False  # the phrase's word joins narrow its tiers (PostgreSQL: see word_joins)
    fts_tiers: bool = False  # the exact and phrase tiers are asked of SQLite's trigram tables (see tiers_of)

    @property
    def ranked(self) -> bool:
        return bool(self.kinds)


def shape_of(user, *, q: str = "", topic: str = "", subject: str = "", grade: int | None = None,
             school_id: int | None = None, status: LessonStatus | None = LessonStatus.PUBLISHED,
             mine: bool = False) -> tuple[Shape, dict]:
    """A search's shape and the values of its parameters (see the module's docstring)."""
    mine = bool(mine and is_authenticated(user))
    # Cut before the cache: its keys stay as short as a query may be, whoever calls.
    shape, values = _shape_and_values(nfc(q)[:QUERY_MAX], topic, subject, grade, bool(school_id), status, mine,
                                      _on_sqlite())
    params = dict(values)
    if school_id:
        params["f_school"] = school_id
    if mine:
        params["author_id"] = user.id
    return shape, params


@functools.lru_cache(maxsize=1024)
def _shape_and_values(q: str, topic: str, subject: str, grade: int | None, school: bool,
                      status: LessonStatus | None, mine: bool, sqlite: bool) -> tuple[Shape, tuple]:
    """shape_of's work on what was typed and chosen, the same for every reader: worked out once per search
    as typed (a phrase's words, kinds, labels, patterns and word joins: 0.2 ms of every search's Python,
    measured at the province preset). `sqlite` is which database the values are for (word_kind and the
    word joins ask it). `q` comes in NFC, cut to QUERY_MAX. The values as items, copied into each search's own
    dict by shape_of."""
    words = words_of(q)
    kinds = tuple(word_kind(word) for word in words)
    params: dict = {f"w{i}": _word_value(kind, word) for i, (kind, word) in enumerate(zip(kinds, words, strict=True))}
    labels: tuple[str, ...] = ()
    rest: tuple[int, ...] = ()
    if words:
        named, kept = named_and_kept(words)
        labels, rest = tuple(label.column for label in named), tuple(kept)
        params.update({f"l{j}": f"%,{like_escape(label.key)},%" for j, label in enumerate(named)})
        exact, phrase = exact_key(q), " ".join(words)
        params.update(p_exact=f"%{like_escape(exact)}%", p_phrase=f"%{like_escape(phrase)}%")
        if sqlite and min(len(exact), len(phrase)) >= TRIGRAM:
            params.update(p_exact_fts=fts_phrase(exact), p_phrase_fts=sparse_trigrams(phrase), p_phrase_text=phrase)
        joins = word_joins(words) if not sqlite else []
        # The exact words have joins too, as a rule (a Vietnamese word is as long exact as folded, or longer);
        # not always (fold leaves Hangul decomposed, exact_key recomposes it): then neither is asked, as the
        # GIN index would be read whole for "holds no join in particular".
        exact_joins = word_joins(exact.split(" "), EXACT_MARK) if joins else []
        if joins and exact_joins:
            keys = label_keys(topic=topic, subject=subject, grade=grade)
            # Lists (psycopg's arrays), shared by every search of this phrase: nothing changes them.
            params.update(p_joins=joins + keys, p_exact_joins=exact_joins + keys, p_exact_text=exact,
                          p_phrase_text=phrase)
    given = {"topic": topic, "subject": subject, "grade": grade is not None, "school": school}
    filters = tuple(name for name in FILTERS if given[name])
    if topic:
        params.update(f_topic=f"%,{like_escape(topic)},%", f_topic_at=f",{topic},")
    if subject:
        params.update(f_subject=f"%,{like_escape(subject)},%", f_subject_at=f",{subject},")
    if grade is not None:
        params.update(f_grade=f"%,{int(grade)},%", f_grade_at=f",{int(grade)},")
    return (Shape(kinds, labels, rest, filters, status, mine, "p_joins" in params, "p_exact_fts" in params),
            tuple(params.items()))


def where_of(shape: Shape, user, plain: bool = False) -> list:
    """What a search narrows by before the words: the VIEW_LESSON scope, the status, the filters.

    `plain`: the label filters as strpos, which no index serves, for a probe through the word joins'
    index (probe_tests), which is asked the filters' keys with the joins (label_keys): given a trigram
    index beside it, PostgreSQL joins the two bitmaps, and each lesson found is then rechecked on every
    condition of both, its word joins (about 8 KB, read from TOAST) included: 25 µs a lesson. The strpos
    only tests again, on the lessons the keys found, what they hold."""
    return scope_of(shape, user) + filters_of(shape, plain)


def scope_of(shape: Shape, user) -> list:
    """where_of without the filters: the VIEW_LESSON scope, the status, the author when only the user's own
    lessons are asked."""
    if shape.status == LessonStatus.PUBLISHED:
        where = [visible_published_lessons(user)]  # the status in it
    else:
        where = [visible_lessons(user)]
        if shape.status is not None:
            where.append(Lesson.status == shape.status)
    if shape.mine:
        where.append(Lesson.author_id == bindparam("author_id", type_=Integer()))
    return where


def filters_of(shape: Shape, plain: bool = False) -> list:
    """where_of's filters alone (topic, subject, grade, school), without the scope and the status."""
    columns = {"topic": Lesson.topics, "subject": Lesson.subjects, "grade": Lesson.grades}
    found = []
    for name in shape.filters:
        if name == "school":
            found.append(Lesson.school_id == bindparam("f_school", type_=Integer()))
        elif plain:
            found.append(_found(columns[name], f"f_{name}_at"))
        else:
            found.append(_like(columns[name], f"f_{name}"))
    return found


def match_of(shape: Shape):
    """Every word in the lesson's folded text; or, when the query names labels (lessons.labels), the
    lessons filed under all of them whose text holds the words left over."""
    in_text = and_(*[word_test(kind, f"w{i}") for i, kind in enumerate(shape.kinds)])
    if not shape.labels:
        return in_text
    filed = [_like(getattr(Lesson, col), f"l{j}") for j, col in enumerate(shape.labels)]
    # The labels first: both databases try an OR's arms in order, and a lesson filed under them is then
    # found from its short label columns, without reading its long text for each word.
    return or_(and_(*filed, *[word_test(shape.kinds[i], f"w{i}") for i in shape.rest]), in_text)


JOIN_SIDES = ((3, 2), (2, 3))  # the characters each join keeps before and after a space (migration 0016)
EXACT_MARK = "="  # before each join of the exact text, in the same array as the folded text's


def word_joins(words: list[str], mark: str = "") -> list[str]:
    """What every text holding the phrase `words` (in a row, one space apart) holds among its word joins
    (lessons.search_joins, PostgreSQL). At each space of the text two joins are kept: the last three
    characters of the word before it with the first two of the word after, and the last two with the first
    three ("ang ph" and "ng phu" for "hang phut"; a word shorter than that counts whole).

    Inside the phrase a word is a whole word of the text, so both its ends are known; the first word may
    end a longer one and the last begin one, so a join beside either counts only when that word holds as
    many characters as the join keeps of it. Empty for one word, and for two of two letters or fewer
    ("so do"). `mark` is put before each (EXACT_MARK for the exact text's joins).

    Why: pg_trgm's trigrams stop at spaces, so its index finds the lessons holding each word of a phrase,
    not the phrase. For common words the exact and phrase tiers then read each of those lessons' texts to
    find the phrase in none ("hang phut" at the province preset: 29,449 lessons, 0.42 s). The joins keep
    the words' order, and the GIN index on them answers "holds every join" exactly."""
    last = len(words) - 1
    joins = set()
    for i in range(last):
        before, after = words[i], words[i + 1]
        for kept_before, kept_after in JOIN_SIDES:
            if (i == 0 and len(before) < kept_before) or (i + 1 == last and len(after) < kept_after):
                continue
            joins.add(f"{mark}{before[-kept_before:]} {after[:kept_after]}")
    return sorted(joins)


# Before each label key the joins' arrays hold (migration 0017): a key holds no space, a join always one.
LABEL_MARKS = {"topic": "#t:", "subject": "#s:", "grade": "#g:"}


def label_keys(*, topic: str = "", subject: str = "", grade: int | None = None) -> list[str]:
    """The keys of a search's label filters, as search_joins and title_joins hold them beside the joins
    ("#t:ai" for topic "ai"): asked with the joins, the index keeps only the lessons under the filter."""
    given = {"topic": topic, "subject": subject, "grade": "" if grade is None else str(int(grade))}
    return [LABEL_MARKS[name] + value for name, value in given.items() if value]


def _joins_param(name: str, column_: str = "search_joins"):
    return literal_column(f"lessons.{column_}", ARRAY(Text)).contains(bindparam(name, type_=ARRAY(Text)))


def probe_tests(shape: Shape) -> list[list]:
    """Each ranking tier's tests as its probe asks them through an index (PostgreSQL; tiers_of's order).

    Without joins (one word, or SQLite) a tier is its own test (tiers_of). With them, each tier is found
    through a joins' index alone, the text then tested by strpos (no index serves it, so the planner cannot
    build a trigram bitmap of every lesson holding the words beside the joins': 5.6 ms for "an toan khi
    dung", whose joins are in 26,529 lessons; and a lesson found through two bitmaps is rechecked on both
    conditions, its joins of about 8 KB read from TOAST). A text holding the query exactly as typed folds
    into one holding its phrase, so the exact tier's lessons hold the joins of the exact text (marked
    EXACT_MARK); the title tier's hold the phrase's joins in their title's own (lessons.title_joins, a few
    dozen, kept in the row: "hoc cong nghe" was in the title words of thousands of lessons, 6.5 ms)."""
    tiers = tiers_of(shape)
    if not shape.joins:
        return [[tier] for tier in tiers]
    return [[_joins_param("p_exact_joins"), _found(Lesson.search_exact, "p_exact_text")],
            [_joins_param("p_joins", "title_joins"), _found(Lesson.title_folded, "p_phrase_text")],
            [_joins_param("p_joins"), _found(Lesson.search_folded, "p_phrase_text")]]


def through_joins(shape: Shape, rank: int) -> bool:
    """Whether a tier's probe is asked through a word joins' index (probe_tests): then with where_of's
    plain filters."""
    return shape.joins and rank < TIERS


def _holds(column_, name: str):
    """`column_` contains the text bound to `name` (a LIKE with its wildcards escaped, which the trigram
    indexes serve)."""
    return _like(column_, name)


TIERS = 3  # how many tests tiers_of ranks by (a match passing none ranks after them)


def tiers_of(shape: Shape) -> list:
    """The ranking's tests, best first: the query exactly as typed (diacritics included) in the text,
    the folded query as a phrase in the title, then in the text. A match passing none ranks last.

    On SQLite (Shape.fts_tiers) the two long texts are not read match by match (about 3 KB each): the exact
    text's tier is a phrase query of its FTS5 trigram table (the same lessons as the LIKE: a phrase of
    trigrams is the substring), and the folded text's is found among the lessons holding every third trigram
    of the phrase (sparse_trigrams) in the trigram table without positions, each then tested for the phrase
    itself. Measured at the commune preset: "chuyen doi so" in the exact texts of every lesson, 3.6 ms by
    LIKE, 0.03 ms by the table; "tri tue nhan tao" in the folded texts, 5.1 million instructions as a phrase
    of lessons_fts (which reads every position of each of its 14 trigrams), 2.5 as its sparse trigrams
    there, 1.4 in lessons_trigrams."""
    if shape.fts_tiers:
        return [_in_table(_EXACT_FTS.c.search_exact, "p_exact_fts"), _holds(Lesson.title_folded, "p_phrase"),
                and_(_in_table(_TRIGRAMS.c.lessons_trigrams, "p_phrase_fts"),
                     _found(Lesson.search_folded, "p_phrase_text"))]
    return [_holds(Lesson.search_exact, "p_exact"), _holds(Lesson.title_folded, "p_phrase"),
            _holds(Lesson.search_folded, "p_phrase")]


def tier_probes(shape: Shape) -> list:
    """For each tier of tiers_of (and the last, "matches, in none of them"), what finds its lessons from an
    index, first to last, without reading the lessons in list order: (the trigram table's column, the name
    of its query's parameter, the tests its lessons then pass); None when no index finds the tier. On
    SQLite the exact tier (its table's phrase query) and the phrase tier (the folded text's table, by every
    third trigram, then the phrase itself)."""
    if not shape.fts_tiers:
        return [None] * (TIERS + 1)
    return [(_EXACT_FTS.c.search_exact, "p_exact_fts", []), None,
            (_TRIGRAMS.c.lessons_trigrams, "p_phrase_fts", [_found(Lesson.search_folded, "p_phrase_text")]), None]


def fts_match(fts_column, name: str):
    """The trigram table's rows whose `fts_column` matches the FTS5 query bound to `name`."""
    return fts_column.match(_text(name))


def sparse_trigrams(text: str) -> str:
    """An FTS5 query of the trigram tables for the texts holding every third trigram of `text` (its first,
    fourth, …, and its last): each text holding `text` is among them, and they are found from the trigrams'
    lists of lessons alone, without the positions inside each text a phrase reads. At least 3 characters."""
    starts = list(range(0, len(text) - 2, 3))
    if starts[-1] != len(text) - 3:
        starts.append(len(text) - 3)
    return " AND ".join(fts_phrase(text[i:i + 3]) for i in starts)


def _in_table(fts_column, name: str):
    """The lessons an FTS5 table's phrase query bound to `name` finds (rowid = lessons.id)."""
    return Lesson.id.in_(select(fts_column.table.c.rowid).where(fts_column.match(_text(name))))


def when_of(shape: Shape):
    """The date a list is ordered by: publication (published lessons always have it, so an index on it
    serves the list), else the last change."""
    if shape.status == LessonStatus.PUBLISHED:
        return Lesson.published_at
    return func.coalesce(Lesson.published_at, Lesson.updated_at)


def parts_of(shape: Shape, user) -> tuple[list, list]:
    """The conditions of a search, and its order as (expression, descending) pairs."""
    where = where_of(shape, user)
    order = []
    if shape.ranked:
        where.append(match_of(shape))
        order.append((case(*[(test, rank) for rank, test in enumerate(tiers_of(shape))], else_=TIERS), False))
    order += [(Lesson.is_core, True), (when_of(shape), True), (Lesson.id, True)]
    return where, order

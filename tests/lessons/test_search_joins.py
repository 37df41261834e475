"""The word joins (lessons.search_joins, PostgreSQL): what a phrase's tiers are asked through. A join is a
necessary condition of the phrase, so a lesson holding the phrase is never left out of its tier; the
tiers found through them rank exactly as ranking every match (which never asks them) ranks."""
from __future__ import annotations

import itertools
import random

import pytest
from sqlalchemy import text

from schoolhub.lessons import queries
from schoolhub.lessons.search import EXACT_MARK, word_joins
from schoolhub.textfold import exact_key, fold
from tests.helpers.lesson_lists import dated, listed


def test_a_phrase_whose_exact_words_have_no_joins_asks_none(app):
    """fold leaves Hangul decomposed and exact_key recomposes it: the folded words have joins, the exact
    ones none. Then the tiers ask no joins at all (an empty "holds every join" would read the index whole)."""
    from schoolhub.lessons.search import shape_of

    with app.test_request_context():
        if app.extensions["schoolhub.engine"].dialect.name != "postgresql":
            pytest.skip("the word joins are PostgreSQL's")
        shape, params = shape_of(None, q="한국 사람")
        assert not shape.joins and "p_joins" not in params and "p_exact_joins" not in params
        shape, params = shape_of(None, q="thang phuc vu")
        assert shape.joins and params["p_exact_joins"] == ["=ang ph", "=huc vu", "=ng phu"]


@pytest.mark.parametrize(("words", "joins"), [
    (["hang", "phut"], ["ang ph", "ng phu"]),
    # "an" may end a longer word: only its two letters count
    (["an", "toan", "khi", "dung"], ["an khi", "an toa", "hi dun", "khi du", "oan kh"]),
    (["dung", "cu"], ["ung cu"]),  # "cu" may begin a longer word: its two letters only
    (["so", "va", "lam"], ["so va", "va la", "va lam"]),  # "va" is whole, inside the phrase
    (["ve", "so"], []),  # two short words: either may be part of a longer one
    (["a", "hoc"], []),  # a one-letter word at an end
    (["doi", "so", "doi"], ["doi so", "oi so", "so do", "so doi"]),
    (["chuyen"], []),
    ([], []),
])
def test_the_joins_a_phrase_holds_whatever_words_it_starts_and_ends_inside(words, joins):
    assert word_joins(words) == joins
    assert word_joins(words, EXACT_MARK) == [EXACT_MARK + join for join in joins]


TEXTS = [
    "Thắng phục vụ hằng phút: hoá học, thuỷ phân và  nước\tthải",
    "Lớp 6A — AI-4.0; micro:bit & Scratch (robot) 100% tự làm",
    "Ý tưởng 🙂 học vui: a b c đ ê ơ ư; Chuyển đổi số ở trường",
    "Đường dẫn C:\\tai-lieu\\ và dấu ' lẻ, \"ngoặc\" và % phần trăm _ gạch",
]


def _cuts(words: list[str], rng: random.Random):
    """Phrases cut from a text's words: a run of at least two, the first one cut to an end of it and the
    last to a start of it, as a search may hold them."""
    for first, last in itertools.combinations(range(len(words)), 2):
        cut = list(words[first:last + 1])
        cut[0] = cut[0][rng.randrange(len(cut[0])):]
        cut[-1] = cut[-1][:rng.randrange(len(cut[-1])) + 1]
        yield cut


def test_every_phrase_cut_from_a_lesson_finds_its_joins_in_the_lesson(world, factory, db):
    """The joins PostgreSQL keeps (migration 0016) and the joins a phrase asks (word_joins) agree, for the
    folded text and for the exact one, with tone marks, punctuation, tabs, short words, other scripts."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the word joins are PostgreSQL's (SQLite's FTS5 trigrams read across spaces)")
    rng = random.Random(57)
    for body in TEXTS:
        # A title as long as a title may be, cut inside a word; "ß" folds to "ss", so its folded form is
        # longer and is cut at 200 characters too.
        lesson = factory.lesson(world.school, world.teacher, title=("ßß " + (body + " ") * 4)[:200], body=body)
        folded, exact, title, kept, in_title = db.execute(text(
            "SELECT search_folded, search_exact, title_folded, search_joins, title_joins FROM lessons "
            "WHERE id = :id"), {"id": lesson.id}).one()
        kept, in_title = set(kept), set(in_title)
        for cut in _cuts(title.split(" "), rng):
            assert set(word_joins(cut)) <= in_title and set(word_joins(cut)) <= kept, cut
        for cut in _cuts(folded.split(" "), rng):
            assert set(word_joins(cut)) <= kept, cut
            assert " ".join(cut) in folded
        for cut in _cuts(exact.split(" "), rng):
            assert set(word_joins(cut, EXACT_MARK)) <= kept, cut
        # A search typed with or without diacritics: what it asks, from the same text.
        for cut in _cuts(body.split(), rng):
            typed = " ".join(cut)
            words = fold(typed).split(" ")
            if exact_key(typed) in exact:
                assert set(word_joins(exact_key(typed).split(" "), EXACT_MARK)) <= kept, typed
            if " ".join(words) in folded:
                assert set(word_joins(words)) <= kept, typed


def test_an_edited_lesson_has_the_joins_of_its_new_text(world, factory, db, login_as, app):
    """A generated column: PostgreSQL computes it on every write, so it never lags the text."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the word joins are PostgreSQL's")
    lesson = factory.lesson(world.school, world.teacher, title="Bài", body="Hằng phút đầu giờ")
    from schoolhub.lessons import services

    lesson.body = "Cuối giờ có trắc nghiệm"
    services.index_lesson(lesson)
    db.commit()
    kept = set(db.execute(text("SELECT search_joins FROM lessons WHERE id = :id"), {"id": lesson.id}).scalar())
    assert {"rac ng", "ac ngh", "gio co"} <= kept
    assert not {"ang ph", "ng phu", "ut dau"} & kept


# Lessons where the words of "thắng phục" stand together, apart, inside longer words, or typed without
# diacritics; each six times, dated, in both schools.
PHRASES = [
    ("Bài một", "Đội thắng phục vụ cả lớp."),  # the phrase exactly, with diacritics
    ("Bài hai", "Đội thang phuc vu ca lop."),  # the phrase without diacritics
    ("Thắng phục ở tên bài", "Nội dung khác."),  # in the title
    ("Bài ba", "Trang phục đẹp và đường thẳng."),  # "ang phu" inside other words, as a phrase
    ("Bài bốn", "Phục hồi rồi thắng lớn."),  # both words, apart
    ("Bài năm", "Hằng ngày phút đầu."),  # "ang" and "phu" apart, in other words
]
JOIN_QUERIES = ["thắng phục", "thang phuc", "ang phu", "ang phục vụ", "ắng phụ", "đội thắng phục vụ cả",
                "phuc vu ca", "thang lon", "hang phut"]


@pytest.fixture
def phrases(world, factory, db, app, monkeypatch):
    day = itertools.count()
    for round_ in range(6):
        for title, body in PHRASES:
            other = round_ % 3 == 2
            school, author = (world.other_school, world.other_teacher) if other else (world.school, world.teacher)
            lesson = factory.lesson(school, author, title=f"{title} {round_}", body=body,
                                    topics=("khcn",) if round_ % 2 else ("stem",), visibility="commune",
                                    subjects=("toan", "tin_hoc") if round_ % 3 else ("khtn",),
                                    grades={1: (0,), 5: (1,)}.get(round_, (10, 11)), is_core=round_ == 4)
            dated(db, lesson, next(day))
    monkeypatch.setitem(app.config, "PER_PAGE", 3)
    monkeypatch.setattr(queries, "PROBE", 10)
    monkeypatch.setattr(queries, "TIERED", True)


@pytest.mark.parametrize("filters", [{}, {"topic": "khcn"}, {"subject": "tin_hoc", "grade": "11"}, {"grade": "0"},
                                     {"grade": "1"}], ids=["all", "a-topic", "subject-and-grade", "pre-school",
                                                           "grade-one"])
@pytest.mark.parametrize("few", [1, 3], ids=["tiers-always", "tiers-from-3-matches"])
@pytest.mark.parametrize("q", JOIN_QUERIES)
def test_a_phrase_asked_through_its_joins_ranks_as_ranking_every_match(q, few, filters, phrases, world, db, app,
                                                                       login_as, monkeypatch):
    """Ranking every match (one statement, no joins) against the tiers asked through the joins, page by page:
    phrases starting and ending inside words, typed with and without diacritics, found and not found, with
    and without filters (their keys asked with the joins, label_keys: a key missing from the lessons' arrays
    or from the search's would leave the filter's lessons out; grade 1 beside grades 10 and 11)."""
    monkeypatch.setattr(queries, "FEW", few)
    client = login_as(world.teacher)
    with app.test_request_context():
        expected = [lesson.id for lesson in db.scalars(queries.search(world.teacher, q=q, **filters))]
    for page in range(1, 6):
        start = (page - 1) * 3
        if start >= len(expected):
            break
        assert listed(client, q=q, page=str(page), **filters) == expected[start:start + 3], (q, filters, page)


def test_the_exact_and_phrase_tiers_are_asked_through_the_joins_on_postgresql(phrases, world, app, login_as,
                                                                             monkeypatch):
    """The tiers' statement asks the exact, title and phrase tiers through the joins' indexes, their filters
    as strpos (no trigram bitmap beside them, whose lessons would each be rechecked on their joins too); a
    query of one word has no joins, and asks the trigram indexes."""
    from sqlalchemy import event

    engine = app.extensions["schoolhub.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("the word joins are PostgreSQL's")
    monkeypatch.setattr(queries, "FEW", 1)  # the tiers, whatever the search finds
    sent: list[str] = []

    def _before(conn, cursor, statement, *args):
        sent.append(statement)

    client = login_as(world.teacher)
    event.listen(engine, "before_cursor_execute", _before)
    try:
        for q, joined in (("thang phuc vu", 1), ("thang", 0)):
            sent.clear()
            assert client.get("/lessons", query_string={"q": q, "topic": "khcn"}).status_code == 200
            tiers = [s for s in sent if s.lstrip().startswith("WITH probe0")]
            assert len(tiers) == 1
            assert tiers[0].count("lessons.search_joins @>") == 2 * joined, q  # the exact tier, the phrase's
            assert tiers[0].count("lessons.title_joins @>") == joined, q
            assert tiers[0].count("strpos(lessons.topics") == 3 * joined, q
            assert tiers[0].count("lessons.title_folded LIKE") == 1 - joined, q  # its walk keeps it
            # The status is written into the SQL, so a generic plan knows most lessons are published and
            # never ANDs the joins' few lessons with the status index's every published one.
            assert "lessons.status = 'published'" in tiers[0] and "lessons.status = %(" not in tiers[0]
    finally:
        event.remove(engine, "before_cursor_execute", _before)


def test_the_joins_arrays_hold_the_lessons_label_keys_and_follow_an_edit(world, factory, db):
    """Migration 0017: both arrays end with the lesson's label keys, generated from its labels on every write;
    a key holds no space, so it is never one of the text's joins."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the word joins are PostgreSQL's")
    from schoolhub.lessons import services

    lesson = factory.lesson(world.school, world.teacher, title="Tên bài #t:ai", body="Hằng phút #g:5",
                            topics=("khcn", "cds"), subjects=("toan",), grades=(0, 12))

    def keys():
        kept, in_title = db.execute(text("SELECT search_joins, title_joins FROM lessons WHERE id = :id"),
                                    {"id": lesson.id}).one()
        assert {k for k in kept if " " not in k} == {k for k in in_title if " " not in k}
        return {k for k in kept if " " not in k}

    assert keys() == {"#t:khcn", "#t:cds", "#s:toan", "#g:0", "#g:12"}  # the text's "#t:ai" is in no key
    lesson.topics, lesson.subjects, lesson.grades = ",stem,", "", ""
    services.index_lesson(lesson)
    db.commit()
    assert keys() == {"#t:stem"}


def test_a_filtered_phrase_asks_the_filters_keys_with_its_joins(app):
    from schoolhub.lessons.search import label_keys, shape_of

    assert label_keys(topic="ai", subject="toan", grade=0) == ["#t:ai", "#s:toan", "#g:0"]
    assert label_keys() == []
    with app.test_request_context():
        if app.extensions["schoolhub.engine"].dialect.name != "postgresql":
            pytest.skip("the word joins are PostgreSQL's")
        shape, params = shape_of(None, q="hằng phút", topic="khcn", grade=7)
        assert params["p_joins"] == ["ang ph", "ng phu", "#t:khcn", "#g:7"]
        exact = word_joins(exact_key("hằng phút").split(" "), EXACT_MARK)
        assert exact and params["p_exact_joins"] == [*exact, "#t:khcn", "#g:7"]
        _shape, plain = shape_of(None, q="hằng phút")
        assert plain["p_joins"] == ["ang ph", "ng phu"]

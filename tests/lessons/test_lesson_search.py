"""Lesson search as a Vietnamese teacher expects it: with or without accents, any word order, only what she may read."""
from __future__ import annotations

import re
import unicodedata

import pytest
from sqlalchemy import select

from schoolhub import policy
from schoolhub.accounts.models import Role
from schoolhub.lessons import queries
from schoolhub.lessons.models import Lesson, LessonStatus
from tests.helpers.lesson_lists import CARD, dated, listed

# --- the corpus: public lessons, so an anonymous visitor searches them all ----------------------------------------

CORPUS = {
    "cds": dict(title="Chuyển đổi số trong nhà trường", summary="Bài mở đầu cho giáo viên.",
                body="Dữ liệu, nền tảng và kỹ năng.", tags="nghị quyết 57",
                topics=("cds",), subjects=("tin_hoc",), grades=(7,)),
    "dmst": dict(title="ĐỔI MỚI SÁNG TẠO", body="Ý tưởng khởi nghiệp của học sinh.",
                 topics=("dmst",), subjects=("khtn",), grades=(8,)),
    "ai": dict(title="Trí tuệ nhân tạo", body="Máy học là gì? Ví dụ nhận dạng ảnh.",
               topics=("ai",), subjects=("tin_hoc",), grades=(9,)),
    "dien": dict(title="Điện tử cơ bản", body="Mạch đèn LED và pin.",
                 topics=("stem",), subjects=("cong_nghe",), grades=(6,)),
    "attt": dict(title="An toàn thông tin", body="Hãy đặt mật khẩu mạnh và bật xác thực hai lớp.",
                 tags="lừa đảo trực tuyến", topics=("attt",), subjects=("tin_hoc",), grades=(8,)),
    "chem": dict(title="Hóa học quanh ta", body="Thủy tinh và nước.",
                 topics=("khcn",), subjects=("hoa_hoc",), grades=(8,)),
    "pct": dict(title="Tiết kiệm 50% giấy in", body="Dùng mặt_sau của giấy; đường dẫn C:\\tai-lieu.",
                topics=("kns",), subjects=("khac",), grades=(5,)),
    # In the other school, so the school filter has something to tell apart.
    "robot": dict(title="Lắp ráp robot", body="Động cơ và cảm biến.",
                  topics=("stem",), subjects=("cong_nghe",), grades=(7,)),
}


@pytest.fixture
def corpus(world, factory, db) -> dict[str, int]:
    ids = {}
    for day, (key, fields) in enumerate(CORPUS.items()):
        school, author = ((world.other_school, world.other_teacher) if key == "robot"
                          else (world.school, world.teacher))
        lesson = factory.lesson(school, author, visibility="public", **fields)
        ids[key] = dated(db, lesson, day).id
    return ids


NFD_TITLE = unicodedata.normalize("NFD", "Trí tuệ nhân tạo")
SEARCH_PAIRS = [
    pytest.param("chuyen doi so", {"cds"}, id="no-accents"),
    pytest.param("doi moi", {"dmst"}, id="no-accents-against-upper-case-title"),
    pytest.param("CHUYỂN ĐỔI", {"cds"}, id="upper-case-with-accents"),
    pytest.param(NFD_TITLE, {"ai"}, id="nfd-query-nfc-title"),
    pytest.param("dien tu", {"dien"}, id="d-for-đ"),
    pytest.param("ĐIỆN TỬ", {"dien"}, id="upper-case-đ"),
    pytest.param("Đổi", {"cds", "dmst"}, id="đ-in-query-both-lessons"),
    pytest.param("tri tue nhan tao", {"ai"}, id="whole-title-no-accents"),
    pytest.param("so chuyen", {"cds"}, id="word-order-and-partial"),
    pytest.param("  Trí   tuệ  ", {"ai"}, id="extra-spaces"),
    pytest.param("mat khau", {"attt"}, id="word-only-in-body"),
    pytest.param("xác thực", {"attt"}, id="body-with-accents"),
    pytest.param("lua dao", {"attt"}, id="word-only-in-tags"),
    pytest.param("nghi quyet 57", {"cds"}, id="tag-with-number"),
    pytest.param("khởi nghiệp", {"dmst"}, id="body-exact-accents"),
    pytest.param("nhan dang anh", {"ai"}, id="body-phrase"),
    pytest.param("hoá học", {"chem"}, id="old-style-tone-placement"),
    pytest.param("thuỷ tinh", {"chem"}, id="old-style-tone-placement-y"),
    pytest.param("hoc", {"dmst", "ai", "chem"}, id="one-word-several-lessons"),
    pytest.param("robot", {"robot"}, id="robot-only-the-robot-lesson"),
    pytest.param("chuyen doi so robot", set(), id="every-word-must-appear"),
    pytest.param("Điện toán đám mây", set(), id="nothing-matches"),
    pytest.param("50%", {"pct"}, id="percent-literal"),
    pytest.param("%", {"pct"}, id="percent-alone-is-not-everything"),
    pytest.param("5%", set(), id="percent-is-not-a-wildcard"),
    pytest.param("%%%", set(), id="percents"),
    pytest.param("_", {"pct"}, id="underscore-alone-is-not-everything"),
    pytest.param("t_sau", {"pct"}, id="underscore-literal"),
    pytest.param("t_s", {"pct"}, id="underscore-literal-short"),
    pytest.param("g_ay", set(), id="underscore-is-not-a-wildcard"),
    pytest.param("\\", {"pct"}, id="backslash-literal"),
    pytest.param("\\%", set(), id="escaped-percent-is-still-literal"),
]


@pytest.mark.parametrize(("q", "expected"), SEARCH_PAIRS)
def test_search_finds_what_a_teacher_means(q, expected, corpus, app):
    found = set(listed(app.test_client(), q=q))
    assert found == {corpus[key] for key in expected}, (q, {k for k, v in corpus.items() if v in found})


def test_empty_query_lists_every_lesson_newest_first(corpus, app):
    assert listed(app.test_client()) == [corpus[k] for k in reversed(list(CORPUS))]
    assert listed(app.test_client(), q="   ") == [corpus[k] for k in reversed(list(CORPUS))]


def test_query_is_kept_in_the_search_box(corpus, app):
    r = app.test_client().get("/lessons", query_string={"q": "chuyển đổi số"})
    assert 'value="chuyển đổi số"' in r.get_data(as_text=True)


@pytest.mark.parametrize("q", ["a" * 500, "chuyển đổi số " * 40, "%_\\" * 170, "đ" * 500])
def test_over_long_query_is_answered(q, corpus, app):
    client = app.test_client()
    r = client.get("/lessons", query_string={"q": q})
    assert r.status_code == 200
    if q.startswith("chuyển"):
        assert listed(client, q=q) == [corpus["cds"]]


def test_search_service_matches_the_page(corpus, app, db, world):
    """queries.search, the service under the page, gives the same order for the same query."""
    client = app.test_client()
    for q in ("hoc", "doi", "tin"):
        ids = [lesson.id for lesson in db.scalars(queries.search(None, q=q))]
        assert ids == listed(client, q=q), q


# --- ranking ---------------------------------------------------------------------------------------------------

RANKING = [
    pytest.param("Bài học về mã hóa", "Bài học về mà hoa", "mã hóa", "ma hoa", id="mã-hóa"),
    pytest.param("Thuê nhà trọ an toàn", "Thuế nhà trọ", "thuê nhà", "thue nha", id="thuê-thuế"),
    pytest.param("Kỹ thuật đá bóng", "Kỹ thuật da bóng", "đá bóng", "da bong", id="đá-da"),
]


@pytest.mark.parametrize(("exact_title", "other_title", "query", "folded_query"), RANKING)
def test_exact_diacritics_rank_first(exact_title, other_title, query, folded_query, world, factory, db, app):
    # The other lesson is newer, so without ranking it would come first.
    exact = dated(db, factory.lesson(world.school, world.teacher, title=exact_title, visibility="public"), 1)
    other = dated(db, factory.lesson(world.school, world.teacher, title=other_title, visibility="public"), 2)
    client = app.test_client()
    assert listed(client, q=query) == [exact.id, other.id]
    assert listed(client, q=query.upper()) == [exact.id, other.id]
    assert listed(client, q=unicodedata.normalize("NFD", query)) == [exact.id, other.id]
    assert set(listed(client, q=folded_query)) == {exact.id, other.id}


def test_exact_match_outranks_a_newer_core_lesson(world, factory, db, app):
    exact = dated(db, factory.lesson(world.school, world.teacher, title="Bài học về mã hóa", visibility="public"), 1)
    core = dated(db, factory.lesson(world.school, world.teacher, title="Bài học về mà hoa", visibility="public",
                                    is_core=True), 2)
    assert listed(app.test_client(), q="mã hóa") == [exact.id, core.id]


def test_title_match_ranks_above_a_body_match(world, factory, db, app):
    in_title = dated(db, factory.lesson(world.school, world.teacher, title="Năng lượng mặt trời",
                                        body="Tấm pin.", visibility="public"), 1)
    in_body = dated(db, factory.lesson(world.school, world.teacher, title="Bài đọc thêm",
                                       body="Nói về năng lượng mặt trời.", visibility="public"), 2)
    assert listed(app.test_client(), q="nang luong mat troi") == [in_title.id, in_body.id]


def test_old_and_new_tone_placement_rank_as_the_same_word(world, factory, db, app):
    """'hoá' and 'hóa' are one word spelt two accepted ways; typing either ranks the lesson with it first."""
    exact = dated(db, factory.lesson(world.school, world.teacher, title="Bài học về mã hóa", visibility="public"), 1)
    other = dated(db, factory.lesson(world.school, world.teacher, title="Bài học về mà hoa", visibility="public"), 2)
    client = app.test_client()
    assert listed(client, q="mã hóa") == [exact.id, other.id]
    assert listed(client, q="mã hoá") == [exact.id, other.id]


# --- filters ---------------------------------------------------------------------------------------------------


def test_filters_narrow_the_result(corpus, app, world):
    client = app.test_client()

    def ids(*keys):
        return {corpus[k] for k in keys}

    assert set(listed(client, topic="cds")) == ids("cds")
    assert set(listed(client, topic="stem")) == ids("dien", "robot")
    assert set(listed(client, subject="tin_hoc")) == ids("cds", "ai", "attt")
    assert set(listed(client, grade="7")) == ids("cds", "robot")
    assert set(listed(client, grade="8")) == ids("dmst", "attt", "chem")
    assert set(listed(client, grade="0")) == set()
    assert set(listed(client, school=str(world.other_school.id))) == ids("robot")
    assert set(listed(client, school=str(world.school.id))) == set(corpus.values()) - ids("robot")
    assert set(listed(client, q="hoc", grade="9")) == ids("ai")
    assert set(listed(client, topic="stem", school=str(world.school.id))) == ids("dien")
    assert set(listed(client, subject="tin_hoc", grade="8", q="thong tin")) == ids("attt")


@pytest.mark.parametrize("params", [
    {"topic": "hack"}, {"topic": "%"}, {"topic": "cds'--"}, {"subject": "<script>"}, {"subject": "_"},
    {"grade": "99"}, {"grade": "-1"}, {"grade": "abc"}, {"grade": "7.5"}, {"grade": "99999999999999999999"},
    {"grade": "²"}, {"school": "abc"}, {"school": "-1"}, {"school": "1e3"}, {"school": "99999999999999999999"},
    {"school": "²"}, {"page": "abc"}, {"page": "-3"}, {"page": "²"},
], ids=lambda params: "&".join(f"{k}={v}" for k, v in params.items()))
def test_bad_filter_values_are_ignored(params, corpus, app):
    client = app.test_client()
    assert set(listed(client, **params)) == set(corpus.values())


# --- only what the user may read -----------------------------------------------------------------------------


@pytest.fixture
def microscopes(world, factory, db) -> dict[str, int]:
    """Lessons of the first school that all match 'kinh hien vi', in every state and visibility."""
    made = {}
    for day, (key, status, visibility) in enumerate((
            ("draft", "draft", "public"), ("school", "published", "school"), ("commune", "published", "commune"),
            ("public", "published", "public"), ("archived", "archived", "public"))):
        lesson = factory.lesson(world.school, world.teacher, title=f"Kính hiển vi ({key})", status=status,
                                visibility=visibility)
        made[key] = dated(db, lesson, day).id if status != "draft" else lesson.id
    # Another commune's school-only lesson matching the query, too.
    far_commune = factory.commune(name="Xã Bình Hải")
    far_school = factory.school(far_commune, name="Trường THCS Bình Hải")
    far_teacher = factory.user(Role.TEACHER, far_school, username="farteacher")
    db.commit()
    made["far-school"] = factory.lesson(far_school, far_teacher, title="Kính hiển vi (xa)", visibility="school").id
    made["far-commune"] = factory.lesson(far_school, far_teacher, title="Kính hiển vi (xã khác)",
                                         visibility="commune").id
    return made


VISIBLE = {
    "anonymous": {"public"},
    "teacher": {"school", "commune", "public"},
    "admin": {"school", "commune", "public"},
    "student": {"school", "commune", "public"},
    "other_teacher": {"commune", "public"},
    "other_admin": {"commune", "public"},
    "other_student": {"commune", "public"},
    "officer": {"school", "commune", "public"},
    "outsider": {"public"},
}


@pytest.mark.parametrize("who", list(VISIBLE))
def test_search_lists_only_what_the_user_may_read(who, microscopes, world, login_as, app, db):
    client = app.test_client() if who == "anonymous" else login_as(getattr(world, who))
    expected = {microscopes[k] for k in VISIBLE[who]}
    assert set(listed(client, q="kinh hien vi")) == expected
    assert set(listed(client, q="Kính hiển vi")) == expected
    assert set(listed(client)) == expected
    # The page's answer agrees with the policy the lesson page itself applies.
    user = None if who == "anonymous" else getattr(world, who)
    with app.test_request_context():
        lessons = db.scalars(select(Lesson).where(Lesson.id.in_(microscopes.values()))).all()
        readable = {lesson.id for lesson in lessons if lesson.status == LessonStatus.PUBLISHED
                    and policy.can(policy.Action.VIEW_LESSON, lesson, user=user)}
    assert readable == expected


def test_school_filter_cannot_reveal_another_schools_lessons(microscopes, world, login_as):
    client = login_as(world.other_teacher)
    assert set(listed(client, q="kinh", school=str(world.school.id))) == {microscopes["commune"],
                                                                          microscopes["public"]}


def test_my_lessons_search_includes_my_drafts_only(microscopes, world, login_as):
    r = login_as(world.teacher).get("/lessons/mine", query_string={"q": "kinh hien vi"})
    assert r.status_code == 200
    mine = {int(m) for m in CARD.findall(r.get_data(as_text=True))}
    assert mine == {microscopes[k] for k in ("draft", "school", "commune", "public", "archived")}
    r = login_as(world.other_teacher).get("/lessons/mine", query_string={"q": "kinh hien vi"})
    assert CARD.findall(r.get_data(as_text=True)) == []


# --- the folded text follows every edit ------------------------------------------------------------------------


def _edit(client, db, lesson: Lesson, **fields):
    db.refresh(lesson)
    data = {"title": lesson.title, "summary": lesson.summary, "body": lesson.body, "tags": lesson.tags,
            "visibility": lesson.visibility.value, "base_revision": str(lesson.revision_count), "action": "save"}
    data.update(fields)
    r = client.post(f"/lessons/{lesson.id}/edit", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[:1000]


def test_search_follows_edits_and_restores(world, factory, login_as, db, app):
    lesson = factory.lesson(world.school, world.teacher, title="Trồng rau sạch", body="Chuẩn bị đất.",
                            visibility="public")
    teacher = login_as(world.teacher)
    anonymous = app.test_client()
    assert listed(anonymous, q="thuy canh") == []
    _edit(teacher, db, lesson, body="Chuẩn bị đất.\n\nPhương pháp thủy canh tại lớp.")
    assert listed(anonymous, q="thuy canh") == [lesson.id]
    assert listed(anonymous, q="thuỷ canh") == [lesson.id]
    _edit(teacher, db, lesson, title="Nuôi cá cảnh", body="Bể cá nhỏ.", tags="sinh học")
    assert listed(anonymous, q="thuy canh") == []
    assert listed(anonymous, q="trong rau") == []
    assert listed(anonymous, q="nuoi ca") == [lesson.id]
    assert listed(anonymous, q="sinh hoc") == [lesson.id]
    _edit(teacher, db, lesson, summary="Dành cho câu lạc bộ STEM")
    assert listed(anonymous, q="cau lac bo") == [lesson.id]
    r = teacher.post(f"/lessons/{lesson.id}/revisions/1/restore")
    assert r.status_code == 302
    assert listed(anonymous, q="trong rau") == [lesson.id]
    assert listed(anonymous, q="nuoi ca") == []
    db.refresh(lesson)
    assert "trong rau" in lesson.title_folded and "nuoi" not in lesson.search_folded


# --- cost --------------------------------------------------------------------------------------------------------


def test_query_count_does_not_grow_with_matching_lessons(world, factory, db, login_as, count_queries):
    client = login_as(world.teacher)

    def make(n: int, start: int) -> None:
        for i in range(n):
            school, author = ((world.school, world.teacher) if i % 2 else (world.other_school, world.other_teacher))
            dated(db, factory.lesson(school, author, title=f"Đồng hồ Mặt Trời {start + i}", visibility="commune",
                                     tags=f"thiên văn, nhóm {start + i}", topics=("khcn",), grades=(6, 7)),
                  start + i)

    def queries_for_search() -> tuple[int, int]:
        client.get("/lessons", query_string={"q": "dong ho"})  # warm: anything cached once per process
        with count_queries() as statements:
            shown = listed(client, q="dong ho")
        return len(statements), len(shown)

    make(2, 0)
    few, shown_few = queries_for_search()
    make(12, 10)
    many, shown_many = queries_for_search()
    assert (shown_few, shown_many) == (2, 14)
    assert many == few, (few, many)


def test_the_filters_keep_what_was_chosen_in_the_readers_language(corpus, world, app):
    """After a search the chosen topic and school stay selected, and each page's choices are in its
    reader's language (the options are built once per set of choices and kept: never another's)."""
    client = app.test_client()
    vi = client.get("/lessons", query_string={"topic": "ai", "school": str(world.school.id)}).get_data(as_text=True)
    assert '<option value="ai" selected>Trí tuệ nhân tạo</option>' in vi
    assert re.search(rf'<option value="{world.school.id}" selected>', vi)
    assert '<option value="stem">STEM</option>' in vi and vi.count(" selected>") == 2
    client.post("/language", data={"lang": "en", "next": "/lessons"})
    en = client.get("/lessons", query_string={"topic": "ai"}).get_data(as_text=True)
    assert '<option value="ai" selected>Artificial intelligence</option>' in en and "Trí tuệ nhân tạo</option>" not in en
    again = app.test_client().get("/lessons").get_data(as_text=True)  # a visitor in Vietnamese, nothing chosen
    assert '<option value="ai">Trí tuệ nhân tạo</option>' in again and " selected>" not in again


@pytest.mark.parametrize(("q", "found"), [
    pytest.param('"ngoặc kép"', True, id="double-quotes"),
    pytest.param('kép"', True, id="a-lone-double-quote"),
    pytest.param("a*b^c", True, id="fts-prefix-and-caret"),
    pytest.param("NEAR(x", True, id="fts-near"),
    pytest.param("cột:giá", True, id="fts-column-filter"),
    pytest.param("OR AND", True, id="fts-operators-as-words"),
    pytest.param("a*c", False, id="star-is-not-a-wildcard"),
    pytest.param('"kép ngoặc"', False, id="quoted-words-in-another-order"),
])
def test_words_that_mean_something_to_a_full_text_engine_are_searched_as_text(q, found, world, factory, app):
    """SQLite asks its FTS5 table a phrase query for each word: quotes, stars, carets, colons and its
    operators' names are text to find there, as in the LIKE PostgreSQL runs."""
    lesson = factory.lesson(world.school, world.teacher, visibility="public", title="Ký hiệu",
                            body='Ghi chú: "ngoặc kép", a*b^c, NEAR(x), cột:giá, OR AND.')
    assert listed(app.test_client(), q=q) == ([lesson.id] if found else [])

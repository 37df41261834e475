"""Searching by label: a teacher who types a topic, subject, grade or audience finds the lessons filed
under it, even when their text never says it; and a word that only belongs to a label finds nothing extra."""
from __future__ import annotations

import pytest

from tests.helpers.lesson_lists import dated, listed

# None of these texts holds the words of its labels.
FILED = {
    "cds": dict(title="Bài mở đầu", body="Dữ liệu và nền tảng.", topics=("cds",), subjects=("toan",), grades=(6,)),
    "tin7": dict(title="Bảng tính", body="Hàng và cột.", subjects=("tin_hoc",), grades=(7,), topics=("khcn",)),
    "tin8": dict(title="Lập trình khối", body="Kéo thả.", subjects=("tin_hoc",), grades=(8,), topics=("khcn",)),
    "kns": dict(title="Điện thoại thông minh", body="Gọi video cho ông bà.", topics=("kns",), subjects=("khac",),
                grades=(9,), audiences=("parents",)),
    "mam": dict(title="Trò chơi màu sắc", body="Xếp khối.", topics=("stem",), subjects=("khac",), grades=(0,)),
    # Says the topic's name in its text, filed under nothing: found by its words as before, ranked first.
    "text": dict(title="Chuyển đổi số ở xã", body="Kể chuyện.", topics=("khcn",), subjects=("khac",), grades=(5,)),
    "robot": dict(title="Cánh tay robot", body="Động cơ servo.", topics=("cds",), subjects=("cong_nghe",),
                  grades=(9,)),
}


@pytest.fixture
def filed(world, factory, db) -> dict[str, int]:
    ids = {}
    for day, (key, fields) in enumerate(FILED.items()):
        ids[key] = dated(db, factory.lesson(world.school, world.teacher, visibility="public", **fields), day).id
    return ids


LABEL_QUERIES = [
    pytest.param("chuyen doi so", {"cds", "robot", "text"}, id="topic-without-accents"),
    pytest.param("Chuyển đổi số", {"cds", "robot", "text"}, id="topic-with-accents"),
    pytest.param("tin học", {"tin7", "tin8"}, id="subject"),
    pytest.param("tin hoc lop 7", {"tin7"}, id="subject-and-grade-both-needed"),
    pytest.param("Lớp 8", {"tin8"}, id="grade"),
    pytest.param("mầm non", {"mam"}, id="pre-school"),
    pytest.param("bình dân học vụ số", {"kns"}, id="second-name-of-a-topic"),
    pytest.param("ky nang so", {"kns"}, id="first-name-of-a-topic"),
    pytest.param("phụ huynh", {"kns"}, id="audience"),
    pytest.param("chuyển đổi số robot", {"robot"}, id="label-and-a-word-of-the-text"),
    pytest.param("chuyen doi so servo", {"robot"}, id="label-and-a-word-of-the-body"),
    pytest.param("chuyen doi so may bay", set(), id="label-and-words-no-lesson-has"),
    pytest.param("học", set(), id="word-that-is-only-part-of-labels"),
    pytest.param("doi so", {"text"}, id="part-of-a-label-is-not-the-label"),
    pytest.param("toán lớp 7", set(), id="two-labels-no-lesson-has-both"),
]


@pytest.mark.parametrize(("q", "expected"), LABEL_QUERIES)
def test_a_named_label_finds_the_lessons_filed_under_it(q, expected, filed, app):
    found = set(listed(app.test_client(), q=q))
    assert found == {filed[key] for key in expected}, (q, {k for k, v in filed.items() if v in found})


def test_a_lesson_saying_the_words_ranks_above_one_only_filed_under_them(filed, app):
    """The lesson whose title holds the phrase comes first, though the filed ones are newer."""
    shown = listed(app.test_client(), q="chuyển đổi số")
    assert shown[0] == filed["text"]
    assert set(shown[1:]) == {filed["cds"], filed["robot"]}


def test_labels_are_read_in_the_readers_language_too(filed, app):
    client = app.test_client()
    client.post("/language", data={"lang": "en", "next": "/lessons"})
    assert set(listed(client, q="digital transformation")) == {filed["cds"], filed["robot"]}
    assert set(listed(client, q="informatics grade 8")) == {filed["tin8"]}
    # Vietnamese names still work for a reader who switched to English.
    assert set(listed(client, q="tin hoc")) == {filed["tin7"], filed["tin8"]}


def test_a_label_finds_only_lessons_the_reader_may_see(world, factory, db, login_as):
    """Another school's lesson shared with its school only, and a draft, stay hidden when their label is named."""
    own = factory.lesson(world.other_school, world.other_teacher, title="Bảng tính", visibility="school",
                         subjects=("tin_hoc",))
    other_schools = factory.lesson(world.school, world.teacher, title="Bảng tính", visibility="school",
                                   subjects=("tin_hoc",))
    draft = factory.lesson(world.school, world.teacher, title="Nháp", status="draft", visibility="public",
                           subjects=("tin_hoc",))
    found = set(listed(login_as(world.other_teacher), q="tin học"))
    assert own.id in found, "her own school's lesson"
    assert other_schools.id not in found and draft.id not in found


def test_a_label_and_a_filter_narrow_together(filed, app):
    client = app.test_client()
    assert set(listed(client, q="tin học", grade="8")) == {filed["tin8"]}
    assert set(listed(client, q="chuyen doi so", subject="cong_nghe")) == {filed["robot"]}

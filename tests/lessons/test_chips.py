"""A lesson's chips (core material, topics, subjects, grades, audiences, length, tags): what a reader sees
under each card of the list and under a lesson's title, in their language."""
from __future__ import annotations

import lxml.html


def chips(response, where: str = "main") -> list[list[tuple[str, str]]]:
    """(class, text) of every chip, list by list, in page order."""
    tree = lxml.html.fromstring(response.get_data(as_text=True))
    return [[(li.get("class") or "", li.text_content()) for li in ul.xpath("./li")]
            for ul in tree.xpath(f"//{where}//ul[contains(@class, 'lesson-meta')]")]


def _full_lesson(factory, world, **fields):
    values = dict(title="Robot dò line", topics=("stem", "ai"), subjects=("tin_hoc",), grades=(0, 7),
                  audiences=("students", "parents"), duration_minutes=45, tags="robot, lập trình")
    values.update(fields)
    return factory.lesson(world.school, world.teacher, is_core=True, **values)


VIETNAMESE = [("core", "Tài liệu cốt lõi về Nghị quyết 57"), ("", "STEM"), ("", "Trí tuệ nhân tạo"),
              ("", "Tin học"), ("", "Mầm non"), ("", "Lớp 7"), ("", "Dành cho học sinh"),
              ("", "Dành cho phụ huynh"), ("", "45 phút"), ("tag", "#robot"), ("tag", "#lập trình")]


def test_every_kind_of_chip_in_vietnamese_on_the_list_and_the_lesson(world, factory, login_as):
    lesson = _full_lesson(factory, world)
    client = login_as(world.teacher)
    assert chips(client.get("/lessons")) == [VIETNAMESE]
    assert chips(client.get(f"/lessons/{lesson.id}"), "article") == [VIETNAMESE]


def test_chips_follow_the_reader_language_and_never_mix(world, factory, login_as):
    _full_lesson(factory, world)
    client = login_as(world.teacher)
    assert chips(client.get("/lessons")) == [VIETNAMESE]  # the Vietnamese list is made (and kept) first
    client.post("/language", data={"lang": "en", "next": "/lessons"})
    english = chips(client.get("/lessons"))
    assert english == [[("core", "Core Resolution 57 material"), ("", "STEM"), ("", "Artificial intelligence"),
                        ("", "Informatics"), ("", "Pre-school"), ("", "Grade 7"), ("", "For students"),
                        ("", "For parents"), ("", "45 minutes"), ("tag", "#robot"), ("tag", "#lập trình")]]
    client.post("/language", data={"lang": "vi", "next": "/lessons"})
    assert chips(client.get("/lessons")) == [VIETNAMESE]


def test_a_lesson_with_nothing_to_show_has_an_empty_chip_list(world, factory, login_as):
    factory.lesson(world.school, world.teacher, title="Trống")
    client = login_as(world.teacher)
    assert chips(client.get("/lessons")) == [[]]


def test_one_minute_is_singular_and_each_lesson_shows_its_own_chips(world, factory, login_as):
    factory.lesson(world.school, world.teacher, title="Một", duration_minutes=1, topics=("cds",))
    factory.lesson(world.school, world.teacher, title="Hai", duration_minutes=2, topics=("khcn",))
    client = login_as(world.teacher)
    client.post("/language", data={"lang": "en", "next": "/lessons"})
    lists = sorted(chips(client.get("/lessons")))
    assert lists == sorted([[("", "Digital transformation"), ("", "1 minute")],
                            [("", "Science and technology"), ("", "2 minutes")]])


def test_hostile_tags_are_shown_as_text(world, factory, login_as):
    factory.lesson(world.school, world.teacher, title="Thẻ", tags='<script>alert(1)</script>, "x" & <b>y</b>')
    client = login_as(world.teacher)
    response = client.get("/lessons")
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<b>y</b>" not in html
    assert chips(response) == [[("tag", "#<script>alert(1)</script>"), ("tag", '#"x" & <b>y</b>')]]

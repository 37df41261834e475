"""A lesson's card on the list, search and "My lessons" pages: what it shows, in the reader's language,
escaped, and never stale (lessons.cards builds it in Python and keeps it per shown values)."""
from __future__ import annotations

from datetime import UTC, datetime

import lxml.html

from schoolhub.i18n import format_day


def cards(response) -> list[dict]:
    """Each card's title, link, status, byline and summary, in page order."""
    tree = lxml.html.fromstring(response.get_data(as_text=True))
    found = []
    for li in tree.xpath("//main//li[contains(@class, 'lesson-card')]"):
        link = li.xpath("./h2/a")[0]
        status = li.xpath("./h2/small")
        summary = li.xpath("./p[not(@class)]")
        found.append({"title": link.text_content(), "href": link.get("href"),
                      "status": status[0].text_content() if status else None,
                      "byline": li.xpath("./p[@class='muted']")[0].text_content(),
                      "summary": summary[0].text_content() if summary else None})
    return found


def test_a_card_shows_its_title_link_school_author_day_and_summary(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, title="Robot dò line", summary="Lắp và lập trình robot.")
    client = login_as(world.student)
    assert cards(client.get("/lessons")) == [{
        "title": "Robot dò line", "href": f"/lessons/{lesson.id}", "status": None,
        "byline": f"Trường THCS Bình Chương · Lê Bảo Yến · {format_day(lesson.published_at)}",
        "summary": "Lắp và lập trình robot."}]
    # The same card when the list is a search (rows of the ranked page) and when a filter narrows it.
    assert cards(client.get("/lessons?q=robot+do+line")) == cards(client.get("/lessons"))
    assert cards(client.get(f"/lessons?school={world.school.id}")) == cards(client.get("/lessons"))


def test_hostile_text_on_a_card_is_shown_as_text(world, factory, login_as):
    factory.lesson(world.school, world.teacher, title='<script>alert(1)</script> & "x"',
                   summary="<img src=x onerror=alert(2)>")
    world.teacher.full_name = "<b>Lê</b> Bảo Yến"
    factory.db.commit()
    client = login_as(world.student)
    response = client.get("/lessons")
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>Lê</b>" not in html
    card = cards(response)[0]
    assert card["title"] == '<script>alert(1)</script> & "x"'
    assert card["summary"] == "<img src=x onerror=alert(2)>"
    assert card["byline"].startswith("Trường THCS Bình Chương · <b>Lê</b> Bảo Yến · ")


def test_a_card_follows_a_change_of_school_name_author_name_and_title(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, title="Trước")
    client = login_as(world.student)
    assert cards(client.get("/lessons"))[0]["title"] == "Trước"  # this card is made and kept
    world.school.name = "Trường THCS Bình Chương Mới"
    world.teacher.full_name = "Lê Bảo Yến (đã đổi)"
    lesson.title = "Sau"
    factory.db.commit()
    card = cards(client.get("/lessons"))[0]
    assert card["title"] == "Sau"
    assert card["byline"].startswith("Trường THCS Bình Chương Mới · Lê Bảo Yến (đã đổi) · ")


def test_a_lesson_without_an_author_shows_its_school_alone(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, title="Của trường")
    lesson.author_id = None
    factory.db.commit()
    client = login_as(world.student)
    assert cards(client.get("/lessons"))[0]["byline"] == f"Trường THCS Bình Chương · {format_day(lesson.published_at)}"


def test_my_lessons_show_each_status_in_the_reader_language_and_the_list_shows_none(world, factory, login_as):
    factory.lesson(world.school, world.teacher, title="Nháp", status="draft")
    factory.lesson(world.school, world.teacher, title="Đã đăng")
    client = login_as(world.teacher)
    assert {(c["title"], c["status"]) for c in cards(client.get("/lessons/mine"))} == {
        ("Nháp", "Bản nháp"), ("Đã đăng", "Đã xuất bản")}
    assert [c["status"] for c in cards(client.get("/lessons"))] == [None]
    client.post("/language", data={"lang": "en", "next": "/lessons/mine"})
    assert {(c["title"], c["status"]) for c in cards(client.get("/lessons/mine"))} == {
        ("Nháp", "Draft"), ("Đã đăng", "Published")}


def test_a_draft_card_shows_the_day_it_was_last_saved(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, title="Nháp", status="draft")
    lesson.updated_at = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)  # 03:00 on the 5th in Vietnam
    factory.db.commit()
    client = login_as(world.teacher)
    assert cards(client.get("/lessons/mine"))[0]["byline"] == "Trường THCS Bình Chương · Lê Bảo Yến · 05/03/2026"


def test_a_row_and_a_lesson_give_the_same_card(app, world, factory):
    from schoolhub.lessons.cards import lesson_card
    from schoolhub.lessons.models import Lesson
    from schoolhub.lessons.queries import _card_rows

    lesson = factory.lesson(world.school, world.teacher, title="Hai cách", summary="Tóm tắt", topics=("stem",))
    row = factory.db.execute(_card_rows().where(Lesson.id == lesson.id)).one()
    with app.test_request_context("/lessons"):
        assert lesson_card(row) == lesson_card(lesson)
        assert lesson_card(row, show_status=True) == lesson_card(lesson, show_status=True)
        assert "Đã xuất bản" in lesson_card(row, show_status=True) and "Đã xuất bản" not in lesson_card(row)


def test_a_kept_card_links_under_the_root_the_app_is_served_from(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, title="Một bài")
    client = login_as(world.student)
    assert cards(client.get("/lessons"))[0]["href"] == f"/lessons/{lesson.id}"
    # The same row, served under a prefix (a reverse proxy's SCRIPT_NAME): the link follows it.
    mounted = client.get("/lessons", environ_overrides={"SCRIPT_NAME": "/truong"})
    assert cards(mounted)[0]["href"] == f"/truong/lessons/{lesson.id}"
    assert cards(client.get("/lessons"))[0]["href"] == f"/lessons/{lesson.id}"

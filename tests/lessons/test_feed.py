"""The Atom feed's entries (lessons.cards.feed_entries builds them in Python): each field as a feed reader
reads it, and a change of the lesson, its author or its school shown on the next fetch."""
from __future__ import annotations

import xml.etree.ElementTree as ET

ATOM = "{http://www.w3.org/2005/Atom}"


def entries(client) -> dict:
    root = ET.fromstring(client.get("/lessons/feed.atom").data)
    return {e.findtext(f"{ATOM}title"): e for e in root.findall(f"{ATOM}entry")}


def test_an_entry_carries_author_times_categories_summary_and_body(world, factory, client):
    lesson = factory.lesson(world.school, world.teacher, title="Robot dò line", visibility="public",
                            summary="Lắp & lập trình <robot>.", body="# Mục tiêu\n\nHọc sinh **lắp** robot.",
                            topics=("stem", "ai"))
    entry = entries(client)["Robot dò line"]
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "Lê Bảo Yến"
    assert entry.findtext(f"{ATOM}published") == lesson.published_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert entry.findtext(f"{ATOM}updated") == lesson.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [(c.get("term"), c.get("label")) for c in entry.findall(f"{ATOM}category")] == [
        ("stem", "STEM"), ("ai", "Trí tuệ nhân tạo")]
    assert entry.findtext(f"{ATOM}summary") == "Lắp & lập trình <robot>."
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html" and content.text == lesson.body_html
    assert "<strong>lắp</strong>" in content.text
    assert entry.findtext(f"{ATOM}id") == entry.find(f"{ATOM}link").get("href")
    assert entry.findtext(f"{ATOM}id").endswith(f"/lessons/{lesson.id}")
    assert entry.findtext(f"{ATOM}id").startswith("http")  # a feed reader needs whole addresses


def test_without_a_summary_the_entry_cuts_the_body_text(world, factory, client):
    words = " ".join(f"từ{n}" for n in range(200))
    factory.lesson(world.school, world.teacher, title="Dài", visibility="public", body=words)
    summary = entries(client)["Dài"].findtext(f"{ATOM}summary")
    assert summary == words[:300]  # the body's text, its first 300 characters


def test_an_entry_follows_changes_of_the_lesson_its_author_and_its_school(world, factory, client, db):
    lesson = factory.lesson(world.school, world.teacher, title="Trước", visibility="public")
    assert "Trước" in entries(client)  # this entry is made and kept
    lesson.title = "Sau"
    world.teacher.full_name = "Lê Bảo Yến Nhi"
    db.commit()
    entry = entries(client)["Sau"]
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "Lê Bảo Yến Nhi"
    lesson.author_id = None
    world.school.name = "Trường THCS Bình Chương Mới"
    db.commit()
    assert entries(client)["Sau"].find(f"{ATOM}author/{ATOM}name").text == "Trường THCS Bình Chương Mới"


def test_hostile_names_and_tags_stay_text_in_the_feed(world, factory, client, db):
    world.teacher.full_name = "</name><script>alert(1)</script>"
    db.commit()
    factory.lesson(world.school, world.teacher, title="Bình thường", visibility="public", summary="]]><x>")
    root = ET.fromstring(client.get("/lessons/feed.atom").data)
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "</name><script>alert(1)</script>"
    assert entry.findtext(f"{ATOM}summary") == "]]><x>"
    assert not [el for el in root.iter() if el.tag.rsplit("}", 1)[-1] in ("script", "x")]


def test_a_kept_entry_links_to_the_host_the_feed_was_asked_of(world, factory, client):
    lesson = factory.lesson(world.school, world.teacher, title="Hai địa chỉ", visibility="public")
    first = entries(client)["Hai địa chỉ"].findtext(f"{ATOM}id")
    root = ET.fromstring(client.get("/lessons/feed.atom", base_url="http://truong.example.vn").data)
    [other] = [e for e in root.findall(f"{ATOM}entry") if e.findtext(f"{ATOM}title") == "Hai địa chỉ"]
    assert first == f"http://localhost/lessons/{lesson.id}"
    assert other.findtext(f"{ATOM}id") == f"http://truong.example.vn/lessons/{lesson.id}"
    assert other.find(f"{ATOM}link").get("href") == f"http://truong.example.vn/lessons/{lesson.id}"

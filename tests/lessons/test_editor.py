"""Writing without Markdown (issue 10, point 2), on the server's side; the toolbar itself runs in
tests/browser/test_journey_toolbar.py.

- the editor's field is "Nội dung" with plain help and a link to the "cách định dạng" page (anyone reads it);
- the toolbar is in the page but hidden (inert) until app.js, served by the app, shows it; no inline
  script and no on* attribute anywhere on the editor (a strict CSP is coming);
- "Xem trước" keeps a chosen file: it waits for the next save (only for its sender), its picture is in the
  text and in the preview; the save attaches it; "do not attach" drops it.
"""
from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import lxml.html
from sqlalchemy import select

from schoolhub import files, pending
from schoolhub.lessons.models import Attachment, Lesson
from tests.helpers import samples

STATIC = Path(__file__).resolve().parents[2] / "schoolhub" / "static"


def png_bytes() -> bytes:
    return samples.png_bytes(8, 6)


def _doc(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.get_data(as_text=True))


def _new(school, **fields) -> dict:
    data = {"school_id": str(school.id), "title": "Bài có ảnh", "summary": "", "body": "Đoạn đầu.",
            "visibility": "school", "submission_id": f"editor-{time.monotonic_ns()}", "action": "save"}
    data.update(fields)
    return data


def _post_new(c, school, picture: bytes | None = None, name: str = "so-do.png", **fields):
    data = _new(school, **fields)
    if picture is not None:
        data["file"] = (io.BytesIO(picture), name)
    return c.post("/lessons/new", data=data, content_type="multipart/form-data")


def _textarea(doc) -> str:
    (area,) = doc.xpath('//textarea[@name="body"]')
    text = area.text or ""
    return text[1:] if text.startswith("\n") else text


def test_the_content_field_speaks_plain_vietnamese_and_links_the_formatting_help(world, login_as):
    doc = _doc(login_as(world.teacher).get("/lessons/new"))
    [label] = doc.xpath('//label[@for="body"]')
    assert label.text_content().strip() == "Nội dung"
    assert "Markdown" not in doc.text_content()
    [hint] = doc.xpath('//*[@id="body-hint"]')
    assert hint.xpath('.//a[@href="/lessons/formatting"]') and "Cách định dạng" in hint.text_content()
    assert doc.xpath('//textarea[@name="body"]/@aria-describedby') == ["body-hint"]


def test_the_toolbar_is_inert_without_the_script_and_the_script_is_ours(world, login_as, client):
    doc = _doc(login_as(world.teacher).get("/lessons/new"))
    [toolbar] = doc.xpath('//*[@data-md-toolbar]')
    assert toolbar.get("hidden") is not None, "hidden until app.js shows it"
    assert toolbar.get("aria-controls") == "body"
    kinds = toolbar.xpath(".//button[@data-md]/@data-md")
    assert kinds == ["bold", "italic", "heading", "list", "numbered", "link", "table", "image"]
    assert toolbar.xpath('.//button[@type="submit"][@name="action"][@value="preview"]')
    assert all(b.get("type") == "button" for b in toolbar.xpath(".//button[@data-md]")), "no button sends the form"
    scripts = doc.xpath("//script")
    assert [s.get("src") for s in scripts] == ["/static/app.js"]
    assert all(not (s.text or "").strip() for s in scripts), "no inline script"
    handlers = [f"<{el.tag} {name}>" for el in doc.iter() if isinstance(el.tag, str)
                for name in el.attrib if name.lower().startswith("on")]
    assert handlers == [], "no on* attribute: handlers are attached from app.js"
    served = client.get("/static/app.js")
    assert served.status_code == 200 and "javascript" in served.mimetype
    served.close()
    source = (STATIC / "app.js").read_text(encoding="utf-8")
    for shortcut in ("b: \"bold\"", "i: \"italic\"", "k: \"link\""):
        assert shortcut in source, shortcut
    assert not re.search(r"\bfetch\(|XMLHttpRequest|\bimport\(|\beval\(", source), "it loads and evaluates nothing"


def test_the_formatting_help_is_for_anyone_and_shows_each_way_as_typed_and_as_read(client):
    response = client.get("/lessons/formatting")
    assert response.status_code == 200
    doc = _doc(response)
    assert doc.xpath("//h1")[0].text_content().strip() == "Cách định dạng bài giảng"
    examples = doc.xpath('//section[contains(@class, "format-example")]')
    assert len(examples) >= 6
    rendered = " ".join(lxml.html.tostring(e, encoding="unicode") for e in examples)
    for tag in ("<strong>", "<h2>Mục tiêu", "<ul>", "<ol>", "<table>", 'rel="nofollow'):
        assert tag in rendered, tag


def test_preview_keeps_a_chosen_picture_until_the_save_attaches_it(world, login_as, app, db):
    c = login_as(world.teacher)
    response = _post_new(c, world.school, png_bytes(), "so-do.png", action="preview", insert_image="1")
    assert response.status_code == 200
    doc = _doc(response)
    [token] = doc.xpath('//input[@name="pending_file"]/@value')
    assert doc.xpath('//*[@data-testid="pending-file"]') and "so-do.png" in doc.text_content()
    body = _textarea(doc)
    assert f"](/files/{token})" in body, "the picture is in the text"
    assert doc.xpath(f'//section[contains(@class, "preview")]//img[@src="/files/{token}"]'), "and in the preview"
    assert "chưa được đính kèm" not in doc.text_content(), "no 'choose it again'"
    picture = c.get(f"/files/{token}")
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    picture.close()
    assert login_as(world.other_teacher).get(f"/files/{token}").status_code == 404, "only its sender sees it"
    assert db.scalar(select(Attachment).where(Attachment.token == token)) is None

    saved = _post_new(login_as(world.teacher), world.school, body=body, pending_file=token)
    assert saved.status_code == 302
    lesson_id = int(re.search(r"/lessons/(\d+)/edit", saved.headers["Location"]).group(1))
    [attachment] = db.scalars(select(Attachment).where(Attachment.lesson_id == lesson_id)).all()
    assert attachment.token == token and attachment.original_name == "so-do.png" and attachment.kind == "png"
    lesson = db.get(Lesson, lesson_id)
    assert lesson.body.count(f"/files/{token}") == 1, "inserted once"
    assert f'src="/files/{token}"' in lesson.body_html
    assert pending.find(app.config["UPLOAD_DIR"], token, world.teacher.id) is None, "no longer waiting"
    assert files.path_for(app.config["UPLOAD_DIR"], token).is_file()


def test_preview_in_the_editor_of_an_existing_lesson_keeps_a_document_too(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, status="draft", visibility="school")
    c = login_as(world.teacher)
    data = {"title": lesson.title, "summary": "", "body": lesson.body, "visibility": "school",
            "base_revision": str(lesson.revision_count), "action": "preview",
            "file": (io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), "ke-hoach.pdf")}
    doc = _doc(c.post(f"/lessons/{lesson.id}/edit", data=data, content_type="multipart/form-data"))
    [token] = doc.xpath('//input[@name="pending_file"]/@value')
    assert "/files/" not in _textarea(doc), "a document is not put into the text"
    data = {k: v for k, v in data.items() if k != "file"}
    data.update(action="save", pending_file=token)
    assert c.post(f"/lessons/{lesson.id}/edit", data=data).status_code == 302
    assert [a.token for a in db.scalars(select(Attachment).where(Attachment.lesson_id == lesson.id))] == [token]


def test_a_refused_save_keeps_the_waiting_file(world, login_as, db):
    c = login_as(world.teacher)
    doc = _doc(_post_new(c, world.school, png_bytes(), action="preview", insert_image="1"))
    [token] = doc.xpath('//input[@name="pending_file"]/@value')
    again = _doc(_post_new(c, world.school, title="", body=_textarea(doc), pending_file=token))
    assert again.xpath('//input[@name="pending_file"]/@value') == [token]
    assert db.scalar(select(Attachment).where(Attachment.token == token)) is None


def test_do_not_attach_drops_the_waiting_file(world, login_as, app, db):
    c = login_as(world.teacher)
    doc = _doc(_post_new(c, world.school, png_bytes(), action="preview"))
    [token] = doc.xpath('//input[@name="pending_file"]/@value')
    saved = _post_new(c, world.school, pending_file=token, drop_pending="1")
    assert saved.status_code == 302
    assert db.scalar(select(Attachment).where(Attachment.token == token)) is None
    assert not files.path_for(app.config["UPLOAD_DIR"], token).exists()


def test_nobody_attaches_a_file_someone_else_sent(world, login_as, app, db):
    doc = _doc(_post_new(login_as(world.teacher), world.school, png_bytes(), action="preview"))
    [token] = doc.xpath('//input[@name="pending_file"]/@value')
    admin = login_as(world.admin)
    assert _post_new(admin, world.school, pending_file=token).status_code == 302
    assert db.scalar(select(Attachment).where(Attachment.token == token)) is None
    assert pending.find(app.config["UPLOAD_DIR"], token, world.teacher.id) is not None, "still the teacher's"
    assert _post_new(admin, world.school, pending_file="../../etc/passwd").status_code == 302


def test_files_waiting_for_more_than_a_day_are_removed(world, login_as, app):
    doc = _doc(_post_new(login_as(world.teacher), world.school, png_bytes(), action="preview"))
    [token] = doc.xpath('//input[@name="pending_file"]/@value')
    marker = Path(app.config["UPLOAD_DIR"]) / "pending" / f"{token}.json"
    old = time.time() - pending.KEEP_SECONDS - 60
    os.utime(marker, (old, old))
    pending.sweep(app.config["UPLOAD_DIR"])
    assert not marker.exists() and not files.path_for(app.config["UPLOAD_DIR"], token).exists()

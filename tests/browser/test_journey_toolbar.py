"""Writing without Markdown (issue 10, points 2 and 11), on a 360 px phone in Vietnamese.

A teacher who has never heard of Markdown writes a lesson with a heading, a list, a table and a picture
using only the editor's toolbar (and Ctrl+B), previews it with the picture kept, and publishes it. The
school admin marks it as core material, another teacher of the school confirms it from his to-do list,
and the admin sees who has and who has not confirmed it.

What the teacher types is words only: no "#", "-", "|" or "*" ever comes from the keyboard.
"""
from __future__ import annotations

import struct
import zlib
from urllib.parse import urlsplit

import pytest

from schoolhub.accounts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE_WIDTH = 360
TITLE = "Em tập làm quen với máy tính"
HEADING = "Mục tiêu của bài học"
ITEMS = ("Bật và tắt máy đúng cách", "Gõ được tên của em")
CELLS = (("Tuần", "Hoạt động"), ("1", "Làm quen bàn phím"), ("2", "Soạn một đoạn văn"))
PICTURE = "may-tinh-cua-lop.png"
IMAGE_LOADED_JS = "img => img.complete && img.naturalWidth > 0"


def png_bytes(width: int = 30, height: int = 20) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"".join(bytes((10 + x * 7, 150, 90 + y * 5)) for x in range(width))
                    for y in range(height))
    head = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def path_of(page) -> str:
    return urlsplit(page.url).path


def click_and_wait(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} scrolls sideways: {width}px"
    assert page.js_errors == [], page.js_errors


def tool(page, kind: str):
    return page.locator(f"main [data-md-toolbar] button[data-md={kind}]")


def test_a_teacher_writes_with_the_toolbar_and_the_admin_sees_who_confirmed(
        page, live_factory, live_db, log_in, log_out, tmp_path):
    commune = live_factory.commune()
    school = live_factory.school(commune, name="Trường Tiểu học số 1 Bình Chương", code="TH1-BC")
    live_factory.user(Role.TEACHER, school, username="gv.yen", full_name="Lê Bảo Yến")
    live_factory.user(Role.TEACHER, school, username="gv.lan", full_name="Phạm Thị Lan")
    live_factory.user(Role.SCHOOL_ADMIN, school, username="ql.quan", full_name="Phan Đức Quân")
    live_db.commit()
    picture = tmp_path / PICTURE
    picture.write_bytes(png_bytes())

    # 1. The teacher opens "write a lesson": the toolbar is there (the script showed it).
    assert log_in(page, "gv.yen") == "/"
    page.goto("/lessons/new")
    fits(page)
    toolbar = page.locator("main [data-md-toolbar]")
    assert toolbar.is_visible()
    page.locator("input[name=title]").fill(TITLE)
    body = page.locator("textarea[name=body]")

    # A sentence with one word made bold by Ctrl+B.
    body.click()
    page.keyboard.type("Bài này rất quan trọng")
    for _ in range(len("quan trọng")):
        page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Control+b")
    page.keyboard.press("End")
    page.keyboard.type(".")
    assert body.input_value() == "Bài này rất **quan trọng**."

    # A heading: the button puts a placeholder, selected, which the teacher types over.
    page.keyboard.press("Enter")
    tool(page, "heading").click()
    page.keyboard.type(HEADING)
    page.keyboard.press("End")
    page.keyboard.press("Enter")

    # A list: Enter starts the next item, Enter on an empty item ends the list.
    tool(page, "list").click()
    page.keyboard.type(ITEMS[0])
    page.keyboard.press("Enter")
    page.keyboard.type(ITEMS[1])
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")

    # A numbered list, a word in italics (Ctrl+I) and a link (Ctrl+K opens the link box).
    tool(page, "numbered").click()
    page.keyboard.type("Đọc kỹ hướng dẫn")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+i")
    page.keyboard.type("Thực hành")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("Xem thêm: ")
    page.keyboard.press("Control+k")
    link = page.locator("main [data-md-panel=link]")
    assert link.is_visible()
    link.locator("[data-md-link-text]").fill("trang của xã")
    link.locator("[data-md-link-url]").fill("binhchuong.gov.vn")
    link.locator("[data-md-link-url]").press("Enter")
    assert link.is_hidden()
    assert "1. Đọc kỹ hướng dẫn\n2. *Thực hành*\n\nXem thêm: [trang của xã](https://binhchuong.gov.vn)" in body.input_value()
    page.keyboard.press("Enter")

    # A table, typed into boxes.
    tool(page, "table").click()
    panel = page.locator("main [data-md-panel=table]")
    assert panel.is_visible()
    panel.locator("[data-md-cols]").select_option("2")
    panel.locator("[data-md-rows]").select_option("2")
    for r, row in enumerate(CELLS):
        for c, text in enumerate(row):
            panel.locator(f'[data-cell="{r}:{c}"]').fill(text)
    panel.locator("button[data-md-do=table]").click()
    assert panel.is_hidden()
    fits(page)

    # A picture from the phone: it goes up at once, as a preview, and is kept for the save.
    tool(page, "image").click()
    with page.expect_file_chooser() as chooser, page.expect_navigation():
        page.locator("main [data-md-panel=image] button[data-md-do=upload]").click()
        chooser.value.set_files(str(picture))
    assert path_of(page) == "/lessons/new"
    preview = page.locator("main section.preview .lesson-body")
    assert preview.locator("h2").inner_text().strip() == HEADING
    assert [t.strip() for t in preview.locator("ul li").all_inner_texts()] == list(ITEMS)
    assert preview.locator("strong").inner_text().strip() == "quan trọng"
    assert [t.strip() for t in preview.locator("ol li").all_inner_texts()] == ["Đọc kỹ hướng dẫn", "Thực hành"]
    assert preview.locator("ol em").inner_text().strip() == "Thực hành"
    assert preview.locator('a[href="https://binhchuong.gov.vn"]').inner_text().strip() == "trang của xã"
    assert [t.strip() for t in preview.locator("table th").all_inner_texts()] == list(CELLS[0])
    assert [t.strip() for t in preview.locator("table td").all_inner_texts()] == [c for row in CELLS[1:] for c in row]
    image = preview.locator('img[src^="/files/"]')
    assert image.count() == 1
    page.wait_for_function(IMAGE_LOADED_JS, arg=image.element_handle())
    assert page.locator("main [data-testid=pending-file]").count() == 1
    assert page.locator("input[name=title]").input_value() == TITLE
    fits(page)

    # 2. Publish it, for the school's teachers.
    page.locator("input[name=audiences][value=teachers]").check()
    click_and_wait(page, page.locator("main form button[name=action][value=publish]"))
    lesson_path = path_of(page)
    assert lesson_path.startswith("/lessons/") and lesson_path.split("/")[-1].isdigit(), page.url
    article = page.locator("main .lesson-body")
    assert article.locator("h2").inner_text().strip() == HEADING
    assert article.locator("table").count() == 1 and article.locator("ul li").count() == 2
    image = article.locator('img[src^="/files/"]')
    page.wait_for_function(IMAGE_LOADED_JS, arg=image.element_handle())
    fits(page)
    log_out(page)

    # 3. The school admin marks it as core material (it asks this school's teachers).
    assert log_in(page, "ql.quan") == "/"
    page.goto(lesson_path)
    click_and_wait(page, page.locator(f'form[action$="{lesson_path}/core"] button[name=is_core][value="1"]'))
    log_out(page)

    # 4. Another teacher of the school finds it on his to-do list and confirms it.
    assert log_in(page, "gv.lan") == "/"
    click_and_wait(page, page.locator(f'main #waiting a[href$="{lesson_path}"]'))
    click_and_wait(page, page.locator(f'form[action$="{lesson_path}/confirm"] button[type=submit]'))
    assert page.locator(f'form[action$="{lesson_path}/confirm"]').count() == 0
    log_out(page)

    # 5. The admin sees who has confirmed it, and who has not.
    assert log_in(page, "ql.quan") == "/"
    click_and_wait(page, page.locator(f'main a[href="/lessons/informed/{school.id}"]'))
    fits(page)
    section = page.locator(f'main section[data-lesson="{lesson_path.split("/")[-1]}"]')
    confirmed = [t.split("·")[0].strip() for t in section.locator("ul.confirmed li").all_inner_texts()]
    waiting = [t.strip() for t in section.locator("ul.waiting-list li").all_inner_texts()]
    assert confirmed == ["Phạm Thị Lan"] and waiting == ["Lê Bảo Yến"]
    assert page.external_requests == [] and page.js_errors == []

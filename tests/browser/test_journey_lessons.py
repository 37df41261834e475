"""The lessons journey (issue 3), on a 360px phone in Vietnamese: a teacher of one school writes a lesson
with a picture and a PDF and publishes it to the commune; a student of another school of the commune finds
it by searching without accents, and reads it.

Assertions use URLs, names, element attributes and what the users typed, not wording (the catalog changes).
"""
from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from schoolhub.accounts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE_WIDTH = 360
TITLE = "Chuyển đổi số trong trường học"
SUMMARY = "Kế hoạch chuyển đổi số của trường theo Nghị quyết 57, cho giáo viên và học sinh."
HEADING = "Mục tiêu của bài học"
LIST_ITEMS = ("Dùng thư điện tử an toàn", "Soạn bài trên máy tính", "Tra cứu học liệu số")
BODY = f"## {HEADING}\n\nSau bài học, học sinh biết:\n\n" + "".join(f"- {item}\n" for item in LIST_ITEMS)
IMAGE_NAME = "so-do-chuyen-doi-so.png"
PDF_NAME = "ke-hoach-chuyen-doi-so.pdf"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SEARCH = "chuyen doi so"

# The image is loaded and decoded (a broken or refused /files/ URL leaves naturalWidth at 0).
IMAGE_LOADED_JS = "img => img.complete && img.naturalWidth > 0"


def png_bytes(width: int = 24, height: int = 16) -> bytes:
    """A real, decodable RGB PNG (stdlib only)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"".join(bytes((20 + x * 9, 110, 200 - y * 9)) for x in range(width))
                    for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def path_of(page) -> str:
    return urlsplit(page.url).path


def click_and_wait(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def go_by_link(page, path: str, missing: list[str], who: str) -> None:
    """Follow a visible link to `path` in the header or main content; when there is none, note it and type the URL."""
    link = page.locator(f'header a[href$="{path}"], main a[href$="{path}"]').filter(visible=True)
    candidates = [i for i in range(link.count()) if urlsplit(link.nth(i).get_attribute("href")).path == path]
    if candidates:
        click_and_wait(page, link.nth(candidates[0]))
    else:
        missing.append(f"{who}: no visible link to {path} on {path_of(page)}")
        page.goto(path)
    assert path_of(page) == path


def lesson_form(page):
    """The lesson editor: the form in <main> with the title field."""
    return page.locator("main form").filter(has=page.locator("input[name=title]"))


def assert_reachable_on_phone(page, locator) -> None:
    """The control is on screen horizontally at 360px (a phone user can scroll down to it, not sideways)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH + 1, f"off screen on a phone: {box}"


def assert_fits_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH + 1, f"{page.url} scrolls sideways: scrollWidth {width}px > {PHONE_WIDTH}px"


def lesson_image(page):
    images = page.locator('main .lesson-body img[src^="/files/"]')
    assert images.count() == 1, page.locator("main").inner_html()
    image = images.first
    image.scroll_into_view_if_needed()
    page.wait_for_function(IMAGE_LOADED_JS, arg=image.element_handle())
    return image


def test_teacher_publishes_lesson_student_of_other_school_finds_it(
        page, live_factory, live_db, log_in, log_out, tmp_path):
    commune = live_factory.commune()
    school_a = live_factory.school(commune, name="Trường THCS Bình Chương", code="THCS-BC")
    school_b = live_factory.school(commune, name="Trường THCS Bình Minh", code="THCS-BM")
    class_b = live_factory.school_class(school_b, "8B", 8)
    live_factory.user(Role.TEACHER, school_a, username="gv.yen", full_name="Lê Bảo Yến")
    live_factory.user(Role.STUDENT, school_b, username="hs.khoa", full_name="Nguyễn Minh Khoa",
                      school_class=class_b)
    live_db.commit()
    image_file = tmp_path / IMAGE_NAME
    image_file.write_bytes(png_bytes())
    pdf_file = tmp_path / PDF_NAME
    pdf_file.write_bytes(PDF_BYTES)
    missing_links: list[str] = []

    # 1. The teacher logs in, finds the lessons, opens "write a lesson".
    assert log_in(page, "gv.yen") == "/"
    go_by_link(page, "/lessons", missing_links, "teacher")
    click_and_wait(page, page.locator('main a[href$="/lessons/new"]'))
    assert path_of(page) == "/lessons/new"
    assert_fits_phone(page)

    form = lesson_form(page)
    form.locator("input[name=title]").fill(TITLE)
    form.locator("textarea[name=summary]").fill(SUMMARY)
    form.locator("textarea[name=body]").fill(BODY)
    form.locator("input[name=topics][value=cds]").check()
    form.locator("input[name=grades][value='8']").check()
    form.locator("input[name=file]").set_input_files(str(image_file))
    form.locator("input[name=insert_image]").check()
    save = form.locator("button[name=action][value=save]")
    assert_reachable_on_phone(page, save)
    click_and_wait(page, save)

    # The draft is saved; the editor shows it again, the picture's Markdown added to the text.
    match = re.fullmatch(r"/lessons/(\d+)/edit", path_of(page))
    assert match, (page.url, page.locator("main").inner_text())
    lesson_path = f"/lessons/{match.group(1)}"
    form = lesson_form(page)
    assert form.locator("input[name=title]").input_value() == TITLE
    body = form.locator("textarea[name=body]").input_value()
    assert body.startswith(BODY.rstrip()), body
    assert re.search(r"!\[[^\]]*\]\(/files/[A-Za-z0-9_-]+\)", body), "the picture is in the text"
    assert form.locator("input[name=topics][value=cds]").is_checked()
    assert form.locator("input[name=grades][value='8']").is_checked()
    assert page.locator(f'main a[href^="/files/"]:has-text("{IMAGE_NAME}")').count() == 1

    # 2. Attach the PDF, share with the commune, save and publish.
    form.locator("input[name=file]").set_input_files(str(pdf_file))
    form.locator("input[name=visibility][value=commune]").check()
    publish = form.locator("button[name=action][value=publish]")
    assert_reachable_on_phone(page, publish)
    click_and_wait(page, publish)
    assert path_of(page) in (lesson_path, f"{lesson_path}/edit"), page.url
    if path_of(page) != lesson_path:
        # Back on the editor: the lesson is published (no "publish" button any more); open it.
        assert lesson_form(page).locator("button[name=action][value=publish]").count() == 0
        click_and_wait(page, page.locator(f'main a[href$="{lesson_path}"]').first)
    assert path_of(page) == lesson_path

    # The lesson as readers see it: text, picture loaded from /files/, the PDF to download.
    assert page.locator("main h1").first.inner_text().strip() == TITLE
    assert page.locator("main .lesson-body h2").first.inner_text().strip() == HEADING
    assert [t.strip() for t in page.locator("main .lesson-body li").all_inner_texts()] == list(LIST_ITEMS)
    lesson_image(page)
    download_link = page.locator(f'main a[href^="/files/"]:has-text("{PDF_NAME}")')
    assert download_link.count() == 1
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename == PDF_NAME
    assert Path(download.path()).read_bytes() == PDF_BYTES
    assert_fits_phone(page)
    log_out(page)

    # 3. A student of the other school searches without accents and finds it.
    assert log_in(page, "hs.khoa") == "/"
    go_by_link(page, "/lessons", missing_links, "student")
    search = page.locator("main form[role=search]")
    search.locator("input[name=q]").fill(SEARCH)
    click_and_wait(page, search.locator("button[type=submit]"))
    assert path_of(page) == "/lessons"
    assert parse_qs(urlsplit(page.url).query).get("q") == [SEARCH]
    result = page.locator(f'main a[href$="{lesson_path}"]')
    assert result.count() == 1, page.locator("main").inner_text()
    assert result.inner_text().strip() == TITLE
    click_and_wait(page, result)
    assert path_of(page) == lesson_path
    assert page.locator("main h1").first.inner_text().strip() == TITLE
    lesson_image(page)
    assert page.locator(f'main a[href^="/files/"]:has-text("{PDF_NAME}")').count() == 1
    # A reader from another school may read but not edit.
    assert page.locator(f'main a[href$="{lesson_path}/edit"]').count() == 0

    # 4. The reading view fits a 360px phone.
    assert page.viewport_size["width"] == PHONE_WIDTH
    assert_fits_phone(page)

    assert page.external_requests == []
    assert page.js_errors == []
    # Checked last, so the rest of the journey runs anyway: lessons must be reachable without typing a URL.
    assert not missing_links, "no navigation link to the lessons: " + "; ".join(missing_links)

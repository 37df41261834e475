"""Wording a Vietnamese teacher would write (issue 10, point 10): error pages that say what happened and
what to do, no programmer's words ("CSRF", "dd/mm/yyyy", "(405)"), badges that show a number once and
only when it is not zero."""
from __future__ import annotations

import re

import lxml.html


def _doc(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.get_data(as_text=True))


def _main_text(response) -> str:
    return " ".join(_doc(response).xpath("//main")[0].text_content().split())


def test_a_get_on_a_post_only_address_explains_what_happened_and_what_to_do(world, login_as):
    response = login_as(world.teacher).get("/logout")
    assert response.status_code == 405
    [h1] = _doc(response).xpath("//main//h1")
    assert h1.text_content().strip() == "Không mở được trang này theo cách đó"
    text = _main_text(response)
    assert "(405)" not in text and "loại yêu cầu" not in text
    assert "Chưa có gì thay đổi" in text and "quay lại" in text


def test_a_form_sent_twice_is_explained_without_a_status_code_in_the_title(world, login_as):
    c = login_as(world.admin)
    data = {"name": "8C", "grade": "8", "school_year": "2025-2026", "submission_id": "same-form"}
    assert c.post(f"/schools/{world.school.id}/classes/new", data=data).status_code == 302
    again = c.post(f"/schools/{world.school.id}/classes/new", data=data)
    assert again.status_code == 409
    [h1] = _doc(again).xpath("//main//h1")
    assert h1.text_content().strip() == "Việc này đã được làm rồi"
    assert "Đã được thực hiện (409)" not in again.get_data(as_text=True)
    assert "mở lại trang" in _main_text(again)


def test_an_expired_form_token_speaks_no_jargon(world, csrf_client):
    response = csrf_client.post("/logout")
    assert response.status_code == 400
    text = _main_text(response)
    assert "CSRF" not in text and "tải lại trang" in text


def test_public_lessons_are_called_cong_khai(world, login_as):
    doc = _doc(login_as(world.teacher).get("/lessons/new"))
    radio = doc.xpath('//input[@name="visibility"][@value="public"]')[0]
    [label] = doc.xpath(f'//label[@for="{radio.get("id")}"]')
    assert label.text_content().strip() == "Công khai"
    assert "Mọi người, không cần đăng nhập" not in doc.text_content()


def test_the_birth_date_hint_is_in_plain_vietnamese(world, login_as):
    html = login_as(world.admin).get(f"/schools/{world.school.id}/students/new").get_data(as_text=True)
    assert "dd/mm/yyyy" not in html and "ngày/tháng/năm" in html


def test_the_badge_shows_no_zero_and_the_list_says_each_number_once(world, factory, login_as, db):
    c = login_as(world.officer)
    badge = _doc(c.get("/")).xpath('//*[contains(@class, "waiting-badge")]')[0]
    assert " ".join(badge.text_content().split()) == "Việc cần làm"  # nothing to do: no "0"
    for name in ("Trường Mầm non Hoa Sen", "Trường Tiểu học Hoa Mai", "Trường THPT Hoa Cúc"):
        factory.school(world.commune, name=name)
    db.commit()
    doc = _doc(c.get("/"))
    badge = doc.xpath('//*[contains(@class, "waiting-badge")]')[0]
    assert badge.xpath('.//*[@class="count"]/text()') == ["3"]
    [item] = doc.xpath('//*[@id="waiting"]//li')
    assert re.findall(r"\d+", item.text_content()) == ["3"], item.text_content()
    assert f"/communes/{world.commune.id}/schools" in item.xpath(".//a/@href")[0]


def test_the_badge_of_a_user_with_work_names_it_for_screen_readers(world, factory, login_as, db):
    factory.school_class(world.school, "9C", 9)
    db.commit()
    badge = _doc(login_as(world.admin).get("/")).xpath('//*[contains(@class, "waiting-badge")]')[0]
    assert re.search(r"\b1\b", badge.get("aria-label") or "")


def test_a_bad_birth_date_in_an_imported_list_is_explained_in_plain_vietnamese(world, login_as):
    import io

    data = "STT,Họ và tên,Ngày sinh,Lớp\n1,Trần Văn An,32/13/2013,7A\n".encode()
    preview = login_as(world.admin).post(
        f"/schools/{world.school.id}/import", content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), "lop.csv"), "kind": "students", "class_id": "0"})
    text = _main_text(preview)
    assert "ngày/tháng/năm" in text and "dd/mm/yyyy" not in text


def test_deactivating_a_school_says_what_really_happens(world, login_as, db):
    client = login_as(world.officer)
    url = f"/communes/{world.commune.id}/schools/{world.school.id}/active"
    text = _main_text(client.get(url))
    assert "vẫn có trong các danh sách" in text and "không còn hiện" not in text
    client.post(url, data={"active": "0"})
    listed = _main_text(client.get(f"/communes/{world.commune.id}/schools"))
    assert world.school.name in listed and "ngừng hoạt động" in listed, "it does stay listed, marked"


def test_no_form_message_names_csrf():
    from pathlib import Path

    from babel.messages.pofile import read_po

    po = Path(__file__).resolve().parents[2] / "schoolhub/translations/vi/LC_MESSAGES/messages.po"
    with po.open("rb") as f:
        catalog = read_po(f)
    assert not [m.id for m in catalog if m.id and "CSRF" in str(m.string)]

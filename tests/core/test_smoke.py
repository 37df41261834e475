"""The first page each person sees: the login page in Vietnamese, and each role's home page with its own data."""
from __future__ import annotations

import lxml.html
import pytest

from schoolhub.clock import current_school_year

NO_ROLE = ("Tài khoản của bạn chưa có vai trò nào trong trường. Các cuộc thi bạn được mời chấm sẽ hiển thị "
           "trong danh sách phía trên.")
WAITING, LATEST = "Việc đang chờ bạn", "Bài giảng mới"


def _page(response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return lxml.html.fromstring(response.get_data(as_text=True))


def _squeezed(element) -> str:
    return " ".join(element.text_content().split())


def test_login_page_in_vietnamese(client):
    # Vietnamese whatever the browser prefers: the language is chosen on the page, not by Accept-Language.
    page = _page(client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert page.get("lang") == "vi"
    assert page.findtext(".//title").startswith("Đăng nhập")
    assert [_squeezed(h) for h in page.iter("h1")] == ["Đăng nhập"]
    [form] = page.xpath('//main//form[.//input[@name="password"]]')
    labels = {label.get("for"): _squeezed(label) for label in form.iter("label") if label.get("for")}
    assert labels == {"username": "Tên đăng nhập", "password": "Mật khẩu"}
    assert [_squeezed(label) for label in form.xpath('.//label[input[@name="remember"]]')] == [
        "Duy trì đăng nhập trên thiết bị này"]
    assert [_squeezed(b) for b in form.xpath(".//button[@type='submit']")] == ["Đăng nhập"]
    assert "Dùng tài khoản do nhà trường hoặc UBND xã cấp cho bạn." in _squeezed(page)
    assert "Log in" not in _squeezed(page) and "Username" not in _squeezed(page)


def _home(world, who):
    """What each role's home must show (its own headings, texts and links) and must not."""
    school, other, year = world.school, world.other_school, current_school_year()
    staff = {"headings": [WAITING, LATEST, school.name],
             "texts": ["1 giáo viên · 1 lớp · 1 học sinh", "Soạn bài giảng"],
             "links": [f"/schools/{school.id}", f"/schools/{school.id}/classes/{world.school_class.id}",
                       "/lessons/new"],
             "absent": [other.name, world.student.full_name, NO_ROLE]}
    return {
        "officer": {"headings": [WAITING, LATEST, f"Các trường thuộc {world.commune.name}"],
                    "texts": [school.name, other.name, "Quản lý trường học"],
                    "links": [f"/schools/{school.id}", f"/schools/{other.id}", f"/communes/{world.commune.id}/schools"],
                    "absent": [world.student.full_name, world.other_student.full_name, NO_ROLE, "Soạn bài giảng"]},
        "admin": staff,
        "teacher": staff,
        "student": {"headings": [WAITING, LATEST, school.name],
                    "texts": [f"Lớp 7A, năm học {year}"],
                    "links": [],
                    "absent": [other.name, world.other_student.full_name, "/students", "Soạn bài giảng", NO_ROLE]},
        "outsider": {"headings": [WAITING, LATEST], "texts": [NO_ROLE], "links": [],
                     "absent": [school.name, other.name, "Soạn bài giảng"]},
    }[who]


@pytest.mark.parametrize("who", ["officer", "admin", "teacher", "student", "outsider"])
def test_home_for_each_role(who, world, login_as):
    user = getattr(world, who)
    page = _page(login_as(user).get("/"))
    want = _home(world, who)
    main = page.xpath("//main")[0]
    assert [_squeezed(h) for h in main.iter("h1")] == [f"Xin chào, {user.full_name}"]
    headings = [_squeezed(h) for h in main.iter("h2")]
    assert [h for h in headings if h in want["headings"]] == want["headings"], headings
    text = _squeezed(main)
    html = lxml.html.tostring(main, encoding="unicode")
    for expected in want["texts"]:
        assert expected in text, expected
    hrefs = set(main.xpath(".//a/@href"))
    for link in want["links"]:
        assert link in hrefs, link
    for unwanted in want["absent"]:
        assert unwanted not in text and unwanted not in html, unwanted

"""The one-time passwords sheet printed (issue 10, point 9): a class of 30 fits one A4 page, with the
address to log in at; the sheet's address opened again explains and leads to new passwords."""
from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlsplit

import pytest

from schoolhub.accounts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Phan", "Vũ", "Võ", "Đặng"]
GIVEN = ["Thị Thanh Hương", "Văn An", "Minh Khoa", "Ngọc Ánh", "Đức Thịnh", "Thu Trang"]


def _class_list(n: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["STT", "Họ và tên", "Lớp"])
    for i in range(n):
        writer.writerow([i + 1, f"{FAMILY[i % len(FAMILY)]} {GIVEN[i % len(GIVEN)]} {chr(65 + i // 10)}", "7A"])
    return out.getvalue().encode("utf-8")


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_a_class_of_30_prints_on_one_a4_page_with_the_login_address(page, live_factory, live_db, log_in):
    commune = live_factory.commune()
    school = live_factory.school(commune, name="Trường THCS Bình Chương", code="THCS-BC")
    live_factory.school_class(school, "7A", 7)
    live_factory.user(Role.SCHOOL_ADMIN, school, username="ql.quan", full_name="Phan Đức Quân")
    live_db.commit()
    assert log_in(page, "ql.quan") == "/"
    page.goto(f"/schools/{school.id}/import")
    form = page.locator("main form").filter(has=page.locator("input[name=file]"))
    form.locator("input[name=file]").set_input_files(
        {"name": "lop-7a.csv", "mimeType": "text/csv", "buffer": _class_list(30)})
    form.locator("select[name=kind]").select_option("students")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    with page.expect_navigation():
        page.locator("[data-testid=commit-import]").click()
    sheet_address = urlsplit(page.url).path
    assert page.locator("code[data-testid=password]").count() == 30
    login_at = page.locator("main .sheet .login-at").inner_text()
    assert login_at.endswith("/login") and urlsplit(page.url).netloc in login_at
    assert _pages(page.pdf(format="A4")) == 1, "30 students on one A4 sheet"

    # The sheet's address opened again: the passwords are not shown again; new ones are offered.
    response = page.goto(sheet_address)
    assert response.status == 200
    assert page.locator("code[data-testid=password]").count() == 0
    with page.expect_navigation():
        page.locator("main ul.reissue a").click()
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator("code[data-testid=password]").count() == 30
    assert _pages(page.pdf(format="A4")) == 1
    assert page.external_requests == [] and page.js_errors == []

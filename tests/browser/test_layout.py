"""Phone layout at 360px: no sideways scrolling, landmarks, a label on every field, nothing remote."""
from __future__ import annotations

import pytest

from schoolhub.accounts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE_WIDTH = 360

# Inputs a person fills in or ticks, without an accessible name from a <label> or ARIA.
UNLABELLED_FIELDS_JS = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes((el.type || '').toLowerCase()))
  .filter(el => !(el.labels && el.labels.length)
              && !(el.getAttribute('aria-label') || '').trim()
              && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML)
"""


def check_phone_layout(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} scrolls sideways: scrollWidth {width}px > {PHONE_WIDTH}px"
    assert page.locator("main").count() == 1, "one <main> landmark"
    assert page.locator("nav").count() >= 1, "a <nav> landmark"
    assert page.evaluate(UNLABELLED_FIELDS_JS) == []
    assert page.locator("html").get_attribute("lang") == "vi"


def test_login_page_fits_a_phone(page):
    page.goto("/login")
    assert page.viewport_size["width"] == PHONE_WIDTH
    check_phone_layout(page)
    assert page.external_requests == []
    assert page.js_errors == []


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SCHOOL_ADMIN, Role.STUDENT])
def test_home_fits_a_phone(page, live_factory, live_db, log_in, role):
    commune = live_factory.commune()
    school = live_factory.school(commune, name="Trường Trung học cơ sở Bình Chương", code="THCS-BC")
    school_class = live_factory.school_class(school, "7A", 7)
    unit = commune if role == Role.OFFICER else school
    live_factory.user(role, unit, username="nguoidung", full_name="Nguyễn Thị Phương Thảo",
                      school_class=school_class if role == Role.STUDENT else None)
    live_db.commit()

    assert log_in(page, "nguoidung") == "/"
    check_phone_layout(page)
    assert page.external_requests == []
    assert page.js_errors == []

"""Messages that quote user input (lazy translations, service refusals) are escaped like any other text."""
from __future__ import annotations

import lxml.html
from flask import render_template_string
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import func, select

from schoolhub.accounts.models import SchoolClass
from schoolhub.clock import current_school_year
from tests.helpers.pages import assert_page_safe


def test_lazy_message_with_user_input_is_escaped(app):
    with app.test_request_context():
        html = render_template_string("{{ msg }}", msg=_l("The username %(u)s is already taken.", u="<b>x</b>"))
    assert "<b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_service_error_quoting_hostile_text_is_escaped(world, factory, login_as, db):
    """A refusal that quotes what was typed (here a class name that is taken) shows it as text, never as markup.

    The name passes the form's own checks, so the message comes from the service (ServiceError),
    through apply_service_error, onto the page.
    """
    hostile = "<img src=x onerror=alert(1)>"
    factory.school_class(world.school, hostile.upper(), 7)  # the service stores class names in capitals
    db.commit()
    classes = db.scalar(select(func.count(SchoolClass.id)))
    c = login_as(world.admin)
    r = c.post(f"/schools/{world.school.id}/classes/new",
               data={"name": hostile, "grade": "7", "school_year": current_school_year()})
    assert r.status_code == 200
    assert db.scalar(select(func.count(SchoolClass.id))) == classes  # refused by the service
    html = r.get_data(as_text=True)
    [error] = lxml.html.fromstring(html).xpath('//p[@id="name-err"]')
    assert f"Lớp {hostile.upper()} đã có trong năm học {current_school_year()}" in error.text_content()
    assert f"Lớp {escape(hostile.upper())} đã có" in html  # escaped in the page's source
    assert "<img" not in html.lower()
    assert_page_safe(html, "new class form")

"""Lazy translated messages that quote user input are escaped like any other text."""
from __future__ import annotations

from flask import render_template_string
from flask_babel import lazy_gettext as _l


def test_lazy_message_with_user_input_is_escaped(app):
    with app.test_request_context():
        html = render_template_string("{{ msg }}", msg=_l("The username %(u)s is already taken.", u="<b>x</b>"))
    assert "<b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_service_error_with_hostile_code_is_escaped(world, login_as):
    c = login_as(world.officer)
    r = c.post(f"/communes/{world.commune.id}/schools/new",
               data={"code": "<i>x</i>", "name": "Trường <i>A</i>", "level": "thcs"})
    html = r.get_data(as_text=True)
    assert "<i>" not in html

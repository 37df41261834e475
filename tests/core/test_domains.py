"""Domains plug in through DOMAINS alone: an empty demonstration domain needs no edit elsewhere."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from schoolhub.domains import DOMAINS

ROOT = Path(__file__).resolve().parents[2]
CORE_MODULES = [p for p in (ROOT / "schoolhub").glob("*.py")] + list((ROOT / "schoolhub" / "policy").glob("*.py"))


PASSWORD = "mien-thu-nghiem-57"


@pytest.fixture
def demo_app(build_app, app):
    """An app with the demonstration domain added, on this test's transaction."""
    built = build_app({"DOMAINS": (*DOMAINS, "tests.helpers.demo_domain"), "WTF_CSRF_ENABLED": False})
    built.extensions["schoolhub.sessionmaker"] = app.extensions["schoolhub.sessionmaker"]
    return built


def _login(client, user, password):
    r = client.post("/login", data={"username": user.username, "password": password})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]


def test_a_new_domain_plugs_in_through_domains_alone(demo_app, world, factory, db):
    from schoolhub.accounts.models import Role

    officer_user = factory.user(Role.OFFICER, world.commune, password=PASSWORD)
    other_admin = factory.user(Role.SCHOOL_ADMIN, world.other_school, password=PASSWORD)
    db.commit()
    endpoints = {rule.endpoint for rule in demo_app.url_map.iter_rules()}
    assert "demo_domain.unit" in endpoints
    officer = demo_app.test_client()
    _login(officer, officer_user, PASSWORD)
    r = officer.get(f"/demo-domain/{world.school.id}")
    assert r.status_code == 200 and "demo page of Trường THCS Bình Chương" in r.get_data(as_text=True)
    home = officer.get("/").get_data(as_text=True)
    # Its menu entry and its home panel, for the units its rule allows.
    assert f'href="/demo-domain/{world.commune.id}"' in home
    assert 'data-testid="demo-panel"' in home and world.commune.name in home
    # Its rule decides: another school's admin is not related to this school.
    other = demo_app.test_client()
    _login(other, other_admin, PASSWORD)
    assert other.get(f"/demo-domain/{world.school.id}").status_code == 404
    assert demo_app.test_client().get(f"/demo-domain/{world.school.id}").status_code == 302  # login first


def test_the_default_app_does_not_have_it(app):
    assert "demo_domain.unit" not in {rule.endpoint for rule in app.url_map.iter_rules()}


def test_core_modules_import_no_domain():
    offenders = []
    for path in CORE_MODULES:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(r"\s*(from|import) schoolhub\.(accounts|lessons)\b", line):
                offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert not offenders, "core modules must not import a domain:\n" + "\n".join(offenders)


def test_every_domain_has_init_app():
    import importlib

    for name in DOMAINS:
        assert callable(getattr(importlib.import_module(name), "init_app", None)), name

"""The commune officer's screens: schools and their admins."""
from __future__ import annotations

from sqlalchemy import select

from schoolhub.accounts.models import OrgUnit, Role, SchoolLevel, User
from schoolhub.audit import AuditLog


def _school_form(**overrides):
    data = {"code": "TH2-BC", "name": "Trường Tiểu học số 2 Bình Chương", "level": "tieu_hoc", "address": "Thôn 3"}
    data.update(overrides)
    return data


def test_officer_sees_schools_with_counts(world, login_as):
    c = login_as(world.officer)
    html = c.get(f"/communes/{world.commune.id}/schools").get_data(as_text=True)
    assert "Trường THCS Bình Chương" in html and "Trường THCS Bình Minh" in html
    assert "Phan Đức Quân" in html  # the admin is named
    # Children's names never appear on the officer's pages.
    assert "Nguyễn Minh Khoa" not in html
    home = c.get("/").get_data(as_text=True)
    assert "Trường THCS Bình Chương" in home and "Nguyễn Minh Khoa" not in home


def test_school_search_ignores_accents_and_paginates(world, factory, login_as, db):
    for i in range(30):
        factory.school(world.commune, name=f"Trường Mầm non Hoa Sen {i:02d}", level=SchoolLevel.MAM_NON)
    db.commit()
    c = login_as(world.officer)
    found = c.get(f"/communes/{world.commune.id}/schools?q=hoa sen 07").get_data(as_text=True)
    assert "Hoa Sen 07" in found and "Hoa Sen 08" not in found
    assert "Bình Chương" in c.get(f"/communes/{world.commune.id}/schools?q=BINH CHUONG").get_data(as_text=True)
    page1 = c.get(f"/communes/{world.commune.id}/schools").get_data(as_text=True)
    page2 = c.get(f"/communes/{world.commune.id}/schools?page=2").get_data(as_text=True)
    assert 'rel="next"' in page1 and 'rel="prev"' in page2
    assert c.get(f"/communes/{world.commune.id}/schools?page=abc").status_code == 200
    assert c.get(f"/communes/{world.commune.id}/schools?page=99999").status_code == 200


def test_officer_registers_a_school(world, login_as, db):
    c = login_as(world.officer)
    r = c.post(f"/communes/{world.commune.id}/schools/new", data=_school_form(code="th2-bc"))
    assert r.status_code == 302
    school = db.scalar(select(OrgUnit).where(OrgUnit.code == "TH2-BC"))
    assert school is not None and school.parent_id == world.commune.id
    assert school.path == f"{world.commune.path}{school.id}/"
    assert r.headers["Location"].endswith(f"/schools/{school.id}/admins")
    assert db.scalar(select(AuditLog).where(AuditLog.action == "unit.create", AuditLog.object_id == school.id))


def test_bad_school_input_keeps_what_was_typed(world, login_as, db):
    c = login_as(world.officer)
    url = f"/communes/{world.commune.id}/schools/new"
    cases = [
        _school_form(code="THCS-A"),  # duplicate code (another school has it)
        _school_form(name=""),
        _school_form(name="x" * 201),
        _school_form(code="mã có dấu"),
        _school_form(level="university"),
        _school_form(code=""),
    ]
    for data in cases:
        r = c.post(url, data=data)
        assert r.status_code == 200, data
        html = r.get_data(as_text=True)
        assert 'class="error"' in html
        if data["name"]:
            assert data["name"][:50] in html
    assert db.scalar(select(OrgUnit).where(OrgUnit.code == "TH2-BC")) is None


def test_hostile_school_name_is_escaped(world, login_as):
    c = login_as(world.officer)
    c.post(f"/communes/{world.commune.id}/schools/new",
           data=_school_form(name='<script>alert(1)</script><img src=x onerror=alert(2)>'))
    html = c.get(f"/communes/{world.commune.id}/schools").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_officer_edits_a_school(world, login_as, db):
    c = login_as(world.officer)
    url = f"/communes/{world.commune.id}/schools/{world.school.id}/edit"
    assert "THCS-A" in c.get(url).get_data(as_text=True)
    r = c.post(url, data=_school_form(code="THCS-A", name="Trường THCS Bình Chương (mới)", level="thcs"))
    assert r.status_code == 302
    db.expire_all()
    assert db.get(OrgUnit, world.school.id).name == "Trường THCS Bình Chương (mới)"
    clash = c.post(url, data=_school_form(code="THCS-B", level="thcs"))
    assert clash.status_code == 200


def test_deactivate_asks_first_and_refuses_repeats(world, login_as, db):
    c = login_as(world.officer)
    url = f"/communes/{world.commune.id}/schools/{world.other_school.id}/active"
    assert c.get(url).status_code == 200
    db.expire_all()
    assert db.get(OrgUnit, world.other_school.id).is_active is True  # GET changed nothing
    assert c.post(url, data={"active": "0"}).status_code == 302
    db.expire_all()
    assert db.get(OrgUnit, world.other_school.id).is_active is False
    assert c.post(url, data={"active": "0"}).status_code == 409  # posted twice
    assert c.post(url, data={"active": "1"}).status_code == 302


def test_appoint_a_new_admin_with_one_time_password(world, login_as, app, db):
    c = login_as(world.officer)
    url = f"/communes/{world.commune.id}/schools/{world.other_school.id}/admins"
    r = c.post(url, data={"full_name": "Đặng Hữu Tuấn"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    user = db.scalar(select(User).where(User.full_name == "Đặng Hữu Tuấn"))
    assert user.username == "tuandh" and user.must_change_password
    assert any(m.role == Role.SCHOOL_ADMIN and m.unit_id == world.other_school.id for m in user.memberships)
    import re
    temp = re.search(r'data-testid="password">([^<]+)<', html).group(1)
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "tuandh", "password": temp}).headers["Location"] == "/password"


def test_appoint_an_existing_account(world, login_as, db):
    c = login_as(world.officer)
    url = f"/communes/{world.commune.id}/schools/{world.other_school.id}/admins"
    assert c.post(url, data={"existing_username": "JUDGE"}).status_code == 302
    db.expire_all()
    judge = db.get(User, world.outsider.id)
    assert [m.role for m in judge.memberships] == [Role.SCHOOL_ADMIN]
    again = c.post(url, data={"existing_username": "judge"})
    assert again.status_code == 200 and 'class="error"' in again.get_data(as_text=True)


def test_appoint_admin_bad_input(world, login_as, db):
    c = login_as(world.officer)
    url = f"/communes/{world.commune.id}/schools/{world.other_school.id}/admins"
    for data in ({}, {"existing_username": "khong-co-ai"}, {"full_name": "Lê Văn A", "username": "teacher"},
                 {"full_name": "Lê Văn A", "username": "có dấu"}, {"full_name": "A" * 200}):
        r = c.post(url, data=data)
        assert r.status_code == 200 and 'class="error"' in r.get_data(as_text=True), data
    assert db.scalar(select(User).where(User.full_name == "Lê Văn A")) is None


def test_same_form_posted_twice_creates_one_school(world, login_as, db):
    c = login_as(world.officer)
    url = f"/communes/{world.commune.id}/schools/new"
    c.get(url)
    data = _school_form(submission_id="once-only-123")
    assert c.post(url, data=data).status_code == 302
    assert c.post(url, data={**data, "code": "TH3-BC"}).status_code == 409
    assert db.scalar(select(OrgUnit).where(OrgUnit.code == "TH3-BC")) is None


def test_other_communes_are_private(world, factory, login_as, db):
    elsewhere = factory.commune(name="Xã Bình Minh")
    far_school = factory.school(elsewhere)
    db.commit()
    c = login_as(world.officer)
    assert c.get(f"/communes/{elsewhere.id}/schools").status_code == 404
    assert c.get(f"/communes/{world.commune.id}/schools/{far_school.id}/edit").status_code == 404
    assert c.get(f"/communes/{world.commune.id}/schools/99999/edit").status_code == 404
    assert c.get(f"/communes/{world.school.id}/schools").status_code == 404  # a school is not a commune


def test_school_staff_cannot_manage_schools(world, login_as):
    for user in (world.admin, world.teacher, world.student):
        c = login_as(user)
        assert c.get(f"/communes/{world.commune.id}/schools").status_code == 403
        assert c.post(f"/communes/{world.commune.id}/schools/new", data=_school_form()).status_code == 403

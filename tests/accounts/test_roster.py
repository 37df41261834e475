"""Roster import: the three sample files, headings, dates, usernames, bad rows, access, the printed sheet, the CLI."""
from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from schoolhub.accounts import roster_services
from schoolhub.accounts.models import Membership, Role, SchoolClass, SchoolLevel, User
from schoolhub.accounts.roster import RosterError, match_heading, parse_date, parse_roster
from schoolhub.audit import AuditLog

# Copies of ../shared/data/roster-samples, kept in the repo so the suite is self-contained.
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "roster-samples"
THCS_FILE = "thcs-lop-7-theo-lop.xlsx"
PRIMARY_FILE = "tieu-hoc-khoi-4-mot-trang.xlsx"
STAFF_FILE = "giao-vien-thcs.csv"


@pytest.fixture
def login_as(login_as):
    """conftest's login_as, then the interface switched to English: the tests read the source strings."""

    def _login(user, *args):
        client = login_as(user, *args)
        client.post("/language", data={"lang": "en", "next": "/"})
        return client

    return _login


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def xlsx(*sheets: tuple[str, list[list]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], *, bom: bool = False, delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def upload(client, school, data: bytes, filename: str, *, kind="auto", class_id=0, create_classes=False):
    form = {"file": (io.BytesIO(data), filename), "kind": kind, "class_id": str(class_id)}
    if create_classes:
        form["create_classes"] = "y"
    return client.post(f"/schools/{school.id}/import", data=form, content_type="multipart/form-data")


def token_of(response) -> str:
    body = response.get_data(as_text=True)
    match = re.search(r'action="/schools/\d+/import/([0-9a-f]{32})"', body)
    assert match, body[:3000]
    assert 'data-testid="commit-import"' in body
    return match[1]


def credentials(body: str) -> list[tuple[str, str]]:
    users = re.findall(r'<code data-testid="username">([^<]*)</code>', body)
    passwords = re.findall(r'<code data-testid="password">([^<]*)</code>', body)
    assert len(users) == len(passwords)
    return list(zip(users, passwords, strict=True))


def sections(body: str) -> dict[str, str]:
    """Each printed sheet's class and its HTML."""
    parts = re.findall(r'<section class="sheet[^"]*" data-class="([^"]*)">(.*?)</section>', body, re.S)
    return dict(parts)


def students_of(db, school_class) -> list[User]:
    return list(db.scalars(select(User).join(Membership).where(Membership.class_id == school_class.id)
                           .order_by(User.id)))


def count_users(db) -> int:
    return db.scalar(select(func.count(User.id)))


def import_web(client, school, data, filename, **options) -> str:
    preview = upload(client, school, data, filename, **options)
    assert preview.status_code == 200
    done = client.post(f"/schools/{school.id}/import/{token_of(preview)}")
    assert done.status_code == 200, done.get_data(as_text=True)[:2000]
    return done.get_data(as_text=True)


def _school_with_admin(factory, world, level: SchoolLevel, code: str):
    school = factory.school(world.commune, level=level, code=code)
    admin = factory.user(Role.SCHOOL_ADMIN, school)
    factory.db.commit()
    return school, admin


# ---- the three sample files, through the web ------------------------------------

def test_thcs_sample_one_sheet_per_class(world, login_as, db):
    client = login_as(world.admin)
    preview = upload(client, world.school, sample(THCS_FILE), THCS_FILE, create_classes=True)
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert 'class="bad-rows"' not in body
    assert re.search(r"<td>7A</td><td class=\"num\">30</td>", body)
    assert re.search(r"<td>7B</td><td class=\"num\">36</td>", body)  # a new class, opened on commit
    token = token_of(preview)
    before = count_users(db)

    done = client.post(f"/schools/{world.school.id}/import/{token}")
    assert done.status_code == 200
    body = done.get_data(as_text=True)
    assert len(credentials(body)) == 66
    assert count_users(db) == before + 66

    seven_b = db.scalar(select(SchoolClass).where(SchoolClass.school_id == world.school.id, SchoolClass.name == "7B"))
    assert seven_b is not None and seven_b.grade == 7
    seven_a = students_of(db, world.school_class)
    assert len(seven_a) == 31  # the fixture's student and the sheet's 30
    quan = next(u for u in seven_a if u.full_name == "Nguyễn Đức Quân")
    assert quan.username == "quannd" and quan.birth_date == date(2013, 6, 14) and quan.gender == "male"
    assert quan.must_change_password
    assert any(u.username == "locdt" for u in seven_a)  # Đỗ Thành Lộc: đ folded
    # The footer ("GIÁO VIÊN CHỦ NHIỆM") was not read as a student.
    assert db.scalar(select(User).where(User.name_folded.like("%giao vien%"))) is None

    # The printed sheet: one page per class, each with its own students.
    pages = sections(body)
    assert list(pages) == ["7A", "7B"]
    assert "Nguyễn Đức Quân" in pages["7A"] and "Nguyễn Đức Quân" not in pages["7B"]
    assert "Bùi Thùy Uyên" in pages["7B"] and len(credentials(pages["7B"])) == 36

    logs = db.scalars(select(AuditLog).where(AuditLog.action == "roster.import")).all()
    assert len(logs) == 1 and logs[0].unit_id == world.school.id and logs[0].actor_id == world.admin.id


def test_primary_sample_split_names_class_column_excel_dates(world, factory, login_as, db):
    school, admin = _school_with_admin(factory, world, SchoolLevel.TIEU_HOC, "TH-1")
    body = import_web(login_as(admin), school, sample(PRIMARY_FILE), PRIMARY_FILE, create_classes=True)
    assert list(sections(body)) == ["4A", "4B", "4C"]
    classes = {c.name: c for c in db.scalars(select(SchoolClass).where(SchoolClass.school_id == school.id))}
    assert set(classes) == {"4A", "4B", "4C"} and {c.grade for c in classes.values()} == {4}
    assert [len(students_of(db, classes[n])) for n in ("4A", "4B", "4C")] == [30, 27, 29]
    yen = db.scalar(select(User).where(User.student_code == "HS2025001"))
    assert yen.full_name == "Lê Phương Yến" and yen.username == "yenlp"
    assert yen.birth_date == date(2016, 10, 14) and yen.gender == "female"
    thang = db.scalar(select(User).where(User.student_code == "HS2025004"))
    assert thang.full_name == "Đỗ Hữu Thắng" and thang.gender == "male"


def test_staff_csv_sample_imports_as_teachers(world, factory, login_as, db):
    school, admin = _school_with_admin(factory, world, SchoolLevel.THCS, "THCS-C")
    client = login_as(admin)
    preview = upload(client, school, sample(STAFF_FILE), STAFF_FILE)
    assert "Teachers and staff" in preview.get_data(as_text=True)
    done = client.post(f"/schools/{school.id}/import/{token_of(preview)}")
    body = done.get_data(as_text=True)
    assert len(credentials(body)) == 18
    teachers = db.scalars(select(User).join(Membership).where(
        Membership.unit_id == school.id, Membership.role == Role.TEACHER)).all()
    assert len(teachers) == 18
    principal = next(u for u in teachers if u.full_name == "Phan Đức Quân")
    assert principal.position == "Hiệu trưởng" and principal.phone == "0991058571"
    assert principal.username == "quanpd" and principal.must_change_password
    assert all(m.class_id is None for u in teachers for m in u.memberships)


def test_staff_csv_flags_a_teacher_already_in_the_school(world, login_as, db):
    # The fixture school already has the teacher Lê Bảo Yến and the admin Phan Đức Quân, both on the staff
    # list: since issue 10 they are shown as having an account and skipped, and the rest can be imported
    # (more in tests/accounts/test_roster_existing.py).
    response = upload(login_as(world.admin), world.school, sample(STAFF_FILE), STAFF_FILE)
    body = response.get_data(as_text=True)
    assert 'class="bad-rows"' not in body
    existing = re.search(r'<table class="existing-rows">(.*?)</table>', body, re.S)[1]
    assert "Lê Bảo Yến" in existing and "Phan Đức Quân" in existing and "already has an account" in existing
    assert existing.count("<tr") == 3  # header + the two rows
    assert 'data-testid="commit-import"' in body


# ---- the CLI ---------------------------------------------------------------------

@pytest.mark.parametrize("name, level, extra, expected", [
    (THCS_FILE, SchoolLevel.THCS, ["--create-classes"], 66),
    (PRIMARY_FILE, SchoolLevel.TIEU_HOC, ["--create-classes"], 86),
    (STAFF_FILE, SchoolLevel.THCS, [], 18),
])
def test_cli_imports_each_sample(app, world, factory, db, tmp_path, name, level, extra, expected):
    data = sample(name)
    school = factory.school(world.commune, level=level, code="CLI-1")
    db.commit()
    path = tmp_path / name
    path.write_bytes(data)
    out = tmp_path / "accounts.csv"
    result = app.test_cli_runner().invoke(
        args=["import-roster", str(path), "--school", "cli-1", "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == expected
    assert all(r["username"] and r["password"] for r in rows)
    assert db.scalar(select(func.count(Membership.id)).where(Membership.unit_id == school.id)) == expected
    assert len({r["username"] for r in rows}) == expected


def test_cli_prints_bad_rows_and_writes_nothing(app, world, db, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(csv_bytes([["STT", "Họ và tên", "Lớp"], [1, "Trần Văn An", "7A"], [2, "Lê Thị Bé", "9Z"]]))
    before = count_users(db)
    result = app.test_cli_runner().invoke(args=["import-roster", str(path), "--school", "THCS-A"])
    assert result.exit_code != 0
    assert "row 3: Lê Thị Bé" in result.output and "9Z" in result.output  # the reason is in the default language
    assert count_users(db) == before


def test_cli_class_option_and_stdout(app, world, db, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(csv_bytes([["STT", "Họ và tên", "Ngày sinh"], [1, "Trần Văn An", "01/02/2013"]]))
    result = app.test_cli_runner().invoke(args=["import-roster", str(path), "--school", "THCS-A", "--class", "7a"])
    assert result.exit_code == 0, result.output
    assert "7A,Trần Văn An,antv," in result.output
    unknown = app.test_cli_runner().invoke(args=["import-roster", str(path), "--school", "NOPE"])
    assert unknown.exit_code != 0 and "No school" in unknown.output


# ---- reading: headings, dates, layouts ---------------------------------------------

@pytest.mark.parametrize("heading, field", [
    ("Họ và tên", "full_name"), ("HO VA TEN", "full_name"), ("Ho ten hoc sinh", "full_name"),
    ("Họ và tên đệm", "family"), ("Ho dem", "family"), ("Tên", "given"), ("Ngày sinh (dd/mm/yyyy)", "birth_date"),
    ("Ngay thang nam sinh", "birth_date"), ("Lớp", "class"), ("Mã học sinh", "student_code"), ("Nữ", "female"),
    ("Giới tính", "gender"), ("S.T.T", "stt"), ("Số điện thoại", "phone"), ("Chuc vu", "position"),
    ("Môn dạy", "subject"), ("Dân tộc", "ignored"), ("Danh sách học sinh lớp 7A", None),
])
def test_headings_with_or_without_diacritics(heading, field):
    assert match_heading(heading) == field


@pytest.mark.parametrize("value, expected", [
    ("14/06/2013", date(2013, 6, 14)), ("4/6/2013", date(2013, 6, 4)), ("14-06-2013", date(2013, 6, 14)),
    ("14.06.2013", date(2013, 6, 14)), ("2013-06-14", date(2013, 6, 14)), (datetime(2013, 6, 14), date(2013, 6, 14)),
    (41439, date(2013, 6, 14)), ("", None), (None, None),
])
def test_dates_from_text_and_from_excel(value, expected):
    assert parse_date(value) == (expected, True)


@pytest.mark.parametrize("value", ["31/02/2013", "2013", "14/06/13", "hôm qua", "01/01/2999", 0])
def test_dates_not_understood(value):
    assert parse_date(value) == (None, False)


def test_unaccented_headings_title_row_class_and_excel_dates(world, login_as, db):
    data = xlsx(("Sheet1", [
        ["TRUONG THCS BINH CHUONG"], ["DANH SACH HOC SINH LOP 7A"], [],
        ["STT", "HO VA TEN", "NGAY SINH", "GIOI TINH"],
        [1, "Trần Văn An", datetime(2013, 2, 1), "Nam"],
        [2, "Lê Thị Bé", "03/04/2013", "Nữ"],
        [None, None, None, None],
        [None, "Người lập danh sách"],
    ]))
    import_web(login_as(world.admin), world.school, data, "list.xlsx")
    an = db.scalar(select(User).where(User.full_name == "Trần Văn An"))
    be = db.scalar(select(User).where(User.full_name == "Lê Thị Bé"))
    assert an.birth_date == date(2013, 2, 1) and be.birth_date == date(2013, 4, 3) and be.gender == "female"
    assert {m.class_id for m in an.memberships + be.memberships} == {world.school_class.id}
    assert db.scalar(select(User).where(User.full_name == "Người lập danh sách")) is None


def test_sheet_tab_naming_the_class(app):
    data = xlsx(("Lớp 7B", [["STT", "Họ và tên"], [1, "Trần Văn An"]]),
                ("LÁ 1", [["STT", "Họ và tên"], [1, "Lê Thị Bé"]]),
                ("Ghi chú", [["Danh sách do giáo viên chủ nhiệm lập"]]))
    roster = parse_roster(data, known_classes=["LÁ 1"])
    assert [s.class_name for s in roster.sheets] == ["7B", "LÁ 1"]
    assert roster.skipped == ["Ghi chú"] and roster.kind == "students"


def test_form_class_for_a_file_without_one(world, login_as, db):
    data = csv_bytes([["STT", "Họ và tên"], [1, "Trần Văn An"]])
    import_web(login_as(world.admin), world.school, data, "list.csv", class_id=world.school_class.id)
    an = db.scalar(select(User).where(User.full_name == "Trần Văn An"))
    assert an.memberships[0].class_id == world.school_class.id and an.memberships[0].role == Role.STUDENT


def test_merged_header_over_family_and_given_names(app, db):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "7A"
    sheet.append(["STT", "Họ và tên", None, "Ngày sinh"])
    sheet.append([None, "Họ đệm", "Tên", None])
    sheet.append([1, "Nguyễn Văn", "An", "01/02/2013"])
    sheet.merge_cells("B1:C1")
    sheet.merge_cells("A1:A2")
    sheet.merge_cells("D1:D2")
    buffer = io.BytesIO()
    workbook.save(buffer)
    roster = parse_roster(buffer.getvalue())
    [row] = roster.rows
    assert row.full_name == "Nguyễn Văn An" and row.birth_date == date(2013, 2, 1) and row.row == 3
    assert roster.sheets[0].class_name == "7A"


@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_with_or_without_bom_and_any_delimiter(world, login_as, db, bom, delimiter):
    data = csv_bytes([["Danh sách lớp 7A"], ["STT", "Họ và tên", "Ngày sinh", "Lớp"],
                      [1, "Đỗ Thành Lộc", "25/02/2013", "7A"], [2, "Hồ Tấn Lộc", "11/01/2013", "Lớp 7a"]],
                     bom=bom, delimiter=delimiter)
    body = import_web(login_as(world.admin), world.school, data, "list.csv")
    # The sheet lists the class in Vietnamese name order: Lộc, then Tấn before Thành (â before h).
    assert [u for u, _ in credentials(body)] == ["locht", "locdt"]


# ---- usernames ------------------------------------------------------------------------

def test_usernames_folded_and_unique_in_the_deployment(world, factory, login_as, db):
    factory.user(Role.TEACHER, world.other_school, username="locdt", full_name="Đặng Tấn Lộc")
    db.commit()
    data = csv_bytes([["STT", "Họ và tên", "Ngày sinh", "Lớp"],
                      [1, "Đỗ Thành Lộc", "25/02/2013", "7A"], [2, "Đỗ Thành Lộc", "26/02/2013", "7A"],
                      [3, "Đoàn Thị Lộc", "01/01/2013", "7A"], [4, "Nguyễn Đức Quân", "14/06/2013", "7A"]])
    body = import_web(login_as(world.admin), world.school, data, "list.csv")
    assert [u for u, _ in credentials(body)] == ["locdt2", "locdt3", "locdt4", "quannd"]


# ---- bad rows, all-or-nothing -------------------------------------------------------------

def test_every_bad_row_listed_with_its_reason_and_nothing_written(world, login_as, db):
    data = xlsx(("Lop 7", [
        ["STT", "Họ và tên", "Ngày sinh", "Lớp", "Mã học sinh"],
        [1, "Trần Văn An", "01/02/2013", "7A", "HS1"],
        [2, "Trần Văn An", "01/02/2013", "7A", "HS2"],  # duplicate in the file
        [3, "Nguyễn Minh Khoa", None, "7A", "HS3"],  # already in the school
        [4, None, "01/02/2013", "7A", "HS4"],  # empty name
        [5, "Lê Thị Bé", "01/02/2013", "8A", "HS5"],  # unknown class (no create)
        [6, "Lê Thị Cúc", "31/02/2013", "7A", "HS6"],  # bad date
        [7, "Lê Thị Dung", "01/03/2013", "7A", "HS1"],  # duplicate student code
        [8, "Lê Thị Em", "01/03/2013", None, "HS8"],  # no class at all
    ]))
    before = count_users(db)
    response = upload(login_as(world.admin), world.school, data, "list.xlsx")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="commit-import"' not in body
    assert "Fix these rows in the file, then upload it again." in body
    bad = re.findall(r"<tr><td>Lop 7</td><td class=\"num\">(\d+)</td><td>([^<]*)</td><td>(.*?)</td></tr>",
                     body, re.S)
    reasons = {int(row): (name, html.unescape(reason)) for row, name, reason in bad}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert "Duplicate" in reasons[3][1] and "row 2" in reasons[3][1]
    assert "already in the school" in reasons[4][1]
    assert reasons[5] == ("", "The name is empty.")
    assert "Unknown class 8A" in reasons[6][1]
    assert "date of birth" in reasons[7][1]
    assert "student code HS1" in reasons[8][1]
    assert "Unknown class" in reasons[9][1]
    assert count_users(db) == before

    with pytest.raises(roster_services.ImportRejected) as caught:
        roster_services.commit_import(db, world.admin, world.school, data)
    assert len(caught.value.plan.bad_rows) == 7
    db.rollback()
    assert count_users(db) == before


def test_bad_grade_when_creating_classes(world, login_as, db):
    data = csv_bytes([["STT", "Họ và tên", "Lớp"], [1, "Trần Văn An", "12A"], [2, "Lê Thị Bé", "Chuyên Toán"],
                      [3, "Lê Thị Cúc", "8A"]])
    body = upload(login_as(world.admin), world.school, data, "list.csv", create_classes=True).get_data(as_text=True)
    text = html.unescape(body)
    assert "Bad grade for class 12A" in text and "Grade 12 is not taught" in text
    assert "Bad grade: the name of class CHUYÊN TOÁN" in text
    assert 'data-testid="commit-import"' not in body
    assert db.scalar(select(SchoolClass).where(SchoolClass.name == "8A")) is None


def test_commit_refuses_when_the_school_changed_since_the_preview(world, factory, login_as, db):
    data = csv_bytes([["STT", "Họ và tên", "Ngày sinh", "Lớp"], [1, "Trần Văn An", "01/02/2013", "7A"]])
    client = login_as(world.admin)
    token = token_of(upload(client, world.school, data, "list.csv"))
    intruder = factory.user(Role.STUDENT, world.school, full_name="Trần Văn An", school_class=world.school_class)
    intruder.birth_date = date(2013, 2, 1)
    db.commit()
    before = count_users(db)
    response = client.post(f"/schools/{world.school.id}/import/{token}")
    assert response.status_code == 409
    assert 'class="bad-rows"' in response.get_data(as_text=True)
    assert count_users(db) == before


def test_double_commit_is_409_and_creates_nothing(world, login_as, db):
    data = csv_bytes([["STT", "Họ và tên", "Lớp"], [1, "Trần Văn An", "7A"]])
    client = login_as(world.admin)
    token = token_of(upload(client, world.school, data, "list.csv"))
    assert client.post(f"/schools/{world.school.id}/import/{token}").status_code == 200
    after_first = count_users(db)
    assert client.post(f"/schools/{world.school.id}/import/{token}").status_code == 409
    assert count_users(db) == after_first


# ---- access ---------------------------------------------------------------------------------

def test_other_school_admin_gets_404(world, login_as, db):
    data = csv_bytes([["STT", "Họ và tên", "Lớp"], [1, "Trần Văn An", "7A"]])
    token = token_of(upload(login_as(world.admin), world.school, data, "list.csv"))
    client = login_as(world.other_admin)
    assert client.get(f"/schools/{world.school.id}/import").status_code == 404
    assert client.post(f"/schools/{world.school.id}/import/{token}").status_code == 404
    # Their own school's address with the other school's token: still 404.
    assert client.post(f"/schools/{world.other_school.id}/import/{token}").status_code == 404
    assert client.post(f"/schools/{world.other_school.id}/import/not-a-token").status_code == 404
    assert client.post(f"/schools/{world.other_school.id}/import/{'0' * 32}").status_code == 404
    assert db.scalar(select(User).where(User.full_name == "Trần Văn An")) is None


def test_teacher_gets_403(world, login_as):
    client = login_as(world.teacher)
    assert client.get(f"/schools/{world.school.id}/import").status_code == 403
    data = csv_bytes([["STT", "Họ và tên", "Lớp"], [1, "Trần Văn An", "7A"]])
    assert upload(client, world.school, data, "list.csv").status_code == 403


def test_upload_form_shown_to_admin(world, login_as):
    response = login_as(world.admin).get(f"/schools/{world.school.id}/import")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in body and "7A" in body


def test_commit_needs_the_csrf_token(world, csrf_client, db):
    response = csrf_client.post(f"/schools/{world.school.id}/import/{'a' * 32}")
    assert response.status_code == 400


# ---- files that are not lists -------------------------------------------------------------------

def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


def test_oversized_upload_gets_a_friendly_413(world, login_as, app):
    c = login_as(world.admin)
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    try:
        r = c.post(f"/schools/{world.school.id}/import",
                   data={"file": (io.BytesIO(b"x" * 20_000), "lop.csv"), "kind": "auto", "class_id": "0"},
                   content_type="multipart/form-data")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    assert r.status_code == 413
    html = r.get_data(as_text=True)
    assert "<main" in html and "413" in html


@pytest.mark.parametrize("data, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not a spreadsheet"),
    (b"%PDF-1.4\n\xe2\xe3\xcf\xd3\n1 0 obj", "neither an Excel workbook"),
    (_zip_bytes(), "not a readable Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "old Excel file"),
    (b"", "The file is empty"),
    (b"   \r\n", "The file is empty"),
    ("Chỉ là một ghi chú, không phải danh sách\n".encode(), "No header row was found"),
], ids=["png", "pdf", "zip", "xls", "empty", "blank", "text"])
def test_non_spreadsheet_renamed_xlsx_rejected(world, login_as, db, data, message):
    before = count_users(db)
    response = upload(login_as(world.admin), world.school, data, "danh-sach.xlsx")
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert 'id="file-err"' in body and message in body
    assert 'data-testid="commit-import"' not in body
    assert count_users(db) == before


def test_parse_errors_are_roster_errors():
    with pytest.raises(RosterError):
        parse_roster(b"STT,Ghi chu\n1,x\n")


# ---- escaping and first login -------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script> Nguyễn <b>Văn</b> An'


def test_hostile_html_in_a_name_is_escaped(world, login_as, db):
    client = login_as(world.admin)
    bad = csv_bytes([["STT", "Họ và tên", "Lớp"], [1, HOSTILE, "9Z"]])
    body = upload(client, world.school, bad, "list.csv").get_data(as_text=True)
    assert "<script>alert" not in body and "&lt;script&gt;alert(" in body and "<b>Văn</b>" not in body

    good = csv_bytes([["STT", "Họ và tên", "Lớp"], [1, HOSTILE, "7A"]])
    sheet = import_web(client, world.school, good, "<b>list</b>.csv")
    assert "<script>alert" not in sheet and "&lt;script&gt;alert(" in sheet
    [(username, _)] = credentials(sheet)
    assert re.fullmatch(r"[a-z0-9]+", username)

    # Again: now the reason itself quotes the name ("… is already in the school").
    again = upload(client, world.school, good, "<b>list</b>.csv").get_data(as_text=True)
    assert "already in the school" in again
    assert "<script>alert" not in again and "<b>" not in again


def test_imported_students_must_change_password_at_first_login(world, login_as, client, db):
    data = csv_bytes([["STT", "Họ và tên", "Lớp"], [1, "Trần Văn An", "7A"]])
    [(username, password)] = credentials(import_web(login_as(world.admin), world.school, data, "list.csv"))
    client.post("/logout")
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302 and response.headers["Location"].endswith("/password")
    assert client.get("/").status_code == 302


def test_control_characters_inside_a_file_are_not_stored(world, login_as, db):
    """A NUL past the first 4 KB (where the format sniffing looks) would be a 500 on PostgreSQL."""
    rows = [["STT", "Họ và tên", "Ngày sinh", "Lớp"]] + [
        [i, f"Học Sinh Số {i}", "01/02/2013", "7A"] for i in range(1, 120)] + [[120, "Trần\x00 Văn\x07 Lạ", "", "7A"]]
    data = csv_bytes(rows)
    assert data.index(b"\x00") > 4096
    body = import_web(login_as(world.admin), world.school, data, "list.csv")
    assert len(credentials(body)) == 120
    assert db.scalar(select(User).where(User.full_name == "Trần Văn Lạ")) is not None
    assert not db.scalars(select(User.full_name).where(User.full_name.contains("\x07"))).all()

"""The demo commune: Bình Chương (Quảng Ngãi) with four schools, classes and people."""
from __future__ import annotations

import random
from datetime import date

from sqlalchemy.orm import Session

from schoolhub.accounts import services
from schoolhub.accounts.models import Membership, OrgUnit, Role, SchoolClass, SchoolLevel, UnitKind, User
from schoolhub.clock import current_school_year
from schoolhub.security import hash_password
from schoolhub.textfold import fold

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Đinh"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thanh", "Ngọc", "Quốc", "Thu", "Gia", "Bảo", "Hữu", "Phương"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hải", "Hương", "Khoa", "Lan", "Long", "Mai", "Nam", "Ngân",
         "Phúc", "Quân", "Quyên", "Tâm", "Thảo", "Trâm", "Tuấn", "Uyên", "Việt", "Vy", "Yến", "Đạt", "Lộc"]

SCHOOLS = [
    ("MN-BC", "Trường Mầm non Bình Chương", SchoolLevel.MAM_NON, [("LÁ 1", 0), ("LÁ 2", 0)]),
    ("TH1-BC", "Trường Tiểu học số 1 Bình Chương", SchoolLevel.TIEU_HOC, [("3A", 3), ("4A", 4), ("4B", 4), ("5A", 5)]),
    ("THCS-BC", "Trường THCS Bình Chương", SchoolLevel.THCS, [("6A", 6), ("7A", 7), ("7B", 7), ("8A", 8), ("9A", 9)]),
    ("THPT-BC", "Trường THPT Bình Chương", SchoolLevel.THPT, [("10A1", 10), ("11A1", 11), ("12A1", 12)]),
]


def _person(db: Session, password_hash: str, username: str, full_name: str, unit: OrgUnit, role: Role | None,
            school_class=None, birth_date: date | None = None) -> User:
    user = User(username=username, full_name=full_name, name_folded=fold(full_name),
                password_hash=password_hash, birth_date=birth_date)
    db.add(user)
    if role is not None:
        user.memberships.append(Membership(unit=unit, role=role, school_class=school_class))
    return user


def seed_demo(db: Session, password: str) -> dict[str, User]:
    """Create the demo tree and accounts; every demo account uses `password`."""
    rng = random.Random(57)
    pw = hash_password(password)  # one hash for all demo accounts keeps seeding fast
    province = services.create_unit(db, None, kind=UnitKind.PROVINCE, code="QNG", name="Tỉnh Quảng Ngãi")
    commune = services.create_unit(db, None, kind=UnitKind.COMMUNE, code="BC", name="Xã Bình Chương",
                                   parent=province)
    year = current_school_year()
    accounts: dict[str, User] = {}
    accounts["demo.officer"] = _person(db, pw, "demo.officer", "Trần Thị Thu Hà", commune, Role.OFFICER)
    accounts["demo.judge"] = _person(db, pw, "demo.judge", "Lê Văn Khoa", commune, None)
    used: set[str] = set(accounts)
    for code, name, level, class_specs in SCHOOLS:
        school = services.create_unit(db, None, kind=UnitKind.SCHOOL, code=code, name=name, parent=commune,
                                      level=level, address="Xã Bình Chương, tỉnh Quảng Ngãi")
        classes = []
        for class_name, grade in class_specs:
            school_class = SchoolClass(school_id=school.id, name=class_name, grade=grade, school_year=year)
            db.add(school_class)
            classes.append(school_class)
        db.flush()
        for _ in range(4):
            full = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            _person(db, pw, _free(full, used), full, school, Role.TEACHER)
        start_year = int(year[:4])
        for school_class in classes:
            for _ in range(8):
                full = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
                born = date(start_year - 6 - max(school_class.grade, 0) + (0 if school_class.grade else 2),
                            rng.randint(1, 12), rng.randint(1, 28))
                _person(db, pw, _free(full, used), full, school, Role.STUDENT, school_class, born)
        if code == "THCS-BC":
            accounts["demo.admin"] = _person(db, pw, "demo.admin", "Phan Đức Quân", school, Role.SCHOOL_ADMIN)
            accounts["demo.teacher"] = _person(db, pw, "demo.teacher", "Trần Thị Ngọc Ánh", school, Role.TEACHER)
            seven_a = next(c for c in classes if c.name == "7A")
            accounts["demo.student"] = _person(db, pw, "demo.student", "Nguyễn Minh Khoa", school, Role.STUDENT,
                                               seven_a, date(start_year - 12, 3, 14))
        if code == "TH1-BC":
            accounts["demo.teacher2"] = _person(db, pw, "demo.teacher2", "Võ Thị Mai", school, Role.TEACHER)
    db.flush()
    seed_lessons(db, accounts)
    return accounts


DEMO_LESSONS = [
    dict(title="Nghị quyết 57-NQ/TW: những điều giáo viên cần biết",
         summary="Tóm tắt mục tiêu, nhiệm vụ của Nghị quyết 57 về khoa học, công nghệ, đổi mới sáng tạo và "
                 "chuyển đổi số quốc gia, và việc nhà trường cần làm.",
         body="## Mục tiêu đến năm 2030\n\n- Khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số là đột phá "
              "quan trọng hàng đầu.\n- 100% cán bộ, giáo viên được phổ biến, quán triệt nghị quyết.\n\n"
              "## Nhà trường cần làm gì\n\n1. Đưa nội dung khoa học, công nghệ vào bài giảng.\n"
              "2. Sử dụng học liệu số.\n3. Thành lập câu lạc bộ STEM.\n",
         topics=("khcn", "dmst", "cds"), audiences=("teachers",), duration_minutes=30, visibility="commune",
         core=True, tags="nghị quyết 57, quán triệt"),
    dict(title="Chuyển đổi số trong trường học: bắt đầu từ đâu?",
         summary="Bài giới thiệu cho học sinh THCS về chuyển đổi số và các kỹ năng số cơ bản.",
         body="# Chuyển đổi số là gì?\n\nChuyển đổi số là dùng công nghệ số để thay đổi cách học và làm việc.\n\n"
              "| Kỹ năng | Ví dụ |\n|---|---|\n| Tìm kiếm thông tin | Dùng từ khóa chính xác |\n"
              "| An toàn thông tin | Mật khẩu mạnh, không chia sẻ |\n",
         topics=("cds", "kns"), subjects=("tin_hoc",), grades=(6, 7, 8, 9), audiences=("students",),
         duration_minutes=45, visibility="public", core=False, tags="bình dân học vụ số"),
    dict(title="Trí tuệ nhân tạo quanh em",
         summary="Hoạt động STEM 2 tiết: nhận biết ứng dụng trí tuệ nhân tạo trong đời sống.",
         body="## Hoạt động 1\n\nHọc sinh kể tên ba ứng dụng có dùng trí tuệ nhân tạo.\n\n"
              "## Hoạt động 2\n\nThảo luận: dùng AI thế nào cho an toàn và trung thực?\n",
         topics=("ai", "stem"), subjects=("tin_hoc", "cong_nghe"), grades=(8, 9), audiences=("students",),
         duration_minutes=90, visibility="commune", core=False, tags="AI, STEM"),
]


def seed_lessons(db: Session, accounts: dict[str, User]) -> None:
    """A few published lessons by the demo teacher: one core, one public, one for the commune."""
    from schoolhub.lessons import services as lesson_services
    from schoolhub.lessons.models import LessonStatus, Visibility

    author = accounts["demo.teacher"]
    school = next(m.unit for m in author.memberships)
    for spec in DEMO_LESSONS:
        spec = dict(spec)
        core = spec.pop("core")
        spec["visibility"] = Visibility(spec["visibility"])
        lesson = lesson_services.create_lesson(db, author, school, lesson_services.LessonInput(**spec))
        lesson_services.set_status(db, author, lesson, LessonStatus.PUBLISHED)
        lesson.is_core = core
    db.flush()


def _free(full_name: str, used: set[str]) -> str:
    from schoolhub.accounts.usernames import base_username

    base = base_username(full_name)
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}{n}"
    used.add(candidate)
    return candidate

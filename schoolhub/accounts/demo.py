"""Demo data of the accounts domain: Bình Chương commune (Quảng Ngãi), four schools, classes and people."""
from __future__ import annotations

import random
from datetime import date

from sqlalchemy.orm import Session

from schoolhub.accounts import services
from schoolhub.accounts.models import Membership, OrgUnit, Role, SchoolClass, SchoolLevel, UnitKind, User
from schoolhub.clock import current_school_year
from schoolhub.demo import Demo
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


def seed(db: Session, demo: Demo) -> None:
    """Create the demo tree and accounts (into `demo.accounts`); every demo account uses `demo.password`."""
    rng = random.Random(57)
    pw = demo.password_hash
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
    demo.accounts.update(accounts)


def _free(full_name: str, used: set[str]) -> str:
    from schoolhub.accounts.usernames import base_username

    base = base_username(full_name)
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}{n}"
    used.add(candidate)
    return candidate

"""The accounts domain's part of seed-scale: a province of communes and schools, classes, and
teachers, admins, officers and students with realistic Vietnamese names; the demo accounts among them."""
from __future__ import annotations

import math
from datetime import date

from sqlalchemy import update

from schoolhub.accounts import counts
from schoolhub.accounts.models import Membership, OrgUnit, Role, SchoolClass, SchoolLevel, UnitKind, User
from schoolhub.accounts.usernames import base_username
from schoolhub.clock import current_school_year
from schoolhub.scale import ScaleRun
from schoolhub.textfold import fold, name_sort_key

# Family names roughly as common as in life (Nguyễn about two in five).
FAMILY = (["Nguyễn"] * 38 + ["Trần"] * 11 + ["Lê"] * 10 + ["Phạm"] * 7 + ["Huỳnh"] * 5 + ["Phan"] * 5
          + ["Võ"] * 4 + ["Đặng"] * 2 + ["Bùi"] * 2 + ["Đỗ"] * 2 + ["Hồ"] * 2 + ["Ngô"] * 2 + ["Dương"] * 1
          + ["Đinh"] * 1 + ["Trương"] * 1 + ["Lý"] * 1 + ["Đoàn"] * 1 + ["Châu"] * 1)
MIDDLE = {"nam": ["Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Gia", "Bảo", "Công", "Anh", "Trọng", "Xuân"],
          "nữ": ["Thị", "Ngọc", "Thu", "Thanh", "Phương", "Bảo", "Khánh", "Mỹ", "Kim", "Hoài", "Diệu", "Thị"]}
GIVEN = {"nam": ["An", "Bình", "Dũng", "Đạt", "Hải", "Huy", "Hùng", "Khang", "Khoa", "Lâm", "Lộc", "Long",
                 "Minh", "Nam", "Nghĩa", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thịnh", "Toàn",
                 "Trí", "Trung", "Tuấn", "Việt", "Vinh", "Ân", "Ước", "Ơn", "Uy"],
         "nữ": ["Anh", "Ánh", "Châu", "Chi", "Diệp", "Giang", "Hà", "Hân", "Hằng", "Hương", "Lan", "Linh",
                "Mai", "My", "Ngân", "Ngọc", "Nhi", "Oanh", "Phương", "Quyên", "Tâm", "Thảo", "Trâm",
                "Trang", "Uyên", "Vân", "Vy", "Yến", "Ẩn", "Ửng", "Ơn", "Út"]}

COMMUNES = ["Bình Chương", "Bình Sơn", "Bình Minh", "Vạn Tường", "Đông Sơn", "Trường Giang", "Ba Gia",
            "Sơn Tịnh", "Thọ Phong", "Tịnh Khê", "Trương Quang Trọng", "Nghĩa Hành", "Mộ Đức", "Đức Phổ",
            "Sa Huỳnh", "Ba Tơ", "Minh Long", "Sơn Hà", "Trà Bồng", "Lý Sơn", "Tư Nghĩa", "Sơn Tây",
            "Long Phụng", "Nguyễn Nghiêm", "Phước Giang", "Đình Cương", "Thiện Tín", "An Phú"]
LEVEL_NAMES = {SchoolLevel.MAM_NON: "Trường Mầm non", SchoolLevel.TIEU_HOC: "Trường Tiểu học",
               SchoolLevel.THCS: "Trường THCS", SchoolLevel.THPT: "Trường THPT"}
LEVEL_SHORT = {SchoolLevel.MAM_NON: "MN", SchoolLevel.TIEU_HOC: "TH", SchoolLevel.THCS: "THCS",
               SchoolLevel.THPT: "THPT"}
# Students a school of each level has, relative to the others.
LEVEL_WEIGHT = {SchoolLevel.MAM_NON: 0.45, SchoolLevel.TIEU_HOC: 1.0, SchoolLevel.THCS: 1.1, SchoolLevel.THPT: 1.8}
CLASS_SIZE = 38
PRESCHOOL_GROUPS = ["MẦM", "CHỒI", "LÁ"]


class People:
    """Makes unique usernames and realistic names without asking the database."""

    def __init__(self, run: ScaleRun):
        self.rng = run.rng
        self.used: set[str] = set()

    def name(self) -> tuple[str, str]:
        gender = self.rng.choice(("nam", "nữ"))
        return (f"{self.rng.choice(FAMILY)} {self.rng.choice(MIDDLE[gender])} {self.rng.choice(GIVEN[gender])}",
                gender)

    def username(self, full_name: str) -> str:
        base = base_username(full_name)
        candidate, n = base, 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}{n}"
        self.used.add(candidate)
        return candidate


def _spread(total: int, parts: int, rng, low: int, high: int) -> list[int]:
    """`parts` whole numbers between low and high that add up to `total` (as schools over communes)."""
    sizes = [min(max(total // parts, low), high)] * parts
    i = 0
    while sum(sizes) != total:
        j = rng.randrange(parts)
        if sum(sizes) < total and sizes[j] < high:
            sizes[j] += 1
        elif sum(sizes) > total and sizes[j] > low:
            sizes[j] -= 1
        i += 1
        if i > 100_000:  # a preset whose numbers cannot fit: take the nearest
            break
    for _ in range(parts * 3):  # then shuffle sizes a little, keeping the sum
        a, b = rng.randrange(parts), rng.randrange(parts)
        if sizes[a] < high and sizes[b] > low:
            sizes[a] += 1
            sizes[b] -= 1
    return sizes


def _levels(n: int, rng) -> list[SchoolLevel]:
    """The levels of a commune's n schools: some of each, primary and lower secondary the most."""
    base = [SchoolLevel.MAM_NON, SchoolLevel.TIEU_HOC, SchoolLevel.THCS, SchoolLevel.THPT][:n]
    pool = [SchoolLevel.MAM_NON] * 3 + [SchoolLevel.TIEU_HOC] * 4 + [SchoolLevel.THCS] * 3 + [SchoolLevel.THPT]
    return base + [rng.choice(pool) for _ in range(n - len(base))]


def _proportional(total: int, weights: list[float]) -> list[int]:
    raw = [total * w / sum(weights) for w in weights]
    out = [math.floor(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[: total - sum(out)]:
        out[i] += 1
    return out


def seed(run: ScaleRun) -> None:
    """Province, communes, schools, classes and people, in batches."""
    preset, rng, db = run.preset, run.rng, run.session
    people = People(run)
    year = current_school_year()
    start_year = int(year[:4])
    demo_users = {"demo.officer", "demo.admin", "demo.teacher", "demo.student", "demo.teacher2", "demo.judge"}
    people.used |= demo_users

    # Units: the province, its communes, their schools (paths need ids: insert, then set them).
    names = COMMUNES[: preset.communes] + [f"Xã số {i}" for i in range(len(COMMUNES), preset.communes)]
    per_commune = _spread(preset.schools, preset.communes, rng, 8, 15) if preset.communes > 1 else [preset.schools]
    units = [{"kind": UnitKind.PROVINCE, "parent_id": None, "code": "QNG", "name": "Tỉnh Quảng Ngãi",
              "name_folded": fold("Tỉnh Quảng Ngãi"), "level": None, "address": "", "path": "/tmp-QNG/"}]
    province_id = run.insert_rows(OrgUnit.__table__, units, total=1, label="province", returning=OrgUnit.id)[0]
    communes = [{"kind": UnitKind.COMMUNE, "parent_id": province_id, "code": f"X{i:02d}", "name": f"Xã {name}",
                 "name_folded": fold(f"Xã {name}"), "level": None, "address": "", "path": f"/tmp-X{i:02d}/"}
                for i, name in enumerate(names)]
    commune_ids = run.insert_rows(OrgUnit.__table__, communes, total=len(communes), label="communes",
                                  returning=OrgUnit.id)
    schools = []
    for c, (commune_id, name, n) in enumerate(zip(commune_ids, names, per_commune, strict=True)):
        numbers: dict[SchoolLevel, int] = {}
        for level in _levels(n, rng):
            numbers[level] = numbers.get(level, 0) + 1
            label = f"{LEVEL_NAMES[level]} số {numbers[level]} {name}" if numbers[level] > 1 or level in (
                SchoolLevel.TIEU_HOC,) else f"{LEVEL_NAMES[level]} {name}"
            code = f"{LEVEL_SHORT[level]}{numbers[level]}-X{c:02d}"
            schools.append({"kind": UnitKind.SCHOOL, "parent_id": commune_id, "code": code, "name": label,
                            "name_folded": fold(label), "level": level,
                            "address": f"Xã {name}, tỉnh Quảng Ngãi", "path": f"/tmp-{code}/"})
    school_ids = run.insert_rows(OrgUnit.__table__, schools, total=len(schools), label="schools",
                                 returning=OrgUnit.id)
    paths = [{"id": province_id, "path": f"/{province_id}/"}]
    paths += [{"id": cid, "path": f"/{province_id}/{cid}/"} for cid in commune_ids]
    school_commune = {sid: s["parent_id"] for sid, s in zip(school_ids, schools, strict=True)}
    paths += [{"id": sid, "path": f"/{province_id}/{school_commune[sid]}/{sid}/"} for sid in school_ids]
    db.execute(update(OrgUnit), paths)
    db.commit()
    levels = {sid: s["level"] for sid, s in zip(school_ids, schools, strict=True)}

    # Classes per grade, sized to the school's students.
    students_per_school = _proportional(preset.students, [LEVEL_WEIGHT[levels[s]] * rng.uniform(0.7, 1.3)
                                                          for s in school_ids])
    class_rows, class_students = [], []
    for sid, n_students in zip(school_ids, students_per_school, strict=True):
        grades = list(range(0, 1)) if levels[sid] == SchoolLevel.MAM_NON else {
            SchoolLevel.TIEU_HOC: range(1, 6), SchoolLevel.THCS: range(6, 10), SchoolLevel.THPT: range(10, 13)}[levels[sid]]
        per_grade = _proportional(n_students, [1.0] * len(grades))
        for grade, in_grade in zip(grades, per_grade, strict=True):
            n_classes = max(1, math.ceil(in_grade / CLASS_SIZE))
            sizes = _proportional(in_grade, [1.0] * n_classes)
            for k, size in enumerate(sizes):
                if grade == 0:
                    name = f"{PRESCHOOL_GROUPS[k % 3]} {k // 3 + 1}"
                elif grade >= 10:
                    name = f"{grade}A{k + 1}"
                else:
                    name = f"{grade}{chr(ord('A') + k)}" if k < 26 else f"{grade}A{k}"
                class_rows.append({"school_id": sid, "name": name, "grade": grade, "school_year": year})
                class_students.append(size)
    class_ids = run.insert_rows(SchoolClass.__table__, class_rows, total=len(class_rows), label="classes",
                                returning=SchoolClass.id)

    # People: officers, admins, teachers, students (users first, then their memberships).
    users, memberships = [], []

    def person(full_name, unit_id, role, username=None, class_id=None, birth=None, gender=None, position=None):
        username = username or people.username(full_name)
        users.append({"username": username, "full_name": full_name, "name_folded": fold(full_name),
                      "name_sort": name_sort_key(full_name), "password_hash": run.password_hash, "birth_date": birth, "gender": gender,
                      "position": position})
        memberships.append((unit_id, role, class_id) if role is not None else None)

    for i, cid in enumerate(commune_ids):
        if i == 0:
            person("Trần Thị Thu Hà", cid, Role.OFFICER, "demo.officer", gender="nữ")
        else:
            full, gender = people.name()
            person(full, cid, Role.OFFICER, gender=gender, position="Cán bộ Văn hóa - Xã hội")
    first_thcs = next(s for s in school_ids if levels[s] == SchoolLevel.THCS and school_commune[s] == commune_ids[0])
    first_th = next(s for s in school_ids if levels[s] == SchoolLevel.TIEU_HOC and school_commune[s] == commune_ids[0])
    for sid in school_ids:
        if sid == first_thcs:
            person("Phan Đức Quân", sid, Role.SCHOOL_ADMIN, "demo.admin", gender="nam", position="Hiệu trưởng")
        else:
            full, gender = people.name()
            person(full, sid, Role.SCHOOL_ADMIN, gender=gender, position="Hiệu trưởng")
    teachers_per_school = _proportional(preset.teachers, students_per_school)
    for sid, n in zip(school_ids, teachers_per_school, strict=True):
        for k in range(n):
            if sid == first_thcs and k == 0:
                person("Trần Thị Ngọc Ánh", sid, Role.TEACHER, "demo.teacher", gender="nữ", position="Giáo viên")
            elif sid == first_th and k == 0:
                person("Võ Thị Mai", sid, Role.TEACHER, "demo.teacher2", gender="nữ", position="Giáo viên")
            else:
                full, gender = people.name()
                person(full, sid, Role.TEACHER, gender=gender, position="Giáo viên")
    demo_student_given = False
    for class_id, row, size in zip(class_ids, class_rows, class_students, strict=True):
        born_year = start_year - 6 - row["grade"] if row["grade"] else start_year - 4
        for _ in range(size):
            if not demo_student_given and row["school_id"] == first_thcs and row["grade"] == 7:
                person("Nguyễn Minh Khoa", row["school_id"], Role.STUDENT, "demo.student", class_id,
                       date(born_year, 3, 14), "nam")
                demo_student_given = True
                continue
            full, gender = people.name()
            person(full, row["school_id"], Role.STUDENT, class_id=class_id,
                   birth=date(born_year, rng.randint(1, 12), rng.randint(1, 28)), gender=gender)
    person("Lê Văn Khoa", None, None, "demo.judge", gender="nam", position="Chuyên gia")
    user_ids = run.insert_rows(User.__table__, users, total=len(users), label="users", returning=User.id)
    # With their users' list order (accounts.sortkeys keeps it for the ORM's writes; these bypass it).
    rows = [{"user_id": uid, "unit_id": m[0], "role": m[1], "class_id": m[2], "user_inactive": False,
             "user_sort": u["name_sort"]}
            for uid, u, m in zip(user_ids, users, memberships, strict=True) if m is not None]
    run.insert_rows(Membership.__table__, rows, total=len(rows), label="memberships")
    counts.recount(db.connection())  # Core inserts bypass the counters kept on write
    counts.recount_classes(db.connection())
    db.commit()
    by_role: dict[Role, list[tuple[int, int]]] = {}
    for uid, m in zip(user_ids, memberships, strict=True):
        if m is not None:
            by_role.setdefault(m[1], []).append((uid, m[0]))
    run.made.update(province=province_id, communes=commune_ids, schools=school_ids, school_commune=school_commune,
                    levels=levels, people=by_role,
                    demo={u["username"]: uid for uid, u in zip(user_ids, users, strict=True)
                          if u["username"] in demo_users})

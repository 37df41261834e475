"""Page benchmark: `make bench` (not part of `make test`; speed is measured, not asserted).

Builds a throw-away SQLite database with the demo commune plus SCHOOLS extra
schools of CLASSES classes × STUDENTS students, then times the main pages
through the WSGI test client (no network), reporting the median and p95.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

from schoolhub import create_app
from schoolhub.accounts.models import Membership, OrgUnit, Role, SchoolClass, SchoolLevel, User
from schoolhub.db import get_session
from schoolhub.migrate import upgrade

SCHOOLS = int(os.environ.get("BENCH_SCHOOLS", 20))
CLASSES = int(os.environ.get("BENCH_CLASSES", 10))
STUDENTS = int(os.environ.get("BENCH_STUDENTS", 35))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 50))
LESSONS = int(os.environ.get("BENCH_LESSONS", 2000))

WORDS = ("chuyển đổi số", "trí tuệ nhân tạo", "đổi mới sáng tạo", "khoa học", "công nghệ", "STEM", "an toàn",
         "thông tin", "học sinh", "giáo viên", "bài giảng", "thực hành", "robot", "năng lượng", "môi trường")


def add_lessons(app, n: int) -> int:
    """n published lessons with ~3 KB bodies, spread over the schools; returns one lesson id."""
    import random

    from schoolhub.db import utcnow
    from schoolhub.lessons.models import Lesson, LessonStatus, Visibility
    from schoolhub.lessons.services import index_lesson

    rng = random.Random(57)
    with app.app_context():
        db = get_session()
        schools = db.scalars(select(OrgUnit.id).where(OrgUnit.kind == "school")).all()
        author = db.scalar(select(User.id).where(User.username == "demo.teacher"))
        rows = []
        for i in range(n):
            title = f"Bài {i}: " + " ".join(rng.sample(WORDS, 3))
            body = "\n\n".join(" ".join(rng.choices(WORDS, k=12)) for _ in range(20))
            lesson = Lesson(title=title, summary=" ".join(rng.sample(WORDS, 5)), body=body, tags="", topics=",cds,",
                            subjects=",tin_hoc,", grades=",7,", audiences=",students,")
            index_lesson(lesson)
            rows.append({"school_id": rng.choice(schools), "author_id": author, "title": title,
                         "summary": lesson.summary, "body": body, "topics": ",cds," if i % 3 else ",ai,",
                         "subjects": ",tin_hoc,", "grades": f",{6 + i % 4},", "audiences": ",students,",
                         "tags": "", "video_url": "", "is_core": False, "status": LessonStatus.PUBLISHED.value,
                         "visibility": (Visibility.COMMUNE if i % 2 else Visibility.PUBLIC).value,
                         "source_credit": "", "title_folded": lesson.title_folded,
                         "search_folded": lesson.search_folded, "search_exact": lesson.search_exact,
                         "body_html": lesson.body_html,
                         "revision_count": 1, "created_at": utcnow(), "updated_at": utcnow(),
                         "published_at": utcnow()})
        db.execute(insert(Lesson), rows)
        db.commit()
        return db.scalar(select(Lesson.id).order_by(Lesson.id.desc()).limit(1))


def build(url: str):
    upgrade(url)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False,
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1", "RATELIMIT_ENABLED": False})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo", "--password", "bench-pass"]).exit_code == 0
    with app.app_context():
        from schoolhub.accounts import services

        db = get_session()
        commune = db.scalar(select(OrgUnit).where(OrgUnit.code == "BC"))
        pw = db.scalar(select(User.password_hash).where(User.username == "demo.admin"))
        n = 0
        for s in range(SCHOOLS):
            school = services.create_unit(db, None, kind=services.UnitKind.SCHOOL, code=f"B{s:03d}",
                                          name=f"Trường THCS số {s}", parent=commune, level=SchoolLevel.THCS)
            for c in range(CLASSES):
                cls = SchoolClass(school_id=school.id, name=f"{6 + c % 4}A{c}", grade=6 + c % 4, school_year="2025-2026")
                db.add(cls)
                db.flush()
                rows = []
                for _ in range(STUDENTS):
                    n += 1
                    rows.append({"username": f"hs{n}", "full_name": f"Nguyễn Văn {n}", "name_folded": f"nguyen van {n}",
                                 "password_hash": pw, "session_token": f"{n:032d}"})
                ids = db.scalars(insert(User).returning(User.id), rows).all()
                db.execute(insert(Membership), [{"user_id": i, "unit_id": school.id, "role": Role.STUDENT,
                                                 "class_id": cls.id} for i in ids])
        db.commit()
    return app, n


def timed(client, url: str) -> tuple[float, float]:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        response.close()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app, extra = build(url)
        with app.app_context():
            db = get_session()
            commune_id = db.scalar(select(OrgUnit.id).where(OrgUnit.code == "BC"))
            school_id = db.scalar(select(OrgUnit.id).where(OrgUnit.code == "B000"))
        print(f"data: demo commune + {SCHOOLS} schools × {CLASSES} classes × {STUDENTS} students = {extra} extra students")
        print(f"{'page':45} {'median ms':>10} {'p95 ms':>8}")
        for username, url in [
            ("demo.officer", "/"),
            ("demo.officer", f"/communes/{commune_id}/schools"),
            ("demo.admin", "/"),
            ("demo.student", "/"),
        ]:
            client = app.test_client()
            client.post("/login", data={"username": username, "password": "bench-pass"})
            med, p95 = timed(client, url)
            print(f"{username + ' ' + url:45} {med:10.1f} {p95:8.1f}")
        # A school admin of a big school: the paginated student list and its search.
        with app.app_context():
            from schoolhub.accounts import services

            db = get_session()
            school = db.get(OrgUnit, school_id)
            services.create_user(db, None, full_name="Quản Trị Bench", role=Role.SCHOOL_ADMIN, unit=school,
                                 username="bench.admin", password="bench-pass")
            db.commit()
        client = app.test_client()
        client.post("/login", data={"username": "bench.admin", "password": "bench-pass"})
        for url in (f"/schools/{school_id}/students", f"/schools/{school_id}/students?q=nguyen van 17",
                    f"/schools/{school_id}/students?page=10"):
            med, p95 = timed(client, url)
            print(f"{'bench.admin ' + url:45} {med:10.1f} {p95:8.1f}")
        # Lessons: browse, accent-insensitive search, filters, one lesson, the public feed.
        lesson_id = add_lessons(app, LESSONS)
        print(f"lessons: {LESSONS} published lessons of ~3 KB")
        client = app.test_client()
        client.post("/login", data={"username": "demo.student", "password": "bench-pass"})
        for url in ("/lessons", "/lessons?q=chuyen+doi+so", "/lessons?q=tri+tue+nhan+tao&topic=ai",
                    "/lessons?q=Tr%C3%AD+tu%E1%BB%87", f"/lessons/{lesson_id}", "/lessons/feed.atom"):
            med, p95 = timed(client, url)
            print(f"{'demo.student ' + url:45} {med:10.1f} {p95:8.1f}")
        app.extensions["schoolhub.engine"].dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

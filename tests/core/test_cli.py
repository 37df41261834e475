"""Command-line tools: seed-demo, create-user, init-db, backup."""
from __future__ import annotations

import sqlite3

from sqlalchemy import func, select

from schoolhub.accounts.models import LEVEL_GRADES, OrgUnit, Role, SchoolLevel, UnitKind, User


def test_seed_demo_builds_the_commune(app, db, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--password", "demo-pass-57"])
    assert result.exit_code == 0, result.output
    commune = db.scalar(select(OrgUnit).where(OrgUnit.kind == UnitKind.COMMUNE))
    assert commune.name == "Xã Bình Chương" and commune.parent.name == "Tỉnh Quảng Ngãi"
    schools = db.scalars(select(OrgUnit).where(OrgUnit.kind == UnitKind.SCHOOL)).all()
    assert len(schools) >= 4 and len({s.level for s in schools}) >= 3
    users = {u.username: u for u in db.scalars(select(User).where(User.username.like("demo.%")))}
    assert set(users) == {"demo.officer", "demo.admin", "demo.teacher", "demo.student", "demo.teacher2", "demo.judge"}
    roles = {name: {(m.role, m.unit.code) for m in u.memberships} for name, u in users.items()}
    assert roles["demo.officer"] == {(Role.OFFICER, commune.code)}
    assert roles["demo.admin"] == {(Role.SCHOOL_ADMIN, "THCS-BC")}
    assert roles["demo.teacher"] == {(Role.TEACHER, "THCS-BC")}
    assert roles["demo.student"] == {(Role.STUDENT, "THCS-BC")}
    assert roles["demo.teacher2"] and roles["demo.teacher2"] != roles["demo.teacher"]
    assert roles["demo.judge"] == set()
    thcs = next(s for s in schools if s.code == "THCS-BC")
    assert thcs.level == SchoolLevel.THCS
    for s in schools:
        for m in s.path.strip("/").split("/"):
            assert m.isdigit()
    # Every demo account logs in with the given password.
    for name in users:
        r = client.post("/login", data={"username": name, "password": "demo-pass-57"})
        assert r.status_code == 302 and r.headers["Location"] == "/", name
        client.post("/logout")
    # Seeding twice is refused; --if-empty is a quiet no-op.
    assert runner.invoke(args=["seed-demo"]).exit_code != 0
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0


def test_demo_classes_fit_their_school_level(app, db):
    app.test_cli_runner().invoke(args=["seed-demo"])
    for school in db.scalars(select(OrgUnit).where(OrgUnit.kind == UnitKind.SCHOOL)):
        from schoolhub.accounts.models import SchoolClass

        grades = db.scalars(select(SchoolClass.grade).where(SchoolClass.school_id == school.id)).all()
        assert grades and all(g in LEVEL_GRADES[school.level] for g in grades), school.name


def test_create_user_with_a_role(app, db, factory):
    commune = factory.commune()
    db.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "Can.Bo", "--name", "Trần Văn Cán", "--role", "officer",
                                 "--unit", commune.code.lower(), "--password", "mat-khau-dai"])
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.username == "can.bo"))
    assert user.full_name == "Trần Văn Cán" and user.memberships[0].role == Role.OFFICER
    again = runner.invoke(args=["create-user", "can.bo", "--name", "X", "--password", "mat-khau-dai"])
    assert again.exit_code != 0 and "already taken" in again.output
    short = runner.invoke(args=["create-user", "ai.do", "--name", "X", "--password", "ngan"])
    assert short.exit_code != 0
    no_unit = runner.invoke(args=["create-user", "ai.do", "--name", "X", "--role", "officer", "--password", "mat-khau-dai"])
    assert no_unit.exit_code != 0
    bad_unit = runner.invoke(args=["create-user", "ai.do", "--name", "X", "--role", "officer", "--unit", "NOPE",
                                   "--password", "mat-khau-dai"])
    assert bad_unit.exit_code != 0
    assert db.scalar(select(func.count(User.id)).where(User.username == "ai.do")) == 0


def test_backup_copies_a_consistent_sqlite_file(build_app, tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    app = build_app({"DATABASE_URL": url, "BACKUP_DIR": str(tmp_path / "backups"), "UPLOAD_DIR": str(tmp_path / "up")})
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "a.txt").write_text("tệp")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    copies = list((tmp_path / "backups").glob("*/live.sqlite3"))
    assert len(copies) == 1
    with sqlite3.connect(copies[0]) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM users WHERE username LIKE 'demo.%'").fetchone()[0] == 6
    assert (copies[0].parent / "uploads" / "a.txt").read_text() == "tệp"


def test_backup_refuses_postgresql(build_app):
    # Issue 9: backup now runs pg_dump on PostgreSQL, so a database that does not answer is the refusal.
    app = build_app({"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none"})
    result = app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code != 0 and "pg_dump" in result.output


def test_recount_corrects_every_kept_figure_and_says_how_many_were_wrong(app, db, world, factory):
    """`flask recount` counts each domain's figures again from the rows: a drift (rows written around the
    counters) is corrected and reported; a second run finds nothing wrong."""
    from sqlalchemy import update

    from schoolhub.accounts.models import UnitCount
    from schoolhub.lessons import counts as lesson_counts
    from schoolhub.lessons.models import SchoolLessons

    with app.test_request_context():
        factory.lesson(world.school, world.teacher, visibility="public")
        factory.lesson(world.other_school, world.other_teacher, visibility="commune")
    db.execute(update(SchoolLessons).values(public=SchoolLessons.public + 5))  # both schools' rows drift
    db.execute(update(UnitCount).where(UnitCount.unit_id == world.school.id).values(students=99))
    db.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["recount"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.output.splitlines())
    assert lines["school_lessons"] == "2 rows, 2 corrected"
    assert lines["unit_counts"].endswith(", 1 corrected")
    assert lines["core_readers"].endswith(", 0 corrected")
    kept = {tuple(r) for r in db.execute(select(SchoolLessons.school_id, SchoolLessons.public, SchoolLessons.commune,
                                                SchoolLessons.school))}
    assert kept == {tuple(r) for r in db.execute(lesson_counts.shelves_select())}
    assert db.scalar(select(UnitCount.students).where(UnitCount.unit_id == world.school.id)) == 1
    again = runner.invoke(args=["recount"])
    assert again.exit_code == 0
    assert all(line.endswith(" 0 corrected") for line in again.output.splitlines()), again.output

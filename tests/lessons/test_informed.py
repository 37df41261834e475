"""Figures with names behind them (issue 10, point 4).

"Teachers informed" is one figure everywhere: active accounts with the teacher role (not the school's
admins) who confirmed at least one core lesson, over all active teachers. The officer sees it per school
and may open the teachers' names; the school admin sees, for each core lesson, who has and has not
confirmed it, and downloads it as XLSX. Students' names are never listed. Pages cost the same number of
statements for a small and a large school.
"""
from __future__ import annotations

import io
import re

import lxml.html
from openpyxl import load_workbook

from schoolhub.accounts.models import Role
from schoolhub.lessons import queries
from schoolhub.lessons import services as lesson_services


def _doc(response):
    return lxml.html.fromstring(response.get_data(as_text=True))


def _core(factory, login_as, world, marker=None, **fields):
    lesson = factory.lesson(world.school, world.teacher, visibility="commune", **fields)
    response = login_as(marker or world.officer).post(f"/lessons/{lesson.id}/core", data={"is_core": "1"})
    assert response.status_code == 302
    return lesson


def _confirm(login_as, person, lesson):
    assert login_as(person).post(f"/lessons/{lesson.id}/confirm").status_code == 302


def test_the_figure_counts_active_teachers_not_admins(world, factory, login_as, db, app):
    lesson = _core(factory, login_as, world, audiences=("teachers",))
    gone = factory.user(Role.TEACHER, world.school, full_name="Trần Văn Nghỉ")
    gone.is_active_account = False
    db.commit()
    _confirm(login_as, world.admin, lesson)  # an admin's confirmation is not a teacher's
    figures = queries.informed_by_school(db, [world.school.id, world.other_school.id])
    assert (figures[world.school.id].informed, figures[world.school.id].teachers) == (0, 1)
    _confirm(login_as, world.teacher, lesson)
    _confirm(login_as, world.other_teacher, lesson)
    figures = queries.informed_by_school(db, [world.school.id, world.other_school.id])
    assert (figures[world.school.id].informed, figures[world.school.id].teachers) == (1, 1)
    assert (figures[world.other_school.id].informed, figures[world.other_school.id].teachers) == (1, 1)
    total = queries.informed_teachers(db, world.commune)
    assert (total.informed, total.teachers) == (2, 2)  # the admins are not in the 2


def test_the_commune_figures_in_one_statement_are_the_two_definitions(world, factory, login_as, db, app,
                                                                      count_queries):
    """The officer's home reads per-school figures and the commune's total in one statement: the same as
    informed_by_school and informed_teachers, with a deactivated school (listed, not in the total) and
    a teacher of two schools (counted once in the total)."""
    from schoolhub.accounts import services as account_services
    from schoolhub.accounts.queries import schools_under

    lesson = _core(factory, login_as, world, audiences=("teachers",))
    closed = factory.school(world.commune, name="Trường Tiểu học Đã Đóng")
    closed_teacher = factory.user(Role.TEACHER, closed, full_name="Lý Thị Đóng")
    both = factory.user(Role.TEACHER, world.school, full_name="Cao Văn Hai")
    db.commit()
    for person in (world.teacher, closed_teacher, both):
        _confirm(login_as, person, lesson)
    both.memberships.append(type(both.memberships[0])(unit=world.other_school, role=Role.TEACHER))
    with app.test_request_context():
        account_services.set_school_active(db, world.officer, closed, False)
    db.commit()
    schools = schools_under(db, world.commune)
    with count_queries() as statements:
        per_school, total = queries.informed_in_commune(db, world.commune, schools)
    assert len(statements) == 1
    assert per_school == queries.informed_by_school(db, [s.id for s in schools])
    assert total == queries.informed_teachers(db, world.commune)
    assert (per_school[closed.id].informed, per_school[closed.id].teachers) == (1, 1)
    assert (per_school[world.other_school.id].teachers, per_school[world.other_school.id].informed) == (2, 1)
    assert (total.informed, total.teachers) == (2, 3)  # teacher and "both"; the closed school's are out


def test_the_officer_sees_the_figure_per_school_and_the_names_behind_it(world, factory, login_as):
    lesson = _core(factory, login_as, world)  # no audience named: teachers and students are asked
    _confirm(login_as, world.teacher, lesson)
    _confirm(login_as, world.student, lesson)
    home = _doc(login_as(world.officer).get("/"))
    cells = {row.xpath("td")[0].text_content().strip(): row.xpath("td")[1].text_content().strip()
             for row in home.xpath('//table[contains(@class, "informed")]/tbody/tr')}
    assert cells == {"Trường THCS Bình Chương": "1/1", "Trường THCS Bình Minh": "0/1"}
    [total] = home.xpath('//*[@data-testid="informed"]')
    assert re.findall(r"\d+", total.text_content()) == ["57", "1", "2"]  # "Nghị quyết 57 … 1 of 2"
    link = home.xpath(f'//a[@href="/lessons/informed/{world.school.id}"]')
    assert link, "the figure links to the names"
    names = login_as(world.officer).get(f"/lessons/informed/{world.school.id}")
    assert names.status_code == 200
    text = names.get_data(as_text=True)
    assert world.teacher.full_name in text
    assert world.student.full_name not in text, "students' names never leave their school"


def test_the_school_admin_sees_who_has_and_has_not_confirmed_each_core_lesson(world, factory, login_as, db):
    second = factory.user(Role.TEACHER, world.school, full_name="Đặng Thu Hà")
    db.commit()
    first = _core(factory, login_as, world, marker=world.admin, title="Nghị quyết 57 cho giáo viên",
                  audiences=("teachers",))
    other = _core(factory, login_as, world, marker=world.admin, title="An toàn thông tin", audiences=("teachers",))
    for_students = _core(factory, login_as, world, marker=world.admin, title="Cho học sinh", audiences=("students",))
    _confirm(login_as, world.teacher, first)
    _confirm(login_as, second, other)
    doc = _doc(login_as(world.admin).get(f"/lessons/informed/{world.school.id}"))
    sections = {int(s.get("data-lesson")): s for s in doc.xpath('//section[@data-lesson]')}
    assert set(sections) == {first.id, other.id}, "only the lessons asking teachers"
    assert for_students.id not in sections

    def names(section, kind):
        return [li.text_content().split("·")[0].strip() for li in section.xpath(f'.//ul[contains(@class, "{kind}")]/li')]

    assert names(sections[first.id], "confirmed") == [world.teacher.full_name]
    assert names(sections[first.id], "waiting-list") == [second.full_name]
    assert names(sections[other.id], "confirmed") == [second.full_name]
    assert names(sections[other.id], "waiting-list") == [world.teacher.full_name]
    # The admin's home shows the same, per lesson, and leads there.
    home = _doc(login_as(world.admin).get("/"))
    assert home.xpath(f'//a[@href="/lessons/informed/{world.school.id}"]')
    assert home.text_content().count("1/2 đã xác nhận") == 2  # each lesson: one of the two teachers
    # Another school's admin sees none of it.
    assert login_as(world.other_admin).get(f"/lessons/informed/{world.school.id}").status_code == 404
    assert login_as(world.teacher).get(f"/lessons/informed/{world.school.id}").status_code == 403


def test_the_home_figures_per_lesson_are_the_names_page_counted(world, factory, login_as, db, app):
    """The admin's home counts, per core lesson, exactly the teachers the names page lists as confirmed:
    not the admin, not a deactivated teacher, not a teacher who left, not another school's teacher."""
    from schoolhub.accounts import services as account_services

    colleague = world.colleague
    gone = factory.user(Role.TEACHER, world.school, full_name="Trần Văn Nghỉ")
    db.commit()
    lesson = _core(factory, login_as, world, marker=world.admin, title="Nghị quyết 57", audiences=("teachers",))
    older = _core(factory, login_as, world, marker=world.admin, title="Chuyển đổi số", audiences=("teachers",))
    for person in (world.admin, world.teacher, colleague, gone):
        _confirm(login_as, person, lesson)
    _confirm(login_as, colleague, older)
    gone.is_active_account = False
    with app.test_request_context():
        account_services.move_member(db, world.admin, colleague, world.school, world.other_school)
    db.commit()
    teachers, per_lesson = queries.school_confirmations(db, world.school)
    listed = {c.lesson.id: len(c.confirmed) for c in per_lesson}
    figure, rows = queries.school_informed(db, world.school)
    counted = {row.id: row.confirmed for row in rows}
    assert counted == listed == {lesson.id: 1, older.id: 0}  # only world.teacher, of the two still teaching
    assert [row.id for row in rows] == [c.lesson.id for c in per_lesson]
    assert figure.teachers == len(teachers)
    home = _doc(login_as(world.admin).get("/")).text_content()
    assert f"1/{len(teachers)} đã xác nhận" in home and f"0/{len(teachers)} đã xác nhận" in home


def test_the_list_downloads_as_a_spreadsheet_whose_names_stay_text(world, factory, login_as, db):
    factory.user(Role.TEACHER, world.school, full_name='=HYPERLINK("http://x.example","Bấm")')
    db.commit()
    lesson = _core(factory, login_as, world, marker=world.admin, title="Nghị quyết 57", audiences=("teachers",))
    _confirm(login_as, world.teacher, lesson)
    response = login_as(world.admin).get(f"/lessons/informed/{world.school.id}.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][1:4] == ["Họ và tên", "Chức vụ", "Nghị quyết 57"]
    by_name = {row[1]: row for row in rows[1:]}
    assert set(by_name) == {world.teacher.full_name, '=HYPERLINK("http://x.example","Bấm")'}
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", by_name[world.teacher.full_name][3])
    assert by_name[world.teacher.full_name][4] == "có"
    hostile = next(c for row in sheet.iter_rows(min_row=2) for c in row if str(c.value).startswith("=HYPER"))
    assert hostile.data_type == "s", "a name is never written as a formula"


def _statements(client, count_queries, url) -> int:
    client.get(url)  # warm: the login loader and the first request's lookups
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def _grow(factory, world, db, n: int, lessons: list):
    """n more teachers in each school, each confirming some of the lessons."""
    db.expire_all()  # the lessons were marked core through the web
    for i in range(n):
        for school in (world.school, world.other_school):
            teacher = factory.user(Role.TEACHER, school, full_name=f"Giáo Viên Thêm {school.id} {i}")
            factory.user(Role.STUDENT, school, full_name=f"Học Sinh Thêm {school.id} {i}",
                         school_class=world.school_class if school is world.school else world.other_class)
            for lesson in lessons[: i % (len(lessons) + 1)]:
                lesson_services.confirm_read(db, teacher, lesson)
    db.commit()


def test_these_pages_cost_the_same_statements_for_a_small_and_a_large_school(world, factory, login_as, db,
                                                                             count_queries):
    lessons = [_core(factory, login_as, world, title=f"Cốt lõi {i}", audiences=("teachers",)) for i in range(2)]
    urls = {world.officer: ["/", f"/lessons/informed/{world.school.id}", f"/lessons/informed/{world.school.id}.xlsx"],
            world.admin: ["/", f"/lessons/informed/{world.school.id}", f"/lessons/informed/{world.school.id}.xlsx"]}
    small = {(who.username, url): _statements(login_as(who), count_queries, url)
             for who, paths in urls.items() for url in paths}
    _grow(factory, world, db, 12, lessons)
    lessons += [_core(factory, login_as, world, title=f"Cốt lõi thêm {i}", audiences=("teachers",)) for i in range(3)]
    large = {(who.username, url): _statements(login_as(who), count_queries, url)
             for who, paths in urls.items() for url in paths}
    assert large == small

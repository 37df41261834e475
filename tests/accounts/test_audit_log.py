"""The audit log page (issue 9, point 8): who may read it, the filters, the pages, the labels."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from schoolhub import policy
from schoolhub.accounts.policy import VIEW_AUDIT
from schoolhub.audit import AuditLog
from schoolhub.clock import local_today, utcnow


def _rows(html: str) -> int:
    body = html.split('data-testid="audit-log"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr>") - body.count('<td colspan="5">')


def test_who_reads_which_log(world):
    assert policy.can(VIEW_AUDIT, world.school, world.admin)
    assert policy.can(VIEW_AUDIT, world.school, world.officer)
    assert policy.can(VIEW_AUDIT, world.commune, world.officer)
    assert not policy.can(VIEW_AUDIT, world.commune, world.admin)
    assert not policy.can(VIEW_AUDIT, world.other_school, world.admin)
    for user in (world.teacher, world.student, world.outsider):
        assert not policy.can(VIEW_AUDIT, world.school, user)


def test_the_log_lists_filters_and_pages(world, factory, login_as, db, app):
    c = login_as(world.admin)
    for _n in range(3):  # three sensitive actions by the admin in the school
        assert c.post(f"/schools/{world.school.id}/people/{world.student.id}/password").status_code in (200, 302)
    factory.lesson(world.school, world.teacher, title="Bài về AI")  # lesson.published by the teacher
    factory.lesson(world.other_school, world.other_teacher)  # another school's: never shown here
    db.execute(update(AuditLog).where(AuditLog.action == "user.reset_password")
               .values(created_at=utcnow() - timedelta(days=3)))
    db.commit()
    page = c.get(f"/units/{world.school.id}/audit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Đã cấp mật khẩu dùng một lần" in html and "Đã xuất bản bài học" in html
    assert "Phan Đức Quân" in html and "Lê Bảo Yến" in html
    total = _rows(html)
    only_admin = c.get(f"/units/{world.school.id}/audit?person={world.admin.id}").get_data(as_text=True)
    assert _rows(only_admin) == 3 and "Đã xuất bản bài học" not in only_admin.split("<tbody>")[1]
    only_publish = c.get(f"/units/{world.school.id}/audit?action=lesson.published").get_data(as_text=True)
    assert _rows(only_publish) == 1
    today = local_today().isoformat()
    since_today = c.get(f"/units/{world.school.id}/audit?since={today}").get_data(as_text=True)
    assert _rows(since_today) == total - 3
    old = (local_today() - timedelta(days=3)).isoformat()
    that_day = c.get(f"/units/{world.school.id}/audit?since={old}&until={old}").get_data(as_text=True)
    assert _rows(that_day) == 3
    bad = c.get(f"/units/{world.school.id}/audit?since=2026-13-45&person=abc&action=drop")
    assert bad.status_code == 200 and _rows(bad.get_data(as_text=True)) == total
    app.config["PER_PAGE"], saved = 2, app.config["PER_PAGE"]
    try:
        paged = c.get(f"/units/{world.school.id}/audit?page=2").get_data(as_text=True)
        assert _rows(paged) == 2 and 'rel="prev"' in paged
    finally:
        app.config["PER_PAGE"] = saved


def test_the_officer_reads_the_commune_and_its_schools(world, factory, login_as):
    factory.lesson(world.school, world.teacher, title="Ở trường A")
    factory.lesson(world.other_school, world.other_teacher, title="Ở trường B")
    c = login_as(world.officer)
    commune = c.get(f"/units/{world.commune.id}/audit").get_data(as_text=True)
    assert "Ở trường A" in commune and "Ở trường B" in commune
    assert f"/units/{world.commune.id}/audit" in c.get(f"/communes/{world.commune.id}/schools").get_data(as_text=True)
    school = c.get(f"/units/{world.school.id}/audit").get_data(as_text=True)
    assert "Ở trường A" in school and "Ở trường B" not in school


def test_the_school_page_links_the_log_for_its_admin_only(world, login_as):
    link = f"/units/{world.school.id}/audit"
    assert link in login_as(world.admin).get(f"/schools/{world.school.id}").get_data(as_text=True)
    assert link not in login_as(world.teacher).get(f"/schools/{world.school.id}").get_data(as_text=True)
    assert login_as(world.admin).get(f"/units/{world.commune.id}/audit").status_code == 403


def test_the_log_runs_the_same_statements_for_few_and_many_entries(world, factory, login_as, count_queries):
    c = login_as(world.admin)
    factory.lesson(world.school, world.teacher, title="Một")
    c.get(f"/units/{world.school.id}/audit")
    with count_queries() as few:
        assert c.get(f"/units/{world.school.id}/audit").status_code == 200
    for n in range(30):
        factory.lesson(world.school, world.teacher, title=f"Bài {n}")
    with count_queries() as many:
        assert c.get(f"/units/{world.school.id}/audit").status_code == 200
    assert len(few) == len(many)

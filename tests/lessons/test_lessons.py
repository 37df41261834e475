"""Lessons as people use them: write, publish, read, edit, restore, copy, confirm, share, page through."""
from __future__ import annotations

import io
import itertools
import re
import xml.etree.ElementTree as ET

import lxml.html
import pytest
from flask_login import AnonymousUserMixin
from markupsafe import escape
from sqlalchemy import func, select

from schoolhub import files, policy
from schoolhub.accounts.models import Role
from schoolhub.lessons import queries
from schoolhub.lessons import services as lesson_services
from schoolhub.lessons.models import Attachment, Lesson, LessonRead, LessonRevision, LessonStatus
from tests.helpers.samples import pdf_bytes, png_bytes

ATOM = "{http://www.w3.org/2005/Atom}"


# --- helpers ------------------------------------------------------------------------------------------------

def page(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.get_data(as_text=True))


def textarea(response, name: str = "body") -> str:
    """A textarea's text as a browser shows it (the newline right after <textarea> is not content)."""
    (area,) = page(response).xpath(f'//textarea[@name="{name}"]')
    text = area.text or ""
    return text[1:] if text.startswith("\n") else text


def input_value(response, name: str) -> str:
    (field,) = page(response).xpath(f'//form[contains(@class, "lesson-form")]//input[@name="{name}"]')
    return field.get("value", "")


def edit_form(response, **overrides) -> dict:
    """The values the edit page's form would send back unchanged, as a browser would submit them."""
    (form,) = page(response).xpath('//form[contains(@class, "lesson-form")]')
    data: dict[str, list[str]] = {}
    for name, value in form.form_values():
        if name == "body" and value.startswith("\n"):
            value = value[1:]
        data.setdefault(name, []).append(value)
    data.update({k: v if isinstance(v, list) else [v] for k, v in overrides.items()})
    data.setdefault("action", ["save"])
    return data


def new_form(school, **fields) -> dict:
    data = {"school_id": str(school.id), "title": "Bài học mới", "summary": "", "body": "Nội dung đầu tiên.",
            "visibility": "school", "submission_id": "sub-1", "action": "save"}
    data.update(fields)
    return data


def lesson_fields(lesson: Lesson, **overrides) -> dict:
    """The edit form's fields for the lesson as it is now (what a browser posts after loading the page)."""
    data = {"title": lesson.title, "summary": lesson.summary, "body": lesson.body, "tags": lesson.tags,
            "topics": lesson.topic_keys, "subjects": lesson.subject_keys,
            "grades": [str(g) for g in lesson.grade_list], "audiences": lesson.audience_keys,
            "duration_minutes": str(lesson.duration_minutes or ""), "video_url": lesson.video_url,
            "visibility": lesson.visibility.value, "base_revision": str(lesson.revision_count), "action": "save"}
    data.update(overrides)
    return data


def fresh(db, lesson: Lesson) -> Lesson:
    """The lesson as the database holds it now (the requests wrote through their own sessions)."""
    db.expire_all()
    return db.get(Lesson, lesson.id)


def revisions_of(db, lesson: Lesson) -> list[LessonRevision]:
    db.expire_all()
    return list(db.scalars(select(LessonRevision).where(LessonRevision.lesson_id == lesson.id)
                           .order_by(LessonRevision.number)))


def count(db, model, *where) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model).where(*where))


def listed_ids(response) -> list[int]:
    hrefs = page(response).xpath('//li[@class="lesson-card"]/h2/a/@href')
    return [int(re.fullmatch(r"/lessons/(\d+)", h).group(1)) for h in hrefs]


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def badge(response) -> int:
    (badge_link,) = page(response).xpath('//*[contains(@class, "waiting-badge")]')
    found = badge_link.xpath('.//*[@class="count"]/text()')
    return int(found[0]) if found else 0  # nothing to do: the badge shows no number


def waiting_links(response) -> list[str]:
    return page(response).xpath('//*[@id="waiting"]//a/@href')


def attach(app, db, actor, lesson, data: bytes, name: str) -> Attachment:
    stored = files.store(io.BytesIO(data), name, app.config["UPLOAD_DIR"], max_bytes=10**6)
    with app.app_context():
        attachment = lesson_services.add_attachment(db, actor, lesson, stored)
    db.commit()
    return attachment


def stored_bytes(app, token: str) -> bytes:
    return files.path_for(app.config["UPLOAD_DIR"], token).read_bytes()


# --- 1. workflow ----------------------------------------------------------------------------------------------

def test_teacher_creates_a_draft_with_one_revision(world, login_as, db):
    c = login_as(world.teacher)
    response = c.post("/lessons/new", data=new_form(world.school, title="Robot dò line", body="Bước 1: lắp cảm biến."))
    assert response.status_code == 302
    lesson_id = int(re.search(r"/lessons/(\d+)/edit$", response.headers["Location"]).group(1))
    lesson = db.get(Lesson, lesson_id)
    assert (lesson.title, lesson.body) == ("Robot dò line", "Bước 1: lắp cảm biến.")
    assert lesson.status == LessonStatus.DRAFT and lesson.published_at is None
    assert lesson.author_id == world.teacher.id and lesson.school_id == world.school.id
    assert lesson.revision_count == 1
    [revision] = revisions_of(db, lesson)
    assert revision.number == 1 and revision.editor_id == world.teacher.id and revision.body == lesson.body


def test_save_and_publish_from_the_new_form(world, login_as, db):
    c = login_as(world.teacher)
    response = c.post("/lessons/new", data=new_form(world.school, title="Xuất bản ngay", action="publish"))
    assert response.status_code == 302
    lesson = db.scalar(select(Lesson).where(Lesson.title == "Xuất bản ngay"))
    assert lesson.status == LessonStatus.PUBLISHED and lesson.published_at is not None


def test_publish_archive_and_back_to_draft(world, factory, login_as, client, db):
    lesson = factory.lesson(world.school, world.teacher, status="draft", visibility="school")
    assert login_as(world.student).get(f"/lessons/{lesson.id}").status_code == 404  # a draft is private

    c = login_as(world.teacher)
    assert c.post(f"/lessons/{lesson.id}/status", data={"to": "published"}).status_code == 302
    lesson = fresh(db, lesson)
    assert lesson.status == LessonStatus.PUBLISHED and lesson.published_at is not None
    assert login_as(world.student).get(f"/lessons/{lesson.id}").status_code == 200

    c = login_as(world.teacher)
    assert c.post(f"/lessons/{lesson.id}/status", data={"to": "archived"}).status_code == 302
    assert fresh(db, lesson).status == LessonStatus.ARCHIVED
    assert login_as(world.student).get(f"/lessons/{lesson.id}").status_code == 404
    assert f"/lessons/{lesson.id}\"" not in login_as(world.student).get("/lessons").get_data(as_text=True)

    c = login_as(world.teacher)
    assert c.get(f"/lessons/{lesson.id}").status_code == 200  # the author still has it
    assert c.post(f"/lessons/{lesson.id}/status", data={"to": "draft"}).status_code == 302
    assert fresh(db, lesson).status == LessonStatus.DRAFT
    assert login_as(world.student).get(f"/lessons/{lesson.id}").status_code == 404


def test_archived_public_lesson_sends_visitors_to_login(world, factory, login_as, client, db):
    lesson = factory.lesson(world.school, world.teacher, visibility="public")
    assert client.get(f"/lessons/{lesson.id}").status_code == 200
    login_as(world.teacher).post(f"/lessons/{lesson.id}/status", data={"to": "archived"})
    client.post("/logout")
    assert is_login_redirect(client.get(f"/lessons/{lesson.id}"))
    assert client.get("/lessons/feed.atom").get_data(as_text=True).count("<entry>") == 0


def test_publishing_an_empty_body_is_refused(world, factory, login_as, db):
    c = login_as(world.teacher)
    response = c.post("/lessons/new", data=new_form(world.school, title="Chưa viết gì", body="  ", action="publish"))
    assert response.status_code == 200  # the form again, with the title kept
    assert input_value(response, "title") == "Chưa viết gì"
    assert count(db, Lesson, Lesson.title == "Chưa viết gì") == 0  # not even a draft is left behind

    lesson = factory.lesson(world.school, world.teacher, status="draft", body="")
    response = c.post(f"/lessons/{lesson.id}/status", data={"to": "published"})
    assert response.status_code == 302
    lesson = fresh(db, lesson)
    assert lesson.status == LessonStatus.DRAFT and lesson.published_at is None


# --- 2. who may see what ----------------------------------------------------------------------------------------

def test_other_school_teacher_cannot_see_or_edit_a_school_only_lesson(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, visibility="school", body="Bí mật của trường.")
    c = login_as(world.other_teacher)
    assert c.get(f"/lessons/{lesson.id}").status_code == 404
    assert c.get(f"/lessons/{lesson.id}/print").status_code == 404
    response = c.post(f"/lessons/{lesson.id}/edit", data=lesson_fields(lesson, body="Bị sửa"))
    assert response.status_code == 404
    assert fresh(db, lesson).body == "Bí mật của trường."


def test_other_school_teacher_reads_a_commune_lesson_but_cannot_edit_it(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, visibility="commune", body="Dùng chung cả xã.")
    c = login_as(world.other_teacher)
    assert c.get(f"/lessons/{lesson.id}").status_code == 200
    assert c.get(f"/lessons/{lesson.id}/edit").status_code == 403
    assert c.post(f"/lessons/{lesson.id}/edit", data=lesson_fields(lesson, body="Bị sửa")).status_code == 403
    assert c.post(f"/lessons/{lesson.id}/status", data={"to": "archived"}).status_code == 403
    lesson = fresh(db, lesson)
    assert lesson.body == "Dùng chung cả xã." and lesson.status == LessonStatus.PUBLISHED


def test_student_cannot_open_a_draft_of_their_own_school(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, status="draft", visibility="school")
    assert login_as(world.student).get(f"/lessons/{lesson.id}").status_code == 404


def test_anonymous_reads_public_lessons_and_is_sent_to_login_for_commune_ones(world, factory, client):
    public = factory.lesson(world.school, world.teacher, title="Cho mọi người", visibility="public")
    commune = factory.lesson(world.school, world.teacher, title="Chỉ trong xã", visibility="commune")
    response = client.get(f"/lessons/{public.id}")
    assert response.status_code == 200 and "Cho mọi người" in response.get_data(as_text=True)
    assert is_login_redirect(client.get(f"/lessons/{commune.id}"))
    assert is_login_redirect(client.get(f"/lessons/{commune.id}/print"))


def test_outsider_without_role_gets_404_for_a_commune_lesson(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, visibility="commune")
    assert login_as(world.outsider).get(f"/lessons/{lesson.id}").status_code == 404


def test_officer_reads_commune_and_school_lessons_of_the_commune(world, factory, login_as):
    commune = factory.lesson(world.school, world.teacher, visibility="commune")
    school = factory.lesson(world.other_school, world.other_teacher, visibility="school")
    c = login_as(world.officer)
    assert c.get(f"/lessons/{commune.id}").status_code == 200
    assert c.get(f"/lessons/{school.id}").status_code == 200


WORLD_USERS = ("anonymous", "officer", "admin", "other_admin", "teacher", "other_teacher", "student",
               "other_student", "outsider")


@pytest.fixture
def every_kind_of_lesson(world, factory, db):
    """A lesson in every (status, visibility) for both schools, and for a school of another commune."""
    far_commune = factory.commune(name="Xã Bình Hải")
    far_school = factory.school(far_commune, name="Trường THCS Bình Hải")
    far_teacher = factory.user(Role.TEACHER, far_school, full_name="Trương Văn Xa")
    db.commit()
    lessons = []
    for (school, author), status, visibility in itertools.product(
            ((world.school, world.teacher), (world.other_school, world.other_teacher), (far_school, far_teacher)),
            ("draft", "published", "archived"), ("school", "commune", "public")):
        lessons.append(factory.lesson(school, author, title=f"{school.code} {status} {visibility}",
                                      status=status, visibility=visibility))
    return lessons


@pytest.mark.parametrize("who", WORLD_USERS)
def test_listing_and_search_agree_with_the_policy(who, world, every_kind_of_lesson, app, db, client, login_as):
    user = AnonymousUserMixin() if who == "anonymous" else getattr(world, who)
    with app.test_request_context():
        allowed = {lesson.id for lesson in every_kind_of_lesson if policy.can(policy.Action.VIEW_LESSON, lesson,
                                                                              user=user)}
        searched = {lesson.id for lesson in db.scalars(queries.search(user, status=None)).unique()}
    published = {lesson.id for lesson in every_kind_of_lesson if lesson.status == LessonStatus.PUBLISHED}
    assert searched == allowed
    if who != "anonymous":
        login_as(user)
    response = client.get("/lessons")
    assert response.status_code == 200
    assert set(listed_ids(response)) == allowed & published
    for lesson in every_kind_of_lesson:  # and each page agrees with the list
        status = client.get(f"/lessons/{lesson.id}").status_code
        if lesson.id in allowed:
            assert status == 200, lesson.title
        else:
            assert status in (302, 404) and (status == 302) == (who == "anonymous"), lesson.title


# --- 3. editing ---------------------------------------------------------------------------------------------

TYPED = "Phần mình vừa gõ: <b>đậm</b> & “ngoặc”\nDòng thứ hai."


@pytest.mark.parametrize("field, value", [
    ("title", ""),
    ("title", "T" * 201),
    ("duration_minutes", "0"),
    ("duration_minutes", "abc"),
    ("video_url", "https://vimeo.com/1"),
    ("topics", ["cds", "hack"]),
])
def test_rejected_edit_keeps_the_typed_text_and_changes_nothing(field, value, world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, title="Tên cũ", body="Nội dung cũ.", topics=("cds",))
    response = login_as(world.teacher).post(f"/lessons/{lesson.id}/edit",
                                             data=lesson_fields(lesson, body=TYPED, **{field: value}))
    assert response.status_code == 200
    assert textarea(response) == TYPED
    assert page(response).xpath('//*[contains(@class, "has-error")]')  # the refused field is marked
    lesson = fresh(db, lesson)
    assert (lesson.title, lesson.body, lesson.topic_keys, lesson.video_url) == ("Tên cũ", "Nội dung cũ.", ["cds"], "")
    assert lesson.revision_count == 1 and len(revisions_of(db, lesson)) == 1


def test_save_on_a_stale_base_revision_is_refused_with_the_text_kept(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, body="Bản gốc.")
    c = login_as(world.admin)
    assert c.post(f"/lessons/{lesson.id}/edit", data=lesson_fields(lesson, body="Admin sửa trước.")).status_code == 302
    # The teacher still has the page from version 1 open.
    c = login_as(world.teacher)
    response = c.post(f"/lessons/{lesson.id}/edit", data=lesson_fields(lesson, body=TYPED, base_revision="1"))
    assert response.status_code == 200
    assert textarea(response) == TYPED
    assert input_value(response, "base_revision") == "2"  # saving again now goes through, on purpose
    lesson = fresh(db, lesson)
    assert lesson.body == "Admin sửa trước." and lesson.revision_count == 2


def test_saving_without_changes_makes_no_revision(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, summary="Tóm tắt.", body="Dòng 1\nDòng 2",
                            tags="robot, cảm biến", topics=("stem",), grades=(6, 7), duration_minutes=45)
    c = login_as(world.teacher)
    response = c.get(f"/lessons/{lesson.id}/edit")
    assert response.status_code == 200
    assert c.post(f"/lessons/{lesson.id}/edit", data=edit_form(response)).status_code == 302
    lesson = fresh(db, lesson)
    assert lesson.revision_count == 1 and len(revisions_of(db, lesson)) == 1
    assert (lesson.topic_keys, lesson.grade_list, lesson.duration_minutes) == (["stem"], [6, 7], 45)


def test_another_teacher_of_the_same_school_cannot_edit(world, factory, login_as, db):
    colleague = factory.user(Role.TEACHER, world.school, full_name="Đặng Văn Đồng")
    db.commit()
    lesson = factory.lesson(world.school, world.teacher, body="Của cô Yến.")
    c = login_as(colleague)
    assert c.get(f"/lessons/{lesson.id}").status_code == 200
    assert c.get(f"/lessons/{lesson.id}/edit").status_code == 403
    assert c.post(f"/lessons/{lesson.id}/edit", data=lesson_fields(lesson, body="Sửa hộ")).status_code == 403
    assert fresh(db, lesson).body == "Của cô Yến."


def test_school_admin_can_edit(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, body="Bản của giáo viên.")
    c = login_as(world.admin)
    assert c.get(f"/lessons/{lesson.id}/edit").status_code == 200
    assert c.post(f"/lessons/{lesson.id}/edit", data=lesson_fields(lesson, body="Admin chỉnh.")).status_code == 302
    assert fresh(db, lesson).body == "Admin chỉnh."
    assert revisions_of(db, lesson)[-1].editor_id == world.admin.id


# --- 4. revisions -----------------------------------------------------------------------------------------------

V1 = "Mở đầu\nDòng giữa bản một\nKết thúc"
V2 = "Mở đầu\nDòng giữa bản hai\nKết thúc"
V3 = "Mở đầu\nDòng giữa bản ba & <thẻ>\nKết thúc"


@pytest.fixture
def three_versions(world, factory, login_as, db):
    """A lesson written by the teacher (v1), saved again by the teacher (v2) and by the school admin (v3)."""
    lesson = factory.lesson(world.school, world.teacher, body=V1)
    c = login_as(world.teacher)
    assert c.post(f"/lessons/{lesson.id}/edit", data=lesson_fields(lesson, body=V2)).status_code == 302
    lesson = fresh(db, lesson)
    c = login_as(world.admin)
    assert c.post(f"/lessons/{lesson.id}/edit", data=lesson_fields(lesson, body=V3)).status_code == 302
    return fresh(db, lesson)


def test_each_save_keeps_a_revision_with_editor_and_time(three_versions, world, login_as, db):
    revisions = revisions_of(db, three_versions)
    assert [(r.number, r.body, r.editor_id) for r in revisions] == [
        (1, V1, world.teacher.id), (2, V2, world.teacher.id), (3, V3, world.admin.id)]
    assert all(r.created_at is not None for r in revisions)
    assert revisions[0].created_at <= revisions[1].created_at <= revisions[2].created_at
    html = login_as(world.teacher).get(f"/lessons/{three_versions.id}/revisions").get_data(as_text=True)
    assert world.teacher.full_name in html and world.admin.full_name in html


def test_revision_page_shows_removed_and_added_lines(three_versions, world, login_as):
    response = login_as(world.teacher).get(f"/lessons/{three_versions.id}/revisions/3")
    assert response.status_code == 200
    doc = page(response)
    removed = " ".join(doc.xpath("//del//text()"))
    added = " ".join(doc.xpath("//ins//text()"))
    assert "Dòng giữa bản hai" in removed and "Dòng giữa bản ba & <thẻ>" in added
    assert "Mở đầu" not in removed + added  # unchanged lines are context, not changes
    response = login_as(world.teacher).get(f"/lessons/{three_versions.id}/revisions/3?against=1")
    assert "Dòng giữa bản một" in " ".join(page(response).xpath("//del//text()"))


def test_restoring_version_1_makes_a_new_revision(three_versions, world, login_as, db):
    response = login_as(world.teacher).post(f"/lessons/{three_versions.id}/revisions/1/restore")
    assert response.status_code == 302
    revisions = revisions_of(db, three_versions)
    assert [r.number for r in revisions] == [1, 2, 3, 4]
    assert revisions[-1].body == V1 and revisions[-1].editor_id == world.teacher.id
    assert fresh(db, three_versions).body == V1
    assert fresh(db, three_versions).revision_count == 4


def test_restoring_a_revision_of_another_lesson_is_404(three_versions, world, factory, login_as, db):
    mine = factory.lesson(world.school, world.teacher, body="Chỉ có một bản.")
    theirs = factory.lesson(world.other_school, world.other_teacher, visibility="school")
    c = login_as(world.teacher)
    assert c.post(f"/lessons/{mine.id}/revisions/3/restore").status_code == 404  # v3 is the other lesson's
    assert c.post(f"/lessons/{theirs.id}/revisions/1/restore").status_code == 404
    assert fresh(db, mine).body == "Chỉ có một bản." and fresh(db, mine).revision_count == 1
    assert fresh(db, theirs).revision_count == 1


def test_missing_revision_is_404(three_versions, world, login_as):
    c = login_as(world.teacher)
    assert c.get(f"/lessons/{three_versions.id}/revisions/999").status_code == 404
    assert c.post(f"/lessons/{three_versions.id}/revisions/999/restore").status_code == 404


# --- 5. copy and adapt ------------------------------------------------------------------------------------------

@pytest.fixture
def shared_with_picture(world, factory, login_as, db):
    """A commune lesson whose picture was uploaded through the edit form and put into the text."""
    lesson = factory.lesson(world.school, world.teacher, title="Mạch đèn LED", body="Lắp mạch theo sơ đồ.",
                            visibility="commune")
    data = lesson_fields(lesson, insert_image="1")
    data["file"] = (io.BytesIO(png_bytes()), "so-do.png")
    response = login_as(world.teacher).post(f"/lessons/{lesson.id}/edit", data=data,
                                            content_type="multipart/form-data")
    assert response.status_code == 302
    lesson = fresh(db, lesson)
    [attachment] = lesson.attachments
    assert f"/files/{attachment.token}" in lesson.body
    return lesson


def test_copy_is_a_credited_draft_in_the_copiers_school(shared_with_picture, world, login_as, db, app):
    source = shared_with_picture
    c = login_as(world.other_teacher)
    response = c.post(f"/lessons/{source.id}/copy", data={"school_id": world.other_school.id, "submission_id": "cp1"})
    assert response.status_code == 302
    copy = db.scalar(select(Lesson).where(Lesson.source_lesson_id == source.id))
    assert response.headers["Location"].endswith(f"/lessons/{copy.id}/edit")
    assert copy.status == LessonStatus.DRAFT
    assert copy.school_id == world.other_school.id and copy.author_id == world.other_teacher.id
    for part in ("Mạch đèn LED", world.teacher.full_name, world.school.name):
        assert part in copy.source_credit
    # The copy has its own files: same bytes, new token, and its text points to the new one.
    [old], [new] = source.attachments, copy.attachments
    assert new.token != old.token
    assert stored_bytes(app, new.token) == stored_bytes(app, old.token) == png_bytes()
    assert f"/files/{new.token}" in copy.body and old.token not in copy.body
    assert fresh(db, source).body.count(old.token) == 1  # the original is untouched

    credit = page(c.get(f"/lessons/{copy.id}")).xpath('//*[@class="credit"]')
    assert credit and copy.source_credit in credit[0].text_content()
    served = c.get(f"/files/{new.token}")
    assert served.status_code == 200 and served.data == png_bytes()
    served.close()


def test_copying_a_school_only_lesson_of_another_school_is_404(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, visibility="school")
    response = login_as(world.other_teacher).post(
        f"/lessons/{lesson.id}/copy", data={"school_id": world.other_school.id, "submission_id": "cp2"})
    assert response.status_code == 404
    assert count(db, Lesson, Lesson.source_lesson_id == lesson.id) == 0


def test_student_cannot_copy(world, factory, login_as, db):
    lesson = factory.lesson(world.other_school, world.other_teacher, visibility="commune")
    response = login_as(world.student).post(
        f"/lessons/{lesson.id}/copy", data={"school_id": world.school.id, "submission_id": "cp3"})
    assert response.status_code == 403
    assert count(db, Lesson, Lesson.source_lesson_id == lesson.id) == 0


def test_posting_the_copy_form_twice_makes_one_copy(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, visibility="public")
    c = login_as(world.other_teacher)
    data = {"school_id": world.other_school.id, "submission_id": "same-click"}
    assert c.post(f"/lessons/{lesson.id}/copy", data=data).status_code == 302
    assert c.post(f"/lessons/{lesson.id}/copy", data=data).status_code == 409
    assert count(db, Lesson, Lesson.source_lesson_id == lesson.id) == 1


def test_posting_the_new_lesson_form_twice_makes_one_lesson(world, login_as, db):
    c = login_as(world.teacher)
    data = new_form(world.school, title="Bấm hai lần", submission_id="twice")
    assert c.post("/lessons/new", data=data).status_code == 302
    assert c.post("/lessons/new", data=data).status_code == 409
    assert count(db, Lesson, Lesson.title == "Bấm hai lần") == 1


# --- 6. reading and confirming ------------------------------------------------------------------------------

def test_first_visit_is_recorded_once_per_user(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, visibility="school")
    c = login_as(world.student)
    c.get(f"/lessons/{lesson.id}")
    reads = db.scalars(select(LessonRead).where(LessonRead.lesson_id == lesson.id)).all()
    assert [r.user_id for r in reads] == [world.student.id]
    first = reads[0].first_read_at
    c.get(f"/lessons/{lesson.id}")
    db.expire_all()
    reads = db.scalars(select(LessonRead).where(LessonRead.lesson_id == lesson.id)).all()
    assert len(reads) == 1 and reads[0].first_read_at == first and reads[0].confirmed_at is None
    login_as(world.admin).get(f"/lessons/{lesson.id}")
    assert count(db, LessonRead, LessonRead.lesson_id == lesson.id) == 2


def test_anonymous_visits_record_nothing(world, factory, client, db):
    lesson = factory.lesson(world.school, world.teacher, visibility="public")
    assert client.get(f"/lessons/{lesson.id}").status_code == 200
    assert count(db, LessonRead, LessonRead.lesson_id == lesson.id) == 0


def test_confirming_a_lesson_that_is_not_core_is_400(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, is_core=False)
    assert login_as(world.student).post(f"/lessons/{lesson.id}/confirm").status_code == 400
    assert count(db, LessonRead, LessonRead.confirmed_at.is_not(None)) == 0


def test_confirming_a_core_lesson_sets_confirmed_at(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, is_core=True)
    c = login_as(world.student)
    assert page(c.get(f"/lessons/{lesson.id}")).xpath(f'//form[@action="/lessons/{lesson.id}/confirm"]')
    assert c.post(f"/lessons/{lesson.id}/confirm").status_code == 302
    db.expire_all()
    read = db.scalar(select(LessonRead).where(LessonRead.lesson_id == lesson.id, LessonRead.user_id == world.student.id))
    assert read is not None and read.confirmed_at is not None
    assert not page(c.get(f"/lessons/{lesson.id}")).xpath(f'//form[@action="/lessons/{lesson.id}/confirm"]')


def _reader_rows(response) -> list[list[int]]:
    rows = page(response).xpath("//table/tbody/tr")
    return [[int(td.text_content()) for td in row.xpath("td")[1:]] for row in rows]


def test_readers_page_counts_by_role(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, visibility="commune", is_core=True)
    login_as(world.other_teacher).get(f"/lessons/{lesson.id}")
    c = login_as(world.student)
    c.get(f"/lessons/{lesson.id}")
    c.post(f"/lessons/{lesson.id}/confirm")
    # Rows: school admin, teacher, student, officer; columns: opened, confirmed.
    expected = [[0, 0], [1, 0], [1, 1], [0, 0]]
    for viewer in (world.teacher, world.admin, world.officer):
        response = login_as(viewer).get(f"/lessons/{lesson.id}/readers")
        assert response.status_code == 200, viewer.username
        assert _reader_rows(response) == expected, viewer.username
    assert login_as(world.student).get(f"/lessons/{lesson.id}/readers").status_code == 403
    assert login_as(world.other_teacher).get(f"/lessons/{lesson.id}/readers").status_code == 403


def test_core_flag_is_set_by_admin_and_officer_not_by_the_author(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher)
    assert login_as(world.teacher).post(f"/lessons/{lesson.id}/core", data={"is_core": "1"}).status_code == 403
    assert fresh(db, lesson).is_core is False
    assert login_as(world.admin).post(f"/lessons/{lesson.id}/core", data={"is_core": "1"}).status_code == 302
    assert fresh(db, lesson).is_core is True
    assert login_as(world.officer).post(f"/lessons/{lesson.id}/core", data={"is_core": "0"}).status_code == 302
    assert fresh(db, lesson).is_core is False
    assert login_as(world.other_admin).post(f"/lessons/{lesson.id}/core", data={"is_core": "1"}).status_code == 403
    assert fresh(db, lesson).is_core is False


def test_pending_core_lesson_is_on_the_teachers_worklist_until_confirmed(world, factory, login_as):
    lesson = factory.lesson(world.school, world.admin, title="Nghị quyết 57 cốt lõi", is_core=True)
    c = login_as(world.teacher)
    home = c.get("/")
    assert badge(home) == 1
    assert f"/lessons/{lesson.id}" in waiting_links(home)
    c.get(f"/lessons/{lesson.id}")  # reading alone is not confirming
    assert badge(c.get("/")) == 1
    assert c.post(f"/lessons/{lesson.id}/confirm").status_code == 302
    home = c.get("/")
    assert badge(home) == 0
    assert f"/lessons/{lesson.id}" not in waiting_links(home)


# --- 7. feed, link previews, print --------------------------------------------------------------------------

HOSTILE = "</title><script>alert(1)</script>"


def test_atom_feed_lists_public_published_lessons_only(world, factory, client):
    public = factory.lesson(world.school, world.teacher, title="Công khai", visibility="public")
    hostile = factory.lesson(world.school, world.teacher, title=HOSTILE, visibility="public")
    factory.lesson(world.school, world.teacher, title="Trong xã", visibility="commune")
    factory.lesson(world.school, world.teacher, title="Bản nháp công khai", visibility="public", status="draft")
    factory.lesson(world.school, world.teacher, title="Đã lưu trữ", visibility="public", status="archived")
    response = client.get("/lessons/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    entries = {e.findtext(f"{ATOM}title"): e for e in root.findall(f"{ATOM}entry")}
    assert set(entries) == {"Công khai", HOSTILE}
    link = entries["Công khai"].find(f"{ATOM}link[@rel='alternate']").get("href")
    assert link.endswith(f"/lessons/{public.id}")
    assert entries[HOSTILE].findtext(f"{ATOM}id").endswith(f"/lessons/{hostile.id}")
    assert not [el for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "script"]


def test_public_lesson_page_has_link_preview_tags(world, factory, client, app, db):
    lesson = factory.lesson(world.school, world.teacher, title="Chia sẻ lên Zalo", summary="Tóm tắt để xem trước.",
                            visibility="public")
    doc = page(client.get(f"/lessons/{lesson.id}"))
    og = {m.get("property"): m.get("content") for m in doc.xpath('//meta[starts-with(@property, "og:")]')}
    assert og["og:title"] == "Chia sẻ lên Zalo"
    assert og["og:description"] == "Tóm tắt để xem trước."
    assert og["og:url"].endswith(f"/lessons/{lesson.id}")
    assert "og:image" not in og
    picture = attach(app, db, world.teacher, lesson, png_bytes(), "anh-bia.png")
    doc = page(client.get(f"/lessons/{lesson.id}"))
    [image] = doc.xpath('//meta[@property="og:image"]/@content')
    assert image.endswith(f"/files/{picture.token}")


def test_commune_lesson_page_has_no_link_preview_tags(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, title="Nội bộ xã", summary="Không chia sẻ ra ngoài.",
                            visibility="commune")
    doc = page(login_as(world.other_teacher).get(f"/lessons/{lesson.id}"))
    assert doc.xpath("//h1")[0].text_content() == "Nội bộ xã"
    assert not doc.xpath('//meta[starts-with(@property, "og:")]')


def test_print_view_is_the_lesson_alone(world, factory, client):
    lesson = factory.lesson(world.school, world.teacher, title="Bài in ra giấy", body="Nội dung **để in**.",
                            visibility="public")
    response = client.get(f"/lessons/{lesson.id}/print")
    assert response.status_code == 200
    doc = page(response)
    assert doc.xpath("//h1")[0].text_content() == "Bài in ra giấy"
    assert doc.xpath('//*[contains(@class, "lesson-body")]//strong')[0].text == "để in"
    assert not doc.xpath("//nav") and not doc.xpath("//header") and not doc.xpath('//*[@class="site-header"]')


# --- 8. query counts ----------------------------------------------------------------------------------------

def _statements_for(client, count_queries, url: str) -> int:
    client.get(url)  # warm-up: the first visit also records the read
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_listing_runs_the_same_queries_for_3_and_30_lessons(world, factory, login_as, count_queries):
    for i in range(3):
        factory.lesson(world.school, world.teacher, title=f"Bài {i}", topics=("stem",), grades=(7,), tags="a, b")
    c = login_as(world.teacher)
    few = _statements_for(c, count_queries, "/lessons")
    for i in range(3, 30):
        author = world.teacher if i % 2 else world.other_teacher
        school = world.school if i % 2 else world.other_school
        factory.lesson(school, author, title=f"Bài {i}", topics=("stem",), grades=(7,), tags="a, b")
    many = _statements_for(c, count_queries, "/lessons")
    assert many == few


def test_lesson_page_runs_the_same_queries_for_1_and_10_attachments(world, factory, app, db, login_as,
                                                                     count_queries):
    one = factory.lesson(world.school, world.teacher, title="Một tệp")
    ten = factory.lesson(world.school, world.teacher, title="Mười tệp")
    attach(app, db, world.teacher, one, pdf_bytes(), "tai-lieu.pdf")
    for i in range(10):
        attach(app, db, world.teacher, ten, pdf_bytes() if i % 2 else png_bytes(), f"tep-{i}.pdf")
    c = login_as(world.student)
    assert _statements_for(c, count_queries, f"/lessons/{ten.id}") == _statements_for(
        c, count_queries, f"/lessons/{one.id}")


# --- 9. pages -----------------------------------------------------------------------------------------------

@pytest.fixture
def thirty_public(world, factory):
    return [factory.lesson(world.school, world.teacher, title=f"Bài công khai {i}", visibility="public")
            for i in range(30)]


def test_listing_pages_through_30_lessons(thirty_public, client, app):
    assert app.config["PER_PAGE"] == 25
    first = client.get("/lessons")
    first_ids = listed_ids(first)
    assert len(first_ids) == 25
    [next_link] = page(first).xpath('//a[@rel="next"]/@href')
    assert "page=2" in next_link
    second = client.get(next_link)
    second_ids = listed_ids(second)
    assert len(second_ids) == 5 and not page(second).xpath('//a[@rel="next"]')
    assert set(first_ids) | set(second_ids) == {lesson.id for lesson in thirty_public}


def test_page_that_is_not_a_number_shows_page_1(thirty_public, client):
    assert listed_ids(client.get("/lessons?page=abc")) == listed_ids(client.get("/lessons"))
    assert len(listed_ids(client.get("/lessons?page=abc"))) == 25


# --- bodies markdown2 would take seconds to render -------------------------------------------------

@pytest.mark.parametrize("body", ["[x](" * 501, "`" * 2001, "<a " * 1001, "a" * 50_001],
                         ids=["brackets", "backticks", "angles", "length"])
def test_body_that_would_render_slowly_is_refused_with_the_text_kept(world, login_as, db, body):
    c = login_as(world.teacher)
    before = db.scalar(select(func.count(Lesson.id)))
    for action in ("save", "preview"):
        r = c.post("/lessons/new", data={"school_id": world.school.id, "title": "Bài thử chậm", "body": body,
                                         "visibility": "school", "action": action})
        assert r.status_code == 200
        html = r.get_data(as_text=True)
        assert 'class="error"' in html and str(escape(body[:200])) in html
    assert db.scalar(select(func.count(Lesson.id))) == before


def test_body_is_rendered_once_on_save_not_on_every_view(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, body="# Tiêu đề\n\nĐoạn **đậm**.")
    assert "<h1>Tiêu đề</h1>" in lesson.body_html and "<strong>đậm</strong>" in lesson.body_html
    # What the page shows is the stored rendering, not a new one.
    lesson.body_html = "<p>bản lưu sẵn</p>"
    db.commit()
    html = login_as(world.student).get(f"/lessons/{lesson.id}").get_data(as_text=True)
    assert "bản lưu sẵn" in html and "<strong>đậm</strong>" not in html


def test_a_change_of_description_alone_keeps_a_revision_and_shows_in_the_diff(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, topics=("cds",), grades=(7,))
    c = login_as(world.teacher)
    r = c.post(f"/lessons/{lesson.id}/edit", data=lesson_fields(lesson, topics=["cds", "ai"], grades=["7", "8"]))
    assert r.status_code == 302
    lesson = fresh(db, lesson)
    assert lesson.revision_count == 2 and set(lesson.topic_keys) == {"cds", "ai"}
    page = lxml.html.fromstring(c.get(f"/lessons/{lesson.id}/revisions/2").get_data(as_text=True))
    added = " ".join(el.text_content() for el in page.xpath('//pre[@class="diff"]/ins'))
    removed = " ".join(el.text_content() for el in page.xpath('//pre[@class="diff"]/del'))
    # Shown with the labels a reader knows (Vietnamese), not the stored keys.
    assert "Trí tuệ nhân tạo" in added and "Lớp 8" in added and "Lớp 8" not in removed
    assert ",ai," not in added


def test_restore_brings_back_the_description_but_not_who_may_read(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, visibility="school", topics=("cds",), duration_minutes=45)
    c = login_as(world.teacher)
    assert c.post(f"/lessons/{lesson.id}/edit", data=lesson_fields(
        lesson, topics=["stem"], duration_minutes="90", visibility="commune")).status_code == 302
    assert c.post(f"/lessons/{lesson.id}/revisions/1/restore").status_code == 302
    lesson = fresh(db, lesson)
    assert lesson.topic_keys == ["cds"] and lesson.duration_minutes == 45
    assert lesson.visibility.value == "commune" and lesson.revision_count == 3


def test_the_same_form_sent_twice_is_saved_once_without_a_conflict(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher)
    c = login_as(world.teacher)
    data = lesson_fields(lesson, body="Bản sửa, bấm Lưu hai lần.")
    assert c.post(f"/lessons/{lesson.id}/edit", data=data).status_code == 302
    second = c.post(f"/lessons/{lesson.id}/edit", data=data)  # same base_revision: a double tap
    assert second.status_code == 302
    assert fresh(db, lesson).revision_count == 2


def test_grade_choices_are_in_the_readers_language(world, login_as):
    html = login_as(world.teacher).get("/lessons/new").get_data(as_text=True)
    assert "Lớp 7" in html and "Grade 7" not in html


def test_copy_skips_a_file_missing_on_disk_and_leaves_nothing_behind(world, factory, login_as, db, app):
    lesson = factory.lesson(world.school, world.teacher, status="draft")
    c = login_as(world.teacher)
    for name in ("mot.png", "hai.png"):
        r = c.post(f"/lessons/{lesson.id}/edit", data={**lesson_fields(fresh(db, lesson)), "insert_image": "1",
                                                        "file": (io.BytesIO(png_bytes()), name)},
                   content_type="multipart/form-data")
        assert r.status_code == 302
    lesson = fresh(db, lesson)
    gone, kept = lesson.attachments
    files.path_for(app.config["UPLOAD_DIR"], gone.token).unlink()
    c.post(f"/lessons/{lesson.id}/status", data={"to": "published"})
    db.execute(Lesson.__table__.update().where(Lesson.id == lesson.id).values(visibility="commune"))
    db.commit()
    r = login_as(world.other_teacher).post(f"/lessons/{lesson.id}/copy",
                                           data={"school_id": world.other_school.id, "submission_id": "c1"})
    assert r.status_code == 302
    copy = db.scalar(select(Lesson).where(Lesson.source_lesson_id == lesson.id))
    assert [a.original_name for a in copy.attachments] == [kept.original_name]


def test_teacher_of_a_deactivated_school_cannot_write(world, login_as, db):
    world.school.is_active = False
    db.commit()
    assert login_as(world.teacher).get("/lessons/new").status_code == 403


def test_an_author_who_left_the_school_no_longer_edits_its_lesson(world, factory, login_as, db):
    from schoolhub.accounts.models import Membership

    lesson = factory.lesson(world.school, world.teacher, visibility="public")
    # The teacher moves to the other school.
    membership = db.scalar(select(Membership).where(Membership.user_id == world.teacher.id))
    membership.unit_id = world.other_school.id
    db.commit()
    assert login_as(world.teacher).get(f"/lessons/{lesson.id}/edit").status_code == 403


def test_a_youtube_video_is_a_privacy_enhanced_embed_loaded_only_on_play(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, video_url="https://youtu.be/dQw4w9WgXcQ?t=42")
    page = lxml.html.fromstring(login_as(world.student).get(f"/lessons/{lesson.id}").get_data(as_text=True))
    [box] = page.xpath("//*[@data-embed]")
    assert box.get("data-embed") == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    # Nothing is fetched from YouTube until the reader presses play (app.js swaps in the iframe).
    assert not page.xpath("//iframe") and box.xpath(".//*[@data-play]")


@pytest.mark.parametrize(("size", "shown"), [(0, "0 B"), (850, "850 B"), (12_345, "12 KB"),
                                             (3_565_158, "3,4 MB")])
def test_file_sizes_read_naturally_in_vietnamese(app, size, shown):
    from schoolhub.i18n import format_size

    with app.test_request_context():
        assert format_size(size) == shown


def test_the_feed_speaks_vietnamese(client, world):
    feed = ET.fromstring(client.get("/lessons/feed.atom").get_data())
    title = feed.find("{http://www.w3.org/2005/Atom}title").text
    assert title.startswith("Bài giảng Nghị quyết 57")


# --- found in the final review ----------------------------------------------------------------------------------

def test_enter_in_a_text_field_saves_rather_than_removing_a_file(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, status="draft")
    c = login_as(world.teacher)
    r = c.post(f"/lessons/{lesson.id}/edit", data={**lesson_fields(fresh(db, lesson)),
                                                    "file": (io.BytesIO(pdf_bytes()), "giao-an.pdf")},
               content_type="multipart/form-data")
    assert r.status_code == 302
    page = lxml.html.fromstring(c.get(f"/lessons/{lesson.id}/edit").get_data(as_text=True))
    [form] = page.xpath("//main//form[.//input[@name='title']]")
    # What the browser submits on Enter: the form's first submit button.
    first = form.xpath(".//button[not(@type) or @type='submit']")[0]
    assert first.get("name") is None  # no action posted: the view saves


def test_removing_a_file_already_gone_still_saves_the_text(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, status="draft")
    c = login_as(world.teacher)
    r = c.post(f"/lessons/{lesson.id}/edit", data={**lesson_fields(fresh(db, lesson)),
                                                    "file": (io.BytesIO(pdf_bytes()), "a.pdf")},
               content_type="multipart/form-data")
    assert r.status_code == 302
    [attachment] = fresh(db, lesson).attachments
    attachment_id = attachment.id
    first = c.post(f"/lessons/{lesson.id}/edit", data=lesson_fields(fresh(db, lesson), action=f"remove:{attachment_id}"))
    assert first.status_code == 302
    # The second tab still shows the file, and its text was typed there.
    second = c.post(f"/lessons/{lesson.id}/edit", data=lesson_fields(
        fresh(db, lesson), body="Gõ ở thẻ thứ hai.", action=f"remove:{attachment_id}"))
    assert second.status_code == 302
    assert fresh(db, lesson).body == "Gõ ở thẻ thứ hai."


def test_a_double_tap_on_save_and_publish_is_no_conflict(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, status="draft")
    c = login_as(world.teacher)
    data = lesson_fields(fresh(db, lesson), body="Xuất bản nhé.", action="publish")
    assert c.post(f"/lessons/{lesson.id}/edit", data=data).status_code == 302
    assert c.post(f"/lessons/{lesson.id}/edit", data=data).status_code == 302
    assert fresh(db, lesson).status == LessonStatus.PUBLISHED


def test_a_new_lesson_has_no_file_to_remove(world, login_as, db):
    before = db.scalar(select(func.count(Lesson.id)))
    r = login_as(world.teacher).post("/lessons/new", data=new_form(world.school, action="remove:1"))
    assert r.status_code == 400
    assert db.scalar(select(func.count(Lesson.id))) == before


@pytest.mark.parametrize("path", ["/lessons/9999999999999999999999999", "/lessons/%D9%A1",
                                  "/lessons/1/revisions/99999999999999999999"])
def test_ids_beyond_what_a_database_holds_or_in_other_scripts_are_404(world, login_as, path):
    assert login_as(world.teacher).get(path).status_code == 404


def test_an_author_who_left_no_longer_lists_their_drafts_there(world, factory, login_as, db):
    from schoolhub.accounts.models import Membership

    draft = factory.lesson(world.school, world.teacher, title="Nháp bỏ dở", status="draft")
    membership = db.scalar(select(Membership).where(Membership.user_id == world.teacher.id))
    membership.unit_id = world.other_school.id
    db.commit()
    c = login_as(world.teacher)
    assert "Nháp bỏ dở" not in c.get("/lessons/mine").get_data(as_text=True)
    assert c.get(f"/lessons/{draft.id}").status_code == 404


def test_restoring_an_old_version_does_not_bring_back_a_removed_picture(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, body="Trước khi có ảnh.", status="draft")
    c = login_as(world.teacher)
    r = c.post(f"/lessons/{lesson.id}/edit", data={**lesson_fields(fresh(db, lesson)), "insert_image": "1",
                                                    "file": (io.BytesIO(png_bytes()), "anh.png")},
               content_type="multipart/form-data")
    assert r.status_code == 302
    lesson = fresh(db, lesson)
    [picture] = lesson.attachments
    token, picture_id = picture.token, picture.id
    with_picture = lesson.revision_count
    c.post(f"/lessons/{lesson.id}/edit", data=lesson_fields(fresh(db, lesson), action=f"remove:{picture_id}"))
    assert c.post(f"/lessons/{lesson.id}/revisions/{with_picture}/restore").status_code == 302
    lesson = fresh(db, lesson)
    assert token not in lesson.body and "Trước khi có ảnh." in lesson.body


def test_a_grade_that_is_not_a_number_is_refused_in_vietnamese(world, login_as, db):
    r = login_as(world.teacher).post("/lessons/new", data=new_form(world.school, grades=["²"]))
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Invalid choice" not in html and 'class="error"' in html


def test_a_post_without_an_action_saves(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, status="draft")
    data = lesson_fields(fresh(db, lesson), body="Lưu bằng phím Enter.")
    del data["action"]
    assert login_as(world.teacher).post(f"/lessons/{lesson.id}/edit", data=data).status_code == 302
    assert fresh(db, lesson).body == "Lưu bằng phím Enter."

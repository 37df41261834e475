"""The lessons domain's part of seed-scale: lessons of about 3 KB of rendered Markdown written by the
schools' teachers, their first revision, and who read them (core material confirmed by teachers)."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import text

from schoolhub.accounts.models import Role, SchoolLevel
from schoolhub.clock import utcnow
from schoolhub.lessons import counts, search_index
from schoolhub.lessons.models import Lesson, LessonRead, LessonRevision, LessonStatus, Visibility
from schoolhub.lessons.services import search_columns
from schoolhub.lessons.vocab import SUBJECTS, TOPICS, pack
from schoolhub.markup import render_markdown
from schoolhub.scale import ScaleRun

THEMES = ["chuyển đổi số", "trí tuệ nhân tạo", "đổi mới sáng tạo", "khoa học kỹ thuật", "năng lượng mặt trời",
          "an toàn thông tin", "robot giáo dục", "lập trình Scratch", "nông nghiệp thông minh", "nước sạch",
          "môi trường biển", "bình dân học vụ số", "kỹ năng số", "STEM", "vật liệu tái chế", "Internet vạn vật"]
KINDS = ["Bài giảng", "Chuyên đề", "Hoạt động trải nghiệm", "Tài liệu tham khảo", "Phiếu học tập", "Dự án"]
SENTENCES = [
    "Học sinh làm việc theo nhóm bốn người, mỗi nhóm nhận một phiếu học tập và một bộ dụng cụ.",
    "Giáo viên nêu tình huống thực tế ở địa phương để học sinh đặt câu hỏi nghiên cứu.",
    "Các nhóm trình bày kết quả, nhận xét chéo và rút ra kết luận chung.",
    "Nghị quyết 57-NQ/TW xác định khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số là đột phá quan trọng hàng đầu.",
    "Học sinh ghi lại số liệu đo được vào bảng và vẽ biểu đồ bằng bảng tính.",
    "Cần nhắc học sinh giữ an toàn khi dùng điện và dụng cụ sắc nhọn.",
    "Hoạt động kết thúc bằng phần tự đánh giá theo tiêu chí đã thống nhất từ đầu buổi.",
    "Phụ huynh có thể cùng con thực hiện phần mở rộng tại nhà trong một tuần.",
    "Mỗi học sinh viết một đoạn ngắn nêu ý tưởng cải tiến sản phẩm của nhóm mình.",
    "Giáo viên chuẩn bị trước video minh họa và máy chiếu cho phần khởi động.",
    "Học sinh tìm hiểu cách bảo vệ tài khoản: mật khẩu mạnh, không chia sẻ mã xác thực.",
    "Kết quả được chia sẻ lên trang của nhà trường sau khi được ban giám hiệu duyệt.",
]
HEADINGS = ["Mục tiêu", "Chuẩn bị", "Khởi động", "Hình thành kiến thức", "Luyện tập", "Vận dụng", "Đánh giá",
            "Mở rộng"]


class Bodies:
    """Markdown blocks rendered once each; a lesson's body is a combination, its HTML the same combination."""

    def __init__(self, rng):
        self.rng = rng
        self.blocks: list[tuple[str, str]] = []
        for i in range(240):
            kind = i % 4
            if kind == 0:
                md = f"## {HEADINGS[i // 4 % len(HEADINGS)]}"
            elif kind == 1:
                md = " ".join(rng.sample(SENTENCES, 4))
            elif kind == 2:
                md = "\n".join(f"- {s}" for s in rng.sample(SENTENCES, 3))
            else:
                md = ("| Bước | Việc cần làm | Thời gian |\n|---|---|---|\n"
                      + "\n".join(f"| {n} | {s} | {rng.randint(5, 20)} phút |"
                                  for n, s in enumerate(rng.sample(SENTENCES, 3), 1)))
            self.blocks.append((md, str(render_markdown(md))))

    def make(self) -> tuple[str, str]:
        md, html = [], []
        size = 0
        while size < 3000:
            block_md, block_html = self.rng.choice(self.blocks)
            md.append(block_md)
            html.append(block_html)
            size += len(block_html)
        return "\n\n".join(md), "\n".join(html)


def seed(run: ScaleRun) -> None:
    """Lessons, their first revisions, and readings."""
    preset, rng = run.preset, run.rng
    made = run.made
    teachers = made["people"].get(Role.TEACHER, [])
    admins = {unit: uid for uid, unit in made["people"].get(Role.SCHOOL_ADMIN, [])}
    levels = made["levels"]
    school_commune = made["school_commune"]
    bodies = Bodies(rng)
    now = utcnow()
    topics, subjects = list(TOPICS), list(SUBJECTS)
    grades_of = {SchoolLevel.MAM_NON: [0], SchoolLevel.TIEU_HOC: [1, 2, 3, 4, 5], SchoolLevel.THCS: [6, 7, 8, 9],
                 SchoolLevel.THPT: [10, 11, 12]}
    demo_uid = made["demo"].get("demo.teacher")
    demo_teacher = next((t for t in teachers if t[0] == demo_uid), None)
    lesson_rows, meta = [], []
    for i in range(preset.lessons):
        author, school = demo_teacher if i < 3 and demo_teacher else rng.choice(teachers)
        theme = rng.choice(THEMES)
        grade = rng.choice(grades_of[levels[school]])
        audience = f"học sinh lớp {grade}" if grade else "trẻ mẫu giáo"
        title = f"{rng.choice(KINDS)}: {theme} {'cho' if i % 2 else 'với'} {audience}"
        body, body_html = bodies.make()
        summary = f"{rng.choice(SENTENCES)} Chủ đề: {theme}."
        status = rng.choices([LessonStatus.PUBLISHED, LessonStatus.DRAFT, LessonStatus.ARCHIVED], [85, 10, 5])[0]
        visibility = rng.choices([Visibility.SCHOOL, Visibility.COMMUNE, Visibility.PUBLIC], [40, 40, 20])[0]
        is_core = status == LessonStatus.PUBLISHED and rng.random() < 0.02
        created = now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1440))
        tags = f"{theme}, nghị quyết 57" + (", kính hiển vi" if i % 997 == 5 else "")  # a rare phrase to search
        content = SimpleNamespace(title=title, summary=summary, tags=tags, body=body)
        row = {"school_id": school, "author_id": author, "title": title, "summary": summary, "body": body,
               "tags": content.tags, "topics": pack(rng.sample(topics, 2)), "subjects": pack(rng.sample(subjects, 1)),
               "grades": pack([grade]),
               "audiences": pack(["teachers"] if is_core else ["students"]),
               "duration_minutes": rng.choice([None, 45, 90]), "video_url": "", "visibility": visibility,
               "body_html": body_html, "is_core": is_core, "status": status, "source_credit": "",
               "revision_count": 1, "created_at": created, "updated_at": created,
               "published_at": created + timedelta(hours=1) if status != LessonStatus.DRAFT else None,
               **search_columns(content)}
        lesson_rows.append(row)
        meta.append((school, is_core, status))
    with run.indexes_set_aside(Lesson.__table__):  # the search indexes, built once the lessons are in
        lesson_ids = run.insert_rows(Lesson.__table__, lesson_rows, total=len(lesson_rows), label="lessons",
                                     returning=Lesson.id)
    if run.session.get_bind().dialect.name == "sqlite":  # the trigram tables, kept row by row: merged once
        search_index.merge_segments(lambda sql: run.session.execute(text(sql)))
        run.session.commit()
    kept = ("title", "summary", "body", "tags", "topics", "subjects", "grades", "audiences", "duration_minutes",
            "video_url", "visibility")
    revisions = ({"lesson_id": lid, "number": 1, "editor_id": row["author_id"], "note": "",
                  "created_at": row["created_at"], **{k: row[k] for k in kept}}
                 for lid, row in zip(lesson_ids, lesson_rows, strict=True))
    run.insert_rows(LessonRevision.__table__, revisions, total=len(lesson_rows), label="lesson revisions")
    del lesson_rows

    # Readings: people of the lesson's school read it; teachers confirm core material.
    by_school: dict[int, list[tuple[int, Role]]] = {}
    for role in (Role.TEACHER, Role.STUDENT):
        for uid, unit in made["people"].get(role, []):
            by_school.setdefault(unit, []).append((uid, role))
    for unit, uid in admins.items():
        by_school.setdefault(unit, []).append((uid, Role.SCHOOL_ADMIN))
    by_commune: dict[int, list[int]] = {}
    for sid in by_school:
        by_commune.setdefault(school_commune[sid], []).append(sid)
    published = [(lid, school, core) for lid, (school, core, status) in zip(lesson_ids, meta, strict=True)
                 if status == LessonStatus.PUBLISHED]
    seen: set[tuple[int, int]] = set()

    def reads():
        made_reads = 0
        tries = 0
        while made_reads < preset.reads and tries < preset.reads * 3:
            tries += 1
            lid, school, core = rng.choice(published)
            if rng.random() < 0.3:  # a reader from another school of the commune
                school = rng.choice(by_commune[school_commune[school]])
            uid, role = rng.choice(by_school[school])
            if (lid, uid) in seen:
                continue
            seen.add((lid, uid))
            made_reads += 1
            first = now - timedelta(days=rng.randint(0, 300), minutes=rng.randint(0, 1440))
            confirmed = first + timedelta(minutes=5) if core and role != Role.STUDENT and rng.random() < 0.7 else None
            yield {"lesson_id": lid, "user_id": uid, "first_read_at": first, "confirmed_at": confirmed}

    run.insert_rows(LessonRead.__table__, reads(), total=preset.reads if published else 0, label="lesson reads")
    counts.recount(run.session.connection())  # Core inserts bypass the counters kept on write
    counts.recount_shelves(run.session.connection())
    counts.recount_informed(run.session.connection())  # from the memberships and core_readers just counted
    run.session.commit()
    made["lessons"] = lesson_ids

"""Demo data of the lessons domain: three lessons by the demo teacher (one core, one public, one for the commune)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from schoolhub.demo import Demo
from schoolhub.lessons import services as lesson_services
from schoolhub.lessons.models import LessonStatus, Visibility

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


def seed(db: Session, demo: Demo) -> None:
    """A few published lessons by the demo teacher: one core (for the commune's teachers), one public, one for the commune."""
    author = demo.accounts["demo.teacher"]
    school = next(m.unit for m in author.memberships)
    for spec in DEMO_LESSONS:
        spec = dict(spec)
        core = spec.pop("core")
        spec["visibility"] = Visibility(spec["visibility"])
        lesson = lesson_services.create_lesson(db, author, school, lesson_services.LessonInput(**spec))
        lesson_services.set_status(db, author, lesson, LessonStatus.PUBLISHED)
        if core:  # marked by the commune's officer: every teacher of the commune is asked to confirm it
            lesson_services.set_core(db, demo.accounts["demo.officer"], lesson, True, school.parent)
    db.flush()

"""Files for every domain: a second, throw-away owner proves the registry, the one route and the file cleanup.

The owners here are real tables ("staff-room notices" and "bulletins" of a school), mapped on their own
metadata so the application's models (and test_migrations) never see them, and created inside the test's
transaction, so the rollback at the end of each test drops them again.
"""
import ast
import io
import os
from pathlib import Path

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, select
from sqlalchemy.orm import DeclarativeBase, Mapped, joinedload, mapped_column, relationship
from werkzeug.datastructures import FileStorage

import schoolhub
from schoolhub import attachments, files
from schoolhub.accounts.models import OrgUnit
from schoolhub.attachments import AttachmentMixin, commit_or_discard, register_owner, store_upload
from schoolhub.db import NAMING_CONVENTION
from schoolhub.lessons.models import Attachment

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class ThrowAwayBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The mixin's uploaded_by_id names "users.id": this stand-in lets that resolve in the throw-away metadata.
# It is never created; the foreign key reaches the real users table by name.
Table("users", ThrowAwayBase.metadata, Column("id", Integer, primary_key=True))


class Notice(ThrowAwayBase):
    """A staff-room notice of a school: its files are for the school's staff only."""

    __tablename__ = "test_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey(OrgUnit.__table__.c.id))
    title: Mapped[str] = mapped_column(String(100))

    school = relationship(OrgUnit)
    files = relationship("NoticeFile", back_populates="notice", cascade="all, delete-orphan")


class NoticeFile(AttachmentMixin, ThrowAwayBase):
    __tablename__ = "test_notice_files"

    notice_id: Mapped[int] = mapped_column(ForeignKey("test_notices.id", ondelete="CASCADE"))
    notice = relationship(Notice, back_populates="files")


class Bulletin(ThrowAwayBase):
    """A third owner, only to show the lookup does not grow with the number of owners."""

    __tablename__ = "test_bulletins"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey(OrgUnit.__table__.c.id))

    school = relationship(OrgUnit)


class BulletinFile(AttachmentMixin, ThrowAwayBase):
    __tablename__ = "test_bulletin_files"

    bulletin_id: Mapped[int] = mapped_column(ForeignKey("test_bulletins.id", ondelete="CASCADE"))
    bulletin = relationship(Bulletin)


THROW_AWAY_TABLES = [Notice.__table__, NoticeFile.__table__, Bulletin.__table__, BulletinFile.__table__]


def register_notices(**extra):
    """Notices' files follow VIEW_ROSTER on the notice's school: its teachers and admins, not its students."""
    return register_owner("notices", NoticeFile, owner_of=lambda f: f.notice.school, action="view_roster",
                          options=(joinedload(NoticeFile.notice).joinedload(Notice.school),), **extra)


def register_bulletins():
    return register_owner("bulletins", BulletinFile, owner_of=lambda f: f.bulletin.school, action="view_school",
                          options=(joinedload(BulletinFile.bulletin).joinedload(Bulletin.school),))


@pytest.fixture
def registry(monkeypatch):
    """The owner registry as the app made it (lessons), restored after the test whatever it registers."""
    monkeypatch.setattr(attachments, "_OWNERS", dict(attachments._OWNERS))
    return attachments


@pytest.fixture
def tables(db):
    """The throw-away tables, created in the test's transaction (its rollback drops them)."""
    ThrowAwayBase.metadata.create_all(db.connection(), tables=THROW_AWAY_TABLES)
    db.commit()


@pytest.fixture
def stored_here(app):
    """Store bytes in the app's upload directory; the files are removed after the test."""
    made: list[str] = []

    def _store(data: bytes, name: str) -> files.StoredFile:
        stored = files.store(io.BytesIO(data), name, app.config["UPLOAD_DIR"], max_bytes=10**6)
        made.append(stored.token)
        return stored

    yield _store
    for token in made:
        files.delete_stored(app.config["UPLOAD_DIR"], token)


@pytest.fixture
def notice_file(world, db, tables, stored_here):
    """A PDF attached to a staff-room notice of world.school."""
    notice = Notice(school_id=world.school.id, title="Lịch họp tổ chuyên môn")
    db.add(notice)
    db.flush()
    attachment = NoticeFile.from_stored(stored_here(PDF, "lich-hop.pdf"), world.admin.id, notice=notice)
    db.add(attachment)
    db.commit()
    return attachment


def get_file(client, url: str):
    """GET a file, buffer its body and close the response (send_file keeps the file open until then)."""
    r = client.get(url)
    r.get_data()
    r.close()
    return r


def leftover_files(root: Path) -> list[Path]:
    return [Path(d) / name for d, _dirs, names in os.walk(root) for name in names]


# --- the route answers by the owner's own rule ------------------------------------------------------------------


def test_an_unregistered_table_has_no_downloadable_files(registry, notice_file, login_as, world):
    assert get_file(login_as(world.admin), f"/files/{notice_file.token}").status_code == 404


def test_registered_owner_files_follow_its_actions_rule(registry, notice_file, world, login_as, app):
    register_notices()
    url = f"/files/{notice_file.token}"
    for staff in (world.admin, world.teacher):
        r = get_file(login_as(staff), url)
        assert r.status_code == 200, staff.username
        assert r.data == PDF and r.mimetype == "application/pdf"
        assert r.headers["Content-Disposition"].startswith("attachment")
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Security-Policy"] == "default-src 'none'; img-src 'self'; sandbox"
        assert r.headers["Cache-Control"] == "private, no-cache"
    # VIEW_ROSTER, not VIEW_LESSON: the school's own student may read its school lessons, not these files.
    for refused in (world.student, world.other_teacher, world.other_admin, world.officer, world.outsider):
        r = get_file(login_as(refused), url)
        assert r.status_code == 404, refused.username
        assert r.data != PDF
    anonymous = get_file(app.test_client(), url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_lesson_files_still_follow_the_lessons_rule_beside_another_owner(
        registry, notice_file, world, factory, login_as, db, stored_here):
    register_notices()
    lesson = factory.lesson(world.school, world.teacher, visibility="school")
    lesson_file = Attachment.from_stored(stored_here(PDF, "bai.pdf"), world.teacher.id, lesson=lesson)
    db.add(lesson_file)
    db.commit()
    student = login_as(world.student)
    assert get_file(student, f"/files/{lesson_file.token}").status_code == 200
    assert get_file(student, f"/files/{notice_file.token}").status_code == 404


def test_is_public_of_the_owner_decides_shared_caching(registry, notice_file, world, login_as):
    register_notices(is_public=lambda school: school.is_active)
    r = get_file(login_as(world.teacher), f"/files/{notice_file.token}")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "public, no-cache"


def test_a_file_missing_on_disk_is_404(registry, notice_file, world, login_as, app):
    register_notices()
    files.delete_stored(app.config["UPLOAD_DIR"], notice_file.token)
    assert get_file(login_as(world.admin), f"/files/{notice_file.token}").status_code == 404


def test_the_lookup_is_one_statement_whatever_the_number_of_owners(
        registry, notice_file, world, login_as, count_queries):
    url = f"/files/{notice_file.token}"
    c = login_as(world.admin)
    counts = []
    for register in (register_notices, register_bulletins):
        register()
        assert get_file(c, url).status_code == 200  # warm: the same request, measured below
        with count_queries() as statements:
            assert get_file(c, url).status_code == 200
        tables = [owner.model.__tablename__ for owner in attachments.owners()]
        lookups = [s for s in statements if any(t in s for t in tables) and "UNION ALL" in s]
        assert len(lookups) == 1, statements
        assert all(t in lookups[0] for t in tables)
        counts.append(len(statements))
    assert len(attachments.owners()) == 3  # lessons, notices, bulletins
    assert counts[0] == counts[1], counts


# --- registering ------------------------------------------------------------------------------------------------


def test_lessons_are_registered_with_their_action():
    lessons = {o.name: o for o in attachments.owners()}["lessons"]
    assert lessons.model is Attachment and lessons.action == "view_lesson"


def test_register_owner_refuses_what_would_be_ambiguous(registry):
    register_notices()
    register_notices()  # the same again (another app in the same process) replaces the entry
    with pytest.raises(ValueError):
        register_owner("notices", BulletinFile, owner_of=lambda f: f.bulletin, action="view_school")
    with pytest.raises(ValueError):
        register_owner("notices_again", NoticeFile, owner_of=lambda f: f.notice, action="view_roster")
    with pytest.raises(ValueError):
        register_owner("Notices!", BulletinFile, owner_of=lambda f: f.bulletin, action="view_school")
    with pytest.raises(TypeError):
        register_owner("bulletins", Bulletin, owner_of=lambda b: b, action="view_school")
    assert [o.name for o in attachments.owners()] == ["lessons", "notices"]


def test_core_modules_import_no_domain():
    root = Path(schoolhub.__file__).parent
    for module in ("attachments.py", "views_files.py"):
        tree = ast.parse((root / module).read_text(encoding="utf-8"))
        imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        domains = {name for name in imported if name.startswith(("schoolhub.accounts", "schoolhub.lessons"))}
        assert not domains, (module, domains)


# --- uploading: the stored files follow the transaction --------------------------------------------------------


def upload_of(data: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type="application/octet-stream")


def test_store_upload_without_a_chosen_file_is_none(tmp_path):
    assert store_upload(None, tmp_path, 10**6) is None
    assert store_upload(upload_of(b"", ""), tmp_path, 10**6) is None  # the empty part of a form without a file
    assert leftover_files(tmp_path) == []


def test_store_upload_stores_the_chosen_file(tmp_path):
    stored = store_upload(upload_of(PDF, "bien-ban.pdf"), tmp_path, 10**6)
    assert stored.kind.key == "pdf" and stored.original_name == "bien-ban.pdf"
    assert files.path_for(tmp_path, stored.token).read_bytes() == PDF


def test_a_failed_transaction_leaves_no_stored_file_behind(world, db, tables, tmp_path):
    notice = Notice(school_id=world.school.id, title="Thông báo")
    db.add(notice)
    db.commit()
    with pytest.raises(RuntimeError), commit_or_discard(db, tmp_path) as changes:
        stored = changes.store_upload(upload_of(PDF, "a.pdf"), 10**6)
        db.add(NoticeFile.from_stored(stored, world.admin.id, notice=notice))
        db.flush()
        assert leftover_files(tmp_path) != []  # stored while the transaction ran
        raise RuntimeError("the service refused")
    assert leftover_files(tmp_path) == []
    assert db.scalars(select(NoticeFile)).all() == []


def test_a_failing_commit_leaves_no_stored_file_behind(world, db, tables, tmp_path):
    notice = Notice(school_id=world.school.id, title="Thông báo")
    db.add(notice)
    db.commit()
    taken = NoticeFile(token="T" * 24, kind="pdf", mime="application/pdf", size=1, original_name="x.pdf",
                       notice=notice)
    db.add(taken)
    db.commit()
    with pytest.raises(Exception) as failure, commit_or_discard(db, tmp_path) as changes:
        stored = changes.store_upload(upload_of(PDF, "a.pdf"), 10**6)
        db.add(NoticeFile.from_stored(stored, None, notice=notice))
        db.add(NoticeFile(token="T" * 24, kind="pdf", mime="application/pdf", size=1, original_name="y.pdf",
                          notice=notice))  # the unique token fails at the commit's flush
    assert "unique" in str(failure.value).lower()
    assert leftover_files(tmp_path) == []
    assert [f.original_name for f in db.scalars(select(NoticeFile))] == ["x.pdf"]


def test_a_dropped_file_goes_only_once_the_transaction_commits(world, db, tables, tmp_path):
    notice = Notice(school_id=world.school.id, title="Thông báo")
    db.add(notice)
    db.flush()
    kept = store_upload(upload_of(PDF, "giu.pdf"), tmp_path, 10**6)
    db.add(NoticeFile.from_stored(kept, None, notice=notice))
    db.commit()
    path = files.path_for(tmp_path, kept.token)

    with pytest.raises(RuntimeError), commit_or_discard(db, tmp_path) as changes:
        changes.dropped.append(kept.token)
        raise RuntimeError("refused")
    assert path.is_file()  # the failed transaction still names it

    with commit_or_discard(db, tmp_path) as changes:
        row = db.scalar(select(NoticeFile))
        db.delete(row)
        changes.dropped.append(row.token)
    assert not path.exists()
    assert db.scalars(select(NoticeFile)).all() == []


def test_upload_error_speaks_vietnamese_by_default(app):
    refusal = files.UploadRejected(files.MSG_TOO_LARGE, limit="20 MB", limit_bytes=20 * 1024 * 1024)
    with app.test_request_context("/"):
        assert attachments.upload_error(refusal) == "Tệp lớn hơn 20 MB."

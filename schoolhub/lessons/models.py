"""Models of lessons: the lesson, its revisions, attachments and who read it."""
from __future__ import annotations

from datetime import datetime

from markupsafe import Markup
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from schoolhub.accounts.models import OrgUnit, User
from schoolhub.attachments import AttachmentMixin, register_owner
from schoolhub.clock import utcnow
from schoolhub.db import Base
from schoolhub.lessons.vocab import LessonStatus, Visibility, unpack


class LessonContent:
    """What a teacher writes and describes: kept by the lesson and by each of its revisions."""

    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(String(300), default="")
    # Packed key lists (',stem,ai,'): one LIKE filters them on SQLite and PostgreSQL alike.
    topics: Mapped[str] = mapped_column(String(200), default="")
    subjects: Mapped[str] = mapped_column(String(200), default="")
    grades: Mapped[str] = mapped_column(String(60), default="")
    audiences: Mapped[str] = mapped_column(String(60), default="")
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    video_url: Mapped[str] = mapped_column(String(300), default="")
    visibility: Mapped[Visibility] = mapped_column(default=Visibility.SCHOOL)

    @property
    def topic_keys(self) -> list[str]:
        return unpack(self.topics)

    @property
    def subject_keys(self) -> list[str]:
        return unpack(self.subjects)

    @property
    def grade_list(self) -> list[int]:
        return [int(g) for g in unpack(self.grades)]

    @property
    def audience_keys(self) -> list[str]:
        return unpack(self.audiences)

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]


class Lesson(LessonContent, Base):
    """A piece of lesson material owned by a school and written by a teacher."""

    __tablename__ = "lessons"
    __table_args__ = (
        CheckConstraint("duration_minutes IS NULL OR duration_minutes BETWEEN 1 AND 600", name="duration_range"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint("is_core OR core_unit_id IS NULL", name="core_unit_only_when_core"),
        # Newest-first lists, the feed and the core-first lesson list walk these in order.
        Index(None, "status", "published_at", "id"),
        Index(None, "status", "visibility", "published_at"),
        # On PostgreSQL its entries also carry what a search's walk of the newest lessons tests (their
        # visibility, school and folded title): the walk reads the index alone (migration 0015).
        Index(None, "status", "is_core", "published_at", "id",
              postgresql_include=["visibility", "school_id", "title_folded"]),
        # The search index lives outside the metadata (pg_trgm GIN on PostgreSQL, an FTS5 table on SQLite):
        # migration 0004 makes it; schoolhub.migrate.DATABASE_ONLY keeps Alembic's comparison off it.
        # So does ix_lessons_core_scope (migration 0008): (is_core, coalesce(core_unit_id, school_id)), the
        # to-do badge's "core lessons of these units" on every page (lessons.policy.lessons_to_confirm).
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The body rendered by markup.render_markdown when saved: pages never re-render (markdown2 is slow on
    # hostile text, so it runs once per save, not once per view).
    body_html: Mapped[str] = mapped_column(Text, default="")
    is_core: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whose people the core flag asks to confirm: the school when its admin set the flag, the commune when
    # an officer did (lessons.policy.core_scope_for). None when not core, or when the flag was set without
    # saying (older rows, fixtures): read as the lesson's own school, the narrowest reading.
    core_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    status: Mapped[LessonStatus] = mapped_column(default=LessonStatus.DRAFT)
    source_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))
    # Kept as text too, so the credit survives the original being archived or removed.
    source_credit: Mapped[str] = mapped_column(String(400), default="")
    # Written on every save (services.index_lesson): accent-folded and exact lower-cased text.
    title_folded: Mapped[str] = mapped_column(String(200), default="", index=True)
    search_folded: Mapped[str] = mapped_column(Text, default="")
    search_exact: Mapped[str] = mapped_column(Text, default="")
    revision_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    school: Mapped[OrgUnit] = relationship(foreign_keys=[school_id])
    author: Mapped[User | None] = relationship()
    source: Mapped[Lesson | None] = relationship(remote_side=[id])
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="lesson", cascade="all, delete-orphan", order_by="Attachment.id"
    )

    def __repr__(self) -> str:
        return f"<Lesson {self.id} {self.status}>"

    @property
    def school_name(self) -> str:
        """The owning school's name (a card's row of lessons.cards.CARD_COLUMNS carries it as a column)."""
        return self.school.name

    @property
    def author_name(self) -> str | None:
        return self.author.full_name if self.author else None

    @property
    def body_markup(self) -> Markup:
        """The sanitised HTML of the body (made by markup.render_markdown on save)."""
        return Markup(self.body_html or "")

    @property
    def excerpt(self) -> str:
        """The summary, or else the start of the body as plain text (from the stored rendering: no Markdown run)."""
        return self.summary or self.body_markup.striptags()[:300]

    @property
    def is_published(self) -> bool:
        return self.status == LessonStatus.PUBLISHED

    @property
    def core_scope_id(self) -> int:
        """The unit whose people the core flag asks: the one recorded, else the lesson's school."""
        return self.core_unit_id or self.school_id


class LessonRevision(LessonContent, Base):
    """The lesson's content as one save left it: who saved it and when."""

    __tablename__ = "lesson_revisions"
    __table_args__ = (UniqueConstraint("lesson_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))  # led by the unique
    number: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    editor: Mapped[User | None] = relationship()


class Attachment(AttachmentMixin, Base):
    """A file attached to a lesson, stored under instance/uploads with a random token."""

    __tablename__ = "lesson_attachments"

    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)

    lesson: Mapped[Lesson] = relationship(back_populates="attachments")


class LessonRead(Base):
    """The first time a user opened a lesson, and when they confirmed reading core material."""

    __tablename__ = "lesson_reads"
    __table_args__ = (UniqueConstraint("lesson_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))  # led by the unique
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    first_read_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]


class CoreReader(Base):
    """How many core lessons a user has confirmed reading, kept on write by schoolhub.lessons.counts (in
    the same transaction): the "teachers informed" figures read one row per teacher instead of scanning
    every confirmation of the province."""

    __tablename__ = "core_readers"
    __table_args__ = (CheckConstraint("confirmed >= 0", name="not_negative"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    confirmed: Mapped[int] = mapped_column(Integer, default=0)


class SchoolLessons(Base):
    """How many published lessons a school holds, by visibility, kept on write by schoolhub.lessons.counts
    (in the same transaction): the lesson list's school choices and its count read one row per school
    instead of probing the province's lessons (lessons.policy.readable_of_school says which count
    for whom)."""

    __tablename__ = "school_lessons"
    __table_args__ = (CheckConstraint("public >= 0 AND commune >= 0 AND school >= 0", name="not_negative"),)

    school_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"), primary_key=True)
    public: Mapped[int] = mapped_column(Integer, default=0)
    commune: Mapped[int] = mapped_column(Integer, default=0)
    school: Mapped[int] = mapped_column(Integer, default=0)


class InformedCount(Base):
    """The "teachers informed" figures of a unit, kept on write by schoolhub.lessons.counts (in the same
    transaction as every change they follow). A school's row: its active teachers and how many of them
    confirmed at least one core lesson (queries.informed_by_school's definition). A commune's row: the
    same over its active schools, a teacher of two schools counted once (queries.informed_teachers). The
    officer's home reads its commune's dozen rows instead of joining the commune's teachers with their
    confirmations on every view. A unit without a row has no teachers."""

    __tablename__ = "informed_counts"
    __table_args__ = (CheckConstraint("informed >= 0 AND informed <= teachers", name="within_teachers"),)

    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"), primary_key=True)
    teachers: Mapped[int] = mapped_column(Integer, default=0)
    informed: Mapped[int] = mapped_column(Integer, default=0)


class LessonShelfToken(Base):
    """One row: a random token drawn anew, in the same transaction, by every write that changes the public
    half of the lesson list's school choices: school_lessons (schoolhub.lessons.counts) or a school's name.

    Every reader's list shows the schools with public lessons, with their names and counts: at the
    province preset 300 of them, which the database aggregated on every list and search (0.9 ms). A
    process keeps that half by the token it was read with, and each page asks only the token and the
    reader's own half (their commune's and school's lessons). A token names one state of the figures: a
    write draws another (never a next number, which a rolled-back write could hand out twice), so a kept
    half is never shown once the figures changed. No row reads as token 0 (no counted write yet: a
    migrated database holds no row, so seed-demo and seed-scale still find it empty); the first write
    makes it."""

    __tablename__ = "lesson_shelf_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger)


def _is_public(lesson: Lesson) -> bool:
    return lesson.status == LessonStatus.PUBLISHED and lesson.visibility == Visibility.PUBLIC


def register_attachments(app=None) -> None:
    """Serve lesson files at /files/<token> to whoever may read the lesson (lessons' part of app setup)."""
    register_owner("lessons", Attachment, owner_of=lambda attachment: attachment.lesson, action="view_lesson",
                   is_public=_is_public, options=(joinedload(Attachment.lesson).joinedload(Lesson.school),))

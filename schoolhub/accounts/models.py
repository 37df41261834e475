"""Models of the organisation tree, classes, users and memberships (the audit log is core: schoolhub.audit)."""
from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    and_,
    false,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from schoolhub.clock import local_today, utcnow
from schoolhub.db import Base
from schoolhub.textfold import NAME_SORT_LENGTH, name_sort_key


class UnitKind(enum.StrEnum):
    """Kinds of organisation unit, from the top of the tree down."""

    PROVINCE = "province"
    COMMUNE = "commune"
    SCHOOL = "school"


class SchoolLevel(enum.StrEnum):
    """School levels of the Vietnamese system."""

    MAM_NON = "mam_non"
    TIEU_HOC = "tieu_hoc"
    THCS = "thcs"
    THPT = "thpt"


# Grades each level teaches; pre-school groups are numbered 0 (nhà trẻ/mẫu giáo).
LEVEL_GRADES: dict[SchoolLevel, range] = {
    SchoolLevel.MAM_NON: range(0, 1),
    SchoolLevel.TIEU_HOC: range(1, 6),
    SchoolLevel.THCS: range(6, 10),
    SchoolLevel.THPT: range(10, 13),
}


class Role(enum.StrEnum):
    """Roles a membership grants over a unit's subtree."""

    OFFICER = "officer"
    SCHOOL_ADMIN = "school_admin"
    TEACHER = "teacher"
    STUDENT = "student"


# Unit paths compare bytewise on PostgreSQL too, so a btree on path serves subtree ranges whatever
# the database's collation (a linguistic one may sort '/' and digits apart from their byte order).
PATH_TYPE = String(255).with_variant(String(255, collation="C"), "postgresql")
# A people list's order key (textfold.name_sort_key): ASCII compared byte by byte on both databases.
NAME_SORT_TYPE = String(NAME_SORT_LENGTH).with_variant(String(NAME_SORT_LENGTH, collation="C"), "postgresql")


class OrgUnit(Base):
    """A province, commune or school; `path` ("/1/7/42/") makes "this unit and everything under it"
    one index range (`subtree()`)."""

    __tablename__ = "org_units"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'school') = (level IS NOT NULL)", name="school_has_level"
        ),
        CheckConstraint("length(code) BETWEEN 2 AND 20", name="code_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[UnitKind]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(200), index=True)
    level: Mapped[SchoolLevel | None]
    address: Mapped[str] = mapped_column(String(300), default="")
    path: Mapped[str] = mapped_column(PATH_TYPE, default="", unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<OrgUnit {self.code} {self.kind}>"

    @property
    def is_school(self) -> bool:
        return self.kind == UnitKind.SCHOOL

    def contains(self, other: OrgUnit) -> bool:
        """True when `other` is this unit or lies in its subtree (the Python twin of `subtree()`)."""
        return bool(self.path) and other.path.startswith(self.path)

    def subtree(self) -> ColumnElement[bool]:
        """The SQL condition on OrgUnit for this unit and every unit under it."""
        return OrgUnit.subtree_of(self.path)

    @staticmethod
    def subtree_of(path: str, column=None) -> ColumnElement[bool]:
        """The units whose path starts with `path`, as a range: '/1/7/' gives path >= '/1/7/' AND path < '/1/70'.

        A path holds digits and '/', and '0' is the character right after '/', so the range holds
        exactly the paths under this one. Unlike LIKE '/1/7/%', an ordinary btree on path serves it
        on SQLite and PostgreSQL alike.
        """
        low, high = OrgUnit.subtree_bounds(path)
        column = OrgUnit.path if column is None else column  # another alias's path, when given
        return and_(column >= low, column < high)

    @staticmethod
    def subtree_bounds(path: str) -> tuple[str, str]:
        """subtree_of's range as (low, high): '/1/7/' gives ('/1/7/', '/1/70')."""
        if not (path.startswith("/") and path.endswith("/")):
            raise ValueError(f"not a unit path: {path!r}")
        return path, path[:-1] + "0"


class SchoolClass(Base):
    """A class (lớp) of one school in one school year."""

    __tablename__ = "school_classes"
    __table_args__ = (
        UniqueConstraint("school_id", "school_year", "name"),
        CheckConstraint("grade BETWEEN 0 AND 12", name="grade_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))  # led by the unique (school_id, ...)
    name: Mapped[str] = mapped_column(String(30))
    grade: Mapped[int] = mapped_column(Integer)
    school_year: Mapped[str] = mapped_column(String(9))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school: Mapped[OrgUnit] = relationship()


class User(UserMixin, Base):
    """A person who can log in; roles come from memberships."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive everywhere.
    username: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    name_folded: Mapped[str] = mapped_column(String(120), index=True)
    # Given name, middle, family in the Vietnamese alphabet: set with full_name, what people lists sort by.
    name_sort: Mapped[str] = mapped_column(NAME_SORT_TYPE, default="", server_default="", index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active_account: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    preferred_language: Mapped[str | None] = mapped_column(String(5))
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(10))
    student_code: Mapped[str | None] = mapped_column(String(30))
    phone: Mapped[str | None] = mapped_column(String(20))
    position: Mapped[str | None] = mapped_column(String(80))
    # Changing it ends every session and remember-cookie issued before.
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # The memberships in force (ended_on IS NULL): the roles policy, menus and counts go by. Start one
    # by appending a Membership; end one with services.end_membership, never by removing it (that
    # would delete the row, which is history).
    memberships: Mapped[list[Membership]] = relationship(
        primaryjoin="and_(User.id == Membership.user_id, Membership.ended_on.is_(None))",
        back_populates="user", cascade="all, delete-orphan", order_by="Membership.id",
    )
    # Every membership, ended ones included, in the order they started.
    all_memberships: Mapped[list[Membership]] = relationship(
        viewonly=True, order_by="(Membership.started_on, Membership.id)",
    )

    @validates("full_name")
    def _keep_sort_key(self, _key: str, full_name: str) -> str:
        self.name_sort = name_sort_key(full_name)
        return full_name

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        """Invalidate every session and remember-cookie of this user."""
        self.session_token = secrets.token_hex(16)


class Membership(Base):
    """A role a user holds over a unit's subtree for a span of days; a student's also names the class.

    It is current while `ended_on` is NULL, and covered day d when started_on <= d and (ended_on is
    NULL or ended_on > d): a teacher moving school on day d ends one membership on d and starts the
    next on d. A change is a new membership, so reports can ask who was where on a date.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        # One current membership per user, unit and role; ended ones are history and may repeat.
        Index("uq_memberships_current_user_id_unit_id_role", "user_id", "unit_id", "role", unique=True,
              sqlite_where=text("ended_on IS NULL"), postgresql_where=text("ended_on IS NULL")),
        CheckConstraint("role = 'student' OR class_id IS NULL", name="class_only_for_students"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
        # "The teachers of this school": every count and list of people filters on both.
        Index(None, "unit_id", "role"),
        # A school's list of its students or teachers in list order (active first, then by name), current
        # memberships only: a page is the index's next 25 entries, no user read to sort (accounts.listings).
        Index("ix_memberships_roster", "unit_id", "role", "user_inactive", "user_sort", "user_id",
              sqlite_where=text("ended_on IS NULL"), postgresql_where=text("ended_on IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Not redundant beside the unique index that starts with user_id: that one holds current rows only.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))  # led by the (unit_id, role) index
    role: Mapped[Role]
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_classes.id"), index=True)
    started_on: Mapped[date] = mapped_column(default=local_today)
    ended_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The user's list order beside the membership (not is_active_account, users.name_sort), kept on
    # write by schoolhub.accounts.sortkeys in the same flush as the user's change.
    user_inactive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    user_sort: Mapped[str] = mapped_column(NAME_SORT_TYPE, default="", server_default="")

    user: Mapped[User] = relationship(back_populates="memberships")
    unit: Mapped[OrgUnit] = relationship()
    school_class: Mapped[SchoolClass | None] = relationship()

    @property
    def is_student(self) -> bool:
        """A student's membership (the data it carries: a class, a birth date), not a permission."""
        return self.role == Role.STUDENT

    def covers(self, day: date) -> bool:
        """True when the membership was in force on `day` (the Python twin of `covering`)."""
        return self.started_on <= day and (self.ended_on is None or self.ended_on > day)

    @staticmethod
    def covering(day: date) -> ColumnElement[bool]:
        """The SQL condition for the memberships in force on `day`."""
        return and_(Membership.started_on <= day, or_(Membership.ended_on.is_(None), Membership.ended_on > day))


class UnitCount(Base):
    """A school's live figures, kept on write by schoolhub.accounts.counts (in the same transaction):
    active teachers, students and admins holding a current membership there, and open classes."""

    __tablename__ = "unit_counts"
    __table_args__ = (
        CheckConstraint("teachers >= 0 AND students >= 0 AND admins >= 0 AND classes >= 0", name="not_negative"),
    )

    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"), primary_key=True)
    teachers: Mapped[int] = mapped_column(default=0)
    students: Mapped[int] = mapped_column(default=0)
    admins: Mapped[int] = mapped_column(default=0)
    classes: Mapped[int] = mapped_column(default=0)


class ClassCount(Base):
    """A class's live size, kept on write by schoolhub.accounts.counts (in the same transaction): the
    current memberships of active accounts in the class (what classes_with_sizes shows)."""

    __tablename__ = "class_counts"
    __table_args__ = (CheckConstraint("students >= 0", name="not_negative"),)

    class_id: Mapped[int] = mapped_column(ForeignKey("school_classes.id", ondelete="CASCADE"), primary_key=True)
    students: Mapped[int] = mapped_column(default=0)

"""Stored files attached to any domain's records: one mixin, one owner registry, one download route.

The shape (issue 7, point 5), so that lessons, contest entries, club showcases and activity evidence share it:

- Bytes live in `schoolhub.files` (sniffed kind, random token, `path_for`); this module never reads them.
- Each domain keeps its own attachment table with its own owner foreign key, built from `AttachmentMixin`::

      class Attachment(AttachmentMixin, Base):
          __tablename__ = "lesson_attachments"
          lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
          lesson: Mapped[Lesson] = relationship(back_populates="attachments")

  A real foreign key per domain (not one polymorphic owner_type/owner_id table) keeps ON DELETE CASCADE and
  referential integrity in the schema, and lets each domain add the columns only it needs.
- The domain registers the table once, from its own code (e.g. its init_app)::

      register_owner("lessons", Attachment, owner_of=lambda a: a.lesson, action="view_lesson",
                     is_public=..., options=(joinedload(Attachment.lesson),))

  `owner_of(attachment)` returns the record that `action` (a policy action name) is asked about, so who may
  download a file is exactly who the owning domain's policy lets do `action` to that record. Lessons do it
  in `schoolhub.lessons.models.register_attachments(app)`, called by create_app (by lessons' init_app once
  domains register themselves); registering again is harmless.
- One route serves every domain: `/files/<token>` (`schoolhub.views_files`, endpoint "files.serve"). It finds
  the token among all registered tables in one statement (`find_attachment`: a UNION ALL, each branch served
  by its table's unique token index), loads that attachment with its owner, then asks the policy.
- Uploading: `store_upload` stores the chosen file (or says none was chosen), and `commit_or_discard` makes
  the stored files follow the database transaction: files stored in a failed transaction are deleted again,
  files dropped by a committed one are deleted after the commit; `upload_error` says why an upload was
  refused in the user's language.

Core module: it imports no domain package (the domains import it).
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String, literal, select, union_all
from sqlalchemy.orm import Mapped, Session, mapped_column

from schoolhub import files
from schoolhub.clock import utcnow
from schoolhub.db import UTCDateTime

MAX_TOKEN_LENGTH = 40  # the token column's width: anything longer is no file
_OWNER_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")

# files.py speaks English msgids; marked here so the catalogs carry them (shown through upload_error below).
_UPLOAD_MESSAGES = (
    _l("The file is larger than %(limit)s."),
    _l("This kind of file is not accepted. Allowed: PDF, DOCX, PPTX, XLSX, PNG, JPEG, MP4."),
    _l("The file is empty."),
)


class AttachmentMixin:
    """The columns every domain's attachment table shares; the domain adds its owner's foreign key."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique in each table; the same random token in two tables would take 2**144 tries.
    token: Mapped[str] = mapped_column(String(MAX_TOKEN_LENGTH), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # a key of files.KINDS, sniffed from the bytes
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(160))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def is_image(self) -> bool:
        """Shown inline (pictures); every other kind is served as a download."""
        kind = files.KINDS.get(self.kind)
        return kind is not None and kind.is_image

    @classmethod
    def from_stored(cls, stored: files.StoredFile, uploaded_by_id: int | None, **owner: Any) -> Self:
        """A new attachment row for a stored upload; `owner` sets the domain's own columns (lesson=...)."""
        return cls(token=stored.token, kind=stored.kind.key, mime=stored.kind.mime, size=stored.size,
                   original_name=stored.original_name[:160], uploaded_by_id=uploaded_by_id, **owner)


@dataclass(frozen=True)
class Owner:
    """A registered attachment table: how to reach the record its files belong to, and who may read them."""

    name: str
    model: type
    owner_of: Callable[[Any], Any]
    action: str
    is_public: Callable[[Any], bool] | None = None
    options: tuple = ()

    def public(self, owner: Any) -> bool:
        """True when anyone may read the owner's files, so shared caches may keep them."""
        return bool(self.is_public is not None and self.is_public(owner))


_OWNERS: dict[str, Owner] = {}


def register_owner(name: str, model: type, owner_of: Callable[[Any], Any], action: str, *,
                   is_public: Callable[[Any], bool] | None = None, options: Sequence = ()) -> Owner:
    """Make `model`'s files downloadable at /files/<token> by whoever the policy lets do `action` to the owner.

    name: a short key (lowercase letters, digits, "_"), usually the domain's; model: an AttachmentMixin model;
    owner_of(attachment): the record `action` is asked about; action: a policy action name such as
    "view_lesson"; is_public(owner): True when anyone may read it (then responses may be cached publicly);
    options: loader options for loading an attachment with what owner_of and the rule read, so a download
    runs a fixed number of statements. Registering the same name and model again replaces the entry (several
    apps in one process); another model under a taken name, or one model under two names, is an error.
    """
    if not _OWNER_NAME.fullmatch(name):
        raise ValueError(f"not an owner name: {name!r}")
    if not (isinstance(model, type) and issubclass(model, AttachmentMixin)):
        raise TypeError(f"{model!r} is not an AttachmentMixin model")
    if not isinstance(action, str) or not action:
        raise TypeError(f"the action must be a policy action name, not {action!r}")
    taken = _OWNERS.get(name)
    if taken is not None and taken.model is not model:
        raise ValueError(f"the owner name {name!r} is taken by {taken.model.__name__}")
    other = next((o.name for o in _OWNERS.values() if o.model is model and o.name != name), None)
    if other is not None:
        raise ValueError(f"{model.__name__} is already registered as {other!r}")
    entry = Owner(name, model, owner_of, str(action), is_public, tuple(options))
    _OWNERS[name] = entry
    return entry


def owners() -> tuple[Owner, ...]:
    """Every registered attachment table, in registration order."""
    return tuple(_OWNERS.values())


def find_attachment(session: Session, token: str) -> tuple[Owner, Any] | None:
    """The registry entry and the attachment (with its owner loaded) of `token`, or None.

    One statement finds the token among every registered table, whatever their number; a second loads the
    attachment with the entry's loader options.
    """
    entries = owners()
    if not entries or not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
        return None
    branches = [select(literal(i).label("owner"), entry.model.id.label("id")).where(entry.model.token == token)
                for i, entry in enumerate(entries)]
    lookup = branches[0] if len(branches) == 1 else union_all(*branches)
    found = session.execute(lookup).first()
    if found is None:
        return None
    entry = entries[found.owner]
    attachment = session.scalar(select(entry.model).where(entry.model.id == found.id).options(*entry.options))
    return (entry, attachment) if attachment is not None else None


def store_upload(file_storage, upload_dir: str | Path, max_bytes: int) -> files.StoredFile | None:
    """Store the uploaded file (a werkzeug FileStorage) under a new token; None when no file was chosen.

    Raises files.UploadRejected (too large, empty, not an accepted kind), leaving nothing behind.
    """
    if file_storage is None or not file_storage.filename:
        return None  # a form sent without choosing a file has an empty part with no name
    return files.store(file_storage.stream, file_storage.filename, upload_dir, max_bytes=max_bytes)


def upload_error(error: files.UploadRejected) -> str:
    """Why the upload was refused, in the user's language (for the form's file field)."""
    return gettext(error.message, **error.params)


@dataclass
class FileChanges:
    """The stored files one database transaction makes and drops (see commit_or_discard)."""

    upload_dir: Path
    made: list[str] = field(default_factory=list)  # deleted again if the transaction fails
    dropped: list[str] = field(default_factory=list)  # deleted once the transaction has committed

    def store_upload(self, file_storage, max_bytes: int) -> files.StoredFile | None:
        """store_upload into this transaction's upload_dir, remembering the token in `made`."""
        stored = store_upload(file_storage, self.upload_dir, max_bytes)
        if stored is not None:
            self.made.append(stored.token)
        return stored


@contextlib.contextmanager
def commit_or_discard(session: Session, upload_dir: str | Path) -> Iterator[FileChanges]:
    """Commit the session at the end of the block, with the stored files following the transaction.

    On any failure in the block or in the commit, roll back, delete the files in `made` and re-raise, so a
    refused save leaves no row and no file behind. After the commit, delete the files in `dropped` (only
    then: a failed save must not lose the file its rows still name).
    """
    changes = FileChanges(Path(upload_dir))
    try:
        yield changes
        session.commit()
    except BaseException:
        session.rollback()
        for token in changes.made:
            files.delete_stored(changes.upload_dir, token)
        raise
    for token in changes.dropped:
        files.delete_stored(changes.upload_dir, token)

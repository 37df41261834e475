"""Services of lessons: take the session, the acting user and plain values; flush, never commit."""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schoolhub import files
from schoolhub.accounts.models import OrgUnit, User
from schoolhub.clock import utcnow
from schoolhub.lessons.models import (
    Attachment,
    Lesson,
    LessonRead,
    LessonRevision,
    LessonStatus,
    Visibility,
)
from schoolhub.lessons.vocab import (
    AUDIENCES,
    GRADES,
    SUBJECTS,
    TOPICS,
    grade_label,
    pack,
    unpack,
)
from schoolhub.markup import render_markdown, youtube_id
from schoolhub.services import ServiceError, audit
from schoolhub.textfold import exact_key, fold, nfc
from schoolhub.vocab import labels_of

TITLE_MAX = 200
SUMMARY_MAX = 500
BODY_MAX = 50_000
# markdown2's link and code-span parsing is quadratic: these caps keep one save under about a second.
MAX_BRACKETS = 500
MAX_BACKTICKS = 2000
MAX_ANGLES = 1000
TAGS_MAX = 300
TAG_MAX = 40
MAX_ATTACHMENTS = 30


@dataclass
class LessonInput:
    """What a teacher types into the lesson form, as plain values."""

    title: str
    summary: str = ""
    body: str = ""
    topics: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    grades: tuple[int, ...] = ()
    audiences: tuple[str, ...] = ()
    tags: str = ""
    duration_minutes: int | None = None
    video_url: str = ""
    visibility: Visibility = Visibility.SCHOOL


def _clean_tags(raw: str) -> str:
    tags: list[str] = []
    for part in (raw or "").replace(";", ",").split(","):
        tag = nfc(part)[:TAG_MAX]
        if tag and fold(tag) not in {fold(t) for t in tags}:
            tags.append(tag)
    text = ", ".join(tags)
    if len(text) > TAGS_MAX:
        raise ServiceError(_l("Too many tags: at most %(max)d characters in all.", max=TAGS_MAX), "tags")
    return text


# Control characters (but tab and newline) have no place in text, and XML (the Atom feed) forbids them.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str | None) -> str:
    return _CONTROLS.sub("", value or "")


def check_body(body: str) -> None:
    """Refuse a body too long or too full of [ or ` to render quickly (ServiceError on the body field)."""
    if len(body) > BODY_MAX:
        raise ServiceError(_l("Too long: at most %(max)d characters.", max=BODY_MAX), "body")
    if body.count("[") > MAX_BRACKETS:
        raise ServiceError(_l("Too many “[” characters: at most %(max)d (each link or picture uses one).",
                              max=MAX_BRACKETS), "body")
    if body.count("`") > MAX_BACKTICKS:
        raise ServiceError(_l("Too many “`” characters: at most %(max)d.", max=MAX_BACKTICKS), "body")
    if body.count("<") > MAX_ANGLES:
        raise ServiceError(_l("Too many “<” characters: at most %(max)d.", max=MAX_ANGLES), "body")


def _check(data: LessonInput) -> dict:
    title = nfc(_text(data.title))
    if not title:
        raise ServiceError(_l("A lesson needs a title."), "title")
    if len(title) > TITLE_MAX:
        raise ServiceError(_l("Too long: at most %(max)d characters.", max=TITLE_MAX), "title")
    summary = nfc(_text(data.summary))
    if len(summary) > SUMMARY_MAX:
        raise ServiceError(_l("Too long: at most %(max)d characters.", max=SUMMARY_MAX), "summary")
    body = unicodedata.normalize("NFC", _text((data.body or "").replace("\r\n", "\n")))
    check_body(body)
    for values, vocab, field in ((data.topics, TOPICS, "topics"), (data.subjects, SUBJECTS, "subjects"),
                                 (data.audiences, AUDIENCES, "audiences")):
        if any(v not in vocab for v in values):
            raise ServiceError(_l("Choose from the list."), field)
    if any(g not in GRADES for g in data.grades):
        raise ServiceError(_l("Choose from the list."), "grades")
    duration = data.duration_minutes
    if duration is not None and not 1 <= duration <= 600:
        raise ServiceError(_l("Between %(min)d and %(max)d minutes.", min=1, max=600), "duration_minutes")
    video = (data.video_url or "").strip()
    if video and youtube_id(video) is None:
        raise ServiceError(_l("Only a YouTube link can be shown as a video (youtube.com or youtu.be)."),
                           "video_url")
    return {
        "title": title, "summary": summary, "body": body,
        "topics": pack(k for k in TOPICS if k in data.topics),
        "subjects": pack(k for k in SUBJECTS if k in data.subjects),
        "grades": pack(g for g in GRADES if g in data.grades),
        "audiences": pack(k for k in AUDIENCES if k in data.audiences),
        "tags": _clean_tags(_text(data.tags)), "duration_minutes": duration, "video_url": video[:300],
        "visibility": Visibility(data.visibility),
    }


def index_lesson(lesson: Lesson) -> None:
    """Keep the derived columns in step with the text: rendered body, folded (no accents) and exact search text."""
    lesson.body_html = str(render_markdown(lesson.body))
    for column, value in search_columns(lesson).items():
        setattr(lesson, column, value)


def search_columns(content) -> dict[str, str]:
    """The search columns of a lesson's content (anything with title, summary, tags and body)."""
    text = "\n".join((content.title, content.summary, content.tags, content.body))
    return {"title_folded": fold(content.title)[:200], "search_folded": fold(text), "search_exact": exact_key(text)}


# What a revision keeps. A restore brings back all but the visibility (who may read it is decided anew).
TEXT_FIELDS = ("title", "summary", "body", "tags")
META_FIELDS = ("topics", "subjects", "grades", "audiences", "duration_minutes", "video_url")
RESTORED_FIELDS = TEXT_FIELDS + META_FIELDS
KEPT_FIELDS = RESTORED_FIELDS + ("visibility",)


def _snapshot(session: Session, actor: User | None, lesson: Lesson, note: str = "") -> LessonRevision:
    lesson.revision_count = (lesson.revision_count or 0) + 1
    revision = LessonRevision(lesson_id=lesson.id, number=lesson.revision_count, editor_id=actor.id if actor else None,
                              note=note[:200], **{f: getattr(lesson, f) for f in KEPT_FIELDS})
    session.add(revision)
    return revision


def _content(obj, fields=KEPT_FIELDS) -> tuple:
    return tuple(getattr(obj, f) for f in fields)


def same_as_current(lesson: Lesson, data: LessonInput) -> bool:
    """True when saving `data` would change nothing (e.g. the same form sent twice)."""
    try:
        values = _check(data)
    except ServiceError:
        return False
    return all(getattr(lesson, key) == value for key, value in values.items())


def create_lesson(session: Session, actor: User, school: OrgUnit, data: LessonInput) -> Lesson:
    """Create a draft lesson in the school, with its first revision."""
    values = _check(data)
    lesson = Lesson(school_id=school.id, school=school, author_id=actor.id, status=LessonStatus.DRAFT, **values)
    index_lesson(lesson)
    session.add(lesson)
    session.flush()
    _snapshot(session, actor, lesson)
    session.flush()
    return lesson


def update_lesson(session: Session, actor: User, lesson: Lesson, data: LessonInput) -> bool:
    """Save the form onto the lesson; a change of text keeps a revision. True when a revision was made."""
    values = _check(data)
    before = _content(lesson)
    for key, value in values.items():
        setattr(lesson, key, value)
    lesson.updated_at = utcnow()
    index_lesson(lesson)
    changed = _content(lesson) != before or lesson.revision_count == 0
    if changed:
        _snapshot(session, actor, lesson)
    session.flush()
    return changed


def set_status(session: Session, actor: User, lesson: Lesson, status: LessonStatus) -> None:
    """Publish, archive, or take a lesson back to draft."""
    status = LessonStatus(status)
    if status == lesson.status:
        return
    if status == LessonStatus.PUBLISHED and not lesson.body.strip():
        raise ServiceError(_l("Write the lesson's content before publishing it."), "body")
    lesson.status = status
    if status == LessonStatus.PUBLISHED and lesson.published_at is None:
        lesson.published_at = utcnow()
    lesson.updated_at = utcnow()
    audit(session, actor, f"lesson.{status.value}", lesson, lesson.school, lesson.title)
    session.flush()


def set_core(session: Session, actor: User, lesson: Lesson, is_core: bool, scope: OrgUnit | None = None) -> None:
    """Mark or unmark the lesson as core Resolution 57 material; `scope` is the unit whose people it asks
    (the lesson's school by default). Marking again with a wider scope widens it, never narrows it."""
    scope = scope or lesson.school
    if not scope.contains(lesson.school):
        raise ServiceError(_l("Core material asks the people of its own school or commune only."))
    if not is_core:
        if lesson.is_core:
            lesson.is_core, lesson.core_unit_id = False, None
            audit(session, actor, "lesson.not_core", lesson, lesson.school, lesson.title)
            session.flush()
        return
    if lesson.is_core:
        current = session.get(OrgUnit, lesson.core_scope_id)
        if current is not None and (scope.id == current.id or not scope.contains(current)):
            return  # already asked of these people, or of more of them
    lesson.is_core, lesson.core_unit_id = True, scope.id
    audit(session, actor, "lesson.core", lesson, lesson.school, f"{lesson.title} — {scope.code}")
    session.flush()


def restore_revision(session: Session, actor: User, lesson: Lesson,
                     revision: LessonRevision) -> LessonRevision | None:
    """Put an old revision's text back, as a new revision (nothing in the history is lost).

    None when the lesson already reads like that revision (a repeated restore adds nothing).
    """
    if revision.lesson_id != lesson.id:
        raise ServiceError(_l("This version belongs to another lesson."))
    values = {field: getattr(revision, field) for field in RESTORED_FIELDS}
    # Files removed since that version stay removed: their pictures do not come back broken.
    attached = {a.token for a in lesson.attachments}
    for token in set(re.findall(r"/files/([A-Za-z0-9_-]+)", values["body"])) - attached:
        values["body"] = without_file(values["body"], token)
    if all(getattr(lesson, field) == value for field, value in values.items()):
        return None
    for field, value in values.items():
        setattr(lesson, field, value)
    lesson.updated_at = utcnow()
    index_lesson(lesson)
    new = _snapshot(session, actor, lesson, note=f"restore:{revision.number}")
    session.flush()
    return new


@dataclass
class DiffLine:
    """One line of a diff: ' ' kept, '-' removed, '+' added, '@' a hunk header."""

    op: str
    text: str


def describe(field: str, value) -> str:
    """A revision's field as a reader would say it: labels instead of stored keys."""
    if field in ("topics", "subjects", "audiences"):
        vocab = {"topics": TOPICS, "subjects": SUBJECTS, "audiences": AUDIENCES}[field]
        return ", ".join(str(vocab.get(key, key)) for key in unpack(value))
    if field == "grades":
        return ", ".join(str(grade_label(int(g))) for g in unpack(value))
    if field == "visibility":
        return str(labels_of(Visibility).get(str(value), value))
    return "" if value is None else str(value)


def diff_revisions(old: LessonRevision, new: LessonRevision) -> dict[str, list[DiffLine]]:
    """What changed between two revisions, field by field (only fields that changed)."""
    out: dict[str, list[DiffLine]] = {}
    for field in ("title", "summary", "tags", "body"):
        a, b = getattr(old, field) or "", getattr(new, field) or ""
        if a == b:
            continue
        lines = []
        for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=2):
            if line.startswith(("---", "+++")):
                continue
            lines.append(DiffLine("@" if line.startswith("@@") else line[:1] or " ", line[1:] if line[:1] in "+- " else line))
        out[field] = lines
    for field in META_FIELDS + ("visibility",):
        a, b = describe(field, getattr(old, field)), describe(field, getattr(new, field))
        if a != b:
            out[field] = [DiffLine("-", a)] * bool(a) + [DiffLine("+", b)] * bool(b)
    return out


def add_attachment(session: Session, actor: User, lesson: Lesson, stored: files.StoredFile) -> Attachment:
    """Record a stored upload as the lesson's attachment."""
    count = len(lesson.attachments)
    if count >= MAX_ATTACHMENTS:
        raise ServiceError(_l("A lesson has at most %(max)d attachments.", max=MAX_ATTACHMENTS), "file")
    attachment = Attachment.from_stored(stored, actor.id, lesson=lesson)
    session.add(attachment)
    session.flush()
    return attachment


def remove_attachment(session: Session, actor: User, attachment: Attachment) -> str:
    """Delete the attachment's record; returns the token, for the view to delete the file after commit."""
    token = attachment.token
    lesson = attachment.lesson
    lesson.attachments.remove(attachment)
    session.delete(attachment)
    session.flush()
    return token


def without_file(body: str, token: str) -> str:
    """The body without the pictures of the attachment `token`; links to it keep only their words."""
    target = r"\]\(/files/" + re.escape(token) + r"\)"
    body = re.sub(r"!\[[^\]\n]*" + target + r"[ \t]*\n?", "", body)
    return re.sub(r"\[([^\]\n]*)" + target, r"\1", body)


def credit_for(source: Lesson) -> str:
    """The credit line a copy keeps: title, author and school of the original."""
    author = source.author.full_name if source.author else ""
    return f"{source.title} — {author}, {source.school.name}"[:400]


def copy_lesson(session: Session, actor: User, source: Lesson, school: OrgUnit, upload_dir: str,
                made_files: list[str]) -> Lesson:
    """Copy a published commune or public lesson into the actor's school as a new draft, credited.

    The tokens of the files it copies are appended to `made_files`, for the caller to delete should the
    transaction fail.
    """
    if not source.is_published or source.visibility == Visibility.SCHOOL:
        raise ServiceError(_l("Only lessons shared with the commune or the public can be copied."))
    copy = Lesson(
        school_id=school.id, school=school, author_id=actor.id, status=LessonStatus.DRAFT,
        visibility=Visibility.SCHOOL, title=source.title, summary=source.summary, body=source.body,
        topics=source.topics, subjects=source.subjects, grades=source.grades, audiences=source.audiences,
        tags=source.tags, duration_minutes=source.duration_minutes, video_url=source.video_url,
        source_lesson_id=source.id, source_credit=credit_for(source),
    )
    session.add(copy)
    session.flush()
    # The copy gets its own files, so it keeps working if the original is archived; a file missing on
    # disk is skipped, not fatal.
    for old in source.attachments:
        try:
            token = files.copy_stored(upload_dir, old.token)
        except (FileNotFoundError, ValueError):
            continue
        made_files.append(token)
        session.add(Attachment(lesson=copy, token=token, kind=old.kind, mime=old.mime, size=old.size,
                               original_name=old.original_name, uploaded_by_id=actor.id))
        copy.body = copy.body.replace(f"/files/{old.token}", f"/files/{token}")
    index_lesson(copy)
    _snapshot(session, actor, copy, note=f"copy:{source.id}")
    audit(session, actor, "lesson.copy", copy, school, f"from lesson {source.id}")
    session.flush()
    return copy


def record_read(session: Session, user: User, lesson: Lesson) -> LessonRead:
    """Remember the first time this user opened the lesson (later visits change nothing)."""
    read = session.scalar(select(LessonRead).where(LessonRead.lesson_id == lesson.id, LessonRead.user_id == user.id))
    if read is not None:
        return read
    read = LessonRead(lesson_id=lesson.id, user_id=user.id)
    try:
        with session.begin_nested():
            session.add(read)
    except IntegrityError:  # the same user's other tab got there first
        read = session.scalar(select(LessonRead).where(LessonRead.lesson_id == lesson.id,
                                                       LessonRead.user_id == user.id))
    return read


def confirm_read(session: Session, user: User, lesson: Lesson) -> LessonRead:
    """Record "I have read and understood" for core material (the first confirmation counts)."""
    if not lesson.is_core:
        raise ServiceError(_l("Only core Resolution 57 material asks for a confirmation."))
    read = record_read(session, user, lesson)
    if read.confirmed_at is None:
        read.confirmed_at = utcnow()
        session.flush()
    return read

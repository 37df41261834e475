"""Upload storage for every domain's attachments: sniff the kind from the bytes, store under a random token.

The client's filename and Content-Type are never trusted: the kind comes from magic numbers (and, for the
Office formats, from the names inside the zip), and the file on disk is named by a random token, so what a
user typed can only ever reach the display name. Stdlib only; no Flask request is needed.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

CHUNK_SIZE = 64 * 1024
MAX_NAME_LENGTH = 150
FALLBACK_NAME = "tep-dinh-kem"
FILE_MODE = 0o640
HEAD_SIZE = 512  # enough for every magic number checked below

MSG_TOO_LARGE = "The file is larger than %(limit)s."
MSG_NOT_ACCEPTED = "This kind of file is not accepted. Allowed: PDF, DOCX, PPTX, XLSX, PNG, JPEG, MP4."
MSG_EMPTY = "The file is empty."


class UploadRejected(Exception):
    """An upload refused; .message is an English msgid (translatable later) and .params a dict."""

    def __init__(self, message: str, **params):
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


@dataclass(frozen=True)
class Kind:
    """One accepted kind of file: its key, the MIME type to serve it with, its extension."""

    key: str
    mime: str
    extension: str
    is_image: bool


_OOXML = "application/vnd.openxmlformats-officedocument."
KINDS: dict[str, Kind] = {
    "pdf": Kind("pdf", "application/pdf", ".pdf", False),
    "docx": Kind("docx", _OOXML + "wordprocessingml.document", ".docx", False),
    "pptx": Kind("pptx", _OOXML + "presentationml.presentation", ".pptx", False),
    "xlsx": Kind("xlsx", _OOXML + "spreadsheetml.sheet", ".xlsx", False),
    "png": Kind("png", "image/png", ".png", True),
    "jpeg": Kind("jpeg", "image/jpeg", ".jpg", True),
    "mp4": Kind("mp4", "video/mp4", ".mp4", False),
}

# Extensions that already name a kind correctly, so "anh.jpeg" is not renamed to "anh.jpg".
_EXTENSIONS = {key: {kind.extension} for key, kind in KINDS.items()}
_EXTENSIONS["jpeg"].add(".jpeg")

# ISO base media brands of the MP4 family. QuickTime ("qt  "), 3GPP, HEIF/AVIF images and M4A audio share
# the container but are not MP4 video that every browser plays, so they are left out on purpose.
_MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6",
    b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"mmp4",
}

# The main part that makes an Office Open XML zip a document, a presentation or a workbook.
_OOXML_MAIN_PARTS = {
    "docx": "word/document.xml",
    "pptx": "ppt/presentation.xml",
    "xlsx": "xl/workbook.xml",
}

_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,40}")
_SPACES = re.compile(r"\s+")
_EXTENSION_RE = re.compile(r"\.[A-Za-z0-9]{1,10}")


def sniff(head: bytes, path: str | os.PathLike | None = None) -> Kind | None:
    """The kind from the content: magic numbers; for ZIP-based Office files, look inside the zip at `path`."""
    if head.startswith(b"%PDF-"):
        return KINDS["pdf"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return KINDS["jpeg"]
    # An ftyp box is at least 16 bytes: size, "ftyp", major brand, minor version.
    if len(head) >= 16 and head[4:8] == b"ftyp" and int.from_bytes(head[:4], "big") >= 16:
        return KINDS["mp4"] if head[8:12] in _MP4_BRANDS else None
    if head.startswith(b"PK\x03\x04") and path is not None:
        return _sniff_ooxml(path)
    return None


def _sniff_ooxml(path: str | os.PathLike) -> Kind | None:
    """The Office kind of the zip at path, from its member names only: nothing is decompressed."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except Exception:  # a malformed zip can fail deep inside zipfile in many ways; all mean "not Office"
        return None
    if "[Content_Types].xml" not in names:
        return None
    # Macro-enabled files (.docm, .xlsm, .pptm) renamed to the plain extension carry a VBA project.
    if any(name.rsplit("/", 1)[-1].lower() == "vbaproject.bin" for name in names):
        return None
    found = [key for key, main in _OOXML_MAIN_PARTS.items() if main in names]
    # Exactly one: a zip claiming to be two kinds at once is a polyglot, not a lesson attachment.
    return KINDS[found[0]] if len(found) == 1 else None


def clean_filename(name: str | None) -> str:
    """A display name safe to show and to put in Content-Disposition; Vietnamese letters kept."""
    if not name:
        return FALLBACK_NAME
    # Tabs and newlines become spaces; then every other "other" character (controls, bidi overrides that
    # spoof extensions, surrogates that cannot be encoded, unassigned) goes, before NFC, so a removed
    # character cannot leave a decomposed letter behind.
    text = _SPACES.sub(" ", str(name))
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C"))
    text = unicodedata.normalize("NFC", text)
    text = re.split(r"[/\\]", text)[-1]
    text = _SPACES.sub(" ", text).strip()
    # Leading dots hide a file on Unix and ".." must never survive; trailing dots and spaces vanish on Windows.
    text = text.lstrip(". ").rstrip(". ")
    return _limit(text) or FALLBACK_NAME


def _split_extension(name: str) -> tuple[str, str]:
    """(stem, extension) when the name ends in a plausible extension, else (name, "")."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem and _EXTENSION_RE.fullmatch(dot + ext) and any(ch.isalpha() for ch in ext):
        return stem, dot + ext
    return name, ""


def _limit(name: str) -> str:
    """The name cut to MAX_NAME_LENGTH characters, shortening the stem so the extension survives."""
    if len(name) <= MAX_NAME_LENGTH:
        return name
    stem, ext = _split_extension(name)
    return stem[: MAX_NAME_LENGTH - len(ext)].rstrip(". ") + ext


def _with_extension(name: str, kind: Kind) -> str:
    """The cleaned name with its extension made to match the sniffed kind."""
    stem, ext = _split_extension(name)
    if ext.lower() in _EXTENSIONS[kind.key]:
        return name
    return _limit(stem + kind.extension)


def _human_size(size: int) -> str:
    """A byte count as "20 MB", "1.5 MB", "512 KB" or "1000 B"."""
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + " " + unit
    return f"{size} B"


@dataclass(frozen=True)
class StoredFile:
    """A file accepted and stored: its token (also the URL id), kind, size in bytes and display name."""

    token: str
    kind: Kind
    size: int
    original_name: str


def store(stream, filename: str | None, upload_dir: str | Path, *, max_bytes: int) -> StoredFile:
    """Copy the stream into upload_dir under a new token, or raise UploadRejected leaving nothing behind."""
    upload_dir = Path(upload_dir)
    upload_dir.mkdir(parents=True, exist_ok=True)
    # The temporary file lives in upload_dir itself so the final os.replace stays on one file system (atomic).
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=upload_dir)
    tmp = Path(tmp_name)
    try:
        size = 0
        head = b""
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK_SIZE):
                size += len(chunk)
                # Counted before writing, so an endless stream costs at most max_bytes + one chunk of disk.
                if size > max_bytes:
                    raise UploadRejected(MSG_TOO_LARGE, limit=_human_size(max_bytes), limit_bytes=max_bytes)
                if len(head) < HEAD_SIZE:
                    head += chunk[: HEAD_SIZE - len(head)]
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise UploadRejected(MSG_EMPTY)
        kind = sniff(head, tmp)
        if kind is None:
            raise UploadRejected(MSG_NOT_ACCEPTED)
        token = _publish(tmp, upload_dir)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return StoredFile(token=token, kind=kind, size=size, original_name=_with_extension(clean_filename(filename), kind))


def _publish(tmp: Path, upload_dir: Path) -> str:
    """Give the finished temporary file its permissions and move it under a new token; return the token."""
    try:
        os.chmod(tmp, FILE_MODE)
    except OSError:  # some file systems cannot; the file is still fine
        pass
    token = secrets.token_urlsafe(18)
    target = path_for(upload_dir, token)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)
    return token


def path_for(upload_dir: str | Path, token: str) -> Path:
    """upload_dir / token[:2] / token, after checking the token so it can never walk out of upload_dir."""
    # fullmatch, not match with "$": "$" would also accept a token ending in a newline.
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        raise ValueError(f"not an upload token: {token!r}")
    return Path(upload_dir) / token[:2] / token


def copy_stored(upload_dir: str | Path, token: str) -> str:
    """Copy a stored file under a new random token (for copy-and-adapt); return the new token."""
    upload_dir = Path(upload_dir)
    source = path_for(upload_dir, token)
    fd, tmp_name = tempfile.mkstemp(prefix=".copy-", suffix=".part", dir=upload_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out, CHUNK_SIZE)
            out.flush()
            os.fsync(out.fileno())
        return _publish(tmp, upload_dir)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def delete_stored(upload_dir: str | Path, token: str) -> None:
    """Remove a stored file; a file already gone is fine."""
    # The two-character directory is kept: removing it could race a concurrent store() into the same one.
    path_for(upload_dir, token).unlink(missing_ok=True)

"""Files waiting to be attached: a file chosen in the lesson editor and sent with "Preview" is stored at once
and kept for the next save, since a browser never keeps a chosen file across a page it reloads.

The stored bytes live where attachments do (files.store); a small marker under UPLOAD_DIR/pending/ records
who sent it, its kind, size and name. Only that user can attach it or see it (a picture in their preview);
markers and files older than a day are removed whenever another file waits.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from schoolhub import files

KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class PendingFile:
    """A stored file waiting for the lesson to be saved."""

    token: str
    user_id: int
    kind: files.Kind
    size: int
    name: str

    @property
    def stored(self) -> files.StoredFile:
        return files.StoredFile(token=self.token, kind=self.kind, size=self.size, original_name=self.name)

    @property
    def is_image(self) -> bool:
        return self.kind.is_image


def _folder(upload_dir: str | Path) -> Path:
    folder = Path(upload_dir) / "pending"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _marker(upload_dir: str | Path, token: str) -> Path | None:
    try:
        files.path_for(upload_dir, token)  # checks the token's shape: it can never walk out of the folder
    except ValueError:
        return None
    return _folder(upload_dir) / f"{token}.json"


def keep(upload_dir: str | Path, user_id: int, stored: files.StoredFile) -> PendingFile:
    """Remember a stored file as waiting for `user_id`'s next save."""
    sweep(upload_dir)
    pending = PendingFile(stored.token, user_id, stored.kind, stored.size, stored.original_name)
    _marker(upload_dir, stored.token).write_text(json.dumps(
        {"user_id": user_id, "kind": stored.kind.key, "size": stored.size, "name": stored.original_name}))
    return pending


def find(upload_dir: str | Path, token: str | None, user_id: int | None) -> PendingFile | None:
    """The file waiting under `token` for this user, or None (unknown, expired, someone else's)."""
    if not token or user_id is None:
        return None
    marker = _marker(upload_dir, token)
    try:
        meta = json.loads(marker.read_text()) if marker is not None else None
    except (OSError, ValueError):
        return None
    if not meta or meta.get("user_id") != user_id or meta.get("kind") not in files.KINDS:
        return None
    if not files.path_for(upload_dir, token).is_file():
        return None
    return PendingFile(token, user_id, files.KINDS[meta["kind"]], int(meta.get("size", 0)), str(meta.get("name", "")))


def attached(upload_dir: str | Path, token: str) -> None:
    """The file is an attachment now: it no longer waits (the bytes stay)."""
    marker = _marker(upload_dir, token)
    if marker is not None:
        marker.unlink(missing_ok=True)


def drop(upload_dir: str | Path, token: str) -> None:
    """Forget a waiting file and delete its bytes."""
    attached(upload_dir, token)
    files.delete_stored(upload_dir, token)


def sweep(upload_dir: str | Path) -> None:
    """Delete files that waited more than a day (their editor was closed without saving)."""
    cutoff = time.time() - KEEP_SECONDS
    for marker in _folder(upload_dir).glob("*.json"):
        try:
            if marker.stat().st_mtime < cutoff:
                drop(upload_dir, marker.stem)
        except (OSError, ValueError):
            pass  # another request removed it first, or not one of ours

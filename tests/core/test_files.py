"""Upload storage: kinds sniffed from real bytes, display names cleaned, tokens that stay inside upload_dir."""
from __future__ import annotations

import io
import os
import stat
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schoolhub.files import (
    KINDS,
    MSG_EMPTY,
    MSG_NOT_ACCEPTED,
    MSG_TOO_LARGE,
    UploadRejected,
    _human_size,
    clean_filename,
    copy_stored,
    delete_stored,
    path_for,
    sniff,
    store,
)
from tests.helpers.samples import (
    CONTENT_TYPES,
    SAMPLES,
    docx_bytes,
    jpeg_bytes,
    mp4_bytes,
    pdf_bytes,
    png_bytes,
    xlsx_bytes,
    zip_bytes,
)


def leftover_files(root: Path) -> list[Path]:
    """Every file under root: after a rejection there must be none (empty directories are fine)."""
    return [Path(dirpath) / name for dirpath, _dirs, names in os.walk(root) for name in names]


def rejected(data: bytes, filename: str, upload_dir: Path, max_bytes: int = 10_000_000) -> UploadRejected:
    with pytest.raises(UploadRejected) as info:
        store(io.BytesIO(data), filename, upload_dir, max_bytes=max_bytes)
    assert leftover_files(upload_dir) == []
    return info.value


class Trickle(io.RawIOBase):
    """A stream that hands out at most 7 bytes per read, like a slow socket."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        return self._data.read(min(n, 7) if n and n > 0 else 7)


# --- sniffing and storing each accepted kind ------------------------------------------------------------------

@pytest.mark.parametrize("key", list(SAMPLES))
def test_each_kind_is_sniffed_and_stored_byte_for_byte(tmp_path, key):
    make, filename = SAMPLES[key]
    data = make()
    stored = store(io.BytesIO(data), filename, tmp_path, max_bytes=10_000_000)
    assert stored.kind is KINDS[key]
    assert stored.size == len(data)
    assert stored.original_name == filename
    target = path_for(tmp_path, stored.token)
    assert target == tmp_path / stored.token[:2] / stored.token
    assert target.read_bytes() == data
    assert leftover_files(tmp_path) == [target]  # the temporary file is gone


def test_kind_table():
    assert list(KINDS) == ["pdf", "docx", "pptx", "xlsx", "png", "jpeg", "mp4"]
    assert KINDS["jpeg"].extension == ".jpg"
    assert KINDS["docx"].mime == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert KINDS["pptx"].mime == "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    assert KINDS["xlsx"].mime == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert {key for key, kind in KINDS.items() if kind.is_image} == {"png", "jpeg"}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_stored_file_mode(tmp_path):
    stored = store(io.BytesIO(pdf_bytes()), "bai.pdf", tmp_path, max_bytes=10_000)
    assert stat.S_IMODE(path_for(tmp_path, stored.token).stat().st_mode) == 0o640


def test_tokens_are_random_and_url_safe(tmp_path):
    tokens = {store(io.BytesIO(pdf_bytes()), "bai.pdf", tmp_path, max_bytes=10_000).token for _ in range(5)}
    assert len(tokens) == 5
    for token in tokens:
        assert len(token) == 24
        path_for(tmp_path, token)  # accepted by its own check


def test_short_reads_still_sniffed(tmp_path):
    # The MP4 brand sits at bytes 8..12, past the first 7-byte read: the head must gather several reads.
    stored = store(Trickle(mp4_bytes()), "clip.mp4", tmp_path, max_bytes=10_000)
    assert stored.kind.key == "mp4"
    assert path_for(tmp_path, stored.token).read_bytes() == mp4_bytes()


def test_pdf_named_png_is_stored_as_pdf(tmp_path):
    stored = store(io.BytesIO(pdf_bytes()), "bai.png", tmp_path, max_bytes=10_000)
    assert stored.kind.key == "pdf"
    assert stored.original_name == "bai.pdf"


def test_docx_named_xlsx_is_sniffed_as_docx(tmp_path):
    stored = store(io.BytesIO(docx_bytes()), "Giáo án.xlsx", tmp_path, max_bytes=10_000_000)
    assert stored.kind.key == "docx"
    assert stored.original_name == "Giáo án.docx"


@pytest.mark.parametrize(("filename", "key", "expected"), [
    ("anh.jpeg", "jpeg", "anh.jpeg"),  # an alias of the kind's extension is left alone
    ("ANH.JPG", "jpeg", "ANH.JPG"),
    ("bai", "pdf", "bai.pdf"),
    ("Lớp 6.1", "pdf", "Lớp 6.1.pdf"),  # ".1" is not an extension: append, do not replace
    (None, "png", "tep-dinh-kem.png"),
    ("", "mp4", "tep-dinh-kem.mp4"),
])
def test_original_name_gets_the_kind_extension(tmp_path, filename, key, expected):
    make, _name = SAMPLES[key]
    assert store(io.BytesIO(make()), filename, tmp_path, max_bytes=10_000).original_name == expected


def test_fixed_extension_keeps_the_name_within_the_limit(tmp_path):
    long_name = "Bài giảng " * 30 + ".png"
    stored = store(io.BytesIO(pdf_bytes()), long_name, tmp_path, max_bytes=10_000)
    assert stored.original_name.endswith(".pdf")
    assert len(stored.original_name) <= 150


# --- rejections leave nothing behind --------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "filename"), [
    (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "bai.pdf"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "anh.png"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "anh.png"),
    (b"<script>alert(document.cookie)</script>", "ghi-chu.txt"),
    (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
     b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", "anh.gif"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48, "bai.pdf"),
    (b"Just some notes about the lesson.\n", "bai.docx"),
    (b" %PDF-1.4\n", "bai.pdf"),  # the magic number must be at offset 0
    (mp4_bytes(b"qt  "), "video.mp4"),  # QuickTime, not the MP4 family
    (mp4_bytes(b"heic"), "anh.jpg"),  # an HEIF image in the same container
    (b"PK\x03\x04 not really a zip", "bai.docx"),
])
def test_unknown_kinds_are_rejected(tmp_path, data, filename):
    error = rejected(data, filename, tmp_path)
    assert error.message == MSG_NOT_ACCEPTED
    assert error.params == {}


@pytest.mark.parametrize("members", [
    {"notes.txt": b"hello", "photo.bin": os.urandom(64)},  # random files
    {"word/document.xml": b"<w:document/>"},  # no [Content_Types].xml
    {"[Content_Types].xml": CONTENT_TYPES, "docProps/app.xml": b"<Properties/>"},  # no main part
    {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w:document/>",
     "xl/workbook.xml": b"<workbook/>"},  # claims two kinds at once
    {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w:document/>",
     "word/vbaProject.bin": b"\xd0\xcf\x11\xe0"},  # a macro-enabled .docm renamed .docx
])
def test_zips_that_are_not_office_files_are_rejected(tmp_path, members):
    assert rejected(zip_bytes(members), "bai.docx", tmp_path).message == MSG_NOT_ACCEPTED


def test_empty_file_is_rejected(tmp_path):
    assert rejected(b"", "bai.pdf", tmp_path).message == MSG_EMPTY


def test_oversize_is_rejected_and_nothing_left(tmp_path):
    error = rejected(b"%PDF-" + b"x" * 996, "bai.pdf", tmp_path, max_bytes=1000)  # 1001 bytes
    assert error.message == MSG_TOO_LARGE
    assert error.params["limit"] == "1000 B"
    assert error.params["limit_bytes"] == 1000
    assert str(error) == "The file is larger than 1000 B."


def test_oversize_is_counted_across_chunks(tmp_path):
    # Three and a bit 64 KiB chunks against a 3-chunk limit: the stream is cut off on the fourth read.
    data = b"%PDF-" + b"x" * (3 * 64 * 1024)
    error = rejected(data, "bai.pdf", tmp_path, max_bytes=3 * 64 * 1024)
    assert error.params["limit"] == "192 KB"


@pytest.mark.parametrize(("max_bytes", "shown"), [
    (20 * 1024 * 1024, "20 MB"), (1536 * 1024, "1.5 MB"), (512 * 1024, "512 KB"), (3 * 1024**3, "3 GB"),
])
def test_limit_is_shown_in_human_units(max_bytes, shown):
    assert _human_size(max_bytes) == shown


def test_exactly_max_bytes_is_accepted(tmp_path):
    data = b"%PDF-" + b"x" * 995
    assert len(data) == 1000
    stored = store(io.BytesIO(data), "bai.pdf", tmp_path, max_bytes=1000)
    assert stored.size == 1000
    assert path_for(tmp_path, stored.token).read_bytes() == data


def test_a_failing_stream_leaves_nothing_behind(tmp_path):
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            raise OSError("connection reset")

    with pytest.raises(OSError, match="connection reset"):
        store(Broken(), "bai.pdf", tmp_path, max_bytes=1000)
    assert leftover_files(tmp_path) == []


def test_upload_dir_is_created(tmp_path):
    upload_dir = tmp_path / "a" / "b" / "uploads"
    stored = store(io.BytesIO(png_bytes()), "anh.png", str(upload_dir), max_bytes=10_000)
    assert path_for(upload_dir, stored.token).is_file()


# --- sniff on its own -----------------------------------------------------------------------------------------

def test_sniff_without_a_path_cannot_confirm_a_zip():
    assert sniff(docx_bytes()[:512]) is None


def test_sniff_of_nothing():
    assert sniff(b"") is None


def test_sniff_of_a_missing_zip(tmp_path):
    assert sniff(b"PK\x03\x04", tmp_path / "gone.docx") is None


# --- display names --------------------------------------------------------------------------------------------

VIETNAMESE_TITLE = "Bài giảng Chuyển đổi số.pdf"


@pytest.mark.parametrize(("name", "cleaned"), [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\win.ini", "win.ini"),
    ("C:\\Users\\Lan\\Desktop\\Giáo án.docx", "Giáo án.docx"),
    ("a\x00b.pdf", "ab.pdf"),
    ("a\tb\nc.pdf", "a b c.pdf"),  # white space controls become one space
    ("bai\u202efdp.exe", "baifdp.exe"),  # a right-to-left override cannot spoof the extension
    (".hidden.pdf", "hidden.pdf"),
    ("...", "tep-dinh-kem"),
    ("  Bài   1:   Mở đầu  .pdf", "Bài 1: Mở đầu .pdf"),
    ("bai.pdf. . ", "bai.pdf"),
    (VIETNAMESE_TITLE, VIETNAMESE_TITLE),
    (unicodedata.normalize("NFD", VIETNAMESE_TITLE), VIETNAMESE_TITLE),
    ("", "tep-dinh-kem"),
    (None, "tep-dinh-kem"),
    ("../", "tep-dinh-kem"),
    ("\x00\x01", "tep-dinh-kem"),
])
def test_clean_filename_pairs(name, cleaned):
    assert clean_filename(name) == cleaned


def test_clean_filename_nfc_input_is_composed():
    assert unicodedata.is_normalized("NFC", clean_filename(unicodedata.normalize("NFD", VIETNAMESE_TITLE)))


def test_clean_filename_long_vietnamese_name_keeps_its_extension():
    name = "Chuyên đề Chuyển đổi số trong trường học, đổi mới sáng tạo " * 6 + ".docx"
    cleaned = clean_filename(name)
    assert len(cleaned) <= 150
    assert cleaned.endswith(".docx")
    assert cleaned.startswith("Chuyên đề Chuyển đổi số")
    assert not cleaned.removesuffix(".docx").endswith(" ")


def test_clean_filename_long_name_without_extension():
    assert clean_filename("Đ" * 400) == "Đ" * 150


@given(st.text())
def test_clean_filename_always_safe(name):
    cleaned = clean_filename(name)
    assert cleaned
    assert len(cleaned) <= 150
    assert "/" not in cleaned and "\\" not in cleaned
    assert not cleaned.startswith(".")
    assert not any(unicodedata.category(ch).startswith("C") for ch in cleaned)
    assert unicodedata.is_normalized("NFC", cleaned)
    cleaned.encode("utf-8")  # no lone surrogates: it can go into a header
    assert clean_filename(cleaned) == cleaned


# --- tokens, copies, deletion ---------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [
    "../x", "a/b", "..", "", "short", "x" * 19, "x" * 41,
    "../../../../../../etc/passwd", "abcdefghijklmnopqrst/", "abcdefghijklmnopqrst\n", "abcdefghij.klmnopqrst",
    "abcdefghijklmnopqrsđ", None,
])
def test_path_for_rejects_bad_tokens(tmp_path, token):
    with pytest.raises(ValueError):
        path_for(tmp_path, token)


def test_path_for_accepts_tokens_and_stays_inside(tmp_path):
    for token in ("a" * 20, "-_" + "Z9" * 19):
        path = path_for(tmp_path, token)
        assert path.resolve().is_relative_to(tmp_path.resolve())
        assert path.parent.name == token[:2]


def test_copy_stored_makes_an_identical_file(tmp_path):
    stored = store(io.BytesIO(xlsx_bytes()), "bang-diem.xlsx", tmp_path, max_bytes=10_000_000)
    copy = copy_stored(tmp_path, stored.token)
    assert copy != stored.token
    assert path_for(tmp_path, copy).read_bytes() == path_for(tmp_path, stored.token).read_bytes()
    if sys.platform != "win32":
        assert stat.S_IMODE(path_for(tmp_path, copy).stat().st_mode) == 0o640
    assert sorted(leftover_files(tmp_path)) == sorted([path_for(tmp_path, copy), path_for(tmp_path, stored.token)])


def test_copy_stored_of_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        copy_stored(tmp_path, "a" * 24)
    assert leftover_files(tmp_path) == []


def test_delete_stored(tmp_path):
    stored = store(io.BytesIO(jpeg_bytes()), "anh.jpg", tmp_path, max_bytes=10_000)
    copy = copy_stored(tmp_path, stored.token)
    delete_stored(tmp_path, stored.token)
    assert not path_for(tmp_path, stored.token).exists()
    assert path_for(tmp_path, copy).exists()  # the copy is independent of the original
    delete_stored(tmp_path, stored.token)  # already gone: fine
    with pytest.raises(ValueError):
        delete_stored(tmp_path, "../../etc/passwd")

"""Real bytes of every accepted upload kind (and a zip helper), built in code so a test shows what it feeds in."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

from docx import Document
from openpyxl import Workbook

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    """A real RGB PNG (1x1 unless asked for another size); a 1x1 one is one red pixel."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixel = bytes((0xff, 0x00, 0x00)) if width == height == 1 else bytes((200, 80, 40))
    rows = b"".join(b"\x00" + pixel * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def jpeg_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"


def mp4_bytes(brand: bytes = b"isom") -> bytes:
    ftyp = struct.pack(">I", 32) + b"ftyp" + brand + struct.pack(">I", 0x200) + b"isomiso2avc1mp41"
    free = struct.pack(">I", 8) + b"free"
    return ftyp + free


def docx_bytes() -> bytes:
    document = Document()
    document.add_paragraph("Bài giảng Chuyển đổi số")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    workbook.active["A1"] = "Điểm"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def pptx_bytes() -> bytes:
    return zip_bytes({
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": b"<Relationships/>",
        "ppt/presentation.xml": b"<p:presentation/>",
    })


SAMPLES = {
    "pdf": (pdf_bytes, "bai.pdf"),
    "docx": (docx_bytes, "giao-an.docx"),
    "pptx": (pptx_bytes, "trinh-chieu.pptx"),
    "xlsx": (xlsx_bytes, "bang-diem.xlsx"),
    "png": (png_bytes, "so-do.png"),
    "jpeg": (jpeg_bytes, "anh.jpg"),
    "mp4": (mp4_bytes, "video.mp4"),
}

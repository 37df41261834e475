"""Reading class and staff lists as schools keep them (.xlsx or .csv): pure parsing, no database.

A file becomes sheets; each sheet has a header row found among its first rows
by the folded Vietnamese headings, then data rows until the first row where
both the STT and the name are empty (so a signature footer is never read).
"""
from __future__ import annotations

import csv
import io
import itertools
import re
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from schoolhub.clock import local_today
from schoolhub.textfold import fold, nfc

HEADER_SCAN_ROWS = 20  # the header row is looked for among the first rows only
MAX_ROWS = 5000  # per file: larger lists are split by the school
MAX_COLUMNS = 60
MAX_CELL = 200  # characters kept of a cell

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls

# Folded headings (punctuation removed) → field. Exact matches first, then prefixes.
HEADINGS: dict[str, tuple[str, ...]] = {
    "stt": ("stt", "tt", "so tt", "so thu tu", "thu tu"),
    "full_name": ("ho va ten", "ho ten", "ho va ten hoc sinh", "ho ten hoc sinh", "ho va ten hs",
                  "ho va ten giao vien", "ho ten giao vien", "ho va ten can bo", "ho va ten cbgvnv"),
    "family": ("ho va ten dem", "ho va dem", "ho dem", "ho va ten lot", "ho lot", "ho va chu lot", "ho"),
    "given": ("ten",),
    "birth_date": ("ngay sinh", "ngay thang nam sinh", "ngay thang sinh", "sinh ngay", "ns"),
    "gender": ("gioi tinh", "gioi", "phai", "nam nu"),
    "female": ("nu",),
    "class": ("lop", "ten lop", "lop hoc"),
    "student_code": ("ma hoc sinh", "ma hs", "ma so hoc sinh", "ma so hs", "ma dinh danh",
                     "ma dinh danh hoc sinh", "ma so"),
    "position": ("chuc vu", "chuc danh"),
    "subject": ("mon day", "mon", "bo mon", "mon giang day"),
    "phone": ("so dien thoai", "dien thoai", "sdt", "so dt", "dt", "dtdd", "dien thoai lien he"),
    "ignored": ("dan toc", "ghi chu", "noi sinh", "que quan", "dia chi", "ton giao"),
}
_EXACT = {alias: name for name, aliases in HEADINGS.items() for alias in aliases}
# Prefixes only for headings long enough not to catch unrelated columns ("ho va ten hoc sinh lop 7a").
_PREFIXES = sorted(((a, n) for a, n in _EXACT.items() if len(a) >= 6), key=lambda p: -len(p[0]))

_PUNCT = re.compile(r"[^a-z0-9 ]+")
_PAREN = re.compile(r"\([^)]*\)")
_CLASS_NAME = re.compile(r"^\d{1,2}\s?[a-z]{1,3}\d{0,2}$", re.I)
_TITLE_CLASS = re.compile(r"\blop\s*:?\s*(\d{1,2}\s?[a-z]{1,3}\d{0,2})\b")
_DMY = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")

STUDENTS = "students"
TEACHERS = "teachers"


class RosterError(ValueError):
    """The file as a whole cannot be read (not a spreadsheet, empty, no header): a translatable message."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class RosterRow:
    """One person read from the file, with the problems found in the row itself."""

    sheet: str
    row: int  # 1-based row number as the spreadsheet program shows it
    stt: str = ""
    full_name: str = ""
    birth_date: date | None = None
    gender: str | None = None
    class_name: str | None = None  # from a class column only
    student_code: str | None = None
    position: str | None = None
    subject: str | None = None
    phone: str | None = None
    errors: list = field(default_factory=list)


@dataclass
class RosterSheet:
    """One table of the file: its header, the class its title names, its rows."""

    title: str
    header_row: int
    columns: dict[str, str]  # field → the heading as written in the file
    class_name: str | None = None  # from the sheet's title or a title row above the header
    title_text: str = ""
    rows: list[RosterRow] = field(default_factory=list)


@dataclass
class Roster:
    """A parsed file: its kind (students or teachers), readable sheets and sheets skipped."""

    format: str  # "xlsx" or "csv"
    kind: str
    sheets: list[RosterSheet]
    skipped: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[RosterRow]:
        return [r for s in self.sheets for r in s.rows]


# ---- headings -----------------------------------------------------------------

def heading_key(text) -> str:
    """A heading folded for matching: no diacritics, no punctuation, no parenthesised notes."""
    if text is None:
        return ""
    folded = fold(_PAREN.sub(" ", str(text))).replace(".", "")  # "S.T.T" is STT
    return " ".join(_PUNCT.sub(" ", folded).split())


def match_heading(text) -> str | None:
    """The field a heading names, or None."""
    key = heading_key(text)
    if not key:
        return None
    if key in _EXACT:
        return _EXACT[key]
    for alias, name in _PREFIXES:
        if key.startswith(alias + " "):
            return name
    return None


def strip_lop(text: str) -> str:
    """'Lớp 7A' → '7A': a class cell or sheet tab may repeat the word."""
    return re.sub(r"^l(?:ớ|o)p\b\s*:?\s*", "", nfc(text), flags=re.I)


def class_key(name: str | None) -> str:
    """Class names compared without case, diacritics or spaces: '7 a' = '7A'."""
    return fold(name).replace(" ", "").upper()


# ---- cells --------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def cell_text(value) -> str:
    """A cell as trimmed NFC text without control characters (a NUL cannot be stored on PostgreSQL);
    whole numbers lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return nfc(_CONTROL.sub("", str(value)))[:MAX_CELL]


def parse_date(value) -> tuple[date | None, bool]:
    """A birth date from an Excel date, an Excel serial number or dd/mm/yyyy text; (date, understood)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    result = None
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 100000:
            from openpyxl.utils.datetime import from_excel

            try:
                result = from_excel(value).date()
            except (ValueError, OverflowError):
                result = None
    else:
        text = nfc(str(value))
        try:
            if m := _DMY.match(text):
                result = date(int(m[3]), int(m[2]), int(m[1]))
            elif m := _YMD.match(text):
                result = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            result = None
    if result is None or not (1900 <= result.year and result <= local_today()):
        return None, False
    return result, True


def parse_gender(text: str) -> str | None:
    key = heading_key(text)
    if key in ("nam", "m", "male", "trai"):
        return "male"
    if key in ("nu", "f", "female", "gai"):
        return "female"
    return None


# ---- reading the file ---------------------------------------------------------

def detect_format(data: bytes) -> str:
    """'xlsx' or 'csv', judged from the content (never from the file name)."""
    if not data or not data.strip():
        raise RosterError(_l("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        raise RosterError(_l("This is an old Excel file (.xls). Open it in Excel and save it as .xlsx, then upload it again."))
    if b"\x00" in data[:4096]:
        raise RosterError(_l("This file is not a spreadsheet. Upload an Excel workbook (.xlsx) or a CSV file."))
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(_l(
            "This file is neither an Excel workbook (.xlsx) nor a CSV file in UTF-8. "
            "In Excel, save it as “CSV UTF-8” or as .xlsx.")) from None
    return "csv"


def _xlsx_grids(data: bytes) -> list[tuple[str, list[list]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it does not read
            workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as error:
        raise RosterError(_l("This file is not a readable Excel workbook (.xlsx).")) from error
    grids = []
    budget = MAX_ROWS + HEADER_SCAN_ROWS * 4
    for sheet in workbook.worksheets:
        if getattr(sheet, "sheet_state", "visible") != "visible":
            continue
        max_row = min(sheet.max_row or 0, budget)
        max_col = min(sheet.max_column or 0, MAX_COLUMNS)
        grid = [list(row) for row in sheet.iter_rows(min_row=1, max_row=max_row, max_col=max_col, values_only=True)]
        # A merged cell holds its value in the top-left corner only: spread it, so a class
        # merged down many rows, or a heading merged over two rows, is read on every row.
        for merged in sheet.merged_cells.ranges:
            top, left = merged.min_row - 1, merged.min_col - 1
            if top >= len(grid) or left >= max_col:
                continue
            value = grid[top][left]
            for r in range(top, min(merged.max_row, len(grid))):
                for c in range(left, min(merged.max_col, max_col)):
                    grid[r][c] = value
        grids.append((sheet.title, grid))
    return grids


def _csv_grid(data: bytes) -> tuple[str, list[list]]:
    text = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    best, best_score = None, (-1, -1)
    for delimiter in (",", ";", "\t"):
        try:
            reader = csv.reader(io.StringIO(text), delimiter=delimiter)
            grid = [row[:MAX_COLUMNS] for row in itertools.islice(reader, MAX_ROWS + HEADER_SCAN_ROWS * 4)]
        except csv.Error:
            continue
        header = _find_header(grid)
        score = (len(header[1]) if header else 0, max((len(r) for r in grid[:HEADER_SCAN_ROWS]), default=0))
        if score > best_score:
            best, best_score = grid, score
    return "CSV", best or []


def _row_fields(row: list) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, value in enumerate(row):
        name = match_heading(value) if isinstance(value, str) else None
        if name and name != "ignored" and name not in found:
            found[name] = index
    return found


def _has_name(columns: dict[str, int]) -> bool:
    return "full_name" in columns or "given" in columns


def _find_header(grid: list[list]) -> tuple[int, dict[str, int]] | None:
    best = None
    for index, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        columns = _row_fields(row)
        usable = _has_name(columns) and (len(columns) >= 2 or "full_name" in columns)
        if usable and (best is None or len(columns) > len(best[1])):
            best = (index, columns)
    return best


def _is_subheader(row: list, columns: dict[str, int]) -> dict[str, int]:
    """Headings on the row below the header ('Họ đệm' | 'Tên' under a merged 'Họ và tên')."""
    cells = [(i, v) for i, v in enumerate(row) if cell_text(v)]
    if not cells:
        return {}
    found = {}
    for index, value in cells:
        name = match_heading(value) if isinstance(value, str) else None
        if name is None:
            return {}
        if name != "ignored" and (name not in columns or columns[name] == index):
            found[name] = index
    return found


def _sheet_class(title: str, title_rows: list[list], known: dict[str, str]) -> tuple[str | None, str]:
    """The class a sheet is about: its tab's name, else a title row such as 'DANH SÁCH HỌC SINH LỚP 7A'."""
    title_text = " · ".join(t for t in (cell_text(v) for row in title_rows for v in row) if t)
    tab = strip_lop(title)
    if class_key(tab) in known:
        return known[class_key(tab)], title_text
    if _CLASS_NAME.match(fold(tab)):
        return tab.upper(), title_text
    for row in title_rows:
        for value in row:
            text = cell_text(value)
            if not text:
                continue
            folded = fold(text)
            if m := _TITLE_CLASS.search(folded):
                candidate = m[1].upper()
                return known.get(class_key(candidate), candidate.replace(" ", "")), title_text
            # A pre-school group such as "LÁ 1" is found by the school's own class names.
            if "lop" in folded.split():
                after = folded.split("lop", 1)[1].strip(" :")
                for key, name in known.items():
                    if after.replace(" ", "").upper().startswith(key):
                        return name, title_text
    return None, title_text


def _read_rows(sheet_title: str, grid: list[list], start: int, columns: dict[str, int]) -> list[RosterRow]:
    rows: list[RosterRow] = []

    def get(row, name):
        index = columns.get(name)
        return row[index] if index is not None and index < len(row) else None

    for index in range(start, len(grid)):
        row = grid[index]
        stt = cell_text(get(row, "stt"))
        if "full_name" in columns:
            name = cell_text(get(row, "full_name"))
        else:
            name = nfc(f"{cell_text(get(row, 'family'))} {cell_text(get(row, 'given'))}")
        if not stt and not name:
            break  # the end of the table: what follows is the footer
        if index == start and _COLUMN_NUMBER.match(name or "-") and all(
                _COLUMN_NUMBER.match(cell_text(v)) for v in row if cell_text(v)):
            continue  # a row of column numbers "(1) (2) (3)" under the header
        if len(rows) >= MAX_ROWS:
            raise RosterError(_l("The file has more than %(n)s rows. Split it into smaller files.", n=MAX_ROWS))
        item = RosterRow(sheet=sheet_title, row=index + 1, stt=stt, full_name=name)
        if not name:
            item.errors.append(_l("The name is empty."))
        born, understood = parse_date(get(row, "birth_date"))
        item.birth_date = born
        if not understood:
            item.errors.append(_l("The date of birth “%(value)s” is not a date (write it as day/month/year, for example 25/02/2013).",
                                  value=cell_text(get(row, "birth_date"))))
        if "gender" in columns:
            item.gender = parse_gender(cell_text(get(row, "gender")))
        elif "female" in columns:
            item.gender = "female" if cell_text(get(row, "female")) else "male"
        item.class_name = strip_lop(cell_text(get(row, "class"))).upper() or None
        item.student_code = cell_text(get(row, "student_code")) or None
        item.position = cell_text(get(row, "position")) or None
        item.subject = cell_text(get(row, "subject")) or None
        item.phone = cell_text(get(row, "phone")) or None
        rows.append(item)
    return rows


def _guess_kind(sheets: list[tuple[RosterSheet, dict[str, int]]]) -> str:
    """Teachers when the columns (or the title) speak of positions and subjects; students otherwise."""
    for _sheet, columns in sheets:
        if {"class", "student_code", "female"} & set(columns):
            return STUDENTS
        if {"position", "subject"} & set(columns):
            return TEACHERS
    for sheet, _ in sheets:
        title = fold(sheet.title_text)
        if "hoc sinh" in title or "tre" in title.split():
            return STUDENTS
        if any(word in title for word in ("giao vien", "can bo", "nhan vien")):
            return TEACHERS
    return STUDENTS


def parse_roster(data: bytes, known_classes: Iterable[str] = ()) -> Roster:
    """Read a class or staff list; raises RosterError when the file as a whole cannot be used.

    `known_classes` are the school's class names, so a sheet titled with one of them
    (even one that does not look like "7A", e.g. "LÁ 1") is taken as that class.
    """
    fmt = detect_format(data)
    grids = _xlsx_grids(data) if fmt == "xlsx" else [_csv_grid(data)]
    known = {class_key(name): name for name in known_classes}
    found: list[tuple[RosterSheet, dict[str, int]]] = []
    skipped: list[str] = []
    total = 0
    for title, grid in grids:
        header = _find_header(grid)
        if header is None:
            if any(cell_text(v) for row in grid for v in row):
                skipped.append(title)
            continue
        index, columns = header
        start = index + 1
        if start < len(grid) and (extra := _is_subheader(grid[start], columns)):
            columns = {**columns, **extra}
            start += 1
        if "family" in columns and "given" in columns:
            columns.pop("full_name", None)  # "Họ và tên" merged over "Họ đệm" | "Tên"
        if "full_name" not in columns and "given" not in columns:
            continue
        class_name, title_text = _sheet_class(title, grid[:index], known)
        headings = {name: cell_text(grid[index][i]) or cell_text(grid[start - 1][i]) for name, i in columns.items()}
        sheet = RosterSheet(title=title, header_row=index + 1, columns=headings, class_name=class_name,
                            title_text=title_text)
        sheet.rows = _read_rows(title, grid, start, columns)
        total += len(sheet.rows)
        if total > MAX_ROWS:
            raise RosterError(_l("The file has more than %(n)s rows. Split it into smaller files.", n=MAX_ROWS))
        found.append((sheet, columns))
    if not found:
        raise RosterError(_l(
            "No header row was found. The first rows of the list must include a row of headings "
            "such as “STT”, “Họ và tên”, “Ngày sinh”, “Lớp”."))
    sheets = [s for s, _ in found]
    if not any(s.rows for s in sheets):
        raise RosterError(_l("The list has a header row but no one below it."))
    return Roster(format=fmt, kind=_guess_kind(found), sheets=sheets, skipped=skipped)

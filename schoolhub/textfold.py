"""Vietnamese text folding: one place that turns "Chuyển đổi số" into "chuyen doi so"."""
from __future__ import annotations

import re
import unicodedata

_D = str.maketrans({"đ": "d", "Đ": "D"})
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case, strip tone marks and diacritics (NFC or NFD input), fold đ to d, squeeze spaces."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", str(text).translate(_D))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped.translate(_D).casefold()).strip()


def nfc(text: str | None) -> str:
    """NFC-normalised text with outer white space removed and inner runs squeezed."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(text))).strip()

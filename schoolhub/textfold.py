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


# Vietnamese tone marks: grave, acute, tilde, hook above, dot below.
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_WORD = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f])+")


def _tone_to_end(match: re.Match) -> str:
    word = match.group(0)
    tones = "".join(ch for ch in word if ch in _TONES)
    return "".join(ch for ch in word if ch not in _TONES) + tones


def exact_key(text: str | None) -> str:
    """Lower-cased text with diacritics kept, the tone mark of each word moved to its end.

    Old and new tone placement ("hoá"/"hóa", "thuỷ"/"thủy") then compare equal, while "mã hóa" and
    "mà hoa" stay different: what "exact-diacritic" search ranking compares.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", nfc(text).casefold())
    return unicodedata.normalize("NFC", _WORD.sub(_tone_to_end, decomposed))

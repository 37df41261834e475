"""Vietnamese text folding: one place that turns "Chuyển đổi số" into "chuyen doi so"."""
from __future__ import annotations

import functools
import re
import unicodedata

_D = str.maketrans({"đ": "d", "Đ": "D"})
_SPACES = re.compile(r"\s+")


class _Marks(dict):
    """A str.translate table deleting every nonspacing mark (Unicode category Mn) and keeping every other
    character, each code point's answer found once and kept: the translation runs in C, where a test of
    each character in Python cost a 3 KB lesson 0.7 ms on every save and every seed-scale row."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code)) == "Mn" else code
        self[code] = kept
        return kept


_NO_MARKS = _Marks()


def fold(text: str | None) -> str:
    """Lower-case, strip tone marks and diacritics (NFC or NFD input), fold đ to d, squeeze spaces."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", str(text).translate(_D))
    stripped = decomposed.translate(_NO_MARKS)
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
    return _kept_tone_to_end(word) if len(word) <= _KEPT_WORD else _word_tone_to_end(word)


_KEPT_WORD = 24  # longer runs of letters are no syllables: not kept, so the cache's size stays bounded


def _word_tone_to_end(word: str) -> str:
    tones = "".join(ch for ch in word if ch in _TONES)
    return "".join(ch for ch in word if ch not in _TONES) + tones


# Syllables kept with their answer: a text repeats them, and a language has a few thousand (a 3 KB lesson's
# exact key took 2 ms worked out word by word, 1 ms now).
_kept_tone_to_end = functools.lru_cache(maxsize=16384)(_word_tone_to_end)


def exact_key(text: str | None) -> str:
    """Lower-cased text with diacritics kept, the tone mark of each word moved to its end.

    Old and new tone placement ("hoá"/"hóa", "thuỷ"/"thủy") then compare equal, while "mã hóa" and
    "mà hoa" stay different: what "exact-diacritic" search ranking compares.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", nfc(text).casefold())
    return unicodedata.normalize("NFC", _WORD.sub(_tone_to_end, decomposed))


# The Vietnamese alphabet, in its order; each letter sorts as one unit (đ after d, ă and â after a, …).
# Letters are coded from "@" up, so the tone digit "0"–"5" that ends each word sorts before any letter
# ("An" before "Anh"); words of the middle name are joined by "!", the three parts by " ".
_ALPHABET = "0123456789aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_CODE = {letter: chr(0x40 + i) for i, letter in enumerate(_ALPHABET)}
# Tones, as dictionaries order them after the letters: none, huyền, hỏi, ngã, sắc, nặng.
_TONE_RANK = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}
_KEPT_MARKS = frozenset("\u0306\u0302\u031b")  # breve, circumflex, horn: they make letters, not tones


def _word_key(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.casefold())
    tone = next((_TONE_RANK[ch] for ch in decomposed if ch in _TONE_RANK), "0")
    letters = unicodedata.normalize("NFC", "".join(
        ch for ch in decomposed if unicodedata.category(ch) != "Mn" or ch in _KEPT_MARKS))
    return "".join(_LETTER_CODE.get(ch, "") for ch in letters) + tone


NAME_SORT_LENGTH = 300


def name_sort_key(full_name: str | None) -> str:
    """A key whose byte order is the order of a Vietnamese class list.

    Given name (the last word) first, then the middle names (none before any), then the family name
    (the first word); within a word the Vietnamese alphabet (a ă â b c d đ e ê … o ô ơ … u ư …) and,
    when the letters are equal, the tone (none, huyền, hỏi, ngã, sắc, nặng). Plain ASCII, so a bytewise
    collation (SQLite's BINARY, PostgreSQL's "C") orders it identically on both databases.
    """
    words = nfc(full_name).split()
    if not words:
        return ""
    given, middle, family = words[-1], words[1:-1], words[0] if len(words) > 1 else ""
    parts = [_word_key(given), "!".join(_word_key(w) for w in middle), _word_key(family) if family else ""]
    return " ".join(parts)[:NAME_SORT_LENGTH]

"""Passwords people choose: long enough, and not one that every guessing list starts with.

The common list is zxcvbn's (the 30,000 most used passwords of the public breach corpora, shipped
inside the package: nothing is fetched at run time), plus the Vietnamese ones a school would try
first. Compared case-insensitively, with spaces and diacritics as typed.
"""
from __future__ import annotations

import functools

MIN_LENGTH = 8
MAX_LENGTH = 128

# Common in Vietnam and around schools, and the demo password the README publishes.
VIETNAMESE_COMMON = (
    "anhyeuem", "anhyeuem1", "anhyeuem123", "emyeuanh", "emyeuanh1", "emyeuanh123", "yeuemnhieu",
    "matkhau1", "matkhau12", "matkhau123", "matkhau@123", "matkhaumoi", "khongbiet", "khongcomatkhau",
    "vietnam1", "vietnam123", "vietnam@123", "hanoi123", "saigon123", "hochiminh", "quangngai",
    "binhchuong", "truonghoc", "truonghoc1", "hocsinh1", "hocsinh123", "giaovien", "giaovien1",
    "giaovien123", "thaygiao", "cogiao123", "12345678a", "123456789a", "a123456789", "a12345678",
    "123456aa", "1234567890a", "0123456789", "11223344", "123123123", "147258369", "147852369",
    "123456789@", "88888888", "66666666", "99999999", "68686868", "12341234", "schoolhub", "schoolhub57",
    "nghiquyet57", "chuyendoiso",
)


@functools.cache
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    words = {w for w in FREQUENCY_LISTS["passwords"] if len(w) >= MIN_LENGTH}
    return frozenset(words | set(VIETNAMESE_COMMON))


def is_common(password: str) -> bool:
    """True when the password is on a list attackers try first (or is one character repeated)."""
    folded = password.strip().casefold()
    return folded in _common() or len(set(folded)) <= 2

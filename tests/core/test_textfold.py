"""Vietnamese folding and usernames, on fixed pairs and on open-ended input."""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schoolhub.accounts.usernames import USERNAME_RE, base_username
from schoolhub.textfold import exact_key, fold, nfc


@pytest.mark.parametrize(("text", "folded"), [
    ("Chuyển đổi số", "chuyen doi so"),
    ("ĐỔI MỚI SÁNG TẠO", "doi moi sang tao"),
    ("  Trường   THCS\tBình Chương ", "truong thcs binh chuong"),
    (unicodedata.normalize("NFD", "Nguyễn Đức Quân"), "nguyen duc quan"),
    ("", ""),
    (None, ""),
])
def test_fold_pairs(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize(("name", "username"), [
    ("Nguyễn Đức Quân", "quannd"),
    ("Đỗ Thành Lộc", "locdt"),
    ("Lê Thị Thu Hà", "haltt"),
    ("Ân", "anh"),  # too short: padded to three letters
    ("<script>", "script"),
    ("!!!", "user"),
])
def test_base_username_pairs(name, username):
    assert base_username(name) == username


@given(st.text(max_size=200))
def test_fold_is_ascii_friendly_and_stable(text):
    once = fold(text)
    assert fold(once) == once
    assert "đ" not in once and "Đ" not in once
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


@given(st.text(max_size=200))
def test_base_username_is_always_a_valid_username(name):
    assert USERNAME_RE.match(base_username(name))


@given(st.text(max_size=300))
def test_nfc_trims_and_normalises(text):
    out = nfc(text)
    assert out == out.strip() and unicodedata.is_normalized("NFC", out)


@pytest.mark.parametrize(("a", "b", "same"), [
    ("mã hoá", "mã hóa", True),            # old and new tone placement
    ("Thuỷ tinh", "thủy tinh", True),
    ("KHOẺ", "khỏe", True),
    ("hóa,", "hoá,", True),                # punctuation does not move the mark
    ("mã hóa", "mà hoa", False),           # other diacritics: another word
    ("đá", "da", False),
    ("Nghị quyết 57", "nghị quyết 57", True),
])
def test_exact_key_ignores_only_case_and_tone_placement(a, b, same):
    assert (exact_key(a) == exact_key(b)) is same
    assert (exact_key(unicodedata.normalize("NFD", a)) == exact_key(b)) is same


def _fold_by_hand(text: str) -> str:
    """fold as its docstring says it, character by character (what the kept translation table replaced)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.casefold().split())


def _tone_to_end_by_hand(word: str) -> str:
    tones = "".join(ch for ch in word if ch in "\u0300\u0301\u0303\u0309\u0323")
    return "".join(ch for ch in word if ch not in "\u0300\u0301\u0303\u0309\u0323") + tones


MIXED = [
    "Chuyển đổi số trong trường học, chuyển đổi số!",
    "हिन्दी ภาษาไทย 한국어 Ελληνικά Ǆemal ﬁnal ẞtraße",  # spacing marks (Mc) stay, nonspacing ones go
    "a\u0301b\u0300c e\u0323\u0301 " + "nghiêng" * 6,  # two tones in a word; a run of 42 letters
    "x" * 30 + "ạ " + "Ả" * 25,
]


@pytest.mark.parametrize("text", MIXED)
def test_fold_drops_exactly_the_nonspacing_marks_of_any_script(text):
    assert fold(text) == _fold_by_hand(text)
    assert fold(text) == fold(text)  # the second time from the kept table: the same


@pytest.mark.parametrize("text", MIXED)
def test_exact_key_moves_every_tone_of_a_word_to_its_end_long_words_too(text):
    import re
    import unicodedata

    decomposed = unicodedata.normalize("NFD", " ".join(unicodedata.normalize("NFC", text).split()).casefold())
    expected = unicodedata.normalize(
        "NFC", re.sub(r"(?:[^\W\d_]|[\u0300-\u036f])+", lambda m: _tone_to_end_by_hand(m.group(0)), decomposed))
    assert exact_key(text) == expected
    assert exact_key(text) == expected  # a kept syllable's answer is the same
    assert exact_key("a\u0301b\u0300c") == unicodedata.normalize("NFC", "abc\u0301\u0300")


@given(st.text(max_size=300))
def test_fold_and_exact_key_agree_with_their_definitions_on_any_text(text):
    import re

    assert fold(text) == _fold_by_hand(text)
    decomposed = unicodedata.normalize("NFD", " ".join(unicodedata.normalize("NFC", text).split()).casefold())
    assert exact_key(text) == unicodedata.normalize(
        "NFC", re.sub(r"(?:[^\W\d_]|[\u0300-\u036f])+", lambda m: _tone_to_end_by_hand(m.group(0)), decomposed))

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

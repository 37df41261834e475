"""New passwords: long enough, not common, not the username (issue 10, point 8)."""
from __future__ import annotations

import pytest

from schoolhub.accounts import services
from schoolhub.accounts.passwords import is_common
from schoolhub.services import ServiceError
from tests.helpers.accounts import PASSWORD


@pytest.mark.parametrize("password", ["12345678", "password", "PassWord1", "iloveyou", "qwertyuiop", "anhyeuem",
                                      "matkhau123", "123456789a", "schoolhub57", "aaaaaaaa", "abababab"])
def test_common_passwords_are_refused(password):
    assert is_common(password)
    with pytest.raises(ServiceError) as refused:
        services.validate_password(password)
    assert refused.value.field == "password"


@pytest.mark.parametrize("password", ["mot-mat-khau-moi", "abcdefgh1", "học-sinh-lớp-7a", "Tôi đọc sách mỗi tối"])
def test_uncommon_passwords_pass(password):
    assert not is_common(password)
    services.validate_password(password)


def test_short_passwords_and_the_username_are_refused():
    with pytest.raises(ServiceError):
        services.validate_password("abc1234")
    with pytest.raises(ServiceError):
        services.validate_password("teacher.le", username="Teacher.Le")


def test_the_password_form_says_why(world, login_as):
    c = login_as(world.teacher)
    for new, says in (("12345678", "phổ biến"), ("teacher", "8"), ("teacher-1", None)):
        r = c.post("/password", data={"current_password": PASSWORD, "password": new, "confirm": new})
        html = r.get_data(as_text=True)
        if says is None:
            assert r.status_code == 302
        else:
            assert r.status_code == 200 and says in html, new


def test_the_list_is_offline_and_large():
    from schoolhub.accounts.passwords import _common

    assert len(_common()) > 10_000

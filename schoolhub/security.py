"""Login manager, password hashing and login throttling."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash


class _Limiter(Limiter):
    """Flask-Limiter, whose reset also forgets the login throttle's counts (schoolhub.throttle)."""

    def reset(self) -> None:
        super().reset()
        from schoolhub import throttle

        throttle.reset_all()


login_manager = LoginManager()
csrf = CSRFProtect()
limiter = _Limiter(key_func=get_remote_address, default_limits=[])

# Letters and digits that cannot be mistaken for each other on a printed sheet.
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
# A valid hash to compare against when the username is unknown, so timing does not tell.
_DUMMY_HASH = None


def hash_password(password: str, *, temporary: bool = False) -> str:
    """A salted scrypt hash (the cost is a setting, lowered only in tests).

    One-time passwords are random (about 49 bits), valid until first login and
    may be issued by the hundred in one roster import, so they use the cheaper
    TEMP_PASSWORD_HASH_METHOD; passwords people choose get the full cost.
    """
    key = "TEMP_PASSWORD_HASH_METHOD" if temporary else "PASSWORD_HASH_METHOD"
    return generate_password_hash(password, method=current_app.config[key])


def verify_password(user, password: str) -> bool:
    """Check a password; spends the same effort when the user does not exist."""
    global _DUMMY_HASH
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_hex(8))
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(user.password_hash, password)


def temporary_password() -> str:
    """A one-time password that reads well on paper, e.g. 'k7mpq-4x9az' (10 of 31 symbols)."""
    raw = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def login_name(raw: str | None) -> str:
    """The username as the throttle counts it: trimmed, case-folded, bounded."""
    return (raw or "").strip().casefold()[:40]


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login or a language switch."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def init_app(app: Flask) -> None:
    """Attach CSRF protection, Flask-Login and Flask-Limiter; sessions whose checked cookies are kept."""
    from schoolhub.sessions import KeptCookieSessions

    app.session_interface = KeptCookieSessions()
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    limiter.init_app(app)
    from schoolhub import throttle

    throttle.init_app(app)

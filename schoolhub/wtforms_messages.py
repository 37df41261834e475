"""WTForms' built-in messages, marked here so they land in schoolhub's catalogs.

WTForms ships no Vietnamese translation; `Form.Meta.get_translations` hands
it schoolhub's own catalog, and these markers make extraction include them.
"""
from flask_babel import lazy_gettext as _l

MESSAGES = (
    _l("Not a valid integer value."),
    _l("Not a valid date value."),
    _l("Not a valid choice."),
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid Choice: could not coerce."),
    _l("The CSRF token is missing."),
    _l("The CSRF token is invalid."),
    _l("The CSRF token has expired."),
    _l("The CSRF tokens do not match."),
    _l("CSRF token missing."),
)

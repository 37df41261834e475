"""The shared kernel of every domain's forms: the base `Form`, shared messages, and the one way
a service's refusal is shown on a form (`apply_service_error`).

Forms never touch the database: views set choices, services decide.
"""
from __future__ import annotations

from flask import has_request_context, request
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto

from schoolhub import drafts

REQUIRED = _l("This field is required.")
TOO_LONG = _l("Too long: at most %(max)d characters.")
CHOOSE = _l("Choose from the list.")


class Form(FlaskForm):
    """Base form: WTForms' own messages come from schoolhub's catalog (it has no Vietnamese).

    Shown again after a refused POST (expired form token or session), a form starts from the draft
    of what was typed (schoolhub.drafts).
    """

    class Meta:
        def get_translations(self, form):
            return get_translations()

    def __init__(self, formdata=_Auto, **kwargs):
        if formdata is _Auto and has_request_context() and request.method == "GET":
            restored = drafts.formdata()
            if restored is not None:
                formdata = restored
        super().__init__(formdata=formdata, **kwargs)


def apply_service_error(form, error, default: str | None = None) -> None:
    """Show a service's refusal beside the field it names.

    A field the form lacks falls back to `default`, then to the form's first field. A form with
    a `file_errors` list (a file input kept outside WTForms) gets the message there for "file".
    """
    message = str(error.message)
    if error.field == "file" and isinstance(getattr(form, "file_errors", None), list):
        form.file_errors.append(message)
        return
    field = getattr(form, error.field or "", None) or (getattr(form, default, None) if default else None)
    if field is None or not hasattr(field, "errors"):
        field = next(iter(form))
    field.errors = list(field.errors) + [message]

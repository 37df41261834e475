"""Forms of the accounts domain (WTForms through Flask-WTF: CSRF on every POST)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp

from schoolhub.accounts import vocab  # noqa: F401  (labels of the levels)
from schoolhub.accounts.models import SchoolLevel
from schoolhub.forms import REQUIRED as _REQUIRED
from schoolhub.forms import TOO_LONG as _TOO_LONG
from schoolhub.forms import Form
from schoolhub.once import OnceMixin
from schoolhub.vocab import choices

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,39}$"
_USERNAME_MSG = _l("A username has 3 to 40 characters: unaccented letters, digits, dot, dash or underscore.")


def _name_field(label):
    return StringField(label, validators=[DataRequired(_REQUIRED), Length(max=120, message=_TOO_LONG)])


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(_REQUIRED), Length(max=40, message=_TOO_LONG)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_REQUIRED), Length(max=128, message=_TOO_LONG)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(_REQUIRED), Length(max=128, message=_TOO_LONG)])
    password = PasswordField(_l("New password"), validators=[DataRequired(_REQUIRED), Length(min=8, max=128, message=_l("Between 8 and 128 characters."))])
    confirm = PasswordField(_l("Repeat the new password"), validators=[DataRequired(_REQUIRED), EqualTo("password", message=_l("The two passwords do not match."))])


class SchoolForm(OnceMixin, Form):
    code = StringField(_l("Code"), validators=[
        DataRequired(_REQUIRED), Length(min=2, max=20, message=_l("Between 2 and 20 characters.")),
        Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Only unaccented letters, digits, dash and underscore.")),
    ])
    name = StringField(_l("School name"), validators=[DataRequired(_REQUIRED), Length(max=200, message=_TOO_LONG)])
    level = SelectField(_l("Level"), choices=choices(SchoolLevel),
                        validators=[DataRequired(_REQUIRED)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300, message=_TOO_LONG)])


class AppointAdminForm(OnceMixin, Form):
    existing_username = StringField(_l("Username of an existing account"), validators=[Optional(), Length(max=40, message=_TOO_LONG)])
    full_name = StringField(_l("Full name (new account)"), validators=[Optional(), Length(max=120, message=_TOO_LONG)])
    username = StringField(_l("Username (leave empty to make one from the name)"), validators=[
        Optional(), Regexp(USERNAME_PATTERN, message=_USERNAME_MSG)])


class PersonForm(OnceMixin, Form):
    full_name = _name_field(_l("Full name"))
    username = StringField(_l("Username (leave empty to make one from the name)"), validators=[
        Optional(), Regexp(USERNAME_PATTERN, message=_USERNAME_MSG)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=80, message=_TOO_LONG)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20, message=_TOO_LONG),
                                                Regexp(r"^[0-9 +().-]*$", message=_l("Only digits, spaces and + ( ) . -"))])


class StudentForm(OnceMixin, Form):
    full_name = _name_field(_l("Full name"))
    username = StringField(_l("Username (leave empty to make one from the name)"), validators=[
        Optional(), Regexp(USERNAME_PATTERN, message=_USERNAME_MSG)])
    class_id = SelectField(_l("Class"), coerce=int, validators=[DataRequired(_l("Choose a class."))])
    birth_date = DateField(_l("Date of birth"), format=["%d/%m/%Y", "%Y-%m-%d"], validators=[Optional()])
    student_code = StringField(_l("Student code"), validators=[Optional(), Length(max=30, message=_TOO_LONG)])


class ClassForm(OnceMixin, Form):
    name = StringField(_l("Class name"), validators=[DataRequired(_REQUIRED), Length(max=30, message=_TOO_LONG)])
    grade = IntegerField(_l("Grade"), validators=[
        InputRequired(_l("Enter the grade as a number.")),
        NumberRange(min=0, max=12, message=_l("The grade is a number from 0 to 12."))])
    school_year = StringField(_l("School year"), validators=[
        DataRequired(_REQUIRED), Regexp(r"^\d{4}-\d{4}$", message=_l("Write the school year as 2025-2026."))])
    is_active = BooleanField(_l("Class is open"), default=True)


class ImportForm(Form):
    file = FileField(_l("Class list (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file."))])
    kind = SelectField(_l("This list contains"), choices=[
        SelectChoice("auto", _l("Recognise automatically")), SelectChoice("students", _l("Students")),
        SelectChoice("teachers", _l("Teachers and staff"))])
    class_id = SelectField(_l("Class for rows that name none"), coerce=int, default=0)
    create_classes = BooleanField(_l("Create classes named in the file that do not exist yet"))

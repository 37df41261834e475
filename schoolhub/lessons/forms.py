"""Forms of lessons."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from schoolhub.forms import CHOOSE as _CHOOSE
from schoolhub.forms import REQUIRED as _REQUIRED
from schoolhub.forms import TOO_LONG as _TOO_LONG
from schoolhub.forms import Form
from schoolhub.lessons.models import Visibility
from schoolhub.lessons.services import BODY_MAX, SUMMARY_MAX, TAGS_MAX, TITLE_MAX
from schoolhub.lessons.vocab import AUDIENCES, GRADES, SUBJECTS, TOPICS, grade_label
from schoolhub.once import OnceMixin
from schoolhub.vocab import choices


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (usable on a phone, unlike <select multiple>)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_formdata(self, valuelist):
        # WTForms' own message for a value that is not a number ("Invalid choice(s)…") is English only.
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(_CHOOSE)) from error

    def pre_validate(self, form):
        if self.data and self.choices is not None:
            allowed = {str(c.value if isinstance(c, SelectChoice) else c[0]) for c in self.choices}
            if any(str(v) not in allowed for v in self.data):
                raise ValidationError(str(_CHOOSE))


def _choices(vocab: dict) -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in vocab.items()]


class LessonForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(_REQUIRED), Length(max=TITLE_MAX, message=_TOO_LONG)])
    summary = TextAreaField(_l("Summary (one or two sentences shown in lists and link previews)"),
                            validators=[Optional(), Length(max=SUMMARY_MAX, message=_TOO_LONG)])
    body = TextAreaField(_l("Content"), validators=[Optional(), Length(max=BODY_MAX, message=_TOO_LONG)])
    topics = CheckboxesField(_l("Topics"), choices=_choices(TOPICS))
    subjects = CheckboxesField(_l("Subjects"), choices=_choices(SUBJECTS))
    grades = CheckboxesField(_l("Grades"), coerce=int,
                             choices=[SelectChoice(g, grade_label(g)) for g in GRADES])
    audiences = CheckboxesField(_l("For"), choices=_choices(AUDIENCES))
    tags = StringField(_l("Tags (separated by commas)"),
                       validators=[Optional(), Length(max=TAGS_MAX, message=_TOO_LONG)])
    duration_minutes = IntegerField(_l("Estimated duration (minutes)"), validators=[
        Optional(), NumberRange(min=1, max=600, message=_l("Between %(min)d and %(max)d minutes."))])
    video_url = StringField(_l("YouTube video link"), validators=[Optional(), Length(max=300, message=_TOO_LONG)])
    visibility = RadioField(_l("Who can read it once published"), default=Visibility.SCHOOL.value,
                            choices=choices(Visibility),
                            validators=[DataRequired(_CHOOSE)])
    # The revision the editor started from: a save on top of someone else's newer save is refused.
    base_revision = HiddenField()


class NewLessonForm(OnceMixin, LessonForm):
    school_id = SelectField(_l("School"), coerce=int, validators=[DataRequired(_CHOOSE)])


class AttachmentForm(Form):
    file = FileField(_l("File (PDF, DOCX, PPTX, XLSX, PNG, JPEG or MP4)"),
                     validators=[FileRequired(_l("Choose a file."))])


class CopyForm(OnceMixin, Form):
    school_id = SelectField(_l("Copy into"), coerce=int, validators=[DataRequired(_CHOOSE)])

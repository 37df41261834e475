"""Labels of the accounts domain's vocabularies."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from schoolhub.accounts.models import Role, SchoolLevel, UnitKind
from schoolhub.vocab import set_labels

set_labels(SchoolLevel, {
    SchoolLevel.MAM_NON: _l("Pre-school"),
    SchoolLevel.TIEU_HOC: _l("Primary school"),
    SchoolLevel.THCS: _l("Lower secondary school"),
    SchoolLevel.THPT: _l("Upper secondary school"),
})

set_labels(Role, {
    Role.OFFICER: _l("Commune officer"),
    Role.SCHOOL_ADMIN: _l("School admin"),
    Role.TEACHER: _l("Teacher"),
    Role.STUDENT: _l("Student"),
})

set_labels(UnitKind, {
    UnitKind.PROVINCE: _l("Province"),
    UnitKind.COMMUNE: _l("Commune"),
    UnitKind.SCHOOL: _l("School"),
})

# The order roles are listed in (reader counts, people lists).
ROLE_ORDER = (Role.SCHOOL_ADMIN, Role.TEACHER, Role.STUDENT, Role.OFFICER)

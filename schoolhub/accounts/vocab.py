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

# What the audit log page calls each action this domain records (schoolhub.audit).
AUDIT_LABELS = {
    "unit.create": _l("Unit created"),
    "school.update": _l("School details changed"),
    "school.activate": _l("School reactivated"),
    "school.deactivate": _l("School deactivated"),
    "school_admin.appoint": _l("School admin appointed"),
    "user.create.officer": _l("Officer account created"),
    "user.create.school_admin": _l("School admin account created"),
    "user.create.teacher": _l("Teacher account created"),
    "user.create.student": _l("Student account created"),
    "user.update": _l("Account details changed"),
    "user.activate": _l("Account reactivated"),
    "user.deactivate": _l("Account deactivated"),
    "user.reset_password": _l("One-time password issued"),
    "user.change_password": _l("Password changed"),
    "class.create": _l("Class opened"),
    "class.update": _l("Class changed"),
    "roster.import": _l("Class or staff list imported"),
}

"""The fixed vocabularies of lessons: topics from the plan, subjects, audiences."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Topics drawn from the commune plan (ke-hoach-nq57); keys are stored, labels shown.
TOPICS = {
    "khcn": _l("Science and technology"),
    "dmst": _l("Innovation"),
    "cds": _l("Digital transformation"),
    "stem": _l("STEM"),
    "ai": _l("Artificial intelligence"),
    "attt": _l("Information security"),
    "kns": _l("Digital skills / Bình dân học vụ số"),
}

SUBJECTS = {
    "toan": _l("Mathematics"),
    "khtn": _l("Natural sciences"),
    "cong_nghe": _l("Technology"),
    "tin_hoc": _l("Informatics"),
    "vat_ly": _l("Physics"),
    "hoa_hoc": _l("Chemistry"),
    "sinh_hoc": _l("Biology"),
    "khac": _l("Other subject"),
}

AUDIENCES = {
    "students": _l("Students"),
    "teachers": _l("Teachers"),
    "parents": _l("Parents"),
}

# Keyed by Visibility's values (a StrEnum member finds its entry too).
VISIBILITY_LABELS = {
    "school": _l("My school only"),
    "commune": _l("All schools of the commune"),
    "public": _l("Everyone, without logging in"),
}

GRADES = range(0, 13)  # 0: pre-school groups, 1-12: grades


def grade_label(grade: int):
    """'Mầm non' for 0, 'Lớp 7' for 7 (a lazy string: translated when shown, in the reader's language)."""
    return _l("Pre-school") if grade == 0 else _l("Grade %(n)d", n=grade)


def pack(values) -> str:
    """Store a set of keys as ',a,b,' so one LIKE '%,a,%' finds it on every database."""
    values = [str(v) for v in values if str(v)]
    return f",{','.join(values)}," if values else ""


def unpack(stored: str | None) -> list[str]:
    """The keys of a packed column, in stored order."""
    return [v for v in (stored or "").split(",") if v]

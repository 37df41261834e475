"""One mechanism for the labels of fixed vocabularies (enum members and keyed choices).

A domain's `vocab.py` calls `set_labels(SomeStrEnum, {Member: _l("Label"), ...})` once; then
`label(member)` (the `|label` filter in templates) gives the label in the reader's language, and
`choices(SomeStrEnum)` the options of a select field. Labels are lazy strings, so they are
translated when shown, never at import.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping

from wtforms import SelectChoice

_LABELS: dict[type, dict[str, object]] = {}


def set_labels(enum_cls: type[enum.Enum], labels: Mapping) -> None:
    """Give every member of `enum_cls` its label; a member without one is an error."""
    by_value = {getattr(key, "value", key): text for key, text in labels.items()}
    missing = [m.value for m in enum_cls if m.value not in by_value]
    if missing:
        raise ValueError(f"{enum_cls.__name__} has no label for {missing}")
    _LABELS[enum_cls] = by_value


def labels_of(enum_cls: type[enum.Enum]) -> dict[str, object]:
    """value → label for every member, in declaration order."""
    return dict(_LABELS[enum_cls])


def label(value) -> str:
    """The label of an enum member ('' for None); an unlabelled value is shown as it is."""
    if value is None:
        return ""
    found = _LABELS.get(type(value))
    if found is None:
        return str(value)
    return str(found[value.value])


def choices(enum_cls: type[enum.Enum]) -> list[SelectChoice]:
    """The options of a select field: (value, label) for every member, in declaration order."""
    return [SelectChoice(value, text) for value, text in _LABELS[enum_cls].items()]

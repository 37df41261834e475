"""json_rows: many rows read as one JSON text, the same rows on both databases."""
from __future__ import annotations

import json

from sqlalchemy import select

from schoolhub.accounts.models import OrgUnit, UnitKind
from schoolhub.db import read_rows
from schoolhub.json_rows import json_rows


def test_every_row_kept_by_the_where_is_one_array_in_the_text(world, db):
    stmt = (select(json_rows(OrgUnit.id, OrgUnit.name, OrgUnit.is_active, order_by=OrgUnit.name))
            .where(OrgUnit.kind == UnitKind.SCHOOL))
    rows = json.loads(read_rows(db, stmt).scalar())
    expected = db.execute(select(OrgUnit.id, OrgUnit.name, OrgUnit.is_active)
                          .where(OrgUnit.kind == UnitKind.SCHOOL)).all()
    assert sorted(map(tuple, rows)) == sorted((sid, name, bool(active)) for sid, name, active in expected)
    assert len(rows) >= 2


def test_names_with_quotes_diacritics_and_tags_come_back_as_written(world, db):
    world.school.name = 'Trường "Hy Vọng" <b>\\ số 1</b>\ttab'
    db.flush()
    stmt = select(json_rows(OrgUnit.id, OrgUnit.name)).where(OrgUnit.id == world.school.id)
    assert json.loads(read_rows(db, stmt).scalar()) == [[world.school.id, 'Trường "Hy Vọng" <b>\\ số 1</b>\ttab']]


def test_no_row_is_null_and_the_order_is_part_of_the_statement(world, db):
    empty = select(json_rows(OrgUnit.id)).where(OrgUnit.id < 0)
    assert read_rows(db, empty).scalar() in (None, "[]")  # PostgreSQL's json_agg of nothing is NULL
    by_name = select(json_rows(OrgUnit.id, order_by=OrgUnit.name))
    by_id = select(json_rows(OrgUnit.id, order_by=OrgUnit.id))
    assert by_name._generate_cache_key() != by_id._generate_cache_key()  # never one compiled SQL for both
    if db.get_bind().dialect.name == "postgresql":
        ids = [row[0] for row in json.loads(read_rows(db, by_id).scalar())]
        assert ids == sorted(ids)

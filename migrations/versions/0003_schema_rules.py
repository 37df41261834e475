"""schema rules: enum columns checked by named CHECK constraints

Revision ID: 0003_schema_rules
Revises: 0002
Create Date: 2026-12-01 09:30:00.000000

Autogenerate sees none of this (Alembic does not compare CHECK constraints), so it is written by hand;
tests/test_migrations.py checks the constraint names against the models.
"""
from alembic import op
import sqlalchemy as sa
import schoolhub.db


revision = '0003_schema_rules'
down_revision = '0002'
branch_labels = None
depends_on = None

# The values each enum column held at this revision (schoolhub's enums may grow later; this migration must not).
ENUM_CHECKS = {
    'org_units': {
        'kind': ('province', 'commune', 'school'),
        'level': ('mam_non', 'tieu_hoc', 'thcs', 'thpt'),
    },
    'memberships': {'role': ('officer', 'school_admin', 'teacher', 'student')},
    'lessons': {'status': ('draft', 'published', 'archived'), 'visibility': ('school', 'commune', 'public')},
    'lesson_revisions': {'visibility': ('school', 'commune', 'public')},
}


def _in_list(column, values):
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


def upgrade():
    for table, columns in ENUM_CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(op.f(f'ck_{table}_{column}'), _in_list(column, values))


def downgrade():
    for table, columns in reversed(ENUM_CHECKS.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in reversed(columns):
                batch_op.drop_constraint(op.f(f'ck_{table}_{column}'), type_='check')

"""core scope: the unit whose people a lesson's core flag asks to confirm it

Revision ID: 0006_core_scope
Revises: 0005_unit_counts
Create Date: 2026-11-27 09:00:00

A school admin's flag asks that school's people, an officer's flag the whole commune's
(lessons.policy). Lessons already marked keep the narrowest reading: their own school.
On SQLite the batch rebuild of `lessons` drops the search triggers: they are made again.
"""
import sqlalchemy as sa
from alembic import op

from schoolhub.lessons import search_index


revision = '0006_core_scope'
down_revision = '0005_unit_counts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('core_unit_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_lessons_core_unit_id'), ['core_unit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_lessons_core_unit_id_org_units'), 'org_units',
                                    ['core_unit_id'], ['id'])
    op.execute("UPDATE lessons SET core_unit_id = school_id WHERE is_core")
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_lessons_core_unit_only_when_core'),
                                         'is_core OR core_unit_id IS NULL')
    if op.get_bind().dialect.name == 'sqlite':
        search_index.restore_triggers(op.execute)


def downgrade():
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_lessons_core_unit_only_when_core'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_lessons_core_unit_id_org_units'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_lessons_core_unit_id'))
        batch_op.drop_column('core_unit_id')
    if op.get_bind().dialect.name == 'sqlite':
        search_index.restore_triggers(op.execute)

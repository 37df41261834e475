"""core scope index: the core lessons of a unit, found without reading every core lesson

Revision ID: 0008_core_scope_index
Revises: 0007_name_order
Create Date: 2026-12-01 12:50:00

Every page of a teacher, student or admin counts the core lessons they are asked to confirm: the
lessons whose scope (coalesce(core_unit_id, school_id)) is their school or a unit above it. Without an
index on that expression both databases read every published core lesson of the province, body
included, on each page (10 ms on SQLite at the province preset). An index on an expression is made
here by hand; schoolhub.migrate keeps Alembic's model comparison off it.
"""
from alembic import op

revision = '0008_core_scope_index'
down_revision = '0007_name_order'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE INDEX ix_lessons_core_scope ON lessons (is_core, coalesce(core_unit_id, school_id))")


def downgrade():
    op.execute("DROP INDEX ix_lessons_core_scope")

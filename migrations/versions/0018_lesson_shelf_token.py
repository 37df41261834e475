"""lesson_shelf_token: one row, a token drawn anew by every write to the public half of the lesson list's
school choices

Revision ID: 0018_lesson_shelf_token
Revises: 0017_lessons_label_keys
Create Date: 2026-12-07 00:15:00.000000

The lesson list and every search show the schools holding lessons the reader may read, with their names
and counts. At the province preset that is every school with public lessons (300), which the database
aggregated into one text on every page: 0.9 ms of the page's statement. A process now keeps that public
half by this token, and a page asks only the token and the reader's own half (their commune's and
school's lessons). schoolhub.lessons.counts draws a new token in the same transaction as any change to
school_lessons or to a school's name; a bulk write that bypasses it (a migration, seed-scale's Core
inserts) must draw one too (counts.new_shelf_token, which recount_shelves calls).

The table starts empty: no row reads as token 0, the figures as no counted write has changed them (the
first write makes the row). A migrated database stays empty, as seed-demo and seed-scale require.
"""
import sqlalchemy as sa
from alembic import op

revision = '0018_lesson_shelf_token'
down_revision = '0017_lessons_label_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'lesson_shelf_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_shelf_token')),
    )


def downgrade() -> None:
    op.drop_table('lesson_shelf_token')

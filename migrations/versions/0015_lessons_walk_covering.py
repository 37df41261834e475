"""the lessons' list-order index carries what the search walk and the title probe test (PostgreSQL)

Revision ID: 0015_lessons_walk_covering
Revises: 0014_memberships_roster
Create Date: 2026-12-06 14:10:00.000000

The ranked search (schoolhub.lessons.queries.search_page) walks the newest published lessons in list
order, keeping those the reader may see whose title holds the phrase. Reading them through
ix_lessons_status_is_core_published_at_id fetched every lesson from the table to test its visibility,
school and title: at the province preset a teacher's walk for "chuyen doi so" read 1,013 lessons, three
in four of them outside the reader's scope, 1.8 ms. With visibility, school_id and title_folded in the
index (INCLUDE: kept in its leaf entries, not in its order) the same walk is an index-only scan of the
entries (0.28 ms), and so can be the tier's probe when PostgreSQL plans it for a phrase found in many
titles. The index keeps its name and its order.

SQLite has no INCLUDE and keeps the index as it was: it ranks every match in one statement.
"""
from alembic import op

revision = '0015_lessons_walk_covering'
down_revision = '0014_memberships_roster'
branch_labels = None
depends_on = None

NAME = 'ix_lessons_status_is_core_published_at_id'
KEYS = ['status', 'is_core', 'published_at', 'id']


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index(NAME, table_name='lessons')
    op.create_index(NAME, 'lessons', KEYS, postgresql_include=['visibility', 'school_id', 'title_folded'])


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index(NAME, table_name='lessons')
    op.create_index(NAME, 'lessons', KEYS)

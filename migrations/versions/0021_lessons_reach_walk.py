"""an index of the published lessons by reach and in list order, for a search's title walk (PostgreSQL)

Revision ID: 0021_lessons_reach_walk
Revises: 0020_informed_counts
Create Date: 2026-12-07 13:00:00.000000

A common phrase's page is found in its title tier, walked in list order (core material first, then the
newest). The walk read the newest published lessons and left out those the reader may not read (three in
four at the province preset, another school's or commune's), and with a label filter it would have read
the newest lessons of every label in turn; so a filtered search probed the title tier through its word
joins instead, reading from the table every lesson holding the phrase in its title, 564 for the 118 a
teacher may read ("tri tue nhan tao" in topic "ai").

This index holds the published lessons by visibility and school (every public lesson under school 0, in
one range), then in list order, with the title and the labels: a reader's search walks the ranges of the
keys it may read (lessons.policy.reach_walk_keys), each in list order, from the index alone. About as
large as the list-order index (3.5 MB at the province preset); built without rewriting the table.
SQLite has none of it: it ranks every match of a search in one statement (lessons.queries.TIERED).
"""
from alembic import op

revision = '0021_lessons_reach_walk'
down_revision = '0020_informed_counts'
branch_labels = None
depends_on = None

# The expression as lessons.policy.REACH_SCHOOL writes it: the planner matches the text.
REACH_SCHOOL = "(CASE WHEN visibility = 'public' THEN 0 ELSE school_id END)"


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    # school_id included beside the expression: PostgreSQL reads an index alone only when it holds every
    # column the query names, the expression's too.
    op.execute(f"CREATE INDEX ix_lessons_reach_walk ON lessons (visibility, {REACH_SCHOOL}, is_core, "
               "published_at, id) INCLUDE (school_id, title_folded, topics, subjects, grades) "
               "WHERE status = 'published'")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP INDEX IF EXISTS ix_lessons_reach_walk")

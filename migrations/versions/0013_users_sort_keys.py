"""users' sort keys beside their id: a covering index for the people lists (PostgreSQL only)

Revision ID: 0013_users_sort_keys
Revises: 0012_class_counts
Create Date: 2026-12-06 03:50:00.000000

A school's student list orders its 400 students by (active first, name) and shows 25: the sort read
every student's row of `users` by its key (0.6 ms of the database at the province preset). With the
sort keys in an index beside the id, PostgreSQL orders them with an index-only scan and reads the rows
of the page's 25 alone (schoolhub.accounts.listings). SQLite reads a row by its rowid directly: it needs
no such index.
"""
from alembic import op

revision = '0013_users_sort_keys'
down_revision = '0012_class_counts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("CREATE INDEX ix_users_id_sort_keys ON users (id) INCLUDE (is_active, name_sort)")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP INDEX IF EXISTS ix_users_id_sort_keys")

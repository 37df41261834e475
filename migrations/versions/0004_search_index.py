"""search that stays fast: a trigram index on the folded lesson text on both databases, and indexes
that serve the newest-first lesson lists and the feed

Revision ID: 0004_search_index
Revises: 0003_schema_rules
Create Date: 2026-12-01 10:10:00.000000

- PostgreSQL: the pg_trgm extension and a GIN index on lessons.search_folded (gin_trgm_ops), which
  serves `search_folded LIKE '%word%'`.
- SQLite: an FTS5 table with the trigram tokenizer over lessons.search_folded (external content,
  kept in step by three triggers), which serves the same LIKE on its column. Note for later
  migrations: a batch migration that rebuilds `lessons` on SQLite drops these triggers; recreate
  them (create_sqlite_search / drop_sqlite_search below) in such a migration.
- Both: (status, published_at, id), (status, visibility, published_at) and
  (status, is_core, published_at, id) for the lists and the feed; the old (status, visibility) goes.
"""
import sqlalchemy as sa
from alembic import op

from schoolhub.lessons import search_index

revision = '0004_search_index'
down_revision = '0003_schema_rules'
branch_labels = None
depends_on = None

def upgrade() -> None:
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_index('ix_lessons_status_visibility')
        batch_op.create_index('ix_lessons_status_published_at_id', ['status', 'published_at', 'id'], unique=False)
        batch_op.create_index('ix_lessons_status_visibility_published_at', ['status', 'visibility', 'published_at'],
                              unique=False)
        batch_op.create_index('ix_lessons_status_is_core_published_at_id', ['status', 'is_core', 'published_at', 'id'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # The operator class is named with the extension's schema: it may live outside the search path.
        schema = op.get_bind().scalar(sa.text(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"))
        op.execute(f"CREATE INDEX ix_lessons_search_folded_trgm ON lessons USING gin (search_folded {schema}.gin_trgm_ops)")
    elif op.get_bind().dialect.name == 'sqlite':
        search_index.create(op.execute)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_lessons_search_folded_trgm")
    elif op.get_bind().dialect.name == 'sqlite':
        search_index.drop(op.execute)
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_index('ix_lessons_status_is_core_published_at_id')
        batch_op.drop_index('ix_lessons_status_visibility_published_at')
        batch_op.drop_index('ix_lessons_status_published_at_id')
        batch_op.create_index('ix_lessons_status_visibility', ['status', 'visibility'], unique=False)

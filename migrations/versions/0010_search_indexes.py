"""search indexes: trigram indexes on the exact search text, the folded title and the packed label
columns of lessons (PostgreSQL only)

Revision ID: 0010_search_indexes
Revises: 0009_kept_figures
Create Date: 2026-12-01 15:10:00.000000

- search_exact and title_folded: the ranked search page (schoolhub.lessons.queries.search_page) asks
  each ranking tier for its first matches, "the query exactly as typed in the text" and "the phrase
  in the title" among them. Without these indexes such a question rechecks every lesson holding the
  query's words: 0.6 s for "chuyen doi so" at the province preset, against 0.2 ms with them.
- topics, subjects, grades, audiences: a search that names a label (schoolhub.lessons.labels) also
  finds the lessons filed under it, an OR beside the trigram conditions on the folded text;
  PostgreSQL answers an OR from indexes only when every arm has one (a BitmapOr). They serve the
  list's topic, subject and grade filters too.

SQLite has none of them: at a commune's size reading these columns is cheap.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_search_indexes'
down_revision = '0009_kept_figures'
branch_labels = None
depends_on = None

COLUMNS = ("search_exact", "title_folded", "topics", "subjects", "grades", "audiences")


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    # The operator class is named with the extension's schema, as in 0004.
    schema = op.get_bind().scalar(sa.text(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"))
    for name in COLUMNS:
        op.execute(f"CREATE INDEX ix_lessons_{name}_trgm ON lessons USING gin ({name} {schema}.gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_lessons_{name}_trgm")

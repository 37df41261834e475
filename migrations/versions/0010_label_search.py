"""label search: trigram indexes on the packed label columns of lessons (PostgreSQL only)

Revision ID: 0010_label_search
Revises: 0009_kept_figures
Create Date: 2026-12-01 15:10:00.000000

A search that names a topic, subject, grade or audience (schoolhub.lessons.labels) also finds the
lessons filed under it: `topics LIKE '%,cds,%'` beside the trigram conditions on the folded text, in
one OR. PostgreSQL answers an OR from indexes only when every arm has one (a BitmapOr); without these
it reads every lesson of the province. The same indexes serve the list's topic, subject and grade
filters. SQLite has none: at a commune's size the scan of these short columns is cheap.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_label_search'
down_revision = '0009_kept_figures'
branch_labels = None
depends_on = None

COLUMNS = ("topics", "subjects", "grades", "audiences")


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

"""core_readers: how many core lessons each user confirmed reading, kept on write; lz4 for the search text

Revision ID: 0009_kept_figures
Revises: 0008_core_scope_index
Create Date: 2026-12-01 12:30:00.000000

The figures are counted once here from the rows; from then on schoolhub.lessons.counts keeps them in
the same transaction as every change. The officer's and admin's "teachers informed" figures read
them instead of joining every confirmation of the province with the lessons.

PostgreSQL only: lessons.search_folded and search_exact (about 3 KB each, stored compressed in the
row) are compressed with lz4 instead of pglz. A search for common words tests them on thousands of
rows, each test decompressing the text, and lz4 decompresses about twice as fast (measured at the
province preset: LIKE on every lesson's folded text, 500 → 270 ms). The values are rewritten once
so the existing rows change too; a server built without lz4 keeps pglz.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_kept_figures'
down_revision = '0008_core_scope_index'
branch_labels = None
depends_on = None

COUNT_CORE_READERS = """
INSERT INTO core_readers (user_id, confirmed)
SELECT r.user_id, COUNT(*) FROM lesson_reads r JOIN lessons l ON l.id = r.lesson_id
WHERE l.is_core = :yes AND r.confirmed_at IS NOT NULL
GROUP BY r.user_id
"""


def upgrade() -> None:
    op.create_table(
        'core_readers',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('confirmed', sa.Integer(), nullable=False),
        sa.CheckConstraint('confirmed >= 0', name=op.f('ck_core_readers_not_negative')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_core_readers_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_core_readers')),
    )
    op.get_bind().execute(sa.text(COUNT_CORE_READERS).bindparams(yes=True))
    if op.get_bind().dialect.name == 'postgresql':
        _compress_search_text('lz4')


def _compress_search_text(method: str) -> None:
    conn = op.get_bind()
    try:
        with conn.begin_nested():
            conn.execute(sa.text(f"ALTER TABLE lessons ALTER COLUMN search_folded SET COMPRESSION {method}, "
                                 f"ALTER COLUMN search_exact SET COMPRESSION {method}"))
    except sa.exc.DBAPIError:  # this server was built without lz4: pglz stays
        return
    # A new value is compressed with the column's method: rewrite the derived text once.
    conn.execute(sa.text("UPDATE lessons SET search_folded = search_folded || '', search_exact = search_exact || ''"))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _compress_search_text('pglz')
    op.drop_table('core_readers')

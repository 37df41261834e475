"""the word joins' arrays hold the lesson's label keys too, so a filtered phrase is found in one index (PostgreSQL)

Revision ID: 0017_lessons_label_keys
Revises: 0016_lessons_search_joins
Create Date: 2026-12-06 20:40:00.000000

A phrase's exact, title and phrase tiers are found through the word joins' GIN indexes (migration 0016).
With a filter (topic, subject, grade) the index found every lesson holding the phrase, and each was read
from the table to test its labels there: at the province preset a teacher's search for "tri tue nhan
tao" in topic "ai" read 1,849 lessons holding the phrase in their title (1,681 table pages, 3.7 ms) to
keep the 118 of the topic the teacher may read.

search_joins and title_joins now end with the lesson's label keys, "#t:" before each topic, "#s:" before
each subject, "#g:" before each grade ("#t:ai", "#g:5"). A key holds no space and every join holds one,
so neither is ever taken for the other. A filtered phrase asks its joins and the filter's keys of the
same index, and GIN answers "holds all of them" exactly: only the lessons of the filter are read. They
are generated columns, computed from the labels on every write.

The table is rewritten once (both columns dropped and added in one statement; their indexes with
them): about two minutes at the province preset. SQLite has none of it.
"""
from alembic import op

revision = '0017_lessons_label_keys'
down_revision = '0016_lessons_search_joins'
branch_labels = None
depends_on = None

# LABEL_MARKS in schoolhub.lessons.search, which asks what this keeps; the columns are packed ",a,b,"
# (lessons.vocab.pack).
LABEL_KEYS = """
CREATE FUNCTION schoolhub_label_keys(topics text, subjects text, grades text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(mark || k), '{}') FROM (
    SELECT '#t:' AS mark, unnest(string_to_array(topics, ',')) AS k
    UNION ALL SELECT '#s:', unnest(string_to_array(subjects, ','))
    UNION ALL SELECT '#g:', unnest(string_to_array(grades, ','))) AS keys
  WHERE k <> ''
$$
"""

SEARCH = "schoolhub_word_joins(search_folded, '') || schoolhub_word_joins(search_exact, '=')"
TITLE = "schoolhub_word_joins(title_folded, '')"
KEYS = "schoolhub_label_keys(topics, subjects, grades)"


def _columns(search: str, title: str) -> None:
    # One statement, so the table is rewritten once; dropping a column drops its index.
    op.execute("ALTER TABLE lessons DROP COLUMN search_joins, DROP COLUMN title_joins, "
               f"ADD COLUMN search_joins text[] GENERATED ALWAYS AS ({search}) STORED, "
               f"ADD COLUMN title_joins text[] GENERATED ALWAYS AS ({title}) STORED")
    op.execute("CREATE INDEX ix_lessons_search_joins ON lessons USING gin (search_joins)")
    op.execute("CREATE INDEX ix_lessons_title_joins ON lessons USING gin (title_joins)")


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(LABEL_KEYS)
    _columns(f"{SEARCH} || {KEYS}", f"{TITLE} || {KEYS}")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    _columns(SEARCH, TITLE)
    op.execute("DROP FUNCTION IF EXISTS schoolhub_label_keys(text, text, text)")

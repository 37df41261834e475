"""the word joins of each lesson's search texts and title, and GIN indexes on them (PostgreSQL)

Revision ID: 0016_lessons_search_joins
Revises: 0015_lessons_walk_covering
Create Date: 2026-12-06 18:50:00.000000

The ranked search (schoolhub.lessons.queries.search_page) puts first the lessons holding the query
exactly as typed, then those holding its words as a phrase. pg_trgm's trigrams stop at spaces, so its
indexes find the lessons holding each word, not the phrase: for a phrase of common words the tiers then
read the text of every lesson holding the words and find it in none. With 300 phrases of two to four
words cut from the lessons themselves (province preset, a teacher), a search cost 83 ms on average, up
to 0.45 s ("hang phut": 29,449 lessons read twice, the exact text and the folded one).

search_joins holds, at each space of the folded text, the last three characters of the word before it
with the first two of the word after, and the last two with the first three ("ang ph" and "ng phu" for
"hang phut"), and the same of the exact text marked "=": about 1,000 a lesson. title_joins holds the
folded title's (a few dozen, kept in the row), for the tier of the phrase in the title. Every lesson holding a
phrase holds its joins (lessons.search.word_joins), and the GIN index answers "holds every join" exactly.
Two joins of five letters rather than one of six, so a phrase that starts or ends with a word of two
letters ("dung cu", "an toan") has one. It is a generated column: PostgreSQL computes it from the texts
on every write, so it cannot fall behind them.

The table is rewritten: about two minutes at the province preset (30,000 lessons), the index 60 MB. SQLite
has none of it: its FTS5 trigram table reads the phrase's trigrams across the spaces already.
"""
from alembic import op

revision = '0016_lessons_search_joins'
down_revision = '0015_lessons_walk_covering'
branch_labels = None
depends_on = None

# JOIN_SIDES and EXACT_MARK in schoolhub.lessons.search, which asks what this keeps.
WORD_JOINS = """
CREATE FUNCTION schoolhub_word_joins(words text, mark text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT joined), '{}') FROM (
    SELECT w, lead(w) OVER (ORDER BY n) AS after
    FROM unnest(string_to_array(words, ' ')) WITH ORDINALITY AS u(w, n)) AS pairs,
    LATERAL (VALUES (mark || right(w, 3) || ' ' || left(after, 2)),
                    (mark || right(w, 2) || ' ' || left(after, 3))) AS j(joined)
  WHERE after IS NOT NULL
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(WORD_JOINS)
    # One statement, so the table is rewritten once.
    op.execute("ALTER TABLE lessons "
               "ADD COLUMN search_joins text[] GENERATED ALWAYS AS "
               "(schoolhub_word_joins(search_folded, '') || schoolhub_word_joins(search_exact, '=')) STORED, "
               "ADD COLUMN title_joins text[] GENERATED ALWAYS AS (schoolhub_word_joins(title_folded, '')) STORED")
    op.execute("CREATE INDEX ix_lessons_search_joins ON lessons USING gin (search_joins)")
    op.execute("CREATE INDEX ix_lessons_title_joins ON lessons USING gin (title_joins)")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP INDEX IF EXISTS ix_lessons_title_joins")
    op.execute("ALTER TABLE lessons DROP COLUMN IF EXISTS title_joins")
    op.execute("DROP INDEX IF EXISTS ix_lessons_search_joins")
    op.execute("ALTER TABLE lessons DROP COLUMN IF EXISTS search_joins")
    op.execute("DROP FUNCTION IF EXISTS schoolhub_word_joins(text, text)")

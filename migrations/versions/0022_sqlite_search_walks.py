"""the exact text's and the folded trigrams' FTS5 tables and a covering list-order index of the lessons (SQLite)

Revision ID: 0022_sqlite_search_walks
Revises: 0021_lessons_reach_walk
Create Date: 2026-12-07 15:10:00.000000

On SQLite a ranked search sorted every match by its tier, and each tier was a LIKE read in each match's
text: at the commune preset "chuyen doi so" matched 806 readable lessons, and the statement spent 3 ms
reading their exact texts (about 3 KB each) to find the query as typed in none of them.

lessons_exact_fts is the exact text's FTS5 trigram table, kept by triggers as lessons_fts is (0004): the
first tier is found from its trigrams (0.03 ms for the same phrase). lessons_trigrams holds the folded
text's trigrams without their positions (a tenth of lessons_fts's size): the phrase tier's lessons are
found among those holding every third trigram of the phrase, read there without the positions a phrase
query of lessons_fts reads (1.4 against 5.1 million instructions for "tri tue nhan tao").

ix_lessons_list_walk holds the lessons in list order (core material first, then the newest) with their
status and every column the reader's scope, the title tier and the label filters test, so a search's
tiers are walked in list order from the index alone, each stopping at the lessons the page needs
(lessons.queries._walks_statement): the lessons' rows, whose visibility lies past their long texts, are
read only for the few a page shows.

PostgreSQL has its trigram GIN indexes and its reach walk index (0021) and gets neither.
"""
from alembic import op

from schoolhub.lessons import search_index

revision = '0022_sqlite_search_walks'
down_revision = '0021_lessons_reach_walk'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    search_index.create_table(op.execute, "lessons_exact_fts")
    search_index.create_table(op.execute, "lessons_trigrams")
    # In list order first, every status: walks name it (INDEXED BY) and test the status on its entries. With
    # the status first, SQLite's planner took its statistics for the status's and the core flag's and turned
    # the badge's count of core lessons (lessons.policy.lessons_to_confirm) away from its scope index.
    op.execute("CREATE INDEX ix_lessons_list_walk ON lessons (is_core, published_at, id, status, visibility, "
               "school_id, title_folded, topics, subjects, grades, audiences)")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute("DROP INDEX IF EXISTS ix_lessons_list_walk")
    search_index.drop_table(op.execute, "lessons_trigrams")
    search_index.drop_table(op.execute, "lessons_exact_fts")

"""units' ids and names beside their path: a covering index for the readers' reach (PostgreSQL only)

Revision ID: 0019_org_units_path_cover
Revises: 0018_lesson_shelf_token
Create Date: 2026-12-07 06:00:00.000000

Who may read a commune's or a school's lessons is asked by the units lying under a path: "the schools
of my commune" is every unit whose path lies in the commune's range (schoolhub.lessons.policy). The
lesson list, every search and the to-do badge ask it, a search in each of its statements. Planned
generically, PostgreSQL read a commune's range from the table, all 326 units of the province preset
(0.09 ms each time: the lesson list once, a filtered search three times), the path index costing more
in its estimate than a scan of so small a table. With the id and the name in the index (INCLUDE: in its
leaf entries, not in its order) the range is an index-only scan of the dozen entries (0.01 ms), and the
lesson shelf reads the names of its schools there too. SQLite reads a unit by its rowid from the path
index already.
"""
from alembic import op

revision = '0019_org_units_path_cover'
down_revision = '0018_lesson_shelf_token'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("CREATE INDEX ix_org_units_path_cover ON org_units (path) INCLUDE (id, name)")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP INDEX IF EXISTS ix_org_units_path_cover")

"""memberships carry their user's list order (user_inactive, user_sort), with the roster index

Revision ID: 0014_memberships_roster
Revises: 0013_users_sort_keys
Create Date: 2026-12-06 07:10:00.000000

A school's student list orders its 400 students by (active first, name) and shows 25. With the sort
keys in users, the database looked up every student's user to sort them (0.46 ms at the province
preset, even index-only). Beside the membership, in an index of (unit, role, inactive, name, user) over
the current memberships, the page is the index's next 25 entries (0.03 ms). They are copied here from
users; from then on schoolhub.accounts.sortkeys keeps them in the same flush as the user's change.
"""
import sqlalchemy as sa
from alembic import op

from schoolhub.textfold import NAME_SORT_LENGTH

revision = '0014_memberships_roster'
down_revision = '0013_users_sort_keys'
branch_labels = None
depends_on = None

KEY_TYPE = sa.String(NAME_SORT_LENGTH).with_variant(sa.String(NAME_SORT_LENGTH, collation='C'), 'postgresql')
COPY = """
UPDATE memberships SET
    user_inactive = (SELECT NOT users.is_active FROM users WHERE users.id = memberships.user_id),
    user_sort = (SELECT users.name_sort FROM users WHERE users.id = memberships.user_id)
"""


def upgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_inactive', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('user_sort', KEY_TYPE, server_default='', nullable=False))
    op.execute(COPY)
    op.create_index('ix_memberships_roster', 'memberships', ['unit_id', 'role', 'user_inactive', 'user_sort', 'user_id'],
                    unique=False, sqlite_where=sa.text('ended_on IS NULL'), postgresql_where=sa.text('ended_on IS NULL'))


def downgrade():
    op.drop_index('ix_memberships_roster', table_name='memberships',
                  sqlite_where=sa.text('ended_on IS NULL'), postgresql_where=sa.text('ended_on IS NULL'))
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('user_sort')
        batch_op.drop_column('user_inactive')

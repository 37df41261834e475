"""name order: users.name_sort, the key people lists sort by (given, middle, family; Vietnamese alphabet)

Revision ID: 0007_name_order
Revises: 0006_core_scope
Create Date: 2026-12-01 12:20:00

The key is computed in Python (schoolhub.textfold.name_sort_key) for the accounts already there; from
then on the User model sets it with every full_name. Bytewise collation on PostgreSQL ("C"), as SQLite's.
"""
import sqlalchemy as sa
from alembic import op

from schoolhub.textfold import NAME_SORT_LENGTH, name_sort_key

revision = '0007_name_order'
down_revision = '0006_core_scope'
branch_labels = None
depends_on = None

KEY_TYPE = sa.String(NAME_SORT_LENGTH).with_variant(sa.String(NAME_SORT_LENGTH, collation='C'), 'postgresql')
BATCH = 5000


def upgrade():
    op.add_column('users', sa.Column('name_sort', KEY_TYPE, server_default='', nullable=False))
    bind = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('full_name', sa.String),
                     sa.column('name_sort', sa.String))
    last = 0
    while True:
        rows = bind.execute(sa.select(users.c.id, users.c.full_name).where(users.c.id > last)
                            .order_by(users.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(users.update().where(users.c.id == sa.bindparam('uid'))
                     .values(name_sort=sa.bindparam('key')),
                     [{'uid': r.id, 'key': name_sort_key(r.full_name)} for r in rows])
        last = rows[-1].id
    op.create_index(op.f('ix_users_name_sort'), 'users', ['name_sort'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_users_name_sort'), table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('name_sort')

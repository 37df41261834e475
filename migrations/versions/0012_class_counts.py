"""class_counts: each class's size (current memberships of active accounts), kept on write

Revision ID: 0012_class_counts
Revises: 0011_school_lessons
Create Date: 2026-12-02 01:30:00.000000

The sizes are counted once here from the rows; from then on schoolhub.accounts.counts keeps them in the
same transaction as every change of a membership, an account's active flag or a class. The teacher's
and admin's home pages list their school's classes with these sizes: counting them on every view read
every student of the school with their account (1 ms of the database for a school of 400 students at
the province preset).
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_class_counts'
down_revision = '0011_school_lessons'
branch_labels = None
depends_on = None

COUNT_CLASS_SIZES = """
INSERT INTO class_counts (class_id, students)
SELECT c.id, COALESCE(s.students, 0)
FROM school_classes c LEFT JOIN (
    SELECT m.class_id, COUNT(*) AS students FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.class_id IS NOT NULL AND m.ended_on IS NULL AND u.is_active = :yes
    GROUP BY m.class_id
) s ON s.class_id = c.id
"""


def upgrade() -> None:
    op.create_table(
        'class_counts',
        sa.Column('class_id', sa.Integer(), nullable=False),
        sa.Column('students', sa.Integer(), nullable=False),
        sa.CheckConstraint('students >= 0', name=op.f('ck_class_counts_not_negative')),
        sa.ForeignKeyConstraint(['class_id'], ['school_classes.id'], name=op.f('fk_class_counts_class_id_school_classes'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('class_id', name=op.f('pk_class_counts')),
    )
    op.get_bind().execute(sa.text(COUNT_CLASS_SIZES).bindparams(yes=True))


def downgrade() -> None:
    op.drop_table('class_counts')

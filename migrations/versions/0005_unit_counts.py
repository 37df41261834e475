"""unit_counts: each school's active teachers, students, admins and open classes, kept on write

Revision ID: 0005_unit_counts
Revises: 0004_search_index
Create Date: 2026-12-01 10:30:00.000000

The figures are counted once here from the rows; from then on schoolhub.accounts.counts keeps them in
the same transaction as every change.
"""
import sqlalchemy as sa
from alembic import op

revision = '0005_unit_counts'
down_revision = '0004_search_index'
branch_labels = None
depends_on = None

COUNT = """
INSERT INTO unit_counts (unit_id, teachers, students, admins, classes)
SELECT u.id,
       COALESCE(p.teachers, 0), COALESCE(p.students, 0), COALESCE(p.admins, 0), COALESCE(c.classes, 0)
FROM org_units u
LEFT JOIN (
    SELECT m.unit_id,
           SUM(CASE WHEN m.role = 'teacher' THEN 1 ELSE 0 END) AS teachers,
           SUM(CASE WHEN m.role = 'student' THEN 1 ELSE 0 END) AS students,
           SUM(CASE WHEN m.role = 'school_admin' THEN 1 ELSE 0 END) AS admins
    FROM memberships m JOIN users us ON us.id = m.user_id
    WHERE m.ended_on IS NULL AND us.is_active = :yes
    GROUP BY m.unit_id
) p ON p.unit_id = u.id
LEFT JOIN (
    SELECT school_id, COUNT(*) AS classes FROM school_classes WHERE is_active = :yes GROUP BY school_id
) c ON c.school_id = u.id
"""


def upgrade() -> None:
    op.create_table(
        'unit_counts',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('teachers', sa.Integer(), nullable=False),
        sa.Column('students', sa.Integer(), nullable=False),
        sa.Column('admins', sa.Integer(), nullable=False),
        sa.Column('classes', sa.Integer(), nullable=False),
        sa.CheckConstraint('teachers >= 0 AND students >= 0 AND admins >= 0 AND classes >= 0',
                           name=op.f('ck_unit_counts_not_negative')),
        sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_unit_counts_unit_id_org_units'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_unit_counts')),
    )
    op.get_bind().execute(sa.text(COUNT).bindparams(yes=True))


def downgrade() -> None:
    op.drop_table('unit_counts')

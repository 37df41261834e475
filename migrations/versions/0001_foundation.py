"""foundation: organisation tree, classes, users, memberships, audit log

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 05:10:31.779852
"""
from alembic import op
import sqlalchemy as sa
import schoolhub.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('org_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('province', 'commune', 'school', name='unitkind', native_enum=False, length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_folded', sa.String(length=200), nullable=False),
    sa.Column('level', sa.Enum('mam_non', 'tieu_hoc', 'thcs', 'thpt', name='schoollevel', native_enum=False, length=20), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', schoolhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'school') = (level IS NOT NULL)", name=op.f('ck_org_units_school_has_level')),
    sa.CheckConstraint('length(code) BETWEEN 2 AND 20', name=op.f('ck_org_units_code_length')),
    sa.ForeignKeyConstraint(['parent_id'], ['org_units.id'], name=op.f('fk_org_units_parent_id_org_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_units')),
    sa.UniqueConstraint('code', name=op.f('uq_org_units_code'))
    )
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_units_name_folded'), ['name_folded'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_units_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_units_path'), ['path'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('name_folded', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('preferred_language', sa.String(length=5), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('gender', sa.String(length=10), nullable=True),
    sa.Column('student_code', sa.String(length=30), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('position', sa.String(length=80), nullable=True),
    sa.Column('session_token', sa.String(length=32), nullable=False),
    sa.Column('last_login_at', schoolhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', schoolhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_name_folded'), ['name_folded'], unique=False)

    op.create_table('audit_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.Column('created_at', schoolhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_logs_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_audit_logs_unit_id_org_units'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_logs'))
    )
    with op.batch_alter_table('audit_logs', schema=None) as batch_op:
        batch_op.create_index('ix_audit_logs_unit_created', ['unit_id', 'created_at'], unique=False)

    op.create_table('school_classes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('school_year', sa.String(length=9), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', schoolhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('grade BETWEEN 0 AND 12', name=op.f('ck_school_classes_grade_range')),
    sa.ForeignKeyConstraint(['school_id'], ['org_units.id'], name=op.f('fk_school_classes_school_id_org_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_classes')),
    sa.UniqueConstraint('school_id', 'school_year', 'name', name='uq_school_classes_school_year_name')
    )
    with op.batch_alter_table('school_classes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_classes_school_id'), ['school_id'], unique=False)

    op.create_table('memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('officer', 'school_admin', 'teacher', 'student', name='role', native_enum=False, length=20), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=True),
    sa.Column('created_at', schoolhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role = 'student' OR class_id IS NULL", name=op.f('ck_memberships_class_only_for_students')),
    sa.ForeignKeyConstraint(['class_id'], ['school_classes.id'], name=op.f('fk_memberships_class_id_school_classes')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_memberships_unit_id_org_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
    sa.UniqueConstraint('user_id', 'unit_id', 'role', name='uq_memberships_user_unit_role')
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_class_id'), ['class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_memberships_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_memberships_user_id'), ['user_id'], unique=False)




def downgrade():

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_user_id'))
        batch_op.drop_index(batch_op.f('ix_memberships_unit_id'))
        batch_op.drop_index(batch_op.f('ix_memberships_class_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('school_classes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_classes_school_id'))

    op.drop_table('school_classes')
    with op.batch_alter_table('audit_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_logs_unit_created')

    op.drop_table('audit_logs')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_name_folded'))

    op.drop_table('users')
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_units_path'))
        batch_op.drop_index(batch_op.f('ix_org_units_parent_id'))
        batch_op.drop_index(batch_op.f('ix_org_units_name_folded'))

    op.drop_table('org_units')


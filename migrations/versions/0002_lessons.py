"""lessons: lesson material, revisions, attachments, reads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 06:04:56.689363
"""
from alembic import op
import sqlalchemy as sa
import schoolhub.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lessons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('topics', sa.String(length=200), nullable=False),
    sa.Column('subjects', sa.String(length=200), nullable=False),
    sa.Column('grades', sa.String(length=60), nullable=False),
    sa.Column('audiences', sa.String(length=60), nullable=False),
    sa.Column('tags', sa.String(length=300), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('video_url', sa.String(length=300), nullable=False),
    sa.Column('is_core', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'archived', name='lessonstatus', native_enum=False, length=20), nullable=False),
    sa.Column('visibility', sa.Enum('school', 'commune', 'public', name='visibility', native_enum=False, length=20), nullable=False),
    sa.Column('source_lesson_id', sa.Integer(), nullable=True),
    sa.Column('source_credit', sa.String(length=400), nullable=False),
    sa.Column('title_folded', sa.String(length=200), nullable=False),
    sa.Column('search_folded', sa.Text(), nullable=False),
    sa.Column('search_exact', sa.Text(), nullable=False),
    sa.Column('revision_count', sa.Integer(), nullable=False),
    sa.Column('created_at', schoolhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', schoolhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', schoolhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('duration_minutes IS NULL OR duration_minutes BETWEEN 1 AND 600', name=op.f('ck_lessons_duration_range')),
    sa.CheckConstraint('length(title) > 0', name=op.f('ck_lessons_title_not_empty')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_lessons_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['org_units.id'], name=op.f('fk_lessons_school_id_org_units')),
    sa.ForeignKeyConstraint(['source_lesson_id'], ['lessons.id'], name=op.f('fk_lessons_source_lesson_id_lessons'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lessons'))
    )
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lessons_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lessons_school_id'), ['school_id'], unique=False)
        batch_op.create_index('ix_lessons_status_visibility', ['status', 'visibility'], unique=False)
        batch_op.create_index(batch_op.f('ix_lessons_title_folded'), ['title_folded'], unique=False)

    op.create_table('lesson_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('mime', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=160), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', schoolhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_attachments_lesson_id_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_lesson_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_attachments')),
    sa.UniqueConstraint('token', name=op.f('uq_lesson_attachments_token'))
    )
    with op.batch_alter_table('lesson_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_attachments_lesson_id'), ['lesson_id'], unique=False)

    op.create_table('lesson_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('first_read_at', schoolhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', schoolhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_reads_lesson_id_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lesson_reads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_reads')),
    sa.UniqueConstraint('lesson_id', 'user_id', name='uq_lesson_reads_lesson_user')
    )
    with op.batch_alter_table('lesson_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_reads_lesson_id'), ['lesson_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lesson_reads_user_id'), ['user_id'], unique=False)

    op.create_table('lesson_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('tags', sa.String(length=300), nullable=False),
    sa.Column('topics', sa.String(length=200), nullable=False),
    sa.Column('subjects', sa.String(length=200), nullable=False),
    sa.Column('grades', sa.String(length=60), nullable=False),
    sa.Column('audiences', sa.String(length=60), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('video_url', sa.String(length=300), nullable=False),
    sa.Column('visibility', sa.Enum('school', 'commune', 'public', name='visibility', native_enum=False, length=20), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', schoolhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['users.id'], name=op.f('fk_lesson_revisions_editor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_revisions_lesson_id_lessons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_revisions')),
    sa.UniqueConstraint('lesson_id', 'number', name='uq_lesson_revisions_lesson_number')
    )
    with op.batch_alter_table('lesson_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_revisions_lesson_id'), ['lesson_id'], unique=False)



def downgrade():
    with op.batch_alter_table('lesson_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_revisions_lesson_id'))

    op.drop_table('lesson_revisions')
    with op.batch_alter_table('lesson_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_reads_user_id'))
        batch_op.drop_index(batch_op.f('ix_lesson_reads_lesson_id'))

    op.drop_table('lesson_reads')
    with op.batch_alter_table('lesson_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_attachments_lesson_id'))

    op.drop_table('lesson_attachments')
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lessons_title_folded'))
        batch_op.drop_index('ix_lessons_status_visibility')
        batch_op.drop_index(batch_op.f('ix_lessons_school_id'))
        batch_op.drop_index(batch_op.f('ix_lessons_author_id'))

    op.drop_table('lessons')

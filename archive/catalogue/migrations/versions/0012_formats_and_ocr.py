"""formats and OCR: PRONOM format name and version of components, the format policy

* ``components.format_name`` / ``format_version`` — beside ``format_id`` (the PUID), so every
  component says which PRONOM format it is;
* ``format_policies`` — the format policy as data, versioned (OCR, preservation copy, access copy
  per format).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 07:00:00
"""
import sqlalchemy as sa
from alembic import op

from archive.catalogue.models import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('components', schema=None) as batch_op:
        batch_op.add_column(sa.Column('format_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('format_version', sa.String(length=50), nullable=True))
    op.create_table(
        'format_policies',
        sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('content_sha256', sa.String(length=64), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('version', name=op.f('pk_format_policies')),
    )


def downgrade() -> None:
    op.drop_table('format_policies')
    with op.batch_alter_table('components', schema=None) as batch_op:
        batch_op.drop_column('format_version')
        batch_op.drop_column('format_name')

"""records: index for OAI-PMH harvesting

Adds ``ix_records_access_updated`` on (access_level, updated_at, id): an OAI-PMH page reads the
public records after a (datestamp, id) cursor in that order, which without it sorted every public
record for each page.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:30:00
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_records_access_updated', 'records', ['access_level', 'updated_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_records_access_updated', table_name='records')

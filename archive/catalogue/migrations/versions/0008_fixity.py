"""fixity: per-object fixity state with block digests, and fixity audit runs

Adds ``object_fixity`` (one row per stored object: the SHA-256 of each 1 MiB block recorded while
the store writes, when the bytes were last read and hashed, the outcome and any open failure) and
``fixity_runs`` (the fixity audits; a partial unique index lets one run at a time). Existing
objects get a row from their components, checked at their ingest time and without block digests:
the first full read (a fixity audit or a download) records them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 09:00:00
"""
from alembic import op
import sqlalchemy as sa

from archive.catalogue.models import UTCDateTime


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'object_fixity',
        sa.Column('storage_key', sa.String(length=200), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('block_size', sa.Integer(), nullable=True),
        sa.Column('block_digests', sa.LargeBinary(), nullable=True),
        sa.Column('checked_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('verified_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('failed_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('problem', sa.String(length=500), nullable=True),
        sa.Column('checks', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('storage_key', name=op.f('pk_object_fixity')),
    )
    op.create_index('ix_object_fixity_checked', 'object_fixity', ['checked_at', 'storage_key'], unique=False)
    op.create_table(
        'fixity_runs',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('owner', sa.String(length=200), nullable=False),
        sa.Column('started_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('finished_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('cutoff', UTCDateTime(timezone=True), nullable=False),
        sa.Column('resumed_from', sa.Integer(), nullable=True),
        sa.Column('objects', sa.Integer(), nullable=False),
        sa.Column('bytes', sa.BigInteger(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('budget_bytes_s', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fixity_runs')),
    )
    op.create_index('uq_fixity_runs_running', 'fixity_runs', ['state'], unique=True,
                    sqlite_where=sa.text("state = 'running'"), postgresql_where=sa.text("state = 'running'"))
    # data: every object referenced by a live component, checked when it was ingested
    op.execute("INSERT INTO object_fixity (storage_key, size, checked_at, outcome, checks) "
               "SELECT storage_key, MAX(size), MIN(created_at), 'ingest', 0 FROM components "
               "WHERE status <> 'destroyed' GROUP BY storage_key")


def downgrade() -> None:
    op.drop_index('uq_fixity_runs_running', table_name='fixity_runs', sqlite_where=sa.text("state = 'running'"),
                  postgresql_where=sa.text("state = 'running'"))
    op.drop_table('fixity_runs')
    op.drop_index('ix_object_fixity_checked', table_name='object_fixity')
    op.drop_table('object_fixity')

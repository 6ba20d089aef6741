"""records: metadata corrections with history; OAI-PMH announces records no longer public

* ``record_changes``: one row per corrected field (value before and after, who, when, why), rows of
  one correction sharing a ``change_id``; append-only (triggers refuse UPDATE and DELETE, and
  TRUNCATE on PostgreSQL), like the audit log.
* ``records.version``: the version of the descriptive metadata (the ``ETag`` a ``PATCH`` matches).
* ``records.was_public``: ever public without a state-secret mark, so harvesters may have it; set
  now for the records public today. OAI-PMH selects on it (index ``ix_records_harvest`` replaces
  ``ix_records_access_updated``) and announces the ones no longer public as deleted.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import archive.catalogue.models


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('records', sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.add_column('records', sa.Column('was_public', sa.Boolean(), server_default=sa.false(), nullable=False))
    records = sa.table('records', sa.column('access_level', sa.String), sa.column('security_level', sa.String),
                       sa.column('was_public', sa.Boolean))
    op.execute(records.update().where(records.c.access_level == 'public', records.c.security_level.is_(None))
               .values(was_public=True))
    op.drop_index('ix_records_access_updated', table_name='records')
    op.create_index('ix_records_harvest', 'records', ['was_public', 'updated_at', 'id'], unique=False)

    op.create_table('record_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('change_id', sa.String(length=36), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('old_value', sa.JSON(), nullable=True),
    sa.Column('new_value', sa.JSON(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('at', archive.catalogue.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_record_changes_record_id_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_changes'))
    )
    op.create_index('ix_record_changes_change_id', 'record_changes', ['change_id'], unique=False)
    op.create_index('ix_record_changes_record', 'record_changes', ['record_id', 'id'], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER record_changes_no_{verb.lower()} BEFORE {verb} ON record_changes "
                "BEGIN SELECT RAISE(ABORT, 'record_changes is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION record_changes_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'record_changes is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER record_changes_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON record_changes "
            "FOR EACH STATEMENT EXECUTE FUNCTION record_changes_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS record_changes_no_update")
        op.execute("DROP TRIGGER IF EXISTS record_changes_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS record_changes_append_only ON record_changes")
        op.execute("DROP FUNCTION IF EXISTS record_changes_append_only()")
    op.drop_index('ix_record_changes_record', table_name='record_changes')
    op.drop_index('ix_record_changes_change_id', table_name='record_changes')
    op.drop_table('record_changes')
    op.drop_index('ix_records_harvest', table_name='records')
    op.create_index('ix_records_access_updated', 'records', ['access_level', 'updated_at', 'id'], unique=False)
    op.drop_column('records', 'was_public')
    op.drop_column('records', 'version')

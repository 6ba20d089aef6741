"""audit_anchors: append-only, like the audit log

The anchors are what shows a rewritten audit log; triggers now refuse UPDATE and DELETE on them
(and TRUNCATE on PostgreSQL), as 0001 does for ``audit_log``. ``archive.audit.verify`` reports a
missing or disabled trigger on either table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 05:00:00
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_anchors_no_{verb.lower()} BEFORE {verb} ON audit_anchors "
                "BEGIN SELECT RAISE(ABORT, 'audit_anchors is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_anchors_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_anchors is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_anchors_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_anchors "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_anchors_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_anchors_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_anchors_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_anchors_append_only ON audit_anchors")
        op.execute("DROP FUNCTION IF EXISTS audit_anchors_append_only()")

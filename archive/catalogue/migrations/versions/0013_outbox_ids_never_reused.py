"""outbox: ids never handed out twice on SQLite (AUTOINCREMENT)

SQLite gives a new row the largest rowid plus one, so the id of an executed and deleted outbox
entry came back for the next one. Two passes executing the same entries at once (an upload's and
the periodic loop's on the embedded default) then lost work: the slower pass deleted the id it had
read, which by then named a newer entry (a webhook delivery's task, never sent). With
``AUTOINCREMENT`` SQLite never reuses an id; PostgreSQL's sequence never did. The table is rebuilt
with its rows.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 08:40:00
"""
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table('outbox', recreate='always',
                              table_kwargs={'sqlite_autoincrement': autoincrement}):
        pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)

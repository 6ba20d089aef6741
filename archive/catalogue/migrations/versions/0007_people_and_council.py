"""people and the council: titles, per-dossier votes, batch numbers, the archive's register

* ``users.title`` — chức vụ, printed with the name in the procedure's documents;
* ``disposal_votes.item_id`` — a council member votes per dossier of the list (NULL: the whole
  list, as before); unique per (batch, member, item);
* ``disposal_batches.year``/``seq`` — the batch number people use (``3/2026``), numbered per year;
  existing batches are numbered in the order they were proposed;
* ``registers`` — the archive's registers of the documents it issues (Biên bản hủy tài liệu…):
  the last number given, per register code and year.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 06:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=200), nullable=True))
    with op.batch_alter_table('disposal_votes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item_id', sa.String(length=36), nullable=True))
        batch_op.drop_constraint('batch_member', type_='unique')
        batch_op.create_unique_constraint('batch_member_item', ['batch_id', 'member', 'item_id'])
        batch_op.create_foreign_key(batch_op.f('fk_disposal_votes_item_id_disposal_items'), 'disposal_items',
                                    ['item_id'], ['id'])
    with op.batch_alter_table('disposal_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint('batch_year_seq', ['year', 'seq'])
    batches = sa.table('disposal_batches', sa.column('id', sa.String), sa.column('proposed_at', sa.DateTime),
                       sa.column('year', sa.Integer), sa.column('seq', sa.Integer))
    conn = op.get_bind()
    counters: dict[int, int] = {}
    for bid, proposed in conn.execute(sa.select(batches.c.id, batches.c.proposed_at)
                                      .order_by(batches.c.proposed_at, batches.c.id)).all():
        year = proposed.year if proposed is not None else 1970
        counters[year] = counters.get(year, 0) + 1
        conn.execute(sa.update(batches).where(batches.c.id == bid).values(year=year, seq=counters[year]))
    op.create_table('registers',
                    sa.Column('code', sa.String(length=30), nullable=False),
                    sa.Column('year', sa.Integer(), nullable=False),
                    sa.Column('last_number', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('code', 'year', name=op.f('pk_registers')))


def downgrade() -> None:
    op.drop_table('registers')
    with op.batch_alter_table('disposal_batches', schema=None) as batch_op:
        batch_op.drop_constraint('batch_year_seq', type_='unique')
        batch_op.drop_column('seq')
        batch_op.drop_column('year')
    with op.batch_alter_table('disposal_votes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_disposal_votes_item_id_disposal_items'), type_='foreignkey')
        batch_op.drop_constraint('batch_member_item', type_='unique')
        batch_op.create_unique_constraint('batch_member', ['batch_id', 'member'])
        batch_op.drop_column('item_id')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('title')

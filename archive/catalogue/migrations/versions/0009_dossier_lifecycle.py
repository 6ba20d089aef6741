"""dossiers: declared dates, system totals, sheets, mục lục số, closing time

Adds to ``dossiers`` what the dossier lifecycle and Decree 30 Phụ lục VI mục III need
(``archive/dossiers.py``): ``declared_start_date``/``declared_end_date`` (the period the archivist
set; ``start_date``/``end_date`` stay the effective period, widened to the documents'),
``doc_total``/``page_total`` (DocTotal/PageTotal, filled by the system), ``sheet_total`` (số lượng
tờ), ``catalogue_number`` (mục lục số) and ``closed_at``.

Existing rows: the dates stored so far were set by whoever created the dossier, so they become the
declared ones; the totals are counted from the records. The effective dates are left as they are
(widening them here would move due dates without the retention engine):
``luutru dossiers refresh --all`` recomputes them with the due dates.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declared_start_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('declared_end_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('doc_total', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('page_total', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('sheet_total', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('catalogue_number', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE dossiers SET declared_start_date = start_date, declared_end_date = end_date")
    op.execute("UPDATE dossiers SET "
               "doc_total = (SELECT count(*) FROM records r WHERE r.dossier_id = dossiers.id), "
               "page_total = (SELECT coalesce(sum(r.page_amount), 0) FROM records r WHERE r.dossier_id = dossiers.id)")


def downgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        for name in ('closed_at', 'catalogue_number', 'sheet_total', 'page_total', 'doc_total',
                     'declared_end_date', 'declared_start_date'):
            batch_op.drop_column(name)

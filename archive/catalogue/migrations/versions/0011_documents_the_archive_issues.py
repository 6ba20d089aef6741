"""documents the archive issues: the fonds' place and superior agency, the minutes' number

* ``fonds.superior_name`` / ``fonds.place`` — the agency's tên cơ quan chủ quản and địa danh,
  printed in the documents issued in its name (the Biên bản hủy tài liệu, NĐ 30 Phụ lục I);
* ``disposal_batches.minutes_number`` / ``minutes_issued_at`` — the Biên bản hủy's số và ký hiệu
  from the archive's register (``registers``, 0007) and the moment it was taken, kept on the batch so
  a completion resumed after a crash issues the same document, never a second number.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 06:00:00
"""
import sqlalchemy as sa
from alembic import op

from archive.catalogue.models import UTCDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fonds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('superior_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('place', sa.String(length=100), nullable=True))
    with op.batch_alter_table('disposal_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minutes_number', sa.String(length=42), nullable=True))
        batch_op.add_column(sa.Column('minutes_issued_at', UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('disposal_batches', schema=None) as batch_op:
        batch_op.drop_column('minutes_issued_at')
        batch_op.drop_column('minutes_number')
    with op.batch_alter_table('fonds', schema=None) as batch_op:
        batch_op.drop_column('place')
        batch_op.drop_column('superior_name')

"""The archive's registers of the documents it issues (sổ đăng ký văn bản đi of the archive itself).

NĐ 30/2020 Điều 15.1: the *số* of a document is its running number in the calendar year, from 01 on
1 January, unique within the year; an advisory body or a register of its own may keep a separate
series (Phụ lục I II.3.a). ``take_number`` gives the next number of one register (``BB-HTL``: the
Biên bản hủy tài liệu) in one year, inside the caller's transaction:

* the register row is locked before it is read — ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite,
  which ignores ``FOR UPDATE`` and whose driver begins the transaction only at the first write, a
  no-op ``UPDATE`` first takes the database's write lock (as ``archive.audit.append`` does) — so two
  transactions never read the same last number;
* the row of a new year is created by an ``INSERT … ON CONFLICT DO NOTHING``: two first issuances of
  a year wait on the primary key instead of failing;
* the number is spent when the caller's transaction commits and never given again, even if the
  document is then not issued (a gap is visible; a reused number would be a second document with
  the same số).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive.catalogue.retention_tables import Register


def _insert(dialect: str) -> Any:  # postgresql's or sqlite's insert() (their on-conflict clauses differ)
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert
        return sqlite_insert
    return insert


def take_number(session: Session, code: str, year: int) -> int:
    """The next number of register ``code`` in ``year`` (1, 2, …), spent when ``session`` commits."""
    dialect = session.get_bind().dialect.name
    session.execute(_insert(dialect)(Register).values(code=code, year=year, last_number=0)
                    .on_conflict_do_nothing(index_elements=["code", "year"]))
    where = (Register.code == code, Register.year == year)
    if dialect != "postgresql":
        session.execute(sa.update(Register).where(*where).values(last_number=Register.last_number))
    last = session.execute(sa.select(Register.last_number).where(*where).with_for_update()).scalar_one()
    session.execute(sa.update(Register).where(*where).values(last_number=last + 1))
    return last + 1


def format_number(number: int, notation: str) -> str:
    """``Số`` as NĐ 30 prints it: Arabic digits, a leading 0 below 10, then ``/`` and the ký hiệu
    without spaces (Phụ lục I II.3.c): ``05/BB-HTL``, ``12/BB-HTL``, ``105/BB-HTL``."""
    return f"{number:02d}/{notation}"

"""Catalogue tables of fixity: what is known about each stored object's bytes, and the audits run.

* ``object_fixity``: one row per stored object (content key), shared by every component that
  references the same bytes. It keeps the SHA-256 of each block of the object, recorded by the
  store while it wrote the bytes (``StoredObject.block_digests``), so a download can be checked
  block by block before each block leaves, and when the bytes were last read and hashed, with what
  outcome. The ingest itself counts as the first check (the stream was hashed on its way in).
* ``fixity_runs``: the fixity audits (``luutru fixity run``, the periodic slices): one ``running``
  at a time (a partial unique index), a heartbeat so a crashed run is recognised, and its figures.
  An interrupted full run is resumed by the next one with the same cutoff.

``archive.fixity`` holds the logic.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.catalogue.models import Base, UTCDateTime, _now
from archive.objects.base import BLOCK_SIZE, StoredObject


class ObjectFixity(Base):
    """Fixity state of one stored object (content key)."""

    __tablename__ = "object_fixity"
    __table_args__ = (sa.Index("ix_object_fixity_checked", "checked_at", "storage_key"),)
    storage_key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    """Content key of the object (``sha256/ab/cd/<digest>``), as in ``components.storage_key``."""
    size: Mapped[int] = mapped_column(sa.BigInteger)
    """Size in bytes."""
    block_size: Mapped[int | None] = mapped_column(sa.Integer)
    """Size of the blocks of ``block_digests`` (the last block may be shorter); NULL without them."""
    block_digests: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    """SHA-256 of every block, 32 bytes each, in order; NULL for an object of one block (its
    SHA-256 is the block's) and for objects stored before fixity blocks existed, until a full read
    (fixity audit or download) records them."""
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    """Last time the bytes were read and hashed (the ingest counts): audits take the oldest first."""
    outcome: Mapped[str] = mapped_column(sa.String(20), default="ingest")
    """Result of that check: ``ingest`` (hashed on the way in, not re-read yet), ``success``,
    ``failure`` (the bytes differ from their SHA-256 or size) or ``missing`` (not in the store)."""
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Last time the bytes were read back from the store and found right (NULL: not yet)."""
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the open failure was first found; NULL when the bytes are right."""
    problem: Mapped[str | None] = mapped_column(sa.String(500))
    """What the open failure is (e.g. ``sha256 mismatch in block 3``); NULL when none."""
    checks: Mapped[int] = mapped_column(sa.Integer, default=0)
    """How many times the bytes were read back and hashed (ingest excluded)."""


class FixityRun(Base):
    """One fixity audit: a full pass (``luutru fixity run``) or a periodic slice of due objects."""

    __tablename__ = "fixity_runs"
    __table_args__ = (
        # One audit at a time, whatever runs it (CLI, embedded loop, Celery beat).
        sa.Index("uq_fixity_runs_running", "state", unique=True,
                 sqlite_where=sa.text("state = 'running'"), postgresql_where=sa.text("state = 'running'")),
    )
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    """``full`` (every object checked before ``cutoff``) or ``due`` (the objects due in the cycle)."""
    state: Mapped[str] = mapped_column(sa.String(20), default="running")
    """``running``, ``done`` or ``interrupted`` (stopped or crashed; a full run is resumed)."""
    owner: Mapped[str] = mapped_column(sa.String(200))
    """``host:pid`` of the process running it (a dead owner on this host is recognised at once)."""
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    """When this run (not the one it resumes) started."""
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    """Renewed while the run works; a running run without a heartbeat for minutes has crashed."""
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When it ended (done or interrupted); NULL while running."""
    cutoff: Mapped[datetime] = mapped_column(UTCDateTime)
    """Objects last checked before this time are this run's work."""
    resumed_from: Mapped[int | None] = mapped_column(sa.Integer)
    """The interrupted full run this one continues (same cutoff)."""
    objects: Mapped[int] = mapped_column(sa.Integer, default=0)
    """Objects checked."""
    bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    """Bytes read and hashed."""
    failures: Mapped[int] = mapped_column(sa.Integer, default=0)
    """Objects found altered or missing."""
    budget_bytes_s: Mapped[float | None] = mapped_column(sa.Float)
    """Read-rate budget of the run (bytes per second); NULL: unlimited."""


def record_stored(session: Session, objs: Sequence[StoredObject], now: datetime) -> None:
    """In the transaction that references ``objs`` (``StoredObject``): each one's fixity row, if it
    has none, with the block digests the store computed; they are added to an existing row without.

    One ``INSERT … ON CONFLICT DO NOTHING`` for them all (SQLite and PostgreSQL), so two ingests of
    the same bytes never fail on each other. An existing row keeps its outcome: a failure stays
    open until a check finds the bytes right again (and returns the records to active).
    """
    table = cast(sa.Table, ObjectFixity.__table__)
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    unique = list({obj.key: obj for obj in objs}.values())  # a record's components may share bytes
    if not unique:
        return
    session.execute(insert(table).values([
        {"storage_key": obj.key, "size": obj.size, "block_size": BLOCK_SIZE if obj.block_digests else None,
         "block_digests": obj.block_digests, "checked_at": now, "outcome": "ingest", "checks": 0}
        for obj in unique]).on_conflict_do_nothing(index_elements=["storage_key"]))
    for obj in unique:
        if obj.block_digests:
            session.execute(sa.update(table).where(table.c.storage_key == obj.key, table.c.block_digests.is_(None),
                                                   table.c.size == obj.size)
                            .values(block_size=BLOCK_SIZE, block_digests=obj.block_digests))

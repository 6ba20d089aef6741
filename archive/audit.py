"""The audit log: append-only and hash-chained.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical JSON, so
editing or deleting any entry breaks every hash after it. Appends lock the single ``audit_head``
row, so concurrent writers (several API or worker processes on PostgreSQL) never fork the chain.
The triggers created by the migration refuse UPDATE and DELETE on ``audit_log``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive.catalogue.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def entry_hash(prev_hash: str, *, id: int, occurred_at: datetime, actor: str, client: str | None,
               address: str | None, action: str, target_type: str | None, target_id: str | None,
               outcome: str, detail: Any) -> str:
    body = json.dumps(
        {"id": id, "occurred_at": occurred_at.isoformat(), "actor": actor, "client": client,
         "address": address, "action": action, "target_type": target_type, "target_id": target_id,
         "outcome": outcome, "detail": detail},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def append(session: Session, *, at: datetime, actor: str, action: str, outcome: str = "success",
           target_type: str | None = None, target_id: str | None = None, detail: Any = None,
           client: str | None = None, address: str | None = None) -> AuditEntry:
    """Append one entry inside the caller's transaction (it commits with the change it records)."""
    # Take the write lock on the head *before* reading it. SELECT … FOR UPDATE does that on
    # PostgreSQL, but SQLite ignores it and pysqlite begins its transaction only at the first write,
    # so two writers could read the same head and collide on the next id. A no-op UPDATE locks on
    # both engines.
    session.execute(sa.update(AuditHead).where(AuditHead.id == 1).values(last_id=AuditHead.last_id))
    head = session.execute(sa.select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    new_id = head.last_id + 1
    digest = entry_hash(head.last_hash, id=new_id, occurred_at=at, actor=actor, client=client,
                        address=address, action=action, target_type=target_type, target_id=target_id,
                        outcome=outcome, detail=detail)
    entry = AuditEntry(id=new_id, occurred_at=at, actor=actor, client=client, address=address,
                       action=action, target_type=target_type, target_id=target_id, outcome=outcome,
                       detail=detail, prev_hash=head.last_hash, entry_hash=digest)
    session.add(entry)
    head.last_id = new_id
    head.last_hash = digest
    session.flush()
    return entry


@dataclass
class ChainReport:
    entries: int
    ok: bool
    problems: list[str]


def verify(session: Session, batch: int = 5000) -> ChainReport:
    """Recompute the chain from the genesis hash and compare with the head."""
    problems: list[str] = []
    prev, expected_id, count = GENESIS, 1, 0
    rows = session.execute(sa.select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch))
    for entry in rows.scalars():
        count += 1
        if entry.id != expected_id:
            problems.append(f"entries {expected_id}–{entry.id - 1} are missing")
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.id}: previous hash does not match entry {entry.id - 1}")
        recomputed = entry_hash(entry.prev_hash, id=entry.id, occurred_at=entry.occurred_at,
                                actor=entry.actor, client=entry.client, address=entry.address,
                                action=entry.action, target_type=entry.target_type,
                                target_id=entry.target_id, outcome=entry.outcome, detail=entry.detail)
        if recomputed != entry.entry_hash:
            problems.append(f"entry {entry.id}: content was altered")
        prev, expected_id = entry.entry_hash, entry.id + 1
    head = session.get(AuditHead, 1)
    if head is None or head.last_hash != prev or head.last_id != expected_id - 1:
        problems.append("the audit head does not match the last entry (entries removed at the end)")
    return ChainReport(entries=count, ok=not problems, problems=problems)

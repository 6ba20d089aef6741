"""The audit log: append-only and hash-chained.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical JSON, so
editing or deleting any entry breaks every hash after it. Appends lock the single ``audit_head``
row, so concurrent writers (several API or worker processes on PostgreSQL) never fork the chain.
The triggers created by the migration refuse UPDATE and DELETE on ``audit_log``.

Anchors. Someone with raw database access can drop the triggers, edit or delete an entry and
recompute every hash after it: the chain alone then verifies again. ``anchor`` closes that gap: it
asks an RFC 3161 time-stamping authority for a token over ``SHA-256(last_hash)`` (the hex text of
the head's ``entry_hash``) and keeps it in ``audit_anchors``. A rewrite changes the hash of every
later entry, so the anchored entry no longer has the hash the TSA signed, and ``verify`` says so.
Entries written after the newest anchor are protected by the chain only, until the next anchor
(hourly by the Celery beat, and in every repair pass on the embedded default).

Outside the database. Whoever can rewrite the chain can also delete the anchors, or drop the
triggers. So:

* every anchor is also **published** in the object store as a named object
  (``audit/anchors/00000001.json``: the token and what it covers), written once and, on S3, under
  object lock until 2200 — the database alone can no longer rewrite history; ``verify`` with the
  store checks every published anchor against the database and against the chain, and the repair
  pass publishes any anchor whose publication failed;
* with each anchor, the **entries it covers** since the previous anchor are published beside it
  (``audit/entries/00000001.jsonl``, one entry a line, written once and locked like the anchor), so
  ``luutru rebuild --from-storage`` brings the log back up to the newest anchor (``restore``): each
  segment is checked against the two anchors around it (the chain from the previous anchor's hash
  to this anchor's), and the log continues from there — without them a rebuilt catalogue started a
  new chain whose first anchor could never be published (its number was taken) and looked like a
  rewrite to ``verify``;
* anchor ids must run from 1 without a gap (deleting the oldest, or every anchor, shows);
* the append-only triggers on ``audit_log`` and ``audit_anchors`` must be in place and enabled.

What remains: on the filesystem store an administrator of the machine can delete published files
(the filesystem cannot enforce retention against root); entries after the newest anchor rest on the
chain alone until the next anchor, and a catalogue lost without a backup loses them (a rebuild
brings back the log up to the newest published anchor).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive.catalogue.access_tables import AuditAnchor
from archive.catalogue.models import AuditEntry, AuditHead
from archive.errors import ArchiveError, ObjectExists

if TYPE_CHECKING:
    from archive.objects.base import ObjectStore
    from archive.timestamping import TimeStamper

GENESIS = "0" * 64
ANCHORS_PREFIX = "audit/anchors/"
ENTRIES_PREFIX = "audit/entries/"
"""The entries each anchor covers since the one before, published beside it (``segment_name``)."""
ANCHOR_RETAIN_UNTIL = datetime(2200, 1, 1, tzinfo=UTC)
"""Published anchors are kept as long as permanent records (object lock on S3)."""
TRIGGERS: dict[str, dict[str, tuple[str, ...]]] = {
    "sqlite": {"audit_log": ("audit_log_no_update", "audit_log_no_delete"),
               "audit_anchors": ("audit_anchors_no_update", "audit_anchors_no_delete")},
    "postgresql": {"audit_log": ("audit_log_append_only",), "audit_anchors": ("audit_anchors_append_only",)},
}
"""The append-only triggers the migrations create (0001 on the log, 0006 on the anchors)."""


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


def anchor_imprint(last_hash: str) -> bytes:
    """What an anchor's token covers: SHA-256 of the entry hash as ASCII hex text (so a receiver can
    recompute it with ``printf %s HASH | sha256sum``)."""
    return hashlib.sha256(last_hash.encode("ascii")).digest()


def anchor(session: Session, timestamper: TimeStamper, *, at: datetime) -> AuditAnchor | None:
    """Timestamp the log's head and keep the token; None when the head has not moved since the
    last anchor (or the log is empty).

    ``timestamper`` is an ``archive.timestamping.TimeStamper``. The head is read without taking its
    lock, so appends are never held up by a slow TSA; the token is then stored only if the entry it
    covers still has the hash (which it always has, unless the log was rewritten meanwhile).
    """
    head = session.execute(sa.select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)).one()
    if head.last_id == 0:
        return None
    last = session.execute(sa.select(AuditAnchor.last_id).order_by(AuditAnchor.id.desc()).limit(1)).scalar()
    if last is not None and last >= head.last_id:
        return None
    token = timestamper.timestamp(anchor_imprint(head.last_hash))
    if session.execute(sa.select(AuditEntry.entry_hash).where(AuditEntry.id == head.last_id)).scalar() != head.last_hash:
        raise RuntimeError(f"audit entry {head.last_id} does not have the head's hash: verify the log")
    row = AuditAnchor(last_id=head.last_id, last_hash=head.last_hash, token=token,
                      tsa=getattr(timestamper, "url", None) or getattr(timestamper, "name", "local"), anchored_at=at)
    session.add(row)
    session.flush()
    return row


# publishing anchors outside the database -------------------------------------------------------
def anchor_name(anchor_id: int) -> str:
    return f"{ANCHORS_PREFIX}{anchor_id:08d}.json"


def anchor_document(a: AuditAnchor) -> bytes:
    """The published copy of an anchor: everything needed to check it without the database."""
    return json.dumps({"id": a.id, "last_id": a.last_id, "last_hash": a.last_hash, "tsa": a.tsa,
                       "anchored_at": a.anchored_at.isoformat(), "token": base64.b64encode(a.token).decode(),
                       "imprint": "sha256(last_hash as ASCII hex)"}, sort_keys=True, indent=1).encode()


def publish(store: ObjectStore, a: AuditAnchor) -> bool:
    """Publish one anchor (write-once; locked on S3). False when an identical copy was already
    there; raises ``ValueError`` when a *different* copy is (the database's anchor was rewritten)."""
    doc = anchor_document(a)
    try:
        store.put_named(anchor_name(a.id), doc, retain_until=ANCHOR_RETAIN_UNTIL)
        return True
    except ObjectExists:
        if _published_fields(json.loads(store.get_named(anchor_name(a.id)))) != _published_fields(json.loads(doc)):
            raise ValueError(f"anchor {a.id} differs from its published copy") from None
        return False


def segment_name(anchor_id: int) -> str:
    return f"{ENTRIES_PREFIX}{anchor_id:08d}.jsonl"


_ENTRY_FIELDS = ("id", "occurred_at", "actor", "client", "address", "action", "target_type", "target_id",
                 "outcome", "detail", "prev_hash", "entry_hash")


def segment_document(session: Session, after_id: int, last_id: int) -> bytes | None:
    """The entries ``after_id`` + 1 … ``last_id`` as JSON lines (every field the hash covers, and the
    two hashes); None when the catalogue lacks some of them (a log rebuilt with a gap)."""
    lines = []
    rows = session.execute(sa.select(AuditEntry).where(AuditEntry.id > after_id, AuditEntry.id <= last_id)
                           .order_by(AuditEntry.id).execution_options(yield_per=5000))
    for e in rows.scalars():
        line = {f: getattr(e, f) for f in _ENTRY_FIELDS}
        line["occurred_at"] = e.occurred_at.isoformat()
        lines.append(json.dumps(line, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str))
    if len(lines) != last_id - after_id:
        return None
    return ("\n".join(lines) + "\n").encode("utf-8")


def publish_segment(store: ObjectStore, anchor_id: int, doc: bytes) -> bool:
    """Publish the entries anchor ``anchor_id`` covers (write-once; locked on S3); as ``publish``."""
    try:
        store.put_named(segment_name(anchor_id), doc, retain_until=ANCHOR_RETAIN_UNTIL)
        return True
    except ObjectExists:
        if store.get_named(segment_name(anchor_id)) != doc:
            raise ValueError(f"the entries of anchor {anchor_id} differ from their published copy") from None
        return False


def publish_missing(session: Session, store: ObjectStore) -> int:
    """Publish every anchor not yet in the store (a publication that failed, an older archive), each
    after the entries it covers; returns how many anchors were published."""
    published = set(store.list_named(ANCHORS_PREFIX))
    segments = set(store.list_named(ENTRIES_PREFIX))
    done = previous = 0
    for a in session.execute(sa.select(AuditAnchor).order_by(AuditAnchor.id)).scalars():
        if segment_name(a.id) not in segments:
            doc = segment_document(session, previous, a.last_id)
            if doc is not None:  # a rebuilt log lacking these entries: nothing true to publish
                publish_segment(store, a.id, doc)
        if anchor_name(a.id) not in published:
            done += publish(store, a)
        previous = a.last_id
    return done


@dataclass
class RestoreReport:
    entries: int = 0
    anchors: int = 0
    problems: list[str] = field(default_factory=list)


def restore(session: Session, store: ObjectStore, *, batch: int = 5000) -> RestoreReport:
    """Bring an empty log back from the store (``luutru rebuild --from-storage``): every published
    anchor, and the entries of each published segment that runs, hash by hash, from the previous
    anchor's hash to its own. The head is set to the newest anchor, so the log continues after it;
    what could not be restored (a segment missing or altered, entries after the newest anchor) is
    reported, and ``verify`` names those entries missing."""
    report = RestoreReport()
    head = session.get(AuditHead, 1)
    if head is None or head.last_id:
        report.problems.append("the catalogue's audit log is not empty: nothing restored")
        return report
    anchors = []
    for name in sorted(store.list_named(ANCHORS_PREFIX)):
        try:
            doc = json.loads(store.get_named(name))
            anchors.append(AuditAnchor(id=int(doc["id"]), last_id=int(doc["last_id"]), last_hash=str(doc["last_hash"]),
                                       token=base64.b64decode(doc["token"]), tsa=str(doc["tsa"]),
                                       anchored_at=datetime.fromisoformat(doc["anchored_at"])))
        except (ValueError, KeyError, TypeError) as exc:
            report.problems.append(f"published anchor {name} cannot be read ({exc})")
    anchors.sort(key=lambda a: a.id)  # restored as published: ``verify`` then judges their tokens
    previous_anchor, previous_id, previous_hash = 0, 0, GENESIS
    for a in anchors:
        if a.id != previous_anchor + 1:  # its segment cannot be checked from where it starts
            report.problems.append(f"entries {previous_id + 1}–{a.last_id} (anchor {a.id}): anchor "
                                   f"{previous_anchor + 1}{'' if a.id == previous_anchor + 2 else f'–{a.id - 1}'} "
                                   "before it is not published, not restored")
        else:
            rows = _segment_rows(store, a, previous_id, previous_hash, report.problems)
            for i in range(0, len(rows), batch):
                session.execute(sa.insert(AuditEntry), rows[i:i + batch])
            report.entries += len(rows)
        previous_anchor, previous_id, previous_hash = a.id, a.last_id, a.last_hash
    for a in anchors:
        session.add(a)
    report.anchors = len(anchors)
    if anchors:
        head.last_id, head.last_hash = anchors[-1].last_id, anchors[-1].last_hash
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT setval(pg_get_serial_sequence('audit_anchors', 'id'), "
                                "coalesce((SELECT max(id) FROM audit_anchors), 0) + 1, false)"))
    return report


def _segment_rows(store: ObjectStore, a: AuditAnchor, previous_id: int, previous_hash: str,
                  problems: list[str]) -> list[dict[str, Any]]:
    """The entries of anchor ``a``'s published segment, checked; [] (and a problem) when it is
    missing or does not run from ``previous_hash`` to the anchor's hash."""
    span = f"entries {previous_id + 1}–{a.last_id} (anchor {a.id})"
    try:
        raw = store.get_named(segment_name(a.id))
    except ArchiveError:
        problems.append(f"{span}: not published, not restored")
        return []
    rows, prev, expected = [], previous_hash, previous_id + 1
    try:
        for line in raw.decode("utf-8").splitlines():
            row = json.loads(line)
            row["occurred_at"] = datetime.fromisoformat(row["occurred_at"])
            digest = entry_hash(row["prev_hash"], **{f: row[f] for f in _ENTRY_FIELDS[:-2]})
            if row["id"] != expected or row["prev_hash"] != prev or digest != row["entry_hash"]:
                problems.append(f"{span}: the published copy is altered at entry {row['id']}, not restored")
                return []
            rows.append({f: row[f] for f in _ENTRY_FIELDS})
            prev, expected = row["entry_hash"], expected + 1
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(f"{span}: the published copy cannot be read ({exc}), not restored")
        return []
    if expected != a.last_id + 1 or prev != a.last_hash:
        problems.append(f"{span}: the published copy does not end at the anchored entry, not restored")
        return []
    return rows


def _published_fields(doc: dict[str, Any]) -> tuple[Any, ...]:
    return doc.get("id"), doc.get("last_id"), doc.get("last_hash"), doc.get("token")


def missing_triggers(session: Session) -> list[str]:
    """Append-only triggers that are absent or disabled."""
    dialect = session.get_bind().dialect.name
    expected = TRIGGERS.get(dialect, {})
    if dialect == "sqlite":
        found = {(table, name) for table, name in session.execute(sa.text(
            "select tbl_name, name from sqlite_master where type = 'trigger'"))}
    elif dialect == "postgresql":
        # the triggers of *these* tables (as the search path resolves them), not a trigger of the
        # same name on a table of another schema of the database
        found = {(table, name) for table, name in session.execute(sa.text(
            "select c.relname, t.tgname from pg_trigger t join pg_class c on c.oid = t.tgrelid "
            "where t.tgrelid in (to_regclass('audit_log'), to_regclass('audit_anchors')) "
            "and not t.tgisinternal and t.tgenabled <> 'D'"))}
    else:
        return []
    return [f"{table}.{name}" for table, names in expected.items() for name in names if (table, name) not in found]


@dataclass
class ChainReport:
    entries: int
    ok: bool
    problems: list[str]
    anchors: int = 0
    last_anchor: dict[str, Any] | None = None
    """The newest anchor: id, last_id, last_hash, TSA time and the token's SHA-256 (keep a copy)."""
    published: int | None = None
    """Anchors found published in the object store (None: the store was not checked)."""
    unpublished: list[int] = field(default_factory=list)
    """Anchors of the database not (yet) published: the next repair pass publishes them."""
    segments: int | None = None
    """Published segments of entries found in the object store (None: the store was not checked)."""
    unsegmented: list[int] = field(default_factory=list)
    """Anchors of the database whose entries are not (yet) published: the next pass publishes them."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def verify(session: Session, batch: int = 5000, *, anchors: bool = True,
           trust_roots: Sequence[Any] | None = None, store: ObjectStore | None = None) -> ChainReport:
    """Recompute the chain from the genesis hash and compare with the head; check that the
    append-only triggers are in place; then check every anchor: ids from 1 without a gap, its token
    is a valid RFC 3161 token over SHA-256(``last_hash``) (signature, imprint, and the TSA chain
    when ``trust_roots`` are given) and entry ``last_id`` still has ``last_hash``. With ``store``,
    the published anchors are checked the same way and against the database's.
    """
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
    for trigger in missing_triggers(session):
        problems.append(f"the append-only trigger {trigger} is missing or disabled (the log could be rewritten)")
    report = ChainReport(entries=count, ok=False, problems=problems)
    if anchors:
        _verify_anchors(session, report, trust_roots)
        if store is not None:
            _verify_published(session, report, trust_roots, store)
    report.ok = not problems
    return report


def _verify_anchors(session: Session, report: ChainReport, trust_roots: Sequence[Any] | None) -> None:
    from archive.timestamping import verify_token

    problems = report.problems
    previous_id = previous_last = None
    for a in session.execute(sa.select(AuditAnchor).order_by(AuditAnchor.id)).scalars():
        report.anchors += 1
        if previous_id is None and a.id != 1:
            problems.append(f"anchors 1–{a.id - 1} are missing (the oldest anchors were deleted)")
        if previous_id is not None and a.id != previous_id + 1:
            problems.append(f"anchors {previous_id + 1}–{a.id - 1} are missing (anchors were deleted)")
        if previous_last is not None and a.last_id < previous_last:
            problems.append(f"anchor {a.id}: covers entry {a.last_id}, before the previous anchor's {previous_last}")
        token = verify_token(a.token, anchor_imprint(a.last_hash), trust_roots=trust_roots)
        if not token.ok:
            problems.append(f"anchor {a.id}: the timestamp token is not valid ({token.problem})")
        current = session.execute(sa.select(AuditEntry.entry_hash).where(AuditEntry.id == a.last_id)).scalar()
        if current is None:
            problems.append(f"anchor {a.id}: entry {a.last_id} it covers is missing")
        elif current != a.last_hash:
            problems.append(f"anchor {a.id}: entry {a.last_id} no longer has the hash timestamped at "
                            f"{token.gen_time or a.anchored_at.isoformat()} (the log was rewritten)")
        report.last_anchor = {"id": a.id, "last_id": a.last_id, "last_hash": a.last_hash, "tsa": a.tsa,
                              "gen_time": token.gen_time, "token_sha256": hashlib.sha256(a.token).hexdigest()}
        previous_id, previous_last = a.id, a.last_id


def _verify_published(session: Session, report: ChainReport, trust_roots: Sequence[Any] | None,
                      store: ObjectStore) -> None:
    """Each published anchor: in the database unchanged, a valid token, and its entry still with the
    hash it covers — so deleting or rewriting the database's anchors, or rewriting the chain after
    deleting them, shows."""
    from archive.timestamping import verify_token

    problems = report.problems
    in_db = {a.id: a for a in session.execute(sa.select(AuditAnchor)).scalars()}
    names = list(store.list_named(ANCHORS_PREFIX))
    report.published = len(names)
    seen: set[int] = set()
    for name in names:
        try:
            doc = json.loads(store.get_named(name))
            anchor_id, last_id, last_hash = int(doc["id"]), int(doc["last_id"]), str(doc["last_hash"])
            token = base64.b64decode(doc["token"])
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"published anchor {name} cannot be read ({exc})")
            continue
        seen.add(anchor_id)
        row = in_db.get(anchor_id)
        if row is None:
            problems.append(f"anchor {anchor_id} (published) is missing from the database (anchors were deleted)")
        elif (row.last_id, row.last_hash, row.token) != (last_id, last_hash, token):
            problems.append(f"anchor {anchor_id} of the database differs from its published copy (anchors were "
                            "rewritten)")
        checked = verify_token(token, anchor_imprint(last_hash), trust_roots=trust_roots)
        if not checked.ok:
            problems.append(f"published anchor {anchor_id}: the timestamp token is not valid ({checked.problem})")
        current = session.execute(sa.select(AuditEntry.entry_hash).where(AuditEntry.id == last_id)).scalar()
        if current != last_hash:
            problems.append(f"published anchor {anchor_id}: entry {last_id} "
                            + ("is missing" if current is None else "no longer has the hash timestamped")
                            + " (the log was rewritten)")
    report.unpublished = sorted(set(in_db) - seen)
    _verify_segments(session, report, store)


def _verify_segments(session: Session, report: ChainReport, store: ObjectStore) -> None:
    """Each published segment of entries against the catalogue's entries, hash by hash: a rewrite
    of entries the anchors also lost (deleted) still shows."""
    names = set(store.list_named(ENTRIES_PREFIX))
    report.segments = len(names)
    for name in sorted(names):
        try:
            published = {int(row["id"]): str(row["entry_hash"])
                         for row in map(json.loads, store.get_named(name).decode("utf-8").splitlines())}
        except (ValueError, KeyError, TypeError) as exc:
            report.problems.append(f"published entries {name} cannot be read ({exc})")
            continue
        if not published:
            continue
        current = {i: h for i, h in session.execute(sa.select(AuditEntry.id, AuditEntry.entry_hash).where(
            AuditEntry.id >= min(published), AuditEntry.id <= max(published)))}
        changed = sorted(i for i, h in published.items() if current.get(i) != h)
        if changed:
            report.problems.append(f"published entries {name}: entry {changed[0]} "
                                   + ("is missing" if changed[0] not in current else "differs")
                                   + f" in the database ({len(changed)} in all; the log was rewritten or lost)")
    in_db = session.execute(sa.select(AuditAnchor.id).order_by(AuditAnchor.id)).scalars()
    report.unsegmented = [i for i in in_db if segment_name(i) not in names]


def entry_dict(e: AuditEntry) -> dict[str, Any]:
    return {"id": e.id, "occurred_at": e.occurred_at.isoformat(), "actor": e.actor, "client": e.client,
            "address": e.address, "action": e.action, "target_type": e.target_type, "target_id": e.target_id,
            "outcome": e.outcome, "detail": e.detail, "entry_hash": e.entry_hash}


def query(session: Session, *, actor: str | None = None, action: str | None = None,
          target_type: str | None = None, target_id: str | None = None, outcome: str | None = None,
          since: datetime | None = None, until: datetime | None = None, before: int | None = None,
          limit: int = 50) -> list[dict[str, Any]]:
    """Entries matching every given filter, newest first; ``before`` (an entry id) pages back.
    ``action`` ending in ``.`` or ``*`` matches a prefix (``record.`` for every record action)."""
    q = sa.select(AuditEntry)
    if actor:
        q = q.where(AuditEntry.actor == actor)
    if action:
        q = q.where(AuditEntry.action.startswith(action.rstrip("*"))) if action.endswith(("*", ".")) \
            else q.where(AuditEntry.action == action)
    for col, value in ((AuditEntry.target_type, target_type), (AuditEntry.target_id, target_id),
                       (AuditEntry.outcome, outcome)):
        if value:
            q = q.where(col == value)
    if since:
        q = q.where(AuditEntry.occurred_at >= since)
    if until:
        q = q.where(AuditEntry.occurred_at < until)
    if before:
        q = q.where(AuditEntry.id < before)
    return [entry_dict(e) for e in session.execute(q.order_by(AuditEntry.id.desc()).limit(limit)).scalars()]

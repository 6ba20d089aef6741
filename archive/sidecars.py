"""Self-describing storage: a versioned metadata sidecar beside each record's objects.

For every record the object store holds named objects ``records/<record id>/meta-<seq>.json``
(``seq`` zero-padded, 1, 2, …): the catalogue rows that describe the record — its fonds, dossier,
the record itself, its components, its PREMIS events, the retention decisions on it and on its
dossier (with the schedule and item they name), and once destroyed its tombstone (the
``destruction_log`` row and its disposal batch). Sidecars are written once and never changed
(object lock semantics): a change writes the next ``seq``, and the highest ``seq`` wins. The schema
is in ``docs/architecture.md`` ("Self-describing storage").

**When.** A session listener notes every record whose rows change in a transaction — records,
components, events, retention decisions, record corrections, destruction log entries, and the
records of a dossier that changes — and adds an outbox row ``sidecar`` to *that* transaction. After
the commit the row is executed (``Catalogue`` after-commit hooks, through
``ArchiveService.run_post_commit``); a crash in between leaves the row, which the repair pass
executes. A sidecar is always the record's state *as read at writing time*, read after the latest
sidecar and created as the next ``seq`` (never replacing one): a writer whose state went stale while
another wrote finds its ``seq`` taken and reads again, so the last sidecar is the latest state
(``SidecarWriter._write_versioned``).

**Legal holds** have sidecars of their own, ``retention/holds/<hold id>/meta-<seq>.json`` (the
``retention_holds`` row: authority, reason, scope, placed and released), written the same way when a
hold is placed or released: a catalogue rebuilt from storage must still refuse to destroy what a
hold protects.

``rebuild`` reads the latest sidecar of every record (and of every schedule and hold) and inserts
the rows into an empty catalogue (``luutru rebuild --from-storage``); ``backfill`` writes a first
sidecar for records (and holds) that have none (archives created before sidecars existed).
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import audit
from archive.catalogue.change_tables import RecordChange
from archive.catalogue.db import AFTER_COMMIT, Catalogue
from archive.catalogue.models import AuditEntry, Base, Component, Dossier, Event, OutboxEntry, Record
from archive.catalogue.retention_tables import (
    DestructionLogEntry,
    DisposalBatch,
    Register,
    RetentionAssignment,
    RetentionHold,
)
from archive.dossier_state import VN_TZ
from archive.errors import ArchiveError, ObjectExists, ObjectNotFound
from archive.objects.base import ObjectStore, grouped_sync
from archive.ports import Clock

log = logging.getLogger(__name__)

SCHEMA = "luutru/record-sidecar"
SCHEDULE_SCHEMA = "luutru/schedule-sidecar"
VERSION = 1
PREFIX = "records/"
_NAME = re.compile(r"^records/([0-9a-f-]{36})/meta-(\d{8})\.json$")
SCHEDULES = "retention/schedules/"
_SCHEDULE_NAME = re.compile(r"^retention/schedules/([0-9a-f-]{36})/meta-(\d{8})\.json$")
HOLD_SCHEMA = "luutru/hold-sidecar"
HOLDS = "retention/holds/"
_HOLD_NAME = re.compile(r"^retention/holds/([0-9a-f-]{36})/meta-(\d{8})\.json$")
_PATTERNS = {PREFIX: _NAME, SCHEDULES: _SCHEDULE_NAME, HOLDS: _HOLD_NAME}
_SCHEMAS = {PREFIX: SCHEMA, SCHEDULES: SCHEDULE_SCHEMA, HOLDS: HOLD_SCHEMA}
TABLES = ("fonds", "dossiers", "records", "components", "events", "retention_schedules",
          "retention_schedule_items", "retention_assignments", "disposal_batches", "destruction_log")
"""Insertion order (foreign keys first)."""
_PENDING = "luutru.sidecars.pending"
_PENDING_HOLDS = "luutru.sidecars.pending_holds"
_OFF = "luutru.sidecars.off"


def sidecar_name(record_id: str, seq: int) -> str:
    return f"{PREFIX}{record_id}/meta-{seq:08d}.json"


# rows as JSON ------------------------------------------------------------------------------------
def _kind(col: sa.Column[Any]) -> str:
    t = col.type
    t = getattr(t, "impl", t)
    if isinstance(t, sa.DateTime):
        return "datetime"
    if isinstance(t, sa.Date):
        return "date"
    if isinstance(t, sa.LargeBinary):
        return "bytes"
    return "plain"


def encode_row(table: sa.Table, row: Any) -> dict[str, Any]:
    out = {}
    for col in table.columns:
        value = row[col.name]
        if value is not None:
            kind = _kind(col)
            if kind in ("datetime", "date"):
                value = value.isoformat()
            elif kind == "bytes":
                value = base64.b64encode(value).decode()
        out[col.name] = value
    return out


def decode_row(table: sa.Table, doc: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for col in table.columns:
        value = doc.get(col.name)
        if value is not None:
            kind = _kind(col)
            if kind == "datetime":
                value = datetime.fromisoformat(value)
                value = value if value.tzinfo else value.replace(tzinfo=UTC)
            elif kind == "date":
                value = date.fromisoformat(value)
            elif kind == "bytes":
                value = base64.b64decode(value)
        out[col.name] = value
    return out


def _table(name: str) -> sa.Table:
    return Base.metadata.tables[name]


def record_rows(s: Session, record_id: str) -> dict[str, list[dict[str, Any]]] | None:
    """The rows describing a record, encoded (None when there is no such record)."""
    t = {name: _table(name) for name in TABLES}

    def rows(table: str, *where: Any, order: Any = None) -> list[dict[str, Any]]:
        q = sa.select(t[table]).where(*where)
        q = q.order_by(*(order if order is not None else t[table].primary_key.columns))
        return [encode_row(t[table], r) for r in s.execute(q).mappings()]

    records = rows("records", t["records"].c.id == record_id)
    if not records:
        return None
    rec = records[0]
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    out["records"] = records
    if rec["fonds_id"]:
        out["fonds"] = rows("fonds", t["fonds"].c.id == rec["fonds_id"])
    if rec["dossier_id"]:
        out["dossiers"] = rows("dossiers", t["dossiers"].c.id == rec["dossier_id"])
        if not out["fonds"] and out["dossiers"]:
            out["fonds"] = rows("fonds", t["fonds"].c.id == out["dossiers"][0]["fonds_id"])
    comps = t["components"]
    # originals first: derived_from points at them
    out["components"] = rows("components", comps.c.record_id == record_id,
                             order=[comps.c.derived_from.is_not(None), comps.c.created_at, comps.c.id])
    out["events"] = rows("events", t["events"].c.record_id == record_id)
    ra = t["retention_assignments"]
    targets = [sa.and_(ra.c.target_type == "record", ra.c.target_id == record_id)]
    if rec["dossier_id"]:
        targets.append(sa.and_(ra.c.target_type == "dossier", ra.c.target_id == rec["dossier_id"]))
    out["retention_assignments"] = rows("retention_assignments", sa.or_(*targets))
    items = sorted({a["item_id"] for a in out["retention_assignments"]})
    if items:
        out["retention_schedule_items"] = rows("retention_schedule_items", t["retention_schedule_items"].c.id.in_(items))
        schedules = sorted({i["schedule_id"] for i in out["retention_schedule_items"]})
        out["retention_schedules"] = rows("retention_schedules", t["retention_schedules"].c.id.in_(schedules))
    out["destruction_log"] = rows("destruction_log", t["destruction_log"].c.record_id == record_id)
    batches = sorted({d["batch_id"] for d in out["destruction_log"] if d["batch_id"]})
    if batches:
        out["disposal_batches"] = rows("disposal_batches", t["disposal_batches"].c.id.in_(batches))
    return out


def schedule_rows(s: Session, schedule_id: str) -> dict[str, list[dict[str, Any]]] | None:
    """A retention schedule version with all its items, encoded."""
    sched, items = _table("retention_schedules"), _table("retention_schedule_items")
    rows = [encode_row(sched, r) for r in s.execute(sa.select(sched).where(sched.c.id == schedule_id)).mappings()]
    if not rows:
        return None
    return {"retention_schedules": rows, "retention_schedule_items": [
        encode_row(items, r) for r in s.execute(sa.select(items).where(items.c.schedule_id == schedule_id)
                                                .order_by(items.c.id)).mappings()]}


def hold_rows(s: Session, hold_id: str) -> dict[str, list[dict[str, Any]]] | None:
    """A legal hold's row, encoded."""
    t = _table("retention_holds")
    rows = [encode_row(t, r) for r in s.execute(sa.select(t).where(t.c.id == hold_id)).mappings()]
    return {"retention_holds": rows} if rows else None


# writing ----------------------------------------------------------------------------------------
class SidecarWriter:
    """Writes the sidecars of records into a store (see the module docstring)."""

    def __init__(self, catalogue: Catalogue, store: ObjectStore, clock: Clock) -> None:
        self.catalogue, self.store, self.clock = catalogue, store, clock

        self._schedules: dict[str, str] = {}
        """Schedule id -> the state last written by this writer (schedules rarely change)."""

    def latest(self, record_id: str, prefix: str = PREFIX) -> tuple[int, dict[str, Any] | None]:
        """(highest seq, its document) of a record (or a schedule); (0, None) when it has none."""
        pattern = _PATTERNS[prefix]
        names = [n for n in self.store.list_named(f"{prefix}{record_id}/") if pattern.match(n)]
        if not names:
            return 0, None
        name = max(names)
        m = pattern.match(name)
        assert m is not None  # names were filtered by the pattern
        return int(m.group(2)), json.loads(self.store.get_named(name))

    def write(self, record_ids: Iterable[str]) -> int:
        """Write the current state of each record if it differs from its latest sidecar (and of the
        retention schedules its decisions name); returns how many record sidecars were written."""
        written = 0
        with grouped_sync(self.store):  # the sidecars of a group commit: their folders synced together
            for record_id in dict.fromkeys(record_ids):
                state = self._write_versioned(PREFIX, record_id, record_rows)
                if state is not None:
                    written += state[0]
                    for schedule in state[1]["retention_schedules"]:
                        self._write_schedule(schedule["id"])
        return written

    def write_holds(self, hold_ids: Iterable[str]) -> int:
        """Write the current state of each legal hold if it differs from its latest sidecar."""
        written = 0
        for hold_id in dict.fromkeys(hold_ids):
            state = self._write_versioned(HOLDS, hold_id, hold_rows)
            if state is not None:
                written += state[0]
        return written

    def _write_schedule(self, schedule_id: str) -> None:
        with self.catalogue.session() as s:
            state = schedule_rows(s, schedule_id)
        key = json.dumps(state, sort_keys=True, default=str)
        if self._schedules.get(schedule_id) != key:
            self._write_versioned(SCHEDULES, schedule_id, schedule_rows)
            self._schedules[schedule_id] = key

    def _write_versioned(self, prefix: str, ident: str,
                         read: Callable[[Session, str], dict[str, Any] | None]) -> tuple[int, dict[str, Any]] | None:
        """Write ``read(session, ident)`` as the next ``seq`` unless the latest stored one equals the
        catalogue's state: (sidecars written, state), None when there is no such row.

        The latest sidecar is read *before* the catalogue, and the next one is created, never
        replaced (``put_named`` refuses a name that exists). So a sidecar that gets written holds a
        state read after every sidecar before it was stored: a writer whose state went stale while
        another wrote (the other read a later transaction) finds its seq taken, and reads both
        again. Read the other way round — the state, then the latest — a slow writer would store
        its stale state *after* the fresh one, and had to read the catalogue a second time to catch
        it. A transaction committed after the read has its own ``sidecar`` outbox entry, run after
        its commit, which writes the state it made. On a store whose ``put_named`` is not atomic
        (S3: HEAD, then PUT) two writers may both store the same seq; there the writer reads both
        again after writing, as the state-first order always had to."""
        written = 0
        state: dict[str, Any] | None = None
        for _ in range(20):
            seq, doc = self.latest(ident, prefix)
            with self.catalogue.session() as s:
                state = read(s, ident)
            if state is None:
                return None
            if doc is not None and doc.get("tables") == state:
                return written, state
            new = {"schema": _SCHEMAS[prefix], "version": VERSION,
                   "id": ident, "seq": seq + 1, "written_at": self.clock.now().isoformat(), "tables": state}
            data = json.dumps(new, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
            try:
                self.store.put_named(f"{prefix}{ident}/meta-{seq + 1:08d}.json", data)
            except ObjectExists:
                continue  # another writer took this seq: read both again
            written += 1
            if self.store.named_create_atomic:
                return written, state
            # S3: another writer may have found the same seq free and stored it too, the later
            # version read back: read both again, and go on while the latest is not the state
        raise SidecarContention(f"{prefix}{ident}: other writers took the next seq 20 times in a row",
                                f"{prefix}{ident}: tệp mô tả chưa ghi được (20 lần bị tiến trình khác ghi trước); "
                                "lượt sửa chữa sẽ ghi lại")


def install(catalogue: Catalogue) -> None:
    """Note the records a transaction changes and add one ``sidecar`` outbox row to it (once per
    catalogue); the row's id goes to ``Catalogue.after_commit`` as ``("sidecar", id)``."""
    maker = catalogue.sessionmaker
    if getattr(maker, "_luutru_sidecars", False):
        return
    maker._luutru_sidecars = True  # type: ignore[attr-defined]  # listeners installed once per factory
    sa.event.listen(maker, "after_flush", _after_flush)
    sa.event.listen(maker, "before_commit", _before_commit)


def _touched(session: Session) -> set[str]:
    ids: set[str] = set()
    dossiers: set[str] = set()
    batches: set[str] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, OutboxEntry):
            continue
        if isinstance(obj, Record):
            ids.add(obj.id)
        elif isinstance(obj, (Component, Event, RecordChange, DestructionLogEntry)):
            if obj.record_id:
                ids.add(obj.record_id)
        elif isinstance(obj, RetentionAssignment):
            (ids if obj.target_type == "record" else dossiers).add(obj.target_id)
        elif isinstance(obj, Dossier):
            dossiers.add(obj.id)
        elif isinstance(obj, DisposalBatch):
            batches.add(obj.id)  # its tombstones carry it
    if batches:
        ids |= set(session.execute(sa.select(DestructionLogEntry.record_id).where(
            DestructionLogEntry.batch_id.in_(sorted(batches)))).scalars())
    if dossiers:
        ids |= set(session.execute(sa.select(Record.id).where(Record.dossier_id.in_(sorted(dossiers)))).scalars())
    return ids


def _after_flush(session: Session, _ctx: Any) -> None:
    if session.info.get(_OFF):
        return
    touched = _touched(session)
    if touched:
        session.info.setdefault(_PENDING, set()).update(touched)
    holds = {obj.id for obj in (*session.new, *session.dirty) if isinstance(obj, RetentionHold)}
    if holds:
        session.info.setdefault(_PENDING_HOLDS, set()).update(holds)


def _before_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    holds = session.info.pop(_PENDING_HOLDS, None)
    if not pending and not holds:
        return
    payload: dict[str, Any] = {"record_ids": sorted(pending or ())}
    if holds:
        payload["hold_ids"] = sorted(holds)
    row = OutboxEntry(kind="sidecar", payload=payload, created_at=datetime.now(UTC))
    session.add(row)
    session.flush()
    session.info.pop(_PENDING, None)  # the flush of the row itself notes nothing new
    session.info.pop(_PENDING_HOLDS, None)
    session.info.setdefault(AFTER_COMMIT, []).append(("sidecar", row.id))


def missing(catalogue: Catalogue, store: ObjectStore, batch: int = 1000) -> Iterator[str]:
    """Records that have no sidecar yet (archives created before sidecars existed)."""
    with_sidecar = {m.group(1) for n in store.list_named(PREFIX) if (m := _NAME.match(n))}
    with catalogue.session() as s:
        for rid in s.execute(sa.select(Record.id).order_by(Record.id).execution_options(yield_per=batch)).scalars():
            if rid not in with_sidecar:
                yield rid


def missing_holds(catalogue: Catalogue, store: ObjectStore) -> list[str]:
    """Legal holds that have no sidecar yet (placed before holds had sidecars)."""
    with_sidecar = {m.group(1) for n in store.list_named(HOLDS) if (m := _HOLD_NAME.match(n))}
    with catalogue.session() as s:
        return [h for h in s.execute(sa.select(RetentionHold.id).order_by(RetentionHold.id)).scalars()
                if h not in with_sidecar]


# rebuild ----------------------------------------------------------------------------------------
SHARED = ("fonds", "dossiers", "retention_schedules", "retention_schedule_items", "disposal_batches",
          "dossier_assignments")
"""Rows several records' sidecars carry (``dossier_assignments``: retention decisions on a dossier)."""


class RebuildError(ArchiveError):
    code = "rebuild_refused"


class SidecarContention(ArchiveError):
    """The next sidecar of one record was taken by another writer at every try: the outbox entry
    fails and stays for the repair pass."""

    code = "sidecar_contention"


def latest_documents(store: ObjectStore) -> Iterator[dict[str, Any]]:
    """The latest sidecar of every record, in record id order."""
    best = _latest_names(store, PREFIX, _NAME)
    for rid in sorted(best):
        try:
            doc = json.loads(store.get_named(best[rid]))
        except (ObjectNotFound, ValueError) as exc:
            raise RebuildError(f"sidecar {best[rid]} cannot be read ({exc})",
                               f"Không đọc được bản kê siêu dữ liệu {best[rid]} ({exc})") from None
        if doc.get("schema") != SCHEMA or doc.get("version") != VERSION:
            raise RebuildError(f"{best[rid]}: unknown schema {doc.get('schema')} v{doc.get('version')}",
                               f"{best[rid]}: lược đồ không hỗ trợ {doc.get('schema')} v{doc.get('version')}")
        yield doc


def _latest_names(store: ObjectStore, prefix: str, pattern: re.Pattern[str]) -> dict[str, str]:
    """Id → name of its highest-numbered sidecar, of every sidecar named under ``prefix``."""
    best: dict[str, str] = {}
    for name in store.list_named(prefix):
        m = pattern.match(name)
        if m and name > best.get(m.group(1), ""):
            best[m.group(1)] = name
    return best


_NUMBER = re.compile(r"^(\d+)/(\S+)$")


def _restore_registers(catalogue: Catalogue) -> int:
    """The registers' last numbers, from the minutes numbers of the rebuilt disposal batches and
    from the restored audit log's ``disposal.minutes_number`` entries (a number given to a batch
    that destroyed nothing has no sidecar, but its entry is in the log up to the newest anchor):
    the highest ``NN/<notation>`` given in each local year (``archive.registers``). Without them the
    next minutes would be numbered 01 again — a second document with a số already given."""
    last: dict[tuple[str, int], int] = {}

    def given(number: str | None, year: int) -> None:
        m = _NUMBER.match(number or "")
        if m is not None:
            key = (m.group(2), year)
            last[key] = max(last.get(key, 0), int(m.group(1)))

    with catalogue.session() as s:
        s.info[_OFF] = True
        for number, at in s.execute(sa.select(DisposalBatch.minutes_number, DisposalBatch.minutes_issued_at)
                                    .where(DisposalBatch.minutes_number.is_not(None))).all():
            if at is not None:
                given(number, (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).astimezone(VN_TZ).year)
        for (detail,) in s.execute(sa.select(AuditEntry.detail).where(AuditEntry.action == "disposal.minutes_number")):
            if isinstance(detail, dict) and isinstance(detail.get("year"), int):
                given(detail.get("number"), detail["year"])
        for (code, year), n in sorted(last.items()):
            s.merge(Register(code=code, year=year, last_number=n))
    return len(last)


def _latest_holds(store: ObjectStore) -> Iterator[dict[str, Any]]:
    best = _latest_names(store, HOLDS, _HOLD_NAME)
    for hid in sorted(best):
        yield json.loads(store.get_named(best[hid]))


def _latest_schedules(store: ObjectStore) -> Iterator[dict[str, Any]]:
    best = _latest_names(store, SCHEDULES, _SCHEDULE_NAME)
    for sid in sorted(best):
        yield json.loads(store.get_named(best[sid]))


def _rows_held(s: Session) -> dict[str, int]:
    """Rows per table of a catalogue that is not as ``init`` leaves it (only its schema version and
    an audit head at entry 0). A rebuild is several transactions: one interrupted, or an account
    added before it (its audit entry would stop the log's restore), leaves rows a second run must
    not build on."""
    held = {}
    for table in Base.metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        query = sa.select(sa.func.count()).select_from(table)
        if table.name == "audit_head":
            query = query.where(table.c.last_id != 0)
        n = s.execute(query).scalar_one()
        if n:
            held[table.name] = n
    return held


def rebuild(catalogue: Catalogue, store: ObjectStore, *, batch: int = 500,
            problems: list[str] | None = None) -> dict[str, int]:
    """Recreate the catalogue's descriptive rows and its legal holds from the store's sidecars, and
    its audit log up to the newest published anchor (``archive.audit.restore``), into an empty
    catalogue; what the log could not get back is added to ``problems``.

    One pass over the latest sidecars, ``batch`` records per transaction, so memory stays flat at
    any size. Rows several records share (fonds, dossiers, schedules, disposal batches, a dossier's
    retention decisions) are inserted where first met and replaced by the copy of a more recently
    written sidecar; a schedule's own sidecar wins over every copy. Returns rows per table."""
    with catalogue.session() as s:
        held = _rows_held(s)
    if held:
        listed = ", ".join(f"{table}: {n}" for table, n in held.items())
        raise RebuildError(
            f"the catalogue is not empty ({listed}); rebuild needs an empty database (an interrupted "
            "rebuild, or accounts added first: start again on an empty database, add accounts after)",
            f"Danh mục không trống ({listed}); chỉ dựng lại vào một cơ sở dữ liệu trống. Nếu lần dựng "
            "lại trước bị ngắt, hoặc đã thêm tài khoản trước khi dựng: tạo lại cơ sở dữ liệu trống rồi "
            "chạy lại, thêm tài khoản sau khi dựng xong")
    with catalogue.session() as s:  # first: the log continues from its restored head
        restored = audit.restore(s, store)
    if problems is not None:
        problems.extend(restored.problems)
    counts = {t: 0 for t in (*TABLES, *SHARED, "retention_holds")}
    seen: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {t: {} for t in SHARED}
    pending: list[dict[str, Any]] = []

    def put_shared(s: Session, table: str, row: dict[str, Any], written_at: str) -> None:
        t = _table("retention_assignments" if table == "dossier_assignments" else table)
        known = seen[table].get(row["id"])
        if known is not None and (known[0] >= written_at or known[1] == row):
            return  # an older copy, or the same content (most records repeat their dossier's row)
        values = decode_row(t, row)
        if known is None:
            s.execute(t.insert(), [values])
            counts[table] += 1
        else:
            s.execute(t.update().where(t.c.id == row["id"]).values(values))
        seen[table][row["id"]] = (written_at, row)

    def flush() -> None:
        if not pending:
            return
        with catalogue.session() as s:
            s.info[_OFF] = True  # rows restored as they were: no new sidecar for them
            for doc in pending:
                at, tables = doc["written_at"], doc["tables"]
                for table in ("fonds", "dossiers", "retention_schedules", "retention_schedule_items"):
                    for row in tables[table]:
                        put_shared(s, table, row, at)
            for table in ("records", "components", "events"):
                rows = [decode_row(_table(table), r) for d in pending for r in d["tables"][table]]
                if rows:
                    s.execute(_table(table).insert(), rows)
                    counts[table] += len(rows)
            for doc in pending:
                at, tables = doc["written_at"], doc["tables"]
                for row in tables["disposal_batches"]:
                    put_shared(s, "disposal_batches", row, at)
                for row in tables["retention_assignments"]:
                    if row["target_type"] == "dossier":
                        put_shared(s, "dossier_assignments", row, at)
            for table in ("destruction_log", "retention_assignments"):
                rows = [decode_row(_table(table), r) for d in pending for r in d["tables"][table]
                        if table != "retention_assignments" or r["target_type"] == "record"]
                if rows:
                    s.execute(_table(table).insert(), rows)
                    counts[table] += len(rows)
        pending.clear()

    with catalogue.session() as s:
        s.info[_OFF] = True
        for doc in _latest_schedules(store):
            for table in ("retention_schedules", "retention_schedule_items"):
                for row in doc["tables"][table]:
                    put_shared(s, table, row, "~")  # after every ISO date: never replaced by a copy
        # legal holds first: the rebuilt catalogue refuses to destroy what they protect from its
        # first commit on (a hold's scope names ids or criteria, no foreign key)
        holds = [decode_row(_table("retention_holds"), row) for doc in _latest_holds(store)
                 for row in doc["tables"]["retention_holds"]]
        if holds:
            s.execute(_table("retention_holds").insert(), holds)
            counts["retention_holds"] = len(holds)
    for doc in latest_documents(store):
        pending.append(doc)
        if len(pending) >= batch:
            flush()
    flush()
    counts["retention_assignments"] += counts.pop("dossier_assignments", 0)
    counts["registers"] = _restore_registers(catalogue)
    counts["audit_log"], counts["audit_anchors"] = restored.entries, restored.anchors
    if catalogue.dialect == "postgresql":
        with catalogue.session() as s:
            s.execute(sa.text("SELECT setval(pg_get_serial_sequence('events', 'id'), "
                              "coalesce((SELECT max(id) FROM events), 0) + 1, false)"))
    return counts

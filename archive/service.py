"""ArchiveService: create, read and repair records, all through one unit of work.

Every write follows the same order (invenio's register → commit → post-commit):

1. **objects first**: every bitstream is streamed into the object store (content-addressed,
   never overwritten);
2. **one catalogue transaction**: record, components, PREMIS events, the audit entry and the
   post-commit work (outbox rows) commit together or not at all;
3. **post-commit**: the outbox rows are executed (index, tasks) and deleted.

A write method given a unit of work (``uow=``, opened by ``unit_of_work()``;
``archive.unit_of_work``) writes in its transaction, so several calls commit together and their
post-commit work runs after that one commit; without one it opens and commits its own.

A crash after (1) leaves objects without rows; a crash after (2) leaves outbox rows. The repair
pass (``archive.repair``; run at start and by ``luutru repair``) finds both and resolves them, and
also reports rows whose bytes are missing. Nothing committed is ever removed by it. The outbox
runner is ``archive.outbox``.
"""

from __future__ import annotations

import logging
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session

from archive import audit, dossier_state, outbox, sidecars
from archive import repair as repair_pass
from archive.catalogue import Catalogue
from archive.catalogue.access_tables import AuditAnchor
from archive.catalogue.fixity_tables import record_stored
from archive.catalogue.models import AuditHead, Component, Dossier, Event, Fonds, OutboxEntry, Record
from archive.domain import AGENCY_ID, SOFTWARE_AGENT, ComponentRole, RecordMetadata, dossier_code, safe_filename
from archive.errors import ArchiveError, RecordNotFound
from archive.objects.base import ObjectStore, StoredObject, VerifyingReader, grouped_sync
from archive.ports import Clock, Dispatcher, EventSink, Indexer, NullIndexer, SystemClock
from archive.repair import RepairHook, RepairReport
from archive.unit_of_work import CommitGroup, IndexBatch, UnitOfWork

log = logging.getLogger(__name__)
__all__ = ["SOFTWARE_AGENT", "ArchiveService", "DuplicateRecord", "IndexBatch", "InvalidMetadata", "NewComponent",
           "NewEvent", "RecordCreated", "RepairReport", "UnitOfWork"]

# Decree 30 Phụ lục VI lengths, enforced on input (requirements-vn.md §8.3).
FIELD_LENGTHS = {
    "type_name": 100, "code_number": 11, "code_notation": 30, "organ_name": 200, "subject": 500,
    "language": 30, "description": 500, "signer_position": 100, "signer_name": 50, "place": 100,
}


class DuplicateRecord(ArchiveError):
    """The same original bytes are already archived as ``record_id``."""

    code = "duplicate"

    def __init__(self, record_id: str, sha256: str):
        super().__init__(f"already archived as record {record_id}",
                         f"Tài liệu đã có trong kho lưu trữ (mã {record_id})")
        self.record_id = record_id
        self.sha256 = sha256


class InvalidMetadata(ArchiveError):
    code = "invalid_metadata"


@dataclass(frozen=True)
class NewComponent:
    """A derivative to store with the record in the same unit of work."""

    stream: BinaryIO
    role: str
    media_type: str
    filename: str | None = None
    format_id: str | None = None
    """PRONOM identifier (``fmt/477``) when identified; None otherwise."""
    format_name: str | None = None
    format_version: str | None = None


@dataclass(frozen=True)
class NewEvent:
    event_type: str
    outcome: str = "success"
    detail: str | None = None
    data: dict[str, Any] | None = None
    agent: str = SOFTWARE_AGENT


@dataclass(frozen=True)
class RecordCreated:
    record_id: str
    component_id: str
    sha256: str
    size: int


def _nfc(value: Any) -> Any:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


class ArchiveService:
    """The only way bytes and catalogue rows are written. Collaborators come in explicitly."""

    def __init__(self, catalogue: Catalogue, store: ObjectStore, *, indexer: Indexer | None = None,
                 dispatcher: Dispatcher | None = None, clock: Clock | None = None,
                 orphan_grace: timedelta = timedelta(hours=1), events: EventSink | None = None,
                 timestamper: Callable[[], Any] | None = None):
        """``events`` receives domain events post-commit (webhooks); ``timestamper`` builds the
        ``TimeStamper`` that anchors the audit log (called only when an anchor is due)."""
        self.catalogue = catalogue
        self.events = events
        self.timestamper = timestamper
        self.store = store
        self.indexer = indexer or NullIndexer()
        self.dispatcher = dispatcher
        self.clock = clock or SystemClock()
        self.orphan_grace = orphan_grace
        self.outbox_claims = outbox.Claims()
        """Outbox entries a thread of this process is executing (``archive.outbox``)."""
        self.repair_hooks: dict[str, RepairHook] = {}
        """More repair for what the kernel does not know (the ingest's quarantine), registered by
        ``api.wiring``; run by every repair pass (``archive.repair``)."""
        # self-describing storage: every change to a record's rows writes its metadata sidecar
        # (archive.sidecars) through the outbox, after the commit of the transaction that made it
        self.sidecars = sidecars.SidecarWriter(catalogue, store, self.clock)
        # the dossiers' dates and totals follow their records (archive.dossier_state), in every
        # session of this catalogue; installed before the sidecars so they see the refreshed rows
        dossier_state.install(catalogue)
        sidecars.install(catalogue)
        if not getattr(catalogue, "_luutru_sidecar_hook", False):
            catalogue._luutru_sidecar_hook = True  # type: ignore[attr-defined]  # one hook per catalogue
            catalogue.after_commit.append(self._after_commit)

    def _after_commit(self, items: list[Any]) -> None:
        ids = [item_id for kind, item_id in items if kind == "sidecar"]
        if ids:
            self._run_outbox(ids)

    # units of work and batches ------------------------------------------------------------------
    @contextmanager
    def unit_of_work(self, *, group_size: int = 0, batch: IndexBatch | None = None) -> Iterator[UnitOfWork]:
        """One catalogue transaction for the write methods given it (``uow=``): committed when the
        block ends, rolled back on an exception; its outbox rows run after the commit
        (``archive.unit_of_work`` states the contract).

        Index work goes to ``batch``, else to a batch of ``group_size`` records of its own (flushed
        at the end), else to the batch bound to the calling context (``batch()``), else to the
        indexer at once."""
        own = IndexBatch(group_size) if batch is None and group_size > 1 else None
        grouping = batch if batch is not None else own if own is not None else IndexBatch.current()
        with self.catalogue.session() as s:
            uow = UnitOfWork(s, grouping)
            yield uow
        uow.committed = True
        try:
            self._run_outbox(uow.outbox_ids, batch=grouping)
        finally:
            if own is not None:
                self.flush_index(own)

    @contextmanager
    def _work(self, uow: UnitOfWork | None) -> Iterator[UnitOfWork]:
        """The caller's unit of work, or one of the method's own."""
        if uow is not None:
            yield uow
        else:
            with self.unit_of_work() as own:
                yield own

    @contextmanager
    def batch(self, group_size: int = 64, *, commit_group: int = 0) -> Iterator[IndexBatch]:
        """An ``IndexBatch`` bound to the calling context for the block: the units of work opened
        in it (each committing on its own) stage their index work there, and the indexer gets it
        ``group_size`` records at a time and at the end. Worker threads join it through
        ``batch.bind(fn)``. Other threads, and other batches, are not affected.

        ``commit_group`` > 1: the records created in the batch without a unit of work commit up
        to that many per transaction (``archive.unit_of_work.CommitGroup``)."""
        grouping = IndexBatch(group_size)
        if commit_group > 1:
            grouping.commits = CommitGroup(lambda: self.unit_of_work(batch=grouping), commit_group)
        token = grouping.activate()
        try:
            yield grouping
        finally:
            IndexBatch.deactivate(token)
            self.flush_index(grouping)

    def grouped_indexing(self, size: int = 64) -> AbstractContextManager[IndexBatch]:
        """The former name of ``batch``."""
        return self.batch(size)

    # fonds and dossiers -----------------------------------------------------------------------
    def ensure_fonds(self, organ_id: str, name: str, *, actor: str = SOFTWARE_AGENT, place: str | None = None,
                     superior_name: str | None = None, uow: UnitOfWork | None = None) -> str:
        """The fonds of agency ``organ_id``, created if missing (with its place and superior agency,
        printed in the documents issued in its name); an existing fonds is returned unchanged."""
        if not AGENCY_ID.match(organ_id):
            raise InvalidMetadata(f"agency identifier {organ_id!r} is not of the form 000.00.00.H26",
                                  f"Mã định danh cơ quan {organ_id!r} không đúng dạng 000.00.00.H26")
        with self._work(uow) as w:
            s = w.session
            existing = s.execute(sa.select(Fonds.id).where(Fonds.organ_id == organ_id)).scalar()
            if existing:
                return existing
            fonds = Fonds(id=str(uuid.uuid4()), organ_id=organ_id, name=_nfc(name), place=_nfc(place),
                          superior_name=_nfc(superior_name), created_at=self.clock.now())
            s.add(fonds)
            audit.append(s, at=self.clock.now(), actor=actor, action="fonds.create", target_type="fonds",
                         target_id=fonds.id, detail={"organ_id": organ_id})
            return fonds.id

    def create_dossier(self, *, organ_id: str, year: int, notation: str, title: str,
                       actor: str = SOFTWARE_AGENT, uow: UnitOfWork | None = None, **fields: Any) -> str:
        with self._work(uow) as w:
            s = w.session
            fonds_id = s.execute(sa.select(Fonds.id).where(Fonds.organ_id == organ_id)).scalar()
            if fonds_id is None:
                raise RecordNotFound(f"no fonds with agency identifier {organ_id}",
                                     f"Không có phông của cơ quan mã {organ_id}")
            # the dates given are the declared period (archive.dossier_state: records may widen it)
            declared = {"declared_start_date": fields.get("start_date"), "declared_end_date": fields.get("end_date")}
            dossier = Dossier(id=str(uuid.uuid4()), fonds_id=fonds_id, year=year, notation=_nfc(notation),
                              code=dossier_code(organ_id, year, notation), title=_nfc(title), doc_total=0,
                              page_total=0, created_at=self.clock.now(), **declared,
                              closed_at=self.clock.now() if fields.get("status") == "closed" else None,
                              **{k: _nfc(v) for k, v in fields.items()})
            s.add(dossier)
            audit.append(s, at=self.clock.now(), actor=actor, action="dossier.create", target_type="dossier",
                         target_id=dossier.id, detail={"code": dossier.code})
            return dossier.id

    def find_dossier(self, code: str) -> str | None:
        with self.catalogue.session() as s:
            return s.execute(sa.select(Dossier.id).where(Dossier.code == code)).scalar()

    # records ----------------------------------------------------------------------------------
    def find_original(self, sha256: str) -> str | None:
        """The record whose original has these bytes, if any (duplicate lookup)."""
        with self.catalogue.session() as s:
            return s.execute(
                sa.select(Component.record_id).where(Component.sha256 == sha256,
                                                     Component.role == ComponentRole.ORIGINAL,
                                                     Component.status != "destroyed")
            ).scalar()

    def create_record(self, stream: BinaryIO, *, filename: str | None, metadata: RecordMetadata,
                      actor: str, media_type: str = "application/octet-stream",
                      format_id: str | None = None, dossier_id: str | None = None,
                      expected_sha256: str | None = None, size: int | None = None,
                      derivatives: Sequence[NewComponent] = (), events: Sequence[NewEvent] = (),
                      tasks: Sequence[tuple[str, dict[str, Any]]] = (), record_id: str | None = None,
                      original_format: dict[str, Any] | None = None, require_open: bool = False,
                      uow: UnitOfWork | None = None) -> RecordCreated:
        """Archive an original (and its derivatives) as a new record.

        ``original_format`` is the original's PRONOM identification (``puid``, ``name``, ``version``).
        Raises ``DuplicateRecord`` when the same bytes are already an original, and
        ``IntegrityError`` when the bytes do not match ``expected_sha256``/``size``. Filed into a
        dossier, the record gets the next ordinal unless it has one; with ``require_open`` (what
        people's paths ask: ingest, upload) a closed or locked dossier is refused
        (``archive.dossier_state.DossierClosed``/``DossierLocked``), checked under the dossier's lock.
        Given ``uow``, the record commits with the unit of work and is indexed after it.
        """
        self._check_lengths(metadata)
        record_id = record_id or str(uuid.uuid4())
        # 1. objects first, durable (their directory syncs grouped) before any row names them
        with grouped_sync(self.store):
            original = self.store.put(stream, expected_sha256=expected_sha256, size=size, media_type=media_type)
            fmt = original_format or {}
            stored = [(original, NewComponent(stream, ComponentRole.ORIGINAL, media_type, safe_filename(filename),
                                              format_id=fmt.get("puid") or format_id, format_name=fmt.get("name"),
                                              format_version=fmt.get("version")))]
            stored += [(self.store.put(d.stream, media_type=d.media_type), d) for d in derivatives]
        # 2. one transaction: the caller's, the group commit of the calling thread's batch
        # (archive.unit_of_work.CommitGroup), or one of its own
        now = self.clock.now()

        def rows(w: UnitOfWork) -> str:
            s = w.session
            dup = s.execute(sa.select(Component.record_id).where(
                Component.sha256 == original.sha256, Component.role == ComponentRole.ORIGINAL,
                Component.status != "destroyed")).scalar()
            if dup:
                raise DuplicateRecord(dup, original.sha256)
            fonds_id = None
            if dossier_id:
                dossier = s.get(Dossier, dossier_id)
                if dossier is None:
                    raise RecordNotFound(f"no dossier {dossier_id}", f"Không có hồ sơ {dossier_id}")
                fonds_id = dossier.fonds_id
            values = {k: v for k, v in vars(metadata).items() if k != "extra"}
            record = Record(id=record_id, dossier_id=dossier_id, fonds_id=fonds_id,
                            original_filename=safe_filename(filename), extra=metadata.extra or None,
                            created_at=now, updated_at=now, version=1, was_public=metadata.is_public,
                            **values)
            s.add(record)
            s.flush()
            original_id = None
            components = []
            for obj, comp in stored:
                components.append(self._component_row(record_id, obj, comp, now, derived_from=original_id))
                original_id = original_id or components[-1].id
            s.add_all(components)
            s.flush()  # one INSERT for them all, before the events that name them (foreign keys)
            record_stored(s, [obj for obj, _ in stored], now)
            # the events in one INSERT: values into the table, not ORM objects (one INSERT each on
            # SQLite, see UnitOfWork.add_outbox), nor the ORM's bulk insert (split by None columns)
            new_events = [
                NewEvent("message digest calculation", agent=SOFTWARE_AGENT, detail=f"SHA-256 {original.sha256}",
                         data={"sha256": original.sha256, "size": original.size}),
                *events,
                NewEvent("ingestion", agent=actor, detail=f"archived {record.original_filename}"),
            ]
            s.execute(sa.insert(cast(sa.Table, Event.__table__)), [
                {"record_id": record_id, "component_id": original_id, "event_type": ev.event_type,
                 "occurred_at": now, "agent": ev.agent, "outcome": ev.outcome, "detail": ev.detail, "data": ev.data}
                for ev in new_events])
            audit.append(s, at=now, actor=actor, action="record.create", target_type="record",
                         target_id=record_id, detail={"sha256": original.sha256, "size": original.size})
            if dossier_id:  # after the audit head: the lock order of archive.dossier_state
                dossier_state.accept_record(s, record, require_open=require_open)
            outbox = [OutboxEntry(kind="index", payload={"record_ids": [record_id]}, created_at=now)]
            outbox += [OutboxEntry(kind="task", payload={"task": t, "args": a}, created_at=now) for t, a in tasks]
            outbox += self.event_entries("record.ingested", {"record_id": record_id}, now=now)
            w.add_outbox(outbox)
            assert original_id is not None  # ``stored`` starts with the original: the loop set it
            return original_id

        batch = IndexBatch.current() if uow is None else None
        try:
            if batch is not None and batch.commits is not None:
                original_id = batch.commits.submit(rows)
            else:
                with self._work(uow) as w:
                    original_id = rows(w)
        except DBIntegrityError as exc:
            # A concurrent ingest of the same bytes won the race on the unique original index.
            existing = self.find_original(original.sha256)
            if existing:
                raise DuplicateRecord(existing, original.sha256) from None
            raise ArchiveError(f"catalogue refused the record: {exc.orig}") from exc
        # 3. post-commit: done by the unit of work after its commit
        return RecordCreated(record_id=record_id, component_id=original_id, sha256=original.sha256,
                             size=original.size)

    def add_component(self, record_id: str, component: NewComponent, *, actor: str,
                      derived_from: str | None = None, event: NewEvent | None = None,
                      reindex: bool = True, uow: UnitOfWork | None = None) -> str:
        """Add a derivative (text, report, timestamp token…) to an existing record."""
        obj = self.store.put(component.stream, media_type=component.media_type)
        now = self.clock.now()
        with self._work(uow) as w:
            s = w.session
            if s.get(Record, record_id) is None:
                raise RecordNotFound(f"no record {record_id}", f"Không tìm thấy văn bản {record_id}")
            row = self._component_row(record_id, obj, component, now, derived_from=derived_from)
            s.add(row)
            s.flush()
            record_stored(s, [obj], now)
            if event:
                s.add(Event(record_id=record_id, component_id=row.id, event_type=event.event_type, occurred_at=now,
                            agent=event.agent, outcome=event.outcome, detail=event.detail, data=event.data))
            audit.append(s, at=now, actor=actor, action="component.add", target_type="record", target_id=record_id,
                         detail={"role": component.role, "sha256": obj.sha256})
            if reindex:
                w.add_outbox([OutboxEntry(kind="index", payload={"record_ids": [record_id]}, created_at=now)])
            comp_id = row.id
        return comp_id

    def amend_derived(self, record_id: str, *, actor: str, components: Sequence[NewComponent] = (),
                      events: Sequence[NewEvent] = (), extra: dict[str, Any] | None = None, fill: dict[str, Any] | None = None,
                      tasks: Sequence[tuple[str, dict[str, Any]]] = (), uow: UnitOfWork | None = None) -> list[str]:
        """Add what was derived from a record's original after its ingest (an OCR text and its
        searchable copy, a preservation copy, a validation): derivatives stored first, then one
        transaction — component rows, ``extra`` keys merged into the record's, the Decree 30 fields
        of ``fill`` set where the record has none (a value already there, declared or corrected,
        is never replaced), events, the audit entry, reindexing and ``tasks``. Returns the new
        components' ids."""
        fill = {k: _nfc(v) for k, v in (fill or {}).items() if v not in (None, "", [])}
        if fill:
            self._check_lengths(RecordMetadata(**{k: v for k, v in fill.items() if k in FIELD_LENGTHS}))
        stored = [(self.store.put(c.stream, media_type=c.media_type), c) for c in components]
        now = self.clock.now()
        with self._work(uow) as w:
            s = w.session
            rec = s.get(Record, record_id)
            if rec is None:
                raise RecordNotFound(f"no record {record_id}", f"Không tìm thấy văn bản {record_id}")
            original_id = s.execute(sa.select(Component.id).where(
                Component.record_id == record_id, Component.role == ComponentRole.ORIGINAL)).scalar()
            ids = []
            for obj, comp in stored:
                row = self._component_row(record_id, obj, comp, now, derived_from=original_id)
                s.add(row)
                s.flush()
                ids.append(row.id)
            filled = {}
            for name, value in fill.items():
                if hasattr(Record, name) and getattr(rec, name) in (None, "", []):
                    setattr(rec, name, value)
                    filled[name] = value.isoformat() if hasattr(value, "isoformat") else value
            if extra:
                rec.extra = {**(rec.extra or {}), **extra}
            rec.updated_at = now
            for ev in events:
                s.add(Event(record_id=record_id, component_id=ids[0] if ids else original_id, event_type=ev.event_type,
                            occurred_at=now, agent=ev.agent, outcome=ev.outcome, detail=ev.detail, data=ev.data))
            audit.append(s, at=now, actor=actor, action="record.derive", target_type="record", target_id=record_id,
                         detail={"components": [c.role for _, c in stored], "filled": sorted(filled),
                                 "extra": sorted(extra or {})})
            outbox = [OutboxEntry(kind="index", payload={"record_ids": [record_id]}, created_at=now)]
            outbox += [OutboxEntry(kind="task", payload={"task": t, "args": a}, created_at=now) for t, a in tasks]
            w.add_outbox(outbox)
        return ids

    @staticmethod
    def _component_row(record_id: str, obj: StoredObject, comp: NewComponent, now: datetime,
                       derived_from: str | None) -> Component:
        return Component(id=str(uuid.uuid4()), record_id=record_id, role=str(comp.role), sha256=obj.sha256,
                         size=obj.size, media_type=comp.media_type, format_id=comp.format_id,
                         format_name=comp.format_name, format_version=comp.format_version, storage_key=obj.key,
                         filename=comp.filename, derived_from=derived_from if comp.role != "original" else None,
                         created_at=now)

    @staticmethod
    def _check_lengths(metadata: RecordMetadata) -> None:
        too_long = [f"{name} ({len(getattr(metadata, name))} > {limit})" for name, limit in FIELD_LENGTHS.items()
                    if isinstance(getattr(metadata, name), str) and len(getattr(metadata, name)) > limit]
        if too_long:
            raise InvalidMetadata("metadata longer than Decree 30 allows: " + ", ".join(too_long),
                                  "Trường dữ liệu dài quá mức Nghị định 30 cho phép: " + ", ".join(too_long))

    # reading ----------------------------------------------------------------------------------
    def get_record(self, record_id: str, *, actor: str, audit_access: bool = True) -> dict[str, Any]:
        """The record's metadata, components and events as plain data; audited as a view."""
        with self.catalogue.session() as s:
            rec = s.get(Record, record_id)
            if rec is None:
                raise RecordNotFound(f"no record {record_id}", f"Không tìm thấy văn bản {record_id}")
            data = self._record_dict(s, rec)
            data["signatures"] = (rec.extra or {}).get("signatures", [])
            if audit_access:
                audit.append(s, at=self.clock.now(), actor=actor, action="record.view", target_type="record",
                             target_id=record_id)
            return data

    def _record_dict(self, s: Session, rec: Record) -> dict[str, Any]:
        cols = {c.key: getattr(rec, c.key) for c in sa.inspect(Record).column_attrs}
        for k, v in list(cols.items()):
            if hasattr(v, "isoformat"):
                cols[k] = v.isoformat()
        cols["so_ky_hieu"] = rec.so_ky_hieu
        dossier = s.get(Dossier, rec.dossier_id) if rec.dossier_id else None
        cols["dossier_code"] = dossier.code if dossier else None
        cols["components"] = [
            {"id": c.id, "role": c.role, "sha256": c.sha256, "size": c.size, "media_type": c.media_type,
             "format_id": c.format_id, "format_name": c.format_name, "format_version": c.format_version,
             "filename": c.filename, "storage_key": c.storage_key,
             "status": c.status, "created_at": c.created_at.isoformat()}
            for c in rec.components]
        cols["events"] = [self._event_dict(e) for e in self._events(s, rec.id)]
        return cols

    @staticmethod
    def _events(s: Session, record_id: str) -> Iterable[Event]:
        return s.execute(sa.select(Event).where(Event.record_id == record_id).order_by(Event.id)).scalars()

    @staticmethod
    def _event_dict(e: Event) -> dict[str, Any]:
        return {"type": e.event_type, "at": e.occurred_at.isoformat(), "agent": e.agent,
                "outcome": e.outcome, "detail": e.detail, "data": e.data}

    def list_events(self, record_id: str) -> list[dict[str, Any]]:
        with self.catalogue.session() as s:
            if s.get(Record, record_id) is None:
                raise RecordNotFound(f"no record {record_id}", f"Không tìm thấy văn bản {record_id}")
            return [self._event_dict(e) for e in self._events(s, record_id)]

    def open_component(self, record_id: str, *, actor: str, role: str = ComponentRole.ORIGINAL,
                       verify: bool = True, client: str | None = None,
                       address: str | None = None) -> tuple[dict[str, Any], VerifyingReader]:
        """Open a component for reading, checked against the catalogue's size and SHA-256.

        The read is audited before any byte leaves. The reader raises ``IntegrityError`` at the end
        of the stream if the bytes differ from what was archived.
        """
        with self.catalogue.session() as s:
            comp = s.execute(sa.select(Component).where(
                Component.record_id == record_id, Component.role == role,
                Component.status == "present").order_by(Component.created_at.desc())).scalars().first()
            if comp is None:
                raise RecordNotFound(f"record {record_id} has no {role}",
                                     f"Không tìm thấy văn bản {record_id} hoặc tệp {role} của nó")
            info: dict[str, Any] = {"id": comp.id, "sha256": comp.sha256, "size": comp.size, "media_type": comp.media_type,
                    "filename": comp.filename, "storage_key": comp.storage_key}
            audit.append(s, at=self.clock.now(), actor=actor, client=client, address=address,
                         action="record.download", target_type="record", target_id=record_id,
                         detail={"role": role, "sha256": comp.sha256})
        reader = self.store.open(info["storage_key"], verify=verify, expected_size=info["size"])
        return info, reader

    def counts(self) -> dict[str, int]:
        with self.catalogue.session() as s:
            def n(model: Any, *where: sa.ColumnElement[bool]) -> int:
                return s.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()
            total_bytes = s.execute(sa.select(sa.func.coalesce(sa.func.sum(Component.size), 0)).where(
                Component.status == "present")).scalar_one()
            return {"fonds": n(Fonds), "dossiers": n(Dossier), "records": n(Record),
                    "components": n(Component), "bytes": int(total_bytes),
                    "pending_post_commit": n(OutboxEntry)}

    def audit_access(self, *, actor: str, action: str, target_type: str | None = None,
                     target_id: str | None = None, outcome: str = "success", detail: Any = None,
                     client: str | None = None, address: str | None = None, uow: UnitOfWork | None = None) -> None:
        with self._work(uow) as w:
            audit.append(w.session, at=self.clock.now(), actor=actor, action=action, target_type=target_type,
                         target_id=target_id, outcome=outcome, detail=detail, client=client, address=address)

    # events and the audit anchor -----------------------------------------------------------------
    def event_entries(self, event: str, data: dict[str, Any], *, now: datetime | None = None) -> list[OutboxEntry]:
        """Outbox rows publishing ``event`` after the caller's transaction commits (none without an
        event sink). Add them to the transaction, then pass their ids to ``run_post_commit``."""
        if self.events is None:
            return []
        return [OutboxEntry(kind="event", payload={"event": event, "data": data, "id": str(uuid.uuid4())},
                            created_at=now or self.clock.now())]

    def emit(self, event: str, *, uow: UnitOfWork | None = None, **data: Any) -> None:
        """Publish an event durably, through the outbox: in ``uow``'s transaction, or in its own."""
        with self._work(uow) as w:
            w.add_outbox(self.event_entries(event, data))

    def add_tasks(self, session: Session, tasks: Sequence[tuple[str, dict[str, Any]]]) -> list[int]:
        """Task outbox rows in the caller's transaction; after commit, ``run_post_commit(ids)``
        dispatches them (a deferred dispatcher leaves them for ``run_pending_tasks``)."""
        rows = [OutboxEntry(kind="task", payload={"task": t, "args": a}, created_at=self.clock.now()) for t, a in tasks]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]

    def run_post_commit(self, ids: Sequence[int], *, batch: IndexBatch | None = None) -> tuple[int, int]:
        """Execute these committed outbox rows now (deferred tasks excepted); failures stay for repair.
        Index work is done before returning unless ``batch`` is given (then staged in it)."""
        return self._run_outbox(list(ids), batch=batch) if ids else (0, 0)

    def anchor_audit(self) -> dict[str, Any] | None:
        """Anchor the audit log's head with an RFC 3161 token if it moved since the last anchor
        (``archive.audit.anchor``); None when nothing was due or no timestamper is configured."""
        if self.timestamper is None:
            return None
        with self.catalogue.session() as s:
            head = s.execute(sa.select(AuditHead.last_id)).scalar()
            last = s.execute(sa.select(sa.func.max(AuditAnchor.last_id))).scalar()
        if not head or (last is not None and last >= head):
            return None  # checked first so the timestamper (and the TSA key) is built only when due
        with self.catalogue.session() as s:
            row = audit.anchor(s, self.timestamper(), at=self.clock.now())
            if row is None:
                return None
            out = {"id": row.id, "last_id": row.last_id, "last_hash": row.last_hash, "tsa": row.tsa,
                   "anchored_at": row.anchored_at.isoformat()}
        self.publish_anchors()
        return out

    def publish_anchors(self) -> int:
        """Publish the audit anchors not yet in the object store (``archive.audit``: the database
        alone cannot then rewrite history); a store that is down is retried by the next pass."""
        try:
            with self.catalogue.session() as s:
                return audit.publish_missing(s, self.store)
        except ArchiveError as exc:
            log.warning("publishing the audit anchors failed: %s", exc)
            return 0

    # post-commit (archive.outbox) -------------------------------------------------------------
    def flush_index(self, batch: IndexBatch) -> None:
        """Send the index work staged in ``batch`` to the indexer now."""
        outbox.flush_index(self, batch)

    def run_pending_tasks(self, rounds: int = 4) -> tuple[int, int]:
        """Run every pending post-commit entry, deferred tasks included: (done, failed)."""
        return outbox.run_pending_tasks(self, rounds)

    def _run_outbox(self, ids: Sequence[int] | None = None, *, include_deferred: bool = False,
                    batch: IndexBatch | None = None) -> tuple[int, int]:
        return outbox.run(self, ids, include_deferred=include_deferred, batch=batch)

    # repair (archive.repair) ------------------------------------------------------------------
    def repair(self, *, actor: str = SOFTWARE_AGENT) -> RepairReport:
        """Reconcile store, catalogue and outbox (``archive.repair.repair``): safe at any time."""
        return repair_pass.repair(self, actor=actor)

    def mark_missing(self, key: str, *, actor: str, detected_by: str) -> list[dict[str, Any]]:
        """The bytes of ``key`` are not in the store: components ``missing``, records ``damaged``."""
        return repair_pass.mark_missing(self, key, actor=actor, detected_by=detected_by)

    def mark_restored(self, key: str, *, actor: str) -> list[str]:
        """The bytes of ``key`` are back: components present again. Returns the records."""
        return repair_pass.mark_restored(self, key, actor=actor)

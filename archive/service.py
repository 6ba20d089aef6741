"""ArchiveService: create, read and repair records, all through one unit of work.

Every write follows the same order (invenio's register → commit → post-commit):

1. **objects first**: every bitstream is streamed into the object store (content-addressed,
   never overwritten);
2. **one catalogue transaction**: record, components, PREMIS events, the audit entry and the
   post-commit work (outbox rows) commit together or not at all;
3. **post-commit**: the outbox rows are executed (index, tasks) and deleted.

A crash after (1) leaves objects without rows; a crash after (2) leaves outbox rows. The repair
pass (``repair``; run at start and by ``luutru repair``) finds both and resolves them, and also
reports rows whose bytes are missing. Nothing committed is ever removed by it.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from archive import audit, dossier_state, sidecars
from archive.catalogue import Catalogue
from archive.catalogue.access_tables import AuditAnchor
from archive.catalogue.fixity_tables import ObjectFixity, record_stored
from archive.catalogue.models import AuditHead, Component, Dossier, Event, Fonds, OutboxEntry, Record
from archive.domain import AGENCY_ID, ComponentRole, RecordMetadata, dossier_code, safe_filename
from archive.errors import ArchiveError, ObjectLocked, ObjectNotFound, RecordNotFound
from archive.objects.base import ObjectStore, StoredObject, VerifyingReader
from archive.ports import Clock, Dispatcher, EventSink, Indexer, NullIndexer, SystemClock

log = logging.getLogger(__name__)
SOFTWARE_AGENT = "software:luutru"

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


@dataclass
class RepairReport:
    outbox_done: int = 0
    outbox_failed: int = 0
    orphans_removed: list[str] = field(default_factory=list)
    orphans_kept: list[str] = field(default_factory=list)
    """Objects without rows that were too recent (an ingest may be in flight) or locked."""
    missing: list[dict[str, Any]] = field(default_factory=list)
    """Components whose bytes are not in the store."""
    restored: list[str] = field(default_factory=list)
    incomplete_removed: int = 0
    anchored: bool = False
    """The audit log's head was anchored with an RFC 3161 token in this pass."""

    @property
    def clean(self) -> bool:
        return not (self.outbox_failed or self.orphans_kept or self.missing)

    def as_dict(self) -> dict[str, Any]:
        return {"outbox_done": self.outbox_done, "outbox_failed": self.outbox_failed,
                "orphans_removed": self.orphans_removed, "orphans_kept": self.orphans_kept,
                "missing": self.missing, "restored": self.restored,
                "incomplete_removed": self.incomplete_removed, "anchored": self.anchored, "clean": self.clean}


def record_intact(s: Session, record_id: str) -> bool:
    """No component of the record lacks its bytes and none of its objects has an open fixity
    failure: a damaged record may return to active."""
    missing = s.execute(sa.select(Component.id).where(Component.record_id == record_id,
                                                      Component.status == "missing").limit(1)).first()
    if missing:
        return False
    failing = s.execute(sa.select(ObjectFixity.storage_key).join(
        Component, Component.storage_key == ObjectFixity.storage_key).where(
        Component.record_id == record_id, Component.status != "destroyed",
        ObjectFixity.failed_at.is_not(None)).limit(1)).first()
    return failing is None


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
        self._group_size = 0
        self._staged: list[tuple[int, list[str]]] = []
        self._staged_lock = threading.Lock()
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

    # fonds and dossiers -----------------------------------------------------------------------
    def ensure_fonds(self, organ_id: str, name: str, *, actor: str = SOFTWARE_AGENT, place: str | None = None,
                     superior_name: str | None = None) -> str:
        """The fonds of agency ``organ_id``, created if missing (with its place and superior agency,
        printed in the documents issued in its name); an existing fonds is returned unchanged."""
        if not AGENCY_ID.match(organ_id):
            raise InvalidMetadata(f"agency identifier {organ_id!r} is not of the form 000.00.00.H26",
                                  f"Mã định danh cơ quan {organ_id!r} không đúng dạng 000.00.00.H26")
        with self.catalogue.session() as s:
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
                       actor: str = SOFTWARE_AGENT, **fields: Any) -> str:
        with self.catalogue.session() as s:
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
                      original_format: dict[str, Any] | None = None, require_open: bool = False) -> RecordCreated:
        """Archive an original (and its derivatives) as a new record.

        ``original_format`` is the original's PRONOM identification (``puid``, ``name``, ``version``).
        Raises ``DuplicateRecord`` when the same bytes are already an original, and
        ``IntegrityError`` when the bytes do not match ``expected_sha256``/``size``. Filed into a
        dossier, the record gets the next ordinal unless it has one; with ``require_open`` (what
        people's paths ask: ingest, upload) a closed or locked dossier is refused
        (``archive.dossier_state.DossierClosed``/``DossierLocked``), checked under the dossier's lock.
        """
        self._check_lengths(metadata)
        record_id = record_id or str(uuid.uuid4())
        # 1. objects first
        original = self.store.put(stream, expected_sha256=expected_sha256, size=size, media_type=media_type)
        fmt = original_format or {}
        stored = [(original, NewComponent(stream, ComponentRole.ORIGINAL, media_type, safe_filename(filename),
                                          format_id=fmt.get("puid") or format_id, format_name=fmt.get("name"),
                                          format_version=fmt.get("version")))]
        for d in derivatives:
            stored.append((self.store.put(d.stream, media_type=d.media_type), d))
        # 2. one transaction
        now = self.clock.now()
        try:
            with self.catalogue.session() as s:
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
                for obj, comp in stored:
                    row = self._component_row(record_id, obj, comp, now, derived_from=original_id)
                    s.add(row)
                    s.flush()
                    record_stored(s, obj, now)
                    original_id = original_id or row.id
                    if comp.role == ComponentRole.ORIGINAL:
                        s.add(Event(record_id=record_id, component_id=row.id, event_type="message digest calculation",
                                    occurred_at=now, agent=SOFTWARE_AGENT, outcome="success",
                                    detail=f"SHA-256 {obj.sha256}", data={"sha256": obj.sha256, "size": obj.size}))
                for ev in events:
                    s.add(Event(record_id=record_id, component_id=original_id, event_type=ev.event_type,
                                occurred_at=now, agent=ev.agent, outcome=ev.outcome, detail=ev.detail, data=ev.data))
                s.add(Event(record_id=record_id, component_id=original_id, event_type="ingestion", occurred_at=now,
                            agent=actor, outcome="success", detail=f"archived {record.original_filename}"))
                audit.append(s, at=now, actor=actor, action="record.create", target_type="record",
                             target_id=record_id, detail={"sha256": original.sha256, "size": original.size})
                if dossier_id:  # after the audit head: the lock order of archive.dossier_state
                    dossier_state.accept_record(s, record, require_open=require_open)
                outbox = [OutboxEntry(kind="index", payload={"record_ids": [record_id]}, created_at=now)]
                outbox += [OutboxEntry(kind="task", payload={"task": t, "args": a}, created_at=now) for t, a in tasks]
                outbox += self.event_entries("record.ingested", {"record_id": record_id}, now=now)
                s.add_all(outbox)
                s.flush()
                outbox_ids = [o.id for o in outbox]
        except DBIntegrityError as exc:
            # A concurrent ingest of the same bytes won the race on the unique original index.
            existing = self.find_original(original.sha256)
            if existing:
                raise DuplicateRecord(existing, original.sha256) from None
            raise ArchiveError(f"catalogue refused the record: {exc.orig}") from exc
        # 3. post-commit
        self._run_outbox(outbox_ids)
        assert original_id is not None  # ``stored`` starts with the original: the loop set it
        return RecordCreated(record_id=record_id, component_id=original_id, sha256=original.sha256,
                             size=original.size)

    def add_component(self, record_id: str, component: NewComponent, *, actor: str,
                      derived_from: str | None = None, event: NewEvent | None = None,
                      reindex: bool = True) -> str:
        """Add a derivative (text, report, timestamp token…) to an existing record."""
        obj = self.store.put(component.stream, media_type=component.media_type)
        now = self.clock.now()
        with self.catalogue.session() as s:
            if s.get(Record, record_id) is None:
                raise RecordNotFound(f"no record {record_id}", f"Không tìm thấy văn bản {record_id}")
            row = self._component_row(record_id, obj, component, now, derived_from=derived_from)
            s.add(row)
            s.flush()
            record_stored(s, obj, now)
            if event:
                s.add(Event(record_id=record_id, component_id=row.id, event_type=event.event_type, occurred_at=now,
                            agent=event.agent, outcome=event.outcome, detail=event.detail, data=event.data))
            audit.append(s, at=now, actor=actor, action="component.add", target_type="record", target_id=record_id,
                         detail={"role": component.role, "sha256": obj.sha256})
            outbox = [OutboxEntry(kind="index", payload={"record_ids": [record_id]}, created_at=now)] if reindex else []
            s.add_all(outbox)
            s.flush()
            ids, comp_id = [o.id for o in outbox], row.id
        self._run_outbox(ids)
        return comp_id

    def amend_derived(self, record_id: str, *, actor: str, components: Sequence[NewComponent] = (),
                      events: Sequence[NewEvent] = (), extra: dict[str, Any] | None = None, fill: dict[str, Any] | None = None,
                      tasks: Sequence[tuple[str, dict[str, Any]]] = ()) -> list[str]:
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
        with self.catalogue.session() as s:
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
            s.add_all(outbox)
            s.flush()
            outbox_ids = [o.id for o in outbox]
        self._run_outbox(outbox_ids)
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
                     client: str | None = None, address: str | None = None) -> None:
        with self.catalogue.session() as s:
            audit.append(s, at=self.clock.now(), actor=actor, action=action, target_type=target_type,
                         target_id=target_id, outcome=outcome, detail=detail, client=client, address=address)

    # events and the audit anchor -----------------------------------------------------------------
    def event_entries(self, event: str, data: dict[str, Any], *, now: datetime | None = None) -> list[OutboxEntry]:
        """Outbox rows publishing ``event`` after the caller's transaction commits (none without an
        event sink). Add them to the transaction, then pass their ids to ``run_post_commit``."""
        if self.events is None:
            return []
        return [OutboxEntry(kind="event", payload={"event": event, "data": data, "id": str(uuid.uuid4())},
                            created_at=now or self.clock.now())]

    def emit(self, event: str, **data: Any) -> None:
        """Publish an event in its own transaction (durably, through the outbox)."""
        with self.catalogue.session() as s:
            rows = self.event_entries(event, data)
            s.add_all(rows)
            s.flush()
            ids = [r.id for r in rows]
        self.run_post_commit(ids)

    def add_tasks(self, session: Session, tasks: Sequence[tuple[str, dict[str, Any]]]) -> list[int]:
        """Task outbox rows in the caller's transaction; after commit, ``run_post_commit(ids)``
        dispatches them (a deferred dispatcher leaves them for ``run_pending_tasks``)."""
        rows = [OutboxEntry(kind="task", payload={"task": t, "args": a}, created_at=self.clock.now()) for t, a in tasks]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]

    def run_post_commit(self, ids: Sequence[int], *, grouped: bool = True) -> tuple[int, int]:
        """Execute these committed outbox rows now (deferred tasks excepted); failures stay for repair.
        ``grouped=False``: index work is done before returning even inside ``grouped_indexing``
        (a caller that reports "searchable now" needs it)."""
        return self._run_outbox(list(ids), grouped=grouped) if ids else (0, 0)

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

    # post-commit ------------------------------------------------------------------------------
    @contextmanager
    def grouped_indexing(self, size: int = 64) -> Iterator[None]:
        """Within the block, index work of committed records is staged and sent to the indexer
        ``size`` records at a time (one index commit instead of one per record), and at the end.

        The outbox rows are deleted only after the indexer took them, so a crash leaves them for
        the repair pass: grouping trades seconds of search visibility for throughput, never
        durability.
        """
        previous, self._group_size = self._group_size, size
        try:
            yield
        finally:
            self._group_size = previous
            self.flush_index()

    def flush_index(self) -> None:
        """Send the staged index work (see ``grouped_indexing``) to the indexer now."""
        with self._staged_lock:
            staged, self._staged = self._staged, []
        if not staged:
            return
        entry_ids = [entry_id for entry_id, _ in staged]
        try:
            self.indexer.index(list(dict.fromkeys(rid for _, rids in staged for rid in rids)))
        except Exception as exc:  # noqa: BLE001 - the rows stay; repair retries them
            log.warning("grouped indexing of %d records failed: %s", len(staged), exc)
            with self.catalogue.session() as s:
                s.execute(sa.update(OutboxEntry).where(OutboxEntry.id.in_(entry_ids)).values(
                    attempts=OutboxEntry.attempts + 1, last_error=str(exc)[:2000]))
            return
        with self.catalogue.session() as s:
            s.execute(sa.delete(OutboxEntry).where(OutboxEntry.id.in_(entry_ids)))

    def run_pending_tasks(self, rounds: int = 4) -> tuple[int, int]:
        """Run every pending post-commit entry, deferred tasks included: (done, failed). A task may
        queue another (a deferred OCR queues the validation of its copy): up to ``rounds`` passes
        run while the previous one did something and left new entries."""
        done = failed = 0
        for _ in range(rounds):
            d, f = self._run_outbox(None, include_deferred=True)
            done, failed = done + d, failed + f
            with self.catalogue.session() as s:
                left = s.execute(sa.select(sa.func.count()).select_from(OutboxEntry)
                                 .where(OutboxEntry.attempts == 0)).scalar_one()
            if not d or not left:
                break
        return done, failed

    def _run_outbox(self, ids: Sequence[int] | None = None, *, include_deferred: bool = False,
                    grouped: bool = True) -> tuple[int, int]:
        """Execute outbox entries (all of them when ``ids`` is None); failures stay for repair.

        Task entries are left for later when the dispatcher is deferred (see ``InlineDispatcher``).
        """
        done = failed = 0
        with self.catalogue.session() as s:
            q = sa.select(OutboxEntry).order_by(OutboxEntry.id)
            if not include_deferred and getattr(self.dispatcher, "deferred", False):
                q = q.where(OutboxEntry.kind != "task")
            if ids is not None:
                if not ids:
                    return 0, 0
                q = q.where(OutboxEntry.id.in_(list(ids)))
            entries = [(e.id, e.kind, e.payload) for e in s.execute(q).scalars()]
        for entry_id, kind, payload in entries:
            if kind == "index" and grouped and self._group_size > 1 and ids is not None:
                with self._staged_lock:
                    self._staged.append((entry_id, list(payload["record_ids"])))
                    full = len(self._staged) >= self._group_size
                if full:
                    self.flush_index()
                done += 1
                continue
            try:
                self._execute(kind, payload)
            except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried by repair
                failed += 1
                log.warning("post-commit %s %s failed: %s", kind, payload, exc)
                with self.catalogue.session() as s:
                    s.execute(sa.update(OutboxEntry).where(OutboxEntry.id == entry_id).values(
                        attempts=OutboxEntry.attempts + 1, last_error=str(exc)[:2000]))
                continue
            with self.catalogue.session() as s:
                s.execute(sa.delete(OutboxEntry).where(OutboxEntry.id == entry_id))
            done += 1
        return done, failed

    def _execute(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "index":
            self.indexer.index(payload["record_ids"])
        elif kind == "deindex":
            self.indexer.delete(payload["record_ids"])
        elif kind == "sidecar":
            self.sidecars.write(payload["record_ids"])
        elif kind == "event":
            if self.events is not None:
                self.events.publish(payload["event"], payload.get("data") or {}, event_id=payload["id"])
        elif kind == "task":
            if self.dispatcher is None:
                raise RuntimeError(f"no dispatcher configured for task {payload['task']}")
            self.dispatcher.dispatch(payload["task"], payload.get("args") or {})
        else:
            raise ValueError(f"unknown outbox entry kind {kind!r}")

    # repair -----------------------------------------------------------------------------------
    def _catalogue_keys(self) -> Iterator[tuple[str, str]]:
        """(storage_key, status) of every component that should have bytes, in byte order."""
        order: sa.ColumnElement[str] | InstrumentedAttribute[str] = Component.storage_key
        if self.catalogue.dialect == "postgresql":
            order = Component.storage_key.collate("C")
        with self.catalogue.session() as s:
            q = (sa.select(Component.storage_key, sa.func.min(Component.status))
                 .where(Component.status != "destroyed").group_by(Component.storage_key).order_by(order))
            yield from s.execute(q.execution_options(yield_per=10000))

    def repair(self, *, actor: str = SOFTWARE_AGENT) -> RepairReport:
        """Reconcile store, catalogue and outbox. Safe to run at any time, also concurrently with ingest.

        * pending post-commit work is executed (idempotent);
        * objects without rows older than the grace period are removed (they were never
          accepted: their catalogue commit did not happen); newer or locked ones are reported;
        * components whose bytes are missing are marked ``missing``, their record ``damaged``,
          with a failed fixity event; if the bytes come back (restored from backup) they are
          marked present again;
        * leftovers of interrupted writes are cleaned.

        Store and catalogue keys are merge-joined in sorted order, so memory stays flat at any size.
        """
        report = RepairReport()
        try:
            # The embedded default has no beat: each repair pass (at start, ``luutru repair``)
            # anchors the audit log's head, before this pass adds its own entry.
            report.anchored = self.anchor_audit() is not None
        except Exception as exc:  # noqa: BLE001 - a TSA that is down never stops the repair pass
            log.warning("anchoring the audit log failed: %s", exc)
        self.publish_anchors()
        report.outbox_done, report.outbox_failed = self._run_outbox(None, include_deferred=True)
        now = self.clock.now()
        cutoff = now - self.orphan_grace
        report.incomplete_removed = self.store.cleanup_incomplete(cutoff)

        from archive.staging import DepositStaging

        staged = DepositStaging(self.store).keys()  # deposits waiting for a worker: not orphans
        store_keys = iter(self.store.iter_keys())
        cat_keys = self._catalogue_keys()
        sk = next(store_keys, None)
        ck = next(cat_keys, None)
        while sk is not None or ck is not None:
            if ck is None or (sk is not None and sk < ck[0]):
                assert sk is not None  # ck is None here only when sk is not: the loop's condition
                if sk not in staged:
                    self._orphan(sk, cutoff, report)
                sk = next(store_keys, None)
            elif sk is None or ck[0] < sk:
                self._missing(ck[0], ck[1], report, actor)
                ck = next(cat_keys, None)
            else:
                if ck[1] == "missing":
                    self._restored(ck[0], report, actor)
                sk, ck = next(store_keys, None), next(cat_keys, None)
        with self.catalogue.session() as s:
            audit.append(s, at=now, actor=actor, action="archive.repair",
                         outcome="success" if report.clean else "warning",
                         detail={k: (len(v) if isinstance(v, list) else v) for k, v in report.as_dict().items()})
        return report

    def _orphan(self, key: str, cutoff: datetime, report: RepairReport) -> None:
        try:
            info = self.store.stat(key)
        except ObjectNotFound:
            return
        if info.modified_at is not None and info.modified_at > cutoff:
            report.orphans_kept.append(key)
            return
        # Check again: an ingest may have committed a row since the listing started.
        with self.catalogue.session() as s:
            if s.execute(sa.select(Component.id).where(Component.storage_key == key).limit(1)).first():
                return
        try:
            self.store.delete(key)
            report.orphans_removed.append(key)
        except ObjectLocked:
            report.orphans_kept.append(key)

    def mark_missing(self, key: str, *, actor: str, detected_by: str) -> list[dict[str, Any]]:
        """The bytes of ``key`` are not in the store (found by ``detected_by``): what the repair pass
        does (components ``missing``, records ``damaged``, failed fixity event, ``fixity.failed``).
        Returns the components concerned."""
        report = RepairReport()
        self._missing(key, "present", report, actor, detected_by=detected_by)
        return report.missing

    def mark_restored(self, key: str, *, actor: str) -> list[str]:
        """The bytes of ``key`` are back (and were found right): components marked ``missing`` are
        present again, their records active unless something else is wrong. Returns the records."""
        report = RepairReport()
        self._restored(key, report, actor)
        return report.restored

    def _missing(self, key: str, status: str, report: RepairReport, actor: str, *,
                 detected_by: str = "repair") -> None:
        now = self.clock.now()
        events: list[OutboxEntry] = []
        with self.catalogue.session() as s:
            # A record being destroyed lacks bytes by design: the destruction's resume pass
            # (retention) finishes it; it is neither damaged nor a fixity failure.
            comps = s.execute(sa.select(Component).join(Record, Record.id == Component.record_id).where(
                Component.storage_key == key, Component.status != "destroyed",
                Record.status != "disposing")).scalars().all()
            for comp in comps:
                report.missing.append({"record_id": comp.record_id, "component_id": comp.id, "role": comp.role,
                                       "storage_key": key})
                if comp.status == "missing":
                    continue
                comp.status = "missing"
                s.execute(sa.update(Record).where(Record.id == comp.record_id).values(status="damaged"))
                s.add(Event(record_id=comp.record_id, component_id=comp.id, event_type="fixity check",
                            occurred_at=now, agent=SOFTWARE_AGENT, outcome="failure",
                            detail=f"bytes of {comp.role} not found in the {self.store.name} store"))
                audit.append(s, at=now, actor=actor, action="fixity.missing", outcome="failure",
                             target_type="record", target_id=comp.record_id, detail={"storage_key": key})
                events += self.event_entries("fixity.failed", {"record_id": comp.record_id, "role": comp.role,
                                                               "detected_by": detected_by, "problem": "missing"},
                                             now=now)
            s.add_all(events)
            s.flush()
            event_ids = [e.id for e in events]
        self.run_post_commit(event_ids)

    def _restored(self, key: str, report: RepairReport, actor: str) -> None:
        now = self.clock.now()
        with self.catalogue.session() as s:
            comps = s.execute(sa.select(Component).where(Component.storage_key == key,
                                                         Component.status == "missing")).scalars().all()
            for comp in comps:
                comp.status = "present"
                report.restored.append(comp.record_id)
                s.add(Event(record_id=comp.record_id, component_id=comp.id, event_type="fixity check",
                            occurred_at=now, agent=SOFTWARE_AGENT, outcome="success",
                            detail="bytes found again in the store"))
                s.flush()
                if record_intact(s, comp.record_id):
                    s.execute(sa.update(Record).where(Record.id == comp.record_id,
                                                      Record.status == "damaged").values(status="active"))
                audit.append(s, at=now, actor=actor, action="fixity.restored", target_type="record",
                             target_id=comp.record_id, detail={"storage_key": key})


"""RecordIndexer: implements ``archive.ports.Indexer`` — catalogue record → index document.

``ArchiveService`` calls ``index``/``delete`` after each commit through its outbox, so a record is
searchable once its transaction is durable, and a crash in between is retried by the repair pass
(both calls are idempotent).

``reindex`` rebuilds everything in record-id order, in batches, with memory bounded by one batch:
rows are streamed with ``yield_per`` and a checkpoint (the last record id done) is kept by the
backend — a file in the embedded index folder, or the new index itself for OpenSearch — so an
interrupted reindex resumes where it stopped. ``check`` merge-joins the catalogue's ids with the
index's ids (both sorted) and reports what is missing from the index and what should not be there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from archive.catalogue import Catalogue, Component, Dossier, Fonds, Record
from archive.objects.base import ObjectStore
from search.backend import SearchBackend
from search.document import IndexDocument

log = logging.getLogger(__name__)
MAX_TEXT_BYTES = 8 * 1024 * 1024
"""Text beyond this is not indexed (a scanned register can extract to hundreds of MB)."""
NOT_INDEXED = ("disposing", "disposed")
"""A record being destroyed leaves the index before its bytes go (``archive.disposal``)."""


@dataclass
class CheckReport:
    catalogue: int = 0
    indexed: int = 0
    missing: list[str] = field(default_factory=list)
    """In the catalogue, not in the index."""
    extra: list[str] = field(default_factory=list)
    """In the index, not (or no longer) in the catalogue."""

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra)

    def as_dict(self) -> dict:
        return {"catalogue": self.catalogue, "indexed": self.indexed, "missing": self.missing,
                "extra": self.extra, "clean": self.clean}


@dataclass
class ReindexReport:
    indexed: int = 0
    resumed_after: str | None = None
    removed: int = 0

    def as_dict(self) -> dict:
        return {"indexed": self.indexed, "resumed_after": self.resumed_after, "removed": self.removed}


SEVERITY = ("invalid", "indeterminate", "valid_untrusted", "valid")
"""A record's signature status is the worst of its signatures' (ingest/signatures)."""


def _signature_status(extra: dict | None) -> str:
    extra = extra or {}
    signatures = extra.get("signatures")
    if isinstance(signatures, list):
        if not signatures:
            return "unsigned"
        statuses = {str(s.get("status", "")).lower() for s in signatures if isinstance(s, dict)}
        return next((level for level in SEVERITY if level in statuses), "unknown")
    status = extra.get("signature_status")
    if not status and isinstance(extra.get("signature"), dict):
        status = extra["signature"].get("status")
    return str(status) if status else "unknown"


def ocr_status(extra: dict | None) -> str:
    """The OCR of a record's scanned pages (``ingest.steps.ocr``): ``none`` (nothing was scanned),
    ``done``, ``low_confidence`` (a page below the threshold: for the archivist to check),
    ``pending`` (a background task), ``missing`` (not done: Tesseract missing, OCR off or failed)."""
    ocr = (extra or {}).get("ocr")
    if not isinstance(ocr, dict):
        return "none"
    status = ocr.get("status")
    if status == "done":
        return "low_confidence" if ocr.get("low_confidence") else "done"
    if status == "deferred":
        return "pending"
    if status == "not_needed":
        return "none"
    return "missing"


def _signed_by(extra: dict | None) -> str | None:
    names = []
    for s in (extra or {}).get("signatures") or []:
        if isinstance(s, dict):
            names += [str(s[k]) for k in ("signer", "organisation") if s.get(k)]
    return " ; ".join(dict.fromkeys(names)) or None


def _retention_status(extra: dict | None, dossier: Dossier | None) -> str:
    if extra and extra.get("retention_status"):
        return str(extra["retention_status"])
    if dossier is None:
        return "unassigned"
    if dossier.permanent:
        return "permanent"
    return "temporary" if dossier.retention_years else "unassigned"


class RecordIndexer:
    """Builds index documents from the catalogue and the object store, and feeds the backend."""

    def __init__(self, catalogue: Catalogue, store: ObjectStore, backend: SearchBackend):
        self.catalogue = catalogue
        self.store = store
        self.backend = backend

    # archive.ports.Indexer --------------------------------------------------------------------
    def index(self, record_ids: Sequence[str]) -> None:
        docs, gone = self._documents(record_ids)
        if gone:
            self.backend.delete(gone)
        if docs:
            self.backend.index(docs)

    def delete(self, record_ids: Sequence[str]) -> None:
        self.backend.delete(list(record_ids))

    # building documents -----------------------------------------------------------------------
    def _documents(self, record_ids: Sequence[str]) -> tuple[list[IndexDocument], list[str]]:
        ids = list(dict.fromkeys(record_ids))
        if not ids:
            return [], []
        with self.catalogue.session() as s:
            rows = s.execute(
                sa.select(Record, Dossier, Fonds)
                .outerjoin(Dossier, Record.dossier_id == Dossier.id)
                .outerjoin(Fonds, Record.fonds_id == Fonds.id)
                .where(Record.id.in_(ids))).all()
            texts = dict(s.execute(
                sa.select(Component.record_id, Component.storage_key)
                .where(Component.record_id.in_(ids), Component.role == "text", Component.status == "present",
                       Component.media_type.like("text/plain%"))
                .order_by(Component.created_at)).all())  # the newest text component wins
        docs: list[IndexDocument] = []
        for rec, dossier, fonds in rows:
            if rec.status in NOT_INDEXED:
                continue
            docs.append(self._document(rec, dossier, fonds, self._text(texts.get(rec.id))))
        kept = {d.record_id for d in docs}
        gone = [i for i in ids if i not in kept]  # unknown or disposed: make sure the index forgets it
        return docs, gone

    def _text(self, key: str | None) -> str | None:
        if key is None:
            return None
        with self.store.open(key) as reader:
            data = reader.read(MAX_TEXT_BYTES)
        return data.decode("utf-8", errors="replace")

    @staticmethod
    def _document(rec: Record, dossier: Dossier | None, fonds: Fonds | None, text: str | None) -> IndexDocument:
        return IndexDocument(
            record_id=rec.id, title=rec.subject, body=text, type_name=rec.type_name, code_number=rec.code_number,
            code_notation=rec.code_notation, issued_date=rec.issued_date, organ_name=rec.organ_name,
            signer_name=rec.signer_name, signer_position=rec.signer_position, place=rec.place,
            dossier_id=rec.dossier_id, dossier_code=dossier.code if dossier else None,
            dossier_title=dossier.title if dossier else None, fonds_id=rec.fonds_id,
            fonds_name=fonds.name if fonds else None, access_level=rec.access_level,
            signature_status=_signature_status(rec.extra), retention_status=_retention_status(rec.extra, dossier),
            ocr_status=ocr_status(rec.extra),
            signed_by=_signed_by(rec.extra))

    # rebuild and check ------------------------------------------------------------------------
    def _ordered(self, column):
        return column.collate("C") if self.catalogue.dialect == "postgresql" else column

    def _catalogue_ids(self, after: str | None = None, batch: int = 1000) -> Iterator[str]:
        q = sa.select(Record.id).where(Record.status.notin_(NOT_INDEXED)).order_by(self._ordered(Record.id))
        if after is not None:
            q = q.where(self._ordered(Record.id) > after)
        with self.catalogue.session() as s:
            for (rid,) in s.execute(q.execution_options(yield_per=batch)):
                yield rid

    def reindex(self, batch_size: int = 500) -> ReindexReport:
        """Rebuild the whole index; resumes from the backend's checkpoint after an interruption."""
        rebuild = self.backend.begin_rebuild()
        report = ReindexReport(resumed_after=rebuild.resume_after)
        batch: list[str] = []

        def flush() -> None:
            docs, _ = self._documents(batch)
            rebuild.index(docs)
            rebuild.checkpoint(batch[-1])
            report.indexed += len(docs)
            batch.clear()

        for rid in self._catalogue_ids(rebuild.resume_after, batch=max(batch_size, 100)):
            batch.append(rid)
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
        rebuild.finish()
        self.backend.refresh()
        extra = self.check().extra
        if extra:
            self.backend.delete(extra)
            report.removed = len(extra)
        return report

    def check(self, limit: int = 10_000) -> CheckReport:
        """Compare catalogue ids with index ids (merge-join of two sorted streams: the catalogue's is
        streamed; the embedded index holds its ids in memory, ~100 bytes each — ``iter_ids``).
        At most ``limit`` ids of each kind are listed; the counts are always complete."""
        report = CheckReport()
        cat, idx = self._catalogue_ids(), self.backend.iter_ids()
        c, i = next(cat, None), next(idx, None)
        while c is not None or i is not None:
            if i is None or (c is not None and c < i):
                assert c is not None  # i is None here only when c is not: the loop's condition
                report.catalogue += 1
                if len(report.missing) < limit:
                    report.missing.append(c)
                c = next(cat, None)
            elif c is None or i < c:
                report.indexed += 1
                if len(report.extra) < limit:
                    report.extra.append(i)
                i = next(idx, None)
            else:
                report.catalogue += 1
                report.indexed += 1
                c, i = next(cat, None), next(idx, None)
        return report

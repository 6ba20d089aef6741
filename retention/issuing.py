"""Issuing the Biên bản hủy tài liệu and the Danh mục tài liệu đã hủy of a destroyed batch.

``MinutesIssuer.issue`` runs once the destruction of a batch is complete (``DisposalService``):

1. **The number.** In one transaction, the batch row locked: the next number of the archive's
   register (``archive.registers``: ``05/BB-HTL``, per local year) and the moment are stored on the
   batch (``minutes_number``, ``minutes_issued_at``). A completion resumed after a crash finds them
   and issues the same document; two batches completing at once never share a number.
2. **The content**, as people read it: the agency of the fonds (its superior agency and place; the
   archive's own name and ``LUUTRU_ARCHIVE__PLACE`` when the fonds say nothing), the decision and
   the council's minutes by số ký hiệu and date, every person by name and title, the council's
   votes per dossier with the dissent, the documents by số ký hiệu and trích yếu, the totals.
3. **The documents**, filed in the batch's Hồ sơ hủy tài liệu (permanent, ``vn-system``/``HUY``):
   the list as CSV, then the minutes as a PDF signed (PAdES) with the archive's key and an RFC 3161
   signature timestamp from the archive's TSA (or the external TSA), stored with the evidence ingest
   would have stored — the signature report (``check_signatures``, the ingest validator, injected by
   the composition root since retention does not import ingest), an archive timestamp over the
   original, and the text — so ``luutru verify`` of the minutes passes.

Nothing here names a record, dossier or batch by its id in what people read.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import audit, registers
from archive.catalogue.access_tables import User
from archive.catalogue.models import Dossier, Fonds, Record
from archive.catalogue.retention_tables import (
    DestructionLogEntry,
    DisposalBatch,
    DisposalItem,
    DisposalVote,
    RetentionHold,
)
from archive.domain import RecordMetadata, dossier_code
from archive.errors import ArchiveError
from archive.keys import ensure_archive_identity
from archive.service import ArchiveService, DuplicateRecord, NewComponent, NewEvent
from retention import destroyed_list, minutes, schedules
from retention.hooks import KEY as RETENTION_KEY
from retention.hooks import system_request

log = logging.getLogger(__name__)
AGENT = "software:luutru minutes"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class MinutesError(ArchiveError):
    code = "minutes_not_issued"


@dataclass(frozen=True)
class MinutesConfig:
    """How the archive issues its documents (``api.retention_wiring`` builds it from the settings)."""

    organ_name: str | None = None
    """The archive's own agency: heads minutes whose documents come from several fonds (or none)."""
    place: str | None = None
    """Địa danh for a fonds without ``place`` (``LUUTRU_ARCHIVE__PLACE``)."""
    notation: str = "BB-HTL"
    """Ký hiệu of the minutes; the register is keyed by it."""
    keys_dir: Path | None = None
    """The archive's signing identity (``archive.keys``); None: the minutes are not signed."""
    timestamper: Callable[[], Any] | None = None
    """Builds the ``archive.timestamping.TimeStamper`` (``.pyhanko`` for the signature timestamp,
    ``.timestamp`` for the archive timestamp); None: neither."""
    check_signatures: Callable[[Path], dict] | None = None
    """Validates the signed PDF as ingest does: ``{"overall", "summaries", "findings", "report"}``."""


def people(s: Session, actors: Sequence[str | None]) -> dict[str, dict]:
    """Names and titles of the accounts behind ``actors`` (``user:…``), for every output."""
    names = {a.removeprefix("user:") for a in actors if a and a.startswith("user:")}
    rows: Iterable[User] = s.execute(sa.select(User).where(User.username.in_(sorted(names)))).scalars() if names else []
    out = {f"user:{u.username}": {"actor": f"user:{u.username}", "username": u.username,
                                  "full_name": u.full_name, "title": u.title} for u in rows}
    for a in actors:
        if a and a not in out:
            out[a] = {"actor": a, "username": None, "full_name": a, "title": None}
    return out


def _person(known: dict[str, dict], actor: str | None) -> minutes.Person:
    p = known.get(actor or "") or {"full_name": actor or "", "title": None}
    return minutes.Person(p["full_name"], p.get("title"))


def _local(at):
    return destroyed_list.local(at)


class MinutesIssuer:
    def __init__(self, archive: ArchiveService, config: MinutesConfig):
        self.archive = archive
        self.catalogue = archive.catalogue
        self.config = config

    # 1. the number -----------------------------------------------------------------------------
    def _lock(self, s: Session, batch_id: str) -> DisposalBatch:
        q = sa.select(DisposalBatch).where(DisposalBatch.id == batch_id)
        if self.catalogue.dialect == "postgresql":
            q = q.with_for_update()
        return s.execute(q).scalar_one()

    def number(self, batch_id: str, *, actor: str) -> tuple[str, Any]:
        """The batch's minutes number and date, taken from the register once (then kept)."""
        with self.catalogue.session() as s:
            batch = self._lock(s, batch_id)
            if batch.minutes_number is None:
                now = self.archive.clock.now()
                n = registers.take_number(s, self.config.notation, _local(now).year)
                batch.minutes_number, batch.minutes_issued_at = registers.format_number(n, self.config.notation), now
                audit.append(s, at=now, actor=actor, action="disposal.minutes_number", target_type="disposal_batch",
                             target_id=batch_id, detail={"number": batch.minutes_number,
                                                         "register": self.config.notation, "year": _local(now).year})
            return batch.minutes_number, batch.minutes_issued_at

    # 2. the content ----------------------------------------------------------------------------
    def document(self, s: Session, batch: DisposalBatch) -> tuple[minutes.MinutesDocument, list[dict], dict]:
        """The minutes as people read them, the list's rows, and facts for filing (fonds, file)."""
        cfg = self.config
        entries = s.execute(sa.select(DestructionLogEntry).where(
            DestructionLogEntry.batch_id == batch.id, DestructionLogEntry.state == "done")
            .order_by(DestructionLogEntry.done_at, DestructionLogEntry.id)).scalars().all()
        items = s.execute(sa.select(DisposalItem).where(DisposalItem.batch_id == batch.id)
                          .order_by(DisposalItem.added_at, DisposalItem.id)).scalars().all()
        dossiers = {d.id: d for d in s.execute(sa.select(Dossier).where(
            Dossier.id.in_([i.dossier_id for i in items] + [e.dossier_id for e in entries if e.dossier_id])))
            .scalars()}
        fonds = {f.id: f for f in s.execute(sa.select(Fonds).where(
            Fonds.id.in_({d.fonds_id for d in dossiers.values()}))).scalars()}
        used = [fonds[dossiers[e.dossier_id].fonds_id] for e in entries if e.dossier_id in dossiers]
        used = list({f.id: f for f in used}.values())
        votes = s.execute(sa.select(DisposalVote).where(DisposalVote.batch_id == batch.id)
                          .order_by(DisposalVote.id)).scalars().all()
        destroyers = [e.actor for e in entries]
        destroyer = max(set(destroyers), key=destroyers.count) if destroyers else None
        council = list(batch.council or [])
        known = people(s, [*council, batch.proposed_by, batch.approved_by, destroyer])
        docs: dict[str | None, Record] = {r.id: r for r in s.execute(sa.select(Record).where(Record.id.in_([x for x in (
            batch.decision_record_id, batch.council_minutes_record_id, batch.appraisal_record_id,
            batch.proposal_record_id) if x]))).scalars()}

        fonds_names: tuple[str, ...]
        if len(used) == 1:
            agency, superior, place, fonds_names = used[0].name, used[0].superior_name, used[0].place, ()
        else:
            agency, superior, place = cfg.organ_name or "Lưu trữ cơ quan", None, None
            fonds_names = tuple(f"{f.name} ({f.organ_id})" for f in used)
        place = place or cfg.place
        batch_number = f"{batch.seq}/{batch.year}" if batch.seq else _local(batch.proposed_at).strftime("%d/%m/%Y")
        grounds = ["Luật Lưu trữ số 33/2024/QH15 ngày 21 tháng 6 năm 2024",
                   "Thông tư số 06/2025/TT-BNV ngày 15 tháng 5 năm 2025 của Bộ Nội vụ"]
        grounds += [c for c in (
            destroyed_list.citation(docs.get(batch.decision_record_id), of=agency),
            destroyed_list.citation(docs.get(batch.council_minutes_record_id), "Biên bản họp Hội đồng xét hủy tài liệu"),
            destroyed_list.citation(docs.get(batch.appraisal_record_id), "Văn bản thẩm định")) if c]
        grounds.append(f"Danh mục tài liệu hết giá trị và Bản thuyết minh của đợt hủy số {batch_number}"
                       + (f" kèm {destroyed_list.citation(docs[batch.proposal_record_id])}"
                          if batch.proposal_record_id in docs else ""))

        by_dossier: dict[str | None, list[minutes.RecordEntry]] = {}
        for e in entries:
            meta = e.metadata_snapshot or {}
            original: dict[str, Any] = next((c for c in meta.get("components") or [] if c.get("role") == "original"), {})
            issued = destroyed_list._date(meta.get("issued_date"))
            by_dossier.setdefault(e.dossier_id, []).append(minutes.RecordEntry(
                reference=destroyed_list.record_reference(meta) if meta.get("code_number") and meta.get(
                    "code_notation") else f"{meta.get('type_name') or 'Văn bản'} không số",
                issued=minutes.dmy(issued), subject=meta.get("subject") or "", pages=meta.get("page_amount"),
                sha256=original.get("sha256") or "", size=int(original.get("size") or 0)))
        for recs in by_dossier.values():
            recs.sort(key=lambda r: (r.issued[6:] + r.issued[3:5] + r.issued[:2], r.reference))
        holds = {h.id: h for h in s.execute(sa.select(RetentionHold)).scalars()} if any(
            (i.note or "").startswith("phong tỏa") for i in items) else {}
        entries_vi = []
        for i in items:
            d = dossiers.get(i.dossier_id)
            if d is None:
                continue
            by_member = {v.member: v for v in votes if v.item_id in (None, i.id)}
            opinions = [minutes.Opinion(_person(known, m), by_member[m].vote if m in by_member else None,
                                        by_member[m].opinion if m in by_member else None) for m in council]
            entries_vi.append(minutes.DossierEntry(
                code=d.code, title=d.title, retention=d.retention, destroyed=i.state == "destroyed",
                approve=sum(1 for o in opinions if o.vote == "approve"), members=len(council),
                dissent=[o for o in opinions if o.vote != "approve"], records=by_dossier.get(d.id, []),
                note=self._note(i.note, holds)))
        entries_vi.sort(key=lambda d: d.code)
        times = [_local(e.done_at) for e in entries if e.done_at]
        assert batch.minutes_number is not None  # issue() takes the number before it builds the document
        doc = minutes.MinutesDocument(
            agency_name=agency, superior_name=superior, place=place, number=batch.minutes_number,
            issued_at=_local(batch.minutes_issued_at), batch_number=batch_number, batch_title=batch.title,
            grounds=grounds, proposer=_person(known, batch.proposed_by),
            council=[_person(known, m) for m in council], approver=_person(known, batch.approved_by),
            destroyer=_person(known, destroyer), dossiers=entries_vi,
            destroyed_from=min(times) if times else None, destroyed_to=max(times) if times else None,
            fonds=fonds_names)
        home = (used[0] if used else next(iter(fonds.values()), None)
                or s.execute(sa.select(Fonds).order_by(Fonds.created_at)).scalars().first())
        assert home is not None  # a destroyed batch has dossiers, so the catalogue has a fonds
        facts = {"organ_id": home.organ_id, "batch_number": batch_number, "year": batch.year or _local(batch.proposed_at).year,
                 "seq": batch.seq, "title": batch.title}
        return doc, destroyed_list.rows(s, batch.id), facts

    @staticmethod
    def _note(note: str | None, holds: dict) -> str | None:
        """An item's note in words: holds by their authority and reason, never by id."""
        if not note:
            return None
        if note.startswith("phong tỏa"):
            named = [f"{h.authority} — {h.reason}" for hid, h in holds.items() if hid in note]
            return "bị phong tỏa" + (f" theo yêu cầu của {'; '.join(named)}" if named else "")
        return _UUID.sub("", note).strip()

    # 3. the documents --------------------------------------------------------------------------
    def _destruction_file(self, facts: dict, *, actor: str, batch_id: str) -> str:
        """The batch's Hồ sơ hủy tài liệu (a permanent dossier, ``<organ>.<year>.HTL.<seq>``), created once."""
        now = self.archive.clock.now()
        with self.catalogue.session() as s:
            schedules.save_schedule(s, schedules.system_schedule(), actor=actor, at=now)
        year = facts["year"]
        notation = f"HTL.{facts['seq']:02d}" if facts["seq"] else f"HUY.{batch_id[:8]}"
        existing = self.archive.find_dossier(dossier_code(facts["organ_id"], year, notation))
        if existing:
            return existing
        today = _local(now).date()
        return self.archive.create_dossier(
            organ_id=facts["organ_id"], year=year, notation=notation, actor=actor, status="closed",
            start_date=today, end_date=today, title=f"Hồ sơ hủy tài liệu đợt {facts['batch_number']} — {facts['title']}"[:500],
            description="Biên bản hủy tài liệu và Danh mục tài liệu đã hủy; bảo quản vĩnh viễn")

    def _file(self, data: bytes, *, filename: str, media_type: str, dossier_id: str, actor: str,
              metadata: RecordMetadata, derivatives: Sequence[NewComponent] = (),
              events: Sequence[NewEvent] = ()) -> str:
        metadata.extra = {**(metadata.extra or {}), RETENTION_KEY: system_request(
            schedules.SYSTEM_CODE, schedules.DESTRUCTION_FILE_ITEM,
            "hồ sơ hủy tài liệu của kho lưu trữ: bảo quản vĩnh viễn")}
        try:
            return self.archive.create_record(io.BytesIO(data), filename=filename, media_type=media_type, actor=actor,
                                              dossier_id=dossier_id, metadata=metadata, derivatives=derivatives,
                                              events=events).record_id
        except DuplicateRecord as dup:  # a resumed completion: already filed
            return dup.record_id

    def _timestamp(self, stamper, data: bytes) -> tuple[list[NewComponent], list[NewEvent], list[str]]:
        """The archive timestamp over the original (as ingest's ArchiveTimestampStep): a TSA outage
        leaves a warning, and ``luutru timestamps renew`` adds the token later."""
        from archive.timestamping import timestamp_event_data

        if stamper is None:
            return [], [], []
        sha = hashlib.sha256(data).hexdigest()
        try:
            token = stamper.timestamp(bytes.fromhex(sha))
        except Exception as exc:  # noqa: BLE001 - the TSA is down: the document is still filed
            log.warning("archive timestamp of the minutes failed: %s", exc)
            return [], [], [f"archive timestamp not obtained ({type(exc).__name__}); `luutru timestamps renew` adds it"]
        data_ = timestamp_event_data(token, "original", sha, stamper.name)
        return ([NewComponent(io.BytesIO(token), "timestamp", "application/timestamp-token", "archive-timestamp.tst")],
                [NewEvent("timestamping", agent=AGENT, data=data_, detail=f"archive timestamp {data_['gen_time']}")],
                [])

    def _signature_evidence(self, pdf: bytes) -> tuple[list[NewComponent], list[NewEvent], dict]:
        check = self.config.check_signatures
        if check is None:
            return [], [], {}
        with tempfile.TemporaryDirectory(prefix="luutru-minutes-") as tmp:
            path = Path(tmp) / "bien-ban.pdf"
            path.write_bytes(pdf)
            outcome = check(path)
        if outcome["overall"] != "VALID":
            log.warning("the archive's own minutes validate as %s: %s", outcome["overall"], outcome["summaries"])
        report = json.dumps(outcome["report"], ensure_ascii=False, indent=1, default=str).encode()
        return ([NewComponent(io.BytesIO(report), "signature_report", "application/json", "signatures.json")],
                [NewEvent("digital signature validation", agent="software:pyHanko via luutru",
                          outcome="success" if outcome["overall"] == "VALID" else "warning",
                          detail=f"{len(outcome['summaries'])} signature(s): {outcome['overall']}",
                          data={"overall": outcome["overall"], "findings": outcome["findings"]})],
                {"signatures": outcome["summaries"], "signature_findings": outcome["findings"]})

    def issue(self, batch_id: str, *, actor: str) -> dict:
        """Issue (or find, when resumed) the minutes and the list of a destroyed batch."""
        number, _ = self.number(batch_id, actor=actor)
        with self.catalogue.session() as s:
            batch = s.get_one(DisposalBatch, batch_id)  # self.number() found it
            doc, rows, facts = self.document(s, batch)
        file_id = self._destruction_file(facts, actor=actor, batch_id=batch_id)
        code_number, _, notation = number.partition("/")
        issued = doc.issued_at.date()
        with self.catalogue.session() as s:
            existing = s.execute(sa.select(Record.id).where(
                Record.dossier_id == file_id, Record.code_number == code_number, Record.code_notation == notation,
                Record.issued_date == issued, Record.type_name == "Biên bản")).scalar()
        try:
            stamper = self.config.timestamper() if self.config.timestamper else None
        except Exception as exc:  # the archive's TSA key cannot be read or created
            raise self._unsigned(number, exc) from exc
        slug = f"{code_number}-{notation}-{issued.year}".lower()
        listing = destroyed_list.to_csv(rows)
        ts_c, ts_e, warnings = self._timestamp(stamper, listing) if existing is None else ([], [], [])
        register_id = self._file(
            listing, filename=f"danh-muc-tai-lieu-da-huy-{slug}.csv", media_type="text/csv", dossier_id=file_id,
            actor=actor, derivatives=[NewComponent(io.BytesIO(listing), "text", "text/plain; charset=utf-8",
                                                   "text.txt"), *ts_c], events=ts_e,
            metadata=RecordMetadata(type_name="Danh mục", organ_name=doc.agency_name[:200], issued_date=issued,
                                    place=(doc.place or None) and doc.place[:100],
                                    subject=f"Danh mục tài liệu đã hủy kèm Biên bản hủy tài liệu số {number}"[:500],
                                    extra={"disposal_batch": doc.batch_number, "disposal_batch_id": batch_id,
                                           "destroyed_records": len(rows)}))
        if existing is not None:
            return {"minutes_record_id": existing, "minutes_number": number, "register_record_id": register_id,
                    "place_missing": not doc.place, "warnings": []}
        pdf = minutes.render(doc)
        if self.config.keys_dir is not None:
            try:
                pdf = minutes.sign(pdf, ensure_archive_identity(self.config.keys_dir),
                                   timestamper=stamper.pyhanko if stamper is not None else None,
                                   location=doc.place)
            except Exception as exc:  # the TSA or the key: retried by destroy --resume
                raise self._unsigned(number, exc) from exc
        sig_c, sig_e, sig_extra = self._signature_evidence(pdf)
        ts_c, ts_e, more = self._timestamp(stamper, pdf)
        text, pages = self._text(pdf)
        minutes_id = self._file(
            pdf, filename=f"bien-ban-huy-tai-lieu-{slug}.pdf", media_type="application/pdf", dossier_id=file_id,
            actor=actor, derivatives=[NewComponent(io.BytesIO(text.encode()), "text", "text/plain; charset=utf-8",
                                                   "text.txt"), *sig_c, *ts_c], events=[*sig_e, *ts_e],
            metadata=RecordMetadata(
                type_name="Biên bản", code_number=code_number, code_notation=notation, issued_date=issued,
                organ_name=doc.agency_name[:200], place=(doc.place or None) and doc.place[:100], page_amount=pages,
                subject=f"Hủy tài liệu lưu trữ hết giá trị, đợt hủy số {doc.batch_number}"[:500],
                extra={"disposal_batch": doc.batch_number, "disposal_batch_id": batch_id,
                       "destroyed_records": len(rows), "register_record_id": register_id, **sig_extra}))
        return {"minutes_record_id": minutes_id, "minutes_number": number, "register_record_id": register_id,
                "place_missing": not doc.place, "warnings": warnings + more,
                "signatures": sig_extra.get("signatures")}

    @staticmethod
    def _unsigned(number: str, exc: Exception) -> MinutesError:
        return MinutesError(f"the destruction minutes {number} could not be signed and time-stamped: "
                            f"{type(exc).__name__}: {exc}",
                            f"Chưa ký số, gắn dấu thời gian được Biên bản hủy tài liệu số {number} "
                            f"({type(exc).__name__}: {exc}); việc hủy đã xong, số biên bản được giữ — chạy lại "
                            "`luutru retention destroy --resume` để lập biên bản")

    @staticmethod
    def _text(pdf: bytes) -> tuple[str, int]:
        """The minutes' text (searchable like any record's) and page count."""
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(pdf))
        return "\n".join(p.extract_text() or "" for p in reader.pages), len(reader.pages)

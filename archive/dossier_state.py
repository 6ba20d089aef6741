"""The state a dossier is in, kept right inside every catalogue transaction: its locks, whether
it takes records, the next document ordinal, and its dates and totals following its records.

**Lifecycle checks.** A dossier is ``open`` (đang lập) while documents are filed into it,
``closed`` (đã kết thúc, Decree 30 Điều 29.4) once its work has ended, ``disposed`` when the
destruction procedure has destroyed it. A closed dossier takes no record — by ingest, upload or
filing — and gives none away, until it is reopened with a reason (``archive.dossiers``). A
destroyed dossier, and one listed in a disposal batch under way, cannot change at all (the council
reviews a fixed list). The archive's own system dossiers (the Hồ sơ hủy tài liệu) are filled by the
archive through ``ArchiveService.create_record`` without ``require_open``.

**Dates and totals follow the records.** ``doc_total`` and ``page_total`` (DocTotal, PageTotal)
are filled by the system (Phụ lục VI III.1.g): the number of records filed in the dossier and the
sum of their page counts. The start and end dates are the period the archivist declared
(``declared_start_date``/``declared_end_date``, optional) widened to cover the dates of issue of
every record: a declared period may be wider than its documents, never narrower — the end date
starts the retention period, and a document later than a declared end must not make its dossier
due early (``dossier_fields.effective_dates``).

They are kept right by listeners on the sessions of each catalogue that ``install`` equips
(``ArchiveService`` installs them on its own catalogue's sessionmaker; nothing is registered on the
global ``Session`` class, so two archives in one process keep their own): after each flush they
note the dossiers whose records changed (a record created in one, filed in or out, its date of
issue or page count changed); just before the commit they recompute their totals and dates in the
same transaction and name them in ``session.info[RECOMPUTE]``. The *commit extensions* added with
``on_commit`` run right after, in the same ``before_commit`` listener and in the order they were
added: ``retention.hooks`` (installed by the wiring, ``api/wiring.py``) takes that set there and
re-evaluates their retention (``recompute_dossier``: the due date follows the end date; a record
filed out no longer lends its period). The kernel never imports retention; the listener is
registered first (``insert=True``) so the dates are refreshed, and retention decided, before any
other ``before_commit`` listener (the sidecars') sees the transaction. Code that changes these
columns with a bulk ``UPDATE`` (which no listener sees) calls ``touch``.

**Locks.** Every change takes its locks in one order — the audit head (``audit.append``
serialises writers on it; ``serialise`` takes it first), then the due-date lock shared (the
retention sweep takes it exclusive), then the dossier rows in id order ``FOR NO KEY UPDATE`` — so a
dossier cannot be closed between the check and the filing, and two filings never deadlock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive.catalogue.models import AuditHead, Dossier, Record
from archive.catalogue.retention_tables import DisposalBatch, DisposalItem
from archive.dossier_fields import effective_dates
from archive.errors import ArchiveError, RecordNotFound

if TYPE_CHECKING:
    from archive.catalogue import Catalogue

DUE_DATES_LOCK = 7314024
"""PostgreSQL advisory lock on due dates: the retention sweep takes it exclusively, every change
that may move a due date takes it shared (``retention.service`` uses this key)."""
FINISHED_BATCH_STATES = ("destroyed", "rejected", "withdrawn")
"""A disposal batch in any other state is under way: its dossiers are a fixed list."""
RECOMPUTE = "luutru.dossiers.recompute"
"""``session.info`` key: dossiers whose records or dates changed in this transaction; retention
re-evaluates them at the commit (``retention.hooks``)."""
_TOUCHED = "luutru.dossiers.touched"
_WATCHED = ("dossier_id", "issued_date", "page_amount")
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class DossierClosed(ArchiveError):
    """The dossier is closed: it takes (or gives) no record until it is reopened with a reason."""

    code = "dossier_closed"


class DossierLocked(ArchiveError):
    """The dossier is destroyed, or listed in a disposal batch under way: it cannot change."""

    code = "dossier_locked"


# locks ------------------------------------------------------------------------------------------

def lock_due_dates(s: Session, *, exclusive: bool) -> None:
    if s.get_bind().dialect.name == "postgresql":
        fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        s.execute(sa.text(f"select {fn}(:k)"), {"k": DUE_DATES_LOCK})


def serialise(s: Session) -> None:
    """Take the audit head first (what ``audit.append`` locks), so this transaction's later locks
    come in the order every writer uses, and its reads see every write committed before it."""
    s.execute(sa.update(AuditHead).where(AuditHead.id == 1).values(last_id=AuditHead.last_id))


def lock_dossiers(s: Session, ids: Iterable[str]) -> dict[str, Dossier]:
    """The dossiers, locked ``FOR NO KEY UPDATE`` in id order and read fresh (missing ids absent).
    The lock does not wait for the key-share locks that inserting a record takes."""
    lock_due_dates(s, exclusive=False)
    out = {}
    for did in sorted(set(ids)):
        d = s.execute(sa.select(Dossier).where(Dossier.id == did).with_for_update(key_share=True)
                      .execution_options(populate_existing=True)).scalar()
        if d is not None:
            out[did] = d
    return out


def in_running_batch(s: Session, dossier_id: str) -> str | None:
    """The id of the disposal batch under way that lists this dossier, if any."""
    return s.execute(sa.select(DisposalBatch.id).join(DisposalItem, DisposalItem.batch_id == DisposalBatch.id).where(
        DisposalItem.dossier_id == dossier_id, DisposalItem.state == "listed",
        DisposalBatch.state.not_in(FINISHED_BATCH_STATES)).limit(1)).scalar()


def check_changeable(s: Session, d: Dossier) -> None:
    """``DossierLocked`` when the dossier is destroyed or in a disposal batch under way."""
    if d.status == "disposed":
        raise DossierLocked(f"dossier {d.code} has been destroyed", f"Hồ sơ {d.code} đã bị hủy, không thay đổi được")
    batch = in_running_batch(s, d.id)
    if batch:
        raise DossierLocked(f"dossier {d.code} is listed in disposal batch {batch} under way",
                            f"Hồ sơ {d.code} đang nằm trong đợt hủy {batch[:8]} chưa kết thúc: không thay đổi được "
                            "(đưa hồ sơ ra khỏi đợt hủy trước)")


def check_accepts_records(s: Session, d: Dossier) -> None:
    """``DossierClosed`` / ``DossierLocked`` unless records may be filed into (or out of) it now."""
    check_changeable(s, d)
    if d.status != "open":
        since = f" từ {d.closed_at.astimezone(VN_TZ):%d/%m/%Y}" if d.closed_at else ""
        raise DossierClosed(f"dossier {d.code} is closed; reopen it (with a reason) first",
                            f"Hồ sơ {d.code} đã kết thúc (đóng){since}: muốn thêm hoặc bớt văn bản phải mở lại hồ sơ, "
                            f"ghi rõ lý do (luutru dossiers reopen {d.code} --reason …)")


def next_ordinal(s: Session, dossier_id: str, *, exclude: Sequence[str] = ()) -> int:
    """The next Số thứ tự văn bản trong hồ sơ (DocOrdinal): after the highest given (an ordinal once
    given is cited, e.g. in the mã lưu trữ tài liệu, so records leaving do not renumber the rest)."""
    q = sa.select(sa.func.max(Record.doc_ordinal)).where(Record.dossier_id == dossier_id)
    if exclude:
        q = q.where(Record.id.not_in(list(exclude)))
    return int(s.execute(q).scalar() or 0) + 1


def accept_record(s: Session, record: Record, *, require_open: bool) -> None:
    """For ``ArchiveService.create_record``: lock the record's dossier (after the audit head, which
    the caller holds), refuse a closed one when ``require_open``, give the next ordinal."""
    d = lock_dossiers(s, [record.dossier_id]).get(record.dossier_id) if record.dossier_id is not None else None
    if d is None:
        raise RecordNotFound(f"no dossier {record.dossier_id}", f"Không có hồ sơ {record.dossier_id}")
    if require_open:
        check_accepts_records(s, d)
    if record.doc_ordinal is None:
        record.doc_ordinal = next_ordinal(s, d.id, exclude=[record.id])


# dates and totals follow the records ------------------------------------------------------------

def touch(s: Session, *dossier_ids: str | None) -> None:
    """Have these dossiers' totals and dates recomputed (and retention re-evaluated) at commit."""
    s.info.setdefault(_TOUCHED, set()).update(d for d in dossier_ids if d)


def refresh(s: Session, dossier_id: str) -> bool:
    """Recompute the dossier's totals and effective dates from its records now; True if the dates
    changed. A destroyed dossier keeps what it had."""
    d = lock_dossiers(s, [dossier_id]).get(dossier_id)
    if d is None or d.status == "disposed":
        return False
    n, pages, first, last = s.execute(sa.select(
        sa.func.count(Record.id), sa.func.coalesce(sa.func.sum(Record.page_amount), 0),
        sa.func.min(Record.issued_date), sa.func.max(Record.issued_date)).where(Record.dossier_id == dossier_id)).one()
    start, end = effective_dates(d.declared_start_date, d.declared_end_date, first, last)
    changed = (d.start_date, d.end_date) != (start, end)
    d.doc_total, d.page_total, d.start_date, d.end_date = int(n or 0), int(pages or 0), start, end
    return changed


def _note_record_changes(session: Session, _ctx: object) -> None:
    ids: set[str] = set()
    for obj in session.new:
        if isinstance(obj, Record) and obj.dossier_id:
            ids.add(obj.dossier_id)
    for obj in session.dirty:
        if not isinstance(obj, Record):
            continue
        state = sa.inspect(obj)
        moved = state.attrs.dossier_id.history
        if moved.has_changes():
            ids.update(d for d in (*moved.added, *moved.deleted) if d)
        if obj.dossier_id and any(state.attrs[a].history.has_changes() for a in _WATCHED[1:]):
            ids.add(obj.dossier_id)
    if ids:
        touch(session, *ids)


def _refresh_touched(session: Session) -> None:
    session.flush()  # changes still pending are noted by this flush
    ids = session.info.pop(_TOUCHED, None)
    if not ids:
        return
    for did in sorted(ids):
        refresh(session, did)
    session.flush()
    session.info.setdefault(RECOMPUTE, set()).update(ids)


def _forget(session: Session, _previous: object) -> None:
    session.info.pop(_TOUCHED, None)
    session.info.pop(RECOMPUTE, None)


CommitExtension = Callable[[Session], None]
_EXTENSIONS = "_luutru_commit_extensions"


def install(catalogue: Catalogue) -> None:
    """Keep the dossiers' dates and totals right in every session of this catalogue (once per
    catalogue; ``ArchiveService`` calls it). Listeners go on the catalogue's own sessionmaker,
    never on the global ``Session`` class."""
    maker = catalogue.sessionmaker
    if hasattr(maker, _EXTENSIONS):
        return
    extensions: list[CommitExtension] = []
    setattr(maker, _EXTENSIONS, extensions)

    def before_commit(session: Session) -> None:
        _refresh_touched(session)
        for extension in list(extensions):
            extension(session)

    sa.event.listen(maker, "after_flush", _note_record_changes)
    sa.event.listen(maker, "before_commit", before_commit, insert=True)
    sa.event.listen(maker, "after_soft_rollback", _forget)


def on_commit(catalogue: Catalogue, extension: CommitExtension) -> bool:
    """Run ``extension(session)`` at each commit of this catalogue's sessions, right after the
    dossiers' dates are refreshed and before every other ``before_commit`` listener (how retention
    decides in the record's own transaction). Added once: False if it already was."""
    install(catalogue)
    extensions: list[CommitExtension] = getattr(catalogue.sessionmaker, _EXTENSIONS)
    if extension in extensions:
        return False
    extensions.append(extension)
    return True


def extensions(catalogue: Catalogue) -> tuple[CommitExtension, ...]:
    """The commit extensions installed on this catalogue (none before ``install``)."""
    return tuple(getattr(catalogue.sessionmaker, _EXTENSIONS, ()))

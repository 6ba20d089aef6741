"""Managing the quarantine: list, show, release after correction, discard with a reason.

``release`` runs the kept file through the same ingest pipeline as a deposit, with the corrected
declared metadata and target dossier; the entry leaves the quarantine only once the outcome is
``ingested`` or ``duplicate`` (the record holds the file). Rejected again, it stays, with the new
reason first and the old ones in ``history``. ``discard`` deletes the file for a reason that is
required, and leaves a permanent trace: an audit entry (``quarantine.discard``: what, SHA-256, who,
when, why) and ``_log/discarded/<id>.json`` outside the deleted folder.

Crash safety. Each action holds the entry's lock (``Quarantine.locked``: two processes never
release one entry twice; the second is told the entry is busy, or gone) and first writes its
intent (``release.json``, ``discard.json``) into the entry. After a crash, ``repair`` (run by
``luutru repair`` and every repair pass of the archive — a hook registered in ``api.wiring`` —,
and by every list, release and discard) finds an intent whose lock is free and settles it from what
is durable: a release whose file is in the catalogue (its SHA-256 is an original's) is finished —
audit, trace, folder removed —, one whose file is not is undone (the entry stays as it was); a
discard is finished. Both write the audit entry before the trace file and skip it when the trace
is there: a crash may repeat the audit entry, never lose it. A crash therefore leaves the entry or
the record, never neither, and never both for long. It also settles the entries a crash left half
put (``Quarantine.settle_puts``).

Entries are shown with the submitter as people know them (``submitter_name``: the person's full
name and title, or the connected system's name and description; the actor only when the account
is unknown), and the submitter filter matches the name as well as the actor.
"""

from __future__ import annotations

import builtins
import hashlib
import logging
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.service import NewEvent
from ingest.pipeline import SourceFile
from ingest.quarantine import EntryBusy, EntryNotFound, Quarantine, QuarantineFilter, QuarantineInvalid, write_json

log = logging.getLogger(__name__)

MAX_REASON = 2000
REPAIR_ACTOR = "software:luutru (quarantine repair)"


class NothingToRelease(QuarantineInvalid):
    """The entry has no file (the source could not be read when it was rejected)."""

    code = "conflict"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat()


class QuarantineService:
    """``quarantine``: the folders; ``archive``: the ``ArchiveService`` (the catalogue's originals,
    the audit log); ``ingest``: a function giving the ``IngestService`` whose pipeline releases
    entries (built on the first release only: listing needs no extraction pool)."""

    def __init__(self, quarantine: Quarantine, archive, ingest: Callable[[], Any]):
        self.quarantine = quarantine
        self.archive = archive
        self._ingest = ingest

    # reading ------------------------------------------------------------------------------------
    def list(self, flt: QuarantineFilter | None = None) -> list[dict]:
        self.repair()
        flt = flt or QuarantineFilter()
        named = self._named(self.quarantine.entries())
        return [e for e in named if flt.matches(e)]

    def show(self, ref: str) -> dict:
        entry = self.quarantine.entry(self.quarantine.find(ref))
        if entry is None:
            raise EntryNotFound(f"no quarantine entry {ref}", f"Không tìm thấy mục cách ly {ref}")
        return self._named([entry])[0]

    def _named(self, entries: builtins.list[dict]) -> builtins.list[dict]:
        """``entries`` with ``submitter_name`` (the catalogue's names of people and systems)."""
        names: dict[str, str] = {}
        actors = sorted({e["submitter"] for e in entries if e.get("submitter")})
        if actors and self.archive is not None:
            from archive.audit_labels import actor_names

            with self.archive.catalogue.session() as s:
                names = actor_names(s, actors)
        for e in entries:
            e["submitter_name"] = names.get(e.get("submitter") or "", e.get("submitter"))
        return entries

    def file(self, ref: str) -> tuple[Path, dict]:
        """The kept file of an entry (to send) and the entry."""
        folder = self.quarantine.find(ref)
        entry = self.quarantine.entry(folder)
        path = self.quarantine.kept_file(folder)
        if entry is None or path is None:
            raise EntryNotFound(f"quarantine entry {ref} holds no file",
                                f"Mục cách ly {ref} không có tệp (tệp nguồn không đọc được khi bị từ chối)")
        return path, entry

    def history(self, kind: str) -> builtins.list[dict]:
        """The traces of entries ``released`` or ``discarded``, newest first."""
        return self.quarantine.traces(kind)

    # release ------------------------------------------------------------------------------------
    def release(self, ref: str, *, actor: str, declared: dict[str, Any] | None = None,
                dossier_code: str | None = None, client: str | None = None, address: str | None = None) -> dict:
        """Ingest the entry's file again with the corrected ``declared`` metadata (merged over what
        was declared; ``""`` removes a field) and ``dossier_code`` (None: as before; ``""``: none).
        The caller checks the metadata and the dossier as for a deposit. Returns the outcome
        (``Outcome.as_dict`` with ``entry_id``; ``released``: whether the entry left)."""
        self.repair()
        folder = self.quarantine.find(ref)
        with self.quarantine.locked(folder) as data:
            kept = self.quarantine.kept_file(folder)
            if kept is None:
                raise NothingToRelease(f"quarantine entry {folder.name} holds no file; it can only be discarded",
                                       f"Mục cách ly {folder.name} không có tệp (tệp nguồn không đọc được khi bị "
                                       "từ chối): chỉ có thể hủy")
            merged = {k: v for k, v in {**(data.get("declared") or {}), **(declared or {})}.items() if v not in (None, "")}
            dossier = data.get("dossier_code") if dossier_code is None else (dossier_code or None)
            intent = {"actor": actor, "at": _now(), "declared": merged, "dossier_code": dossier}
            write_json(folder / "release.json", intent)
            source = SourceFile(
                path=kept, submit_name=data.get("name") or kept.name, submitter=actor, declared=merged,
                dossier_code=dossier, source="quarantine",
                extra={"quarantine": {"id": folder.name, "code": data.get("code"), "at": data.get("at"),
                                      "submitter": data.get("submitter")}},
                events=(NewEvent("quarantine release", agent=actor,
                                 detail=f"released from quarantine entry {folder.name} "
                                        f"(rejected {data.get('code')} at {data.get('at')})",
                                 data={"entry_id": folder.name, "code": data.get("code"),
                                       "submitter": data.get("submitter")}),))
            try:
                outcome = self._ingest().run(source, keep_rejected=False).as_dict()
            except BaseException:
                self._settle_release(folder, data, actor=REPAIR_ACTOR)  # a record committed stays; else undone
                raise
            outcome.pop("quarantine", None)
            if outcome["outcome"] in ("ingested", "duplicate"):
                self._finish_release(folder, data, intent, outcome, client=client, address=address)
                return {"entry_id": folder.name, "released": True, **outcome}
            history = [*(data.get("history") or []), {k: data.get(k) for k in ("code", "message_vi", "message_en", "at")}]
            write_json(folder / "reason.json", {**data, "code": outcome["code"], "message_vi": outcome["message_vi"],
                                                "message_en": outcome["message_en"], "at": _now(),
                                                "sha256": outcome.get("sha256") or data.get("sha256"),
                                                "declared": merged, "dossier_code": dossier, "history": history})
            (folder / "release.json").unlink(missing_ok=True)
            self._audit("quarantine.release", folder.name, actor, "rejected", client, address,
                        code=outcome["code"], previous_code=data.get("code"), sha256=outcome.get("sha256"))
            return {"entry_id": folder.name, "released": False, **outcome}

    def _finish_release(self, folder: Path, data: dict, intent: dict, outcome: dict, *, client=None, address=None,
                        repaired: bool = False) -> None:
        trace = {"id": folder.name, "kind": "released", "name": data.get("name") or data.get("file"),
                 "sha256": outcome.get("sha256"), "code": data.get("code"), "message_vi": data.get("message_vi"),
                 "submitter": data.get("submitter"), "rejected_at": data.get("at"), "actor": intent.get("actor"),
                 "at": _now(), "outcome": outcome["outcome"], "record_id": outcome.get("record_id"),
                 "declared": intent.get("declared"), "dossier_code": intent.get("dossier_code"), "repaired": repaired}
        # The audit entry first: a crash before the trace file repeats it (two entries), never loses it.
        self._audit("quarantine.release", folder.name, intent.get("actor") or REPAIR_ACTOR, "success", client, address,
                    result=outcome["outcome"], record_id=outcome.get("record_id"), sha256=outcome.get("sha256"),
                    code=data.get("code"), repaired=repaired or None)
        self.quarantine.write_trace("released", folder.name, trace)
        self.quarantine.remove(folder)

    def _settle_release(self, folder: Path, data: dict, *, actor: str) -> str:
        """An interrupted release: finished if its file is an original in the catalogue, else undone."""
        import json

        try:
            intent = json.loads((folder / "release.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            intent = {"actor": actor}
        if self.quarantine.trace("released", folder.name) is not None:
            self.quarantine.remove(folder)  # audited and traced: only the removal was missing
            return "finished"
        kept = self.quarantine.kept_file(folder)
        sha = sha256_of(kept) if kept is not None else None
        record_id = self.archive.find_original(sha) if sha and self.archive is not None else None
        if record_id:
            self._finish_release(folder, data, intent, {"outcome": "ingested", "record_id": record_id, "sha256": sha},
                                 repaired=True)
            return "finished"
        (folder / "release.json").unlink(missing_ok=True)
        return "undone"

    # discard ------------------------------------------------------------------------------------
    def discard(self, ref: str, *, actor: str, reason: str | None, client: str | None = None,
                address: str | None = None) -> dict:
        """Delete the entry's file for ``reason`` (required); returns the permanent trace."""
        why = unicodedata.normalize("NFC", (reason or "").strip())
        if not why:
            raise QuarantineInvalid("a reason is required to discard a quarantined file",
                                    "Cần ghi lý do hủy tệp trong khu cách ly")
        if len(why) > MAX_REASON:
            raise QuarantineInvalid(f"the reason is longer than {MAX_REASON} characters",
                                    f"Lý do dài quá {MAX_REASON} ký tự")
        self.repair()
        folder = self.quarantine.find(ref)
        with self.quarantine.locked(folder) as data:
            kept = self.quarantine.kept_file(folder)
            trace = {"id": folder.name, "kind": "discarded", "name": data.get("name") or data.get("file"),
                     "size": kept.stat().st_size if kept is not None else None,
                     "sha256": sha256_of(kept) if kept is not None else data.get("sha256"),
                     "code": data.get("code"), "message_vi": data.get("message_vi"),
                     "submitter": data.get("submitter"), "rejected_at": data.get("at"), "actor": actor,
                     "client": client, "address": address, "at": _now(), "reason": why}
            write_json(folder / "discard.json", trace)
            self._finish_discard(folder, trace)
            return trace

    def _finish_discard(self, folder: Path, trace: dict, *, repaired: bool = False) -> None:
        # The audit entry first: a crash before the trace file repeats it (two entries), never loses it.
        self._audit("quarantine.discard", folder.name, trace["actor"], "success", trace.get("client"),
                    trace.get("address"), **{k: trace.get(k) for k in ("name", "size", "sha256", "code", "reason",
                                                                        "submitter", "rejected_at")},
                    repaired=repaired or None)
        self.quarantine.write_trace("discarded", folder.name, trace)
        self.quarantine.remove(folder)

    # repair -------------------------------------------------------------------------------------
    def repair(self) -> dict[str, Any]:
        """Settle what a crash interrupted (see the module's docstring). Returns counts, and under
        ``review`` the ids of the entries a person must look at (``interrupted``, until released or
        discarded)."""
        import json
        import shutil

        counts: dict[str, Any] = {"finished": 0, "undone": 0, "discarded": 0, "cleaned": 0}
        for gone in list(self.quarantine.leftovers()):
            shutil.rmtree(gone, ignore_errors=True)
            counts["cleaned"] += 1
        puts = self.quarantine.settle_puts()
        for folder in list(self.quarantine.folders()):
            if not ((folder / "release.json").exists() or (folder / "discard.json").exists()):
                continue
            try:
                with self.quarantine.locked(folder) as data:
                    if (folder / "discard.json").exists():
                        trace = json.loads((folder / "discard.json").read_text(encoding="utf-8"))
                        if self.quarantine.trace("discarded", folder.name) is None:
                            self._finish_discard(folder, trace, repaired=True)
                        else:
                            self.quarantine.remove(folder)
                        counts["discarded"] += 1
                    elif (folder / "release.json").exists():
                        counts[self._settle_release(folder, data, actor=REPAIR_ACTOR)] += 1
            except (EntryBusy, EntryNotFound):
                continue  # busy (someone is at it now) or gone meanwhile
            except OSError as exc:
                log.warning("quarantine entry %s could not be repaired: %s", folder.name, exc)
        counts.update({k: len(v) for k, v in puts.items()})
        if any(counts.values()):
            log.warning("quarantine repair: %s (abandoned puts: %s)", counts, puts["abandoned"])
        if puts["interrupted"]:
            self._audit("quarantine.repair", None, REPAIR_ACTOR, "warning", None, None,
                        interrupted=puts["interrupted"])
        # still to be looked at by a person, from this pass or an earlier one
        counts["review"] = [e["id"] for e in self.quarantine.entries() if e.get("code") == "interrupted"]
        return counts

    def _audit(self, action: str, entry_id: str | None, actor: str, outcome: str, client, address, **detail) -> None:
        if self.archive is None:
            return
        self.archive.audit_access(actor=actor, client=client, address=address, action=action,
                                  target_type="quarantine", target_id=entry_id, outcome=outcome,
                                  detail={k: v for k, v in detail.items() if v is not None})


__all__ = ["MAX_REASON", "NothingToRelease", "QuarantineService", "sha256_of"]

"""The quarantine (khu cách ly): every rejected file is kept with its reason; nothing is dropped silently.

Layout under ``settings.quarantine_dir`` (``<data>/quarantine``) — a folder of the machine whose
ingest rejected the file (in scale-out, the worker's own data folder):

``<YYYY-MM-DD>/<id>/<file name>`` plus ``reason.json``
    one entry; ``<id>`` is 32 hex digits (the entry's id everywhere: CLI, HTTP, pages); the day is
    the UTC day it was rejected. The file is copied (the source may be a user's folder) with fsync,
    then the reason is written (atomically: a reader never sees half a ``reason.json``).
``<YYYY-MM-DD>/<id>/.lock``
    taken (``flock``) by whoever releases or discards the entry: two processes never act on one
    entry at once, and the kernel drops the lock of a process that dies.
``<YYYY-MM-DD>/<id>/release.json`` / ``discard.json``
    written before a release or a discard starts: after a crash the next run knows what was being
    done and finishes or undoes it (``ingest.quarantine_service.QuarantineService.repair``).
``_log/released/<id>.json``, ``_log/discarded/<id>.json``
    the permanent trace of an entry that left the quarantine (what, SHA-256, who, when, why,
    the record it became), kept outside the deleted folder.

Entry ids and filters come from people and URLs: ``parse_ref`` and ``QuarantineFilter.parse`` accept
only what they name (hex digits, a date) and never a path, so ``../../etc`` names no folder.
"""

from __future__ import annotations

import builtins
import fcntl
import json
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from archive.domain import safe_filename
from archive.errors import ArchiveError
from archive.objects.filesystem import fsync_dir

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ENTRY_ID = re.compile(r"^[0-9a-f]{32}$")
REF = re.compile(r"^[0-9a-f]{6,32}$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LOG = "_log"
MAX_SUBMITTER = 200


class QuarantineInvalid(ArchiveError):
    """An entry id or a filter that cannot name anything (not hex digits, a bad date…)."""

    code = "invalid_request"


class EntryNotFound(ArchiveError):
    code = "not_found"


class EntryAmbiguous(ArchiveError):
    code = "ambiguous_reference"


class EntryBusy(ArchiveError):
    """Someone else is releasing or discarding this entry right now."""

    code = "conflict"


def parse_ref(text: str | None) -> str:
    """An entry id or a unique prefix of one (6 to 32 hex digits, any case, spaces around)."""
    ref = (text or "").strip().lower()
    if not REF.match(ref):
        raise QuarantineInvalid(f"{(text or '')[:40]!r} is not a quarantine entry id (6 to 32 hex digits)",
                                f"Mã mục cách ly không hợp lệ: «{(text or '')[:40]}» (cần 6 đến 32 chữ số hệ 16)")
    return ref


def parse_day(text: str) -> date:
    """A day as ``YYYY-MM-DD`` or ``dd/mm/yyyy``."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        pass
    raise QuarantineInvalid(f"{value[:40]!r} is not a date (dd/mm/yyyy or YYYY-MM-DD)",
                            f"Ngày không hợp lệ: «{value[:40]}» (dạng dd/mm/yyyy hoặc YYYY-MM-DD)")


@dataclass(frozen=True)
class QuarantineFilter:
    """Which entries to list: the rejection code, the local day range (Asia/Ho_Chi_Minh) in which
    they were rejected, and the submitter (the actor, or a part of it, any case)."""

    code: str | None = None
    since: date | None = None
    until: date | None = None
    submitter: str | None = None

    @classmethod
    def parse(cls, *, code: str | None = None, day: str | None = None, since: str | None = None,
              until: str | None = None, submitter: str | None = None) -> QuarantineFilter:
        code = (code or "").strip().lower() or None
        if code is not None and not CODE.match(code):
            raise QuarantineInvalid(f"{code[:40]!r} is not a rejection code",
                                    f"Mã lý do không hợp lệ: «{code[:40]}»")
        start = parse_day(since) if since and since.strip() else None
        end = parse_day(until) if until and until.strip() else None
        if day and day.strip():
            if start or end:
                raise QuarantineInvalid("give a day or a range, not both",
                                        "Chỉ chọn một ngày hoặc một khoảng ngày, không cả hai")
            start = end = parse_day(day)
        if start and end and start > end:
            raise QuarantineInvalid("the range ends before it starts", "Khoảng ngày kết thúc trước khi bắt đầu")
        who = unicodedata.normalize("NFC", (submitter or "").strip())[:MAX_SUBMITTER] or None
        return cls(code=code, since=start, until=end, submitter=who)

    def matches(self, entry: dict) -> bool:
        if self.code and entry.get("code") != self.code:
            return False
        if self.since or self.until:
            day = local_day(entry.get("at"))
            if day is None or (self.since and day < self.since) or (self.until and day > self.until):
                return False
        return not (self.submitter and self.submitter.casefold() not in str(entry.get("submitter") or "").casefold())


def local_day(at: str | None) -> date | None:
    try:
        when = datetime.fromisoformat(at or "")
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(VN_TZ).date()


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` atomically and durably (temporary file, fsync, rename, fsync of the folder)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


class Quarantine:
    """The folders of the quarantine (see the module's docstring); no catalogue, no audit: those
    are ``QuarantineService``'s."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def put(self, path: Path, *, name: str, code: str, message_vi: str, message_en: str,
            sha256: str | None, submitter: str, source: str, declared: Mapping[str, Any] | None = None,
            dossier_code: str | None = None) -> Path:
        now = datetime.now(UTC)
        folder = self.root / now.strftime("%Y-%m-%d") / uuid.uuid4().hex
        folder.mkdir(parents=True)
        target = folder / safe_filename(name)
        if path.is_file():
            with open(path, "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
                dst.flush()
                os.fsync(dst.fileno())
        reason = {"code": code, "message_vi": message_vi, "message_en": message_en, "sha256": sha256,
                  "file": target.name if path.is_file() else None, "name": name, "source_path": str(path),
                  "submitter": submitter, "source": source, "at": now.isoformat(),
                  "declared": {k: str(v) for k, v in (declared or {}).items()}, "dossier_code": dossier_code}
        write_json(folder / "reason.json", reason)
        return folder

    def list(self) -> list[dict]:
        """Every entry's ``reason.json`` with its ``folder`` (the raw form; see ``entries``)."""
        out = []
        for folder in self.folders():
            data = self.read(folder)
            if data is not None:
                data["folder"] = str(folder)
                out.append(data)
        return out

    # entries ------------------------------------------------------------------------------------
    def folders(self) -> Iterator[Path]:
        """The entry folders, oldest day first: only ``<YYYY-MM-DD>/<32 hex>`` (no log, no stray names)."""
        if not self.root.is_dir():
            return
        for day in sorted(self.root.iterdir()):
            if not (DAY.match(day.name) and day.is_dir()):
                continue
            for folder in sorted(day.iterdir()):
                if ENTRY_ID.match(folder.name) and folder.is_dir():
                    yield folder

    @staticmethod
    def read(folder: Path) -> dict | None:
        try:
            return json.loads((folder / "reason.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None  # being written (put) or being removed (release, discard)

    def entry(self, folder: Path) -> dict | None:
        """The public form of one entry (no server path), or None if it is gone."""
        data = self.read(folder)
        if data is None:
            return None
        kept = folder / data["file"] if data.get("file") else None
        size = kept.stat().st_size if kept is not None and kept.is_file() else None
        state = ("releasing" if (folder / "release.json").exists() else
                 "discarding" if (folder / "discard.json").exists() else "kept")
        return {"id": folder.name, "day": folder.parent.name, "at": data.get("at"), "code": data.get("code"),
                "message_vi": data.get("message_vi"), "message_en": data.get("message_en"),
                "name": data.get("name") or data.get("file"), "file": data.get("file"), "size": size,
                "sha256": data.get("sha256"), "submitter": data.get("submitter"), "source": data.get("source"),
                "declared": data.get("declared") or {}, "dossier_code": data.get("dossier_code"),
                "history": data.get("history") or [], "state": state}

    def entries(self, flt: QuarantineFilter | None = None) -> builtins.list[dict]:
        """The entries matching ``flt``, newest first."""
        flt = flt or QuarantineFilter()
        out = [e for e in (self.entry(f) for f in self.folders()) if e is not None and flt.matches(e)]
        return sorted(out, key=lambda e: e.get("at") or "", reverse=True)

    def find(self, ref: str) -> Path:
        """The folder of the entry ``ref`` names (an id or a unique prefix: ``parse_ref``)."""
        ref = parse_ref(ref)
        found = [f for f in self.folders() if f.name.startswith(ref)]
        if not found:
            raise EntryNotFound(f"no quarantine entry {ref}", f"Không tìm thấy mục cách ly {ref}")
        if len(found) > 1:
            raise EntryAmbiguous(f"{ref} names {len(found)} quarantine entries; give more digits",
                                 f"Mã {ref} trùng với {len(found)} mục cách ly; hãy nhập thêm chữ số")
        return found[0]

    def kept_file(self, folder: Path) -> Path | None:
        data = self.read(folder)
        if not data or not data.get("file"):
            return None
        path = folder / data["file"]
        # reason.json names a file inside the folder only (written by put, with safe_filename)
        if path.parent != folder or not path.is_file():
            return None
        return path

    @contextmanager
    def locked(self, folder: Path) -> Iterator[dict]:
        """Hold the entry for a release or a discard; yields its ``reason.json``. ``EntryBusy`` if
        another process holds it, ``EntryNotFound`` if it left the quarantine meanwhile."""
        try:
            fd = os.open(folder / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        except FileNotFoundError:
            raise EntryNotFound(f"no quarantine entry {folder.name}",
                                f"Không tìm thấy mục cách ly {folder.name}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise EntryBusy(f"quarantine entry {folder.name} is being released or discarded by someone else",
                                f"Mục cách ly {folder.name} đang được người khác giải phóng hoặc hủy; "
                                "hãy tải lại sau ít phút") from None
            data = self.read(folder)  # the holder before us may have finished with it
            if data is None:
                raise EntryNotFound(f"no quarantine entry {folder.name}", f"Không tìm thấy mục cách ly {folder.name}")
            yield data
        finally:
            os.close(fd)

    def remove(self, folder: Path) -> None:
        """Delete an entry's folder: first renamed out of the listing (atomic), then removed."""
        gone = folder.with_name(f".gone-{folder.name}")
        os.replace(folder, gone)
        fsync_dir(folder.parent)
        shutil.rmtree(gone, ignore_errors=True)
        try:
            folder.parent.rmdir()  # the day's folder, once empty
        except OSError:
            pass

    def leftovers(self) -> Iterator[Path]:
        """Folders a crash left half-removed (``.gone-*``)."""
        if not self.root.is_dir():
            return
        for day in self.root.iterdir():
            if DAY.match(day.name) and day.is_dir():
                yield from (p for p in day.iterdir() if p.name.startswith(".gone-"))

    # traces -------------------------------------------------------------------------------------
    def trace_path(self, kind: str, entry_id: str) -> Path:
        assert kind in ("released", "discarded") and ENTRY_ID.match(entry_id)
        return self.root / LOG / kind / f"{entry_id}.json"

    def write_trace(self, kind: str, entry_id: str, trace: dict[str, Any]) -> None:
        path = self.trace_path(kind, entry_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, trace)

    def trace(self, kind: str, entry_id: str) -> dict | None:
        try:
            return json.loads(self.trace_path(kind, entry_id).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def traces(self, kind: str) -> builtins.list[dict]:
        folder = self.root / LOG / kind
        if not folder.is_dir():
            return []
        out = [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json") if ENTRY_ID.match(p.stem)]
        return sorted(out, key=lambda t: t.get("at") or "", reverse=True)

"""The quarantine (khu cách ly): every rejected file is kept with its reason; nothing is dropped silently.

Layout under ``settings.quarantine_dir`` (``<data>/quarantine``) — a folder of the machine whose
ingest rejected the file (in scale-out, the worker's own data folder):

``<YYYY-MM-DD>/<id>/<file name>`` plus ``reason.json``
    one entry; ``<id>`` is 32 hex digits (the entry's id everywhere: CLI, HTTP, pages); the day is
    the UTC day it was rejected. An entry is built in ``<YYYY-MM-DD>/.new-<id>/`` under its lock
    (taken in ``.tmp-<id>/``, which is then renamed ``.new-<id>``: a ``.new-`` folder is locked for
    as long as its ``put`` lives): the file is copied (the source may be a user's folder) with
    fsync, the reason is written (atomically), then the folder is renamed to ``<id>`` — a listing
    never sees half an entry.
    After a crash the repair (``QuarantineService.repair``, run by ``luutru repair``) publishes a
    ``.new-<id>`` whose reason was written and removes one whose reason was not (its ``put`` never
    returned: the caller still holds the source and gave no outcome for it). A visible folder
    without ``reason.json`` (left by a crash of a version before this layout) is kept as an entry
    ``interrupted`` for a person to check, or removed when it holds no file.
    ``declared`` holds the declared metadata as JSON values (``DeclaredMetadata.as_json``: dates
    ``yyyy-mm-dd``, enumerations by their stored value, numbers, lists), marked
    ``"declared_typed": true``; entries written before held every value as ``str(value)`` and are
    read back into the same form (``read_declared``).
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

import ast
import builtins
import fcntl
import hashlib
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

from archive.descriptive import fold
from archive.domain import safe_filename
from archive.errors import ArchiveError
from archive.objects.filesystem import fsync_dir

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ENTRY_ID = re.compile(r"^[0-9a-f]{32}$")
REF = re.compile(r"^[0-9a-f]{6,32}$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LOG = "_log"
NEW = ".new-"
TMP = ".tmp-"
MAX_SUBMITTER = 200
INTERRUPTED = ("Lưu vào khu cách ly bị gián đoạn (máy dừng giữa chừng): lý do từ chối ban đầu không được ghi "
               "và tệp có thể không đầy đủ. Kiểm tra tệp trước khi giải phóng, hoặc hủy kèm lý do",
               "putting the file in the quarantine was interrupted (the machine stopped): the original reason "
               "was not recorded and the file may be incomplete; check it before releasing, or discard it")


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
    they were rejected, and the submitter (a part of the actor or, once the service named it, of
    the person's or system's name; case and diacritics ignored)."""

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
        if not self.submitter:
            return True
        who = fold(self.submitter)  # case and diacritics ignored: "nguyen thi lan" finds Nguyễn Thị Lan
        return any(who in fold(str(entry.get(k) or "")) for k in ("submitter", "submitter_name"))


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
        """Keep ``path`` with its reason; returns the entry's folder once it is durable and listed."""
        now = datetime.now(UTC)
        day = self.root / now.strftime("%Y-%m-%d")
        entry_id = uuid.uuid4().hex
        staging, fresh = day / f"{NEW}{entry_id}", day / f"{TMP}{entry_id}"
        for attempt in range(3):  # the day's folder may be removed (empty) by a release meanwhile
            try:
                day.mkdir(parents=True, exist_ok=True)
                fresh.mkdir()
                break
            except FileNotFoundError:
                if attempt == 2:
                    raise
        # locked before it is named .new-: the repair never sees a .new- folder whose put is alive unlocked
        fd = os.open(fresh / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.rename(fresh, staging)
        except BaseException:
            os.close(fd)
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        try:
            target = staging / safe_filename(name)
            kept_sha = None
            if path.is_file():
                digest = hashlib.sha256()
                with open(path, "rb") as src, open(target, "wb") as dst:
                    while chunk := src.read(1024 * 1024):
                        digest.update(chunk)
                        dst.write(chunk)
                    dst.flush()
                    os.fsync(dst.fileno())
                kept_sha = digest.hexdigest()
            reason = {"code": code, "message_vi": message_vi, "message_en": message_en,
                      "sha256": sha256 or kept_sha, "file": target.name if path.is_file() else None, "name": name,
                      "source_path": str(path), "submitter": submitter, "source": source, "at": now.isoformat(),
                      "declared": stored_declared(declared), "declared_typed": True, "dossier_code": dossier_code}
            write_json(staging / "reason.json", reason)
            folder = day / entry_id
            os.rename(staging, folder)
            fsync_dir(day)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)  # a full disk, an unreadable source: no half entry
            raise
        finally:
            os.close(fd)
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
        """The entry's ``reason.json`` (its ``declared`` in the typed form: ``read_declared``)."""
        try:
            data = json.loads((folder / "reason.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None  # being removed (release, discard), or left by a crash (repair)
        data["declared"] = read_declared(data)
        data["declared_typed"] = True
        return data

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

    # repair of interrupted puts -----------------------------------------------------------------
    def settle_puts(self, *, grace_seconds: float = 3600.0) -> dict[str, builtins.list[str]]:
        """Settle what a crash in ``put`` left (see the module's docstring): ``published`` (a
        ``.new-`` folder whose reason was written), ``abandoned`` (one whose reason was not: the
        copy of a file its caller still holds), ``interrupted`` (a listed folder without a reason,
        older than ``grace_seconds``, kept as an entry for a person), ``removed`` (such a folder
        holding no file). A ``.new-`` folder whose ``put`` is still running (its lock held) is left."""
        out: dict[str, builtins.list[str]] = {"published": [], "abandoned": [], "interrupted": [], "removed": []}
        if not self.root.is_dir():
            return out
        for day in sorted(self.root.iterdir()):
            if not (DAY.match(day.name) and day.is_dir()):
                continue
            for folder in sorted(day.iterdir()):
                if folder.name.startswith(TMP) and folder.is_dir():  # a put died before it held its lock
                    if datetime.now(UTC).timestamp() - folder.stat().st_mtime > grace_seconds:
                        shutil.rmtree(folder, ignore_errors=True)  # it holds nothing but the lock file
                        out["abandoned"].append(folder.name.removeprefix(TMP))
                    continue
                entry_id = folder.name.removeprefix(NEW)
                if not (ENTRY_ID.match(entry_id) and folder.is_dir()):
                    continue
                if folder.name.startswith(NEW):
                    self._settle_new(folder, entry_id, out)
                elif not (folder / "reason.json").exists():
                    self._settle_bare(folder, grace_seconds, out)
        return out

    def _settle_new(self, staging: Path, entry_id: str, out: dict[str, builtins.list[str]]) -> None:
        try:
            fd = os.open(staging / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        except FileNotFoundError:
            return  # published or removed meanwhile
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # its put is running
            if not staging.exists():
                return
            if (staging / "reason.json").exists():
                os.rename(staging, staging.with_name(entry_id))
                fsync_dir(staging.parent)
                out["published"].append(entry_id)
            else:
                self.remove(staging)
                out["abandoned"].append(entry_id)
        finally:
            os.close(fd)

    def _settle_bare(self, folder: Path, grace_seconds: float, out: dict[str, builtins.list[str]]) -> None:
        files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
        newest = max([folder.stat().st_mtime, *(p.stat().st_mtime for p in files)])
        if datetime.now(UTC).timestamp() - newest < grace_seconds:
            return  # a put of an older version may still be writing it
        if not files:
            self.remove(folder)
            out["removed"].append(folder.name)
            return
        kept = max(files, key=lambda p: p.stat().st_size)
        digest = hashlib.sha256()
        with open(kept, "rb") as f:
            while chunk := f.read(1024 * 1024):
                digest.update(chunk)
        write_json(folder / "reason.json", {
            "code": "interrupted", "message_vi": INTERRUPTED[0], "message_en": INTERRUPTED[1],
            "sha256": digest.hexdigest(), "file": kept.name, "name": kept.name, "source_path": None,
            "submitter": None, "source": None, "at": datetime.fromtimestamp(newest, UTC).isoformat(),
            "declared": {}, "declared_typed": True, "dossier_code": None, "repaired": True})
        out["interrupted"].append(folder.name)

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


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    try:
        json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)
    return value


def stored_declared(declared: Mapping[str, Any] | None) -> dict[str, Any]:
    """What an entry keeps of the declared metadata: the typed JSON of ``DeclaredMetadata``
    (``as_json``: a release gets exactly what was declared), or — when it does not pass, the very
    reason some files are here — the values as given, as JSON values."""
    from ingest.declared import DeclaredMetadata, InvalidDeclared

    if not declared:
        return {}
    try:
        return DeclaredMetadata.parse(declared, lengths=False).as_json()
    except InvalidDeclared:
        return {str(k): _json_value(v) for k, v in declared.items() if v is not None}


def read_declared(data: Mapping[str, Any]) -> dict[str, Any]:
    """The ``declared`` of a ``reason.json``: as stored when typed; from an entry written before
    (every value ``str(value)``: ``"3"``, ``"[{'organ_name': …}]"``, ``"None"``), the values read
    back and typed the same way when they pass."""
    declared = data.get("declared") or {}
    if not isinstance(declared, dict):
        return {}
    if data.get("declared_typed"):
        return dict(declared)
    values: dict[str, Any] = {}
    for key, value in declared.items():
        if value in (None, "None", ""):
            continue
        if isinstance(value, str) and value[:1] in "[{":
            try:
                value = ast.literal_eval(value)  # the repr of a list or dict (recipients): literals only
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                pass
        values[key] = value
    return stored_declared(values)

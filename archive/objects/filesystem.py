"""FilesystemObjectStore: the embedded default, content-addressed files under one root.

Writing follows the classic durable sequence: stream into a temporary file in the same
filesystem while hashing, ``fsync`` it, ``link`` it to its content key (``link`` fails when the
target exists, so an object is never overwritten, even by a concurrent writer), ``fsync`` the
directory, then remove the temporary name. Stored files are made read-only.

Retention is recorded in a sidecar ``<key>.lock`` JSON file and enforced by this class: a
filesystem cannot enforce it against its administrator, which is why deployments that need
WORM guarantees use the S3 store with object lock. A lock that cannot be read (a damaged disk, a
hand edit) fails closed: the object counts as held, nothing deletes it, and changing its retention
is refused until the lock is restored (from a backup, whose manifest keeps every lock).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from archive.errors import IntegrityError, ObjectExists, ObjectLocked, ObjectNotFound
from archive.objects.base import (
    CHUNK_SIZE,
    NAMED_PREFIX,
    HashingReader,
    ObjectInfo,
    StoredObject,
    VerifyingReader,
    check_name,
    key_for_sha256,
    sha256_from_key,
)

log = logging.getLogger(__name__)

UNREADABLE = "unreadable"
"""Key of the lock dict ``_read_lock`` returns for a lock file it cannot read."""


def _read_lock(path: Path) -> dict[str, Any]:
    """A ``.lock`` sidecar's content: {} when there is none, ``{UNREADABLE: True}`` when it is not a
    JSON object with a well-formed, timezone-aware ``retain_until`` (if any)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    try:
        lock = json.loads(data)
        if not isinstance(lock, dict):
            raise ValueError("not a JSON object")
        if lock.get("retain_until") is not None and datetime.fromisoformat(lock["retain_until"]).tzinfo is None:
            raise ValueError("retain_until without a time zone")
        return lock
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        log.warning("retention lock %s is unreadable (%s): the object is treated as held", path, exc)
        return {UNREADABLE: True}


def _unreadable(what: str) -> ObjectLocked:
    return ObjectLocked(
        f"the retention lock of {what} is unreadable: restore it from a backup before changing it",
        f"Tệp khóa lưu giữ của {what} bị hỏng: tệp được giữ nguyên; khôi phục khóa từ bản sao lưu "
        "trước khi thay đổi")


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (a file created, renamed or removed in it) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(path: Path, data: bytes, mode: int, name: Callable[[Path, Path], None]) -> None:
    """``data`` into a temporary file beside ``path``, fsync'd, then given its name by ``name``
    (``os.replace`` or ``os.link``), and the folder fsync'd: nobody ever reads the file partly
    written, and a crash leaves the old state or the new one."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        name(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def write_durably(path: Path, data: bytes, *, mode: int = 0o666) -> None:
    """Replace ``path`` with ``data`` (``_publish`` with a rename). A retention lock written without
    the first fsync could come back empty after a power cut: the rename durable, the bytes not."""
    _publish(path, data, mode, os.replace)


def create_durably(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Create ``path`` with ``data``, never over an existing file (``FileExistsError``: a link fails
    when the name exists). The archive's certificates were written in place: a request reading
    ``tsa/root.pem`` while the periodic loop created it found it empty, and the upload failed."""
    _publish(path, data, mode, os.link)


def make_dirs(path: Path) -> None:
    """``mkdir -p`` whose new folders survive a crash: each folder created is named durably in its
    parent (the parent fsync'd) before anything goes into it. Without it a file linked into a new
    fan-out folder (``sha256/ab/cd``, ``records/<id>/``) and fsync'd with its folder could still
    vanish in a power cut, its folder's own entry never having reached the disk — after the
    catalogue had committed the row naming it. Folders that exist cost one ``stat``."""
    if path.is_dir():
        return
    missing = []
    while not path.is_dir():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            if not folder.is_dir():
                raise  # a file where a folder belongs: refused, as mkdir -p refuses it
            # else another writer made it a moment ago: its parent is synced here too, not trusted
        fsync_dir(folder.parent)


class FilesystemObjectStore:
    name = "filesystem"
    locks_in_sidecars = True
    named_create_atomic = True

    def __init__(self, root: Path, *, read_only: bool = False):
        """``read_only``: only read (a replica mounted read-only); nothing is created under ``root``."""
        self.root = Path(root)
        self._tmp = self.root / "tmp"
        self._local = threading.local()
        if not read_only:
            self._tmp.mkdir(parents=True, exist_ok=True)

    # paths ----------------------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        sha256_from_key(key)  # validates: no other name ever reaches the filesystem
        return self.root / key

    def _lock_path(self, key: str) -> Path:
        return self._path(key).with_name(self._path(key).name + ".lock")

    # writing --------------------------------------------------------------------------------
    @contextmanager
    def grouped_dir_sync(self) -> Iterator[None]:
        """The directory fsyncs of this thread's ``put``/``put_named`` calls in the block are made
        at its end, once per directory, before the block returns (a nested block: by the outer one).

        Why durability is unchanged: every object's bytes are still fsync'd before the object is
        linked under its name (a name never points at bytes that may be lost), and every directory
        entry made in the block is durable when the block returns — so a caller that commits the
        catalogue rows naming the objects only after the block (``ArchiveService.create_record``:
        objects first) still never commits a row whose object a crash could lose. An exception in
        the block skips the fsyncs: no row will name those objects (orphans for the repair pass).
        What changes is the cost: the links of a record's objects reach the disk in one journal
        commit — ext4 and XFS commit every metadata change made so far with the first directory
        fsync, and the following ones find theirs committed already — instead of one per object."""
        local = self._local
        if getattr(local, "dirs", None) is not None:
            yield
            return
        local.dirs = {}
        try:
            yield
            dirs = list(local.dirs)
        finally:
            local.dirs = None
        for folder in dirs:
            fsync_dir(folder)

    def _sync_dir(self, folder: Path) -> None:
        pending = getattr(self._local, "dirs", None)
        if pending is None:
            fsync_dir(folder)
        else:
            pending[folder] = None

    def put(self, stream: BinaryIO, *, expected_sha256: str | None = None, size: int | None = None,
            media_type: str = "application/octet-stream",
            retain_until: datetime | None = None) -> StoredObject:
        reader = HashingReader(stream, max_size=size)
        tmp = self._tmp / f"{uuid.uuid4().hex}.part"
        try:
            with open(tmp, "xb") as out:
                for chunk in reader.chunks():
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if size is not None and reader.size != size:
                raise IntegrityError(f"received {reader.size} bytes, {size} declared",
                                     f"Nhận được {reader.size} byte, khác kích thước khai báo {size} byte")
            if expected_sha256 is not None and reader.sha256 != expected_sha256:
                raise IntegrityError(f"SHA-256 of the received bytes is {reader.sha256}, not {expected_sha256}",
                                     "Mã băm SHA-256 của dữ liệu nhận được không khớp")
            key = key_for_sha256(reader.sha256)
            final = self._path(key)
            make_dirs(final.parent)
            os.chmod(tmp, 0o444)
            try:
                os.link(tmp, final)
                created = True
            except FileExistsError:
                created = False
                # Refresh the age: the repair pass removes unreferenced objects only after a grace
                # period, and this one is about to be referenced by the caller's commit.
                os.utime(final)
            self._sync_dir(final.parent)
        finally:
            tmp.unlink(missing_ok=True)
        if retain_until is not None:
            current = self.stat(key).retain_until
            if current is None or retain_until > current:  # "at least until": never shortens
                self.set_retention(key, retain_until)
        return StoredObject(key=key, sha256=reader.sha256, size=reader.size, created=created, md5=reader.md5,
                            block_digests=reader.block_digests)

    # reading --------------------------------------------------------------------------------
    def open(self, key: str, *, verify: bool = False, expected_size: int | None = None) -> VerifyingReader:
        path = self._path(key)
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            raise ObjectNotFound(f"no object {key}", f"Không tìm thấy tệp {key} trong kho lưu trữ") from None
        actual = os.fstat(f.fileno()).st_size
        size = actual if expected_size is None else expected_size

        def chunks() -> Iterator[bytes]:
            while data := f.read(CHUNK_SIZE):
                yield data

        return VerifyingReader(chunks(), key=key, size=size, sha256=sha256_from_key(key),
                               verify=verify, close=f.close)

    def open_range(self, key: str, start: int, length: int) -> Iterator[bytes]:
        try:
            f = open(self._path(key), "rb")
        except FileNotFoundError:
            raise ObjectNotFound(f"no object {key}", f"Không tìm thấy tệp {key} trong kho lưu trữ") from None

        def chunks() -> Iterator[bytes]:
            with f:
                f.seek(start)
                left = length
                while left > 0 and (data := f.read(min(CHUNK_SIZE, left))):
                    left -= len(data)
                    yield data

        return chunks()

    def _lock(self, key: str) -> dict[str, Any]:
        return _read_lock(self._lock_path(key))

    def stat(self, key: str) -> ObjectInfo:
        try:
            st = self._path(key).stat()
        except FileNotFoundError:
            raise ObjectNotFound(f"no object {key}", f"Không tìm thấy tệp {key} trong kho lưu trữ") from None
        lock = self._lock(key)
        until = datetime.fromisoformat(lock["retain_until"]) if lock.get("retain_until") else None
        return ObjectInfo(key=key, size=st.st_size, sha256=sha256_from_key(key), retain_until=until,
                          legal_hold=bool(lock.get("legal_hold")) or UNREADABLE in lock,
                          modified_at=datetime.fromtimestamp(st.st_mtime, UTC), lock_unreadable=UNREADABLE in lock)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def iter_keys(self) -> Iterator[str]:
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for a in sorted(base.iterdir()):
            for b in sorted(a.iterdir()):
                for f in sorted(b.iterdir()):
                    if not f.name.endswith(".lock"):
                        yield f"sha256/{a.name}/{b.name}/{f.name}"

    def cleanup_incomplete(self, older_than: datetime) -> int:
        removed = 0
        for part in self._tmp.glob("*.part"):
            try:
                if datetime.fromtimestamp(part.stat().st_mtime, UTC) < older_than:
                    part.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
        return removed

    # retention ------------------------------------------------------------------------------
    def _write_lock(self, key: str, lock: dict[str, Any]) -> None:
        write_durably(self._lock_path(key), json.dumps(lock).encode())

    def set_retention(self, key: str, retain_until: datetime) -> None:
        info = self.stat(key)
        if retain_until.tzinfo is None:
            raise ValueError("retain_until must be timezone-aware")
        if info.retain_until is not None and retain_until < info.retain_until:
            raise ObjectLocked(
                f"{key} is retained until {info.retain_until.isoformat()}; retention can only be extended",
                f"Tệp {key} được khóa đến {info.retain_until:%d/%m/%Y}; chỉ có thể gia hạn, không thể rút ngắn",
            )
        lock = self._lock(key)
        if UNREADABLE in lock:
            raise _unreadable(key)
        lock["retain_until"] = retain_until.isoformat()
        self._write_lock(key, lock)

    def set_legal_hold(self, key: str, on: bool) -> None:
        self.stat(key)
        lock = self._lock(key)
        if UNREADABLE in lock:
            raise _unreadable(key)
        lock["legal_hold"] = bool(on)
        self._write_lock(key, lock)

    def delete(self, key: str) -> None:
        info = self.stat(key)
        now = datetime.now(UTC)
        if info.lock_unreadable:
            raise _unreadable(key)
        if info.legal_hold:
            raise ObjectLocked(f"{key} is under a legal hold", f"Tệp {key} đang bị phong tỏa (legal hold)")
        if info.retain_until is not None and info.retain_until > now:
            raise ObjectLocked(f"{key} is retained until {info.retain_until.isoformat()}",
                               f"Tệp {key} được khóa đến {info.retain_until:%d/%m/%Y}")
        path = self._path(key)
        path.unlink()
        self._lock_path(key).unlink(missing_ok=True)
        fsync_dir(path.parent)

    # named objects --------------------------------------------------------------------------
    def _named_path(self, name: str) -> Path:
        return self.root / NAMED_PREFIX / check_name(name)

    def put_named(self, name: str, data: bytes, *, retain_until: datetime | None = None) -> None:
        """Written like a content object (temporary file, fsync, ``link``: never overwrites) and
        made read-only; a retention date goes in the ``.lock`` sidecar, written durably *before* the
        object appears (a crash in between leaves a lock without an object, which the retry keeps
        or extends; never an object without its lock)."""
        final = self._named_path(name)
        make_dirs(final.parent)
        if retain_until is not None:
            self._lock_named(name, final, retain_until)
        tmp = self._tmp / f"{uuid.uuid4().hex}.part"
        try:
            with open(tmp, "xb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o444)
            try:
                os.link(tmp, final)
            except FileExistsError:
                raise ObjectExists(f"named object {name} exists", f"Đối tượng {name} đã có trong kho") from None
            self._sync_dir(final.parent)
        finally:
            tmp.unlink(missing_ok=True)

    def _lock_named(self, name: str, final: Path, retain_until: datetime) -> None:
        lock = final.with_name(final.name + ".lock")
        body = json.dumps({"retain_until": retain_until.isoformat()}).encode()
        try:
            create_durably(lock, body, mode=0o666)
            return
        except FileExistsError:
            pass
        if final.exists():
            raise ObjectExists(f"named object {name} exists", f"Đối tượng {name} đã có trong kho")
        current = _read_lock(lock)  # left by an earlier attempt that crashed before the object
        if UNREADABLE in current:
            raise _unreadable(name)
        until = current.get("retain_until")
        if until is None or retain_until > datetime.fromisoformat(until):  # never shortens
            write_durably(lock, body)

    def get_named(self, name: str) -> bytes:
        try:
            return self._named_path(name).read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(f"no object {name}", f"Không tìm thấy {name} trong kho lưu trữ") from None

    def delete_named(self, name: str) -> None:
        path = self._named_path(name)
        lock = path.with_name(path.name + ".lock")
        content = _read_lock(lock)
        if UNREADABLE in content:
            raise _unreadable(name)
        if content.get("retain_until"):
            until = datetime.fromisoformat(content["retain_until"])
            if until > datetime.now(UTC):
                raise ObjectLocked(f"{name} is retained until {until.isoformat()}",
                                   f"Tệp {name} được khóa đến {until:%d/%m/%Y}")
        if path.exists():
            path.unlink()
            lock.unlink(missing_ok=True)
            fsync_dir(path.parent)

    def list_named(self, prefix: str) -> Iterator[str]:
        base = self.root / NAMED_PREFIX
        folder = base / check_name(prefix.rstrip("/")) if prefix.strip("/") else base
        if not folder.is_dir():
            return
        names = (p.relative_to(base).as_posix() for p in folder.rglob("*") if p.is_file())
        yield from sorted(n for n in names if not n.endswith(".lock") and n.startswith(prefix))

    def health(self) -> str:
        probe = self._tmp / f"health-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        probe.unlink()
        st = os.statvfs(self.root)
        free = st.f_bavail * st.f_frsize
        return f"{self.root} (writable, {free / 1024**3:.1f} GiB free)"

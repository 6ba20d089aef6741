"""Backup, verification and restore of the embedded default (SQLite catalogue, filesystem store).

A backup folder holds one consistent snapshot and the objects it needs::

    DIR/manifest.json           what is in the backup, with the SHA-256 and size of every file
    DIR/snapshot/catalogue.db   the catalogue, copied with SQLite's online backup API
    DIR/snapshot/keys/          the archive's keys (TSA, signing identity, token key)
    DIR/snapshot/trust/         the trusted roots
    DIR/snapshot/settings.json  the settings in force (secrets left out)
    DIR/snapshot/index/         the embedded search index (only with ``with_index``)
    DIR/objects/sha256/…        the objects the snapshot's components reference (store layout)
    DIR/objects/named/…         named objects (audit anchors of the snapshot, sidecars, …)

**Consistency while the archive runs.** The catalogue is copied first, in one read transaction of
the online backup API (a WAL reader: writers are not blocked). Every write stores its objects
*before* its catalogue commit (``archive.service``), so every object a snapshot's component
references is already in the store when the copy of the catalogue ends; the objects are then copied
from the list the snapshot itself gives, each verified against its SHA-256 while copied. What is
committed after the snapshot started is not in the backup, objects included, so a restored archive
has no orphans and its audit anchors are exactly the snapshot's (``audit verify`` passes).

**Incremental.** Objects are content-addressed and immutable: one already in ``DIR/objects`` with
the right size is not copied again. An object no longer referenced (its record destroyed since the
previous backup) is removed from the folder, so a destruction reaches the backup at the next run.

**Crashes.** The new snapshot is built in a temporary folder and the manifest replaced last (an
atomic rename): an interrupted backup leaves the previous manifest, which ``verify`` then checks
against what is there; running the backup again completes it.

Scale-out deployments (PostgreSQL, S3) are backed up with the services' own tools
(``docs/operations.md``): ``check_embedded`` refuses them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.audit import ANCHOR_RETAIN_UNTIL, ANCHORS_PREFIX
from archive.errors import ArchiveError, ObjectNotFound
from archive.objects.base import CHUNK_SIZE, NAMED_PREFIX, sha256_from_key
from archive.objects.filesystem import FilesystemObjectStore, fsync_dir
from archive.settings import Settings

FORMAT = 1
MANIFEST = "manifest.json"
SNAPSHOT = "snapshot"
OBJECTS = "objects"
DATABASE = f"{SNAPSHOT}/catalogue.db"
ANCHORS = ANCHORS_PREFIX
SIDECARS = "records/"


class BackupError(ArchiveError):
    """A backup cannot be made, read or restored; ``problems`` lists each reason."""

    code = "backup_invalid"

    def __init__(self, message: str, message_vi: str, problems: list[str] | None = None):
        super().__init__(message, message_vi)
        self.problems = problems or []


@dataclass
class BackupReport:
    folder: str
    started_at: str
    finished_at: str = ""
    records: int = 0
    objects: int = 0
    objects_copied: int = 0
    objects_skipped: int = 0
    objects_pruned: int = 0
    bytes_copied: int = 0
    named: int = 0
    named_copied: int = 0
    with_index: bool = False
    missing: list[str] = field(default_factory=list)
    """Objects the snapshot references that the store lacks or holds altered (not in the backup)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class VerifyReport:
    folder: str
    created_at: str | None = None
    files: int = 0
    objects: int = 0
    named: int = 0
    bytes: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def check_embedded(settings: Settings) -> None:
    """Refuse a deployment that is not the embedded default (its services have their own tools)."""
    scale_out = []
    if not settings.database_url.startswith("sqlite"):
        scale_out.append("PostgreSQL")
    if settings.objects.backend != "filesystem":
        scale_out.append("S3/MinIO")
    if scale_out:
        names = ", ".join(scale_out)
        raise BackupError(
            f"luutru backup covers the embedded default only; back up {names} with the services' own tools: "
            "see docs/operations.md (pg_dump/PITR, bucket replication with object lock, OpenSearch snapshots)",
            f"«luutru backup» chỉ dùng cho triển khai nhúng (SQLite, kho tệp trên đĩa). Triển khai mở rộng ({names}) "
            "sao lưu bằng công cụ của từng dịch vụ: xem docs/operations.md (pg_dump/PITR, nhân bản bucket có khóa "
            "đối tượng, snapshot OpenSearch)")


def sqlite_path(url: str) -> Path:
    return Path(url.split("sqlite:///", 1)[1])


# helpers ------------------------------------------------------------------------------------------
def _sha256_file(path: Path) -> tuple[str, int]:
    h, n = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n


def _write_stream(chunks: Iterator[bytes], final: Path, *, mode: int = 0o444) -> tuple[str, int]:
    """Write to a temporary name beside ``final``, fsync, rename: a crash never leaves a partial
    file under the final name. Returns (sha256, size) of what was written."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.part")
    h, n = hashlib.sha256(), 0
    try:
        with open(tmp, "xb") as out:
            for chunk in chunks:
                h.update(chunk)
                n += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return h.hexdigest(), n


def _file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            yield chunk


def _copy_tree(src: Path, dst: Path, files: dict[str, dict[str, Any]], base: Path) -> None:
    """Copy the regular files of ``src`` (temporary ``*.tmp``/``*.part`` left out), keeping modes,
    recording each file's SHA-256 and size under its path relative to ``base``."""
    if not src.is_dir():
        return
    for path in sorted(src.rglob("*")):
        if not path.is_file() or path.name.endswith((".tmp", ".part")):
            continue
        target = dst / path.relative_to(src)
        digest, size = _write_stream(_file_chunks(path), target, mode=path.stat().st_mode & 0o777)
        files[target.relative_to(base).as_posix()] = {"sha256": digest, "size": size}


def _copy_index(src: Path, dst: Path, files: dict[str, dict[str, Any]], base: Path, attempts: int = 5) -> None:
    """Copy a live Tantivy index: its segment files are immutable but a merge may remove some while
    we copy; copy again (up to ``attempts``) until every segment the copied ``meta.json`` names is
    there."""
    for _ in range(attempts):
        shutil.rmtree(dst, ignore_errors=True)
        copied: dict[str, dict[str, Any]] = {}
        try:
            meta = (src / "meta.json").read_bytes()
            _copy_tree(src, dst, copied, base)
            digest, size = _write_stream(iter([meta]), dst / "meta.json", mode=0o644)
            copied[(dst / "meta.json").relative_to(base).as_posix()] = {"sha256": digest, "size": size}
        except FileNotFoundError:
            continue
        segments = {s["segment_id"].replace("-", "") for s in json.loads(meta).get("segments", [])}
        present = {p.name.split(".", 1)[0] for p in dst.iterdir()}
        if segments <= present:
            files.update(copied)
            return
    raise BackupError("the search index kept changing while it was copied; back up without --with-index "
                      "(luutru reindex rebuilds it after a restore)",
                      "Chỉ mục tìm kiếm thay đổi liên tục trong lúc sao chép; hãy sao lưu không kèm --with-index "
                      "(sau khi khôi phục, «luutru reindex» dựng lại chỉ mục)")


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One backup or restore of a folder at a time."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"another backup is writing {folder}",
                              f"Một lần sao lưu khác đang ghi vào {folder}") from None
        yield


def snapshot_database(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the online backup API (one read transaction: a consistent
    snapshot; writers in WAL mode are not blocked), as a single self-contained file."""
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            dst.commit()
        finally:
            dst.close()
    finally:
        src.close()


def _snapshot_contents(db: Path) -> tuple[dict[str, int], set[int], set[str]]:
    """(storage key -> size of every object the snapshot needs, audit anchor ids, record ids)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        keys = dict(conn.execute("SELECT storage_key, max(size) FROM components WHERE status != 'destroyed' "
                                 "GROUP BY storage_key"))
        anchors = {row[0] for row in conn.execute("SELECT id FROM audit_anchors")}
        records = {row[0] for row in conn.execute("SELECT id FROM records")}
    finally:
        conn.close()
    return keys, anchors, records


def _anchor_id(name: str) -> int | None:
    try:
        return int(name.removeprefix(ANCHORS).split(".", 1)[0])
    except ValueError:
        return None


# create -------------------------------------------------------------------------------------------
def create_backup(dest: Path, *, database: Path, store: FilesystemObjectStore, keys_dir: Path, trust_dir: Path,
                  settings_doc: dict[str, Any], index_path: Path | None = None,
                  now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> BackupReport:
    """Back up the archive into ``dest`` (new or holding an earlier backup: incremental)."""
    dest = Path(dest)
    report = BackupReport(folder=str(dest.resolve()), started_at=now().isoformat(), with_index=index_path is not None)
    with _locked(dest):
        staging = dest / f".{SNAPSHOT}-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            db_copy = staging / "catalogue.db"
            snapshot_database(database, db_copy)
            needed, anchors, records = _snapshot_contents(db_copy)
            report.records = len(records)
            files: dict[str, dict[str, Any]] = {}
            objects = _copy_objects(dest, store, needed, report)
            named = _copy_named(dest, store, anchors, records, report)
            _copy_tree(keys_dir, staging / "keys", files, staging)
            _copy_tree(trust_dir, staging / "trust", files, staging)
            doc = json.dumps(settings_doc, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode()
            digest, size = _write_stream(iter([doc]), staging / "settings.json", mode=0o600)
            files["settings.json"] = {"sha256": digest, "size": size}
            if index_path is not None and (index_path / "meta.json").exists():
                _copy_index(index_path, staging / "index", files, staging)
            digest, size = _sha256_file(db_copy)
            files["catalogue.db"] = {"sha256": digest, "size": size}
            report.finished_at = now().isoformat()
            manifest = {"format": FORMAT, "created_at": report.started_at, "finished_at": report.finished_at,
                        "records": report.records, "with_index": report.with_index,
                        "files": {f"{SNAPSHOT}/{k}": v for k, v in sorted(files.items())},
                        "objects": objects, "named": named, "missing": report.missing}
            _install(dest, staging, manifest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        report.objects_pruned = _prune(dest, set(objects), set(named))
    return report


def _copy_objects(dest: Path, store: FilesystemObjectStore, needed: dict[str, int],
                  report: BackupReport) -> dict[str, dict[str, Any]]:
    objects: dict[str, dict[str, Any]] = {}
    for key in sorted(needed):
        target = dest / OBJECTS / key
        try:
            info = store.stat(key)
        except ObjectNotFound:
            report.missing.append(key)
            continue
        entry = {"size": info.size, "retain_until": info.retain_until.isoformat() if info.retain_until else None,
                 "legal_hold": info.legal_hold}
        if target.is_file() and target.stat().st_size == needed[key]:
            report.objects_skipped += 1
        else:
            digest, size = _write_stream(store.open(key).chunks(), target)
            if digest != sha256_from_key(key) or size != needed[key]:
                target.unlink()
                report.missing.append(key)  # altered in the store: a fixity failure, not backed up
                continue
            report.objects_copied += 1
            report.bytes_copied += size
        objects[key] = entry
    report.objects = len(objects)
    return objects


def _copy_named(dest: Path, store: FilesystemObjectStore, anchors: set[int], records: set[str],
                report: BackupReport) -> dict[str, dict[str, Any]]:
    """Named objects: the snapshot's audit anchors (one published later would name entries the
    restored log does not have), the metadata sidecars of the snapshot's records (not of records
    committed later) and every other named object (write-once: copied once)."""
    named: dict[str, dict[str, Any]] = {}
    try:  # named objects are written once: one the previous backup holds is not read again
        previous = read_manifest(dest).get("named", {})
    except BackupError:
        previous = {}
    for name in store.list_named(""):
        if name.startswith(ANCHORS) and _anchor_id(name) not in anchors:
            continue
        if name.startswith(SIDECARS) and name[len(SIDECARS):].split("/", 1)[0] not in records:
            continue
        target = dest / OBJECTS / NAMED_PREFIX / name
        known = previous.get(name)
        if known is not None and target.is_file() and target.stat().st_size == known["size"]:
            named[name] = known
            continue
        try:
            data = store.get_named(name)
        except ObjectNotFound:
            continue  # removed since listed (a deposit manifest whose deposit was ingested)
        digest = hashlib.sha256(data).hexdigest()
        _write_stream(iter([data]), target)
        report.named_copied += 1
        named[name] = {"sha256": digest, "size": len(data)}
    report.named = len(named)
    return named


def _install(dest: Path, staging: Path, manifest: dict[str, Any]) -> None:
    current = dest / SNAPSHOT
    old = dest / f".{SNAPSHOT}-old-{uuid.uuid4().hex}"
    if current.exists():
        current.rename(old)
    staging.rename(current)
    tmp = dest / f".{MANIFEST}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, dest / MANIFEST)
    fsync_dir(dest)
    shutil.rmtree(old, ignore_errors=True)


def _prune(dest: Path, objects: set[str], named: set[str]) -> int:
    """Remove objects no longer in the manifest (destroyed records, deposits since ingested)."""
    removed = 0
    root = dest / OBJECTS
    if not root.is_dir():
        return 0
    for path in list(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        wanted = rel[len(NAMED_PREFIX):] in named if rel.startswith(NAMED_PREFIX) else rel in objects
        if not wanted:
            path.unlink()
            removed += 1
    return removed


# verify -------------------------------------------------------------------------------------------
def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} holds no backup ({MANIFEST} is missing)",
                          f"{folder} không chứa bản sao lưu (thiếu {MANIFEST})") from None
    except ValueError as exc:
        raise BackupError(f"{MANIFEST} cannot be read: {exc}", f"Không đọc được {MANIFEST}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST} is not a luutru backup manifest of format {FORMAT}",
                          f"{MANIFEST} không phải bản kê sao lưu của luutru (định dạng {FORMAT})")
    return manifest


def verify_backup(folder: Path) -> VerifyReport:
    """Every file and object against the manifest (size and SHA-256, read in full), the catalogue
    opens and passes ``PRAGMA integrity_check``, and every object the catalogue references is in
    the backup."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    report = VerifyReport(folder=str(folder.resolve()), created_at=manifest.get("created_at"))
    problems = report.problems

    def check(rel: str, sha256: str, size: int) -> None:
        path = folder / rel
        try:
            digest, actual = _sha256_file(path)
        except FileNotFoundError:
            problems.append(f"{rel}: missing")
            return
        report.bytes += actual
        if actual != size:
            problems.append(f"{rel}: {actual} bytes, the manifest says {size}")
        elif digest != sha256:
            problems.append(f"{rel}: SHA-256 differs from the manifest (the file was altered)")

    for rel, entry in manifest.get("files", {}).items():
        report.files += 1
        check(rel, entry["sha256"], entry["size"])
    for key, entry in manifest.get("objects", {}).items():
        report.objects += 1
        try:
            digest = sha256_from_key(key)
        except ValueError:
            problems.append(f"{key}: not a content key")
            continue
        check(f"{OBJECTS}/{key}", digest, entry["size"])
    for name, entry in manifest.get("named", {}).items():
        report.named += 1
        check(f"{OBJECTS}/{NAMED_PREFIX}{name}", entry["sha256"], entry["size"])
    db = folder / DATABASE
    if db.is_file():
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            try:
                result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
                if result != ["ok"]:
                    problems.append(f"catalogue.db: integrity_check reports {'; '.join(result[:5])}")
                else:
                    keys = {r[0] for r in conn.execute(
                        "SELECT DISTINCT storage_key FROM components WHERE status != 'destroyed'")}
                    report.records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
                    absent = sorted(keys - set(manifest.get("objects", {})) - set(manifest.get("missing", [])))
                    problems += [f"{k}: referenced by the catalogue, not in the backup" for k in absent[:20]]
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            problems.append(f"catalogue.db cannot be opened as a database ({exc})")
    else:
        problems.append("catalogue.db: missing")
    return report


# restore ------------------------------------------------------------------------------------------
RESTORED = ("catalogue.db", "catalogue.db-wal", "catalogue.db-shm", "objects", "keys", "trust", "index")


def restore_backup(folder: Path, data_dir: Path, *, force: bool = False) -> VerifyReport:
    """Verify the backup, then lay it out as the data folder ``data_dir`` of the embedded default.

    A data folder that holds anything is refused unless ``force`` (then what the backup brings —
    catalogue, objects, keys, trust, index — is replaced; other files stay). Nothing is written
    when the backup does not verify."""
    folder, data_dir = Path(folder), Path(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()) and not force:
        raise BackupError(f"{data_dir} is not empty; restore into an empty folder or pass --force",
                          f"Thư mục {data_dir} không trống; hãy khôi phục vào thư mục trống, hoặc dùng --force "
                          "để ghi đè dữ liệu hiện có")
    with _locked(folder):
        report = verify_backup(folder)
        if not report.ok:
            raise BackupError(f"the backup in {folder} does not verify; nothing was restored",
                              f"Bản sao lưu tại {folder} không toàn vẹn; không khôi phục gì", report.problems)
        manifest = read_manifest(folder)
        data_dir.mkdir(parents=True, exist_ok=True)
        for name in RESTORED:
            path = data_dir / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        snap = folder / SNAPSHOT
        _write_stream(_file_chunks(snap / "catalogue.db"), data_dir / "catalogue.db", mode=0o600)
        for part in ("keys", "trust", "index"):
            if (snap / part).is_dir():
                _copy_tree(snap / part, data_dir / part, {}, data_dir)
        if (data_dir / "index").is_dir():
            for p in (data_dir / "index").rglob("*"):
                p.chmod(0o644 if p.is_file() else 0o755)  # the index is written to again
        store = FilesystemObjectStore(data_dir / OBJECTS)
        for key, entry in manifest["objects"].items():
            _write_stream(_file_chunks(folder / OBJECTS / key), data_dir / OBJECTS / key)
            if entry.get("retain_until"):
                store.set_retention(key, datetime.fromisoformat(entry["retain_until"]))
            if entry.get("legal_hold"):
                store.set_legal_hold(key, True)
        for name in manifest["named"]:
            # written as the store writes them (read-only; the anchors locked as when published)
            store.put_named(name, (folder / OBJECTS / NAMED_PREFIX / name).read_bytes(),
                            retain_until=ANCHOR_RETAIN_UNTIL if name.startswith(ANCHORS) else None)
        fsync_dir(data_dir)
    return report

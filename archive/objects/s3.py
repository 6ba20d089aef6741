"""S3ObjectStore: the scale-out store on MinIO (or any S3 service with object lock), through ``minio``.

Layout and guarantees
---------------------
* One bucket, created with **object lock**, which also turns on **versioning**. Objects live at their
  content key ``sha256/ab/cd/<digest>``; each version carries its SHA-256 as user metadata
  (``x-amz-meta-sha256``). Nothing is ever overwritten: a PUT to an existing key only adds a version,
  and a version under retention (or a legal hold) cannot be removed by anyone before its date —
  in COMPLIANCE mode not even by the root account.
* ``put`` reads its input once, hashing while it streams (``HashingReader``), with memory bounded by
  a few multipart parts (``part_size``). The SHA-256 must be in the object's metadata but is only
  known at the end of the stream, so, unless the caller already knows it (``expected_sha256``), the
  bytes go to a staging key ``staging/<uuid>`` first and are then copied server-side to their content
  key with the metadata; the staging object is removed afterwards. With ``expected_sha256`` the bytes
  go straight to the content key and a version whose digest turns out wrong is removed at once.
* Retention is applied to a version only after its digest has been checked, so no unverified
  version is ever locked. Because of that the bucket must not have a *default* retention rule (it
  would lock staging objects and rejected uploads): ``ensure_bucket`` refuses such a bucket.
* Every request that carries a body also carries ``Content-MD5`` (see :class:`_Client`), so the
  server rejects a body (a whole object or one part) damaged in transit, and uploads meet S3's rule
  that a PutObject with object-lock parameters needs Content-MD5 or an ``x-amz-checksum-*`` header.
* Reads return the current version; ``open(verify=True)`` checks the bytes against the digest in the
  key. A raw PUT by another client therefore cannot silently replace content: the locked original
  version stays in the bucket, and a verified read of the new version fails.

Permissions the archive's S3 user needs: Get/Put/DeleteObject(+Version), ListBucket(+Versions),
Get/PutObjectRetention, Get/PutObjectLegalHold, ListBucketMultipartUploads, AbortMultipartUpload,
GetBucketVersioning, GetBucketObjectLockConfiguration (and CreateBucket for ``ensure_bucket``).
It must **not** need s3:BypassGovernanceRetention: the store never bypasses retention.

Why one module over 600 lines: it is one adapter of one port (``archive.objects.base.ObjectStore``),
and every public method goes through the same few private pieces — the error mapping of ``_s3``,
the version and lock state (``_head``, ``_lock_state``, ``_lock_version``) and the
staging-then-copy protocol of ``put``. Split by method, each part would import the others' private
helpers; what is not S3-specific already lives in ``base.py``.
"""

from __future__ import annotations

import io
import math
import os
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, TypeGuard, cast

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE, REPLACE, ComposeSource, CopySource
from minio.error import S3Error
from minio.helpers import MAX_PART_SIZE, MIN_PART_SIZE, ObjectWriteResult, check_bucket_name, md5sum_hash
from minio.retention import Retention
from minio.versioningconfig import ENABLED, VersioningConfig
from pydantic import SecretStr
from urllib3.exceptions import HTTPError as TransportError
from urllib3.util import Retry, Timeout

from archive.errors import ArchiveError, IntegrityError, ObjectExists, ObjectLocked, ObjectNotFound, SettingsError
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
from archive.objects.s3_listing import ListedVersion, list_versions, parse_s3_time
from archive.settings import S3Settings

CONTENT_PREFIX = "sha256/"
STAGING_PREFIX = "staging/"
SHA256_META = "x-amz-meta-sha256"
_MAX_PARTS = 10_000
_NOT_FOUND = {"NoSuchKey", "NoSuchVersion", "NoSuchObject", "ResourceNotFound"}
_LOCKED = {"AccessDenied", "ObjectLocked", "InvalidObjectState"}


class _Client(Minio):
    """``minio.Minio`` that puts ``Content-MD5`` on every request carrying a body.

    What minio-py 7.2 sends by itself (``Minio._build_headers``): over HTTPS, ``x-amz-content-sha256:
    UNSIGNED-PAYLOAD`` plus Content-MD5; over plain HTTP with credentials (the docker-compose
    network), the signed payload SHA-256 and *no* Content-MD5. S3 requires Content-MD5 or an
    ``x-amz-checksum-*`` header on a PutObject with object-lock parameters (and in a bucket with a
    default retention rule); the store locks versions only afterwards, but sending it on every
    upload keeps every path (single PUT, UploadPart, CompleteMultipartUpload) uniformly checked by
    the server whatever the transport. ``_url_open`` is the one place every minio request goes
    through, before signing, so the header is signed too. minio only computes it when absent.
    """

    def _url_open(self, method: str, region: str, bucket_name: str | None = None,  # type: ignore[override]
                  object_name: str | None = None, body: bytes | None = None, headers: Any = None,
                  **kwargs: Any) -> Any:  # (the override passes minio's further parameters through **kwargs)
        if body is not None and method in ("PUT", "POST"):
            headers = dict(headers or {})
            if not any(str(k).lower() == "content-md5" for k in headers):
                headers["Content-MD5"] = md5sum_hash(body)
        return super()._url_open(method, region, bucket_name=bucket_name, object_name=object_name,
                                 body=body, headers=headers, **kwargs)


def _http_client() -> urllib3.PoolManager:
    """minio's default pool, but with a 10 s connect timeout instead of 5 minutes (with 5 retries an
    unreachable service would hold a health check for half an hour). Reads keep 5 minutes."""
    return urllib3.PoolManager(
        timeout=Timeout(connect=10, read=300),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=Retry(total=5, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


class _FillingReader:
    """Hands minio whole parts: ``read(n)`` returns exactly ``n`` bytes unless the stream ends.

    minio's ``read_part_data`` concatenates whatever ``read`` returns into one bytes object, which is
    quadratic for streams that return small chunks (sockets); joining once per part keeps it linear.
    """

    def __init__(self, reader: HashingReader):
        self._reader = reader
        self.eof = False

    def read(self, n: int = -1) -> bytes:
        parts, want = [], (CHUNK_SIZE if n is None or n < 0 else n)
        while want > 0:
            data = self._reader.read(min(want, CHUNK_SIZE))
            if not data:
                self.eof = True
                break
            parts.append(data)
            want -= len(data)
        return b"".join(parts)


@dataclass(frozen=True)
class _Version:
    """What a HEAD of one object version tells us."""

    key: str
    version_id: str | None
    size: int
    sha256: str | None
    modified_at: datetime | None
    retain_until: datetime | None
    mode: str | None
    legal_hold: bool
    content_type: str | None

    def locked(self, now: datetime) -> bool:
        return self.legal_hold or (self.retain_until is not None and self.retain_until > now)


def _ceil_second(when: datetime) -> datetime:
    """Round a retain-until date up to the whole second, so the date every server reports is never
    earlier than the one asked for: minio sends milliseconds, and some servers keep them but report
    whole seconds in HEAD (versitygw: ``…T04:35:34Z`` for a date set at ``…T04:35:34.046Z``), which
    would read as a retention shorter than asked (and look shortened to the next ``_extend``)."""
    return when if when.microsecond == 0 else when.replace(microsecond=0) + timedelta(seconds=1)


def _locked_error(key: str, version: _Version | None = None, detail: str = "") -> ObjectLocked:
    if version is None and detail:
        return ObjectLocked(f"{key} is protected by object lock (retention or legal hold): the S3 service "
                            f"refused with {detail}",
                            f"Tệp {key} đang được khóa (thời hạn lưu giữ hoặc phong tỏa)")
    if version is not None and version.legal_hold:
        return ObjectLocked(f"{key} is under a legal hold", f"Tệp {key} đang bị phong tỏa (legal hold)")
    if version is not None and version.retain_until is not None:
        return ObjectLocked(f"{key} is retained until {version.retain_until.isoformat()}",
                            f"Tệp {key} được khóa đến {version.retain_until:%d/%m/%Y}")
    return ObjectLocked(f"{key} is protected by object lock (retention or legal hold)",
                        f"Tệp {key} đang được khóa (thời hạn lưu giữ hoặc phong tỏa)")


def _not_found(key: str) -> ObjectNotFound:
    return ObjectNotFound(f"no object {key}", f"Không tìm thấy tệp {key} trong kho lưu trữ")


class S3ObjectStore:
    """Content-addressed objects in one MinIO/S3 bucket with versioning and object lock."""

    name = "s3"
    locks_in_sidecars = False
    named_create_atomic = False

    def __init__(self, endpoint: str | S3Settings | None, access_key: str | None = None,
                 secret_key: str | SecretStr | None = None,
                 bucket: str = "luutru", *, secure: bool = True, region: str | None = None,
                 object_lock: bool = True, retention_mode: str = COMPLIANCE,
                 part_size: int = 16 * 1024 * 1024, refresh_margin: timedelta = timedelta(days=1)):
        """``S3ObjectStore(settings)`` (an ``S3Settings``) or explicit arguments.

        ``refresh_margin``: a duplicate ``put`` of an object retained beyond now + this margin does
        not refresh its age (the repair pass cannot remove it anyway; see ``_refresh``). Keep it
        longer than the repair pass's orphan grace period.
        """
        if isinstance(endpoint, S3Settings):
            s3 = endpoint
            endpoint, access_key, bucket = s3.endpoint, s3.access_key, s3.bucket
            secret_key, secure, region = s3.secret_key, s3.secure, s3.region
            object_lock, retention_mode, part_size = s3.object_lock, s3.retention_mode, s3.part_size
        if isinstance(secret_key, SecretStr):
            secret_key = secret_key.get_secret_value()
        if not endpoint:
            raise SettingsError("the S3 endpoint (host:port) is required",
                                "Chưa cấu hình địa chỉ dịch vụ lưu trữ S3 (host:port)")
        assert isinstance(endpoint, str)  # an S3Settings was unpacked above
        if "://" in endpoint or "/" in endpoint:
            raise SettingsError(
                f"the S3 endpoint must be host:port without scheme or path, not {endpoint!r} "
                "(HTTPS is chosen with secure=true)",
                f"Địa chỉ dịch vụ S3 phải có dạng host:port, không kèm giao thức hay đường dẫn: {endpoint!r}")
        if retention_mode not in (GOVERNANCE, COMPLIANCE):
            raise SettingsError(
                f"retention mode must be GOVERNANCE or COMPLIANCE, not {retention_mode!r}",
                f"Chế độ khóa phải là GOVERNANCE hoặc COMPLIANCE, không phải {retention_mode!r}")
        try:
            check_bucket_name(bucket, strict=True)
        except ValueError as exc:
            raise SettingsError(f"invalid S3 bucket name {bucket!r}: {exc}",
                                f"Tên bucket S3 không hợp lệ: {bucket!r}") from exc
        if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
            raise SettingsError(f"part size must be between 5 MiB and 5 GiB, not {part_size}",
                                f"Kích thước phần tải lên phải từ 5 MiB đến 5 GiB, không phải {part_size}")
        self.endpoint = endpoint
        self.bucket = bucket
        self.secure = secure
        self.region = region
        self.object_lock = object_lock
        self.retention_mode = retention_mode
        self.part_size = part_size
        self.refresh_margin = refresh_margin
        self._client = _Client(endpoint, access_key=access_key, secret_key=secret_key, secure=secure,
                               region=region, http_client=_http_client())

    @classmethod
    def from_settings(cls, s3: S3Settings) -> S3ObjectStore:
        return cls(s3)

    def __repr__(self) -> str:
        scheme = "https" if self.secure else "http"
        return f"S3ObjectStore({scheme}://{self.endpoint}/{self.bucket})"

    # errors ---------------------------------------------------------------------------------
    @contextmanager
    def _s3(self, what: str, key: str | None = None, *, locked: _Version | None = None,
            lock_errors: bool = False) -> Iterator[None]:
        """Translate minio's S3Error: NoSuchKey → ObjectNotFound; with ``lock_errors`` (deleting,
        changing retention) AccessDenied/ObjectLocked → ObjectLocked; anything else → ArchiveError."""
        try:
            yield
        except S3Error as exc:
            if exc.code in _NOT_FOUND and key is not None:
                raise _not_found(key) from exc
            if lock_errors and exc.code in _LOCKED:
                raise _locked_error(key or "?", locked, f"{exc.code}: {exc.message}") from exc
            target = f"{self.bucket}/{key}" if key else self.bucket
            raise ArchiveError(f"S3 {what} failed for {target}: {exc.code}: {exc.message}",
                               f"Thao tác {what} trên kho S3 thất bại ({target}): {exc.code}") from exc

    # bucket ---------------------------------------------------------------------------------
    def ensure_bucket(self) -> None:
        """Create the bucket (with object lock, hence versioning) if missing; check an existing one."""
        with self._s3("create bucket"):
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket, object_lock=self.object_lock)
                except S3Error as exc:
                    if exc.code != "BucketAlreadyOwnedByYou":  # a concurrent ensure_bucket
                        raise
                if not self.object_lock:
                    self._client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
        problems = self._bucket_problems(self._bucket_state())
        if problems:
            raise SettingsError(
                f"bucket {self.bucket} at {self.endpoint} cannot be used: "
                + "; ".join(p for p, _ in problems),
                f"Không thể dùng bucket {self.bucket}: " + "; ".join(v for _, v in problems))

    def _lock_configuration(self) -> tuple[bool, str | None]:
        """(object lock enabled, description of a default retention rule or None).

        Read from the raw XML: minio's ``ObjectLockConfig`` does not expose ``ObjectLockEnabled``,
        and a bucket without object lock answers either ObjectLockConfigurationNotFoundError (S3,
        MinIO) or a configuration saying ``Disabled`` (some S3 implementations).
        """
        try:
            response = self._client._execute("GET", self.bucket, query_params={"object-lock": ""})
        except S3Error as exc:
            if exc.code in ("ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration"):
                return False, None
            raise
        root = ET.fromstring(response.data.decode())

        def text(path: str) -> str | None:  # namespace-agnostic
            node: ET.Element = root
            for part in path.split("/"):
                child = next((c for c in node if c.tag.rsplit("}", 1)[-1] == part), None)
                if child is None:
                    return None
                node = child
            return node.text.strip() if node.text else None

        enabled = text("ObjectLockEnabled") == "Enabled"
        mode = text("Rule/DefaultRetention/Mode")
        if mode is None:
            return enabled, None
        days, years = text("Rule/DefaultRetention/Days"), text("Rule/DefaultRetention/Years")
        return enabled, f"{mode} {days + ' days' if days else (years or '?') + ' years'}"

    def _bucket_state(self) -> tuple[bool, str, bool, str | None]:
        """(exists, versioning status, object lock enabled, default retention rule or None)."""
        with self._s3("check bucket"):
            if not self._client.bucket_exists(self.bucket):
                return False, "Off", False, None
            versioning = self._client.get_bucket_versioning(self.bucket).status_string
            lock_enabled, default_rule = self._lock_configuration()
        return True, versioning, lock_enabled, default_rule

    def _bucket_problems(self, state: tuple[bool, str, bool, str | None]) -> list[tuple[str, str]]:
        """(English, Vietnamese) descriptions of what makes the bucket unfit for this store."""
        exists, versioning, lock_enabled, default_rule = state
        if not exists:
            return [("it does not exist", "bucket không tồn tại")]
        problems: list[tuple[str, str]] = []
        if versioning != "Enabled":
            problems.append((f"versioning is {versioning}, it must be Enabled",
                             f"tính năng phiên bản (versioning) đang là {versioning}, cần bật (Enabled)"))
        if self.object_lock and not lock_enabled:
            problems.append(("object lock is not enabled (it can only be enabled when the bucket is "
                             "created: create a new bucket with object lock and copy the objects)",
                             "bucket chưa bật khóa đối tượng (object lock); chỉ bật được khi tạo bucket mới"))
        if default_rule is not None:
            problems.append((f"it has a default retention rule ({default_rule}); luutru locks each object "
                             "itself after verifying it, and a default rule would lock unverified uploads: "
                             "remove the rule",
                             f"bucket có quy tắc lưu giữ mặc định ({default_rule}); cần gỡ bỏ vì hệ thống "
                             "tự khóa từng tệp sau khi kiểm tra"))
        return problems

    def health(self) -> str:
        """One line on the bucket; raises ArchiveError when the service cannot be reached or the
        bucket is missing or unfit (no versioning, no object lock, a default retention rule)."""
        try:
            state = self._bucket_state()
        except (TransportError, OSError) as exc:  # connection refused, DNS, TLS, timeouts, retries exhausted
            raise ArchiveError(f"S3 service at {self.endpoint} is not reachable: {exc}",
                               f"Không kết nối được dịch vụ lưu trữ S3 tại {self.endpoint}") from exc
        where = f"s3://{self.bucket} at {'https' if self.secure else 'http'}://{self.endpoint}"
        problems = self._bucket_problems(state)
        if problems:
            raise ArchiveError(f"{where}: " + "; ".join(p for p, _ in problems),
                               f"Bucket {self.bucket}: " + "; ".join(v for _, v in problems))
        _, versioning, lock_enabled, _ = state
        lock = f"object lock enabled, {self.retention_mode} retention" if lock_enabled else "object lock off"
        return f"{where} (versioning {versioning}, {lock}, no default retention rule)"

    # helpers --------------------------------------------------------------------------------
    def _head(self, key: str, version_id: str | None = None) -> _Version | None:
        """HEAD of the current (or a given) version; None when there is none."""
        try:
            with self._s3("stat", key):
                obj = self._client.stat_object(self.bucket, key, version_id=version_id)
        except ObjectNotFound:
            return None
        h = obj.metadata or {}
        return _Version(
            key=key,
            version_id=obj.version_id,
            size=int(obj.size or 0),
            sha256=h.get(SHA256_META),
            modified_at=obj.last_modified,
            retain_until=parse_s3_time(h.get("x-amz-object-lock-retain-until-date")),
            mode=h.get("x-amz-object-lock-mode"),
            legal_hold=(h.get("x-amz-object-lock-legal-hold") or "").upper() == "ON",
            content_type=obj.content_type,
        )

    def _versions(self, key: str) -> list[ListedVersion]:
        """Every version and delete marker of exactly ``key``, newest first (S3's order)."""
        with self._s3("list versions", key):
            return [o for o in list_versions(self._client, self.bucket, key) if o.object_name == key]

    def _lock_state(self, key: str, version_id: str | None) -> _Version | None:
        """HEAD of one version, with its retention and legal hold asked for separately when HEAD is
        silent about them: versitygw's HEAD of a non-current version carries no object-lock headers
        (its GetObjectRetention / GetObjectLegalHold do answer). Errors of those two calls leave the
        HEAD's answer (moto answers GET ?retention with an empty body); the server enforces the lock
        whatever this says, this only keeps ``delete`` from removing part of a key."""
        head = self._head(key, version_id)
        if head is None or head.mode is not None or head.legal_hold:
            return head
        try:
            retention = self._client.get_object_retention(self.bucket, key, version_id=version_id)
        except Exception:  # noqa: BLE001 - see above
            retention = None
        try:
            hold = self._client.is_object_legal_hold_enabled(self.bucket, key, version_id=version_id)
        except Exception:  # noqa: BLE001
            hold = False
        if retention is None and not hold:
            return head
        return replace(head, legal_hold=bool(hold),
                                   mode=retention.mode if retention else None,
                                   retain_until=retention.retain_until_date if retention else None)

    def _remove_version(self, key: str, version_id: str | None, *, locked: _Version | None = None) -> None:
        with self._s3("delete", key, locked=locked, lock_errors=True):
            try:
                self._client.remove_object(self.bucket, key, version_id=version_id)
            except S3Error as exc:
                if exc.code not in _NOT_FOUND:  # already gone
                    raise

    def _require_lock(self, what: str) -> None:
        if not self.object_lock:
            raise SettingsError(f"cannot {what}: object lock is disabled for this store",
                                "Kho lưu trữ S3 này không bật khóa đối tượng (object lock)")

    def _lock_version(self, key: str, version_id: str | None, retain_until: datetime | None,
                      legal_hold: bool, *, mode: str | None = None) -> None:
        """Apply retention / legal hold to one (already verified) version."""
        with self._s3("set retention", key, lock_errors=True):
            if retain_until is not None and retain_until > datetime.now(UTC):
                self._client.set_object_retention(
                    self.bucket, key, Retention(mode or self.retention_mode, _ceil_second(retain_until)),
                    version_id=version_id)
            if legal_hold:
                self._client.enable_object_legal_hold(self.bucket, key, version_id=version_id)

    def _upload(self, name: str, reader: HashingReader, size: int | None, metadata: dict[str, Any],
                media_type: str) -> ObjectWriteResult:
        """Stream ``reader`` to ``name``: one PUT for a small object, multipart otherwise; at most one
        part is read ahead (``num_parallel_uploads=1``)."""
        source = _FillingReader(reader)
        if size is None:
            length, part_size = -1, self.part_size
        else:
            length = size
            # Known sizes may need larger parts to stay within S3's 10,000 parts.
            part_size = max(self.part_size, math.ceil(size / _MAX_PARTS / MIN_PART_SIZE) * MIN_PART_SIZE)
        try:
            with self._s3("upload", name):
                result = self._client.put_object(  # minio only calls read() on the source
                    self.bucket, name, cast(BinaryIO, source), length, content_type=media_type, metadata=metadata,
                    part_size=part_size, num_parallel_uploads=1)
        except OSError as exc:
            # minio: "stream having not enough data" when the stream is shorter than declared.
            if size is not None and source.eof and reader.size < size:
                raise IntegrityError(
                    f"received {reader.size} bytes, {size} declared",
                    f"Nhận được {reader.size} byte, khác kích thước khai báo {size} byte") from exc
            raise
        return result

    @staticmethod
    def _check_stream(reader: HashingReader, size: int | None, expected_sha256: str | None) -> None:
        """After streaming: the declared size (with nothing left over) and the expected digest."""
        if size is not None:
            reader.read(1)  # raises IntegrityError when there is more than declared
            if reader.size != size:
                raise IntegrityError(f"received {reader.size} bytes, {size} declared",
                                     f"Nhận được {reader.size} byte, khác kích thước khai báo {size} byte")
        if expected_sha256 is not None and reader.sha256 != expected_sha256:
            raise IntegrityError(f"SHA-256 of the received bytes is {reader.sha256}, not {expected_sha256}",
                                 "Mã băm SHA-256 của dữ liệu nhận được không khớp")

    def _copy(self, source_key: str, source_version: str | None, size: int, key: str,
              metadata: dict[str, Any]) -> ObjectWriteResult:
        """Server-side copy to ``key`` with new metadata; CopyObject handles ≤ 5 GiB, larger objects
        are copied part by part (UploadPartCopy) with ``compose_object``."""
        with self._s3("copy", key):
            if size > MAX_PART_SIZE:
                return self._client.compose_object(
                    self.bucket, key, [ComposeSource(self.bucket, source_key, version_id=source_version)],
                    metadata=metadata)
            return self._client.copy_object(
                self.bucket, key, CopySource(self.bucket, source_key, version_id=source_version),
                metadata=metadata, metadata_directive=REPLACE)

    def _remove_all_versions(self, name: str) -> None:
        for version in self._versions(name):
            self._remove_version(name, version.version_id)

    # writing --------------------------------------------------------------------------------
    def put(self, stream: BinaryIO, *, expected_sha256: str | None = None, size: int | None = None,
            media_type: str = "application/octet-stream",
            retain_until: datetime | None = None) -> StoredObject:
        if retain_until is not None:
            self._require_lock("retain an object")
            if retain_until.tzinfo is None:
                raise ValueError("retain_until must be timezone-aware")
        if size is not None and size < 0:
            raise ValueError("size must not be negative")
        reader = HashingReader(stream, max_size=size)
        if expected_sha256 is not None:
            return self._put_known(reader, expected_sha256, size, media_type, retain_until)
        return self._put_staged(reader, size, media_type, retain_until)

    def _same(self, current: _Version | None, sha256: str, size: int | None) -> TypeGuard[_Version]:
        """Is the current version at the content key the same content (per its metadata and size)?"""
        return (current is not None and current.sha256 == sha256
                and (size is None or current.size == size))

    def _put_staged(self, reader: HashingReader, size: int | None, media_type: str,
                    retain_until: datetime | None) -> StoredObject:
        staging = f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        try:
            staged = self._upload(staging, reader, size, {"luutru-staging": "1"}, media_type)
            self._check_stream(reader, size, None)
            sha256 = reader.sha256
            key = key_for_sha256(sha256)
            current = self._head(key)
            if self._same(current, sha256, reader.size):
                version_id = self._refresh(key, current, staging, staged.version_id, reader.size)
                created = False
            else:
                # Not there yet (or the current version is not ours: other metadata or size; it is
                # kept, as every version is, and ours becomes current).
                copied = self._copy(staging, staged.version_id, reader.size, key,
                                    {"Content-Type": media_type, SHA256_META: sha256})
                version_id, created = copied.version_id, True
        finally:
            # All versions of the staging key: there is one, unless a retry of the PUT made more.
            try:
                self._remove_all_versions(staging)
            except ArchiveError:
                pass  # cleanup_incomplete removes it later
        if retain_until is not None:
            self._extend(key, version_id, retain_until)
        return StoredObject(key=key, sha256=sha256, size=reader.size, created=created, md5=reader.md5,
                            version_id=version_id, block_digests=reader.block_digests)

    def _put_known(self, reader: HashingReader, expected_sha256: str, size: int | None, media_type: str,
                   retain_until: datetime | None) -> StoredObject:
        key = key_for_sha256(expected_sha256)  # ValueError unless a lowercase hex SHA-256
        current = self._head(key)
        if self._same(current, expected_sha256, size):
            # Already stored: the bytes are not uploaded again, only hashed to check the caller's claim.
            for _ in reader.chunks():
                pass
            self._check_stream(reader, size, expected_sha256)
            if reader.size != current.size:
                raise IntegrityError(
                    f"{key} is stored with {current.size} bytes but its content has {reader.size}: the "
                    "stored version is damaged; restore it (fixity check) before storing this content again",
                    f"Bản lưu của tệp {key} bị sai kích thước (hỏng); cần khôi phục trước khi lưu lại")
            version_id = self._refresh(key, current, key, current.version_id, current.size)
            created = False
        else:
            metadata = {SHA256_META: expected_sha256}
            written = self._upload(key, reader, size, metadata, media_type)
            try:
                self._check_stream(reader, size, expected_sha256)
            except IntegrityError:
                # This version was never verified: remove it (by version id, so no delete marker and
                # no other version is touched). It is not locked: retention comes only after this.
                self._remove_version(key, written.version_id)
                raise
            version_id, created = written.version_id, True
        if retain_until is not None:
            self._extend(key, version_id, retain_until)
        return StoredObject(key=key, sha256=expected_sha256, size=reader.size, created=created,
                            md5=reader.md5, version_id=version_id, block_digests=reader.block_digests)

    def _refresh(self, key: str, current: _Version, source_key: str, source_version: str | None,
                 size: int) -> str | None:
        """The content is already stored; make its current version young again.

        The repair pass removes objects without a catalogue row once they are older than a grace
        period, judged by ``modified_at`` (S3's Last-Modified of the current version). An ingest that
        finds its bytes already stored is about to commit a row pointing to them; if the object were
        an old orphan the repair pass could remove it between this ``put`` and that commit. S3 has no
        "touch": Last-Modified only changes with a new version, and a new version is what a
        server-side copy makes — no bytes travel through this process. So:

        * the copy's source is the staging object when there is one (bytes just hashed, so the new
          current version is known-good even if the old one had rotted), else the current version
          itself (a copy onto itself, which S3 allows with the REPLACE metadata directive, carrying the
          same metadata);
        * the new version gets the old one's legal hold and retention (mode and date) after the copy,
          so the key's lock state never weakens;
        * the superseded version is then removed by version id when it is not locked, so the store keeps
          one physical copy; a locked one stays (and cannot be removed anyway);
        * an object retained beyond now + ``refresh_margin`` is left alone: the repair pass cannot remove
          it before the caller commits, and copying it would add a locked copy per duplicate put.
        """
        now = datetime.now(UTC)
        if current.retain_until is not None and current.retain_until > now + self.refresh_margin:
            return current.version_id
        metadata = {"Content-Type": current.content_type or "application/octet-stream",
                    SHA256_META: current.sha256}
        copied = self._copy(source_key, source_version, size, key, metadata)
        if copied.version_id is None or current.version_id is None or copied.version_id == current.version_id:
            return copied.version_id  # versioning off (ensure_bucket refuses that): nothing to remove
        if current.retain_until is not None or current.legal_hold:
            self._lock_version(key, copied.version_id, current.retain_until, current.legal_hold,
                               mode=current.mode)
        if not current.locked(datetime.now(UTC)):
            try:
                self._remove_version(key, current.version_id)
            except ArchiveError:
                pass  # locked meanwhile, or the service hiccuped: a spare copy of the same bytes stays
        return copied.version_id

    # reading --------------------------------------------------------------------------------
    def open(self, key: str, *, verify: bool = False, expected_size: int | None = None) -> VerifyingReader:
        digest = sha256_from_key(key)
        with self._s3("read", key):
            response = self._client.get_object(self.bucket, key)
        try:
            actual = int(response.headers.get("content-length", "0"))
        except ValueError:
            actual = 0

        def chunks() -> Iterator[bytes]:
            # decode_content=False: the stored bytes, even if someone set a Content-Encoding.
            yield from response.stream(CHUNK_SIZE, decode_content=False)

        def close() -> None:
            response.close()
            response.release_conn()

        reader = VerifyingReader(chunks(), key=key, size=actual if expected_size is None else expected_size,
                                 sha256=digest, verify=verify, close=close)
        # The digest kept in the version's metadata: a fixity check compares it as well as the
        # bytes (never the ETag alone, which is not a SHA-256 and differs for multipart uploads).
        reader.stored_sha256 = response.headers.get(SHA256_META) or ""
        return reader

    def open_range(self, key: str, start: int, length: int) -> Iterator[bytes]:
        sha256_from_key(key)
        if length <= 0:
            return iter(())
        with self._s3("read", key):
            response = self._client.get_object(self.bucket, key, offset=start, length=length)

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.stream(CHUNK_SIZE, decode_content=False)
            finally:
                response.close()
                response.release_conn()

        return chunks()

    def stat(self, key: str) -> ObjectInfo:
        """Of the current version. ``sha256`` is the digest recorded in its metadata: empty when the
        current version carries none (it was not written by luutru — a fixity warning)."""
        sha256_from_key(key)
        current = self._head(key)
        if current is None:
            raise _not_found(key)
        return ObjectInfo(key=key, size=current.size, sha256=current.sha256 or "",
                          retain_until=current.retain_until, legal_hold=current.legal_hold,
                          version_id=current.version_id, modified_at=current.modified_at)

    def exists(self, key: str) -> bool:
        sha256_from_key(key)
        return self._head(key) is not None

    def iter_keys(self) -> Iterator[str]:
        """Content keys in lexicographic order (S3 lists keys in UTF-8 binary order)."""
        with self._s3("list"):
            for obj in self._client.list_objects(self.bucket, prefix=CONTENT_PREFIX, recursive=True):
                try:
                    sha256_from_key(obj.object_name)
                except ValueError:
                    continue  # not ours
                yield obj.object_name

    # retention ------------------------------------------------------------------------------
    def _extend(self, key: str, version_id: str | None, retain_until: datetime) -> None:
        """Retention for a version just written or found by ``put``: never shortens, never fails
        because the object is already retained longer."""
        current = self._head(key, version_id)
        if current is None:
            raise _not_found(key)
        if current.retain_until is not None and current.retain_until >= retain_until:
            return
        self._lock_version(key, current.version_id, retain_until, False, mode=current.mode)

    def set_retention(self, key: str, retain_until: datetime) -> None:
        """Extend the retain-until date of the current version; never shortens it.

        A date in the past is accepted and changes nothing (S3 refuses to set one)."""
        sha256_from_key(key)
        if retain_until.tzinfo is None:
            raise ValueError("retain_until must be timezone-aware")
        self._require_lock("set a retention date")
        current = self._head(key)
        if current is None:
            raise _not_found(key)
        if current.retain_until is not None and retain_until < current.retain_until:
            raise ObjectLocked(
                f"{key} is retained until {current.retain_until.isoformat()}; retention can only be extended",
                f"Tệp {key} được khóa đến {current.retain_until:%d/%m/%Y}; "
                "chỉ có thể gia hạn, không thể rút ngắn",
            )
        # Keep a GOVERNANCE version in GOVERNANCE: changing the mode needs bypass permission.
        self._lock_version(key, current.version_id, retain_until, False, mode=current.mode)

    def set_legal_hold(self, key: str, on: bool) -> None:
        """On: on the current version. Off: released on every version, so the key can be deleted."""
        sha256_from_key(key)
        self._require_lock("set a legal hold")
        current = self._head(key)
        if current is None:
            raise _not_found(key)
        with self._s3("set legal hold", key):
            if on:
                self._client.enable_object_legal_hold(self.bucket, key, version_id=current.version_id)
                return
            for version in self._versions(key):
                if not version.is_delete_marker:
                    self._client.disable_object_legal_hold(self.bucket, key, version_id=version.version_id)

    # removing -------------------------------------------------------------------------------
    def delete(self, key: str) -> None:
        """Remove every version (and delete marker) of ``key``, each by version id, so no delete
        marker is left behind. All versions are checked first: if any is under retention or a legal
        hold nothing is removed and ObjectLocked is raised (the server enforces it as well)."""
        sha256_from_key(key)
        versions = self._versions(key)
        real = [v for v in versions if not v.is_delete_marker]
        if not real:
            for marker in versions:  # stray delete markers of an object that is gone
                self._remove_version(key, marker.version_id)
            raise _not_found(key)
        now = datetime.now(UTC)
        for version in real:
            head = self._lock_state(key, version.version_id)
            if head is not None and head.locked(now):
                raise _locked_error(key, head)
        # Oldest first, so the current version stays readable until the end if anything fails.
        for version in reversed(versions):
            self._remove_version(key, version.version_id)

    def cleanup_incomplete(self, older_than: datetime) -> int:
        """Remove staging objects (all versions) last modified before ``older_than`` and abort
        multipart uploads (staging and content keys) initiated before it; returns how many.

        ``older_than`` must be earlier than the start of any upload still running (the repair pass
        uses now − orphan grace): an aborted upload makes its ``put`` fail."""
        removed = 0
        with self._s3("list staging"):
            stale = [o for o in list_versions(self._client, self.bucket, STAGING_PREFIX)
                     if o.last_modified is not None and o.last_modified < older_than]
        for obj in stale:
            try:
                self._remove_version(obj.object_name, obj.version_id)
                removed += 1
            except ArchiveError:
                pass
        for prefix in (STAGING_PREFIX, CONTENT_PREFIX):
            removed += self._abort_stale_uploads(prefix, older_than)
        return removed

    def _abort_stale_uploads(self, prefix: str, older_than: datetime) -> int:
        """minio-py has no public API for this; its ``_list_multipart_uploads`` and
        ``_abort_multipart_upload`` wrap ListMultipartUploads and AbortMultipartUpload. Its result
        does not carry NextUploadIdMarker (the attribute is mis-set in minio 7.2), so pages are
        followed with the key and upload id of each page's last upload, which is what S3 defines the
        next markers to be."""
        aborted = 0
        key_marker = upload_marker = None
        while True:
            with self._s3("list uploads"):
                page = self._client._list_multipart_uploads(
                    self.bucket, prefix=prefix, key_marker=key_marker, upload_id_marker=upload_marker)
            for upload in page.uploads:
                if upload.initiated_time is not None and upload.initiated_time < older_than and upload.upload_id:
                    try:
                        with self._s3("abort upload", upload.object_name):
                            self._client._abort_multipart_upload(self.bucket, upload.object_name,
                                                                 upload.upload_id)
                        aborted += 1
                    except ArchiveError:
                        pass  # finished or aborted meanwhile (NoSuchUpload)
            if not page.is_truncated or not page.uploads:
                return aborted
            key_marker = page.next_key_marker or page.uploads[-1].object_name
            upload_marker = page.uploads[-1].upload_id

    # named objects --------------------------------------------------------------------------
    def put_named(self, name: str, data: bytes, *, retain_until: datetime | None = None) -> None:
        """``named/<name>``: refused when a version exists (a name is written once), then locked
        until ``retain_until`` in the store's retention mode, like an original."""
        key = NAMED_PREFIX + check_name(name)
        if self._head(key) is not None:
            raise ObjectExists(f"named object {name} exists", f"Đối tượng {name} đã có trong kho")
        with self._s3("upload", key):
            result = self._client.put_object(self.bucket, key, io.BytesIO(data), len(data),
                                             content_type="application/json" if name.endswith(".json")
                                             else "application/octet-stream")
        if retain_until is not None and self.object_lock:
            self._lock_version(key, result.version_id, retain_until, False)

    def get_named(self, name: str) -> bytes:
        key = NAMED_PREFIX + check_name(name)
        with self._s3("read", key):
            response = self._client.get_object(self.bucket, key)
        try:
            return response.read(decode_content=False)
        finally:
            response.close()
            response.release_conn()

    def delete_named(self, name: str) -> None:
        key = NAMED_PREFIX + check_name(name)
        versions = self._versions(key)
        now = datetime.now(UTC)
        for version in versions:
            if not version.is_delete_marker:
                head = self._lock_state(key, version.version_id)
                if head is not None and head.locked(now):
                    raise _locked_error(key, head)
        for version in reversed(versions):
            self._remove_version(key, version.version_id)

    def list_named(self, prefix: str) -> Iterator[str]:
        if prefix.strip("/"):
            check_name(prefix.rstrip("/"))
        with self._s3("list"):
            names = [o.object_name[len(NAMED_PREFIX):]
                     for o in self._client.list_objects(self.bucket, prefix=NAMED_PREFIX + prefix, recursive=True)]
        yield from sorted(names)

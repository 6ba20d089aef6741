"""The ObjectStore protocol and the streaming helpers every implementation shares.

Contract (tested once for every implementation in ``tests/contract/test_object_store.py``):

* Objects are content-addressed: the key of a blob is ``sha256/<aa>/<bb>/<hex digest>``.
  ``put`` computes the SHA-256 (and MD5, for S3's Content-MD5) *while streaming*; the input is read
  exactly once and memory stays flat whatever the size.
* Nothing is ever overwritten: putting bytes that are already stored returns the existing object
  (``created=False``); an ``expected_sha256`` that does not match what was streamed raises
  :class:`~archive.errors.IntegrityError` and leaves nothing behind.
* ``put`` also records the SHA-256 of every ``BLOCK_SIZE`` block of the stream
  (``StoredObject.block_digests``, for objects of more than one block), computed in the same pass, so
  a download can be verified block by block before each block is sent (``archive.fixity``).
* ``open`` returns a reader that checks the size at the end of the stream and, with ``verify=True``,
  the SHA-256; a mismatch raises ``IntegrityError`` from the final ``read``.
* Retention (object lock): an object with a retain-until date in the future, or a legal hold,
  cannot be deleted (``ObjectLocked``). Retention can be extended, never shortened; ``put``'s
  ``retain_until`` means "retain at least until" (an earlier date on a duplicate is ignored).
* Besides content objects, a store keeps small **named objects** (``put_named``): what the archive
  publishes about itself so that it can be checked without the catalogue — the audit log's anchors
  (``audit/anchors/00000001.json``). A name is written once and never overwritten
  (``ObjectExists``); on S3 it is locked like an original. ``iter_keys`` never lists them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol, runtime_checkable

from archive.errors import IntegrityError

CHUNK_SIZE = 1024 * 1024
BLOCK_SIZE = 1024 * 1024
"""Size of the blocks whose SHA-256 ``put`` records (the last block may be shorter)."""
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def key_for_sha256(sha256: str) -> str:
    """The storage key of a blob: ``sha256/ab/cd/abcd…`` (two fan-out levels keep folders small)."""
    if not _HEX64.match(sha256):
        raise ValueError(f"not a lowercase hex SHA-256: {sha256!r}")
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*$")
NAMED_PREFIX = "named/"
"""Where named objects live in a store, apart from the content keys."""


def check_name(name: str) -> str:
    """A named object's name: lower-case ASCII path parts (``audit/anchors/00000001.json``), no
    ``..``, nothing a filesystem or S3 would read as something else."""
    if not isinstance(name, str) or len(name) > 200 or not _NAME.match(name) or ".." in name:
        raise ValueError(f"not an object name: {name!r}")
    return name


def sha256_from_key(key: str) -> str:
    digest = key.rsplit("/", 1)[-1]
    if not key.startswith("sha256/") or not _HEX64.match(digest) or key != key_for_sha256(digest):
        raise ValueError(f"not a content key: {key!r}")
    return digest


@dataclass(frozen=True)
class StoredObject:
    """What ``put`` returns. ``created`` is False when identical bytes were already stored."""

    key: str
    sha256: str
    size: int
    created: bool
    md5: str | None = None
    version_id: str | None = None
    block_digests: bytes | None = None
    """The SHA-256 (32 bytes each, in order) of every ``BLOCK_SIZE`` block of the bytes streamed;
    None for an object of one block or less (its SHA-256 is its only block digest)."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str
    retain_until: datetime | None = None
    legal_hold: bool = False
    version_id: str | None = None
    modified_at: datetime | None = None
    lock_unreadable: bool = False
    """The filesystem store's ``.lock`` sidecar cannot be read (damaged on disk): the object is then
    treated as held (``legal_hold`` True) until the lock is restored — never as unlocked."""


class BlockHasher:
    """SHA-256 of each ``block_size`` block of a stream fed in pieces of any size."""

    def __init__(self, block_size: int = BLOCK_SIZE):
        self.block_size = block_size
        self._digests: list[bytes] = []
        self._sha = hashlib.sha256()
        self._filled = 0

    def update(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            take = min(len(view), self.block_size - self._filled)
            self._sha.update(view[:take])
            self._filled += take
            view = view[take:]
            if self._filled == self.block_size:
                self._digests.append(self._sha.digest())
                self._sha, self._filled = hashlib.sha256(), 0

    def digests(self) -> bytes:
        """Every block's digest, the last (shorter) block included."""
        tail = [self._sha.copy().digest()] if self._filled or not self._digests else []
        return b"".join(self._digests + tail)


class HashingReader:
    """Wraps a binary stream; counts bytes and feeds SHA-256, MD5 and the block digests as the
    consumer reads.

    Used on the way in, so a file is read exactly once to be stored.
    """

    def __init__(self, raw: BinaryIO, *, max_size: int | None = None):
        self._raw = raw
        self._sha = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._blocks = BlockHasher()
        self.size = 0
        self._max = max_size

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n if n is not None and n >= 0 else CHUNK_SIZE)
        if data:
            self._sha.update(data)
            self._md5.update(data)
            self._blocks.update(data)
            self.size += len(data)
            if self._max is not None and self.size > self._max:
                raise IntegrityError(
                    f"stream is larger than the declared {self._max} bytes",
                    f"Dữ liệu dài hơn kích thước đã khai báo ({self._max} byte)",
                )
        return data

    def chunks(self, size: int = CHUNK_SIZE) -> Iterator[bytes]:
        while data := self.read(size):
            yield data

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    @property
    def md5(self) -> str:
        return self._md5.hexdigest()

    @property
    def block_digests(self) -> bytes | None:
        """See ``StoredObject.block_digests``."""
        return self._blocks.digests() if self.size > self._blocks.block_size else None


class VerifyingReader:
    """A read-only stream over stored bytes that checks size and (optionally) SHA-256 at the end.

    The check fires on the read that reaches end of stream, before it returns ``b""``, so a
    consumer that reads to the end cannot miss a fixity failure.
    """

    def __init__(self, chunks: Iterator[bytes], *, key: str, size: int, sha256: str, verify: bool,
                 close: Callable[[], object] | None = None):
        self._chunks = chunks
        self._buf = b""
        self._key = key
        self._size = size
        self._expected = sha256
        self._verify = verify
        self._sha = hashlib.sha256() if verify else None
        self._seen = 0
        self._done = False
        self._close = close
        self.stored_sha256: str | None = None
        """The SHA-256 the store keeps beside the bytes (S3 metadata of the version read), when it
        keeps one apart from the key; a fixity check compares it too."""

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        if self._seen != self._size:
            raise IntegrityError(
                f"{self._key}: read {self._seen} bytes, catalogue says {self._size}",
                f"Tệp {self._key} bị sai kích thước: đọc được {self._seen} byte, cần {self._size} byte",
            )
        if self._sha is not None and self._sha.hexdigest() != self._expected:
            raise IntegrityError(
                f"{self._key}: SHA-256 {self._sha.hexdigest()} does not match {self._expected}",
                f"Tệp {self._key} bị thay đổi: mã băm SHA-256 không khớp",
            )

    def read(self, n: int = -1) -> bytes:
        chunk: bytes | None
        if n is None or n < 0:
            parts = [self._buf]
            self._buf = b""
            for chunk in self._chunks:
                self._account(chunk)
                parts.append(chunk)
            self._finish()
            return b"".join(parts)
        while len(self._buf) < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._account(chunk)
            self._buf += chunk
        out, self._buf = self._buf[:n], self._buf[n:]
        if not out:
            self._finish()
        return out

    def _account(self, chunk: bytes) -> None:
        self._seen += len(chunk)
        if self._sha is not None:
            self._sha.update(chunk)
        if self._seen > self._size:
            self._finish()

    def __iter__(self) -> Iterator[bytes]:
        while data := self.read(CHUNK_SIZE):
            yield data

    def chunks(self) -> Iterator[bytes]:
        """The bytes in the pieces the store delivers them (no copying into ``CHUNK_SIZE`` reads),
        with the same checks at the end."""
        if self._buf:
            data, self._buf = self._buf, b""
            yield data
        for chunk in self._chunks:
            self._account(chunk)
            yield chunk
        self._finish()

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self) -> VerifyingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def grouped_sync(store: object) -> AbstractContextManager[None]:
    """The store's grouping of durability syncs for a block of writes
    (``FilesystemObjectStore.grouped_dir_sync``); nothing to group for the others (S3 is durable
    when a put returns)."""
    grouped: Callable[[], AbstractContextManager[None]] | None = getattr(store, "grouped_dir_sync", None)
    return grouped() if grouped is not None else nullcontext()


@runtime_checkable
class ObjectStore(Protocol):
    """Where bytes live. Implementations: ``FilesystemObjectStore`` (embedded), ``S3ObjectStore``."""

    name: str
    locks_in_sidecars: bool
    """Retention locks are files beside the objects (the filesystem store), which can be damaged
    apart from the object (``ObjectInfo.lock_unreadable``); False where the server keeps them (S3
    object lock), whose ``stat`` never reports an unreadable lock — and costs a request."""
    named_create_atomic: bool
    """``put_named`` creates a name atomically: of two writers at the same moment one gets
    ``ObjectExists`` (the filesystem's ``link``). False on S3, where a HEAD comes before the PUT: two
    writers may both find the name free and both store a version, the later one read back."""

    def put(self, stream: BinaryIO, *, expected_sha256: str | None = None, size: int | None = None,
            media_type: str = "application/octet-stream",
            retain_until: datetime | None = None) -> StoredObject:
        """Store a stream once, computing its digests while streaming; never overwrite."""
        ...

    def open(self, key: str, *, verify: bool = False, expected_size: int | None = None) -> VerifyingReader:
        """Read an object back as a stream; raises ObjectNotFound, and IntegrityError at the end when
        the size differs from ``expected_size`` (the catalogue's) or the stored size, or, with
        ``verify``, when the SHA-256 differs from the key."""
        ...

    def open_range(self, key: str, start: int, length: int) -> Iterator[bytes]:
        """Stream ``length`` bytes from offset ``start`` (HTTP Range requests); raises ObjectNotFound.
        A part cannot be checked against the SHA-256: fixity is verified by whole reads."""
        ...

    def stat(self, key: str) -> ObjectInfo:
        """Size, SHA-256, retention of an object; raises ObjectNotFound."""
        ...

    def exists(self, key: str) -> bool: ...

    def iter_keys(self) -> Iterator[str]:
        """Every content key in the store (for the repair pass and fixity sweeps)."""
        ...

    def set_retention(self, key: str, retain_until: datetime) -> None:
        """Extend the retain-until date; a date earlier than the current one raises ObjectLocked."""
        ...

    def set_legal_hold(self, key: str, on: bool) -> None: ...

    def cleanup_incomplete(self, older_than: datetime) -> int:
        """Remove what interrupted writes left (temporary files, staging objects, unfinished
        multipart uploads) started before ``older_than``; returns how many were removed."""
        ...

    def put_named(self, name: str, data: bytes, *, retain_until: datetime | None = None) -> None:
        """Write a small named object once (``check_name``); raises ``ObjectExists`` when the name
        is taken. ``retain_until`` locks it (S3 object lock; the filesystem records it)."""
        ...

    def get_named(self, name: str) -> bytes:
        """A named object's bytes; raises ObjectNotFound."""
        ...

    def list_named(self, prefix: str) -> Iterator[str]:
        """Names under ``prefix`` (``audit/anchors/``), in byte order."""
        ...

    def delete_named(self, name: str) -> None:
        """Remove a named object (every version); nothing when there is none; raises ObjectLocked
        while it is retained (only unlocked names, such as deposit manifests, are ever deleted)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object and every version of it; raises ObjectLocked while retained or held."""
        ...

    def health(self) -> str:
        """A one-line description of the store's state; raises when it cannot be reached."""
        ...

"""Reading stored bytes block by block, each block checked against the SHA-256 recorded at ingest.

``ObjectStore.put`` records the SHA-256 of every ``BLOCK_SIZE`` block while it streams
(``StoredObject.block_digests``). ``read_blocks`` reads a run of blocks back (the whole object, or
the blocks that cover an HTTP byte range) and yields each block only after it matched, so a caller
never passes on a byte that failed its digest; it raises :class:`BlockMismatch` at the first block
that does not match (or is short, or is followed by bytes that should not be there).
``VerifiedSpan`` builds the rules of a download on it (verify before the first byte up to a limit,
block by block beyond, the next copy when one fails); ``archive.fixity`` wires it to the catalogue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from archive.errors import IntegrityError, ObjectNotFound
from archive.objects.base import BLOCK_SIZE, BlockHasher, ObjectStore

DIGEST = 32


class BlockMismatch(IntegrityError):
    """Bytes read back differ from their recorded digest; ``block`` is the first bad block (or None
    when only the whole-object SHA-256 tells)."""

    def __init__(self, key: str, block: int | None, problem: str):
        where = f"block {block}" if block is not None else "the object"
        where_vi = f"khối {block}" if block is not None else "tệp"
        super().__init__(f"{key}: {problem} in {where}", f"Tệp {key} bị thay đổi ({where_vi} không khớp mã băm SHA-256)")
        self.key, self.block, self.problem = key, block, f"{problem} in {where}"


@dataclass(frozen=True)
class Digests:
    """What the bytes of one object must be: its SHA-256, size and the SHA-256 of each block."""

    key: str
    sha256: str
    size: int
    block_size: int
    blocks: bytes
    """32 bytes per block, in order (for one block: the object's own SHA-256)."""

    @classmethod
    def of(cls, key: str, sha256: str, size: int, block_size: int | None, blocks: bytes | None) -> Digests | None:
        """None when the object has several blocks and their digests were never recorded."""
        block_size = block_size or BLOCK_SIZE
        count = -(-size // block_size)
        if count <= 1:
            return cls(key, sha256, size, block_size, bytes.fromhex(sha256) if count else b"")
        if blocks is None or len(blocks) != count * DIGEST:
            return None
        return cls(key, sha256, size, block_size, blocks)

    @property
    def count(self) -> int:
        return -(-self.size // self.block_size)

    def digest(self, i: int) -> bytes:
        return self.blocks[i * DIGEST:(i + 1) * DIGEST]

    def length(self, i: int) -> int:
        return min(self.block_size, self.size - i * self.block_size)

    def covering(self, start: int, length: int) -> tuple[int, int]:
        """First and last block holding bytes ``start`` … ``start + length - 1`` (length > 0)."""
        return start // self.block_size, (start + length - 1) // self.block_size


def cut(chunks: Iterable[bytes], block_size: int) -> Iterator[bytes]:
    """The stream re-cut into ``block_size`` blocks (the last may be shorter). Chunks that already
    are one block pass through without copying (the stores read 1 MiB at a time)."""
    buf = bytearray()
    for chunk in chunks:
        if not buf and len(chunk) == block_size:
            yield chunk
            continue
        buf += chunk
        while len(buf) >= block_size:
            yield bytes(buf[:block_size])
            del buf[:block_size]
    if buf:
        yield bytes(buf)


def read_blocks(store: ObjectStore, digests: Digests, first: int, last: int) -> Iterator[tuple[int, bytes]]:
    """Blocks ``first`` … ``last`` of the object as ``(index, bytes)``, each yielded only after it
    matched its digest. Raises ``BlockMismatch`` at the first bad block, ``ObjectNotFound`` when the
    object is not in the store. The whole object is read with ``open`` (so bytes beyond the recorded
    size are noticed), a part with ``open_range``."""
    bs, key = digests.block_size, digests.key
    whole = first == 0 and last == digests.count - 1
    reader = None
    if whole:
        reader = store.open(key, expected_size=digests.size)
        chunks: Iterator[bytes] = reader.chunks()
    else:
        end = min(digests.size, (last + 1) * bs)
        chunks = store.open_range(key, first * bs, end - first * bs)
    i = first
    try:
        for block in cut(chunks, bs):
            if i > last:
                raise BlockMismatch(key, i, "bytes beyond the recorded size")
            if len(block) != digests.length(i):
                raise BlockMismatch(key, i, f"{len(block)} bytes instead of {digests.length(i)}")
            if hashlib.sha256(block).digest() != digests.digest(i):
                raise BlockMismatch(key, i, "sha256 mismatch")
            yield i, block
            i += 1
        if i <= last:
            raise BlockMismatch(key, i, "object shorter than recorded")
    except ObjectNotFound:
        raise
    except BlockMismatch:
        raise
    except IntegrityError as exc:  # the store's own size check (e.g. S3 Content-Length)
        raise BlockMismatch(key, min(i, last), str(exc)) from exc
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        if reader is not None:
            reader.close()


BUFFER_LIMIT = 8 * 1024 * 1024
"""A verified span up to this size is kept in memory and sent from there (read once); a longer one
is read a second time to be sent, each block checked again."""


class VerifiedSpan:
    """The bytes ``start`` … ``start + length - 1`` of one object, verified before they are handed
    out (``archive.fixity`` explains the rules), read from the first of ``sources`` that has them
    right.

    ``digests`` is None for an object of several blocks whose block digests were never recorded:
    it is then read and hashed whole first, and ``on_digests`` receives what was computed.
    ``on_failure(source, error)`` is told of every copy that fails; when none is left, the
    exception ``give_up(error)`` returns is raised. ``source`` names the copy in use.
    """

    def __init__(self, sources: list[tuple[str, ObjectStore]], digests: Digests | None, *, key: str, sha256: str,
                 size: int, start: int, length: int, prehash_limit: int,
                 on_failure: Callable[[str, Exception], None], on_digests: Callable[[Digests], None],
                 give_up: Callable[[Exception], Exception]):
        self.sources = list(sources)
        self.source = self.sources[0][0]
        self.digests, self.key, self.sha256, self.size = digests, key, sha256, size
        self.start, self.length, self.prehash_limit = start, length, prehash_limit
        self.on_failure, self.on_digests, self.give_up = on_failure, on_digests, give_up

    def _failed(self, exc: Exception) -> ObjectStore:
        """The current copy failed: report it and go on with the next, or give up."""
        self.on_failure(self.sources[0][0], exc)
        self.sources = self.sources[1:]
        if not self.sources:
            raise self.give_up(exc) from exc
        self.source = self.sources[0][0]
        return self.sources[0][1]

    def _slice(self, i: int, block: bytes, bs: int) -> bytes:
        lo = max(self.start - i * bs, 0)
        hi = min(self.start + self.length - i * bs, len(block))
        return block if lo == 0 and hi == len(block) else block[lo:hi]

    def _full_read(self, keep: bool) -> tuple[Digests, list[bytes] | None]:
        """Read and hash the whole object, recording its block digests; its blocks when ``keep``."""
        store = self.sources[0][1]
        while True:
            try:
                sha, hasher, kept = hashlib.sha256(), BlockHasher(), []
                with store.open(self.key, expected_size=self.size) as reader:
                    for chunk in reader.chunks():
                        sha.update(chunk)
                        hasher.update(chunk)
                        if keep:
                            kept.append(chunk)
                if sha.hexdigest() != self.sha256:
                    raise BlockMismatch(self.key, None, "sha256 mismatch")
                digests = Digests(self.key, self.sha256, self.size, BLOCK_SIZE, hasher.digests())
                self.on_digests(digests)
                return digests, (list(cut(kept, BLOCK_SIZE)) if keep else None)
            except (IntegrityError, ObjectNotFound) as exc:
                store = self._failed(exc)

    def _verify_all(self, digests: Digests, first: int, last: int, whole: bool, *, keep: bool) -> list[bytes] | None:
        """Read and check blocks ``first`` … ``last`` (and the object's SHA-256 when they are all of
        it) before anything is sent; the blocks when ``keep``."""
        store = self.sources[0][1]
        while True:
            try:
                sha, kept = (hashlib.sha256() if whole else None), []
                for _, block in read_blocks(store, digests, first, last):
                    if sha is not None:
                        sha.update(block)
                    if keep:
                        kept.append(block)
                if sha is not None and sha.hexdigest() != digests.sha256:
                    raise BlockMismatch(self.key, None, "sha256 mismatch")
                return kept if keep else None
            except (IntegrityError, ObjectNotFound) as exc:
                store = self._failed(exc)

    def chunks(self) -> Generator[bytes, None, None]:
        length, digests = self.length, self.digests
        whole = self.start == 0 and length == self.size
        if length == 0:
            if whole:  # an empty object: still there, still empty
                self._verify_all(Digests(self.key, self.sha256, 0, BLOCK_SIZE, b""), 0, -1, True, keep=False)
            return
        if digests is None:
            digests, kept = self._full_read(keep=self.size <= BUFFER_LIMIT)
            if kept is not None:
                first, last = digests.covering(self.start, length)
                for i in range(first, last + 1):
                    yield self._slice(i, kept[i], digests.block_size)
                return
        first, last = digests.covering(self.start, length)
        bs = digests.block_size
        if length <= self.prehash_limit:
            kept = self._verify_all(digests, first, last, whole, keep=(last - first + 1) * bs <= BUFFER_LIMIT)
            if kept is not None:
                for i, block in enumerate(kept, start=first):
                    yield self._slice(i, block, bs)
                return
        # Each block is sent once it matched; one is held back, so for a whole object the last block
        # goes only after the SHA-256 of everything matched too.
        sha = hashlib.sha256() if whole else None
        pending: bytes | None = None
        i, store = first, self.sources[0][1]
        while i <= last:
            try:
                for idx, block in read_blocks(store, digests, i, last):
                    if sha is not None:
                        sha.update(block)
                    if pending is not None:
                        yield pending
                    pending = self._slice(idx, block, bs)
                    i = idx + 1
            except (IntegrityError, ObjectNotFound) as exc:
                store = self._failed(exc)
        if sha is not None and sha.hexdigest() != self.sha256:
            self.sources = self.sources[:1]  # the block digests themselves are wrong: no other copy helps
            self._failed(BlockMismatch(self.key, None, "sha256 mismatch although every block matched"))
        if pending is not None:
            yield pending


class VerifiedContent:
    """Verified bytes to hand out: ``prime()`` does what must happen before the first byte is sent
    (raising if no copy is right), then iterate and close. Iteration raises too if a later block
    fails in every copy: the consumer must then abort (an HTTP transfer is cut short, ``luutru get``
    removes its partial file), never complete."""

    def __init__(self, info: dict[str, Any], span: VerifiedSpan):
        self.info, self.start, self.length = info, span.start, span.length
        self._span = span
        self._gen = span.chunks()
        self._first: bytes | None = None

    @property
    def source(self) -> str:
        """``primary`` (the store) or the name of the copy the bytes come from."""
        return self._span.source

    def prime(self) -> None:
        self._first = next(self._gen, None)

    def __iter__(self) -> Iterator[bytes]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        yield from self._gen

    def close(self) -> None:
        self._gen.close()

    def __enter__(self) -> VerifiedContent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

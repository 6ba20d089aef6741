"""Property tests of the verified reading of ``archive.objects.blocks``: whatever the object, the span
(the bytes of an HTTP Range), the pre-hash limit, the pieces the store delivers and the byte that is
altered, a download hands out only right bytes, in order, and completes only when every byte it
covers is right (and, for a whole object, the whole)."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.errors import FixityFailed, ObjectNotFound
from archive.objects.base import VerifyingReader, key_for_sha256
from archive.objects.blocks import Digests, VerifiedContent, VerifiedSpan, cut

BS = 16  # small blocks, so that a few hundred bytes span many of them


class MemoryStore:
    """Bytes in memory, delivered in pieces of ``piece`` bytes; ``stored`` may differ from the truth."""

    name = "memory"

    def __init__(self, stored: bytes | None, piece: int):
        self.stored, self.piece = stored, piece

    def _pieces(self, data: bytes):
        for i in range(0, len(data), self.piece):
            yield data[i:i + self.piece]

    def open(self, key, *, verify=False, expected_size=None):
        if self.stored is None:
            raise ObjectNotFound(key)
        return VerifyingReader(self._pieces(self.stored), key=key, size=expected_size or len(self.stored),
                               sha256=key.rsplit("/", 1)[-1], verify=verify)

    def open_range(self, key, start, length):
        if self.stored is None:
            raise ObjectNotFound(key)
        return self._pieces(self.stored[start:start + length])


def digests_of(data: bytes) -> Digests:
    sha = hashlib.sha256(data).hexdigest()
    blocks = b"".join(hashlib.sha256(data[i:i + BS]).digest() for i in range(0, len(data), BS))
    if len(data) <= BS:
        blocks = bytes.fromhex(sha) if data else b""
    return Digests(key_for_sha256(sha), sha, len(data), BS, blocks)


@st.composite
def cases(draw):
    size = draw(st.integers(1, 400))  # drawn apart: st.binary alone favours very short strings
    data = draw(st.binary(min_size=size, max_size=size))
    start = draw(st.integers(0, len(data) - 1))
    length = draw(st.integers(1, len(data) - start))
    if draw(st.booleans()):
        start, length = 0, len(data)
    altered = draw(st.none() | st.integers(0, len(data) - 1) | st.integers(start, start + length - 1))
    prehash = draw(st.sampled_from([0, BS, length - 1, length, 10_000]))  # around the span's length
    piece = draw(st.integers(1, 3 * BS))
    return data, start, length, altered, prehash, piece


@settings(max_examples=400, deadline=None)
@given(cases())
def test_only_right_bytes_ever_leave(case):
    data, start, length, altered, prehash, piece = case
    stored = bytearray(data)
    if altered is not None:
        stored[altered] ^= 0x5A
    digests = digests_of(data)
    failures: list[str] = []
    span = VerifiedSpan([("primary", MemoryStore(bytes(stored), piece))], digests, key=digests.key,
                        sha256=digests.sha256, size=len(data), start=start, length=length, prehash_limit=prehash,
                        on_failure=lambda source, exc: failures.append(source), on_digests=lambda d: None,
                        give_up=lambda exc: FixityFailed(str(exc)))
    content = VerifiedContent({}, span)
    out = bytearray()
    raised_at_prime = raised = False
    try:
        content.prime()
    except FixityFailed:
        raised_at_prime = raised = True
    if not raised:
        try:
            for piece_ in content:
                out += piece_
        except FixityFailed:
            raised = True
    want = data[start:start + length]
    whole = start == 0 and length == len(data)
    covered = altered is not None and (start // BS) * BS <= altered < ((start + length - 1) // BS + 1) * BS
    assert bytes(out) == want[:len(out)], "a wrong byte left"
    assert raised == (altered is not None and (covered or whole))
    if not raised:
        assert bytes(out) == want
    if raised:
        assert failures == ["primary"] and len(out) < len(want)
        if length <= prehash:
            assert raised_at_prime and not out, "within the pre-hash limit nothing leaves before a mismatch"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600), st.integers(1, 200))
def test_cut_gives_blocks_of_the_stream(data, piece):
    pieces = [data[i:i + piece] for i in range(0, len(data), piece)]
    blocks = list(cut(pieces, BS))
    assert b"".join(blocks) == data
    assert all(len(b) == BS for b in blocks[:-1]) and (not blocks or 0 < len(blocks[-1]) <= BS)

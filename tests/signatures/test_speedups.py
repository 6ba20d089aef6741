"""``ingest.signatures.speedups``: the block reader for PDF hex strings gives pyHanko's result —
the same object, the same stream position, the same error — on any input, and the memoised name
preparation gives asn1crypto's. (Their speed is measured by ``bench/signatures.py``, not here.)"""

from __future__ import annotations

import io
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.signatures.speedups import (
    asn1crypto_ldap_string_prep,
    ldap_string_prep,
    pyhanko_read_hex_string,
    read_hex_string,
)

PIECES = [b"0", b"7", b"a", b"F", b"f", b" ", b"\n", b"\r", b"\t", b"\x00", b"\x0c", b"%", b">", b"<", b"g", b"\xff",
          b"(", b"]", b"%comment\n"]


def outcome(reader, data: bytes, stream_type=io.BytesIO):
    stream = stream_type(data)
    try:
        value = reader(stream)
    except Exception as exc:  # noqa: BLE001 - the error is part of the behaviour compared
        return ("error", type(exc).__name__, str(exc), stream.tell())
    return ("ok", type(value).__name__, value.original_bytes, stream.tell())


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(body=st.one_of(st.lists(st.sampled_from(PIECES), max_size=60).map(b"".join), st.binary(max_size=200)),
       tail=st.binary(max_size=16))
def test_same_result_as_pyhankos_reader(body, tail):
    """GIVEN any bytes after a '<' (hex digits, white-space, comments, stray characters, no end)
    THEN the fast reader's outcome is pyHanko's exactly."""
    data = b"<" + body + tail
    assert outcome(read_hex_string, data) == outcome(pyhanko_read_hex_string, data)


def test_a_signature_sized_string_across_read_blocks(tmp_path):
    """GIVEN a 200 KB hex string with line breaks, in a file (four 64 KiB blocks) THEN the same
    bytes and stream position as pyHanko."""
    raw = os.urandom(100_000)
    hexed = raw.hex().encode()
    body = b"\n".join(hexed[i:i + 64] for i in range(0, len(hexed), 64))
    path = tmp_path / "s.bin"
    path.write_bytes(b"<" + body + b"> endobj")

    def read(reader):
        with open(path, "rb") as f:
            return reader(f).original_bytes, f.tell()

    assert read(read_hex_string) == read(pyhanko_read_hex_string) == (raw, len(body) + 2)


def prep_outcome(prep, string):
    try:
        return ("ok", prep(None, string))
    except Exception as exc:  # noqa: BLE001 - the error is part of the behaviour compared
        return ("error", type(exc).__name__, str(exc))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(string=st.text(max_size=40) | st.sampled_from(["Nguyễn Văn An", "  UBND  tỉnh ", "\u0000\u200b", "ﬁ",
                                                       "\ud7ff\u0340", "\u0627\u0031"]))
def test_name_preparation_same_as_asn1cryptos(string):
    """GIVEN any text (Vietnamese names, spaces, mapped and prohibited code points, mixed
    directions) THEN the memoised preparation equals asn1crypto's, twice in a row (the second from
    the cache), errors included."""
    expected = prep_outcome(asn1crypto_ldap_string_prep, string)
    assert prep_outcome(ldap_string_prep, string) == expected
    assert prep_outcome(ldap_string_prep, string) == expected

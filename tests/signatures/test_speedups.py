"""``ingest.signatures.speedups``: the block reader for PDF hex strings gives pyHanko's result —
the same object, the same stream position, the same error — on any input, and the memoised name
preparation gives asn1crypto's. The block reader of lines read backwards gives pyHanko's line and
stream position, the block reader of names pyHanko's name. The memoised name comparison and name
key give asn1crypto's for any pair of names, the memoised dotted form of an OID asn1crypto's. The
per-document memo of a CMS's certificates gives pyHanko's certificates, per exact DER, and only
inside one document's scope. (Their speed is measured by ``bench/signatures.py``, not here.)"""

from __future__ import annotations

import io
import os

import pytest
from asn1crypto import x509
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.signatures.speedups import (
    asn1crypto_ldap_string_prep,
    asn1crypto_name_eq,
    asn1crypto_name_hashable,
    asn1crypto_name_ne,
    asn1crypto_oid_dotted,
    document_memo,
    extract_certs_for_validation,
    ldap_string_prep,
    name_eq,
    name_hashable,
    name_ne,
    oid_dotted,
    pyhanko_extract_certs_for_validation,
    pyhanko_read_hex_string,
    pyhanko_read_name,
    pyhanko_read_next_end_line,
    read_hex_string,
    read_name,
    read_next_end_line,
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


TEXTS = st.sampled_from(["Nguyễn Văn An", "NGUYỄN  VĂN AN", "nguyễn văn an ", "UBND tỉnh", "Bộ Nội vụ", "ﬁ", "VN",
                         "\ufffd", "\u0627\u0031", "a\u200bb", ""]) | st.text(max_size=12)
ATTRIBUTE_TYPES = st.sampled_from(["common_name", "organization_name", "organizational_unit_name", "country_name",
                                   "locality_name", "email_address", "serial_number", "2.5.4.97"])


@st.composite
def names(draw) -> x509.Name:
    """Names of 0-4 RDNs, some multi-valued, with the string types certificates use (and a value
    that asn1crypto's preparation rejects now and then)."""
    rdns = []
    for _ in range(draw(st.integers(0, 4))):
        atvs = []
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(ATTRIBUTE_TYPES)
            text = draw(TEXTS)
            if kind in ("country_name", "serial_number"):
                value = x509.DirectoryString("printable_string", "".join(c for c in text if c.isascii()
                                                                         and c.isalnum()) or "A")
                value = value.chosen
            elif kind == "email_address":
                value = x509.EmailAddress("".join(c for c in text if c.isascii() and c.isprintable()))
            else:
                value = x509.DirectoryString(draw(st.sampled_from(["utf8_string", "bmp_string"])), text)
            atvs.append(x509.NameTypeAndValue({"type": kind, "value": value}))
        rdns.append(x509.RelativeDistinguishedName(atvs))
    return x509.Name.load(x509.Name(name="", value=x509.RDNSequence(rdns)).dump())


def _outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # noqa: BLE001 - the error is part of the behaviour compared
        return ("error", type(exc).__name__)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(a=names(), b=names(), same=st.booleans())
def test_name_comparison_and_key_same_as_asn1cryptos(a, b, same):
    """GIVEN two names (or one name and a fresh parse of it) THEN the memoised equality and
    inequality equal asn1crypto's, both ways, twice (the second time from the cache), and the
    memoised ``hashable`` equals asn1crypto's, errors included."""
    if same:
        b = x509.Name.load(a.dump())
    for x, y in ((a, b), (b, a), (a, b)):
        assert _outcome(name_eq, x, y) == _outcome(asn1crypto_name_eq, x, y)
        assert _outcome(name_ne, x, y) == _outcome(asn1crypto_name_ne, x, y)
    for x in (a, b, a):
        assert _outcome(name_hashable.fget, x) == _outcome(asn1crypto_name_hashable.fget, x)
    assert name_eq(a, "not a name") is False


def test_the_name_properties_reach_both_outcomes():
    """The property above is not vacuous: equal names with different encodings (case, spaces)
    and names asn1crypto cannot prepare occur among its inputs."""
    a = x509.Name.build({"common_name": "Nguyễn Văn An", "organization_name": "UBND tỉnh"})
    b = x509.Name.build({"common_name": "NGUYỄN  VĂN AN ", "organization_name": "ubnd TỈNH"}, use_printable=False)
    assert a.dump() != b.dump() and name_eq(a, b) and asn1crypto_name_eq(a, b)
    def rdn(*values):
        return x509.RelativeDistinguishedName([x509.NameTypeAndValue(
            {"type": "common_name", "value": x509.DirectoryString("utf8_string", v)}) for v in values])

    def name(*rdns):
        return x509.Name.load(x509.Name(name="", value=x509.RDNSequence(list(rdns))).dump())

    # the same type twice in one RDN: the attribute count, not only the type -> value map, decides
    two, one = name(rdn("A", "B")), name(rdn("B"))
    assert name_eq(two, one) is asn1crypto_name_eq(two, one) is False
    bad = x509.Name.build({"common_name": "\ufffd"})
    assert _outcome(name_eq, bad, bad)[0] == _outcome(asn1crypto_name_eq, bad, bad)[0] == "error"


LINE_PIECES = [b"%%EOF", b"startxref", b"12345", b"\n", b"\r", b"\r\n", b" ", b"x", b"\n\n", b"\r\r"]


def line_outcome(read, data: bytes, position: int):
    stream = io.BytesIO(data)
    stream.seek(position)
    try:
        value = read(stream)
    except Exception as exc:  # noqa: BLE001 - the error is part of the behaviour compared
        return ("error", type(exc).__name__, str(exc), stream.tell())
    return ("ok", value, stream.tell())


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(data=st.one_of(st.lists(st.sampled_from(LINE_PIECES), max_size=40).map(b"".join), st.binary(max_size=80)),
       at=st.integers(-2, 2) | st.floats(0, 1))
def test_lines_read_backwards_as_pyhanko_reads_them(data, at):
    """GIVEN any bytes after a PDF header (end-of-line runs of CR, LF and CR+LF, the header line)
    and any position in, at or past the end THEN the block reader's line, error and stream
    position are pyHanko's. (Without the header, pyHanko's reader loops for ever on an
    end-of-line run at offset 0, and so does ours, which runs the same code there.)"""
    data = b"%PDF-1.7 " + data
    position = int(at * len(data)) if isinstance(at, float) else len(data) - 1 + at
    position = max(0, position)
    assert line_outcome(read_next_end_line, data, position) == line_outcome(pyhanko_read_next_end_line, data,
                                                                             position)


@pytest.mark.parametrize("before", [b"", b"\n", b"%PDF\r\n"])
def test_a_line_longer_than_a_read_block(before):
    """GIVEN a line longer than the 64 KiB block, at the start of the file or after one THEN
    pyHanko's line, error and position."""
    data = before + b"y" * 70_000 + b"\r\n%%EOF\n"
    for position in (len(data) - 1, len(data) - 8, len(data) - 9, 5):
        assert line_outcome(read_next_end_line, data, position) == line_outcome(pyhanko_read_next_end_line, data,
                                                                                 position)


def test_the_last_lines_of_a_signed_pdf(conformance):
    """GIVEN a real signed PDF read from its end THEN the same three lines as pyHanko
    (the empty line after the last %%EOF, %%EOF, the startxref offset), from the same positions."""
    signed_pdf = conformance.doc_timestamp(conformance.signed())
    outcomes = []
    for read in (read_next_end_line, pyhanko_read_next_end_line):
        stream = io.BytesIO(signed_pdf)
        stream.seek(len(signed_pdf) - 1)
        outcomes.append([(read(stream), stream.tell()) for _ in range(3)])
    assert outcomes[0] == outcomes[1] and b"%%EOF" in [line for line, _ in outcomes[0]], outcomes


NAME_PIECES = [b"/", b"Helvetica", b"a", b"Z", b"0", b"#", b"#20", b"#2F", b"#4", b"#zz", b"\xc3\xa9", b"\xff", b"\x7f",
               b"\x01", b" ", b"\n", b"\x00", b"(", b")", b"<", b">", b"[", b"]", b"{", b"}", b"%", b".", b"-", b"!", b"~"]


def name_outcome(reader, data: bytes):
    stream = io.BytesIO(data)
    try:
        value = reader(stream)
    except Exception as exc:  # noqa: BLE001 - the error is part of the behaviour compared
        return ("error", type(exc).__name__, str(exc), stream.tell())
    return ("ok", type(value).__name__, str(value), stream.tell())


@settings(max_examples=600, deadline=None, derandomize=True, database=None)
@given(body=st.one_of(st.lists(st.sampled_from(NAME_PIECES), max_size=40).map(b"".join), st.binary(max_size=80)),
       slash=st.booleans(), long=st.integers(0, 300))
def test_names_read_as_pyhanko_reads_them(body, slash, long):
    """GIVEN any bytes after a '/' (or without one): plain names, '#' escapes good and bad, bytes
    outside printable ASCII, delimiters, white-space, the end of the file, a name longer than the
    read block THEN the block reader's name, error and stream position are pyHanko's."""
    data = (b"/" if slash else b"") + b"n" * long + body
    assert name_outcome(read_name, data) == name_outcome(pyhanko_read_name, data)


def test_the_names_of_a_form_font_encoding():
    """GIVEN a /Differences array as ReportLab writes it (the names that made this reader worth
    having) THEN every name and position is pyHanko's."""
    data = b"/Differences [24 /breve /caron /dotlessi 39 /quotesingle /.notdef /A#20B /Euro]/F1 5 0 R>>"
    outcomes = []
    for read in (read_name, pyhanko_read_name):
        stream, got = io.BytesIO(data), []
        for position in [i for i, c in enumerate(data) if c == ord("/")]:
            stream.seek(position)
            got.append((str(read(stream)), stream.tell()))
        outcomes.append(got)
    assert outcomes[0] == outcomes[1] and ("/A B", data.index(b"/A#20B") + 6) in outcomes[0], outcomes


def _signed_datas(pdf: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader

    return [emb.signed_data for emb in PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures]


def _ders(info) -> tuple:
    return (info.signer_cert.dump(), [c.dump() for c in info.other_certs], [c.dump() for c in info.attribute_certs])


def test_the_certificate_memo_is_pyhankos_result_per_exact_cms(conformance):
    """GIVEN the two CMS of a signed and timestamped file (different signers) WHEN their
    certificates are extracted inside one document's memo THEN each is pyHanko's result, the
    second extraction of the same bytes hands out the same certificate objects in new lists, and
    the other CMS never gets the first one's; outside the scope pyHanko's function runs (fresh
    copies every call)."""
    pdf = conformance.doc_timestamp(conformance.signed())
    signature, timestamp = _signed_datas(pdf)
    reread = _signed_datas(pdf)[0]
    with document_memo():
        first, again = extract_certs_for_validation(signature), extract_certs_for_validation(signature)
        other = extract_certs_for_validation(timestamp)
        # the same bytes parsed into another object: the key is the encoding, not the object
        same_bytes = extract_certs_for_validation(reread)
    assert _ders(first) == _ders(pyhanko_extract_certs_for_validation(signature))
    assert _ders(other) == _ders(pyhanko_extract_certs_for_validation(timestamp)) != _ders(first)
    assert again.signer_cert is first.signer_cert and again.other_certs is not first.other_certs
    assert same_bytes.signer_cert is first.signer_cert
    outside = extract_certs_for_validation(signature), extract_certs_for_validation(signature)
    assert outside[0].signer_cert is not outside[1].signer_cert
    assert _ders(outside[0]) == _ders(first)


def test_a_failed_extraction_is_not_remembered(conformance):
    """GIVEN a CMS whose signer certificate is missing WHEN extracted twice in one document's memo
    THEN pyHanko's error both times (nothing kept), and the error is pyHanko's."""
    from asn1crypto import cms

    (signature,) = _signed_datas(conformance.signed())
    stripped = signature.untag().copy()
    stripped["certificates"] = cms.CertificateSet([])
    stripped = cms.SignedData.load(stripped.dump())
    errors = []
    with document_memo():
        for _ in range(2):
            with pytest.raises(Exception) as caught:
                extract_certs_for_validation(stripped)
            errors.append((type(caught.value).__name__, str(caught.value)))
    with pytest.raises(Exception) as plain:
        pyhanko_extract_certs_for_validation(stripped)
    assert errors == [(type(plain.value).__name__, str(plain.value))] * 2


def _dotted_outcome(prop, contents: bytes | None):
    from asn1crypto import core

    oid = core.ObjectIdentifier()
    oid.contents = contents
    try:
        return ("ok", prop.fget(oid))
    except Exception as exc:  # noqa: BLE001 - the error is part of the behaviour compared
        return ("error", type(exc).__name__, str(exc))


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(contents=st.binary(max_size=24) | st.sampled_from([b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", b"\x55\x04\x03",
                                                          b"\x80\x01", b"\x81", b"\x50"]))
def test_oid_dotted_form_same_as_asn1cryptos(contents):
    """GIVEN any DER content of an OID (well-formed, cut in the middle of a sub-identifier,
    first arc 0, 1 or 2) THEN the memoised dotted form is asn1crypto's, first time and again."""
    expected = _dotted_outcome(asn1crypto_oid_dotted, contents)
    assert _dotted_outcome(oid_dotted, contents) == expected
    assert _dotted_outcome(oid_dotted, contents) == expected


def test_an_oid_without_content_is_asn1cryptos():
    assert _dotted_outcome(oid_dotted, None) == _dotted_outcome(asn1crypto_oid_dotted, None)

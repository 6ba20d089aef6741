"""The hostile part of the corpus: broken, dangerous or misleading files, with the outcome
a good archive should give for each.

=========================  ===============================================  ==========================
file (under ``hostile/``)  what it is                                       expected outcome
=========================  ===============================================  ==========================
truncated.pdf              a generated PDF cut at 60 %: no page tree, no    rejected / corrupt
                           catalog, no trailer (pdfium, pypdf and Tika all
                           fail: truly unreadable)
truncated-tail.pdf         the same kind of PDF without its xref table and  ingested (application/pdf)
                           trailer: pdfium and pypdf give up, Tika/PDFBox
                           rebuilds it, so the text can be recovered
corrupt-xref.pdf           every xref offset replaced by a wrong number     ingested (application/pdf)
                           (same length, startxref intact): readers rebuild
                           the table by scanning
encrypted.pdf              AES-256, user password ``matkhau-2021``          rejected / encrypted
empty.pdf                  zero bytes                                       rejected / empty_file
pdf-named.docx             a valid PDF with a .docx name                    ingested (application/pdf)
text-named.pdf             UTF-8 text of a công văn with a .pdf name        ingested (text/plain)
zip-bomb.docx              a DOCX whose word/document.xml declares ~1.1 GB  rejected / resource_limit
                           (valid XML, deflate at ~1000:1, ~1 MB on disk)
nested-objects.pdf         a valid PDF plus an incremental update adding    ingested (application/pdf;
                           100 000 nested arrays and 100 000 nested dicts   rejected / resource_limit
                           referenced from the catalog; the page is intact  also accepted)
traversal.pdf              a normal PDF declared as ``../../etc/x.pdf``     ingested (name sanitised)
nfd-name.pdf               a normal PDF declared with an NFD file name      ingested
tuyet-mat.pdf              a document marked TUYỆT MẬT (state secret)       rejected / state_secret
unknown.bin                64 KiB of random bytes                           rejected / unsupported_format
large-200mb.txt            (``--large`` only) 200 MiB of Vietnamese text,   ingested (text/plain)
                           streamed to disk
=========================  ===============================================  ==========================

Each truth row also carries ``note`` (the reason for the choice) and, where a second
outcome is defensible, ``alternatives``.  The rule behind the choices: reject only what
cannot be read or must not be kept (no content, password, state secret, a decompression
that would exhaust resources); a file that a bounded reader can still read is ingested
and kept byte for byte.  Every secrecy level (MẬT, TỐI MẬT, TUYỆT MẬT) is a state secret,
so the MẬT documents of the regular corpus are expected ``rejected`` / ``state_secret``
too; urgency marks (KHẨN, THƯỢNG KHẨN, HỎA TỐC) are not a reason to refuse.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import random
import re
import struct
import unicodedata
import zlib
from pathlib import Path

from .generator import (
    MEDIA_TYPES,
    _Writer,
    generate_pdf,
    generate_text,
    random_doc_spec,
    render_pdf,
    truth_row,
)

USER_PASSWORD = "matkhau-2021"
OWNER_PASSWORD = "chu-so-huu-2021"
BOMB_TARGET = 1_100_000_000
NEST_DEPTH = 100_000
LARGE_SIZE = 200 * 1024 * 1024


# ---------------------------------------------------------------------------------------
# PDF surgery
# ---------------------------------------------------------------------------------------
def truncate(pdf: bytes, fraction: float = 0.6) -> bytes:
    """The first ``fraction`` of a PDF."""
    return pdf[: int(len(pdf) * fraction)]


def drop_xref(pdf: bytes) -> bytes:
    """Everything up to the last 'endobj': no xref table, no trailer, no %%EOF."""
    end = pdf.rindex(b"endobj") + len(b"endobj\n")
    return pdf[:end]


def corrupt_xref(pdf: bytes) -> bytes:
    """Replace every in-use xref offset with a wrong one of the same width."""
    i = pdf.rindex(b"\nxref\n")

    def bad(m: re.Match) -> bytes:
        off = int(m.group(1))
        wrong = (off * 7919 + 13) % 99991
        if wrong == off:
            wrong += 1
        return b"%010d" % wrong + m.group(2)

    return pdf[:i] + re.sub(rb"(\d{10})( 00000 n)", bad, pdf[i:])


class _FixedSecrets:
    """Stands in for the ``secrets`` module inside pypdf so encryption is reproducible."""

    def __init__(self, seed: str):
        self._rng = random.Random(seed)

    def token_bytes(self, n: int | None = None) -> bytes:
        return self._rng.randbytes(32 if n is None else n)


@contextlib.contextmanager
def _deterministic_pypdf(seed: str):
    import importlib

    mods = []
    for name in ("pypdf._encryption", "pypdf._writer", "pypdf._crypt_providers._cryptography",
                 "pypdf._crypt_providers._pycryptodome"):
        try:
            mods.append(importlib.import_module(name))
        except Exception:  # noqa: BLE001 - optional crypto provider not installed
            continue
    fake = _FixedSecrets(seed)
    saved = [(m, m.__dict__.get("secrets")) for m in mods if "secrets" in m.__dict__]
    for m, _ in saved:
        setattr(m, "secrets", fake)  # noqa: B010 - a module attribute the stubs do not declare
    try:
        yield
    finally:
        for m, orig in saved:
            setattr(m, "secrets", orig)  # noqa: B010


def encrypt(pdf: bytes, user_password: str = USER_PASSWORD, owner_password: str = OWNER_PASSWORD,
            seed: str = "luutru") -> bytes:
    """AES-256 encryption with pypdf; reproducible (pypdf's random salts come from ``seed``)."""
    from pypdf import PdfReader, PdfWriter

    with _deterministic_pypdf(seed):
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
        writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
        out = io.BytesIO()
        writer.write(out)
    return out.getvalue()


def _group(pattern: bytes, data: bytes, flags: int = 0) -> bytes:
    """The first group of ``pattern``'s first match in ``data`` (ValueError when none)."""
    m = re.search(pattern, data, flags)
    if m is None:
        raise ValueError(f"not a PDF this generator can extend: no {pattern!r}")
    return m.group(1)


def add_nested_objects(pdf: bytes, depth: int = NEST_DEPTH) -> bytes:
    """Append an incremental update: ``depth`` nested arrays and ``depth`` nested
    dictionaries, referenced from the catalog (/LuutruNestedArray, /LuutruNestedDict)."""
    trailer = pdf[pdf.rindex(b"trailer"):]
    root = int(_group(rb"/Root (\d+) 0 R", trailer))
    size = int(_group(rb"/Size (\d+)", trailer))
    info = re.search(rb"/Info (\d+) 0 R", trailer)
    ids = re.search(rb"/ID\s*(\[[^\]]*\])", trailer)
    prev = int(_group(rb"startxref\s+(\d+)", trailer))
    catalog = _group(rb"\n%d 0 obj\s*(<<.*?>>)\s*endobj" % root, pdf, re.S).strip()
    assert catalog.endswith(b">>")
    n_arr, n_dict = size, size + 1
    new_catalog = catalog[:-2].rstrip() + b" /LuutruNestedArray %d 0 R /LuutruNestedDict %d 0 R >>" % (n_arr, n_dict)
    out = bytearray(pdf)
    if not out.endswith(b"\n"):
        out += b"\n"
    offsets = {}
    offsets[root] = len(out)
    out += b"%d 0 obj\n%s\nendobj\n" % (root, new_catalog)
    offsets[n_arr] = len(out)
    out += b"%d 0 obj\n" % n_arr + b"[" * depth + b"]" * depth + b"\nendobj\n"
    offsets[n_dict] = len(out)
    out += b"%d 0 obj\n" % n_dict + b"<</A " * depth + b"1" + b">>" * depth + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    out += b"%d 1\n%010d 00000 n \n" % (root, offsets[root])
    out += b"%d 2\n%010d 00000 n \n%010d 00000 n \n" % (n_arr, offsets[n_arr], offsets[n_dict])
    out += b"trailer\n<< /Size %d /Root %d 0 R " % (size + 2, root)
    if info:
        out += b"/Info %s 0 R " % info.group(1)
    if ids:
        out += b"/ID %s " % re.sub(rb"\s+", b"", ids.group(1))
    out += b"/Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (prev, xref)
    return bytes(out)


# ---------------------------------------------------------------------------------------
# Zip bomb
# ---------------------------------------------------------------------------------------
_DOCX_CT = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            b'<Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'wordprocessingml.document.main+xml"/></Types>')
_DOCX_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
              b'officeDocument" Target="word/document.xml"/></Relationships>')


def _raw_deflate(data: bytes) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    return co.compress(data) + co.flush()


def _bomb_stream(target: int) -> tuple[bytes, int, int]:
    """A raw deflate stream of a valid WordprocessingML body of about ``target`` bytes.

    The body is one text run of repeated letters; it is compressed in 8 MiB chunks separated by full
    flushes, which reset the compressor, so every chunk compresses to the same bytes and
    only one needs compressing.  Returns (stream, uncompressed size, CRC-32).
    """
    prefix = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.'
              'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Tài liệu ').encode()
    suffix = b"</w:t></w:r></w:p></w:body></w:document>"
    # One repeated byte: deflate's best case (matches at distance 1 need no extra bits).
    chunk = b"A" * (8 << 20)
    reps = max(1, -(-(target - len(prefix) - len(suffix)) // len(chunk)))
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = co.compress(prefix) + co.flush(zlib.Z_FULL_FLUSH)
    p1 = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    p2 = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    if p1 != p2:  # pragma: no cover - zlib behaviour changed: compress for real (slow)
        raise RuntimeError("zlib full-flush chunks differ; cannot build the zip bomb cheaply")
    tail = co.compress(suffix) + co.flush(zlib.Z_FINISH)
    stream = head + p1 * reps + tail
    crc = zlib.crc32(prefix)
    for _ in range(reps):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(suffix, crc)
    return stream, len(prefix) + reps * len(chunk) + len(suffix), crc


def zip_bomb(target: int = BOMB_TARGET) -> bytes:
    """A DOCX-shaped zip whose word/document.xml declares ``target``+ bytes (never expanded
    in memory or on disk here)."""
    members = [("[Content_Types].xml", _raw_deflate(_DOCX_CT), len(_DOCX_CT), zlib.crc32(_DOCX_CT)),
               ("_rels/.rels", _raw_deflate(_DOCX_RELS), len(_DOCX_RELS), zlib.crc32(_DOCX_RELS))]
    stream, usize, crc = _bomb_stream(target)
    members.append(("word/document.xml", stream, usize, crc))
    dos_time, dos_date = (8 << 11) | (30 << 5), ((2021 - 1980) << 9) | (12 << 5) | 15
    out = bytearray()
    central = bytearray()
    for name, data, size, c in members:
        nb = name.encode()
        off = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, dos_time, dos_date, c, len(data), size, len(nb), 0)
        out += nb + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, dos_time, dos_date, c, len(data),
                               size, len(nb), 0, 0, 0, 0, 0, off)
        central += nb
    cd_off = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), cd_off, 0)
    return bytes(out)


# ---------------------------------------------------------------------------------------
# Large text
# ---------------------------------------------------------------------------------------
def write_large_text(path: Path, spec, size: int = LARGE_SIZE) -> str:
    """Stream exactly ``size`` bytes of Vietnamese UTF-8 text to ``path`` (1 MiB at a
    time, never the whole file in memory); returns its SHA-256."""
    w = _Writer(spec)
    units = w.units()
    pool = []
    for _ in range(400):
        for b in next(units):
            pool.append(b.text)
    h = hashlib.sha256()
    written = 0
    para = 0
    with open(path, "wb") as fh:
        head = generate_text(spec).encode("utf-8")
        fh.write(head)
        h.update(head)
        written += len(head)
        while written < size:
            parts = []
            n = 0
            while n < (1 << 20):
                para += 1
                s = f"[{para}] {pool[para % len(pool)]}\n".encode()
                parts.append(s)
                n += len(s)
            buf = b"".join(parts)
            room = size - written
            if len(buf) > room:
                cut = buf.rfind(b"\n", 0, room)
                buf = buf[: cut + 1] if cut >= 0 else b""
                buf += b" " * (room - len(buf) - 1) + b"\n" if room - len(buf) >= 1 else b""
            fh.write(buf)
            h.update(buf)
            written += len(buf)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------
def generate_hostile(out_dir: Path, *, seed: int = 1, large: bool = False) -> list[dict]:
    """Write the hostile files under ``out_dir/hostile`` and return their truth rows."""
    out_dir = Path(out_dir)
    hdir = out_dir / "hostile"
    hdir.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []

    def rng(name: str) -> random.Random:
        return random.Random(f"luutru-corpus/{seed}/hostile/{name}")

    def put(name: str, data: bytes) -> str:
        (hdir / name).write_bytes(data)
        return f"hostile/{name}"

    # Truncated in the middle: nothing a reader can rebuild.
    spec = random_doc_spec(rng("truncated"), doc_type="Quyết định (cá biệt)", pages=3, marks=False)
    data = truncate(generate_pdf(spec), 0.6)
    rows.append(truth_row(put("truncated.pdf", data), MEDIA_TYPES["pdf"], spec, pages=None, outcome="rejected",
                          reason="corrupt", data=data,
                          note="cut at 60%: fonts and some page contents only, no page tree, catalog or trailer; "
                               "pdfium, pypdf and Tika all fail"))
    # Truncated before the xref table.
    spec = random_doc_spec(rng("truncated-tail"), doc_type="Công văn", pages=2, marks=False)
    data = drop_xref(generate_pdf(spec))
    rows.append(truth_row(put("truncated-tail.pdf", data), MEDIA_TYPES["pdf"], spec, pages=2, data=data,
                          note="xref table, trailer and %%EOF missing: pdfium and pypdf fail, Tika (PDFBox) "
                               "rebuilds the document, so the text is recoverable; the bytes are kept as received",
                          alternatives=[{"outcome": "rejected", "reason": "corrupt"}]))
    # Corrupted xref.
    spec = random_doc_spec(rng("corrupt-xref"), doc_type="Kế hoạch", pages=2, marks=False)
    data = corrupt_xref(generate_pdf(spec))
    rows.append(truth_row(put("corrupt-xref.pdf", data), MEDIA_TYPES["pdf"], spec, pages=2, data=data,
                          note="every xref offset is wrong; readers rebuild the table by scanning the objects"))
    # Encrypted.
    spec = random_doc_spec(rng("encrypted"), doc_type="Tờ trình", pages=1, marks=False)
    data = encrypt(generate_pdf(spec), seed=f"{seed}/encrypted")
    rows.append(truth_row(put("encrypted.pdf", data), MEDIA_TYPES["pdf"], spec, pages=1, outcome="rejected",
                          reason="encrypted", data=data,
                          note=f"AES-256 with user password {USER_PASSWORD!r} (owner {OWNER_PASSWORD!r}): not "
                               f"readable without the password, not preservable"))
    # Empty.
    rows.append(truth_row(put("empty.pdf", b""), "application/octet-stream", None, pages=None, outcome="rejected",
                          reason="empty_file", data=b"", note="zero bytes"))
    # PDF with a .docx name.
    spec = random_doc_spec(rng("pdf-named-docx"), doc_type="Thông báo", pages=1, marks=False)
    data, pages = render_pdf(spec)
    rows.append(truth_row(put("pdf-named.docx", data), MEDIA_TYPES["pdf"], spec, pages=pages, data=data,
                          note="the content decides the type, not the extension"))
    # Text with a .pdf name.
    spec = random_doc_spec(rng("text-named-pdf"), doc_type="Công văn", pages=1, marks=False)
    data = generate_text(spec).encode("utf-8")
    rows.append(truth_row(put("text-named.pdf", data), MEDIA_TYPES["txt"], spec, pages=None, data=data,
                          note="UTF-8 text of a công văn; sniffed as text/plain despite the .pdf name"))
    # Zip bomb.
    data = zip_bomb()
    rows.append(truth_row(put("zip-bomb.docx", data), MEDIA_TYPES["docx"], None, pages=None, outcome="rejected",
                          reason="resource_limit", data=data,
                          note=f"word/document.xml declares {BOMB_TARGET / 1e9:.1f}+ GB (valid XML, deflate "
                               f"~1000:1); check declared sizes and ratios before expanding",
                          alternatives=[{"outcome": "rejected", "reason": "corrupt"}]))
    # Deeply nested objects.
    spec = random_doc_spec(rng("nested"), doc_type="Báo cáo", pages=1, marks=False)
    data = add_nested_objects(generate_pdf(spec))
    rows.append(truth_row(put("nested-objects.pdf", data), MEDIA_TYPES["pdf"], spec, pages=1, data=data,
                          note=f"incremental update adds {NEST_DEPTH} nested arrays and {NEST_DEPTH} nested "
                               f"dictionaries referenced from the catalog: recursive parsers that walk every "
                               f"object overflow (pypdf: RecursionError) but the page is intact and a "
                               f"depth-limited reader (pdfium) reads it; the archive must not crash, and may "
                               f"instead refuse it as resource_limit",
                          alternatives=[{"outcome": "rejected", "reason": "resource_limit"}]))
    # Path traversal in the declared name.
    spec = random_doc_spec(rng("traversal"), doc_type="Công văn", pages=1, marks=False)
    data, pages = render_pdf(spec)
    rows.append(truth_row(put("traversal.pdf", data), MEDIA_TYPES["pdf"], spec, pages=pages, data=data,
                          submit_name="../../etc/x.pdf",
                          note="declared name tries to leave the store: ingest under a sanitised name, "
                               "never write outside the archive"))
    # NFD file name.
    spec = random_doc_spec(rng("nfd-name"), doc_type="Quyết định (cá biệt)", pages=1, marks=False)
    data, pages = render_pdf(spec)
    rows.append(truth_row(put("nfd-name.pdf", data), MEDIA_TYPES["pdf"], spec, pages=pages, data=data,
                          submit_name=unicodedata.normalize("NFD", f"Quyết định số {spec.so_ky_hieu.replace('/', '-')}"
                                                                   f" về việc điều động.pdf"),
                          note="declared name in decomposed Unicode: normalise to NFC"))
    # State secret.
    spec = random_doc_spec(rng("tuyet-mat"), doc_type="Công văn", pages=1, security="TUYỆT MẬT", marks=False)
    data, pages = render_pdf(spec)
    rows.append(truth_row(put("tuyet-mat.pdf", data), MEDIA_TYPES["pdf"], spec, pages=pages, outcome="rejected",
                          reason="state_secret", data=data,
                          note="marked TUYỆT MẬT (box 10a): state secrets must not enter an Internet-connected "
                               "archive"))
    # Unknown binary.
    data = rng("unknown").randbytes(64 * 1024)
    rows.append(truth_row(put("unknown.bin", data), "application/octet-stream", None, pages=None,
                          outcome="rejected", reason="unsupported_format", data=data,
                          note="random bytes: no format can be identified or preserved"))
    if large:
        spec = random_doc_spec(rng("large"), doc_type="Báo cáo", pages=1, marks=False)
        path = hdir / "large-200mb.txt"
        digest = write_large_text(path, spec)
        rows.append(truth_row("hostile/large-200mb.txt", MEDIA_TYPES["txt"], spec, pages=None, size=LARGE_SIZE,
                              sha256=digest,
                              note="200 MiB of UTF-8 text written in 1 MiB chunks: must be streamed, not loaded"))
    return rows

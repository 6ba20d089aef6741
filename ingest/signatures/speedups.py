"""Pure functions of pyHanko and asn1crypto replaced by faster ones with the same results.

Validating a signature spent most of its time in two places that do the same work again and
again (measured with ``bench/signatures.py``, profiles in docs/signatures.md):

1. **PDF hex strings.** pyHanko reads a hex string (``<48656c6c6f>``) one byte at a time through a Python generator. A
signature's ``/Contents`` is such a string, 16-40 KB long, and reading it was the largest single
cost of validating a signature: 25 ms for an 18 KB string, more than the whole budget of 20 ms per
signature (measured with ``bench/signatures.py``; see docs/signatures.md).

:func:`read_hex_string` reads the string in one block and decodes it with ``binascii`` when it
holds only hex digits and PDF white-space — what every signature writer produces. Anything else
(a ``%`` comment, a stray character, a string cut by the end of the file) is handed back to
pyHanko's own function from the same starting position, so the result and the error are always
pyHanko's: the replacement changes the speed, never the outcome (a property test holds it to
that: ``tests/signatures/test_speedups.py``).
2. **Name comparison.** Certificate names are compared (issuer/serial matching, path building,
   registry keys) after RFC 4518 string preparation, which asn1crypto recomputes for every newly
   parsed certificate, attribute and name — about a quarter of the validation time, mostly for the
   same few names (root, issuing CA, TSA). :func:`ldap_string_prep` memoises that preparation per
   string; it depends on the string alone, so the result is the same.
3. **Name equality and keys.** Even with the preparation memoised, asn1crypto rebuilds the
   prepared attributes of both names on every ``Name == Name`` (issuer/serial matching of each
   embedded certificate, ESS certificate identifiers, CRL scope, path building) and on every
   ``Name.hashable`` (the certificate registry's keys): 10-15 % of the validation time after the
   two fixes above. :func:`name_eq` and :func:`name_hashable` compute, once per distinct DER
   encoding, exactly what asn1crypto compares — per RDN its attribute count and the map from
   attribute type to prepared value — and asn1crypto's own ``hashable`` string. Both depend on the
   encoding alone. Where the preparation raises (a prohibited code point), nothing is cached and
   asn1crypto's own method runs, so the error, or the ``False`` asn1crypto returns without
   preparing, is asn1crypto's.
4. **Lines read backwards.** To find a revision's ``startxref``, pyHanko reads the lines before
   each ``%%EOF`` backwards one byte at a time (``read_next_end_line``: a read and a seek per
   byte); the coverage check and our signed-revision check do it for every signature, about 5 %
   of the time. :func:`read_next_end_line` reads the line in one block and leaves the stream where
   pyHanko's would; a line that would reach the start of the file or of the block, or a position
   past the end, goes to pyHanko's own function from the same position.
5. **PDF names.** pyHanko reads a name (``/Helvetica``) one byte at a time through a generator,
   then decodes it one byte at a time again; a form's font encoding alone has a few hundred names
   (``/Differences``), and the difference analysis reads every object of the signed revision:
   names were about a tenth of the validation time of a signed form. :func:`read_name` reads the
   name in one block; a name with a ``#`` escape or a byte outside printable ASCII, one that
   reaches the end of the block or of the file, or anything not starting with ``/`` goes to
   pyHanko's own reader from the same position, so the object, the stream position and the error
   are pyHanko's.
6. **Object identifiers.** asn1crypto turns the DER of every newly parsed OID (algorithms,
   attribute types, extensions, name attributes: a few thousand per file) into its dotted form
   byte by byte, for the same few dozen OIDs. :func:`oid_dotted` keeps the dotted form per DER
   content (it depends on those bytes alone) and computes it with asn1crypto's own code the
   first time; an OID without content goes to asn1crypto's property unchanged.

One memo, not a pure function, lives here too because it is installed the same way:

7. **The certificates of one CMS, per document.** pyHanko's ``extract_certs_for_validation``
   copies every certificate of a SignedData (``untag()``: a new, unparsed object each time),
   finds the signer's among them and checks the ESS signing-certificate attribute against it —
   about 5 ms for a signature with a timestamp, and it runs for the same SignedData up to three
   times per signature (the signer certificate, ``cms_basic_validation``, again for the embedded
   timestamp token's own validation), each time handing out freshly copied certificates that the
   path validation then parses again. :func:`document_memo` scopes a memo to one
   ``validate_pdf`` call: inside it, :func:`extract_certs_for_validation` keeps the result per
   DER encoding of the SignedData (the key is the exact bytes, so two different CMS never share
   a result) and hands out the same, already parsed certificate objects in new lists. A failure
   is not kept: it is raised again, by pyHanko's own function, on every call. Outside a
   document scope (the archive's own timestamp checks, plain pyHanko in the benchmark) pyHanko's
   function runs unchanged; the memo dies with the call, so nothing is kept between documents.

:func:`install` puts them in place (``pyhanko.pdf_utils.generic.read_hex_string_from_stream`` and
``pyhanko.pdf_utils.reader.read_next_end_line``, which pyHanko looks up at call time,
``pyhanko.pdf_utils.generic.NameObject.read_from_stream``,
``pyhanko.sign.validation.generic_cms.extract_certs_for_validation``,
``asn1crypto.core.ObjectIdentifier.dotted``,
``asn1crypto.x509.NameTypeAndValue._ldap_string_prep``, and ``asn1crypto.x509.Name.__eq__`` /
``__ne__`` / ``hashable``); it is idempotent and done on import of
``ingest.signatures.validate``.
"""

from __future__ import annotations

import binascii
import contextlib
import contextvars
import functools
import os
import re
from collections.abc import Iterator

from asn1crypto import core, x509
from pyhanko.pdf_utils import generic, reader
from pyhanko.sign.general import SignedDataCerts
from pyhanko.sign.validation import generic_cms

_PLAIN = re.compile(rb"[0-9a-fA-F \n\r\t\f\x00]*")
_WHITESPACE = re.compile(rb"[ \n\r\t\f\x00]+")
_BLOCK = 1 << 16
_NAME_BLOCK = 256
_NAME_BODY = re.compile(rb"[^ \n\r\t\f\x00()<>\[\]{}/%]*")
_PLAIN_NAME = re.compile(rb"[!\"$-~]*")  # printable ASCII but '#': nothing to decode

pyhanko_read_hex_string = generic.read_hex_string_from_stream
"""pyHanko's own reader, used for anything but plain hex digits and white-space."""

pyhanko_read_next_end_line = reader.read_next_end_line
"""pyHanko's backward line reader, used where a line is not within one block."""

pyhanko_read_name = generic.NameObject.read_from_stream
"""pyHanko's name reader (a static method), used for anything but a plain name within a block."""

pyhanko_extract_certs_for_validation = generic_cms.extract_certs_for_validation
"""pyHanko's certificate extraction from a SignedData, with the ESS signing-certificate check."""

_document_memo: contextvars.ContextVar[dict[bytes, SignedDataCerts] | None] = contextvars.ContextVar(
    "luutru_signature_document_memo", default=None)

asn1crypto_oid_dotted = core.ObjectIdentifier.dotted
"""asn1crypto's dotted form of an OID (a property)."""

asn1crypto_ldap_string_prep = x509.NameTypeAndValue._ldap_string_prep
"""asn1crypto's RFC 4518 preparation (a method that does not use ``self``)."""

asn1crypto_name_eq = x509.Name.__eq__
asn1crypto_name_ne = x509.Name.__ne__
asn1crypto_name_hashable = x509.Name.hashable
"""asn1crypto's RFC 5280 §7.1 name comparison, and its string key of a name."""

_NAME_CACHE_SIZE = 4096
_name_keys: dict[bytes, tuple] = {}
_name_hashables: dict[bytes, str] = {}
_dotted: dict[bytes, str] = {}


def read_hex_string(stream):
    """Read ``<hex digits>`` at the stream position, as pyHanko's reader does (same object, same
    stream position afterwards, same errors)."""
    start = stream.tell()
    stream.read(1)  # the opening '<'
    parts = []
    while True:
        block = stream.read(_BLOCK)
        if not block:
            break  # no closing '>': pyHanko raises its own error below
        end = block.find(b">")
        if end < 0:
            parts.append(block)
            continue
        parts.append(block[:end])
        body = b"".join(parts)
        if not _PLAIN.fullmatch(body):
            break
        stream.seek(end + 1 - len(block), 1)  # just after '>'
        digits = _WHITESPACE.sub(b"", body)
        if len(digits) % 2:
            digits += b"0"  # ISO 32000-1 §7.3.4.3: a final odd digit is followed by 0
        return generic.pdf_string(binascii.unhexlify(digits))
    stream.seek(start)
    return pyhanko_read_hex_string(stream)


def read_name(stream):
    """Read ``/Name`` at the stream position, as pyHanko's reader does (same object, same stream
    position afterwards: on the delimiter that ends the name, same errors)."""
    start = stream.tell()
    block = stream.read(_NAME_BLOCK)
    if block[:1] == b"/":
        end = _NAME_BODY.match(block, 1).end()
        if end < len(block) and _PLAIN_NAME.fullmatch(block, 1, end):
            stream.seek(start + end)
            return generic.NameObject("/" + block[1:end].decode("ascii"))
    stream.seek(start)
    return pyhanko_read_name(stream)


@functools.lru_cache(maxsize=8192)
def _prepared(string: str) -> str:
    return asn1crypto_ldap_string_prep(None, string)


def ldap_string_prep(self, string):
    """asn1crypto's string preparation, memoised per string (errors are not cached: they are
    raised again each time, as before)."""
    return _prepared(string) if isinstance(string, str) else asn1crypto_ldap_string_prep(self, string)


def read_next_end_line(stream) -> bytes:
    """The line that ends at the stream position, read backwards as pyHanko's reader does (same
    bytes, same stream position afterwards: before the end-of-line characters that precede it)."""
    position = stream.tell()
    start = max(0, position - _BLOCK + 1)
    stream.seek(start)
    data = stream.read(position + 1 - start)
    eol = max(data.rfind(b"\n"), data.rfind(b"\r"))
    if position < 1 or len(data) != position + 1 - start or eol < 0 or start + eol == 0:
        stream.seek(position)
        return pyhanko_read_next_end_line(stream)
    line = data[eol + 1:]
    stream.seek(start + eol - 1)
    x = data[eol:eol + 1]
    # pyHanko's own code from here: step back over the end-of-line characters
    crlf = False
    while x == b"\n" or x == b"\r":
        x = stream.read(1)
        if x == b"\n" or x == b"\r":  # account for CR+LF
            stream.seek(-1, os.SEEK_CUR)
            crlf = True
        stream.seek(-2, os.SEEK_CUR)
    stream.seek(2 if crlf else 1, os.SEEK_CUR)
    return line


def _remember(cache: dict, der: bytes, value):
    if len(cache) >= _NAME_CACHE_SIZE:
        cache.clear()  # a bound, not an LRU: a run meets a few dozen distinct names
    cache[der] = value
    return value


def _name_key(name: x509.Name) -> tuple:
    """What ``RDNSequence.__eq__`` compares, as one value: per RDN, its number of attributes and
    the map type -> prepared value (asn1crypto's ``_get_values``; its ``_get_types`` is that map's
    keys). Two names are equal for asn1crypto exactly when their keys are."""
    der = name.dump()
    key = _name_keys.get(der)
    if key is None:
        rdns = name.chosen
        key = _remember(_name_keys, der, tuple(
            (len(rdn), frozenset(rdn._get_values(rdn).items())) for rdn in rdns))
    return key


def name_eq(self, other) -> bool:
    """asn1crypto's ``Name.__eq__``, computed from the memoised keys."""
    if not isinstance(other, x509.Name):
        return False
    try:
        return _name_key(self) == _name_key(other)
    except Exception:  # noqa: BLE001 - a value asn1crypto cannot prepare: its own comparison decides
        return asn1crypto_name_eq(self, other)


def name_ne(self, other) -> bool:
    return not name_eq(self, other)


def _name_hashable(self) -> str:
    """asn1crypto's ``Name.hashable``, memoised per DER encoding (errors are not cached)."""
    der = self.dump()
    value = _name_hashables.get(der)
    if value is None:
        value = _remember(_name_hashables, der, asn1crypto_name_hashable.fget(self))
    return value


name_hashable = property(_name_hashable)


def _oid_dotted(self) -> str:
    """asn1crypto's ``ObjectIdentifier.dotted``, memoised per DER content."""
    if self._dotted is None:
        contents = self.contents
        if not isinstance(contents, bytes):
            return asn1crypto_oid_dotted.fget(self)
        value = _dotted.get(contents)
        if value is None:
            value = _remember(_dotted, contents, asn1crypto_oid_dotted.fget(self))
        self._dotted = value
    return self._dotted


oid_dotted = property(_oid_dotted)


@contextlib.contextmanager
def document_memo() -> Iterator[None]:
    """The scope of the per-document memo (item 7 of the module docstring): one PDF's validation."""
    token = _document_memo.set({})
    try:
        yield
    finally:
        _document_memo.reset(token)


def extract_certs_for_validation(signed_data):
    """pyHanko's ``extract_certs_for_validation``, kept per DER encoding of ``signed_data`` inside
    a :func:`document_memo` scope; the same certificate objects, in new lists."""
    memo = _document_memo.get()
    if memo is None:
        return pyhanko_extract_certs_for_validation(signed_data)
    der = signed_data.dump()
    found = memo.get(der)
    if found is None:
        found = memo[der] = pyhanko_extract_certs_for_validation(signed_data)
    return SignedDataCerts(signer_cert=found.signer_cert, other_certs=list(found.other_certs),
                           attribute_certs=list(found.attribute_certs))


def _patches() -> tuple[tuple[object, str, object, object], ...]:
    """What :func:`install` puts in place and :func:`uninstall` puts back: (owner, attribute, ours,
    the library's own), one row per patched attribute."""
    return (
        (generic, "read_hex_string_from_stream", read_hex_string, pyhanko_read_hex_string),
        (x509.NameTypeAndValue, "_ldap_string_prep", ldap_string_prep, asn1crypto_ldap_string_prep),
        (reader, "read_next_end_line", read_next_end_line, pyhanko_read_next_end_line),
        (generic.NameObject, "read_from_stream", staticmethod(read_name), staticmethod(pyhanko_read_name)),
        (generic_cms, "extract_certs_for_validation", extract_certs_for_validation,
         pyhanko_extract_certs_for_validation),
        (core.ObjectIdentifier, "dotted", oid_dotted, asn1crypto_oid_dotted),
        (x509.Name, "__eq__", name_eq, asn1crypto_name_eq),
        (x509.Name, "__ne__", name_ne, asn1crypto_name_ne),
        (x509.Name, "hashable", name_hashable, asn1crypto_name_hashable),
    )


def install() -> None:
    for owner, attribute, ours, _ in _patches():
        setattr(owner, attribute, ours)


def uninstall() -> None:
    """Put the libraries' own functions back (``bench/signatures.py`` times plain pyHanko)."""
    for owner, attribute, _, theirs in _patches():
        setattr(owner, attribute, theirs)

"""Two pure functions of pyHanko and asn1crypto replaced by faster ones with the same results.

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

:func:`install` puts both in place (``pyhanko.pdf_utils.generic.read_hex_string_from_stream``, which
the object parser looks up at call time, and ``asn1crypto.x509.NameTypeAndValue._ldap_string_prep``);
it is idempotent and done on import of ``ingest.signatures.validate``.
"""

from __future__ import annotations

import binascii
import functools
import re

from asn1crypto import x509
from pyhanko.pdf_utils import generic

_PLAIN = re.compile(rb"[0-9a-fA-F \n\r\t\f\x00]*")
_WHITESPACE = re.compile(rb"[ \n\r\t\f\x00]+")
_BLOCK = 1 << 16

pyhanko_read_hex_string = generic.read_hex_string_from_stream
"""pyHanko's own reader, used for anything but plain hex digits and white-space."""

asn1crypto_ldap_string_prep = x509.NameTypeAndValue._ldap_string_prep
"""asn1crypto's RFC 4518 preparation (a method that does not use ``self``)."""


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


@functools.lru_cache(maxsize=8192)
def _prepared(string: str) -> str:
    return asn1crypto_ldap_string_prep(None, string)


def ldap_string_prep(self, string):
    """asn1crypto's string preparation, memoised per string (errors are not cached: they are
    raised again each time, as before)."""
    return _prepared(string) if isinstance(string, str) else asn1crypto_ldap_string_prep(self, string)


def install() -> None:
    generic.read_hex_string_from_stream = read_hex_string
    x509.NameTypeAndValue._ldap_string_prep = ldap_string_prep


def uninstall() -> None:
    """Put the libraries' own functions back (``bench/signatures.py`` times plain pyHanko)."""
    generic.read_hex_string_from_stream = pyhanko_read_hex_string
    x509.NameTypeAndValue._ldap_string_prep = asn1crypto_ldap_string_prep

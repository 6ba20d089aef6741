"""Trust anchors: a folder of root certificates (PEM, possibly several per file, or DER).

The archive trusts exactly what is in the folder — typically the NEAC national root and the Ban Cơ
yếu Chính phủ root (requirements-vn.md §5.3) — never the operating system's TLS store: a web CA
has no say over the validity of a Vietnamese public-service signature. Files that are not
certificates are skipped with a warning, so a README in the folder does no harm.
"""

from __future__ import annotations

import logging
from pathlib import Path

from asn1crypto import pem, x509

log = logging.getLogger(__name__)


def parse_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in ``data`` (PEM with one or more blocks, or a single DER certificate)."""
    if pem.detect(data):
        return [x509.Certificate.load(der) for kind, _, der in pem.unarmor(data, multiple=True)
                if kind == "CERTIFICATE"]
    cert = x509.Certificate.load(data)
    cert.native  # noqa: B018 - force a full parse so garbage fails here, not during validation
    return [cert]


def load_trust_roots(folder: Path | None) -> list[x509.Certificate]:
    """The certificates in ``folder`` (not recursive), de-duplicated; empty if there is no folder."""
    if folder is None or not Path(folder).is_dir():
        return []
    roots: dict[bytes, x509.Certificate] = {}
    for path in sorted(Path(folder).iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        try:
            for cert in parse_certificates(path.read_bytes()):
                roots.setdefault(cert.sha256, cert)
        except Exception as exc:  # noqa: BLE001 - asn1crypto raises many types on non-certificates
            log.warning("trust folder: %s is not a certificate (%s); skipped", path, exc)
    return list(roots.values())

"""The archive's own signing identity: a self-signed archive CA, a document-signing certificate
and a time-stamping (TSA) certificate, created once with ``cryptography``.

Used to sign what the archive itself issues (the destruction minutes, later reports) with
pyHanko. Files live in ``keys_dir`` (``<data>/keys`` by default), private keys with mode 0600.
This identity proves the document came from *this* archive; it is not a substitute for the
agency's certificate from the government CA (requirements-vn.md §5.3), which a later issue adds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from archive.objects.filesystem import create_durably

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

FILES = ("ca.crt", "ca.key", "signing.crt", "signing.key", "tsa.crt", "tsa.key")


@dataclass(frozen=True)
class ArchiveIdentity:
    keys_dir: Path
    ca_cert: Path
    signing_cert: Path
    signing_key: Path
    tsa_cert: Path
    tsa_key: Path


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_private(path: Path, key: PrivateKey) -> None:
    create_durably(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    create_durably(path, cert.public_bytes(serialization.Encoding.PEM))


def _issue(subject: x509.Name, key: PrivateKey, issuer: x509.Name, issuer_key: PrivateKey, *, ca: bool,
           eku: Sequence[x509.ObjectIdentifier] | None = None,
           days: int) -> x509.Certificate:
    now = datetime.now(UTC) - timedelta(minutes=5)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now)
         .not_valid_after(now + timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
    if ca:
        b = b.add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                          data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                          crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                          data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                          crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
    return b.sign(issuer_key, hashes.SHA256())


def ensure_archive_identity(keys_dir: Path, *, organisation: str = "Lưu Trữ") -> ArchiveIdentity:
    """Create the identity once (idempotent); later calls return the existing files.

    Files are created exclusively (``O_EXCL``), so two processes starting together cannot both
    write: the one that creates ``.creating-identity`` first writes the set, the other waits for it
    (the first minutes of a fresh archive may be issued by two processes at once). An incomplete set
    without a creator (a crash while creating) is an error to resolve by hand, never overwritten
    silently.
    """
    keys_dir = Path(keys_dir)
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = {name: keys_dir / name for name in FILES}
    lock = keys_dir / ".creating-identity"
    if all(p.exists() for p in paths.values()) and not lock.exists():
        return _identity(keys_dir, paths)
    try:
        os.close(os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        for _ in range(300):  # another process is writing the set: wait for it (key generation is quick)
            if all(p.exists() for p in paths.values()) and not lock.exists():
                return _identity(keys_dir, paths)
            time.sleep(0.1)
        raise RuntimeError(f"archive identity creation in {keys_dir} did not finish (stale {lock}?)") from None
    try:
        present = [n for n, p in paths.items() if p.exists()]
        if present and len(present) != len(FILES):
            raise FileExistsError(f"incomplete archive identity in {keys_dir}: only {sorted(present)}")
        if not present:
            _create(paths, organisation)
    finally:
        lock.unlink(missing_ok=True)
    return _identity(keys_dir, paths)


def _identity(keys_dir: Path, paths: dict[str, Path]) -> ArchiveIdentity:
    return ArchiveIdentity(keys_dir=keys_dir, ca_cert=paths["ca.crt"], signing_cert=paths["signing.crt"],
                           signing_key=paths["signing.key"], tsa_cert=paths["tsa.crt"], tsa_key=paths["tsa.key"])


def _create(paths: dict[str, Path], organisation: str) -> None:
    """Write the CA, the document-signing certificate and the legacy TSA pair (0600 keys)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{organisation} — CA của kho lưu trữ", organisation)
    ca = _issue(ca_name, ca_key, ca_name, ca_key, ca=True, days=365 * 30)
    sign_key = ec.generate_private_key(ec.SECP256R1())
    sign = _issue(_name(f"{organisation} — ký văn bản của kho lưu trữ", organisation), sign_key, ca_name, ca_key,
                  ca=False, days=365 * 10)
    # The TSA pair time-stamped the minutes signed before the archive's TSA (archive.timestamping)
    # did; kept so an identity stays the same set of files. RSA: pyHanko's local stamper needs it.
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    tsa = _issue(_name(f"{organisation} — dấu thời gian", organisation), tsa_key, ca_name, ca_key, ca=False,
                 eku=[ExtendedKeyUsageOID.TIME_STAMPING], days=365 * 10)
    for stem, key, cert in (("ca", ca_key, ca), ("signing", sign_key, sign), ("tsa", tsa_key, tsa)):
        _write_private(paths[f"{stem}.key"], key)
        _write_cert(paths[f"{stem}.crt"], cert)

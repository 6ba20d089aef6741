"""Archive timestamps: an RFC 3161 token over every original's SHA-256, kept as its own component,
and renewed before it weakens, so the evidence that the bytes existed unchanged never lapses.

Why: a signature validated at ingest is only as good as the proof of *when* it was validated. The
archive timestamp is that proof (requirements-vn.md §8.6 items 10–11): years later, after the
signer's certificate and even the TSA certificate have expired, the chain of tokens shows the
original existed, unchanged, before each of them did.

* **Issuing.** ``LocalTimeStamper`` is the embedded default: the archive's own TSA (a self-signed
  archive TSA root and a TSA certificate with the critical ``timeStamping`` EKU, created once by
  ``luutru init`` in ``<data_dir>/keys/tsa`` with 0600 keys), signing through pyHanko's local
  ``DummyTimeStamper``. ``HttpTimeStamper`` is the scale-out choice: an external RFC 3161 TSA (e.g.
  the Ban Cơ yếu Chính phủ TSA) with HTTP basic authentication, through pyHanko's
  ``HTTPTimeStamper``. Both return the DER ``TimeStampToken`` (a CMS ``ContentInfo``).
* **Chaining (RFC 4998 style).** The first token's message imprint is the original's SHA-256.
  A renewal token's imprint is ``SHA-256(sort(SHA-256(previous token), original SHA-256))`` — the
  two hashes sorted in binary ascending order and concatenated, as RFC 4998 §4.2 does for hash
  trees — so each token covers both the bytes and all the evidence before it.
* **Verifying.** ``verify_token`` checks one token (imprint, CMS signature, TSA EKU, the TSA chain
  at the token's own time when trust roots are given); ``verify_chain`` checks a whole chain.
* **Renewing.** ``renew_timestamps`` (called by ``luutru timestamps renew`` and, later, by Celery
  beat) adds a token where none exists and a chained token where the newest one's TSA
  certificate expires within the horizon or its hash algorithm is no longer strong.

This module is kernel code: it knows components and the object store, not PDFs or ingest.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import os
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast, runtime_checkable

import sqlalchemy as sa
from asn1crypto import cms, keys, pem, tsp, x509

from archive.objects.filesystem import create_durably

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
    from cryptography.x509 import Certificate as CryptoCertificate
    from pyhanko.sign.timestamps import TimeStamper as PyHankoTimeStamper

    from archive.service import ArchiveService

log = logging.getLogger(__name__)
T = TypeVar("T")

TOKEN_MEDIA_TYPE = "application/timestamp-token"
ROLE = "timestamp"
STRONG_HASHES = {"sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512"}
TSA_DIR = "tsa"
PAIR_READS = 100
"""Reads of the TSA's key and certificate, 50 ms apart, until they match (``LocalTimeStamper.from_dir``)."""


# --- issuing --------------------------------------------------------------------------------------
@runtime_checkable
class TimeStamper(Protocol):
    """Issues an RFC 3161 token over a SHA-256 digest; returns the DER ``TimeStampToken``."""

    name: str

    def timestamp(self, sha256: bytes) -> bytes: ...


def _cached_key_stamper(tsa_cert: x509.Certificate, tsa_key: keys.PrivateKeyInfo, **kw: Any) -> PyHankoTimeStamper:
    """pyHanko's local timestamper, with the private key parsed once.

    ``DummyTimeStamper._sign_tst_info`` parses (and, for RSA, fully validates) the DER key for
    every token: ~130 ms of a ~140 ms token here. This subclass keeps the parsed key; the signed
    attributes are the same as pyHanko's (content type, signing time, ESS signing certificate,
    message digest), signed with PKCS#1 v1.5 as pyHanko does.
    """
    from asn1crypto import cms, core
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign import general
    from pyhanko.sign.general import get_pyca_cryptography_hash, simple_cms_attribute
    from pyhanko.sign.timestamps import DummyTimeStamper

    priv_key = serialization.load_der_private_key(tsa_key.dump(), password=None)
    if not isinstance(priv_key, RSAPrivateKey):
        raise NotImplementedError("the archive's local TSA key must be RSA")
    rsa_key = priv_key  # narrowed to RSA: the class below closes over it

    # The ESS signing-certificate attribute depends only on the TSA certificate: build it once
    # (asn1crypto re-serialises the whole certificate to hash it).
    signing_certificate = cms.CMSAttribute.load(
        simple_cms_attribute("signing_certificate", general.as_signing_certificate(tsa_cert)).dump())

    class CachedKeyTimeStamper(DummyTimeStamper):
        def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str, dt: datetime) -> tuple[bytes, Any]:
            md = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
            md.update(tst_info_data)
            signed_attrs = cms.CMSAttributes([
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                signing_certificate,
                simple_cms_attribute("message_digest", md.finalize()),
            ])
            signature = rsa_key.sign(signed_attrs.dump(), PKCS1v15(),
                                      get_pyca_cryptography_hash(md_algorithm.upper()))
            return signature, signed_attrs

    return CachedKeyTimeStamper(tsa_cert=tsa_cert, tsa_key=tsa_key, **kw)


def run_sync(make_coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run pyHanko's coroutine from synchronous code, also when the calling thread already runs an
    event loop (``luutru serve``'s start-up repair anchored the log from inside the loop:
    "asyncio.run() cannot be called from a running event loop"): then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def run_at_once(make_coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine that never waits (the local TSA's: it signs in memory) without an event loop
    (``asyncio.run`` builds and closes one per call: a fifth of a token's CPU). One that does wait
    is closed, and made again under ``run_sync``."""
    coroutine = make_coroutine()
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    return run_sync(make_coroutine)


class LocalTimeStamper:
    """The archive's own TSA (embedded default), signing in-process with pyHanko's local stamper."""

    name = "local"

    def __init__(self, tsa_cert: x509.Certificate, tsa_key: keys.PrivateKeyInfo,
                 chain: Sequence[x509.Certificate] = (), *, fixed_time: datetime | None = None):
        self.tsa_cert = tsa_cert
        self._stamper = _cached_key_stamper(tsa_cert, tsa_key, certs_to_embed=[tsa_cert, *chain],
                                            fixed_dt=fixed_time)

    @classmethod
    def from_dir(cls, keys_dir: Path, **kw: Any) -> LocalTimeStamper:
        """The archive TSA of ``keys_dir``. Its key and certificate are read as a pair: a rotation
        (``rotate_archive_tsa``) replaces them one after the other, and a token signed with the new
        key under the old certificate would never verify — so a pair that does not match is read
        again until it does."""
        files = ArchiveTsaFiles(keys_dir / TSA_DIR)
        for _ in range(PAIR_READS):
            cert, key = files.tsa_cert(), files.tsa_key()
            if cert.public_key.dump() == _public_key_der(key):
                return cls(cert, key, [files.root_cert()], **kw)
            time.sleep(0.05)
        raise RuntimeError(f"the archive TSA key and certificate in {files.folder} do not match")

    def timestamp(self, sha256: bytes) -> bytes:
        token: bytes = run_at_once(lambda: self._stamper.async_timestamp(sha256, "sha256")).dump()
        return token

    @property
    def pyhanko(self) -> PyHankoTimeStamper:
        """The pyHanko ``TimeStamper`` behind it (for PDF document timestamps)."""
        return self._stamper


def _public_key_der(key: keys.PrivateKeyInfo) -> bytes:
    from cryptography.hazmat.primitives import serialization

    public = serialization.load_der_private_key(key.dump(), password=None).public_key()
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class HttpTimeStamper:
    """An external RFC 3161 TSA over HTTP(S) with optional basic authentication (pyHanko
    ``HTTPTimeStamper``). The constructor takes its configuration explicitly."""

    name = "http"

    def __init__(self, url: str, *, user: str | None = None, password: str | None = None, timeout: float = 10.0):
        self.url, self.timeout = url, timeout
        self.auth = (user, password or "") if user else None

    @property
    def pyhanko(self) -> PyHankoTimeStamper:
        from pyhanko.sign.timestamps import HTTPTimeStamper as PyHankoHttp

        return PyHankoHttp(self.url, timeout=self.timeout, auth=self.auth)

    def timestamp(self, sha256: bytes) -> bytes:
        token: bytes = run_sync(lambda: self.pyhanko.async_timestamp(sha256, "sha256")).dump()
        return token


# --- the archive's own TSA key and certificates -------------------------------------------------------
class ArchiveTsaFiles:
    """``<keys_dir>/tsa/``: ``root.pem``, ``root.key`` (the archive TSA root), ``tsa.pem``, ``tsa.key``
    (the signing certificate). Keys are written 0600; only a rotation replaces ``tsa.pem`` and
    ``tsa.key``, each whole, after keeping the old pair as ``tsa-<serial>.*``."""

    def __init__(self, folder: Path):
        self.folder = folder

    def exists(self) -> bool:
        return all((self.folder / n).exists() for n in ("root.pem", "root.key", "tsa.pem", "tsa.key"))

    def _cert(self, name: str) -> x509.Certificate:
        data = (self.folder / name).read_bytes()
        return x509.Certificate.load(pem.unarmor(data)[2] if pem.detect(data) else data)

    def root_cert(self) -> x509.Certificate:
        return self._cert("root.pem")

    def tsa_cert(self) -> x509.Certificate:
        return self._cert("tsa.pem")

    def tsa_key(self) -> keys.PrivateKeyInfo:
        data = (self.folder / "tsa.key").read_bytes()
        return keys.PrivateKeyInfo.load(pem.unarmor(data)[2] if pem.detect(data) else data)


def ensure_archive_tsa(keys_dir: Path, *, organisation: str = "Luu Tru", now: datetime | None = None,
                       tsa_years: int = 10, root_years: int = 30) -> ArchiveTsaFiles:
    """Create the archive's TSA root and TSA certificate once (idempotent; 0600 keys).

    Concurrent callers are serialised by exclusive creation of the key files: the loser finds the
    files present and uses them.
    """
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    files = ArchiveTsaFiles(keys_dir / TSA_DIR)
    if files.exists():
        return files
    files.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = files.folder / ".creating"
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        # another process is creating them: wait for it (short), then use its files
        for _ in range(300):
            if files.exists():
                return files
            time.sleep(0.1)
        raise RuntimeError(f"archive TSA creation in {files.folder} did not finish (stale {lock}?)") from None
    try:
        now = (now or datetime.now(UTC)).replace(microsecond=0)
        pem_key = (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

        root_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        root_name = cx509.Name([cx509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                                cx509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                                cx509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} Archive TSA Root")])
        root = (cx509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
                .public_key(root_key.public_key()).serial_number(cx509.random_serial_number())
                .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365 * root_years))
                .add_extension(cx509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(cx509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                              data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                              crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(cx509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
                .sign(root_key, hashes.SHA256()))
        tsa_key, tsa = _issue_tsa(root_key, root, now, tsa_years)
        create_durably(files.folder / "root.key", root_key.private_bytes(*pem_key))
        create_durably(files.folder / "tsa.key", tsa_key.private_bytes(*pem_key))
        # each file appears whole (a request may read root.pem while the periodic loop creates it)
        create_durably(files.folder / "root.pem", root.public_bytes(serialization.Encoding.PEM))
        create_durably(files.folder / "tsa.pem", tsa.public_bytes(serialization.Encoding.PEM))
    finally:
        lock.unlink(missing_ok=True)
    log.info("created the archive TSA in %s", files.folder)
    return files


def _issue_tsa(root_key: CertificateIssuerPrivateKeyTypes, root: CryptoCertificate, now: datetime,
               years: int) -> tuple[RSAPrivateKey, CryptoCertificate]:
    """A TSA key and certificate under the archive TSA root (RSA: pyHanko's local stamper is RSA-only)."""
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    org = root.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    assert isinstance(org, str)  # the archive's own root, made with a text organisation name
    subject = cx509.Name([cx509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                          cx509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                          cx509.NameAttribute(NameOID.COMMON_NAME, f"{org} Archive TSA {now:%Y-%m}")])
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    tsa = (cx509.CertificateBuilder().subject_name(subject).issuer_name(root.subject)
           .public_key(tsa_key.public_key()).serial_number(cx509.random_serial_number())
           .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365 * years))
           .add_extension(cx509.BasicConstraints(ca=False, path_length=None), critical=True)
           .add_extension(cx509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
           # RFC 3161 §2.3: the TSA certificate carries exactly the timeStamping EKU, critical
           .add_extension(cx509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
           .add_extension(cx509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
           .sign(root_key, hashes.SHA256()))
    return tsa_key, tsa


def rotate_archive_tsa(keys_dir: Path, *, horizon: timedelta, now: datetime | None = None,
                       tsa_years: int = 10) -> bool:
    """Issue a new archive TSA certificate when the current one ends within ``horizon``, so that
    renewal tokens come from a certificate that outlives the old one. The old pair is kept as
    ``tsa-<serial>.pem/.key``. Returns whether a new certificate was issued."""
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import serialization

    now = (now or datetime.now(UTC)).replace(microsecond=0)
    files = ArchiveTsaFiles(keys_dir / TSA_DIR)
    current = files.tsa_cert()
    if current.not_valid_after - now > horizon:
        return False
    root = cx509.load_pem_x509_certificate((files.folder / "root.pem").read_bytes())
    root_key = serialization.load_pem_private_key((files.folder / "root.key").read_bytes(), password=None)
    # a key that cannot sign certificates fails in CertificateBuilder.sign, as before
    tsa_key, tsa = _issue_tsa(cast("CertificateIssuerPrivateKeyTypes", root_key), root, now, tsa_years)
    from archive.objects.filesystem import write_durably

    serial = format(current.serial_number, "x")
    # the old pair kept under its serial, then each new file replaces the old one whole: tsa.pem
    # and tsa.key never go missing nor are read half-written
    for name in ("tsa.pem", "tsa.key"):
        old = files.folder / f"tsa-{serial}{Path(name).suffix}"
        if not old.exists():
            os.link(files.folder / name, old)
    write_durably(files.folder / "tsa.key", tsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), mode=0o600)
    write_durably(files.folder / "tsa.pem", tsa.public_bytes(serialization.Encoding.PEM))
    log.info("issued a new archive TSA certificate (the old one ends %s)", current.not_valid_after)
    return True


# --- verifying ------------------------------------------------------------------------------------
@dataclass
class TokenReport:
    """The result of checking one token against a digest."""

    ok: bool
    imprint_matches: bool = False
    intact: bool = False
    valid: bool = False
    trusted: bool | None = None
    """None when no trust roots were given (the chain was not checked)."""
    gen_time: str | None = None
    tsa: str | None = None
    tsa_not_after: str | None = None
    hash_algorithm: str | None = None
    signature_algorithm: str | None = None
    serial: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_token(token: bytes) -> tuple[cms.ContentInfo, tsp.TSTInfo, x509.Certificate | None]:
    ci = cms.ContentInfo.load(token)
    if ci["content_type"].native != "signed_data":
        raise ValueError("not a CMS SignedData")
    sd = ci["content"]
    info = sd["encap_content_info"]["content"].parsed
    if not isinstance(info, tsp.TSTInfo):
        raise ValueError("SignedData does not hold a TSTInfo")
    sid = sd["signer_infos"][0]["sid"]
    signer = None
    for c in sd["certificates"] or []:
        cert = c.chosen
        if not isinstance(cert, x509.Certificate):
            continue
        if sid.name == "issuer_and_serial_number":
            # serial first: comparing asn1crypto Names normalises and re-serialises them
            if cert.serial_number == sid.chosen["serial_number"].native and cert.issuer == sid.chosen["issuer"]:
                signer = cert
        elif cert.key_identifier == sid.chosen.native:
            signer = cert
    return ci, info, signer


def verify_token(token: bytes, sha256: bytes | str, *, trust_roots: Sequence[x509.Certificate] | None = None,
                 extra_certs: Sequence[x509.Certificate] = ()) -> TokenReport:
    """Check a token against the SHA-256 it should cover. Never raises.

    Checked: the message imprint, the CMS signature over the TSTInfo, the TSA certificate's
    ``timeStamping`` EKU, and — when ``trust_roots`` are given — the TSA chain to one of them at the
    token's own time (point in time: an expired TSA certificate does not undo an old token; the
    chain of renewals is what keeps it from weakening).
    """
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule

    expected = bytes.fromhex(sha256) if isinstance(sha256, str) else sha256
    try:
        ci, info, signer = parse_token(token)
    except Exception as exc:  # noqa: BLE001
        return TokenReport(ok=False, problem=f"unreadable token: {type(exc).__name__}: {exc}")
    imprint = info["message_imprint"]
    algo = imprint["hash_algorithm"]["algorithm"].native
    report = TokenReport(ok=False, gen_time=info["gen_time"].native.isoformat(), hash_algorithm=algo,
                         imprint_matches=imprint["hashed_message"].native == expected, serial=info["serial_number"].native,
                         signature_algorithm=ci["content"]["signer_infos"][0]["signature_algorithm"].signature_algo)
    if signer is not None:
        report.tsa, report.tsa_not_after = signer.subject.human_friendly, signer.not_valid_after.isoformat()
    roots = list(trust_roots or [])
    gen_time = info["gen_time"].native
    # Own roots only; the TSA chain's revocation is checked only if declared and embedded (the
    # archive's own TSA declares none).
    rule = RevocationCheckingRule.CHECK_IF_DECLARED_SOFT
    vc = ValidationContext(trust_roots=roots, other_certs=list(extra_certs), moment=gen_time, best_signature_time=gen_time,
                           revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(rule, rule)))
    try:
        status = run_sync(lambda: validate_tst_signed_data(ci["content"], vc, lambda _algo: imprint["hashed_message"].native))
    except Exception as exc:  # noqa: BLE001
        report.problem = f"{type(exc).__name__}: {exc}"
        return report
    report.intact, report.valid = bool(status["intact"]), bool(status["valid"])
    if trust_roots is not None:
        report.trusted = status.get("trust_problem_indic") is None and status.get("validation_path") is not None
    if not report.imprint_matches:
        report.problem = "the token covers other bytes (message imprint differs)"
    elif not (report.intact and report.valid):
        report.problem = "the token's signature does not verify"
    elif report.trusted is False:
        indic = status.get("trust_problem_indic")
        report.problem = f"the TSA certificate does not chain to a trusted root ({indic.name if indic else '?'})"
    report.ok = report.problem is None
    return report


def chain_imprint(previous_token: bytes, original_sha256: bytes) -> bytes:
    """The imprint of a renewal token: SHA-256 over the sorted, concatenated hashes (RFC 4998 §4.2)."""
    parts = sorted([hashlib.sha256(previous_token).digest(), original_sha256])
    return hashlib.sha256(b"".join(parts)).digest()


@dataclass
class ChainReport:
    ok: bool
    tokens: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None
    renewal_due: bool = False
    protected_until: str | None = None
    """The newest token's TSA certificate end: renew before it."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def verify_chain(tokens: Sequence[bytes], original_sha256: bytes | str, *,
                 trust_roots: Sequence[x509.Certificate] | None = None, at: datetime | None = None,
                 horizon: timedelta = timedelta(days=730)) -> ChainReport:
    """Check a chain of archive tokens, oldest first: the first covers the original, each later one
    covers the previous token and the original, and each was issued while the previous TSA
    certificate was still valid (so no gap in the evidence)."""
    at = at or datetime.now(UTC)
    original = bytes.fromhex(original_sha256) if isinstance(original_sha256, str) else original_sha256
    report = ChainReport(ok=False)
    if not tokens:
        report.problem = "no archive timestamp"
        report.renewal_due = True
        return report
    previous_end: datetime | None = None
    for i, token in enumerate(tokens):
        expected = original if i == 0 else chain_imprint(tokens[i - 1], original)
        tr = verify_token(token, expected, trust_roots=trust_roots)
        report.tokens.append(tr.as_dict())
        if not tr.ok:
            report.problem = f"token {i + 1}: {tr.problem}"
            return report
        assert tr.gen_time is not None  # verify_token sets it on every token it could parse
        gen = datetime.fromisoformat(tr.gen_time)
        if previous_end is not None and gen > previous_end:
            report.problem = f"token {i + 1} was issued after token {i}'s TSA certificate expired: the chain has a gap"
            return report
        previous_end = datetime.fromisoformat(tr.tsa_not_after) if tr.tsa_not_after else None
    last = report.tokens[-1]
    report.protected_until = last["tsa_not_after"]
    report.renewal_due = needs_renewal(last, at=at, horizon=horizon)
    if previous_end is not None and at > previous_end:
        report.problem = "the newest token's TSA certificate has expired: the chain was not renewed in time"
        return report
    report.ok = True
    return report


def needs_renewal(token_report: dict[str, Any], *, at: datetime, horizon: timedelta) -> bool:
    if token_report.get("hash_algorithm") not in STRONG_HASHES:
        return True
    sig = (token_report.get("signature_algorithm") or "").lower()
    if "sha1" in sig or "md5" in sig:
        return True
    end = token_report.get("tsa_not_after")
    return end is None or datetime.fromisoformat(end) - at <= horizon


# --- renewing -------------------------------------------------------------------------------------
@dataclass
class RenewalReport:
    checked: int = 0
    created: list[str] = field(default_factory=list)
    """Records that had no archive timestamp and got their first one."""
    renewed: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def timestamp_event_data(token: bytes, covers: str, original_sha256: str, stamper: str,
                         previous_component: str | None = None) -> dict[str, Any]:
    """What a timestamping event records about the token (PREMIS event data)."""
    _, info, signer = parse_token(token)
    return {"covers": covers, "original_sha256": original_sha256, "stamper": stamper,
            "gen_time": info["gen_time"].native.isoformat(),
            "tsa": signer.subject.human_friendly if signer else None,
            "tsa_not_after": signer.not_valid_after.isoformat() if signer else None,
            "token_sha256": hashlib.sha256(token).hexdigest(), "previous_component": previous_component}


def load_chain(archive: ArchiveService, record_id: str) -> tuple[str | None, list[tuple[str, bytes]]]:
    """(original SHA-256, [(component id, token bytes)] oldest first) of a record."""
    from archive.catalogue.models import Component

    with archive.catalogue.session() as s:
        rows = s.execute(sa.select(Component).where(
            Component.record_id == record_id, Component.status == "present",
            Component.role.in_(["original", ROLE])).order_by(Component.created_at, Component.id)).scalars().all()
        original = next((c.sha256 for c in rows if c.role == "original"), None)
        tokens = [(c.id, c.storage_key, c.size) for c in rows if c.role == ROLE]
    out = []
    for comp_id, key, size in tokens:
        with archive.store.open(key, verify=True, expected_size=size) as reader:
            out.append((comp_id, reader.read()))
    return original, out


def renew_timestamps(archive: ArchiveService, stamper: TimeStamper, *, horizon_days: int = 730, now: datetime | None = None,
                     record_ids: Sequence[str] | None = None, actor: str = "software:luutru timestamps") -> RenewalReport:
    """Give every original an archive timestamp and renew the chains that near their end.

    Safe to run repeatedly and from the Celery beat: a chain that is not due is left alone; one
    failure (e.g. the external TSA is down) is reported and retried on the next run.
    """
    from archive.catalogue.models import Component, Record
    from archive.service import NewComponent, NewEvent

    now = now or datetime.now(UTC)
    horizon = timedelta(days=horizon_days)
    report = RenewalReport()
    with archive.catalogue.session() as s:
        q = sa.select(Record.id).join(Component, Component.record_id == Record.id).where(
            Component.role == "original", Component.status == "present").order_by(Record.id)
        if record_ids is not None:
            q = q.where(Record.id.in_(list(record_ids)))
        ids = list(s.execute(q).scalars())
    for record_id in ids:
        report.checked += 1
        try:
            original, chain = load_chain(archive, record_id)
            if original is None:  # destroyed since the query above (bytes.fromhex raised TypeError here before)
                raise TypeError("the record has no present original")
            digest = bytes.fromhex(original)
            if not chain:
                token = stamper.timestamp(digest)
                data = timestamp_event_data(token, "original", original, stamper.name)
                archive.add_component(record_id, NewComponent(io.BytesIO(token), ROLE, TOKEN_MEDIA_TYPE,
                                                              "archive-timestamp.tst"), actor=actor, reindex=False,
                                      event=NewEvent("timestamping", detail=f"archive timestamp {data['gen_time']}",
                                                     data=data, agent=actor))
                report.created.append(record_id)
                continue
            last_id, last = chain[-1]
            _, info, signer = parse_token(last)
            state = {"hash_algorithm": info["message_imprint"]["hash_algorithm"]["algorithm"].native,
                     "signature_algorithm": "",
                     "tsa_not_after": signer.not_valid_after.isoformat() if signer else None}
            if not needs_renewal(state, at=now, horizon=horizon):
                continue
            token = stamper.timestamp(chain_imprint(last, digest))
            data = timestamp_event_data(token, "chain", original, stamper.name, previous_component=last_id)
            archive.add_component(record_id, NewComponent(io.BytesIO(token), ROLE, TOKEN_MEDIA_TYPE,
                                                          f"archive-timestamp-{len(chain) + 1}.tst"),
                                  actor=actor, derived_from=last_id, reindex=False,
                                  event=NewEvent("timestamp renewal", data=data, agent=actor,
                                                 detail=f"renewed over token {last_id} (TSA until {state['tsa_not_after']})"))
            report.renewed.append(record_id)
        except Exception as exc:  # noqa: BLE001 - one record never stops the run
            log.warning("archive timestamp for %s failed: %s", record_id, exc)
            report.failed.append({"record_id": record_id, "error": f"{type(exc).__name__}: {exc}"})
    return report

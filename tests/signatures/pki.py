"""The test PKI, built in-process with ``cryptography``, and pyHanko signing with it.

A trusted root, an intermediate CA, a person signer (EC P-256 and RSA 2048), an organisation
(agency) signer, signers that expired or were revoked, a signer under an untrusted root, a TSA, an
OCSP responder and CRLs. Revocation data is produced here and embedded in the PDFs (the CMS revinfo
attribute through pyHanko's ``embed_validation_info``, or a DSS written afterwards), so nothing
touches the network: the URLs in the certificates point nowhere.

Not a test module: ``conftest.py`` makes the session fixture from :func:`make_pki`, and
``bench/signatures.py`` builds the conformance corpus with it. The parts other code reuses — a
certificate with its key (``Party``), Vietnamese subjects, a person's and an agency's signature —
live in ``kit.corpus.pki`` (``luutru demo`` signs its sample documents with them).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from kit.corpus.pki import Party
from kit.corpus.pki import subject as _name

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)
YEAR = timedelta(days=365)
CRL_URL = "http://crl.invalid/luutru-test-ca.crl"
ROOT_CRL_URL = "http://crl.invalid/luutru-test-root.crl"
OCSP_URL = "http://ocsp.invalid/luutru-test"


def _issue(subject: x509.Name, key, issuer: Party | None, *, ca: bool, not_before: datetime,
           not_after: datetime, eku=None, key_usage: str = "sign", crl_url: str | None = None,
           ocsp_url: str | None = None) -> x509.Certificate:
    issuer_name = issuer.cert.subject if issuer else subject
    signing_key = issuer.key if issuer else key
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if issuer:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                            critical=False)
    if ca:
        ku = dict(digital_signature=True, content_commitment=False, key_cert_sign=True, crl_sign=True)
    elif key_usage == "sign":
        ku = dict(digital_signature=True, content_commitment=True, key_cert_sign=False, crl_sign=False)
    elif key_usage == "encipher":  # a key-encipherment-only certificate: wrong purpose for signing
        ku = dict(digital_signature=False, content_commitment=False, key_cert_sign=False, crl_sign=False)
    else:
        ku = dict(digital_signature=True, content_commitment=False, key_cert_sign=False, crl_sign=False)
    b = b.add_extension(x509.KeyUsage(key_encipherment=key_usage == "encipher", data_encipherment=False,
                                      key_agreement=False, encipher_only=False, decipher_only=False, **ku),
                        critical=True)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
    if crl_url:
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), critical=False)
    if ocsp_url:
        b = b.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))]), critical=False)
    return b.sign(signing_key, hashes.SHA256())


def _key():
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class TestPKI:
    root: Party
    other_root: Party
    intermediate: Party
    person: Party
    agency: Party
    expired: Party
    revoked_before: Party
    revoked_after: Party
    untrusted: Party
    wrong_usage: Party
    tsa: Party
    ocsp_responder: Party
    rsa_person: Party
    trust_dir: Path
    now: datetime = NOW
    crl_der: bytes = b""
    root_crl_der: bytes = b""
    ocsp_cache: dict = field(default_factory=dict)

    # revocation data -------------------------------------------------------------------------
    def make_crl(self, this_update: datetime) -> bytes:
        b = (x509.CertificateRevocationListBuilder().issuer_name(self.intermediate.cert.subject)
             .last_update(this_update).next_update(this_update + 30 * DAY)
             .add_extension(x509.CRLNumber(int(this_update.timestamp())), critical=False))
        for party, when in ((self.revoked_before, NOW - 10 * DAY), (self.revoked_after, NOW + DAY)):
            if when <= this_update:
                b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(
                    party.cert.serial_number).revocation_date(when).build())
        return b.sign(self.intermediate.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def make_root_crl(self) -> bytes:
        return (x509.CertificateRevocationListBuilder().issuer_name(self.root.cert.subject)
                .last_update(NOW - 5 * DAY).next_update(NOW + 60 * DAY)
                .add_extension(x509.CRLNumber(1), critical=False)
                .sign(self.root.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))

    def make_ocsp(self, party: Party, at: datetime = NOW) -> bytes:
        revoked = {self.revoked_before.cert.serial_number: NOW - 10 * DAY,
                   self.revoked_after.cert.serial_number: NOW + DAY}
        when = revoked.get(party.cert.serial_number)
        if when is not None and when <= at:
            status, rev_time, reason = ocsp.OCSPCertStatus.REVOKED, when, x509.ReasonFlags.key_compromise
        else:
            status, rev_time, reason = ocsp.OCSPCertStatus.GOOD, None, None
        resp = (ocsp.OCSPResponseBuilder()
                .add_response(cert=party.cert, issuer=self.intermediate.cert, algorithm=hashes.SHA256(),
                              cert_status=status, this_update=at - timedelta(minutes=5),
                              next_update=at + 7 * DAY, revocation_time=rev_time, revocation_reason=reason)
                .responder_id(ocsp.OCSPResponderEncoding.HASH, self.ocsp_responder.cert)
                .certificates([self.ocsp_responder.cert])
                .sign(self.ocsp_responder.key, hashes.SHA256()))
        return resp.public_bytes(serialization.Encoding.DER)

    # signing ---------------------------------------------------------------------------------
    def timestamper(self, at: datetime | None = None):
        from pyhanko.sign.timestamps import DummyTimeStamper

        return DummyTimeStamper(tsa_cert=self.tsa.asn1, tsa_key=self.tsa.asn1_key,
                                certs_to_embed=[self.tsa.asn1], fixed_dt=at)

    def signing_vc(self, party: Party):
        from pyhanko_certvalidator import ValidationContext

        return ValidationContext(trust_roots=[self.root.asn1, self.other_root.asn1],
                                 other_certs=[self.intermediate.asn1, self.ocsp_responder.asn1],
                                 crls=[self.crl_der, self.root_crl_der], ocsps=[self.make_ocsp(party)],
                                 allow_fetching=False, revocation_mode="soft-fail")

    def signer(self, party: Party):
        """pyHanko's ``SimpleSigner`` for ``party``, with its issuing CA in the certificate registry."""
        from pyhanko.sign import signers
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        issuer = self.other_root if party is self.untrusted else self.intermediate
        chain = [issuer.asn1] if issuer is self.intermediate else []
        return signers.SimpleSigner(signing_cert=party.asn1, signing_key=party.asn1_key,
                                    cert_registry=SimpleCertificateStore.from_certs(chain))

    def sign(self, pdf: bytes, party: Party, *, field_name: str = "Signature1", timestamp: bool = True,
             embed_revinfo: bool = True, ts_at: datetime | None = None, pades: bool = False,
             certify: bool = False, docmdp=None, encrypt_password: str | None = None,
             md_algorithm: str = "sha256", field_spec=None, reason: str | None = None) -> bytes:
        """Sign with pyHanko. ``embed_revinfo``: pyHanko collects and embeds the CRL/OCSP data.
        ``field_spec``: a ``SigFieldSpec`` for a new (e.g. visible) field."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        w = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        if encrypt_password is not None:
            w.encrypt(encrypt_password)
        meta = dict(field_name=field_name, md_algorithm=md_algorithm, certify=certify, reason=reason,
                    subfilter=fields.SigSeedSubFilter.PADES if pades else fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED)
        if docmdp is not None:
            meta["docmdp_permissions"] = docmdp
        if embed_revinfo:
            meta.update(embed_validation_info=True, validation_context=self.signing_vc(party))
        pdf_signer = signers.PdfSigner(signers.PdfSignatureMetadata(**meta), signer=self.signer(party),
                                       timestamper=self.timestamper(ts_at) if timestamp else None,
                                       new_field_spec=field_spec)
        return pdf_signer.sign_pdf(w).getvalue()

    def add_dss(self, pdf: bytes, *, crls=(), ocsps=(), certs=()) -> bytes:
        """Append a DSS revision with exactly this revocation data (for signers pyHanko refuses
        to collect revocation data for, such as revoked ones)."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation.dss import DocumentSecurityStore

        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        contents = reader.embedded_signatures[-1].pkcs7_content
        w = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        from asn1crypto import crl as asn1_crl
        from asn1crypto import ocsp as asn1_ocsp

        DocumentSecurityStore.supply_dss_in_writer(
            w, contents, certs=[asn1_x509.Certificate.load(c) if isinstance(c, bytes) else c for c in certs],
            crls=[asn1_crl.CertificateList.load(c) for c in crls],
            ocsps=[asn1_ocsp.OCSPResponse.load(o) for o in ocsps])
        buf = io.BytesIO()
        w.write(buf)
        return buf.getvalue()

    def doc_timestamp(self, pdf: bytes) -> bytes:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers

        w = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        out = signers.PdfTimeStamper(self.timestamper()).timestamp_pdf(w, "sha256", validation_context=None,
                                                                        validation_paths=[])
        return out.getvalue()



def make_pki(folder: Path) -> TestPKI:
    """A fresh PKI; the trust folder (the root only, and a file that is not a certificate) in ``folder``."""
    d = Path(folder)
    root_key = _key()
    root = Party("root", root_key, _issue(_name("Luutru Test Root CA", "Luutru Test"), root_key, None, ca=True,
                                           not_before=NOW - 10 * YEAR, not_after=NOW + 20 * YEAR))
    other_key = _key()
    other_root = Party("other_root", other_key, _issue(_name("Unknown Root CA", "Nobody"), other_key, None,
                                                       ca=True, not_before=NOW - YEAR, not_after=NOW + 10 * YEAR))
    ik = _key()
    inter = Party("intermediate", ik, _issue(_name("Luutru Test Issuing CA", "Luutru Test"), ik, root, ca=True,
                                             not_before=NOW - 5 * YEAR, not_after=NOW + 10 * YEAR,
                                             crl_url=ROOT_CRL_URL))

    def leaf(name, subject, *, nb=NOW - YEAR, na=NOW + YEAR, issuer=inter, usage="sign", eku=None):
        k = _key()
        return Party(name, k, _issue(subject, k, issuer, ca=False, not_before=nb, not_after=na, key_usage=usage,
                                     eku=eku, crl_url=CRL_URL, ocsp_url=OCSP_URL))

    person = leaf("person", _name("Nguyễn Văn An", "UBND tỉnh Thử Nghiệm", uid="CCCD:001085012345"))
    agency = leaf("agency", _name("UBND tỉnh Thử Nghiệm", "UBND tỉnh Thử Nghiệm", uid="MST:0100000001"))
    expired = leaf("expired", _name("Trần Thị Hết Hạn", "Sở Thử Nghiệm", uid="CCCD:001085099999"),
                   nb=NOW - 3 * YEAR, na=NOW - YEAR)
    revoked_before = leaf("revoked_before", _name("Lê Văn Thu Hồi", "Sở Thử Nghiệm", uid="CCCD:001085011111"))
    revoked_after = leaf("revoked_after", _name("Phạm Văn Sau", "Sở Thử Nghiệm", uid="CCCD:001085022222"))
    untrusted = leaf("untrusted", _name("Người Lạ", "Công ty Lạ"), issuer=other_root)
    wrong_usage = leaf("wrong_usage", _name("Sai Mục Đích", "Sở Thử Nghiệm", uid="CCCD:001085033333"),
                       usage="encipher")
    tk = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's DummyTimeStamper is RSA-only
    tsa = Party("tsa", tk, _issue(_name("Luutru Test TSA", "Luutru Test"), tk, root, ca=False,
                                  not_before=NOW - 5 * YEAR, not_after=NOW + 5 * YEAR,
                                  eku=[ExtendedKeyUsageOID.TIME_STAMPING], key_usage="ds"))
    ok_ = _key()
    responder = Party("ocsp", ok_, _issue(_name("Luutru Test OCSP", "Luutru Test"), ok_, inter, ca=False,
                                          not_before=NOW - YEAR, not_after=NOW + 2 * YEAR,
                                          eku=[ExtendedKeyUsageOID.OCSP_SIGNING], key_usage="ds"))
    rk = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_person = Party("rsa_person", rk, _issue(_name("Hoàng Văn Rsa", "UBND tỉnh Thử Nghiệm", uid="CCCD:001085044444"),
                                                rk, inter, ca=False, not_before=NOW - YEAR, not_after=NOW + YEAR,
                                                crl_url=CRL_URL, ocsp_url=OCSP_URL))
    trust = d / "trust"
    trust.mkdir()
    (trust / "root.pem").write_bytes(root.cert.public_bytes(serialization.Encoding.PEM))
    (trust / "README.txt").write_text("not a certificate: must be ignored")
    p = TestPKI(root=root, other_root=other_root, intermediate=inter, person=person, agency=agency, expired=expired,
                revoked_before=revoked_before, revoked_after=revoked_after, untrusted=untrusted,
                wrong_usage=wrong_usage, tsa=tsa, ocsp_responder=responder, rsa_person=rsa_person,
                trust_dir=trust)
    p.crl_der = p.make_crl(NOW - DAY)
    p.root_crl_der = p.make_root_crl()
    return p

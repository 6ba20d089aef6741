"""Signed sample documents: a small PKI built in-process with ``cryptography`` — a root CA standing in
for the government's (Ban Cơ yếu Chính phủ), a person's certificate and an agency's — and PAdES
signing with pyHanko, a person's signature and then the agency's, as Vietnamese agencies sign.

For ``luutru demo`` and for tests that need signed PDFs outside ``tests/signatures`` (whose PKI,
``tests/signatures/pki.py``, adds the expired, revoked and untrusted signers the conformance suite
needs). The certificates carry no CRL or OCSP address, so a validator needs no revocation data and
nothing touches the network; the root must be placed in the archive's trust folder for a signature
to be VALID (``DemoPKI.trust_pem``). Keys are kept in a folder (``DemoPKI.load_or_create``) so that
a second run signs with the same identities.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

YEAR = timedelta(days=365)


@dataclass(frozen=True)
class Party:
    """A certificate and its private key (EC or RSA)."""

    name: str
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def asn1(self):
        from asn1crypto import x509 as asn1_x509

        return asn1_x509.Certificate.load(self.der)

    @property
    def asn1_key(self):
        from asn1crypto import keys as asn1_keys

        return asn1_keys.PrivateKeyInfo.load(self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def subject(cn: str, org: str | None = None, uid: str | None = None) -> x509.Name:
    """A Vietnamese subject: C=VN, O=…, CN=…, UID=… (CCCD for a person, MST for an agency)."""
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    if uid:
        attrs.append(x509.NameAttribute(NameOID.USER_ID, uid))
    return x509.Name(attrs)


def issue(name: x509.Name, key, issuer: Party | None, *, ca: bool, not_before: datetime,
          not_after: datetime) -> x509.Certificate:
    """A certificate for ``key`` (self-signed when ``issuer`` is None): a CA, or a signer's
    certificate with digitalSignature and nonRepudiation (contentCommitment)."""
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer.cert.subject if issuer else name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(not_before).not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
         .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=not ca, key_encipherment=False,
                                      data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                      encipher_only=False, decipher_only=False), critical=True))
    if issuer:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                            critical=False)
    return b.sign(issuer.key if issuer else key, hashes.SHA256())


@dataclass(frozen=True)
class DemoPKI:
    root: Party
    issuing: Party
    person: Party
    agency: Party

    ROLES = ("root", "issuing", "person", "agency")

    @classmethod
    def create(cls, *, person: str = "Nguyễn Văn Sơn", person_uid: str = "CCCD:040085012345",
               agency: str = "Ủy ban nhân dân tỉnh Nghệ An", agency_uid: str = "MST:2900325300",
               now: datetime | None = None) -> DemoPKI:
        now = (now or datetime.now(UTC)).replace(microsecond=0) - timedelta(minutes=5)
        rk, ik, pk, ak = (ec.generate_private_key(ec.SECP256R1()) for _ in range(4))
        root = Party("root", rk, issue(subject("Ban Cơ yếu Chính phủ — CA gốc (mẫu)", "Ban Cơ yếu Chính phủ"), rk,
                                       None, ca=True, not_before=now - 10 * YEAR, not_after=now + 20 * YEAR))
        issuing = Party("issuing", ik, issue(subject("CA phục vụ các cơ quan nhà nước (mẫu)", "Ban Cơ yếu Chính phủ"),
                                             ik, root, ca=True, not_before=now - 5 * YEAR, not_after=now + 10 * YEAR))
        # signers' certificates valid from long before the oldest sample document (2010)
        start = datetime(2009, 1, 1, tzinfo=UTC)
        p = Party("person", pk, issue(subject(person, agency, person_uid), pk, issuing, ca=False,
                                      not_before=start, not_after=now + 5 * YEAR))
        a = Party("agency", ak, issue(subject(agency, agency, agency_uid), ak, issuing, ca=False,
                                      not_before=start, not_after=now + 5 * YEAR))
        return cls(root=root, issuing=issuing, person=p, agency=a)

    # persistence --------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for party in (self.root, self.issuing, self.person, self.agency):
            key = party.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
            fd = os.open(folder / f"{party.name}.key", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(key)
            (folder / f"{party.name}.crt").write_bytes(party.cert.public_bytes(serialization.Encoding.PEM))

    @classmethod
    def load(cls, folder: Path) -> DemoPKI:
        parties = {}
        for role in cls.ROLES:
            key = serialization.load_pem_private_key((Path(folder) / f"{role}.key").read_bytes(), None)
            if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
                raise TypeError(f"{role}.key: the demo PKI has EC and RSA keys only")
            cert = x509.load_pem_x509_certificate((Path(folder) / f"{role}.crt").read_bytes())
            parties[role] = Party(role, key, cert)
        return cls(**parties)

    @classmethod
    def load_or_create(cls, folder: Path, **kw) -> DemoPKI:
        """The PKI kept in ``folder``, created there on first use."""
        if all((Path(folder) / f"{r}.{ext}").is_file() for r in cls.ROLES for ext in ("key", "crt")):
            return cls.load(folder)
        pki = cls.create(**kw)
        pki.save(folder)
        return pki

    def trust_pem(self) -> bytes:
        """The root, to place in the archive's trust folder."""
        return self.root.cert.public_bytes(serialization.Encoding.PEM)

    # signing ------------------------------------------------------------------------------------
    def sign(self, pdf: bytes, party: Party, *, field_name: str, timestamper=None, reason: str | None = None,
             location: str | None = None) -> bytes:
        """One more PAdES signature (an incremental update, earlier signatures stay intact), with the
        chain embedded and, with ``timestamper`` (a pyHanko ``TimeStamper``), a signature timestamp."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        signer = signers.SimpleSigner(signing_cert=party.asn1, signing_key=party.asn1_key,
                                      cert_registry=SimpleCertificateStore.from_certs([self.issuing.asn1]))
        meta = signers.PdfSignatureMetadata(field_name=field_name, reason=reason, location=location,
                                            md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES)
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        return signers.PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(writer).getvalue()

    def sign_person_and_agency(self, pdf: bytes, *, timestamper=None, location: str | None = None) -> bytes:
        """Signed as an agency's document is: the signer (person), then the agency's seal."""
        once = self.sign(pdf, self.person, field_name="NguoiKy", timestamper=timestamper,
                         reason="Ký ban hành văn bản", location=location)
        return self.sign(once, self.agency, field_name="CoQuan", timestamper=timestamper,
                         reason="Chữ ký số của cơ quan", location=location)

"""The message's XML-DSig signature, with a throw-away key and certificate made here and signxml as
the signer: valid; one byte of the signed content changed → invalid, and the import keeps the
record with the failure recorded; the forms of edxml.md §6 (no namespace, empty, absent)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from api.wiring import build_edxml_import, build_ingest, build_services, get_settings
from archive.catalogue.models import Event, Record
from ingest.edxml import parse_message, verify_message

PLACEHOLDER = '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="placeholder"></ds:Signature>'


@pytest.fixture(scope="module")
def signer():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Văn thư Sở Thử nghiệm (kiểm thử)"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND tỉnh Mẫu")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()), cert.public_bytes(serialization.Encoding.PEM))


def _sign(data: bytes, signer, algorithm: str = "sha256") -> bytes:
    from signxml import XMLSigner

    class LegacySigner(XMLSigner):
        def check_deprecated_methods(self):  # signxml's documented hook: producers still send rsa-sha1
            pass

    key, cert = signer
    root = etree.fromstring(data)
    signed = LegacySigner(signature_algorithm=f"rsa-{algorithm}", digest_algorithm=algorithm).sign(root, key=key,
                                                                                                   cert=cert)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def test_valid_signature(message_builder, signer):
    data = _sign(message_builder(signature=PLACEHOLDER), signer)
    m = parse_message(data)
    assert m.signature.form == "dsig"
    result = verify_message(m)
    assert result.status == "valid", result
    assert "Văn thư Sở Thử nghiệm" in result.signer and not result.weak


def test_sha1_as_producers_send_it_verifies_and_is_flagged_weak(message_builder, signer):
    result = verify_message(parse_message(_sign(message_builder(signature=PLACEHOLDER), signer, "sha1")))
    assert (result.status, result.weak) == ("valid", True)
    assert "http://www.w3.org/2000/09/xmldsig#rsa-sha1" in result.algorithms


def test_one_byte_changed_is_invalid(message_builder, signer):
    data = _sign(message_builder(signature=PLACEHOLDER, code_number="7"), signer)
    assert data.count(b"<edXML:CodeNumber>7<") == 1
    tampered = data.replace(b"<edXML:CodeNumber>7<", b"<edXML:CodeNumber>8<")
    assert len(tampered) == len(data) and sum(a != b for a, b in zip(data, tampered, strict=True)) == 1
    result = verify_message(parse_message(tampered))
    assert result.status == "invalid" and result.reason


def test_a_changed_attachment_is_invalid(message_builder, signer):
    """The reference covers the whole document, attachments included (edxml.md §6)."""
    data = _sign(message_builder(signature=PLACEHOLDER, attachments=[("a.txt", b"AAAA", False)]), signer)
    tampered = data.replace(b"QUFBQQ==", b"QUFBQg==")
    assert tampered != data
    assert verify_message(parse_message(tampered)).status == "invalid"


def test_signature_forms(message_builder, samples):
    no_ns = message_builder(signature="<Signature><SignedInfo/><SignatureValue>AAAA</SignatureValue></Signature>")
    assert verify_message(parse_message(no_ns)).status == "unverifiable"
    assert verify_message(parse_message(samples["synthetic_edoc_variant_lgsp.edxml"])).status == "absent"
    assert verify_message(parse_message(samples["synthetic_edoc_new.edxml"])).status == "absent"
    junk = message_builder(signature=PLACEHOLDER.replace("></ds:Signature>", "><ds:SignatureValue>x</ds:SignatureValue>"
                                                                          "</ds:Signature>"))
    assert verify_message(parse_message(junk)).status == "unverifiable"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def importer(request, data_dir, monkeypatch):
    if request.param == "postgres":
        monkeypatch.setenv("LUUTRU_DB__URL", request.getfixturevalue("postgres_url"))
    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        yield services, build_edxml_import(services, build_ingest(services, workers=1))
    finally:
        services.close()
        get_settings.cache_clear()


def test_import_keeps_a_bad_signature_with_the_failure_recorded(importer, message_builder, signer, tmp_path):
    """GIVEN a signed message, and another whose signed content was changed WHEN both are imported
    THEN both are records (an archive keeps the evidence it received); the first says valid, the
    second invalid, with a failed PREMIS signature-validation event and the reason."""
    services, imp = importer
    good = _sign(message_builder(signature=PLACEHOLDER, document_id="A,2026/01/02,1/X", code_number="1"), signer)
    bad = _sign(message_builder(signature=PLACEHOLDER, document_id="B,2026/01/02,2/X", code_number="2",
                                attachments=[("b.txt", "khác".encode(), False)]), signer)
    bad = bad.replace(b"<edXML:CodeNumber>2<", b"<edXML:CodeNumber>3<")
    (tmp_path / "good.edxml").write_bytes(good)
    (tmp_path / "bad.edxml").write_bytes(bad)
    ok = imp.import_file(tmp_path / "good.edxml", submitter="test")
    ko = imp.import_file(tmp_path / "bad.edxml", submitter="test")
    assert (ok.outcome, ok.signature) == ("ingested", "valid")
    assert (ko.outcome, ko.signature) == ("ingested", "invalid") and "KHÔNG hợp lệ" in ko.signature_vi
    with services.catalogue.session() as s:
        rec = s.get(Record, ko.record_id)
        assert rec.code_number == "3" and rec.extra["edxml"]["signature"]["status"] == "invalid"
        outcomes = s.execute(sa.select(Event.outcome).where(
            Event.record_id == ko.record_id, Event.event_type == "digital signature validation")).scalars().all()
        assert outcomes == ["failure"]
        assert s.get(Record, ok.record_id).extra["edxml"]["signature"]["status"] == "valid"

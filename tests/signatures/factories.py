"""Builders of signed PDFs for the signature tests: sample documents, changes appended after
signing, and one builder per category of the conformance suite (``test_conformance.py``).

Every file is made with pyHanko's own signing machinery and the session's test PKI
(``signatures.pki``). Where pyHanko's high-level ``PdfSigner`` cannot produce a structure — a
document timestamp whose ``/Type`` is ``/Sig`` or null, a CMS with two SignerInfos, an enveloping
CMS, a PKCS#7 without signed attributes, a plain-ECDSA signature value, a malformed ``/ByteRange``
— the file is made with pyHanko's low-level ``PdfCMSEmbedder`` protocol (the writer reserves the
``/Contents`` hole and hands back the byte-range digest) and the CMS is assembled with asn1crypto
from what pyHanko's ``Signer`` produces. Each builder says how its file is made.

Not a test module; fixtures in ``conftest.py`` expose it, ``bench/signatures.py`` uses
:func:`conformance_corpus`.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
from collections.abc import Callable

from asn1crypto import algos, cms
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from signatures.pki import DAY, NOW, TestPKI

PLAIN_ECDSA_SHA256 = "0.4.0.127.0.7.1.1.4.1.3"
"""BSI TR-03111 ``ecdsa-plain-SHA256``: the signature value is r || s, not a DER SEQUENCE."""


def make_pdf(text: str = "Văn bản thử nghiệm", pages: int = 1, with_form_field: bool = False) -> bytes:
    """A small real PDF (reportlab) with Vietnamese text; optionally an AcroForm text field."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for i in range(pages):
        c.setFont("Helvetica", 12)
        c.drawString(72, 760, f"{text} - trang {i + 1}")
        if with_form_field and i == 0:
            c.acroForm.textfield(name="ghi_chu", x=72, y=600, width=300, height=20, value="")
        c.showPage()
    c.save()
    return buf.getvalue()


def _writer(pdf: bytes):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    return IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)


def _out(w) -> bytes:
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def _sig_dict_ref(w, field_name: str | None = None):
    """The reference of a filled signature field's /V (the last one, or ``field_name``'s)."""
    from pyhanko.sign.fields import enumerate_sig_fields

    found = None
    for name, value, _field_ref in enumerate_sig_fields(w.prev, filled_status=True):
        if field_name is None or name == field_name:
            found = value
    assert found is not None, field_name
    return found


class PdfEdits:
    """Incremental updates appended after signing, one per kind of change."""

    def fill_form(self, pdf: bytes, name: str = "ghi_chu", value: str = "đã xem") -> bytes:
        from pyhanko.pdf_utils import generic

        w = _writer(pdf)
        for ref in w.root["/AcroForm"]["/Fields"]:
            f = ref.get_object()
            if f.get("/T") == name:
                f["/V"] = generic.TextStringObject(value)
                w.update_container(f)
        return _out(w)

    def add_annotation(self, pdf: bytes) -> bytes:
        from pyhanko.pdf_utils import generic

        w = _writer(pdf)
        page_ref = w.root["/Pages"]["/Kids"][0]
        page = page_ref.get_object()
        annot = w.add_object(generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Text"),
            generic.NameObject("/Rect"): generic.ArrayObject([generic.FloatObject(x) for x in (100, 100, 120, 120)]),
            generic.NameObject("/Contents"): generic.TextStringObject("ghi chú sau khi ký"),
            generic.NameObject("/P"): page_ref}))
        annots = page.get("/Annots")
        arr = generic.ArrayObject(list(annots.get_object()) if annots is not None else [])
        arr.append(annot)
        page["/Annots"] = arr
        w.update_container(page)
        return _out(w)

    def replace_content(self, pdf: bytes) -> bytes:
        """The first page object is rewritten in a new revision, pointing at new content."""
        from pyhanko.pdf_utils import generic

        w = _writer(pdf)
        page = w.root["/Pages"]["/Kids"][0].get_object()
        stream = generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 700 Td (Noi dung da bi thay) Tj ET")
        page["/Contents"] = w.add_object(stream)
        w.update_container(page)
        return _out(w)

    def overwrite_content_stream(self, pdf: bytes) -> bytes:
        """The page's content stream object itself (same object number) is redefined in a new
        revision: the page dictionary is untouched, what it shows is not."""
        w = _writer(pdf)
        page = w.root["/Pages"]["/Kids"][0].get_object()
        ref = page.raw_get("/Contents")
        stream = ref.get_object()
        stream.strip_filters()
        stream._data, stream._encoded_data = b"BT /F1 12 Tf 72 760 Td (So tien: 9.000.000.000 dong) Tj ET", None
        w.mark_update(ref)
        return _out(w)

    def add_page(self, pdf: bytes) -> bytes:
        from pyhanko.pdf_utils import generic

        w = _writer(pdf)
        first = w.root["/Pages"]["/Kids"][0].get_object()
        content = w.add_object(generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 760 Td (Trang them) Tj ET"))
        w.insert_page(generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Page"),
            generic.NameObject("/MediaBox"): first["/MediaBox"],
            generic.NameObject("/Resources"): generic.DictionaryObject(),
            generic.NameObject("/Contents"): content}))
        return _out(w)

    def delete_last_page(self, pdf: bytes) -> bytes:
        from pyhanko.pdf_utils import generic

        w = _writer(pdf)
        pages = w.root["/Pages"]
        kids = pages["/Kids"]
        pages["/Kids"] = generic.ArrayObject(list(kids)[:-1])
        pages["/Count"] = generic.NumberObject(len(kids) - 1)
        w.update_container(pages)
        return _out(w)

    def spoof_reason(self, pdf: bytes, reason: str = "Đồng ý chi 9 tỷ đồng") -> bytes:
        """The signature dictionary (same object number) is redefined in a new revision with
        another /Reason; its /ByteRange and /Contents are copied unchanged, so the signed bytes
        still verify."""
        from pyhanko.pdf_utils import generic

        w = _writer(pdf)
        ref = _sig_dict_ref(w)
        sig = ref.get_object()
        sig["/Reason"] = generic.TextStringObject(reason)
        w.mark_update(ref)
        return _out(w)


def run(coro):
    return asyncio.run(coro)


def contents_of(pdf: bytes, field_name: str | None = None) -> bytes:
    """The DER bytes in a signature field's /Contents (read with pyHanko's parser)."""
    from pyhanko.sign.validation.pdf_embedded import extract_contents

    w = _writer(pdf)
    return extract_contents(_sig_dict_ref(w, field_name).get_object())


def embed_cms(pdf: bytes, make_cms: Callable[[bytes, bytes], cms.ContentInfo | bytes], *,
              field_name: str = "Signature1", md_algorithm: str = "sha256", placeholder=None,
              entries: dict | None = None, bytes_reserved: int = 16 * 1024, field_spec=None) -> bytes:
    """pyHanko's low-level ``PdfCMSEmbedder`` protocol: the writer appends the field and a
    signature dictionary with a reserved /Contents, writes the revision and returns the digest
    of the byte range; ``make_cms(digest, signed_bytes)`` returns the CMS to place in the hole.

    ``entries`` overrides keys of the signature dictionary before anything is hashed (``None``
    as a value writes PDF ``null``; ``...`` deletes the key)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.sign.fields import SigFieldSpec
    from pyhanko.sign.signers.cms_embedder import PdfCMSEmbedder, SigIOSetup, SigObjSetup
    from pyhanko.sign.signers.pdf_byterange import SignatureObject

    w = _writer(pdf)
    writer = PdfCMSEmbedder(new_field_spec=field_spec or SigFieldSpec(field_name)).write_cms(
        field_name=field_name, writer=w)
    next(writer)
    sig = placeholder if placeholder is not None else SignatureObject(bytes_reserved=bytes_reserved)
    for key, value in (entries or {}).items():
        if value is ...:
            sig.pop(generic.NameObject(key), None)
        else:
            sig[generic.NameObject(key)] = generic.NullObject() if value is None else value
    writer.send(SigObjSetup(sig_placeholder=sig))
    prepared, output = writer.send(SigIOSetup(md_algorithm=md_algorithm))
    data = output.getvalue()
    signed = data[:prepared.reserved_region_start] + data[prepared.reserved_region_end:]
    writer.send(make_cms(prepared.document_digest, signed))
    return output.getvalue()


def with_byte_range(pdf: bytes, pki: TestPKI, mutate: Callable[[int, int, int], tuple[int, ...]]) -> bytes:
    """A signature whose /ByteRange is ``mutate(contents_start, contents_end, eof)`` instead of
    ``[0 start end eof-end]``, and whose CMS is computed over exactly those (malformed) ranges,
    so the digest matches and only the byte range itself is wrong.

    Made with the ``PdfCMSEmbedder`` protocol up to the written placeholder; then the
    ``/ByteRange`` text is overwritten in place (same width), the digest taken over the new
    ranges, a CMS made by pyHanko's ``SimpleSigner`` over that digest, and its hex written into
    the reserved /Contents hole."""
    from pyhanko.sign.fields import SigFieldSpec
    from pyhanko.sign.signers.cms_embedder import PdfCMSEmbedder, SigIOSetup, SigObjSetup
    from pyhanko.sign.signers.pdf_byterange import SignatureObject

    w = _writer(pdf)
    writer = PdfCMSEmbedder(new_field_spec=SigFieldSpec("Signature1")).write_cms(field_name="Signature1", writer=w)
    next(writer)
    writer.send(SigObjSetup(sig_placeholder=SignatureObject(bytes_reserved=8192)))
    prepared, output = writer.send(SigIOSetup(md_algorithm="sha256"))
    data = bytearray(output.getvalue())
    start, end, eof = prepared.reserved_region_start, prepared.reserved_region_end, len(data)
    old = b"[0 %d %d %d]" % (start, end, eof - end)
    at = bytes(data).rindex(old)
    width = len(old) + len(re.match(rb" *", bytes(data[at + len(old):])).group(0))
    new = b"[" + b" ".join(b"%d" % n for n in mutate(start, end, eof)) + b"]"
    assert len(new) <= width, (new, width)
    data[at:at + width] = new.ljust(width, b" ")
    ranges = mutate(start, end, eof)
    md = hashlib.sha256()
    for offset, length in zip(ranges[::2], ranges[1::2], strict=True):
        md.update(bytes(data[offset:offset + length]))
    signed = run(pki.signer(pki.person).async_sign(md.digest(), "sha256"))
    hexed = signed.dump().hex().encode()
    assert len(hexed) <= end - start - 2
    data[start:end] = b"<" + hexed.ljust(end - start - 2, b"0") + b">"
    return bytes(data)


def _merge_signed_data(first: cms.ContentInfo, second: cms.ContentInfo) -> cms.ContentInfo:
    a, b = first["content"], second["content"]
    certs, seen = [], set()
    for c in list(a["certificates"]) + list(b["certificates"]):
        if c.dump() not in seen:
            seen.add(c.dump())
            certs.append(c)
    algs = {d["algorithm"].native: d for d in list(a["digest_algorithms"]) + list(b["digest_algorithms"])}
    sd = cms.SignedData({"version": a["version"], "digest_algorithms": list(algs.values()),
                         "encap_content_info": a["encap_content_info"], "certificates": certs,
                         "signer_infos": [a["signer_infos"][0], b["signer_infos"][0]]})
    return cms.ContentInfo({"content_type": "signed_data", "content": sd})


def _plain_ecdsa_cms(pki: TestPKI, digest: bytes) -> cms.ContentInfo:
    """A CMS whose SignerInfo carries a plain-ECDSA value (r || s) under the BSI OID, as an eID
    card signer writes it: pyHanko's ``Signer.signed_attrs`` for the attributes (with the RFC 6211
    algorithm-protection attribute naming the plain-ECDSA algorithm), the key of the session's
    person signer for the value."""
    party, signer = pki.person, pki.signer(pki.person)
    plain = algos.SignedDigestAlgorithm({"algorithm": PLAIN_ECDSA_SHA256})
    attrs = []
    for attr in run(signer.signed_attrs(digest, "sha256")):
        if attr["type"].native == "cms_algorithm_protection":
            attr = cms.CMSAttribute({"type": "cms_algorithm_protection", "values": [cms.CMSAlgorithmProtection({
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}), "signature_algorithm": plain})]})
        attrs.append(attr)
    signed_attrs = cms.CMSAttributes(attrs)
    r, s = decode_dss_signature(party.key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256())))
    si = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
            {"issuer": party.asn1.issuer, "serial_number": party.asn1.serial_number})}),
        "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}), "signed_attrs": signed_attrs,
        "signature_algorithm": plain, "signature": r.to_bytes(32, "big") + s.to_bytes(32, "big")})
    sd = cms.SignedData({"version": "v1", "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
                         "encap_content_info": {"content_type": "data"},
                         "certificates": [party.asn1, pki.intermediate.asn1], "signer_infos": [si]})
    return cms.ContentInfo({"content_type": "signed_data", "content": sd})


class ConformanceFactory:
    """One builder per category of ``test_conformance.py``. Every signature is by a trusted
    signer of the session PKI with its revocation data in the file (CMS attribute or DSS), so
    that each case differs from a VALID signature in exactly the property it is about."""

    def __init__(self, pki: TestPKI):
        self.pki = pki
        self.edits = PdfEdits()
        self.plain = make_pdf("Quyết định thử nghiệm", pages=2)
        self.form = make_pdf("Tờ khai thử nghiệm", with_form_field=True)

    # --- helpers ----------------------------------------------------------------------------
    def dss(self, pdf: bytes, *, field_name: str | None = None, extra_crls=(), extra_ocsps=(), certs=(),
            vri: bool = True) -> bytes:
        """Append a DSS revision with the chain's CRLs and the signer's OCSP response, tied to
        the signature by a /VRI entry (``vri``) — PAdES B-LT. Read with pyHanko's parser, written
        with ``DocumentSecurityStore.supply_dss_in_writer``."""
        from asn1crypto import x509 as asn1_x509
        from pyhanko.sign.validation.dss import DocumentSecurityStore

        p = self.pki
        w = _writer(pdf)
        contents = contents_of(pdf, field_name) if vri else None
        DocumentSecurityStore.supply_dss_in_writer(
            w, contents, certs=[p.intermediate.asn1, p.ocsp_responder.asn1, p.tsa.asn1,
                                *(asn1_x509.Certificate.load(c) for c in certs)],
            crls=[asn1_crl.CertificateList.load(c) for c in (p.crl_der, p.root_crl_der, *extra_crls)],
            ocsps=[asn1_ocsp.OCSPResponse.load(o) for o in extra_ocsps])
        return _out(w)

    def signed(self, pdf: bytes | None = None, party=None, **kw) -> bytes:
        return self.pki.sign(self.plain if pdf is None else pdf, party or self.pki.person, **kw)

    def with_byte_range(self, mutate) -> bytes:
        return with_byte_range(self.plain, self.pki, mutate)

    # --- document timestamps ----------------------------------------------------------------
    def doc_timestamp(self, pdf: bytes, type_entry: object = "/DocTimeStamp") -> bytes:
        """A document timestamp (SubFilter ETSI.RFC3161) by the test TSA. ``type_entry`` is the
        /Type written: ``/DocTimeStamp`` (PDF 2.0), ``/Sig`` (as some signers write it) or
        ``None`` for PDF null. Made with ``PdfCMSEmbedder`` and pyHanko's ``DocumentTimestamp``
        placeholder, the /Type changed before the revision is hashed; the token is
        ``DummyTimeStamper.async_timestamp`` over the byte-range digest."""
        from pyhanko.pdf_utils import generic
        from pyhanko.sign.signers.pdf_byterange import DocumentTimestamp

        value = None if type_entry is None else generic.NameObject(type_entry)
        return embed_cms(pdf, lambda digest, _: run(self.pki.timestamper().async_timestamp(digest, "sha256")),
                         field_name="Timestamp1", placeholder=DocumentTimestamp(bytes_reserved=12 * 1024),
                         entries={"/Type": value})

    def b_lta(self) -> bytes:
        """PAdES B-LTA: signature without embedded revocation data, a DSS with /VRI, then a
        document timestamp (pyHanko's ``PdfTimeStamper``)."""
        return self.pki.doc_timestamp(self.dss(self.signed(embed_revinfo=False)))

    # --- DSS / VRI ---------------------------------------------------------------------------
    def dss_extra_entries(self) -> bytes:
        """B-LT whose DSS also carries revocation data about other certificates: a CRL of the
        untrusted root, an OCSP response for the agency's certificate, the agency certificate."""
        p = self.pki
        other_crl = (x509.CertificateRevocationListBuilder().issuer_name(p.other_root.cert.subject)
                     .last_update(NOW - DAY).next_update(NOW + 30 * DAY)
                     .sign(p.other_root.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
        return self.dss(self.signed(embed_revinfo=False), extra_crls=[other_crl],
                        extra_ocsps=[p.make_ocsp(p.agency)], certs=[p.agency.der])

    def dss_orphan_entries(self) -> bytes:
        """B-LT, then a second DSS update with entries no /VRI refers to (an OCSP response for a
        revoked stranger, a CRL stream whose bytes are not a CRL), and a /VRI key that matches
        no signature of the document."""
        from pyhanko.pdf_utils import generic
        from pyhanko.sign.validation.dss import DocumentSecurityStore

        p = self.pki
        pdf = self.dss(self.signed(embed_revinfo=False))
        w = _writer(pdf)
        DocumentSecurityStore.supply_dss_in_writer(
            w, None, ocsps=[asn1_ocsp.OCSPResponse.load(p.make_ocsp(p.revoked_before))])
        dss = w.root["/DSS"]
        garbage = w.add_object(generic.StreamObject(stream_data=b"this is not a CRL"))
        dss["/CRLs"] = generic.ArrayObject([*dss["/CRLs"], garbage])
        vri = dss["/VRI"]
        vri[generic.NameObject("/" + os.urandom(20).hex().upper())] = generic.DictionaryObject(
            {generic.NameObject("/CRL"): generic.ArrayObject([garbage])})
        w.update_container(dss)
        return _out(w)

    # --- CMS structures ----------------------------------------------------------------------
    def two_signer_infos(self) -> bytes:
        """One /Contents whose SignedData has two SignerInfos (person, then agency) over the same
        byte-range digest: each made by pyHanko's ``SimpleSigner.async_sign``, merged with
        asn1crypto."""
        p = self.pki

        def make(digest, _):
            return _merge_signed_data(run(p.signer(p.person).async_sign(digest, "sha256")),
                                      run(p.signer(p.agency).async_sign(digest, "sha256")))
        return self.dss(embed_cms(self.plain, make))

    def enveloping(self, content: str) -> bytes:
        """A CMS that encapsulates its content (``async_sign_general_data(detached=False)``).

        * ``bytes``: SubFilter adbe.pkcs7.detached, eContent = the byte-range bytes themselves;
        * ``sha1``: SubFilter adbe.pkcs7.sha1 (ISO 32000-1 12.8.3.3.1), eContent = SHA-1 of the
          byte range;
        * ``sha1_forged``: adbe.pkcs7.sha1 whose eContent is the SHA-1 of other bytes (the
          shape of CVE-2025-2866: a valid CMS that does not bind the document).
        The signer's own digest (over eContent) is SHA-256; a signature timestamp is added."""
        from pyhanko.pdf_utils import generic

        p = self.pki
        signer = p.signer(p.person)
        if content == "bytes":
            return self.dss(embed_cms(self.plain, lambda _d, signed: run(signer.async_sign_general_data(
                signed, "sha256", detached=False, timestamper=p.timestamper())), bytes_reserved=40 * 1024))

        def make(digest, _):
            payload = hashlib.sha1(b"another document").digest() if content == "sha1_forged" else digest
            return run(signer.async_sign_general_data(payload, "sha256", detached=False, timestamper=p.timestamper()))
        return self.dss(embed_cms(self.plain, make, md_algorithm="sha1",
                                  entries={"/SubFilter": generic.NameObject("/adbe.pkcs7.sha1")}))

    def pkcs7_sha1_without_signed_attributes(self) -> bytes:
        """A PKCS#7 signature in the old style: RSA PKCS#1 v1.5 with SHA-1 directly over the
        byte range, no signed attributes (RFC 5652 §5.4), SignerInfo built with asn1crypto."""
        p = self.pki
        party = p.rsa_person

        def make(_digest, signed):
            value = party.key.sign(signed, padding.PKCS1v15(), hashes.SHA1())
            si = cms.SignerInfo({
                "version": "v1",
                "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
                    {"issuer": party.asn1.issuer, "serial_number": party.asn1.serial_number})}),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha1"}),
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}),
                "signature": value})
            sd = cms.SignedData({"version": "v1", "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha1"})],
                                 "encap_content_info": {"content_type": "data"},
                                 "certificates": [party.asn1, p.intermediate.asn1], "signer_infos": [si]})
            return cms.ContentInfo({"content_type": "signed_data", "content": sd})
        return self.dss(embed_cms(self.plain, make, md_algorithm="sha1"))

    def plain_ecdsa(self) -> bytes:
        """An ECDSA P-256 signature whose value is encoded plain (r || s, BSI TR-03111) with the
        ecdsa-plain-SHA256 OID (``_plain_ecdsa_cms``), embedded with ``PdfCMSEmbedder``; the
        chain's CRLs in a DSS."""
        assert isinstance(self.pki.person.key, ec.EllipticCurvePrivateKey)
        return self.dss(embed_cms(self.plain, lambda digest, _: _plain_ecdsa_cms(self.pki, digest)))

    # --- widgets -----------------------------------------------------------------------------
    def hidden_widget(self) -> bytes:
        """A signature field prepared in its own revision with a visible rectangle but the widget
        flagged Hidden (annotation flag bit 2), then signed by pyHanko."""
        from pyhanko.pdf_utils import generic
        from pyhanko.sign import fields

        w = _writer(self.plain)
        fields.append_signature_field(w, fields.SigFieldSpec("AnChuKy", box=(300, 80, 500, 140), on_page=0))
        for ref in w.root["/AcroForm"]["/Fields"]:
            f = ref.get_object()
            if f.get("/T") == "AnChuKy":
                f["/F"] = generic.NumberObject(2)
                w.update_container(f)
        return self.signed(_out(w), field_name="AnChuKy")

    def same_border_widgets(self) -> bytes:
        """Two visible signatures (person, then agency) whose widgets have the same rectangle on
        the same page, as when a second signer stamps over the first appearance."""
        from pyhanko.sign import fields

        box = dict(box=(300, 80, 500, 140), on_page=0)
        first = self.signed(field_name="NguoiKy", field_spec=fields.SigFieldSpec("NguoiKy", **box))
        return self.pki.sign(first, self.pki.agency, field_name="CoQuan", field_spec=fields.SigFieldSpec("CoQuan", **box))


def conformance_corpus(pki: TestPKI) -> dict[str, bytes]:
    """Every conformance file that validates to VALID, by name (for ``bench/signatures.py``)."""
    from pyhanko.sign.fields import MDPPerm

    f = ConformanceFactory(pki)
    e = f.edits
    return {
        "doc_timestamp_doctimestamp": f.doc_timestamp(f.signed()),
        "doc_timestamp_type_sig": f.doc_timestamp(f.signed(), "/Sig"),
        "doc_timestamp_type_null": f.doc_timestamp(f.signed(), None),
        "b_lta": f.b_lta(),
        "dss_extra_entries": f.dss_extra_entries(),
        "dss_orphan_entries": f.dss_orphan_entries(),
        "enveloping_detached": f.enveloping("bytes"),
        "plain_ecdsa": f.plain_ecdsa(),
        "hidden_widget": f.hidden_widget(),
        "same_border_widgets": f.same_border_widgets(),
        "form_filled": e.fill_form(f.signed(f.form)),
        "annotation_added": e.add_annotation(f.signed()),
        "annotation_certified_p3": e.add_annotation(f.signed(certify=True, docmdp=MDPPerm.ANNOTATE)),
    }

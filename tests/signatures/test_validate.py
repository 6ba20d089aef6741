"""``validate_pdf``: one case per check of requirements-vn.md §8.6, each with its exact status and
reason. PDFs are signed with pyHanko by the session PKI of ``conftest.py``; no network."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from ingest.signatures import Status, document_findings, validate_pdf

YEAR = timedelta(days=365)
DAY = timedelta(days=1)


def run(tmp_path, data: bytes, trust_roots, **kw):
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return validate_pdf(path, trust_roots, **kw)


def only(reports):
    assert len(reports) == 1, [r.as_dict() for r in reports]
    return reports[0]


def test_valid_person_signature_with_timestamp_and_embedded_revocation(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN a PDF signed by a trusted person with a timestamp and pyHanko-embedded revocation data
    WHEN validated offline THEN VALID, proven signing time, person signer, untouched."""
    r = only(run(tmp_path, pki.sign(plain_pdf, pki.person), trust_roots))
    assert (r.status, r.reason, r.intact) == (Status.VALID, None, True)
    assert r.summary() == {"field": "Signature1", "kind": "signature", "status": "VALID", "reason": None,
                           "indication": "TOTAL-PASSED", "sub_indication": None, "intact": True,
                           "modification_level": "none", "modifications_permitted": True,
                           "signer": "Nguyễn Văn An", "organisation": "UBND tỉnh Thử Nghiệm",
                           "signing_time": r.signing_time, "timestamped": True}
    assert r.signer_type == "person" and r.signing_time_source == "timestamp"
    assert r.modification_level == "none" and r.coverage == "entire_file"
    assert r.revocation["status"] == "good" and "cms" in r.revocation["sources"]
    assert r.algorithms["digest"] == "sha256" and r.algorithms["key"] == "EC 256"
    assert r.chain and "Luutru Test Root CA" in r.chain[0]


def test_untrusted_root_is_valid_untrusted(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN a signer under a root that is not in the trust folder THEN VALID_UNTRUSTED / no_trust_path."""
    r = only(run(tmp_path, pki.sign(plain_pdf, pki.untrusted, embed_revinfo=False), trust_roots))
    assert (r.status, r.reason, r.intact) == (Status.VALID_UNTRUSTED, "no_trust_path", True)


def test_empty_trust_folder_trusts_nothing(tmp_path, pki, plain_pdf):
    """GIVEN no trust anchors at all THEN even a good signature is only VALID_UNTRUSTED (never the OS store)."""
    r = only(run(tmp_path, pki.sign(plain_pdf, pki.person), []))
    assert (r.status, r.reason) == (Status.VALID_UNTRUSTED, "no_trust_path")


def test_signer_expired_at_signing(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN a certificate that expired a year before the (timestamped) signing THEN INVALID / expired_at_signing."""
    signed = pki.sign(plain_pdf, pki.expired, embed_revinfo=False)
    signed = pki.add_dss(signed, crls=[pki.crl_der, pki.root_crl_der])
    r = only(run(tmp_path, signed, trust_roots))
    assert (r.status, r.reason, r.intact) == (Status.INVALID, "expired_at_signing", True)


def test_revoked_before_signing(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN a certificate revoked ten days before the timestamped signing, with the CRL in the DSS
    THEN INVALID / revoked."""
    signed = pki.sign(plain_pdf, pki.revoked_before, embed_revinfo=False)
    signed = pki.add_dss(signed, crls=[pki.crl_der, pki.root_crl_der])
    r = only(run(tmp_path, signed, trust_roots))
    assert (r.status, r.reason, r.intact) == (Status.INVALID, "revoked", True)
    assert r.revocation["status"] == "revoked"


def test_revoked_after_signing_is_valid_at_signing_time(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN a certificate revoked one day after the timestamped signing, and a CRL published after
    the revocation WHEN validated later THEN VALID: it was not revoked when it signed."""
    signed = pki.sign(plain_pdf, pki.revoked_after, embed_revinfo=False)
    later_crl = pki.make_crl(pki.now + 2 * DAY)
    signed = pki.add_dss(signed, crls=[later_crl, pki.root_crl_der])
    r = only(run(tmp_path, signed, trust_roots, at=pki.now + 3 * DAY))
    assert (r.status, r.reason, r.timestamped) == (Status.VALID, None, True)


def test_no_revocation_data_is_indeterminate(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN a certificate that declares a CRL and OCSP responder but no revocation data in the file,
    validated offline THEN INDETERMINATE / revocation_unknown."""
    r = only(run(tmp_path, pki.sign(plain_pdf, pki.person, embed_revinfo=False), trust_roots))
    assert (r.status, r.reason, r.intact) == (Status.INDETERMINATE, "revocation_unknown", True)


def test_key_usage_not_for_signing(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN a key-encipherment-only certificate THEN INDETERMINATE / key_usage: ETSI EN 319 102-1
    treats a key usage the validation constraints reject as INDETERMINATE /
    CHAIN_CONSTRAINTS_FAILURE, not a failure of the signature itself."""
    signed = pki.add_dss(pki.sign(plain_pdf, pki.wrong_usage, embed_revinfo=False),
                         crls=[pki.crl_der, pki.root_crl_der])
    r = only(run(tmp_path, signed, trust_roots))
    assert (r.status, r.reason, r.intact) == (Status.INDETERMINATE, "key_usage", True)
    assert (r.indication, r.sub_indication) == ("INDETERMINATE", "CHAIN_CONSTRAINTS_FAILURE")


def test_tampered_bytes(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN one byte of the signed range changed THEN INVALID / digest_mismatch, intact false."""
    signed = bytearray(pki.sign(plain_pdf, pki.person))
    i = bytes(signed).index(b"ReportLab")  # inside the signed range (the /Producer string)
    signed[i + 7] = ord("o")
    r = only(run(tmp_path, bytes(signed), trust_roots))
    assert (r.status, r.reason, r.intact) == (Status.INVALID, "digest_mismatch", False)


@pytest.mark.parametrize("timestamp", [True, False])
def test_with_and_without_embedded_timestamp(tmp_path, pki, plain_pdf, trust_roots, timestamp):
    """GIVEN a signature with or without a timestamp token THEN VALID either way; without one the
    signing time is the signer's claim, marked unproven."""
    reports = run(tmp_path, pki.sign(plain_pdf, pki.person, timestamp=timestamp), trust_roots)
    r = only(reports)
    assert (r.status, r.reason, r.timestamped) == (Status.VALID, None, timestamp)
    assert r.signing_time_source == ("timestamp" if timestamp else "claimed")
    assert r.signing_time is not None
    assert ("signing_time_unproven" in document_findings(reports)) is (not timestamp)


def test_person_plus_agency_signatures(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN the competent person's signature, then the agency's (Decree 30 art. 5) THEN both VALID,
    the first one extended only by a signature (form filling), and no missing-agency finding."""
    signed = pki.sign(plain_pdf, pki.person, field_name="NguoiKy")
    signed = pki.sign(signed, pki.agency, field_name="CoQuan")
    reports = run(tmp_path, signed, trust_roots)
    assert [(r.field, r.status, r.signer_type) for r in reports] == [
        ("NguoiKy", Status.VALID, "person"), ("CoQuan", Status.VALID, "organisation")]
    assert reports[0].modification_level == "form_filling" and reports[0].modifications_permitted
    assert reports[1].modification_level == "none"
    assert document_findings(reports) == []


def test_person_only_reports_missing_agency_signature(tmp_path, pki, plain_pdf, trust_roots):
    reports = run(tmp_path, pki.sign(plain_pdf, pki.person), trust_roots)
    assert document_findings(reports) == ["missing_agency_signature"]


def test_document_timestamp_only(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN a PDF with only a document timestamp (no signature) THEN one VALID document_timestamp."""
    r = only(run(tmp_path, pki.doc_timestamp(plain_pdf), trust_roots))
    assert (r.kind, r.status, r.reason, r.timestamped) == ("document_timestamp", Status.VALID, None, True)
    assert r.signer == "Luutru Test TSA"


def test_encrypted_signed_pdf(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN a PDF encrypted with an empty user password (permissions only), then signed THEN VALID."""
    from pyhanko.pdf_utils.crypt import StandardSecurityHandler
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    w = copy_into_new_writer(PdfFileReader(io.BytesIO(plain_pdf)))
    w.security_handler = StandardSecurityHandler.build_from_pw("chu-so-huu", "")
    w._assign_security_handler(w.security_handler) if hasattr(w, "_assign_security_handler") else None
    buf = io.BytesIO()
    w.write(buf)
    signed = pki.sign(buf.getvalue(), pki.person, encrypt_password="")
    r = only(run(tmp_path, signed, trust_roots))
    assert (r.status, r.reason, r.intact) == (Status.VALID, None, True)


def test_validation_after_certificate_expiry_uses_embedded_evidence(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN a timestamped signature with embedded revocation data WHEN validated two years later,
    after the signer's certificate expired THEN still VALID (point-in-time at the signing time)."""
    signed = pki.sign(plain_pdf, pki.person)
    later = pki.now + 2 * YEAR
    assert pki.person.cert.not_valid_after_utc < later
    r = only(run(tmp_path, signed, trust_roots, at=later))
    assert (r.status, r.reason, r.timestamped) == (Status.VALID, None, True)


def test_unsigned_pdf_has_no_reports(tmp_path, plain_pdf, trust_roots):
    assert run(tmp_path, plain_pdf, trust_roots) == []


# --- changes after signing, one per modification level ----------------------------------------

def test_dss_added_after_signing_is_lta_update(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN revocation data added in a DSS revision after signing THEN VALID, modification lta_updates."""
    signed = pki.add_dss(pki.sign(plain_pdf, pki.person, embed_revinfo=False), crls=[pki.crl_der, pki.root_crl_der])
    r = only(run(tmp_path, signed, trust_roots))
    assert (r.status, r.reason, r.modification_level, r.coverage) == (Status.VALID, None, "lta_updates",
                                                                      "entire_revision")


def test_form_filled_after_signing(tmp_path, pki, form_pdf, trust_roots, edits):
    """GIVEN a form field filled in after signing (allowed by the default DocMDP) THEN VALID, form_filling."""
    r = only(run(tmp_path, edits.fill_form(pki.sign(form_pdf, pki.person)), trust_roots))
    assert (r.status, r.reason, r.modification_level) == (Status.VALID, None, "form_filling")
    assert "form_filling_after_signing" in r.findings


def test_form_filled_after_certification_that_forbids_changes(tmp_path, pki, form_pdf, trust_roots, edits):
    """GIVEN a certification signature with DocMDP "no changes" and a form filled later
    THEN INVALID / modification_not_permitted."""
    from pyhanko.sign.fields import MDPPerm

    signed = pki.sign(form_pdf, pki.agency, certify=True, docmdp=MDPPerm.NO_CHANGES)
    r = only(run(tmp_path, edits.fill_form(signed), trust_roots))
    assert (r.status, r.reason, r.modification_level, r.modifications_permitted) == (
        Status.INVALID, "modification_not_permitted", "form_filling", False)


def test_annotation_added_after_signing(tmp_path, pki, plain_pdf, trust_roots, edits):
    """GIVEN a comment added after an approval signature (no DocMDP restriction) THEN VALID, with the
    modification classified as "annotations" and reported as a finding."""
    r = only(run(tmp_path, edits.add_annotation(pki.sign(plain_pdf, pki.person)), trust_roots))
    assert (r.status, r.reason, r.modification_level) == (Status.VALID, None, "annotations")
    assert "annotations_after_signing" in r.findings


def test_annotation_after_certification_that_forbids_it(tmp_path, pki, plain_pdf, trust_roots, edits):
    """GIVEN a certification signature allowing form filling only, then a comment THEN INVALID."""
    from pyhanko.sign.fields import MDPPerm

    signed = pki.sign(plain_pdf, pki.agency, certify=True, docmdp=MDPPerm.FILL_FORMS)
    r = only(run(tmp_path, edits.add_annotation(signed), trust_roots))
    assert (r.status, r.reason, r.modification_level) == (Status.INVALID, "modification_not_permitted", "annotations")


def test_annotation_and_content_change_is_still_not_allowed(tmp_path, pki, plain_pdf, trust_roots, edits):
    """GIVEN a comment and a content change in later updates THEN the content change wins: INVALID."""
    signed = edits.replace_content(edits.add_annotation(pki.sign(plain_pdf, pki.person)))
    r = only(run(tmp_path, signed, trust_roots))
    assert (r.status, r.reason, r.modification_level) == (Status.INVALID, "modified_after_signing", "not_allowed")


def test_content_replaced_after_signing(tmp_path, pki, plain_pdf, trust_roots, edits):
    """GIVEN the page content replaced in an incremental update THEN INVALID / modified_after_signing,
    although the signed revision itself is intact."""
    r = only(run(tmp_path, edits.replace_content(pki.sign(plain_pdf, pki.person)), trust_roots))
    assert (r.status, r.reason, r.modification_level, r.intact) == (Status.INVALID, "modified_after_signing",
                                                                    "not_allowed", True)


# --- malformed signatures: reported, never raised ------------------------------------------------

def _replace_same_length(data: bytes, pattern: bytes, make) -> bytes:
    import re

    m = re.search(pattern, data)
    assert m, pattern
    new = make(m)
    assert len(new) <= len(m.group(0))
    return data[:m.start()] + new.ljust(len(m.group(0)), b" ") + data[m.end():]


def test_garbage_contents_is_a_format_failure(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN /Contents that is not a CMS structure THEN INVALID / cms_malformed (ETSI TOTAL-FAILED /
    FORMAT_FAILURE), no exception."""
    signed = _replace_same_length(pki.sign(plain_pdf, pki.person), rb"/Contents <([0-9a-fA-F]+)>",
                                  lambda m: b"/Contents <" + b"ab" * (len(m.group(1)) // 2) + b">")
    r = only(run(tmp_path, signed, trust_roots))
    assert (r.status, r.reason, r.sub_indication) == (Status.INVALID, "cms_malformed", "FORMAT_FAILURE")
    assert r.field == "Signature1" and r.detail


def test_byte_range_not_covering_the_file(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN a /ByteRange shortened by ten bytes (the signature not redone) THEN INVALID /
    byte_range_invalid: the range no longer reaches the end of the revision, and intact is false."""
    def shorten(m):
        a, b, c, d = (int(x) for x in m.group(1).split())
        return b"/ByteRange [%d %d %d %d]" % (a, b, c, d - 10)

    signed = _replace_same_length(pki.sign(plain_pdf, pki.person), rb"/ByteRange \[([0-9 ]+?)\s*\]", shorten)
    r = only(run(tmp_path, signed, trust_roots))
    assert (r.status, r.reason, r.intact) == (Status.INVALID, "byte_range_invalid", False)


def test_unknown_subfilter_is_indeterminate(tmp_path, pki, plain_pdf, trust_roots):
    signed = _replace_same_length(pki.sign(plain_pdf, pki.person), rb"/SubFilter /adbe.pkcs7.detached",
                                  lambda m: b"/SubFilter /x.unknown.format")
    r = only(run(tmp_path, signed, trust_roots))
    assert (r.status, r.reason) == (Status.INDETERMINATE, "unsupported_structure")
    assert "x.unknown.format" in r.detail


def test_signature_dictionary_without_contents(tmp_path, plain_pdf, trust_roots):
    """GIVEN a signature field whose /V has no /Contents and a one-element /ByteRange THEN INVALID /
    signature_dictionary_malformed."""
    import io as _io

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    w = IncrementalPdfFileWriter(_io.BytesIO(plain_pdf))
    fields.append_signature_field(w, fields.SigFieldSpec("Hong"))
    for ref in w.root["/AcroForm"]["/Fields"]:
        f = ref.get_object()
        if f.get("/T") == "Hong":
            f["/V"] = w.add_object(generic.DictionaryObject({
                generic.NameObject("/Type"): generic.NameObject("/Sig"),
                generic.NameObject("/Filter"): generic.NameObject("/Adobe.PPKLite"),
                generic.NameObject("/SubFilter"): generic.NameObject("/adbe.pkcs7.detached"),
                generic.NameObject("/ByteRange"): generic.ArrayObject([generic.NumberObject(0)])}))
            w.update_container(f)
    buf = _io.BytesIO()
    w.write(buf)
    r = only(run(tmp_path, buf.getvalue(), trust_roots))
    assert (r.field, r.status, r.reason) == ("Hong", Status.INVALID, "signature_dictionary_malformed")


def test_truncated_signed_file(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN a signed file cut just after its signature dictionary THEN one INDETERMINATE report:
    the PDF structure cannot be read."""
    signed = pki.sign(plain_pdf, pki.person)
    reports = run(tmp_path, signed[: signed.index(b"/ByteRange") + 300], trust_roots)
    assert [(r.status, r.reason) for r in reports] == [(Status.INDETERMINATE, "pdf_unreadable")]


def test_one_bad_signature_does_not_hide_the_others(tmp_path, pki, plain_pdf, trust_roots):
    """GIVEN a good person signature followed by an agency signature with garbage /Contents
    THEN the first is still judged on its own merits."""
    signed = pki.sign(plain_pdf, pki.person, field_name="NguoiKy")
    signed = pki.sign(signed, pki.agency, field_name="CoQuan")
    head, sep, tail = signed.rpartition(b"/Contents <")
    end = tail.index(b">")
    broken = head + sep + b"ab" * (end // 2) + tail[end:]
    reports = run(tmp_path, broken, trust_roots)
    assert [(r.field, r.status, r.reason) for r in reports] == [
        ("NguoiKy", Status.VALID, None), ("CoQuan", Status.INVALID, "cms_malformed")]


def test_a_large_signed_pdf_is_validated_without_reading_it_into_memory(tmp_path, pki, trust_roots):
    """GIVEN a 200 MB PDF (a scanned annex) signed by a trusted person WHEN it is validated in a
    fresh process THEN the signature is VALID (its digest covers all 200 MB) and the process's peak
    memory grew by far less than the file's size: pyHanko reads the file as a stream."""
    import os
    import subprocess
    import sys

    from pypdf import PdfWriter
    from pypdf.generic import StreamObject

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    annex = StreamObject()
    annex._data = os.urandom(1 << 20) * 200
    writer._add_object(annex)
    buf = io.BytesIO()
    writer.write(buf)
    del annex, writer
    path = tmp_path / "phu-luc-ban-do.pdf"
    path.write_bytes(pki.sign(buf.getvalue(), pki.person, timestamp=False))
    del buf
    # VmHWM (not ru_maxrss, which keeps the forking pytest process's peak across exec)
    probe = ("import re, sys\n"
             "hwm = lambda: int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
             "from ingest.signatures import validate_pdf, load_trust_roots\n"
             "roots = load_trust_roots(sys.argv[2])\n"
             "before = hwm()\n"
             "reports = validate_pdf(sys.argv[1], roots)\n"
             "print(reports[0].status.value, reports[0].intact, (hwm() - before) // 1024)\n")
    out = subprocess.run([sys.executable, "-c", probe, str(path), str(pki.trust_dir)], capture_output=True,
                         text=True, timeout=300, check=True).stdout.split()
    assert path.stat().st_size > 200 * 2**20
    assert out[:2] == ["VALID", "True"], out
    assert int(out[2]) < 50, f"validation grew the process by {out[2]} MB"

"""Validate every signature and document timestamp of a PDF (requirements-vn.md §8.6).

``validate_pdf(path, trust_roots)`` reads the file, never changes it, and returns one
``SignatureReport`` per filled signature field, in signing order. It never raises for a bad or odd
file: pyHanko has crash paths on real-world PDFs, so each signature is validated on its own and any
failure becomes ``INDETERMINATE`` / ``validation_error`` with the error text.

How each check is made (pyHanko does the cryptography; this module decides what it means):

1. **integrity** — pyHanko recomputes the digest over the ``/ByteRange`` (``intact``) and checks
   that the range covers the whole revision but the ``/Contents`` hole (``coverage``); updates
   appended later are classified by pyHanko's difference analysis
   (``none`` / ``lta_updates`` / ``form_filling`` / ``annotations`` / ``other``), with an added
   rule for annotations (``ingest.signatures.annotations``); ``other`` is ``INVALID``, and any
   level above what a certification signature's DocMDP permits is ``INVALID`` too;
2. **cryptographic validity** — the CMS signature verifies with the signer certificate's key;
3. **time** — the signature timestamp token (RFC 3161) when present and valid proves the signing
   time; otherwise the signer's claimed time is used and marked unproven (``timestamped: false``);
4. **chain, validity at signing time, revocation** — a point-in-time validation *at the signing
   time* against the configured trust anchors only, using the certificates and CRL/OCSP responses
   embedded in the file (the DSS and the CMS revocation attribute). Revocation data published
   after the signing time is accepted (``retroactive_revinfo``): a CRL from next week proves the
   certificate was not revoked today. A certificate that declares a CRL or OCSP location must have
   usable revocation data, else the result is ``INDETERMINATE`` / ``revocation_unknown``. Nothing
   is fetched unless ``allow_online`` (off by default: the archive validates from its evidence);
5. **key usage** (digitalSignature or nonRepudiation) and **algorithms** (pyHanko's weak-algorithm
   policy: no MD5, no SHA-1 signatures);
6. **role** — person or organisation (``ingest.signatures.roles``).

Because the chain is validated at the signing time from embedded evidence, the same verdict comes
back years later, after the signer's certificate has expired (``luutru verify``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import cms, crl, ocsp, x509

from ingest.signatures.annotations import ARCHIVE_DIFF_POLICY
from ingest.signatures.report import SignatureReport, Status
from ingest.signatures.roles import signer_type, subject_fields

log = logging.getLogger(__name__)

MODIFICATION_NAMES = {"NONE": "none", "LTA_UPDATES": "lta_updates", "FORM_FILLING": "form_filling",
                      "ANNOTATIONS": "annotations", "OTHER": "other"}
SIGNING_KEY_USAGES = {"digital_signature", "non_repudiation"}


@dataclass
class _Evidence:
    """What the file itself carries for validation: certificates and revocation data."""

    certs: list[x509.Certificate]
    crls: list[crl.CertificateList]
    ocsps: list[ocsp.OCSPResponse]


def validate_pdf(path: Path | str, trust_roots: Sequence[x509.Certificate], *, allow_online: bool = False,
                 at: datetime | None = None, password: str | bytes | None = None) -> list[SignatureReport]:
    """One report per signature and document timestamp, in signing order. Never raises.

    ``at`` is the validation time (now by default): it is used when a signature carries no time at
    all, and recorded in each report. ``password`` opens an encrypted PDF (the empty user password
    is always tried).
    """
    at = at or datetime.now(UTC)
    try:
        stream = open(path, "rb")
    except OSError as exc:
        return [_failed("(file)", f"read: {exc}", at)]
    with stream:
        try:
            signed = _contains(stream, b"/ByteRange")
        except OSError as exc:
            return [_failed("(file)", f"read: {exc}", at)]
        if not signed:
            return []  # no signature dictionary anywhere: nothing to do, and no parse cost
        try:
            stream.seek(0)
            return asyncio.run(_validate_stream(stream, list(trust_roots), allow_online, at, password))
        except Exception as exc:  # the PDF could not even be opened by pyHanko
            log.warning("signature validation of %s failed: %s", path, exc, exc_info=True)
            return [_failed("(document)", f"{type(exc).__name__}: {exc}", at)]


def _contains(stream, needle: bytes, chunk: int = 1 << 20) -> bool:
    """Whether the file holds ``needle``, read a chunk at a time (a 1 GiB PDF is never in memory)."""
    tail = b""
    while block := stream.read(chunk):
        if needle in tail + block[:len(needle)] or needle in block:
            return True
        tail = block[-(len(needle) - 1):]
    return False


def _failed(field: str, detail: str, at: datetime) -> SignatureReport:
    r = SignatureReport(field=field, validated_at=at.isoformat())
    r.set(Status.INDETERMINATE, "validation_error", detail)
    return r


async def _validate_stream(stream, roots: list, allow_online: bool, at: datetime,
                           password) -> list[SignatureReport]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

    reader = PdfFileReader(stream, strict=False)
    if reader.encrypted:
        opened = False
        for pw in ([password] if password else []) + [b""]:
            try:
                result = reader.decrypt(pw.encode() if isinstance(pw, str) else pw)
                opened = result.status.name != "FAILED"
            except Exception:  # noqa: BLE001
                opened = False
            if opened:
                break
        if not opened:
            return [_failed("(document)", "encrypted PDF: no password to open it", at)]
    evidence = _dss_evidence(reader)
    ordered: list[tuple[int, int, str, object]] = []  # (revision, position, field, embedded or failed report)
    for pos, (fq_name, sig_obj, sig_field) in enumerate(enumerate_sig_fields(reader, filled_status=True)):
        try:
            revision = reader.xrefs.get_last_change(sig_obj.reference)
        except Exception:  # noqa: BLE001 - a direct /V dictionary: order by field position
            revision = 1 << 30
        try:
            ordered.append((revision, pos, fq_name, EmbeddedPdfSignature(reader, sig_field, fq_name)))
        except Exception as exc:  # noqa: BLE001 - malformed /V dictionary, broken CMS, …
            ordered.append((revision, pos, fq_name, _failed(fq_name, f"{type(exc).__name__}: {exc}", at)))
    ordered.sort(key=lambda t: (t[0], t[1]))
    reports = []
    for _, _, fq_name, emb in ordered:
        if isinstance(emb, SignatureReport):
            reports.append(emb)
            continue
        try:
            reports.append(await _validate_one(emb, roots, evidence, allow_online, at))
        except Exception as exc:  # one bad signature never hides the others
            log.warning("signature %s: validation failed: %s", fq_name, exc, exc_info=True)
            reports.append(_failed(fq_name, f"{type(exc).__name__}: {exc}", at))
    return reports


def _dss_evidence(reader) -> _Evidence:
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except Exception:  # noqa: BLE001 - NoDSSFoundError, or a broken DSS: validate without it
        return _Evidence([], [], [])
    certs, crls, ocsps = [], [], []
    try:
        certs = list(dss.load_certs())
    except Exception:  # noqa: BLE001
        log.warning("DSS: unreadable certificates skipped")
    from pyhanko.pdf_utils.decode_limits import DecodePurpose

    for ref in dss.crls:
        try:
            crls.append(crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL)))
        except Exception:  # noqa: BLE001
            log.warning("DSS: unreadable CRL skipped")
    for ref in dss.ocsps:
        try:
            ocsps.append(ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE)))
        except Exception:  # noqa: BLE001
            log.warning("DSS: unreadable OCSP response skipped")
    return _Evidence(certs, crls, ocsps)


def _cms_revinfo(signer_info: cms.SignerInfo) -> tuple[list, list]:
    """CRLs and OCSP responses in Adobe's revocation-info-archival signed attribute."""
    crls, ocsps = [], []
    for attr in signer_info["signed_attrs"] or []:
        if attr["type"].native == "adobe_revocation_info_archival":
            for value in attr["values"]:
                crls.extend(value["crl"] or [])
                ocsps.extend(value["ocsp"] or [])
    return crls, ocsps


def _tst(signer_info: cms.SignerInfo) -> cms.ContentInfo | None:
    for attr in signer_info["unsigned_attrs"] or []:
        if attr["type"].native == "signature_time_stamp_token":
            return attr["values"][0]
    return None


def _tst_time(token: cms.ContentInfo) -> datetime:
    return token["content"]["encap_content_info"]["content"].parsed["gen_time"].native


def _token_certs(token: cms.ContentInfo) -> list[x509.Certificate]:
    return [c.chosen for c in token["content"]["certificates"] or [] if c.name == "certificate"]


def _policy():
    from pyhanko_certvalidator.policy_decl import (
        CertRevTrustPolicy,
        RevocationCheckingPolicy,
        RevocationCheckingRule,
    )

    rule = RevocationCheckingRule.CHECK_IF_DECLARED
    return CertRevTrustPolicy(RevocationCheckingPolicy(ee_certificate_rule=rule, intermediate_ca_cert_rule=rule),
                              retroactive_revinfo=True)


def _context(roots, evidence: _Evidence, moment: datetime, allow_online: bool):
    from pyhanko_certvalidator import ValidationContext

    kwargs = dict(trust_roots=roots, other_certs=evidence.certs, crls=evidence.crls, ocsps=evidence.ocsps,
                  revinfo_policy=_policy(), allow_fetching=allow_online)
    try:
        return ValidationContext(moment=moment, best_signature_time=moment, **kwargs)
    except ValueError:
        # certvalidator refuses fetching together with a historical moment: fetch for "now"
        return ValidationContext(**kwargs)


def _cert_info(cert: x509.Certificate) -> dict:
    return {"subject": cert.subject.human_friendly, "issuer": cert.issuer.human_friendly,
            "serial": format(cert.serial_number, "x"), "not_before": cert.not_valid_before.isoformat(),
            "not_after": cert.not_valid_after.isoformat(), "sha256": cert.sha256.hex()}


def _fill_signer(r: SignatureReport, cert: x509.Certificate) -> None:
    r.signer, r.organisation = subject_fields(cert)
    r.issuer = cert.issuer.human_friendly
    r.certificate = _cert_info(cert)
    try:
        r.key_usage = sorted(cert.key_usage_value.native) if cert.key_usage_value else []
    except Exception:  # noqa: BLE001
        r.key_usage = []
    pk = cert.public_key
    r.algorithms["key"] = f"{pk.algorithm.upper()} {pk.bit_size}"


async def _validate_one(emb, roots, doc_evidence: _Evidence, allow_online: bool, at: datetime) -> SignatureReport:
    from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature, async_validate_pdf_timestamp
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    r = SignatureReport(field=emb.field_name, validated_at=at.isoformat())
    kind = emb.sig_object_type
    cert = emb.signer_cert
    _fill_signer(r, cert)
    sig_crls, sig_ocsps = _cms_revinfo(emb.signer_info)
    evidence = _Evidence(doc_evidence.certs + list(emb.other_embedded_certs), doc_evidence.crls + sig_crls,
                         doc_evidence.ocsps + sig_ocsps)
    r.revocation = {"embedded_crls": len(evidence.crls), "embedded_ocsp": len(evidence.ocsps),
                    "sources": [s for s, n in (("dss", len(doc_evidence.crls) + len(doc_evidence.ocsps)),
                                               ("cms", len(sig_crls) + len(sig_ocsps))) if n],
                    "online": allow_online}

    if kind == "/DocTimeStamp":
        r.kind = "document_timestamp"
        r.signer_type = "organisation"
        gen_time = emb.signed_data["encap_content_info"]["content"].parsed["gen_time"].native
        vc = _context(roots, evidence, gen_time, allow_online)
        status = await async_validate_pdf_timestamp(emb, validation_context=vc, diff_policy=ARCHIVE_DIFF_POLICY)
        r.signing_time, r.signing_time_source, r.timestamped = gen_time.isoformat(), "timestamp", True
        r.timestamp = {"time": gen_time.isoformat(), "tsa": cert.subject.human_friendly}
        return _judge(r, status, signature=False)
    if kind != "/Sig":
        r.set(Status.INDETERMINATE, "unsupported_signature", f"signature type {kind}")
        return r

    r.signer_type = signer_type(cert)
    try:
        r.docmdp = emb.docmdp_level.name if emb.docmdp_level is not None else None
    except Exception:  # noqa: BLE001 - a broken /Reference array only loses this detail
        r.docmdp = None
    token = _tst(emb.signer_info)
    claimed = emb.self_reported_timestamp
    tst_time = None
    if token is not None:
        try:
            tst_time = _tst_time(token)
            evidence.certs.extend(_token_certs(token))
        except Exception as exc:  # noqa: BLE001
            r.findings.append(f"unreadable_timestamp: {exc}")
    moment = tst_time or (min(claimed, at) if claimed else at)
    vc = _context(roots, evidence, moment, allow_online)
    status = await async_validate_pdf_signature(
        emb, signer_validation_context=vc, ts_validation_context=vc, diff_policy=ARCHIVE_DIFF_POLICY,
        key_usage_settings=KeyUsageConstraints(key_usage=SIGNING_KEY_USAGES, match_all_key_usages=False))
    r.algorithms.update(digest=status.md_algorithm, signature=status.pkcs7_signature_mechanism)

    tsv = status.timestamp_validity
    if tsv is not None:
        r.timestamp = {"time": tsv.timestamp.isoformat(), "tsa": tsv.signing_cert.subject.human_friendly,
                       "intact": tsv.intact, "valid": tsv.valid, "trusted": tsv.trusted}
    if tsv is not None and tsv.intact and tsv.valid and tsv.trusted:
        r.signing_time, r.signing_time_source, r.timestamped = tsv.timestamp.isoformat(), "timestamp", True
    elif claimed is not None:
        r.signing_time, r.signing_time_source = claimed.isoformat(), "claimed"
        if tsv is not None:
            r.findings.append("timestamp_untrusted")
    judged = _judge(r, status, signature=True)
    if tsv is not None and not (tsv.intact and tsv.valid) and judged.status in (Status.VALID, Status.VALID_UNTRUSTED):
        judged.set(Status.INVALID, "timestamp_invalid")
    if judged.reason == "chain_error":
        await _diagnose_chain(judged, cert, vc)
    return judged


def _judge(r: SignatureReport, status, *, signature: bool) -> SignatureReport:
    """Turn pyHanko's status into ours; the first failed check in §8.6 order gives the reason."""
    from pyhanko.sign.ades.report import AdESIndeterminate
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    r.intact, r.valid = bool(status.intact), bool(status.valid)
    r.coverage = status.coverage.name.lower() if status.coverage is not None else None
    level = status.modification_level
    r.modification = MODIFICATION_NAMES.get(level.name, level.name.lower()) if level is not None else None
    annotations_only = r.modification == "other" and _only_new_annotations(status.diff_result)
    if annotations_only:
        r.modification = "annotations"
    if r.modification not in (None, "none"):
        r.findings.append(f"{r.modification}_after_signing")
    path = status.validation_path
    if path is not None:
        r.chain = [c.subject.human_friendly for c in path.iter_certs(include_root=True)] \
            if hasattr(path, "iter_certs") else []
        r.trust_anchor = path.trust_anchor.authority.name.human_friendly if hasattr(path, "trust_anchor") else None
    indic = status.trust_problem_indic
    if status.revocation_details is not None:
        r.revocation.update(status="revoked", revoked_at=status.revocation_details.revocation_date.isoformat(),
                            revocation_reason=str(status.revocation_details.revocation_reason.native))
    if not status.intact:
        r.set(Status.INVALID, "digest_mismatch")
    elif not status.valid:
        r.set(Status.INVALID, "signature_invalid")
    elif status.coverage is None or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        r.set(Status.INVALID, "byte_range_invalid", f"coverage {r.coverage}")
    elif annotations_only:
        # pyHanko's default policy has no annotation rule: it vetoes the first unexplained
        # annotation, so the rest of the revision was not cleared. Allowed by the signer's DocMDP
        # (none, or level 3) -> we cannot say more than "not verified"; forbidden -> invalid.
        if r.docmdp in ("NO_CHANGES", "FILL_FORMS"):
            r.set(Status.INVALID, "modification_not_permitted", f"annotations after signing, DocMDP {r.docmdp}")
        else:
            r.set(Status.INDETERMINATE, "annotations_unverified", str(status.diff_result))
    elif status.docmdp_ok is False and r.modification == "other":
        detail = str(status.diff_result) if status.diff_result is not None else None
        r.set(Status.INVALID, "modified_after_signing", detail)
    elif status.docmdp_ok is False:
        r.set(Status.INVALID, "modification_not_permitted", f"{r.modification} after signing")
    elif indic is None and path is not None:
        r.trusted = True
        r.set(Status.VALID, None)
        r.revocation.setdefault("status", "good" if r.revocation["embedded_crls"] or r.revocation["embedded_ocsp"]
                                or r.revocation["online"] else "not_declared")
    elif indic == AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        r.set(Status.VALID_UNTRUSTED, "no_trust_path")
    elif indic == AdESIndeterminate.REVOKED_NO_POE:
        r.set(Status.INVALID, "revoked", _revocation_detail(status))
    elif indic == AdESIndeterminate.REVOKED_CA_NO_POE:
        r.set(Status.INVALID, "ca_revoked", _revocation_detail(status))
    elif indic == AdESIndeterminate.OUT_OF_BOUNDS_NO_POE:
        r.set(Status.INVALID, "expired_at_signing",
              f"not after {r.certificate.get('not_after')}, signing time {r.signing_time}")
    elif indic == AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE:
        r.set(Status.INVALID, "key_usage", f"key usage {r.key_usage}")
    elif indic in (AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE, AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE):
        r.set(Status.INVALID, "weak_algorithm", f"{r.algorithms}")
    elif indic == AdESIndeterminate.TRY_LATER:
        r.set(Status.INDETERMINATE, "revocation_unknown", "revocation data too old or missing")
        r.revocation["status"] = "unknown"
    else:
        r.set(Status.INDETERMINATE, "chain_error", indic.name if indic is not None else "no validation path")
    return r


def _only_new_annotations(diff_result) -> bool:
    """True when pyHanko's veto is about annotations added to pages and nothing else it saw."""
    from pyhanko.sign.diff_analysis import SuspiciousModification

    if not isinstance(diff_result, SuspiciousModification):
        return False
    text = str(diff_result)
    return "newly added annotations" in text and "were not recognised" in text


def _revocation_detail(status) -> str:
    d = status.revocation_details
    return f"revoked at {d.revocation_date.isoformat()} ({d.revocation_reason.native})"


async def _diagnose_chain(r: SignatureReport, cert: x509.Certificate, vc) -> None:
    """pyHanko folds several chain failures into one subindication; run the path validation again
    to tell missing revocation data from an expired CA or a not-yet-valid certificate."""
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import (
        ExpiredError,
        InsufficientRevinfoError,
        NotYetValidError,
        PathBuildingError,
    )

    try:
        await CertificateValidator(cert, validation_context=vc).async_validate_path()
    except InsufficientRevinfoError as exc:
        r.set(Status.INDETERMINATE, "revocation_unknown", exc.failure_msg if hasattr(exc, "failure_msg") else str(exc))
        r.revocation["status"] = "unknown"
    except NotYetValidError as exc:
        r.set(Status.INVALID, "not_yet_valid_at_signing", str(exc))
    except ExpiredError as exc:
        r.set(Status.INVALID, "expired_at_signing", str(exc))
    except PathBuildingError as exc:
        r.set(Status.VALID_UNTRUSTED, "no_trust_path", str(exc))
    except Exception as exc:  # noqa: BLE001
        r.detail = f"{r.detail}: {type(exc).__name__}: {exc}"

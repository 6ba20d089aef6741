"""Validate every signature and document timestamp of a PDF (requirements-vn.md §8.6).

``validate_pdf(path, trust_roots)`` reads the file, never changes it, and returns one
``SignatureReport`` per filled signature field, in signing order. It never raises for a bad or odd
file. A structure the standards define is read as they define it (``ingest.signatures.embedded``:
document timestamps typed ``/Sig`` or null, enveloping CMS, adbe.pkcs7.sha1, several SignerInfos,
plain-ECDSA, a signature dictionary redefined after signing); a structure that cannot be a valid
signature gets its own reason (``cms_malformed``, ``signature_dictionary_malformed``,
``unsupported_structure``, …). ``validation_error`` is left for a defect: an exception nobody
foresaw, reported with its text, never hiding the other signatures.

How each check is made (pyHanko does the cryptography; this module decides what it means), in
the order that gives the reason of a non-VALID report:

1. **format** — a well-formed ``/ByteRange`` that covers exactly the signed revision but the
   ``/Contents`` string (else ``byte_range_invalid``, not intact), exactly one SignerInfo (else
   ``multiple_signer_infos``);
2. **integrity** — the digest over the byte range equals the signed one (for an enveloping CMS:
   its content binds the byte range): ``intact``, else ``digest_mismatch``; the CMS signature
   verifies with the signer certificate's key, else ``signature_invalid``;
3. **changes after signing** — the revisions appended after the signed one are classified by
   pyHanko's difference analysis with the archive's rules (``ingest.signatures.diff_policy``) into
   ``modification_level`` (none / lta_updates / form_filling / annotations / not_allowed), and
   ``modifications_permitted`` compares it with the signer's DocMDP permission: ``not_allowed`` is
   ``modified_after_signing``, a level above the permission ``modification_not_permitted``;
4. **time** — the signature timestamp token (RFC 3161) when present and valid proves the signing
   time; otherwise the signer's claimed time is used and marked unproven (``timestamped: false``);
5. **algorithms** — pyHanko's weak-algorithm policy (no MD5, no SHA-1), also for the digest that
   binds the document (adbe.pkcs7.sha1): ``weak_algorithm``, INDETERMINATE — the bytes are intact;
6. **chain, validity at signing time, revocation** — a point-in-time validation *at the signing
   time* against the configured trust anchors only, using the certificates and CRL/OCSP responses
   embedded in the file (the DSS — every readable entry, whether a /VRI names it or not — and the
   CMS revocation attribute). Revocation data published after the signing time is accepted
   (``retroactive_revinfo``): a CRL from next week proves the certificate was not revoked today. A
   certificate that declares a CRL or OCSP location must have usable revocation data, else
   ``INDETERMINATE`` / ``revocation_unknown``. Nothing is fetched unless ``allow_online`` (off by
   default: the archive validates from its evidence);
7. **key usage** (digitalSignature or nonRepudiation) and **role** — person or organisation
   (``ingest.signatures.roles``).

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
from typing import Any

from asn1crypto import cms, crl, ocsp, x509

from ingest.signatures import speedups
from ingest.signatures.diff_policy import ARCHIVE_DIFF_POLICY
from ingest.signatures.embedded import ArchiveSignature, PlainEcdsaValidator, StructureError, classify_failure
from ingest.signatures.report import SignatureReport, Status, modifications_permitted
from ingest.signatures.roles import signer_type, subject_fields

log = logging.getLogger(__name__)
speedups.install()

MODIFICATION_NAMES = {"NONE": "none", "LTA_UPDATES": "lta_updates", "FORM_FILLING": "form_filling",
                      "ANNOTATIONS": "annotations", "OTHER": "not_allowed"}
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
        return [_failed("(file)", "pdf_unreadable", f"read: {exc}", at)]
    with stream:
        try:
            signed = _contains(stream, b"/ByteRange")
        except OSError as exc:
            return [_failed("(file)", "pdf_unreadable", f"read: {exc}", at)]
        if not signed:
            return []  # no signature dictionary anywhere: nothing to do, and no parse cost
        try:
            stream.seek(0)
            with speedups.document_memo():
                return asyncio.run(_validate_stream(stream, list(trust_roots), allow_online, at, password))
        except Exception as exc:  # the PDF could not even be opened by pyHanko
            log.warning("signature validation of %s failed: %s", path, exc, exc_info=True)
            return [_failed("(document)", "pdf_unreadable", f"{type(exc).__name__}: {exc}", at)]


def _contains(stream, needle: bytes, chunk: int = 1 << 20) -> bool:
    """Whether the file holds ``needle``, read a chunk at a time (a 1 GiB PDF is never in memory)."""
    tail = b""
    while block := stream.read(chunk):
        if needle in tail + block[:len(needle)] or needle in block:
            return True
        tail = block[-(len(needle) - 1):]
    return False


def _failed(field: str, reason: str, detail: str, at: datetime) -> SignatureReport:
    r = SignatureReport(field=field, validated_at=at.isoformat())
    status = Status.INVALID if reason in ("cms_malformed", "signature_dictionary_malformed") else Status.INDETERMINATE
    r.set(status, reason, detail)
    return r


async def _validate_stream(stream, roots: list, allow_online: bool, at: datetime,
                           password) -> list[SignatureReport]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

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
            return [_failed("(document)", "encrypted_no_password", "encrypted PDF: no password to open it", at)]
    evidence = _dss_evidence(reader)
    # (revision, position, field, signature or failed report)
    ordered: list[tuple[int, int, str, ArchiveSignature | SignatureReport]] = []
    for pos, (fq_name, _value, sig_field) in enumerate(enumerate_sig_fields(reader, filled_status=True)):
        try:
            found = ArchiveSignature(reader, sig_field, fq_name)
            ordered.append((found.signed_revision, pos, fq_name, found))
        except StructureError as exc:
            ordered.append((1 << 30, pos, fq_name, _failed(fq_name, exc.reason, exc.detail, at)))
        except Exception as exc:  # a defect: reported, never hiding the others
            log.warning("signature %s: unreadable: %s", fq_name, exc, exc_info=True)
            ordered.append((1 << 30, pos, fq_name, _failed(fq_name, "validation_error", f"{type(exc).__name__}: {exc}",
                                                           at)))
    ordered.sort(key=lambda t: (t[0], t[1]))
    reports = []
    for _, _, fq_name, sig in ordered:
        if isinstance(sig, SignatureReport):
            reports.append(sig)
            continue
        try:
            reports.append(await _validate_one(sig, roots, evidence, allow_online, at))
        except Exception as exc:  # one bad signature never hides the others
            reason = classify_failure(exc)
            log.warning("signature %s: validation failed (%s): %s", fq_name, reason, exc,
                        exc_info=reason == "validation_error")
            failed = _failed(fq_name, reason, f"{type(exc).__name__}: {exc}", at)
            failed.kind = sig.kind
            reports.append(failed)
    return reports


def _dss_evidence(reader) -> _Evidence:
    """Every certificate, CRL and OCSP response of the DSS that can be read: the top-level arrays
    and the /VRI dictionaries, whether or not a /VRI entry names them (ISO 32000-2 §12.8.4.3). An
    entry that is not what its array says is skipped, never the whole DSS."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.decode_limits import DecodePurpose

    try:
        dss = reader.root.get("/DSS")
        dss = dss.get_object() if dss is not None else None
    except Exception:  # noqa: BLE001 - a broken DSS reference: validate without it
        dss = None
    if not isinstance(dss, generic.DictionaryObject):
        return _Evidence([], [], [])
    sources: dict[str, list[Any]] = {"/Certs": [], "/CRLs": [], "/OCSPs": []}
    for key, entries in sources.items():
        entries.extend(_array_refs(dss, key))
    try:
        vri = dss.get("/VRI")
        vri = vri.get_object() if vri is not None else None
        for value in (vri.values() if isinstance(vri, generic.DictionaryObject) else []):
            value = value.get_object()
            if isinstance(value, generic.DictionaryObject):
                for vri_key, key in (("/Cert", "/Certs"), ("/CRL", "/CRLs"), ("/OCSP", "/OCSPs")):
                    sources[key].extend(_array_refs(value, vri_key))
    except Exception:  # noqa: BLE001
        log.warning("DSS: unreadable /VRI skipped")
    parsed: dict[str, list] = {}
    for key, loader, purpose, probe in (
            ("/Certs", x509.Certificate, DecodePurpose.CERTIFICATE, lambda c: c["tbs_certificate"]["subject"]),
            ("/CRLs", crl.CertificateList, DecodePurpose.CRL, lambda c: c["tbs_cert_list"]["issuer"]),
            ("/OCSPs", ocsp.OCSPResponse, DecodePurpose.OCSP_RESPONSE, lambda o: o["response_status"].native)):
        seen, out = set(), []
        for ref in sources[key]:
            try:
                data = ref.get_object().read_data(purpose)
                if data in seen:
                    continue
                obj = loader.load(data)
                probe(obj)  # the outer structure now: bytes that are not a CRL are skipped here, while a
                # CRL of a million entries is not parsed entry by entry before it is needed
                seen.add(data)
                out.append(obj)
            except Exception:  # noqa: BLE001
                log.warning("DSS: unreadable %s entry skipped", key[1:])
        parsed[key] = out
    return _Evidence(parsed["/Certs"], parsed["/CRLs"], parsed["/OCSPs"])


def _array_refs(dictionary, key: str) -> list:
    from pyhanko.pdf_utils import generic

    try:
        arr = dictionary.get(key)
        arr = arr.get_object() if arr is not None else None
    except Exception:  # noqa: BLE001
        return []
    return [x for x in arr if isinstance(x, generic.IndirectObject)] if isinstance(arr, generic.ArrayObject) else []


def _cms_revinfo(signer_info: cms.SignerInfo) -> tuple[list, list]:
    """CRLs and OCSP responses in Adobe's revocation-info-archival signed attribute."""
    crls: list[Any] = []
    ocsps: list[Any] = []
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
                  revinfo_policy=_policy(), allow_fetching=allow_online, signature_validator=PlainEcdsaValidator())
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


def _describe_structure(r: SignatureReport, sig: ArchiveSignature) -> None:
    """What the file says about the signature, before any verdict: format, declared reason, and
    deviations that change nothing it proves (findings)."""
    from pyhanko.pdf_utils import generic

    r.subfilter = sig.subfilter
    reason = sig.sig_object.get("/Reason")
    r.declared_reason = str(reason) if isinstance(reason, generic.TextStringObject | generic.ByteStringObject) \
        else None
    if sig.kind == "document_timestamp" and sig.declared_type != "/DocTimeStamp":
        r.findings.append("timestamp_type_nonstandard")
    if sig.encapsulated is not None and sig.subfilter != "/adbe.pkcs7.sha1":
        r.findings.append("enveloping_cms")
    if sig.redefined:
        r.findings.append("signature_dictionary_redefined")
    r.algorithms["document_digest"] = sig.external_md_algorithm


async def _validate_one(sig: ArchiveSignature, roots, doc_evidence: _Evidence, allow_online: bool,
                        at: datetime) -> SignatureReport:
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    from ingest.signatures.embedded import validate_signature, validate_timestamp

    r = SignatureReport(field=sig.field_name, kind=sig.kind, validated_at=at.isoformat())
    _describe_structure(r, sig)
    try:
        cert = sig.signer_cert
    except Exception as exc:  # noqa: BLE001 - pyHanko's CMSExtractionError and kin
        cert, missing = None, f"{type(exc).__name__}: {exc}"
    else:
        _fill_signer(r, cert)
    shape = sig.byte_range_shape_problem()
    if shape is not None:  # nothing to hash: the signature covers no well-defined bytes
        r.intact = False
        r.set(Status.INVALID, "byte_range_invalid", shape)
        return r
    if cert is None:
        r.set(Status.INDETERMINATE, "no_signing_certificate", missing)
        return r
    sig_crls, sig_ocsps = _cms_revinfo(sig.signer_info)
    evidence = _Evidence(doc_evidence.certs + list(sig.other_embedded_certs), doc_evidence.crls + sig_crls,
                         doc_evidence.ocsps + sig_ocsps)
    r.revocation = {"embedded_crls": len(evidence.crls), "embedded_ocsp": len(evidence.ocsps),
                    "sources": [s for s, n in (("dss", len(doc_evidence.crls) + len(doc_evidence.ocsps)),
                                               ("cms", len(sig_crls) + len(sig_ocsps))) if n],
                    "online": allow_online}

    if sig.kind == "document_timestamp":
        r.signer_type = "organisation"
        gen_time = sig.signed_data["encap_content_info"]["content"].parsed["gen_time"].native
        vc = _context(roots, evidence, gen_time, allow_online)
        ts_status = await validate_timestamp(sig, vc=vc, diff_policy=ARCHIVE_DIFF_POLICY)
        r.signing_time, r.signing_time_source, r.timestamped = gen_time.isoformat(), "timestamp", True
        r.timestamp = {"time": gen_time.isoformat(), "tsa": cert.subject.human_friendly}
        return _judge(r, sig, ts_status)

    r.signer_type = signer_type(cert)
    try:
        r.docmdp = sig.docmdp_level.name if sig.docmdp_level is not None else None
    except Exception:  # noqa: BLE001 - a broken /Reference array only loses this detail
        r.docmdp = None
    token = _tst(sig.signer_info)
    claimed = sig.self_reported_timestamp
    tst_time = None
    if token is not None:
        try:
            tst_time = _tst_time(token)
            evidence.certs.extend(_token_certs(token))
        except Exception as exc:  # noqa: BLE001
            r.findings.append(f"unreadable_timestamp: {exc}")
    moment = tst_time or (min(claimed, at) if claimed else at)
    vc = _context(roots, evidence, moment, allow_online)
    status = await validate_signature(
        sig, signer_vc=vc, ts_vc=vc, diff_policy=ARCHIVE_DIFF_POLICY,
        key_usage=KeyUsageConstraints(key_usage=SIGNING_KEY_USAGES, match_all_key_usages=False))
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
    judged = _judge(r, sig, status)
    if tsv is not None and not (tsv.intact and tsv.valid) and judged.status in (Status.VALID, Status.VALID_UNTRUSTED):
        judged.set(Status.INVALID, "timestamp_invalid")
    if judged.reason == "chain_error":
        await _diagnose_chain(judged, cert, vc)
    return judged


def _modification(r: SignatureReport, status, byte_range_ok: bool) -> bool:
    """Fill ``modification_level`` and ``modifications_permitted``; True when the only thing
    pyHanko's analysis vetoed are new annotations it could not clear (``annotations_unverified``)."""
    level = status.modification_level
    if not byte_range_ok or level is None:
        r.modification_level = None
        return False
    r.modification_level = MODIFICATION_NAMES.get(level.name, "not_allowed")
    annotations_only = r.modification_level == "not_allowed" and _only_new_annotations(status.diff_result)
    if annotations_only:
        r.modification_level = "annotations"
    r.modifications_permitted = modifications_permitted(r.modification_level, r.docmdp)
    if r.modification_level != "none":
        r.findings.append(f"{r.modification_level}_after_signing")
    return annotations_only


def _judge(r: SignatureReport, sig: ArchiveSignature, status) -> SignatureReport:
    """Turn pyHanko's status into ours; the first failed check in the module docstring's order
    gives the reason."""
    from pyhanko.sign.ades.report import AdESIndeterminate

    r.coverage = status.coverage.name.lower() if status.coverage is not None else None
    problem = sig.byte_range_problem()
    digest_ok = bool(status.intact)
    if sig.encapsulated is not None:
        digest_ok = digest_ok and sig.content_binds_byte_range()
    r.intact = problem is None and digest_ok
    r.valid = bool(status.valid)
    annotations_only = _modification(r, status, problem is None)
    path = getattr(status, "validation_path", None)
    if path is not None:
        r.chain = [c.subject.human_friendly for c in path.iter_certs(include_root=True)] \
            if hasattr(path, "iter_certs") else []
        r.trust_anchor = path.trust_anchor.authority.name.human_friendly if hasattr(path, "trust_anchor") else None
    indic = status.trust_problem_indic
    revocation = getattr(status, "revocation_details", None)
    if revocation is not None:
        r.revocation.update(status="revoked", revoked_at=revocation.revocation_date.isoformat(),
                            revocation_reason=str(revocation.revocation_reason.native))
    weak = indic in (AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE, AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE) \
        or sig.weak_document_digest
    proven = Status.INVALID if r.timestamped else Status.INDETERMINATE  # EN 319 102-1: failure needs a POE
    if problem is not None:
        r.set(Status.INVALID, "byte_range_invalid", problem)
    elif sig.signer_info_count > 1:
        r.set(Status.INVALID, "multiple_signer_infos",
              f"{sig.signer_info_count} SignerInfos; the first was validated (intact: {r.intact})")
    elif not digest_ok:
        r.set(Status.INVALID, "digest_mismatch")
    elif not status.valid:
        r.set(Status.INVALID, "signature_invalid")
    elif annotations_only and r.modifications_permitted is False:
        r.set(Status.INVALID, "modification_not_permitted", f"annotations after signing, DocMDP {r.docmdp}")
    elif annotations_only:
        # pyHanko's rules vetoed the first annotation our rule could not clear, so the rest of
        # the revision was not cleared: allowed by the DocMDP, but we cannot say more.
        r.set(Status.INDETERMINATE, "annotations_unverified", str(status.diff_result))
    elif r.modification_level == "not_allowed":
        r.set(Status.INVALID, "modified_after_signing",
              str(status.diff_result) if status.diff_result is not None else None)
    elif r.modifications_permitted is False:
        r.set(Status.INVALID, "modification_not_permitted", f"{r.modification_level} after signing, DocMDP {r.docmdp}")
    elif weak:
        r.set(Status.INDETERMINATE, "weak_algorithm", f"{r.algorithms}")
    elif indic is None and path is not None:
        r.trusted = True
        r.set(Status.VALID, None)
        r.revocation.setdefault("status", "good" if r.revocation["embedded_crls"] or r.revocation["embedded_ocsp"]
                                or r.revocation["online"] else "not_declared")
    elif indic == AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        r.set(Status.VALID_UNTRUSTED, "no_trust_path")
    elif indic == AdESIndeterminate.REVOKED_NO_POE:
        r.set(proven, "revoked", _revocation_detail(status))
    elif indic == AdESIndeterminate.REVOKED_CA_NO_POE:
        r.set(Status.INDETERMINATE, "ca_revoked", _revocation_detail(status))
    elif indic == AdESIndeterminate.OUT_OF_BOUNDS_NO_POE:
        r.set(proven, "expired_at_signing",
              f"not after {r.certificate.get('not_after')}, signing time {r.signing_time}")
    elif indic == AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE:
        r.set(Status.INDETERMINATE, "key_usage", f"key usage {r.key_usage}")
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

    proven = Status.INVALID if r.timestamped else Status.INDETERMINATE
    try:
        await CertificateValidator(cert, validation_context=vc).async_validate_path()
    except InsufficientRevinfoError as exc:
        r.set(Status.INDETERMINATE, "revocation_unknown", exc.failure_msg if hasattr(exc, "failure_msg") else str(exc))
        r.revocation["status"] = "unknown"
    except NotYetValidError as exc:
        r.set(proven, "not_yet_valid_at_signing", str(exc))
    except ExpiredError as exc:
        r.set(proven, "expired_at_signing", str(exc))
    except PathBuildingError as exc:
        r.set(Status.VALID_UNTRUSTED, "no_trust_path", str(exc))
    except Exception as exc:  # noqa: BLE001
        r.detail = f"{r.detail}: {type(exc).__name__}: {exc}"

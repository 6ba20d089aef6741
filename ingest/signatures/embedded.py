"""One signature field read as the standards define it, and validated with pyHanko's building blocks.

pyHanko's ``EmbeddedPdfSignature`` and its two entry points (``async_validate_pdf_signature``,
``async_validate_pdf_timestamp``) raise on structures that real signers produce and that the EU
reference validator reads, and in one place read too little. :class:`ArchiveSignature` extends
pyHanko's class where the standards say otherwise; :func:`validate_signature` and
:func:`validate_timestamp` run the same pyHanko steps in the same order as those entry points
(integrity and difference analysis, timing, CMS validation and trust, seed values), with our
structure rules in place of pyHanko's checks:

* **kind by /SubFilter** — ``ETSI.RFC3161`` is a document timestamp whatever ``/Type`` says
  (``/DocTimeStamp``, ``/Sig`` or ``null``: ISO 32000-1 §7.3.9 makes null the same as absent);
  the other supported encodings are ``adbe.pkcs7.detached``, ``ETSI.CAdES.detached``,
  ``PBAD.PAdES`` and ``adbe.pkcs7.sha1`` (ISO 32000-1 §12.8.3.3.1). Anything else is
  ``unsupported_structure``;
* **the signed revision comes from the /ByteRange** — the revision whose end the byte range
  reaches. pyHanko takes the last revision that wrote the signature dictionary, so a dictionary
  redefined later (another /Reason, same /Contents) made an intact signature look like a broken
  byte range. Here the dictionary is read *as signed*, and its redefinition is left to the
  difference analysis, where it is a disallowed change;
* **several SignerInfos** — the first one is validated (as the reference validator does) and the
  count is kept: PAdES allows exactly one, so the caller reports a format failure;
* **encapsulated content** (an enveloping CMS, and ``adbe.pkcs7.sha1`` whose content is the SHA-1
  of the byte range) — pyHanko refuses detached validation with content present. The CMS is
  validated over its own content, and the content must bind the byte range: equal to the covered
  bytes, or to their digest (:meth:`ArchiveSignature.content_binds_byte_range`);
* **plain-ECDSA** (BSI TR-03111: the value is r || s, OIDs 0.4.0.127.0.7.1.1.4.1.x) — verified by
  :class:`PlainEcdsaValidator` and judged by :class:`PlainEcdsaAlgorithmPolicy` as the DER
  ECDSA algorithm they encode;
* **the byte range must be exactly right** (:meth:`ArchiveSignature.byte_range_problem`): four
  integers from offset 0, the gap exactly the /Contents string (position, not only length, which
  is all pyHanko compares), within the file, the second range ending where the signed revision
  ends. ``intact`` is false otherwise, even when the digest over the declared ranges matches.

Errors that make a field unreadable are :class:`StructureError` with a reason code of
``ingest.signatures.report.REASONS``.
"""

from __future__ import annotations

import binascii
import os
import re

from asn1crypto import algos, cms, core
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.reader import process_data_at_eof
from pyhanko.sign.diff_analysis import SuspiciousModification
from pyhanko.sign.validation import generic_cms
from pyhanko.sign.validation.pdf_embedded import (
    EmbeddedPdfSignature,
    extract_contents,
    report_seed_value_validation,
)
from pyhanko.sign.validation.status import DocumentTimestampStatus, PdfSignatureStatus, SignatureCoverageLevel
from pyhanko.sign.validation.utils import DEFAULT_ALGORITHM_USAGE_POLICY, CMSAlgorithmUsagePolicy
from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator

TIMESTAMP_SUBFILTER = "/ETSI.RFC3161"
SIGNATURE_SUBFILTERS = frozenset({"/adbe.pkcs7.detached", "/ETSI.CAdES.detached", "/PBAD.PAdES", "/adbe.pkcs7.sha1"})
WEAK_DIGESTS = frozenset({"md2", "md5", "sha1"})

PLAIN_ECDSA = {"0.4.0.127.0.7.1.1.4.1.1": "sha1", "0.4.0.127.0.7.1.1.4.1.2": "sha224",
               "0.4.0.127.0.7.1.1.4.1.3": "sha256", "0.4.0.127.0.7.1.1.4.1.4": "sha384",
               "0.4.0.127.0.7.1.1.4.1.5": "sha512"}
"""BSI TR-03111 ecdsa-plain-* OIDs and their digest."""

_HEX_BODY = re.compile(rb"<[0-9a-fA-F]*>")


class StructureError(Exception):
    """The field cannot be read as a signature; ``reason`` is a code of ``report.REASONS``."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def classify_failure(exc: BaseException) -> str:
    """The reason code for an exception raised while validating one signature: a damaged CMS
    (pyHanko's FORMAT_FAILURE, or asn1crypto failing on a structure it parses lazily), a missing
    signer certificate, an unreadable PDF object; ``validation_error`` for anything else."""
    from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
    from pyhanko.sign.validation.errors import SignatureValidationError

    if isinstance(exc, StructureError):
        return exc.reason
    if isinstance(exc, SignatureValidationError):
        return {AdESFailure.FORMAT_FAILURE: "cms_malformed",
                AdESIndeterminate.NO_SIGNING_CERTIFICATE_FOUND: "no_signing_certificate"}.get(
            exc.ades_subindication, "validation_error")
    if isinstance(exc, misc.PdfReadError):
        return "pdf_unreadable"
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if isinstance(exc, ValueError | TypeError) and tb is not None and "asn1crypto" in tb.tb_frame.f_code.co_filename:
        return "cms_malformed"
    return "validation_error"


def der_algorithm(algorithm: algos.SignedDigestAlgorithm) -> algos.SignedDigestAlgorithm:
    """The DER-encoded ECDSA algorithm a plain-ECDSA OID stands for; any other unchanged."""
    digest = PLAIN_ECDSA.get(algorithm["algorithm"].dotted)
    return algos.SignedDigestAlgorithm({"algorithm": f"{digest}_ecdsa"}) if digest else algorithm


class PlainEcdsaValidator(DefaultSignatureValidator):
    """pyHanko's signature validator, also for plain-ECDSA values (r || s -> DER SEQUENCE)."""

    def validate_signature(self, signature, signed_data, public_key_info, signature_algorithm, context=None):
        if signature_algorithm["algorithm"].dotted in PLAIN_ECDSA:
            half, odd = divmod(len(signature), 2)
            if odd or not half:
                raise InvalidSignature("plain-ECDSA value of odd length")
            signature = encode_dss_signature(int.from_bytes(signature[:half], "big"),
                                             int.from_bytes(signature[half:], "big"))
            signature_algorithm = der_algorithm(signature_algorithm)
        kwargs = {} if context is None else {"context": context}
        super().validate_signature(signature, signed_data, public_key_info, signature_algorithm, **kwargs)


class PlainEcdsaAlgorithmPolicy(CMSAlgorithmUsagePolicy):
    """A CMS algorithm policy that judges plain-ECDSA as the DER ECDSA algorithm it encodes."""

    def __init__(self, policy: CMSAlgorithmUsagePolicy = DEFAULT_ALGORITHM_USAGE_POLICY):
        self.policy = policy

    def digest_algorithm_allowed(self, algo, moment):
        return self.policy.digest_algorithm_allowed(algo, moment)

    def signature_algorithm_allowed(self, algo, moment, public_key):
        return self.policy.signature_algorithm_allowed(der_algorithm(algo), moment, public_key)

    def digest_combination_allowed(self, signature_algo, message_digest_algo, moment):
        return self.policy.digest_combination_allowed(der_algorithm(signature_algo), message_digest_algo, moment)


def _byte_range_end(sig_object) -> int | None:
    try:
        br = sig_object.raw_get("/ByteRange")
        return int(br[2]) + int(br[3]) if len(br) == 4 else None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None


class ArchiveSignature(EmbeddedPdfSignature):
    """pyHanko's embedded signature, read by the rules in the module docstring.

    Attributes beyond pyHanko's: ``kind`` (``signature`` / ``document_timestamp``),
    ``subfilter``, ``declared_type`` (the /Type as written, None if absent or null),
    ``redefined`` (the dictionary was written again after the signed revision),
    ``signer_info_count``, ``encapsulated`` (the CMS content bytes, None when detached).
    """

    def __init__(self, reader, sig_field, fq_name: str):
        try:
            self._read(reader, sig_field, fq_name)
        except misc.PdfReadError as exc:  # the dictionary or its /Contents string cannot be parsed
            raise StructureError("signature_dictionary_malformed", f"{type(exc).__name__}: {exc}") from exc

    def _read(self, reader, sig_field, fq_name: str) -> None:
        self.reader = reader
        if isinstance(sig_field, generic.IndirectObject):
            sig_field = sig_field.get_object()
        self.sig_field = sig_field
        self.fq_name = fq_name
        try:
            value = sig_field.raw_get("/V")
            latest = value.get_object()
        except KeyError as exc:
            raise StructureError("signature_dictionary_malformed", "the field has no /V") from exc
        if not isinstance(latest, generic.DictionaryObject):
            raise StructureError("signature_dictionary_malformed", "/V is not a dictionary")
        self.sig_object, self.signed_revision, self.redefined = self._as_signed(value, latest)
        sig = self.sig_object
        self.subfilter = str(sig.get("/SubFilter")) if isinstance(sig.get("/SubFilter"), generic.NameObject) else None
        declared = sig.get("/Type")
        self.declared_type = str(declared) if isinstance(declared, generic.NameObject) else None
        if self.subfilter == TIMESTAMP_SUBFILTER:
            self.kind = "document_timestamp"
        elif self.subfilter in SIGNATURE_SUBFILTERS:
            self.kind = "signature"
        else:
            raise StructureError("unsupported_structure", f"SubFilter {self.subfilter or '(none)'}")
        try:
            self.byte_range = sig.raw_get("/ByteRange")
            self.pkcs7_content = extract_contents(sig)
        except (KeyError, misc.PdfReadError) as exc:
            raise StructureError("signature_dictionary_malformed", f"/ByteRange or /Contents: {exc}") from exc
        self._read_cms()
        self.coverage = None
        self.external_digests: dict[str, bytes] = {}
        self._docmdp = self._fieldmdp = None
        self._docmdp_queried = self._fieldmdp_queried = False
        self.tst_signature_digest = None
        self.diff_result = None
        self._integrity_checked = False

    def _read_cms(self) -> None:
        try:
            message = cms.ContentInfo.load(self.pkcs7_content)
            if message["content_type"].native != "signed_data":
                raise ValueError(f"content type {message['content_type'].native}")
            signed_data = message["content"]
            infos = list(signed_data["signer_infos"])
            if not infos:
                raise ValueError("no SignerInfo")
            eci = signed_data["encap_content_info"]
            content_type = eci["content_type"].native
            first = infos[0]
            self.md_algorithm = first["digest_algorithm"]["algorithm"].native.lower()
            if content_type == "tst_info":
                imprint = eci["content"].parsed["message_imprint"]
                self.external_md_algorithm = imprint["hash_algorithm"]["algorithm"].native
                self.encapsulated = None
            elif content_type == "data":
                content = eci["content"]
                self.encapsulated = None if content is core.VOID or isinstance(content, core.Void) \
                    else bytes(content.native)
                self.external_md_algorithm = "sha1" if self.subfilter == "/adbe.pkcs7.sha1" else self.md_algorithm
            else:
                raise ValueError(f"encapsulated content type {content_type}")
        except Exception as exc:  # asn1crypto parses lazily and raises many types
            raise StructureError("cms_malformed", f"{type(exc).__name__}: {exc}") from exc
        self.signer_info_count = len(infos)
        if len(infos) > 1:  # pyHanko's steps want one SignerInfo: keep the first, as DSS does
            signed_data = signed_data.copy()
            signed_data["signer_infos"] = cms.SignerInfos([first])
        self.signed_data = signed_data
        self.signer_info = signed_data["signer_infos"][0]
        self._sd_cert_info = None

    def _as_signed(self, value, latest) -> tuple[generic.DictionaryObject, int, bool]:
        """The signature dictionary as of the revision its /ByteRange ends, that revision, and
        whether the dictionary was written again afterwards."""
        xrefs = self.reader.xrefs
        if not isinstance(value, generic.IndirectObject):
            return latest, xrefs.total_revisions - 1, False
        ref = value.reference
        last = xrefs.get_last_change(ref)
        if self._ends_revision(_byte_range_end(latest), last):
            return latest, last, False
        for revision in range(last - 1, xrefs.get_introducing_revision(ref) - 1, -1):
            if ref not in xrefs.explicit_refs_in_revision(revision):
                continue
            version = self.reader.get_historical_resolver(revision).get_object(ref)
            if isinstance(version, generic.DictionaryObject) and \
                    self._ends_revision(_byte_range_end(version), revision):
                return version, revision, True
        return latest, last, False

    def _ends_revision(self, end: int | None, revision: int) -> bool:
        """Whether ``end`` is the end of ``revision``: the %%EOF before it closes that revision's
        startxref (the test pyHanko's coverage check makes)."""
        if end is None or end <= 0:
            return False
        stream = self.reader.stream
        try:
            stream.seek(end)
            return process_data_at_eof(stream) == self.reader.xrefs.get_startxref_for_revision(revision)
        except (misc.PdfReadError, ValueError, OSError):
            return False

    def evaluate_modifications(self, diff_policy):
        """pyHanko's difference analysis; a later revision it cannot even read is a change it
        cannot explain, as its own unexplained changes are (``not_allowed``)."""
        try:
            return super().evaluate_modifications(diff_policy)
        except Exception as exc:  # noqa: BLE001 - damaged objects raise anything from the parser
            return SuspiciousModification(f"a revision after signing could not be read: {type(exc).__name__}: {exc}")

    @property
    def sig_object_type(self) -> generic.NameObject:
        """The effective type: ``/DocTimeStamp`` for an RFC 3161 SubFilter, else ``/Sig``."""
        return generic.NameObject("/DocTimeStamp" if self.kind == "document_timestamp" else "/Sig")

    def byte_range_problem(self) -> str | None:
        """None if the /ByteRange is well formed and covers the signed revision exactly; else
        what is wrong. Call after ``compute_integrity_info`` (it uses the coverage level)."""
        problem = self.byte_range_shape_problem()
        if problem is None and (self.coverage is None or self.coverage < SignatureCoverageLevel.ENTIRE_REVISION):
            return f"the ranges do not end where revision {self.signed_revision + 1} ends"
        return problem

    def byte_range_shape_problem(self) -> str | None:
        """The checks that need no digest: four integers from 0, no overlap, within the file,
        the gap exactly the /Contents string. pyHanko cannot even hash some malformed ranges (an
        odd count raises), so this runs first."""
        br = self.byte_range
        if not isinstance(br, generic.ArrayObject) or len(br) != 4 or \
                not all(isinstance(x, int) and not isinstance(x, bool) for x in br):
            return "the /ByteRange is not four integers"
        start1, len1, start2, len2 = (int(x) for x in br)
        if start1 != 0:
            return f"the first range starts at {start1}, not 0"
        if min(len1, start2, len2) < 0:
            return "negative offset or length"
        if start2 < len1:
            return "the ranges overlap"
        stream = self.reader.stream
        size = stream.seek(0, os.SEEK_END)
        if start2 + len2 > size:
            return f"the second range ends at {start2 + len2}, past the end of the file ({size})"
        hole = start2 - len1
        if hole != 2 * len(self.pkcs7_content) + 2:
            return f"the gap is {hole} bytes, the /Contents string {2 * len(self.pkcs7_content) + 2}"
        stream.seek(len1)
        gap = stream.read(hole)
        if not _HEX_BODY.fullmatch(gap) or binascii.unhexlify(gap[1:-1]) != self.pkcs7_content:
            return "the gap is not the /Contents string"
        return None

    def content_binds_byte_range(self) -> bool:
        """For an enveloping CMS: its content is the covered bytes, or their digest (with the
        byte-range digest algorithm: SHA-1 for adbe.pkcs7.sha1)."""
        assert self.encapsulated is not None
        content = self.encapsulated
        if content == self.compute_digest():
            return True
        return len(content) == self._covered_length() and \
            _digest(self.md_algorithm, content) == self.compute_digest(self.md_algorithm)

    def _covered_length(self) -> int:
        try:
            return int(self.byte_range[1]) + int(self.byte_range[3])
        except (TypeError, ValueError, IndexError):
            return -1

    @property
    def weak_document_digest(self) -> bool:
        return self.external_md_algorithm in WEAK_DIGESTS


def _digest(algorithm: str, data: bytes) -> bytes:
    md = hashes.Hash(generic_cms.get_pyca_cryptography_hash(algorithm))
    md.update(data)
    return md.finalize()


async def validate_signature(sig: ArchiveSignature, *, signer_vc, ts_vc, diff_policy,
                             key_usage) -> PdfSignatureStatus:
    """pyHanko's ``async_validate_pdf_signature`` without its /Type and /SubFilter gate, with
    plain-ECDSA judged by :class:`PlainEcdsaAlgorithmPolicy` (the validation contexts should
    carry a :class:`PlainEcdsaValidator`) and enveloping content validated over itself
    (``raw_digest=None``: whether that content binds the byte range is
    :meth:`ArchiveSignature.content_binds_byte_range`)."""
    sig.compute_integrity_info(diff_policy=diff_policy)
    status_kwargs = sig.summarise_integrity_info()
    policy = PlainEcdsaAlgorithmPolicy(CMSAlgorithmUsagePolicy.lift_policy(signer_vc.algorithm_policy))
    status_kwargs.update(await generic_cms.collect_timing_info(sig.signer_info, ts_vc, raw_digest=sig.compute_digest,
                                                               algorithm_policy=policy))
    if "signer_reported_dt" not in status_kwargs and sig.self_reported_timestamp is not None:
        status_kwargs["signer_reported_dt"] = sig.self_reported_timestamp
    status_kwargs = await generic_cms.cms_basic_validation(
        sig.signed_data, raw_digest=None if sig.encapsulated is not None else sig.compute_digest(),
        validation_context=signer_vc, status_kwargs=status_kwargs,
        key_usage_settings=PdfSignatureStatus.default_usage_constraints(key_usage), algorithm_policy=policy)
    tst = status_kwargs.get("timestamp_validity")
    status_kwargs.update(report_seed_value_validation(sig, status_kwargs["validation_path"],
                                                      tst is not None and tst.valid and tst.trusted))
    status_kwargs.update(await generic_cms.collect_signer_attr_status(
        sd_attr_certificates=sig.embedded_attr_certs, signer_cert=sig.signer_cert, validation_context=None,
        sd_signed_attrs=sig.signer_info["signed_attrs"]))
    return PdfSignatureStatus(**status_kwargs)


async def validate_timestamp(sig: ArchiveSignature, *, vc, diff_policy) -> DocumentTimestampStatus:
    """pyHanko's ``async_validate_pdf_timestamp`` without its /Type gate."""
    sig.compute_integrity_info(diff_policy=diff_policy)
    status_kwargs = await generic_cms.validate_tst_signed_data(sig.signed_data, vc, sig.compute_digest)
    status_kwargs.update(coverage=sig.coverage, diff_result=sig.diff_result)
    return DocumentTimestampStatus(**status_kwargs)

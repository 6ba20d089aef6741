"""Long-term-validation copy (PAdES B-LTA) of a signed PDF, and re-verification from evidence.

``make_ltv_copy`` never touches the original: it reads it, appends a DSS with every certificate,
CRL and OCSP response the file already carries (and, when online fetching is allowed, what pyHanko
can collect), then a document timestamp from the archive's TSA, and stores the result as a new
component (role ``ltv_copy``). It runs off the ingest path, through the Dispatcher
(task ``make_ltv_copy``).

``verify_record`` re-validates an archived record from archived evidence only (offline): the
original's signatures at their signing time, and the chain of archive timestamps at ``at``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.service import ArchiveService, NewComponent, NewEvent
from archive.timestamping import load_chain, verify_chain
from ingest.signatures.embedded import ArchiveSignature, StructureError
from ingest.signatures.report import document_findings, overall_status
from ingest.signatures.validate import _cms_revinfo, _dss_evidence, _token_certs, _tst, validate_pdf

AGENT = "software:luutru ltv"


def _copy_original(archive: ArchiveService, record_id: str, actor: str, path: Path) -> dict:
    """The original, digest checked, copied to ``path`` a chunk at a time (a 1 GB PDF is never in memory)."""
    info, reader = archive.open_component(record_id, actor=actor, verify=True)
    with reader, open(path, "wb") as out:
        for chunk in reader:
            out.write(chunk)
    return info


def _signatures(reader) -> list:
    """The readable signatures (not document timestamps) of the PDF, read as ``validate_pdf``
    reads them: a field it reports as malformed contributes no evidence."""
    from pyhanko.sign.fields import enumerate_sig_fields

    out = []
    for name, _value, field in enumerate_sig_fields(reader, filled_status=True):
        try:
            sig = ArchiveSignature(reader, field, name)
        except StructureError:
            continue
        if sig.kind == "signature":
            out.append(sig)
    return out


def make_ltv_copy(archive: ArchiveService, record_id: str, *, pdf_timestamper, actor: str = AGENT,
                  identifier=None) -> str | None:
    """Build and store the B-LTA copy; returns the new component id (None if the PDF has no signature).
    With ``identifier`` (``ingest.formats``), the copy gets its PRONOM format like every component.

    Works on files in a temporary folder (original → with DSS → timestamped), which pyHanko reads
    and writes as streams: memory does not grow with the size of the PDF."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    with tempfile.TemporaryDirectory(prefix="luutru-ltv-") as tmp:
        original, with_dss, ltv = Path(tmp) / "original.pdf", Path(tmp) / "dss.pdf", Path(tmp) / "ltv.pdf"
        info = _copy_original(archive, record_id, actor, original)
        with open(original, "rb") as src:
            reader = PdfFileReader(src, strict=False)
            sigs = _signatures(reader)
            if not sigs:
                return None
            evidence = _dss_evidence(reader)
            w = IncrementalPdfFileWriter(src, strict=False)
            for emb in sigs:
                crls, ocsps = _cms_revinfo(emb.signer_info)
                token = _tst(emb.signer_info)
                certs = [emb.signer_cert, *emb.other_embedded_certs, *evidence.certs]
                if token is not None:
                    certs += _token_certs(token)
                DocumentSecurityStore.supply_dss_in_writer(w, emb.pkcs7_content, certs=certs,
                                                           crls=list(crls) + evidence.crls,
                                                           ocsps=list(ocsps) + evidence.ocsps)
            with open(with_dss, "wb") as out:
                w.write(out)
        with open(with_dss, "rb") as src, open(ltv, "w+b") as out:
            w2 = IncrementalPdfFileWriter(src, strict=False)
            signers.PdfTimeStamper(pdf_timestamper).timestamp_pdf(w2, "sha256", validation_context=None,
                                                                  validation_paths=[], output=out)
            out.seek(0)
            component = NewComponent(out, "ltv_copy", "application/pdf", "ltv-copy.pdf")
            if identifier is not None:
                from ingest.formats import identify_components

                out.flush()
                component = identify_components(identifier, [component], Path(tmp) / "formats")[0]
            return archive.add_component(
                record_id, component,
                actor=actor, derived_from=info["id"], reindex=False,
                event=NewEvent("migration", agent=AGENT, detail="PAdES B-LTA copy: DSS with the embedded "
                               "validation data and an archive document timestamp; the original is unchanged"))


def verify_record(archive: ArchiveService, record_id: str, *, trust_roots: Sequence, tsa_roots: Sequence,
                  at: datetime | None = None, horizon_days: int = 730, actor: str = "software:luutru verify") -> dict:
    """Re-validate from archived evidence only, offline. ``matches_ingest`` says whether the
    signature verdicts equal those stored at ingest."""
    at = at or datetime.now(UTC)
    record = archive.get_record(record_id, actor=actor)
    reports = []
    with tempfile.TemporaryDirectory(prefix="luutru-verify-") as tmp:
        path = Path(tmp) / "original"
        info = _copy_original(archive, record_id, actor, path)
        if info["media_type"] == "application/pdf":
            reports = validate_pdf(path, trust_roots, allow_online=False, at=at)
    original, chain = load_chain(archive, record_id)
    assert original is not None  # _copy_original above read the original's bytes
    chain_report = verify_chain([t for _, t in chain], original, trust_roots=list(tsa_roots) + list(trust_roots),
                                at=at, horizon=timedelta(days=horizon_days))
    summaries = [r.summary() for r in reports]
    stored = record.get("signatures") or []
    # a summary stored by an earlier version has fewer keys: compare the ones it has
    matches = len(stored) == len(summaries) and all(
        isinstance(old, dict) and all(new.get(k) == v for k, v in old.items())
        for old, new in zip(stored, summaries, strict=True))
    return {"record_id": record_id, "at": at.isoformat(), "sha256": original,
            "overall": overall_status(reports), "signatures": summaries,
            "matches_ingest": matches, "ingest_signatures": stored,
            "findings": document_findings(reports), "archive_timestamp": chain_report.as_dict(),
            "reports": [r.as_dict() for r in reports]}

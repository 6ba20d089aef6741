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

import io
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.service import ArchiveService, NewComponent, NewEvent
from archive.timestamping import load_chain, verify_chain
from ingest.signatures.report import document_findings, overall_status
from ingest.signatures.validate import _cms_revinfo, _dss_evidence, _token_certs, _tst, validate_pdf

AGENT = "software:luutru ltv"


def _read_original(archive: ArchiveService, record_id: str, actor: str) -> tuple[dict, bytes]:
    info, reader = archive.open_component(record_id, actor=actor, verify=True)
    with reader:
        return info, reader.read()


def make_ltv_copy(archive: ArchiveService, record_id: str, *, pdf_timestamper, actor: str = AGENT) -> str | None:
    """Build and store the B-LTA copy; returns the new component id (None if the PDF has no signature)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    info, data = _read_original(archive, record_id, actor)
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    sigs = [s for s in reader.embedded_signatures if s.sig_object_type == "/Sig"]
    if not sigs:
        return None
    evidence = _dss_evidence(reader)
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    for emb in sigs:
        crls, ocsps = _cms_revinfo(emb.signer_info)
        token = _tst(emb.signer_info)
        certs = [emb.signer_cert, *emb.other_embedded_certs, *evidence.certs]
        if token is not None:
            certs += _token_certs(token)
        DocumentSecurityStore.supply_dss_in_writer(w, emb.pkcs7_content, certs=certs,
                                                   crls=list(crls) + evidence.crls, ocsps=list(ocsps) + evidence.ocsps)
    buf = io.BytesIO()
    w.write(buf)
    w2 = IncrementalPdfFileWriter(io.BytesIO(buf.getvalue()), strict=False)
    out = signers.PdfTimeStamper(pdf_timestamper).timestamp_pdf(w2, "sha256", validation_context=None,
                                                                validation_paths=[])
    return archive.add_component(
        record_id, NewComponent(io.BytesIO(out.getvalue()), "ltv_copy", "application/pdf", "ltv-copy.pdf"),
        actor=actor, derived_from=info["id"], reindex=False,
        event=NewEvent("migration", agent=AGENT, detail="PAdES B-LTA copy: DSS with the embedded validation "
                       "data and an archive document timestamp; the original is unchanged"))


def verify_record(archive: ArchiveService, record_id: str, *, trust_roots: Sequence, tsa_roots: Sequence,
                  at: datetime | None = None, horizon_days: int = 730, actor: str = "software:luutru verify") -> dict:
    """Re-validate from archived evidence only, offline. ``matches_ingest`` says whether the
    signature verdicts equal those stored at ingest."""
    at = at or datetime.now(UTC)
    record = archive.get_record(record_id, actor=actor)
    info, data = _read_original(archive, record_id, actor)
    reports = []
    if info["media_type"] == "application/pdf":
        with tempfile.TemporaryDirectory(prefix="luutru-verify-") as tmp:
            path = Path(tmp) / "original.pdf"
            path.write_bytes(data)
            reports = validate_pdf(path, trust_roots, allow_online=False, at=at)
    original, chain = load_chain(archive, record_id)
    chain_report = verify_chain([t for _, t in chain], original, trust_roots=list(tsa_roots) + list(trust_roots),
                                at=at, horizon=timedelta(days=horizon_days))
    summaries = [r.summary() for r in reports]
    stored = record.get("signatures") or []
    return {"record_id": record_id, "at": at.isoformat(), "sha256": original,
            "overall": overall_status(reports), "signatures": summaries,
            "matches_ingest": summaries == stored, "ingest_signatures": stored,
            "findings": document_findings(reports), "archive_timestamp": chain_report.as_dict(),
            "reports": [r.as_dict() for r in reports]}

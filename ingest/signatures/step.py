"""Pipeline steps: validate the signatures of a PDF, and timestamp every original.

``SignatureStep`` never rejects: a bad signature is archived with its verdict (the original is the
evidence). ``ArchiveTimestampStep`` runs after preflight hashed the file; the token covers
``ctx.sha256``, and the store step refuses bytes that differ from that digest, so the token covers
exactly the stored original. It is stored in the same unit of work as the original. If the TSA is
unreachable the file is still archived, with a warning, and ``luutru timestamps renew`` gives it
its first token later.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from archive.timestamping import TimeStamper, timestamp_event_data
from ingest.pipeline import IngestContext, NoCleanup
from ingest.signatures.report import SignatureReport, document_findings, overall_status
from ingest.signatures.validate import validate_pdf

log = logging.getLogger(__name__)


@dataclass
class SignatureOutcome:
    reports: list[SignatureReport]
    findings: list[str]

    @property
    def overall(self) -> str | None:
        return overall_status(self.reports)

    def summaries(self) -> list[dict]:
        return [r.summary() for r in self.reports]

    def as_report(self) -> dict:
        return {"overall": self.overall, "findings": self.findings,
                "signatures": [r.as_dict() for r in self.reports]}


class SignatureStep(NoCleanup):
    name = "signatures"

    def __init__(self, trust_roots: Sequence, *, allow_online: bool = False):
        self.trust_roots = list(trust_roots)
        self.allow_online = allow_online

    def applies(self, ctx: IngestContext) -> bool:
        return ctx.media_type == "application/pdf"

    def run(self, ctx: IngestContext) -> None:
        reports = validate_pdf(ctx.source.path, self.trust_roots, allow_online=self.allow_online)
        ctx.signatures = SignatureOutcome(reports, document_findings(reports, ctx.pdf))


class ArchiveTimestampStep(NoCleanup):
    name = "timestamp"

    def __init__(self, stamper: TimeStamper):
        self.stamper = stamper

    def applies(self, ctx: IngestContext) -> bool:
        return ctx.sha256 is not None

    def run(self, ctx: IngestContext) -> None:
        assert ctx.sha256 is not None  # applies() checked it
        try:
            token = self.stamper.timestamp(bytes.fromhex(ctx.sha256))
        except Exception as exc:  # noqa: BLE001 - a TSA outage must not stop archiving
            log.warning("archive timestamp for %s failed: %s", ctx.source.path, exc)
            ctx.warnings.append(f"archive timestamp not obtained ({type(exc).__name__}); "
                                "`luutru timestamps renew` will add it")
            return
        ctx.timestamp_token = token
        ctx.timestamp_event = timestamp_event_data(token, "original", ctx.sha256, self.stamper.name)

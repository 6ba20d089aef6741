"""The retention and disposal services as every entry point builds them (``luutru retention …``
and ``/api/v1/retention``): one ``RetentionService`` on the archive's catalogue and clock, with the
built-in sample schedule saved once, and one ``DisposalService`` that issues the Biên bản hủy with
the archive's identity in ``<data>/keys``, time-stamped by the archive's TSA (or the external one),
and validates it as ingest validates every PDF. Built once per ``Services`` and kept in ``services.retention_services``."""

from __future__ import annotations


def minutes_config(services):
    """``MinutesConfig`` from the settings (``LUUTRU_ARCHIVE__*``, the keys and the timestamper)."""
    from api.signature_wiring import timestamper_for, trust_roots_for
    from retention.disposal import MinutesConfig

    settings = services.settings

    def check_signatures(path) -> dict:
        """Ingest's validation (``SignatureStep``) of the signed minutes, with the trust roots read
        now: the archive's identity may have been created a moment ago."""
        from ingest.signatures import document_findings, validate_pdf
        from ingest.signatures.step import SignatureOutcome

        reports = validate_pdf(path, trust_roots_for(settings), allow_online=False)
        outcome = SignatureOutcome(reports, document_findings(reports))
        return {"overall": outcome.overall, "summaries": outcome.summaries(), "findings": outcome.findings,
                "report": outcome.as_report()}

    a = settings.archive
    return MinutesConfig(organ_name=a.name, place=a.place, notation=a.minutes_notation, keys_dir=settings.keys_dir,
                         timestamper=lambda: timestamper_for(settings), check_signatures=check_signatures)


def retention_services(services, *, actor: str = "software:luutru"):
    """``(RetentionService, DisposalService)`` for these services (cached in ``services.retention_services``)."""
    pair = services.retention_services
    if pair is None:
        from retention.disposal import DisposalService
        from retention.service import RetentionService

        retention = RetentionService(services.catalogue, clock=services.archive.clock)
        retention.ensure_sample(actor)
        disposal = DisposalService(services.archive, minutes_config=minutes_config(services))
        pair = services.retention_services = (retention, disposal)
    return pair

"""The retention and disposal services as every entry point builds them (``luutru retention …``
and ``/api/v1/retention``): one ``RetentionService`` on the archive's catalogue and clock, with the
built-in sample schedule saved once, and one ``DisposalService`` that signs the Biên bản hủy with the
archive's identity in ``<data>/keys``. Built once per ``Services`` and kept in its extras."""

from __future__ import annotations


def retention_services(services, *, actor: str = "software:luutru"):
    """``(RetentionService, DisposalService)`` for these services (cached in ``services.extras``)."""
    pair = services.extras.get("retention_services")
    if pair is None:
        from retention.disposal import DisposalService, MinutesConfig
        from retention.service import RetentionService

        retention = RetentionService(services.catalogue, clock=services.archive.clock)
        retention.ensure_sample(actor)
        disposal = DisposalService(services.archive, minutes_config=MinutesConfig(
            keys_dir=services.settings.data_dir / "keys"))
        pair = services.extras["retention_services"] = (retention, disposal)
    return pair

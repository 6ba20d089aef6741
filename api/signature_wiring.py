"""The signature factories of the composition root: trust anchors, the archive timestamper, the
``make_ltv_copy`` task and the renewal of archive timestamps, built the same way for the CLI
(``luutru verify``, ``luutru timestamps renew``, ``luutru audit verify``), the worker, beat, the
routes and ``api/wiring.py``'s ingest pipeline, and the audit log's verification (``verify_log``: the
CLI, ``GET /api/v1/audit/verify``, the admin page, backups). Beside ``api/wiring.py`` like
``retention_wiring``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from archive.settings import Settings


def archive_roots_for(settings: Settings) -> list:
    """The archive's own trust anchors, where they exist: the CA of its document-signing
    certificate (``<data>/keys/ca.crt``, ``archive.keys``: what signs the Biên bản hủy tài liệu) and
    the root of its TSA (``<data>/keys/tsa/root.pem``, ``archive.timestamping``). The archive trusts
    what it issued itself; without them ``luutru verify`` of its own minutes found no trust path."""
    from archive.timestamping import TSA_DIR
    from ingest.signatures.trust import parse_certificates

    out = []
    for path in (settings.keys_dir / "ca.crt", settings.keys_dir / TSA_DIR / "root.pem"):
        if path.is_file():
            out += parse_certificates(path.read_bytes())
    return out


def trust_roots_for(settings: Settings) -> list:
    """The roots a signature may chain to: the trust folder (NEAC, Ban Cơ yếu…) and the archive's
    own anchors (``archive_roots_for``), de-duplicated."""
    from ingest.signatures import load_trust_roots

    roots = {c.sha256: c for c in load_trust_roots(settings.trust_dir)}
    for cert in archive_roots_for(settings):
        roots.setdefault(cert.sha256, cert)
    return list(roots.values())


def timestamper_for(settings: Settings):
    """The archive timestamper: the external TSA if configured, else the archive's own TSA."""
    from archive.timestamping import HttpTimeStamper, LocalTimeStamper, ensure_archive_tsa

    sig = settings.signatures
    if sig.tsa_url:
        return HttpTimeStamper(sig.tsa_url, timeout=sig.tsa_timeout_seconds,
                               user=sig.tsa_user.get_secret_value() if sig.tsa_user else None,
                               password=sig.tsa_password.get_secret_value() if sig.tsa_password else None)
    ensure_archive_tsa(settings.keys_dir)
    return LocalTimeStamper.from_dir(settings.keys_dir)


def tsa_roots_for(settings: Settings) -> list:
    """The roots an archive timestamp may chain to besides ``trust_roots_for``: the archive's own
    TSA root (an external TSA's root belongs in the trust folder)."""
    from archive.timestamping import TSA_DIR, ArchiveTsaFiles

    files = ArchiveTsaFiles(settings.keys_dir / TSA_DIR)
    return [files.root_cert()] if (files.folder / "root.pem").exists() else []


def _has_ltv_copy(services, record_id: str) -> bool:
    import sqlalchemy as sa

    from archive.catalogue.models import Component

    with services.catalogue.session() as s:
        return s.execute(sa.select(Component.id).where(
            Component.record_id == record_id, Component.role == "ltv_copy",
            Component.status == "present").limit(1)).first() is not None


def ltv_task(services):
    """The ``make_ltv_copy`` task bound to these services."""
    from ingest.signatures.ltv import make_ltv_copy

    def run(record_id: str) -> None:
        from api.wiring import format_identifier

        if _has_ltv_copy(services, record_id):
            return  # the task ran before (tasks are at least once: a Celery retry, a second pass)
        make_ltv_copy(services.archive, record_id, pdf_timestamper=timestamper_for(services.settings).pyhanko,
                      identifier=format_identifier(services))

    return run


def renew_all(services, *, horizon_days: int | None = None, now: datetime | None = None,
              actor: str = "software:luutru timestamps") -> dict:
    """What ``luutru timestamps renew`` and the Celery beat run: rotate the archive's own TSA
    certificate if it nears its end, then renew every chain that is due."""
    from archive.timestamping import renew_timestamps, rotate_archive_tsa

    s = services.settings
    days = horizon_days or s.signatures.renewal_horizon_days
    rotated = False
    if not s.signatures.tsa_url:
        timestamper_for(s)  # creates the TSA on first use
        rotated = rotate_archive_tsa(s.keys_dir, horizon=timedelta(days=days), now=now)
    report = renew_timestamps(services.archive, timestamper_for(s), horizon_days=days, now=now, actor=actor)
    return {**report.as_dict(), "tsa_rotated": rotated}


def verify_log(services) -> dict:
    """The audit log's hash chain and RFC 3161 anchors, checked against the archive's TSA root and
    the trusted roots (external TSAs): what ``luutru audit verify`` and ``GET /api/v1/audit/verify`` run."""
    from archive import audit

    roots = tsa_roots_for(services.settings) + trust_roots_for(services.settings)
    with services.catalogue.session() as s:
        report = audit.verify(s, trust_roots=roots or None, store=services.store)
    return report.as_dict()

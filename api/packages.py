"""Packages in and out for both entry points: a dossier written as a TT 05/2025 package or a BagIt
bag (``write_export``: ``luutru export aip``, ``GET /api/v1/dossiers/{id}/export``), and the importer
of packages and bags over the services' one ingest pipeline (``importer_for``: ``luutru import sip``,
``POST /api/v1/imports/packages``)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from api.wiring import ingest_service


def export_identity(services):
    from archive.packages.export import ExportIdentity

    s = services.settings
    code = s.packages.archive_code or s.agency_id
    return ExportIdentity(archive_code=code, archive_name=s.packages.archive_name or s.archive.name or code,
                          software="luutru", version=_version())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("luutru")
    except PackageNotFoundError:
        return "0"


def may_read_for(caller):
    """The record rule of a reader (``None``: every record, for the machine's operator)."""
    if caller is None:
        return None
    return lambda r: (r.status != "disposed" and caller.principal.may_read(
        access_level=r.access_level, dossier_id=r.dossier_id, fonds_id=r.fonds_id))


def limits_of(settings):
    from archive.packages.zipsafe import ZipLimits

    p = settings.packages
    return ZipLimits(max_total_bytes=p.max_total_bytes, max_entries=p.max_entries, max_ratio=p.max_ratio)


def write_export(services, dossier_id: str, out: Path, *, kind: str, fmt: str, caller) -> dict:
    """Write the export to ``out`` atomically (a temporary file renamed at the end: an export
    stopped by a damaged original leaves no file)."""
    from archive.packages.bag import export_bag
    from archive.packages.export import export_dossier

    tmp = out.with_name(f".{out.name}.part")
    try:
        with open(tmp, "wb") as f:
            if fmt == "bagit":
                result = export_bag(services.catalogue, services.store, dossier_id, f, ident=export_identity(services),
                                    now=datetime.now(UTC), may_read=may_read_for(caller))
            else:
                result = export_dossier(services.catalogue, services.store, dossier_id, f, kind=kind,
                                        ident=export_identity(services), now=datetime.now(UTC),
                                        may_read=may_read_for(caller))
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return {"objid": result.objid, "folder": result.folder, "documents": result.documents,
            "files": len(result.files), "bytes": out.stat().st_size}


def importer_for(services):
    """The importer over the services' one ingest pipeline (built once, as for uploads: the
    extraction pool is shared). Documents go through it in this process, also in scale-out."""
    from ingest.packages import PackageImporter

    return PackageImporter(services.archive, services.dossiers, ingest_service(services),
                           limits=limits_of(services.settings), workdir=services.settings.data_dir / "uploads")

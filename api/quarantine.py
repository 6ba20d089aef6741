"""The quarantine's service for the entrypoints (CLI, HTTP, pages): one per ``Services``.

The quarantine is a folder of the machine that rejected the files (``settings.quarantine_dir``):
in scale-out, each worker's own. These entrypoints manage the quarantine of the machine they run
on; a release runs the ingest pipeline here, in this process (``docs/ingest.md``).
"""

from __future__ import annotations

from api.wiring import Services, ingest_service
from ingest.quarantine import Quarantine
from ingest.quarantine_service import QuarantineService


def quarantine_service(services: Services) -> QuarantineService:
    svc = services.quarantine_service
    if svc is None:
        svc = services.quarantine_service = QuarantineService(
            Quarantine(services.settings.quarantine_dir), services.archive, lambda: ingest_service(services))
    return svc

"""Response model of ``/api/v1/imports/edxml`` (``api/http/routes/imports.py``): an edXML message's
import. Names are the OpenAPI document's component names; ``api.http.routes.imports`` re-exports them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class EdxmlImportResult(BaseModel):
    outcome: Literal["ingested", "duplicate", "status"]
    """``status``: a status message (đã đến, tiếp nhận…) recorded as an event of ``record_id``."""
    record_id: str | None = None
    sha256: str | None = None
    """SHA-256 of the message."""
    kind: Literal["document", "status"] | None = None
    so_ky_hieu: str | None = None
    signature: Literal["valid", "invalid", "unverifiable", "absent"] | None = None
    """The message's own XML-DSig signature; ``invalid`` is kept and reported, never refused."""
    signature_vi: str | None = None
    attachments: int = 0
    warnings: list[str] = []

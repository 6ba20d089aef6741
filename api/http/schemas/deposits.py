"""Response model of ``/api/v1/deposits`` (``api/http/routes/deposits.py``): a staged deposit's job.
Names are the OpenAPI document's component names; ``api.http.routes.deposits`` re-exports them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class DepositJob(BaseModel):
    job_id: str
    status: Literal["queued", "running", "done", "failed"]
    """``queued`` until a worker has ingested it; ``failed``: its last attempt failed (a service
    down), it is dispatched again; ``done``: ``outcome`` says how it ended."""
    outcome: Literal["ingested", "duplicate", "rejected"] | None = None
    record_id: str | None = None
    sha256: str | None = None
    code: str | None = None
    message_vi: str | None = None
    message_en: str | None = None

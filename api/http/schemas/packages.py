"""Response model of ``/api/v1/imports/packages`` (``api/http/routes/packages.py``): a package's import.
Names are the OpenAPI document's component names; ``api.http.routes.packages`` re-exports them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class PackageImported(BaseModel):
    outcome: Literal["imported", "partial"]
    objid: str
    dossier_id: str
    dossier_code: str
    records: list[dict]
    rejected: list[dict]
    warnings: list[str]

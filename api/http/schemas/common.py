"""Response shapes several areas share."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ItemPage(BaseModel):
    """One page of a list: ``items``, the count over every page (``total``), ``page`` (from 1) and
    ``size``. A subclass redeclares only ``items`` with its own model; Pydantic keeps the field in
    first place, so each page keeps its OpenAPI component name (the subclass's) and shape."""

    items: list[Any]
    total: int
    page: int
    size: int

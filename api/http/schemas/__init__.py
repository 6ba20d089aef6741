"""Request and response models of the HTTP API, one module per area (``api/http/routes/<area>.py`` uses them)."""

from __future__ import annotations

from types import ModuleType
from typing import Any


def moved(module: str, schemas: ModuleType, name: str) -> Any:
    """What a route module's ``__getattr__`` answers: ``name`` from the schema module its models moved
    to (the web pages and older callers import them from the route module)."""
    try:
        return getattr(schemas, name)
    except AttributeError:
        raise AttributeError(f"module {module!r} has no attribute {name!r}") from None

"""The catalogue: SQLAlchemy tables, the Catalogue (engine, sessions, migrations)."""

from archive.catalogue.db import Catalogue
from archive.catalogue.models import (
    AuditEntry,
    Base,
    Component,
    Dossier,
    Event,
    Fonds,
    OutboxEntry,
    Record,
)

__all__ = ["AuditEntry", "Base", "Catalogue", "Component", "Dossier", "Event", "Fonds", "OutboxEntry", "Record"]

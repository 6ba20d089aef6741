"""The one access rule of the archive: who may read a record, a dossier, a fonds.

Every path that shows archive data applies this module — search (the backends translate
``Principal`` into their query, ``search.compile``), the HTTP routes and the CLI (the SQL clauses
below and ``record_readable``), OAI-PMH (``public_records``) and webhooks (``Principal.may_read``).
Nothing else defines the vocabulary or the rule; ``tests/archive/test_access.py`` checks that the
SQL clauses and the Python predicate agree on every combination.

**The rule.** A record is readable by a principal when

* the principal is unrestricted (an administrator), or
* the record's dossier is in the principal's ``dossier_ids`` (an explicit grant), or
* the record's access level is in the principal's ``access_levels`` and — when the principal is
  limited to some fonds (``fonds_ids`` is a set) — the record's fonds is one of them;

and, in every case, the record is not destroyed unless the reader may see tombstones
(archivists: the ``retention`` scope). A dossier is visible when its access regime is readable
(same fonds limit), when it holds a readable record, or when it is granted; a fonds is visible
when the principal is not limited to some fonds, or it is one of them, or it holds a visible
dossier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from archive.catalogue.models import Dossier, Fonds, Record
from archive.domain import AccessLevel

ACCESS_LEVELS: tuple[str, ...] = tuple(level.value for level in AccessLevel)
"""Mức độ tiếp cận, from the most to the least open: public, internal, restricted, secret."""

ACCESS_LEVELS_VI = {"public": "Công khai", "internal": "Nội bộ", "restricted": "Hạn chế", "secret": "Mật"}
"""The words people read for each level."""


@dataclass(frozen=True)
class Principal:
    """Who is asking, as far as reading goes (see the module docstring for the rule)."""

    access_levels: frozenset[str] = frozenset({"public"})
    dossier_ids: frozenset[str] = frozenset()
    fonds_ids: frozenset[str] | None = None
    """None: every fonds. A set: only these (a staff member of one agency)."""
    unrestricted: bool = False
    """An administrator: reads everything."""
    name: str = "anonymous"

    def __post_init__(self) -> None:
        unknown = set(self.access_levels) - set(ACCESS_LEVELS)
        if unknown:
            raise ValueError(f"unknown access levels {sorted(unknown)}")

    @classmethod
    def admin(cls, name: str = "admin") -> Principal:
        return cls(access_levels=frozenset(ACCESS_LEVELS), unrestricted=True, name=name)

    def may_read(self, *, access_level: str, dossier_id: str | None, fonds_id: str | None) -> bool:
        """The rule for a live record (``record_readable`` adds tombstones)."""
        if self.unrestricted or (dossier_id is not None and dossier_id in self.dossier_ids):
            return True
        return access_level in self.access_levels and (self.fonds_ids is None or fonds_id in self.fonds_ids)


def record_readable(principal: Principal, record: Any, *, see_disposed: bool = False) -> bool:
    """Whether ``principal`` may read ``record`` (a catalogue ``Record`` or anything with its
    ``status``, ``access_level``, ``dossier_id`` and ``fonds_id``); a destroyed record's tombstone
    only when ``see_disposed``."""
    if record.status == "disposed" and not see_disposed:
        return False
    return principal.may_read(access_level=record.access_level, dossier_id=record.dossier_id,
                              fonds_id=record.fonds_id)


# the rule as SQL ---------------------------------------------------------------------------------

def readable_records(principal: Principal, *, see_disposed: bool = False) -> sa.ColumnElement[bool]:
    """SQL condition on ``Record``: the records ``principal`` may read."""

    live = sa.true() if see_disposed else Record.status != "disposed"
    if principal.unrestricted:
        return live
    cond: sa.ColumnElement[bool] = Record.access_level.in_(sorted(principal.access_levels))
    if principal.fonds_ids is not None:
        cond = sa.and_(cond, Record.fonds_id.in_(sorted(principal.fonds_ids)))
    if principal.dossier_ids:
        cond = sa.or_(cond, Record.dossier_id.in_(sorted(principal.dossier_ids)))
    return sa.and_(live, cond)


def visible_dossiers(principal: Principal, *, see_disposed: bool = False) -> sa.ColumnElement[bool]:
    """SQL condition on ``Dossier``: the dossiers ``principal`` may see."""

    if principal.unrestricted:
        return sa.true()
    own: sa.ColumnElement[bool] = Dossier.access_regime.in_(sorted(principal.access_levels))
    if principal.fonds_ids is not None:
        own = sa.and_(own, Dossier.fonds_id.in_(sorted(principal.fonds_ids)))
    holds_readable = sa.exists().where(Record.dossier_id == Dossier.id,
                                       readable_records(principal, see_disposed=see_disposed))
    cond = sa.or_(own, holds_readable)
    if principal.dossier_ids:
        cond = sa.or_(Dossier.id.in_(sorted(principal.dossier_ids)), cond)
    return cond


def visible_fonds(principal: Principal, *, see_disposed: bool = False) -> sa.ColumnElement[bool]:
    """SQL condition on ``Fonds``: the fonds ``principal`` may see."""

    if principal.unrestricted or principal.fonds_ids is None:
        return sa.true()
    return sa.or_(Fonds.id.in_(sorted(principal.fonds_ids)),
                  sa.exists().where(Dossier.fonds_id == Fonds.id,
                                    visible_dossiers(principal, see_disposed=see_disposed)))


# public harvesting -------------------------------------------------------------------------------

def public_records() -> sa.ColumnElement[bool]:
    """SQL condition on ``Record``: what anyone may harvest (OAI-PMH) with its metadata — public,
    with no state-secret mark (độ mật)."""

    return sa.and_(Record.access_level == AccessLevel.PUBLIC.value, Record.security_level.is_(None))


def is_public(record: Any) -> bool:
    """``public_records`` for a loaded record."""
    return record.access_level == AccessLevel.PUBLIC.value and record.security_level is None

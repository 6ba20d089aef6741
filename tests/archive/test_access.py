"""The one access rule (``archive.access``): its SQL clauses select exactly the rows its Python
predicate allows, for every principal, on SQLite and PostgreSQL — so a list, a count, a download
and a webhook can never disagree about what a reader may see."""

from __future__ import annotations

import itertools
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import access
from archive.access import ACCESS_LEVELS, Principal
from archive.catalogue.models import Dossier, Fonds, Record
from archive.domain import AccessLevel

FONDS = ("f-a", "f-b", "f-c")
DOSSIERS = {  # id: (fonds, access regime)
    "d-a1": ("f-a", "public"), "d-a2": ("f-a", "restricted"), "d-b1": ("f-b", "internal"),
    "d-b2": ("f-b", "restricted"), "d-c1": ("f-c", "restricted"),
}


@pytest.fixture
def grid(catalogue):
    """Every combination of access level × dossier (or none) × fonds × live/destroyed."""
    with catalogue.session() as s:
        for i, f in enumerate(FONDS):
            s.add(Fonds(id=f, organ_id=f"000.00.0{i}.H26", name=f"Phông {f}"))
        s.flush()
        for i, (d, (f, regime)) in enumerate(DOSSIERS.items()):
            s.add(Dossier(id=d, fonds_id=f, code=f"H26.2026.{i:02d}", year=2026, notation=f"{i:02d}",
                          title=f"Hồ sơ {d}", access_regime=regime))
        s.flush()
        for level, dossier, status in itertools.product(ACCESS_LEVELS, [None, *DOSSIERS], ("archived", "disposed")):
            fonds_choices = [DOSSIERS[dossier][0]] if dossier else list(FONDS)
            for f in fonds_choices:
                s.add(Record(id=str(uuid.uuid4()), access_level=level, dossier_id=dossier, fonds_id=f, status=status))
    return catalogue


principals = st.builds(
    Principal,
    access_levels=st.frozensets(st.sampled_from(ACCESS_LEVELS)),
    dossier_ids=st.frozensets(st.sampled_from(sorted(DOSSIERS))),
    fonds_ids=st.none() | st.frozensets(st.sampled_from(FONDS)),
    unrestricted=st.booleans(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(principal=principals, see_disposed=st.booleans())
def test_sql_clauses_and_the_predicate_agree(grid, principal, see_disposed):
    with grid.session() as s:
        records = s.execute(sa.select(Record)).scalars().all()
        by_sql = set(s.execute(sa.select(Record.id).where(
            access.readable_records(principal, see_disposed=see_disposed))).scalars())
        expected = {r.id for r in records if access.record_readable(principal, r, see_disposed=see_disposed)}
        assert by_sql == expected

        dossiers = s.execute(sa.select(Dossier)).scalars().all()
        seen_dossiers = set(s.execute(sa.select(Dossier.id).where(
            access.visible_dossiers(principal, see_disposed=see_disposed))).scalars())
        expected_dossiers = {
            d.id for d in dossiers
            if principal.unrestricted or d.id in principal.dossier_ids
            or (d.access_regime in principal.access_levels
                and (principal.fonds_ids is None or d.fonds_id in principal.fonds_ids))
            or any(r.dossier_id == d.id and r.id in expected for r in records)}
        assert seen_dossiers == expected_dossiers

        seen_fonds = set(s.execute(sa.select(Fonds.id).where(
            access.visible_fonds(principal, see_disposed=see_disposed))).scalars())
        expected_fonds = {f for f in FONDS if principal.unrestricted or principal.fonds_ids is None
                          or f in principal.fonds_ids or any(DOSSIERS[d][0] == f for d in expected_dossiers)}
        assert seen_fonds == expected_fonds


def test_a_destroyed_record_is_readable_only_as_a_tombstone_for_those_who_may_see_them(grid):
    admin = Principal.admin()
    with grid.session() as s:
        disposed = s.execute(sa.select(Record).where(Record.status == "disposed")).scalars().first()
    assert not access.record_readable(admin, disposed)
    assert access.record_readable(admin, disposed, see_disposed=True)


def test_the_vocabulary_is_defined_once():
    assert tuple(a.value for a in AccessLevel) == ACCESS_LEVELS
    assert set(access.ACCESS_LEVELS_VI) == set(ACCESS_LEVELS)
    from search import query

    assert query.Principal is Principal and query.ACCESS_LEVELS is ACCESS_LEVELS
    with pytest.raises(ValueError):
        Principal(access_levels=frozenset({"tối mật"}))


def test_public_records_are_public_and_unmarked(grid):
    with grid.session() as s:
        s.add(Record(id="marked", access_level="public", security_level="Mật", fonds_id="f-a"))
    with grid.session() as s:
        ids = set(s.execute(sa.select(Record.id).where(access.public_records())).scalars())
        rows = s.execute(sa.select(Record)).scalars().all()
    assert "marked" not in ids
    assert ids == {r.id for r in rows if access.is_public(r)}
    assert ids and all(r.access_level == "public" for r in rows if r.id in ids)

"""What people type resolves to the row it names, or to a clear error — never to a guess.

On SQLite and PostgreSQL: ids, short ids, mã hồ sơ (any case), mã định danh and names of fonds,
số và ký hiệu of records (unique or ambiguous), and arbitrary text (Hypothesis)."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archive import identifiers
from archive.domain import RecordMetadata

ORGAN = "000.00.00.H26"


@pytest.fixture
def holdings(archive_service):
    """A fonds, two dossiers and three records, two of which share a số ký hiệu (two agencies may
    number alike; the catalogue keeps both)."""
    fonds = archive_service.ensure_fonds(ORGAN, "Ủy ban nhân dân tỉnh Hà Nam")
    d1 = archive_service.create_dossier(organ_id=ORGAN, year=2012, notation="03.VP", title="Hồ sơ văn phòng 2012")
    d2 = archive_service.create_dossier(organ_id=ORGAN, year=2013, notation="01.TCCB", title="Hồ sơ tổ chức 2013")

    def rec(n: int, number: str, notation: str, dossier: str | None) -> str:
        return archive_service.create_record(
            io.BytesIO(f"%PDF-1.4 văn bản {n}".encode()), filename=f"{n}.pdf", actor="test", dossier_id=dossier,
            metadata=RecordMetadata(code_number=number, code_notation=notation, subject=f"Trích yếu {n}")).record_id

    r1 = rec(1, "45", "QĐ-UBND", d1)
    r2 = rec(2, "12", "CV-VP", d1)
    r3 = rec(3, "12", "CV-VP", d2)
    return {"fonds": fonds, "d1": d1, "d2": d2, "r1": r1, "r2": r2, "r3": r3}


def resolve(catalogue, kind, ref):
    with catalogue.session() as s:
        return identifiers.resolve_id(s, kind, ref)


def test_ids_short_ids_and_codes(catalogue, holdings):
    h = holdings
    assert resolve(catalogue, "dossier", h["d1"]) == h["d1"]
    assert resolve(catalogue, "dossier", h["d1"][:8]) == h["d1"]
    assert resolve(catalogue, "dossier", f"{ORGAN}.2012.03.VP") == h["d1"]
    assert resolve(catalogue, "dossier", f"  {ORGAN}.2013.01.tccb ") == h["d2"]  # as typed: spaces, lower case
    assert resolve(catalogue, "fonds", ORGAN) == h["fonds"]
    assert resolve(catalogue, "fonds", "ủy ban nhân dân tỉnh hà nam") == h["fonds"]
    assert resolve(catalogue, "record", "45/QĐ-UBND") == h["r1"]
    assert resolve(catalogue, "record", "45/qđ-ubnd") == h["r1"]
    assert resolve(catalogue, "record", h["r2"][:12]) == h["r2"]


def test_unknown_references_are_refused(catalogue, holdings):
    for kind, ref in (("dossier", "khong-ton-tai"), ("dossier", f"{ORGAN}.2012.99.VP"), ("record", "999/QĐ-UBND"),
                      ("fonds", "000.00.00.H99"), ("record", "0000000"), ("batch", "12345678"), ("record", "")):
        with pytest.raises(identifiers.ReferenceNotFound) as err:
            resolve(catalogue, kind, ref)
        assert "Không tìm thấy" in err.value.message_vi


def test_a_shared_so_ky_hieu_lists_the_candidates(catalogue, holdings):
    with pytest.raises(identifiers.AmbiguousReference) as err:
        resolve(catalogue, "record", "12/CV-VP")
    assert {c["id"] for c in err.value.candidates} == {holdings["r2"], holdings["r3"]}
    assert holdings["r2"] in err.value.message_vi and "12/CV-VP" in err.value.message_vi


def test_a_list_with_one_typo_resolves_nothing(catalogue, holdings):
    with catalogue.session() as s, pytest.raises(identifiers.ReferenceNotFound) as err:
        identifiers.resolve_ids(s, "dossier", [holdings["d1"], "000.00.00.H26.2012.3.VP"])
    assert err.value.refs == ["000.00.00.H26.2012.3.VP"]
    with catalogue.session() as s:
        assert identifiers.resolve_ids(s, "dossier", [holdings["d1"], f"{ORGAN}.2012.03.VP"]) == [holdings["d1"]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ref=st.one_of(st.text(max_size=300), st.from_regex(r"[0-9a-f-]{6,40}", fullmatch=True),
                     st.from_regex(r"\d{1,5}/[A-ZĐ]{1,4}-[A-ZĐ]{1,6}", fullmatch=True)),
       kind=st.sampled_from(["record", "dossier", "fonds", "batch"]))
@example(ref="0\x00", kind="record")  # PostgreSQL refuses NUL in text: a DataError, once a 500
@example(ref="01/QĐ-UBND\x00", kind="dossier")
def test_any_text_resolves_or_fails_cleanly(catalogue, holdings, ref, kind):
    try:
        row_id = resolve(catalogue, kind, ref)
    except (identifiers.ReferenceNotFound, identifiers.AmbiguousReference):
        return
    assert row_id in holdings.values()

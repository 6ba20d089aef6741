"""Property tests of the package writer and parsers (``archive.packages``): whatever the metadata,
a written package passes the checker and reads back the same values; whatever the bytes, the
parsers answer with a value or their own error, never a crash; the code tables map both ways."""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.errors import IntegrityError
from archive.packages import codes
from archive.packages import xml as X
from archive.packages.builder import PackageBuilder, PackagePlan, PlannedDocument, PlannedFile
from archive.packages.reader import read_package
from archive.packages.zipsafe import UnsafeZip, ZipLimits, unpack

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")) | st.sampled_from(
    "ăâđêôơưĂÂĐÊÔƠƯàảãáạằẳẵắặầẩẫấậ&<>\"'"), min_size=1, max_size=80).map(str.strip).filter(bool)


def _plan(docs: list[tuple[bytes, dict]], title: str, kind: str = "aip-hoso") -> PackagePlan:
    planned = []
    for n, (data, dc) in enumerate(docs, 1):
        planned.append(PlannedDocument(
            original=PlannedFile(name=f"000.00.00.H26.2024.01.VP.{n:07d}.pdf", open=lambda d=data: io.BytesIO(d),
                                 sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                                 media_type="application/pdf", original_name=f"vb{n}.pdf"),
            simpledc=dc))
    dossier = {"arcFileCode": "000.00.00.H26.000.00.00.H26.2024.01.VP", "title": title, "maintenance": "01",
               "mode": "01", "language": "01", "startDate": "01/01/2024", "endDate": "31/12/2024",
               "totalDoc": str(len(docs)), "numberOfPage": "1", "confidenceLevel": "01", "riskRecovery": "0"}
    return PackagePlan(kind=kind, package_uuid=uuid.uuid4(), fonds_code="000.00.00.H26", label=title,
                       dossier_simpledc=dossier, documents=planned, creator_name="Sở Nội vụ",
                       creator_code="000.00.00.H26", archivist_name="Lưu trữ lịch sử", archivist_code="000.00.00.H26",
                       created=datetime(2026, 12, 6, 4, 0, tzinfo=UTC), software="luutru", version="test")


def _doc(subject: str, organ: str, n: int) -> dict:
    return {"docId": f"D{n}", "arcDocCode": f"000.00.00.H26.000.00.00.H26.2024.01.VP.{n:07d}", "maintenance": "01",
            "typeName": "22", "issuedDate": "02/01/2024", "organName": organ, "subject": subject, "language": "01",
            "numberOfPage": "1", "mode": "01", "riskRecovery": "0"}


def _write_and_read(plan: PackagePlan, tmp: Path):
    buf = io.BytesIO()
    PackageBuilder(plan, buf).build()
    dest = tmp / uuid.uuid4().hex
    dest.mkdir()
    unpack(io.BytesIO(buf.getvalue()), dest, ZipLimits())
    return read_package(dest), buf.getvalue()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TEXT, docs=st.lists(st.tuples(st.binary(min_size=0, max_size=300), TEXT, TEXT), min_size=1, max_size=4,
                                 unique_by=lambda t: t[0]))
def test_a_written_package_passes_the_checker_and_reads_back(tmp_path, title, docs):
    plan = _plan([(data, _doc(subject, organ, n)) for n, (data, subject, organ) in enumerate(docs, 1)], title)
    report, _ = _write_and_read(plan, tmp_path)
    assert report.ok, [p.message_en for p in report.problems]
    assert report.dossier["title"] == title
    assert [d.simpledc["subject"] for d in report.documents] == [s for _, s, _ in docs]
    assert [d.sha256 for d in report.documents] == [hashlib.sha256(d).hexdigest() for d, _, _ in docs]
    assert report.objid == plan.objid


def test_an_original_whose_bytes_changed_is_not_packaged(tmp_path):
    plan = _plan([(b"%PDF original", _doc("Trích yếu", "Cơ quan", 1))], "Hồ sơ")
    plan.documents[0].original.open = lambda: io.BytesIO(b"%PDF 0riginal")  # same size, other bytes
    with pytest.raises(IntegrityError) as exc:
        PackageBuilder(plan, io.BytesIO()).build()
    assert "không còn nguyên vẹn" in exc.value.message_vi


def test_the_builder_output_is_schema_valid_mets(tmp_path):
    """Both METS files of a written package validate against METS 1.12 + the CSIP extension, and the
    DIP carries the DIP profile and OBJID form."""
    for kind in ("aip-hoso", "aip-tailieu", "dip", "sip-hoso"):
        plan = _plan([(b"%PDF x", _doc("Trích yếu", "Cơ quan", 1))], "Hồ sơ thử", kind=kind)
        buf = io.BytesIO()
        PackageBuilder(plan, buf).build()
        zf = zipfile.ZipFile(buf)
        for name in (f"{plan.folder}/METS.xml", f"{plan.folder}/representations/rep1/METS.xml"):
            root = X.parse(zf.read(name))
            assert X.validate("mets", root) == [], (kind, name)
        root = X.parse(zf.read(f"{plan.folder}/METS.xml"))
        assert root.get("TYPE") == {"aip-tailieu": "Collection"}.get(kind, "Mixed")
        assert root.get("OBJID").startswith("urn:" if kind.startswith("aip") else "uuid-")
        assert (root.find(X.q("amdSec")) is None) == (kind == "sip-hoso")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
def test_simpledc_parser_takes_any_bytes(data):
    try:
        out = X.read_simpledc(data)
    except X.XMLError:
        return
    assert isinstance(out, dict)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_vn_date_parser_takes_any_text(text):
    try:
        d = codes.parse_vn_date(text)
    except ValueError:
        return
    assert d is None or isinstance(d, date)


@given(st.dates(min_value=date(1000, 1, 1)))
def test_vn_dates_round_trip(d):
    assert codes.parse_vn_date(codes.vn_date(d)) == d


def test_code_tables_map_both_ways():
    for code in (f"{i:02d}" for i in range(1, 32)):
        assert codes.type_code(codes.type_label(code)) == code
    assert codes.type_code("Luật") == "32" and codes.type_code(None) == "32"
    assert codes.type_code("Quyết định (cá biệt)") == "02"
    for access in ("public", "internal", "restricted"):
        assert codes.access_of_mode(codes.mode_code(access)) == access
    for lang in ("vi", "en", "fr"):
        assert codes.language_of(codes.language_code(lang)) == lang
    assert codes.maintenance_code(permanent=True, years=None) == "01"
    assert codes.maintenance_code(permanent=False, years=10) == "06"
    assert codes.maintenance_code(permanent=False, years=15) == "07"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_the_checker_reports_any_damage_and_never_crashes(tmp_path, data):
    """GIVEN a valid package WHEN one of its files has bytes flipped, cut or replaced THEN the
    checker returns a report, never an exception, and a problem for every file a checksum covers.
    The root METS.xml is covered by none (CSIP lists every file but itself): a change that leaves
    it well-formed, valid and consistent — a letter of a label — is not damage the checker can see."""
    plan = _plan([(b"%PDF one", _doc("Một", "Cơ quan", 1)), (b"%PDF two", _doc("Hai", "Cơ quan", 2))], "Hồ sơ")
    buf = io.BytesIO()
    PackageBuilder(plan, buf).build()
    zf = zipfile.ZipFile(buf)
    names = [n for n in zf.namelist() if not n.endswith(".xsd")]
    victim = data.draw(st.sampled_from(names))
    original = zf.read(victim)
    how = data.draw(st.sampled_from(["flip", "cut", "replace"]))
    if how == "flip" and original:
        i = data.draw(st.integers(0, len(original) - 1))
        changed = original[:i] + bytes([original[i] ^ 0x41]) + original[i + 1:]
    elif how == "cut":
        changed = original[: data.draw(st.integers(0, max(len(original) - 1, 0)))]
    else:
        changed = data.draw(st.binary(max_size=200))
    if changed == original:
        return
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n in zf.namelist():
            z.writestr(n, changed if n == victim else zf.read(n))
    dest = tmp_path / uuid.uuid4().hex
    dest.mkdir()
    try:
        unpack(io.BytesIO(out.getvalue()), dest, ZipLimits())
    except UnsafeZip:
        return
    report = read_package(dest)
    if victim.count("/") > 1 or not victim.endswith("METS.xml"):
        assert not report.ok, victim


def test_a_document_without_its_required_fields_is_refused(tmp_path):
    """GIVEN a package whose METS and checksums are right but whose document record lacks
    subject and organName THEN the checker names both (the record is written, then checksummed,
    so only the field rule can catch it)."""
    doc = _doc("Trích yếu", "Cơ quan", 1)
    doc["subject"], doc["organName"] = "", None
    report, _ = _write_and_read(_plan([(b"%PDF a", doc)], "Hồ sơ"), tmp_path)
    problems = [p for p in report.problems if p.code == "missing_field"]
    assert len(problems) == 1 and "subject" in problems[0].message_en and "organName" in problems[0].message_en


def test_a_sip_reads_with_its_codes_mapped(tmp_path):
    """GIVEN a SIP_hoso (no PREMIS, fileCode/docCode, a SUBMISSIONAGREEMENT altRecordID) THEN the
    checker accepts it and reads docCode as arcDocCode."""
    doc = _doc("Trích yếu", "Cơ quan", 1)
    plan = _plan([(b"%PDF sip", doc)], "Hồ sơ giao nộp", kind="sip-hoso")
    plan.dossier_simpledc["fileCode"] = "000.00.00.H26.2024.01.VP"
    doc["docCode"] = "000.00.00.H26.2024.01.VP.0000001"
    report, raw = _write_and_read(plan, tmp_path)
    assert report.ok, [p.message_en for p in report.problems]
    assert report.oais_type == "SIP" and report.objid.startswith("uuid-")
    assert report.dossier["arcFileCode"] == "000.00.00.H26.2024.01.VP"
    assert report.documents[0].simpledc["arcDocCode"] == "000.00.00.H26.2024.01.VP.0000001"
    names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
    assert not any("PREMIS" in n for n in names)
    mets = X.parse(zipfile.ZipFile(io.BytesIO(raw)).read(f"{plan.folder}/METS.xml"))
    assert mets.find(f"{X.q('metsHdr')}/{X.q('altRecordID')}").get("TYPE") == "SUBMISSIONAGREEMENT"

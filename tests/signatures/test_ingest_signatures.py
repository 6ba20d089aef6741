"""End to end: a folder of signed PDFs through ``api.wiring.build_ingest`` — signature verdicts in
the record, an archive timestamp for every original, a B-LTA copy, ``verify`` reproducing the
verdict offline after the signer's certificate expired, and renewal extending the chain."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.signature_wiring import renew_all, trust_roots_for, tsa_roots_for
from api.wiring import build_ingest, build_services, get_settings
from archive.timestamping import load_chain, verify_chain
from ingest.pipeline import SourceFile
from ingest.signatures.ltv import verify_record
from ingest.signatures.report import SUMMARY_FIELDS

runner = CliRunner()


@pytest.fixture
def signed_folder(tmp_path, pki, make_pdf_fn, edits):
    folder = tmp_path / "inbox"
    folder.mkdir()
    person = pki.sign(make_pdf_fn("Quyết định số 1"), pki.person, field_name="NguoiKy")
    (folder / "ca-nhan-va-co-quan.pdf").write_bytes(pki.sign(person, pki.agency, field_name="CoQuan"))
    (folder / "chi-ca-nhan.pdf").write_bytes(pki.sign(make_pdf_fn("Công văn số 2"), pki.person))
    (folder / "bi-sua.pdf").write_bytes(edits.replace_content(pki.sign(make_pdf_fn("Tờ trình 3"), pki.person)))
    (folder / "khong-ky.pdf").write_bytes(make_pdf_fn("Thông báo 4"))
    (folder / "ghi-chu.txt").write_text("Văn bản không phải PDF", encoding="utf-8")
    return folder


@pytest.fixture
def services(data_dir, pki, monkeypatch):
    monkeypatch.setenv("LUUTRU_SIGNATURES__TRUST_DIR", str(pki.trust_dir))
    get_settings.cache_clear()
    svc = build_services(get_settings())
    yield svc
    svc.close()
    get_settings.cache_clear()


def test_signed_folder_is_archived_with_verdicts_timestamps_and_ltv_copies(services, signed_folder, pki):
    ingest = build_ingest(services, workers=2)
    sources = [SourceFile(path=p, submit_name=p.name) for p in sorted(signed_folder.iterdir())]
    outcomes = {s.path.name: o for s, o in ingest.run_many(sources)}
    assert {o.outcome for o in outcomes.values()} == {"ingested"}, outcomes
    # LTV copies are background work: left in the outbox by the ingest, made after the batch.
    assert services.archive.counts()["pending_post_commit"] > 0
    done, failed = services.archive.run_pending_tasks()
    assert done > 0 and failed == 0
    rec = {name: services.archive.get_record(o.record_id, actor="test") for name, o in outcomes.items()}

    both = rec["ca-nhan-va-co-quan.pdf"]
    assert [(s["field"], s["status"], s["reason"], s["timestamped"]) for s in both["signatures"]] == [
        ("NguoiKy", "VALID", None, True), ("CoQuan", "VALID", None, True)]
    assert tuple(both["signatures"][0]) == SUMMARY_FIELDS
    assert [(s["intact"], s["modification_level"], s["modifications_permitted"]) for s in both["signatures"]] == [
        (True, "form_filling", True), (True, "none", True)]
    assert both["extra"]["signature_findings"] == []
    assert rec["chi-ca-nhan.pdf"]["extra"]["signature_findings"] == ["missing_agency_signature"]
    assert [(s["status"], s["reason"], s["intact"], s["modification_level"], s["indication"])
            for s in rec["bi-sua.pdf"]["signatures"]] == [
        ("INVALID", "modified_after_signing", True, "not_allowed", "TOTAL-FAILED")]
    assert rec["khong-ky.pdf"]["signatures"] == [] and rec["ghi-chu.txt"]["signatures"] == []

    for name, r in rec.items():
        roles = [c["role"] for c in r["components"]]
        assert roles.count("timestamp") == 1, name
        signed = name != "khong-ky.pdf" and name.endswith(".pdf")
        assert ("signature_report" in roles) is signed, name
        assert ("ltv_copy" in roles) is signed, name
        original, chain = load_chain(services.archive, r["id"])
        assert verify_chain([t for _, t in chain], original, trust_roots=tsa_roots_for(services.settings)).ok

    # the task delivered a second time (a Celery retry, another pass) makes no second copy
    from api.signature_wiring import ltv_task

    ltv_task(services)(both["id"])
    again = services.archive.get_record(both["id"], actor="test")
    assert [c["role"] for c in again["components"]].count("ltv_copy") == 1

    # the B-LTA copy validates too, and the original is byte-for-byte unchanged
    _info, reader = services.archive.open_component(both["id"], role="ltv_copy", actor="test")
    ltv = reader.read()
    assert ltv.startswith(b"%PDF") and b"/DSS" in ltv and b"/DocTimeStamp" in ltv
    from ingest.formats import SiegfriedIdentifier

    if SiegfriedIdentifier.find("sf", None) is not None:  # installed by .ci/run: every component has its PUID
        missing = [(c["role"], c["media_type"]) for c in both["components"] if not c["format_id"]]
        assert missing == [], missing
        assert next(c for c in both["components"] if c["role"] == "ltv_copy")["format_id"].startswith("fmt/")
    elif os.environ.get("CI") == "true":
        pytest.fail("Siegfried is required under CI (.ci/run installs it)")


def test_verify_reproduces_the_verdict_offline_after_expiry_and_renewal_extends_the_chain(
        services, signed_folder, pki):
    ingest = build_ingest(services, workers=1)
    path = signed_folder / "ca-nhan-va-co-quan.pdf"
    outcome = ingest.run(SourceFile(path=path, submit_name=path.name))
    later = pki.now + timedelta(days=2 * 365)
    assert pki.person.cert.not_valid_after_utc < later and pki.agency.cert.not_valid_after_utc < later
    s = services.settings
    result = verify_record(services.archive, outcome.record_id, trust_roots=trust_roots_for(s),
                           tsa_roots=tsa_roots_for(s), at=later)
    assert result["matches_ingest"] and result["overall"] == "VALID"
    assert result["archive_timestamp"]["ok"]

    report = renew_all(services, horizon_days=20 * 365)  # every chain is "due" with a 20-year horizon
    assert outcome.record_id in report["renewed"] and report["tsa_rotated"]
    original, chain = load_chain(services.archive, outcome.record_id)
    assert len(chain) == 2
    assert verify_chain([t for _, t in chain], original, trust_roots=tsa_roots_for(s)).ok


def test_cli_show_and_verify(services, signed_folder):
    path = signed_folder / "chi-ca-nhan.pdf"
    outcome = build_ingest(services, workers=1).run(SourceFile(path=path, submit_name=path.name))
    shown = runner.invoke(app, ["show", outcome.record_id, "--json"])
    assert shown.exit_code == 0, shown.output
    sigs = json.loads(shown.output)["signatures"]
    assert [(x["status"], x["signer"], x["organisation"], x["intact"], x["modification_level"]) for x in sigs] == [
        ("VALID", "Nguyễn Văn An", "UBND tỉnh Thử Nghiệm", True, "none")]
    table = runner.invoke(app, ["verify", outcome.record_id], env={"COLUMNS": "250"})
    assert table.exit_code == 0, table.output
    assert "Toàn vẹn" in table.output and "Thay đổi sau ký" in table.output
    verified = runner.invoke(app, ["verify", outcome.record_id, "--json", "--at", "2099-01-01T00:00:00+07:00"])
    data = json.loads(verified.output)
    assert data["signatures"] == sigs and data["matches_ingest"]
    # in 2099 the archive TSA certificate of this (never renewed) chain has long expired
    assert verified.exit_code == 1 and not data["archive_timestamp"]["ok"]
    renewed = runner.invoke(app, ["timestamps", "renew", "--json"])
    assert renewed.exit_code == 0, renewed.output
    assert json.loads(renewed.output)["checked"] == 1


def test_init_creates_the_archive_tsa(data_dir):
    get_settings.cache_clear()
    result = runner.invoke(app, ["init"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert (data_dir / "keys" / "tsa" / "tsa.key").stat().st_mode & 0o077 == 0
    assert (data_dir / "trust").is_dir()


def test_signature_fields_are_searchable(services, signed_folder, pki):
    from search.query import Principal, SearchQuery

    ingest = build_ingest(services, workers=1)
    sources = [SourceFile(path=p, submit_name=p.name) for p in sorted(signed_folder.iterdir())]
    ids = {s.path.name: o.record_id for s, o in ingest.run_many(sources)}
    backend = services.search_backend
    backend.refresh()

    def found(**query) -> set[str]:
        page = backend.search(SearchQuery(size=50, **query), Principal.admin())
        return {h.record_id for h in page.hits}

    assert found(signature_statuses=("invalid",)) == {ids["bi-sua.pdf"]}
    assert found(signature_statuses=("valid",)) == {ids["ca-nhan-va-co-quan.pdf"], ids["chi-ca-nhan.pdf"]}
    assert found(signature_statuses=("unsigned",)) == {ids["khong-ky.pdf"], ids["ghi-chu.txt"]}
    signer = services.archive.get_record(ids["chi-ca-nhan.pdf"], actor="test")["signatures"][0]["signer"]
    assert signer and ids["chi-ca-nhan.pdf"] in found(q=f'"{signer}"')


def test_verify_matches_a_verdict_stored_by_an_earlier_version(services, signed_folder):
    """GIVEN a record whose stored summaries have the earlier shape (no kind, indication,
    modification level) WHEN it is verified THEN the verdict matches on the fields they have; a
    stored verdict that differs does not match."""
    from archive.catalogue.models import Record

    path = signed_folder / "chi-ca-nhan.pdf"
    outcome = build_ingest(services, workers=1).run(SourceFile(path=path, submit_name=path.name))
    old_keys = ("field", "status", "intact", "reason", "signer", "organisation", "signing_time", "timestamped")
    s = services.settings

    def verify_with(summaries):
        with services.archive.catalogue.session() as session:
            rec = session.get(Record, outcome.record_id)
            rec.extra = {**rec.extra, "signatures": summaries}
        return verify_record(services.archive, outcome.record_id, trust_roots=trust_roots_for(s),
                             tsa_roots=tsa_roots_for(s))

    stored = services.archive.get_record(outcome.record_id, actor="test")["signatures"]
    old = [{k: sig[k] for k in old_keys} for sig in stored]
    assert verify_with(old)["matches_ingest"]
    assert not verify_with([{**old[0], "status": "INVALID"}])["matches_ingest"]

"""The same bad declared value is refused the same way by every entry point (issue 20, a typed
ingest contract): ``luutru ingest --set`` (the CLI, in-process), ``POST /api/v1/records`` (the
HTTP deposit, multipart), the web deposit form, and the worker that ingests a staged deposit
(``api.deposits.run_staged``, the body of the Celery task ``luutru.ingest_staged``) — one code,
``invalid_metadata``, and one Vietnamese message, from ``ingest.declared.DeclaredMetadata``."""

from __future__ import annotations

import io
import json

import pytest
from apienv import PASSWORD

from api import deposits
from api.wiring import build_ingest
from archive.staging import DepositStaging

BAD = [
    ("issued_date", "31/02/2026"),
    ("access_level", "tuyệt mật"),
    ("urgency", "rất gấp"),
    ("signer_name", "Nguyễn\u202eVăn A"),
    ("so_ky_hieu", "12/UBND-VP"),
]


def _through_cli(cli, pdf_path, field, value) -> dict:
    run = cli.as_user(None)  # refused before any account or archive is needed
    result = run("ingest", str(pdf_path), "--set", f"{field}={value}", "--json")
    assert result.exit_code == 2, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith("{"))
    return json.loads(line)


def _through_http(api, pdf, field, value) -> dict:
    r = api.post("quantri", "/api/v1/records", files={"file": ("tờ trình.pdf", pdf, "application/pdf")},
                 data={field: value, "type_name": "Tờ trình"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    body = r.json()
    return {"code": body["code"], "message_vi": body["detail_vi"], "message_en": body["detail"]}


def _through_worker(api, pdf, field, value) -> dict:
    services = api.services
    staging = DepositStaging(services.store)
    job = staging.stage(io.BytesIO(pdf), size=len(pdf), manifest={
        "submit_name": "tờ trình.pdf", "submitter": "user:quantri", "declared": {field: value, "type_name": "Tờ trình"},
        "dossier_code": None, "source": "api"})
    result = deposits.run_staged(services, build_ingest(services, workers=1), job["job_id"])
    assert result is not None and result["outcome"] == "rejected" and result["record_id"] is None
    assert staging.get(job["job_id"]) is None  # the job is over …
    assert result["quarantine"]  # … and the file is kept, with what was declared, to be released
    entry = json.loads(next(p for p in __import__("pathlib").Path(result["quarantine"]).glob("reason.json"))
                       .read_text(encoding="utf-8"))
    assert entry["declared"][field] == value
    return {k: result[k] for k in ("code", "message_vi", "message_en")}


@pytest.mark.parametrize(("field", "value"), BAD, ids=[f for f, _ in BAD])
def test_cli_http_and_worker_refuse_the_same_value_with_the_same_error(api, cli, sample_pdfs, tmp_path, field, value):
    pdf = sample_pdfs[0][1]
    path = tmp_path / "tờ trình.pdf"
    path.write_bytes(pdf)
    before = api.services.archive.counts()["records"]

    by_cli = _through_cli(cli, path, field, value)
    by_http = _through_http(api, pdf, field, value)
    by_worker = _through_worker(api, pdf, field, value)

    assert by_cli["outcome"] == "refused"
    assert by_cli["code"] == by_http["code"] == by_worker["code"] == "invalid_metadata"
    assert by_cli["message_vi"] == by_http["message_vi"] == by_worker["message_vi"]
    assert by_cli["message_en"] == by_http["message_en"] == by_worker["message_en"]
    assert by_http["message_vi"].startswith("Siêu dữ liệu khai báo không hợp lệ: ")
    assert f"({field})" in by_http["message_vi"] or f"«{field}»" in by_http["message_vi"]
    assert api.services.archive.counts()["records"] == before  # nothing archived with a bad value


def test_good_declared_values_reach_the_record_through_http(api, sample_pdfs):
    """Values people type (dd/mm/yyyy, «Công khai», «hoả tốc») are stored canonical."""
    r = api.post("quantri", "/api/v1/records", files={"file": ("a.pdf", sample_pdfs[1][1], "application/pdf")},
                 data={"issued_date": "05/03/2026", "access_level": "Công khai", "urgency": "hoả tốc"})
    assert r.status_code == 201, r.text
    rec = api.services.archive.get_record(r.json()["record_id"], actor="test")
    assert (str(rec["issued_date"]), rec["access_level"], rec["urgency"]) == ("2026-03-05", "public", "HỎA TỐC")


def test_good_declared_values_reach_the_record_through_the_cli(cli, sample_pdfs, tmp_path):
    """``--metadata FILE`` then ``--set`` (which wins), checked and stored like the HTTP form's."""
    assert cli("init").exit_code == 0
    path = tmp_path / "b.pdf"
    path.write_bytes(sample_pdfs[2][1])
    meta = tmp_path / "khai-bao.json"
    meta.write_text(json.dumps({"issued_date": "2026-03-05", "access_level": "internal", "urgency": "KHẨN",
                                "subject": "Về việc tổng kết công tác năm 2025"}), encoding="utf-8")
    out = cli("ingest", str(path), "--metadata", str(meta), "--set", "access_level=công khai", "--set",
              "urgency=hoả tốc", "--json")
    assert out.exit_code == 0, out.output
    row = json.loads(next(x for x in out.stdout.splitlines() if x.startswith("{")))
    assert row["outcome"] == "ingested", row
    shown = json.loads(cli("show", row["record_id"], "--json").stdout)
    assert (shown["issued_date"], shown["access_level"], shown["urgency"], shown["subject"]) == (
        "2026-03-05", "public", "HỎA TỐC", "Về việc tổng kết công tác năm 2025")


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"issued_date": "32/01/2026"}'])
def test_a_bad_metadata_file_touches_no_file(cli, tmp_path, content):
    path = tmp_path / "c.pdf"
    path.write_bytes(b"%PDF-1.4 whatever")
    meta = tmp_path / "khai-bao.json"
    meta.write_text(content, encoding="utf-8")
    out = cli.as_user(None)("ingest", str(path), "--metadata", str(meta))
    assert out.exit_code == 2 and "Siêu dữ liệu khai báo không hợp lệ" in out.output
    assert path.exists() and not (tmp_path / "data" / "quarantine").exists()


# the quarantine's release takes the same values the same way (luutru quarantine release --set,
# POST /api/v1/quarantine/{id}/release): ingest.declared.assignments, then the deposit's check

RELEASE_BAD = [*BAD, ("Issued-Date", "31/02/2026"), ("URGENCY", "rất gấp")]
AS_ARCHIVIST = {"LUUTRU_USER": "luutruvien", "LUUTRU_PASSWORD": PASSWORD}
"""The ``api`` fixture's archivist (its password), for the CLI run in the same archive."""


def _quarantined(api, pdf: bytes, tmp_path) -> str:
    from pathlib import Path

    from api.http.routes.records import _ingest_service
    from ingest.pipeline import SourceFile

    path = tmp_path / "cách ly.pdf"
    path.write_bytes(pdf)
    outcome = _ingest_service(api.services).run(SourceFile(path=path, submitter="user:luutruvien",
                                                           dossier_code="KHONG-CO"))
    assert outcome.outcome == "rejected", outcome
    return Path(outcome.quarantine).name


def _release_through_cli(cli, entry: str, *pairs: str) -> tuple[dict, str]:
    args = [a for pair in pairs for a in ("--set", pair)]
    result = cli.as_user(None)("quarantine", "release", entry, *args, "--json", env=AS_ARCHIVIST)
    assert result.exit_code == 2, result.output
    line = next((x for x in result.stdout.splitlines() if x.startswith("{")), None)
    assert line is not None, result.output
    return json.loads(line), result.output


@pytest.mark.parametrize(("field", "value"), RELEASE_BAD, ids=[f for f, _ in RELEASE_BAD])
def test_a_quarantine_release_refuses_a_bad_value_as_the_deposit_does(api, cli, sample_pdfs, tmp_path, field, value):
    """GIVEN a quarantined file WHEN it is released with a bad value THEN ``luutru quarantine release
    --set`` says what ``luutru ingest --set`` says for the same pair (code ``invalid_metadata``, the
    same Vietnamese message; ``FIELD`` read the same way: any case, ``-`` for ``_``), the HTTP
    release what the HTTP deposit says, and the entry is unchanged."""
    pdf = sample_pdfs[0][1]
    path = tmp_path / "tờ trình.pdf"
    path.write_bytes(pdf)
    entry = _quarantined(api, pdf, tmp_path)
    before = api.get("luutruvien", f"/api/v1/quarantine/{entry}").json()

    by_ingest = _through_cli(cli, path, field, value)
    by_release, output = _release_through_cli(cli, entry, f"{field}={value}")
    assert by_ingest["message_vi"] in output  # what a person reads in the terminal
    assert by_release == by_ingest
    assert by_release["code"] == "invalid_metadata"
    if field in BAD_FIELDS:
        by_deposit = _through_http(api, pdf, field, value)
        r = api.post("luutruvien", f"/api/v1/quarantine/{entry}/release", json={"declared": {field: value}})
        assert r.status_code == 422, r.text
        assert (r.json()["code"], r.json()["detail_vi"]) == (by_deposit["code"], by_deposit["message_vi"])
        assert by_deposit["message_vi"] == by_release["message_vi"]
    assert api.get("luutruvien", f"/api/v1/quarantine/{entry}").json() == before


BAD_FIELDS = {f for f, _ in BAD}


def test_a_release_pair_without_equals_is_refused_as_by_ingest(api, cli, sample_pdfs, tmp_path):
    pdf = sample_pdfs[1][1]
    path = tmp_path / "b.pdf"
    path.write_bytes(pdf)
    entry = _quarantined(api, pdf, tmp_path)
    ingest = cli.as_user(None)("ingest", str(path), "--set", "subject", "--json")
    assert ingest.exit_code == 2
    by_ingest = json.loads(next(x for x in ingest.stdout.splitlines() if x.startswith("{")))
    by_release, _ = _release_through_cli(cli, entry, "subject")
    assert by_release == by_ingest and by_release["message_vi"].startswith("Siêu dữ liệu khai báo không hợp lệ")


def test_a_release_reads_field_names_as_ingest_does(api, cli, sample_pdfs, tmp_path):
    """``--set Access-Level=Nội bộ`` works for a release as for ``luutru ingest``."""
    entry = _quarantined(api, sample_pdfs[2][1], tmp_path)
    result = cli.as_user(None)("quarantine", "release", entry, "--dossier", "", "--set", "Access-Level=Nội bộ",
                               "--set", "Issued-Date=05/03/2026", "--json", env=AS_ARCHIVIST)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    rec = api.services.archive.get_record(out["record_id"], actor="test")
    assert (rec["access_level"], str(rec["issued_date"])) == ("internal", "2026-03-05")

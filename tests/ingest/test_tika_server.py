"""The Tika server adapter: error paths against a mocked HTTP server, then the live server of
``TIKA_URL`` (tests/servers/start) on the format set (DOCX, ODT, XLSX, HTML, e-mail, images, PDF)
and the corpus's hostile set, with its time and size limits. The live tests are required under
CI=true and skip elsewhere when no server is configured."""

from __future__ import annotations

import io
import json
import os
import socket
from pathlib import Path

import pytest
import requests
import responses
from services import service_unavailable

from ingest.extract.base import ExtractionFailed
from ingest.extract.tika import TikaServerExtractor
from kit import corpus

URL = "http://tika.test:9998"
RMETA = f"{URL}/rmeta/text"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def html(tmp_path):
    page = tmp_path / "tb.html"
    page.write_text("<html><body><p>Thông báo kết luận của Chủ tịch UBND thành phố</p></body></html>",
                    encoding="utf-8")
    return page


# error paths, mocked ---------------------------------------------------------------------------------
@responses.activate
def test_parsed_text_and_metadata(html):
    responses.put(RMETA, json=[{"Content-Type": "text/html; charset=UTF-8", "X-TIKA:Parsed-By": ["a", "b"],
                                "X-TIKA:content": "Thông báo kết luận của Chủ tịch UBND thành phố"}])
    result = TikaServerExtractor(URL).extract(html, "text/html")
    assert result.text.strip() == "Thông báo kết luận của Chủ tịch UBND thành phố"
    assert result.media_type == "text/html" and result.extractor == "tika-server"
    assert "X-TIKA:Parsed-By" not in result.metadata and not result.warnings
    sent = responses.calls[0].request.headers
    assert (sent["writeLimit"], sent["maxEmbeddedResources"], sent["Content-Type"]) == (
        "20000000", "1000", "text/html")


@responses.activate
def test_text_of_embedded_documents_follows_the_container(html):
    responses.put(RMETA, json=[{"Content-Type": "message/rfc822", "X-TIKA:content": "Thư: xem tệp đính kèm. "},
                               {"Content-Type": "application/pdf", "X-TIKA:content": "Quyết định số 12"},
                               {"Content-Type": "image/png", "X-TIKA:EXCEPTION:embedded_exception": "boom"}])
    result = TikaServerExtractor(URL).extract(html, "message/rfc822")
    assert result.text == "Thư: xem tệp đính kèm. Quyết định số 12"
    assert result.media_type == "message/rfc822"
    assert result.warnings == ["1 embedded document(s) could not be read"]


@pytest.mark.parametrize("trace,code", [
    ("org.apache.tika.exception.EncryptedDocumentException: Unable to process: document is encrypted", "encrypted"),
    ("org.apache.poi.util.RecordFormatException: Tried to allocate an array of length 1,107,296,470", "resource_limit"),
    ("java.lang.StackOverflowError\n\tat org.apache.pdfbox...", "resource_limit"),
    ("java.io.IOException: Missing root object specification in trailer.", "corrupt"),
    ("org.apache.tika.exception.ZeroByteFileException: InputStream must have > 0 bytes", "empty_file"),
])
@responses.activate
def test_a_failed_parse_is_an_answer_of_200_with_the_exception(html, trace, code):
    """The server's /rmeta answers 200 when the parse fails, the exception in the container's
    metadata: that is a rejection, not an empty text."""
    responses.put(RMETA, json=[{"Content-Type": "application/pdf", "X-TIKA:EXCEPTION:container_exception": trace}])
    with pytest.raises(ExtractionFailed) as info:
        TikaServerExtractor(URL).extract(html, "application/pdf")
    assert info.value.code == code and trace.splitlines()[0] in str(info.value)


@responses.activate
def test_the_write_limit_is_a_warning(html):
    responses.put(RMETA, json=[{"Content-Type": "text/html", "X-TIKA:content": "x" * 10,
                                "X-TIKA:EXCEPTION:write_limit_reached": "true"}])
    result = TikaServerExtractor(URL, max_text=10).extract(html, "text/html")
    assert result.text == "x" * 10 and result.warnings == ["text cut at 10 characters"]


@responses.activate
def test_an_answer_beyond_the_bound_is_refused(html):
    """A server that ignores writeLimit cannot make the worker read an unbounded answer."""
    responses.put(RMETA, body=json.dumps([{"X-TIKA:content": "x" * 200_000}]), content_type="application/json")
    with pytest.raises(ExtractionFailed) as info:
        TikaServerExtractor(URL, max_text=10, max_embedded=0).extract(html, "text/html")
    assert info.value.code == "resource_limit"


@pytest.mark.parametrize("status,code", [(422, "corrupt"), (500, "corrupt"), (415, "unsupported_format"),
                                         (413, "too_large")])
@responses.activate
def test_refusals(html, status, code):
    responses.put(RMETA, status=status, body="refused")
    with pytest.raises(ExtractionFailed) as info:
        TikaServerExtractor(URL).extract(html, "text/html")
    assert info.value.code == code


@pytest.mark.parametrize("answer", [
    {"status": 503, "body": "busy"},
    {"body": requests.ConnectionError("refused")},
    {"body": "<html>proxy error</html>"},  # 200 but not the server's JSON
    {"json": {"not": "a list"}},
])
@responses.activate
def test_server_trouble_is_transient_not_bad_input(html, answer):
    responses.put(RMETA, **answer)
    with pytest.raises(ConnectionError):
        TikaServerExtractor(URL).extract(html, "text/html")


@responses.activate
def test_a_slow_answer_is_the_files_timeout(html):
    responses.put(RMETA, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(ExtractionFailed) as info:
        TikaServerExtractor(URL, timeout=3).extract(html, "text/html")
    assert info.value.code == "timeout" and "3 s" in str(info.value)


def test_a_dribbling_answer_is_timed_by_the_clock_not_by_each_byte(html):
    """A real loopback server that sends its answer a few bytes at a time, each within the
    per-read timeout: the whole answer takes longer than ``timeout`` and is the file's timeout,
    found within about one chunk's wait after the deadline (it used to wait for the last byte)."""
    import threading
    import time

    body = json.dumps([{"Content-Type": "text/html", "X-TIKA:content": "x" * 200}]).encode()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.settimeout(5)
            received = b""
            while b"\r\n\r\n" not in received:
                received += conn.recv(65536)
            head, _, rest = received.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            while len(rest) < length:
                rest += conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode())
            for i in range(0, len(body), 2):  # 2 bytes every 50 ms: about 6 s in all
                if stop.is_set():
                    return
                try:
                    conn.sendall(body[i:i + 2])
                except OSError:
                    return
                time.sleep(0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        with pytest.raises(ExtractionFailed) as info:
            TikaServerExtractor(f"http://127.0.0.1:{server.getsockname()[1]}", timeout=0.5).extract(
                html, "text/html")
    finally:
        stop.set()
        server.close()
        thread.join(10)
    assert info.value.code == "timeout" and "0.5 s" in str(info.value)
    assert time.monotonic() - started < 3  # the whole answer would take 6 s


def test_a_missing_file_is_not_a_server_problem(tmp_path):
    with pytest.raises(FileNotFoundError):
        TikaServerExtractor(URL).extract(tmp_path / "missing.pdf", "application/pdf")


# the live server -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tika_url() -> str:
    url = os.environ.get("TIKA_URL")
    if not url:
        service_unavailable("the Tika server", "TIKA_URL is not set (tests/servers/start)")
    try:
        requests.get(url.rstrip("/") + "/version", timeout=5).raise_for_status()
    except Exception as exc:  # noqa: BLE001
        service_unavailable(f"the Tika server at {url}", exc)
    return url


@pytest.fixture(scope="module")
def corpus_rows(tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("tika-corpus")
    return out, corpus.generate(out, seed=3, count=16, hostile=True)  # one of each flow format


def _words(text: str) -> str:
    return " ".join(text.split())


def _xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Sổ đăng ký"
    sheet.append(["Số, ký hiệu", "Ngày ban hành", "Trích yếu"])
    sheet.append(["15/QĐ-UBND", "02/03/2021", "Ban hành Quy chế quản lý văn bản điện tử"])
    book.save(path)
    return path


def _image(path: Path, kind: str) -> Path:
    from PIL import Image

    Image.new("RGB", (64, 48), (200, 30, 30)).save(path, format=kind)
    return path


@pytest.mark.tika_server
@pytest.mark.parametrize("fmt", ["pdf", "docx", "odt", "html", "eml"])
def test_live_corpus_formats(tika_url, corpus_rows, fmt):
    """GIVEN the corpus's documents of each format WHEN the server extracts them THEN the subject,
    số ký hiệu and body sample are in the text (the e-mail's PDF attachment included)."""
    root, rows = corpus_rows
    row = next(r for r in rows if r["file"].startswith(f"{fmt}/"))
    result = TikaServerExtractor(tika_url).extract(root / row["file"], row["media_type"])
    text = _words(result.text)
    assert result.media_type == row["media_type"]
    for expected in (row["metadata"]["subject"], row["metadata"]["so_ky_hieu"], row["body_sample"]):
        assert _words(expected) in text, (row["file"], expected)
    assert not result.warnings


@pytest.mark.tika_server
def test_live_spreadsheet(tika_url, tmp_path):
    result = TikaServerExtractor(tika_url).extract(_xlsx(tmp_path / "so-dang-ky.xlsx"), XLSX)
    assert result.media_type == XLSX
    assert "15/QĐ-UBND" in result.text and "Ban hành Quy chế quản lý văn bản điện tử" in result.text
    assert "Sổ đăng ký" in result.text  # the sheet's name


@pytest.mark.tika_server
@pytest.mark.parametrize("kind,media_type", [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_live_images_give_metadata_and_no_text(tika_url, tmp_path, kind, media_type):
    """No OCR is claimed: an image yields its type and dimensions, and no text."""
    result = TikaServerExtractor(tika_url).extract(_image(tmp_path / f"scan.{kind.lower()}", kind), media_type)
    assert result.media_type == media_type and result.text.strip() == ""
    assert str(result.metadata.get("tiff:ImageWidth")) == "64"
    assert str(result.metadata.get("tiff:ImageLength")) == "48"


@pytest.mark.tika_server
def test_live_hostile_set(tika_url, corpus_rows):
    """GIVEN the corpus's hostile files WHEN the server extracts them THEN each gets the outcome the
    corpus expects of the extractor: rejected files fail with the expected reason (or a listed
    alternative), readable ones give their text. State secrets and unknown formats are the
    pipeline's to refuse: the extractor reads them."""
    root, rows = corpus_rows
    extractor = TikaServerExtractor(tika_url)
    seen = 0
    for row in rows:
        if not row["file"].startswith("hostile/"):
            continue
        seen += 1
        reasons = {row["expected_reason"]} | {a.get("reason") for a in row.get("alternatives", ())}
        may_be_read = row["expected_outcome"] == "ingested" or any(
            a["outcome"] == "ingested" for a in row.get("alternatives", ()))
        try:
            result = extractor.extract(root / row["file"], row["media_type"])
        except ExtractionFailed as exc:
            assert exc.code in reasons, (row["file"], exc.code, str(exc))
            continue
        if row["expected_reason"] == "unsupported_format":
            assert result.media_type == "application/octet-stream" and result.text == "", row["file"]
        else:
            assert may_be_read or row["expected_reason"] == "state_secret", (row["file"], "was read")
            assert _words(row["metadata"]["so_ky_hieu"]) in _words(result.text), row["file"]
    assert seen >= 12


@pytest.mark.tika_server
def test_live_text_limit_is_applied_by_the_server(tika_url, corpus_rows):
    root, rows = corpus_rows
    row = next(r for r in rows if r["file"].startswith("docx/"))
    result = TikaServerExtractor(tika_url, max_text=300).extract(root / row["file"], row["media_type"])
    assert 0 < len(result.text) <= 300
    assert result.warnings == ["text cut at 300 characters"]


@pytest.mark.tika_server
def test_live_embedded_documents_are_bounded(tika_url, corpus_rows):
    """The e-mail carries its PDF as an attachment: with no embedded documents allowed, the
    attachment's text is left out and the message's own text stays."""
    root, rows = corpus_rows
    row = next(r for r in rows if r["file"].startswith("eml/"))
    whole = TikaServerExtractor(tika_url).extract(root / row["file"], row["media_type"])
    alone = TikaServerExtractor(tika_url, max_embedded=0).extract(root / row["file"], row["media_type"])
    assert len(alone.text) < len(whole.text)
    assert alone.text.strip() and _words(alone.text) in _words(whole.text)


@pytest.mark.tika_server
def test_live_timeout(tika_url, corpus_rows):
    root, rows = corpus_rows
    row = next(r for r in rows if r["file"].startswith("pdf/"))
    with pytest.raises(ExtractionFailed) as info:
        TikaServerExtractor(tika_url, timeout=0.001).extract(root / row["file"], row["media_type"])
    assert info.value.code == "timeout"


@pytest.mark.tika_server
def test_live_server_gone_is_transient(tika_url, html):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionError):
        TikaServerExtractor(f"http://127.0.0.1:{port}", timeout=5).extract(html, "text/html")


@pytest.mark.tika_server
def test_live_through_the_extraction_pool(tika_url, corpus_rows):
    """The pool's worker processes use the server adapter when configured for it."""
    from ingest.extract.pool import ExtractionPool, PoolConfig

    root, rows = corpus_rows
    docx = next(r for r in rows if r["file"].startswith("docx/"))
    with ExtractionPool(PoolConfig(size=1, tika="server", tika_url=tika_url, timeout=60)) as pool:
        extraction, _ = pool.extract(root / docx["file"], docx["media_type"])
        assert extraction.extractor == "tika-server"
        assert _words(docx["metadata"]["so_ky_hieu"]) in _words(extraction.text)
        with pytest.raises(ExtractionFailed) as info:
            pool.extract(root / "hostile/zip-bomb.docx", docx["media_type"])
        assert info.value.code == "resource_limit"


def test_xlsx_builder_is_a_spreadsheet(tmp_path):
    """The spreadsheet given to the server is a real one (openpyxl reads it back)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(_xlsx(tmp_path / "x.xlsx").read_bytes()))
    assert book.active["C2"].value == "Ban hành Quy chế quản lý văn bản điện tử"

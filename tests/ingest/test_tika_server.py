"""The Tika server adapter: error paths against a mocked HTTP server, the real thing where
``TIKA_URL`` points at a Tika server (e.g. the project's docker-compose elsewhere)."""

from __future__ import annotations

import os

import pytest
import requests
import responses

from ingest.extract.base import ExtractionFailed
from ingest.extract.tika import TikaServerExtractor

URL = "http://tika.test:9998"


@pytest.fixture
def html(tmp_path):
    page = tmp_path / "tb.html"
    page.write_text("<html><body><p>Thông báo kết luận của Chủ tịch UBND thành phố</p></body></html>",
                    encoding="utf-8")
    return page


@responses.activate
def test_parsed_text_and_metadata(html):
    responses.put(f"{URL}/rmeta/text", json=[{"Content-Type": "text/html; charset=UTF-8",
                                              "X-TIKA:content": "Thông báo kết luận của Chủ tịch UBND thành phố"}])
    result = TikaServerExtractor(URL).extract(html, "text/html")
    assert result.text.strip() == "Thông báo kết luận của Chủ tịch UBND thành phố"
    assert result.media_type == "text/html" and result.extractor == "tika-server"


@responses.activate
def test_unparseable_file_is_corrupt(html):
    responses.put(f"{URL}/rmeta/text", status=422, body="Unprocessable")
    with pytest.raises(ExtractionFailed) as info:
        TikaServerExtractor(URL).extract(html, "text/html")
    assert info.value.code == "corrupt"


@responses.activate
def test_server_down_is_transient_not_bad_input(html):
    responses.put(f"{URL}/rmeta/text", body=requests.ConnectionError("refused"))
    with pytest.raises(ConnectionError):
        TikaServerExtractor(URL).extract(html, "text/html")


@pytest.mark.tika_server
@pytest.mark.skipif(not os.environ.get("TIKA_URL"), reason="no Tika server (TIKA_URL unset)")
def test_live_tika_server(html):
    result = TikaServerExtractor(os.environ["TIKA_URL"]).extract(html, "text/html")
    assert "Chủ tịch UBND" in result.text

"""Apache Tika: in-process through the iscc-tika wheel (real Tika compiled to native code), or a
Tika server through the ``tika`` client in scale-out. Also the fallback when PDFium fails."""

from __future__ import annotations

from pathlib import Path

from ingest.extract.base import Extraction, ExtractionFailed

MAX_TEXT = 20_000_000
"""Characters of text kept per document (a longer text is cut and the cut is recorded)."""


def _first(meta: dict, key: str):
    value = meta.get(key)
    return value[0] if isinstance(value, list) and value else value


def _classify(message: str) -> str:
    lower = message.lower()
    if "zip bomb" in lower or "zipbomb" in lower or "too many" in lower or "depth" in lower:
        return "resource_limit"
    if "encrypt" in lower or "password" in lower:
        return "encrypted"
    return "corrupt"


class TikaEmbeddedExtractor:
    name = "tika-embedded"

    def __init__(self) -> None:
        self._extractor = None

    def score(self, media_type: str) -> int | None:
        return 10  # Tika reads almost anything; specialised extractors score higher

    def extract(self, path: Path, media_type: str) -> Extraction:
        import iscc_tika

        if self._extractor is None:
            self._extractor = iscc_tika.Extractor()
            self._extractor.set_extract_string_max_length(MAX_TEXT)
        try:
            text, meta = self._extractor.extract_file_to_string(str(path))
        except Exception as exc:  # noqa: BLE001 - the native side raises TypeError/ParseError
            raise ExtractionFailed(_classify(str(exc)), f"Tika: {exc}") from None
        meta = {k: v for k, v in meta.items() if not k.startswith("X-TIKA:Parsed-By")}
        pages = _first(meta, "xmpTPg:NPages") or _first(meta, "meta:page-count")
        warnings = [f"text cut at {MAX_TEXT} characters"] if len(text) >= MAX_TEXT else []
        return Extraction(text=text or "", extractor=self.name,
                          media_type=(_first(meta, "Content-Type") or "").split(";")[0] or None,
                          pages=int(pages) if pages and str(pages).isdigit() else None, metadata=meta,
                          warnings=warnings)


class TikaServerExtractor:
    """A Tika server (``TIKA_URL``), through the ``tika`` client's ``parser.from_file``."""

    name = "tika-server"

    def __init__(self, url: str, timeout: float = 120.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def score(self, media_type: str) -> int | None:
        return 10

    def extract(self, path: Path, media_type: str) -> Extraction:
        import requests
        import tika.tika
        from tika import parser

        # Never let the client download and start a Tika server of its own: talk to ours only,
        # and verify its TLS certificate (the client's default is not to).
        tika.tika.TikaClientOnly = True
        try:
            parsed = parser.from_file(str(path), serverEndpoint=self.url,
                                      requestOptions={"timeout": self.timeout, "verify": True})
        except (requests.ConnectionError, requests.Timeout) as exc:
            # The server is down or slow: transient, retried by the caller; never the file's fault.
            raise ConnectionError(f"Tika server {self.url}: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - the server refused the file (non-JSON error body)
            raise ExtractionFailed("corrupt", f"Tika server could not parse the file: {exc}") from None
        status = parsed.get("status")
        if status not in (200, None):
            raise ExtractionFailed("corrupt", f"Tika server answered {status}")
        meta = parsed.get("metadata") or {}
        text = (parsed.get("content") or "")[:MAX_TEXT]
        pages = _first(meta, "xmpTPg:NPages")
        return Extraction(text=text, extractor=self.name,
                          media_type=(_first(meta, "Content-Type") or "").split(";")[0] or None,
                          pages=int(pages) if pages and str(pages).isdigit() else None, metadata=meta)

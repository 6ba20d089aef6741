"""Apache Tika: in-process through the iscc-tika wheel (real Tika compiled to native code), or a
Tika server over its REST interface in scale-out. Also the fallback when PDFium fails."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ingest.extract.base import Extraction, ExtractionFailed

MAX_TEXT = 20_000_000
"""Characters of text kept per document (a longer text is cut and the cut is recorded)."""


def _first(meta: dict, key: str):
    value = meta.get(key)
    return value[0] if isinstance(value, list) and value else value


_RESOURCE_MARKERS = ("zip bomb", "zipbomb", "too many", "depth", "tried to allocate", "stackoverflowerror",
                     "outofmemoryerror")
"""Tika's words for a file that would exhaust a bound: POI's zip-bomb check and its allocation limit
(a DOCX declaring a 1 GB part: "Tried to allocate an array of length 1,107,296,470"), nesting."""


def _classify(message: str) -> str:
    lower = message.lower()
    if any(marker in lower for marker in _RESOURCE_MARKERS):
        return "resource_limit"
    if "encrypt" in lower or "password" in lower:
        return "encrypted"
    if "zerobytefileexception" in lower:
        return "empty_file"
    return "corrupt"


class TikaEmbeddedExtractor:
    name = "tika-embedded"

    def __init__(self) -> None:
        self._extractor: Any = None  # an iscc_tika.Extractor (untyped), made on first use

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


MAX_EMBEDDED = 1000
"""Embedded documents (attachments, images in a document, files in an archive) a Tika server parses
per file: a container of thousands is a resource attack, not a record."""

_CONTAINER_EXCEPTION = "X-TIKA:EXCEPTION:container_exception"
_WRITE_LIMIT_REACHED = "X-TIKA:EXCEPTION:write_limit_reached"  # TikaCoreProperties.WRITE_LIMIT_REACHED
_EMBEDDED_FAILURES = (_CONTAINER_EXCEPTION, "X-TIKA:EXCEPTION:embedded_exception")


class TikaServerExtractor:
    """A Tika server (``TIKA_URL``): ``PUT /rmeta/text``, the file streamed from disk.

    What the server answers, and what becomes of it:

    * 200 with the JSON list of metadata, the container first, each with its text under
      ``X-TIKA:content``. **A parse that failed is a 200 too**: the server records the exception in
      the container's ``X-TIKA:EXCEPTION:container_exception`` and sends what it had (Tika 2.x/3.x
      ``RecursiveMetadataResource``) — it becomes ``ExtractionFailed`` (encrypted, resource_limit
      for a zip bomb, else corrupt), not an empty text.
    * the ``writeLimit`` header bounds the text the server produces (``max_text`` characters; Tika
      sets ``X-TIKA:EXCEPTION:write_limit_reached`` and the cut is recorded as a warning), and
      ``maxEmbeddedResources`` the embedded documents it parses; the answer is read up to a bound
      derived from them, so a server ignoring them cannot flood the worker's memory.
    * 422 (unparseable) → corrupt, 415 → unsupported_format, 413 → too_large, 502/503/504 (busy,
      restarting) and refused or timed-out connections → ``ConnectionError``: transient, retried by
      the caller, never the file's fault. An answer that takes longer than ``timeout`` seconds is
      the file's: ``ExtractionFailed("timeout")``, as the extraction pool reports its own overruns.
    """

    name = "tika-server"

    def __init__(self, url: str, timeout: float = 120.0, *, max_text: int = MAX_TEXT,
                 max_embedded: int = MAX_EMBEDDED, connect_timeout: float = 10.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_text = max_text
        self.max_embedded = max_embedded

    def score(self, media_type: str) -> int | None:
        return 10

    def _answer_limit(self) -> int:
        """Bytes of JSON accepted: the text at up to 4 bytes per character once escaped (\\uXXXX is
        6 bytes for 1 character, but such characters are rare in text), plus metadata for each
        embedded document."""
        return 6 * self.max_text + (self.max_embedded + 1) * 64 * 1024

    def _timed_out(self) -> ExtractionFailed:
        return ExtractionFailed("timeout", f"the Tika server took longer than {self.timeout:g} s")

    def _read_answer(self, raw: Any, deadline: float) -> bytes:
        """The answer's bytes, up to one past the limit, a chunk (one read) at a time so that the
        deadline is checked between chunks."""
        limit = self._answer_limit() + 1
        chunks: list[bytes] = []
        size = 0
        while size < limit:
            if time.monotonic() > deadline:
                raise self._timed_out()
            chunk = raw.read1(min(64 * 1024, limit - size), decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)

    def extract(self, path: Path, media_type: str) -> Extraction:
        import json

        import requests
        import urllib3

        headers = {"Accept": "application/json", "writeLimit": str(self.max_text),
                   "maxEmbeddedResources": str(self.max_embedded)}
        if media_type and media_type != "application/octet-stream":
            headers["Content-Type"] = media_type
        # ``timeout`` bounds the whole answer, not each wait for a byte: a server that sends its
        # answer slowly, or a client paused between sending and reading, is measured by the clock.
        deadline = time.monotonic() + self.timeout
        with open(path, "rb") as body:
            try:
                with requests.put(f"{self.url}/rmeta/text", data=body, headers=headers, stream=True,
                                  timeout=(self.connect_timeout, self.timeout)) as response:
                    status = response.status_code
                    raw = self._read_answer(response.raw, deadline) if status == 200 else b""
                if time.monotonic() > deadline:
                    raise self._timed_out()
            except requests.ConnectTimeout as exc:
                raise ConnectionError(f"Tika server {self.url}: {exc}") from exc
            except (requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError) as exc:
                raise self._timed_out() from exc
            except (requests.ConnectionError, urllib3.exceptions.HTTPError) as exc:
                # The server is down, restarting or dropped the connection: transient, retried by the caller.
                raise ConnectionError(f"Tika server {self.url}: {exc}") from exc
        if status in (502, 503, 504):
            raise ConnectionError(f"Tika server {self.url} answered {status}")
        if status == 415:
            raise ExtractionFailed("unsupported_format", "the Tika server has no parser for this file")
        if status == 413:
            raise ExtractionFailed("too_large", "the Tika server refused the file as too large")
        if status != 200:
            raise ExtractionFailed("corrupt", f"the Tika server could not parse the file (HTTP {status})")
        if len(raw) > self._answer_limit():
            raise ExtractionFailed("resource_limit", "the Tika server's answer exceeds the text limit")
        try:
            documents = json.loads(raw)
            if not isinstance(documents, list) or not documents or not all(isinstance(d, dict) for d in documents):
                raise ValueError("not a list of metadata objects")
        except ValueError as exc:
            raise ConnectionError(f"Tika server {self.url} sent an unreadable answer: {exc}") from exc
        container = documents[0]
        failure = _first(container, _CONTAINER_EXCEPTION)
        if failure:
            first_line = str(failure).strip().splitlines()[0] if str(failure).strip() else "parse failed"
            raise ExtractionFailed(_classify(str(failure)), f"Tika server: {first_line}")
        parts = [str(d.get("X-TIKA:content") or "") for d in documents]
        text = "".join(parts)[: self.max_text]
        warnings = []
        if any(str(_first(d, _WRITE_LIMIT_REACHED)).lower() == "true" for d in documents):
            warnings.append(f"text cut at {self.max_text} characters")
        embedded_failures = sum(1 for d in documents[1:] if any(k in d for k in _EMBEDDED_FAILURES))
        if embedded_failures:
            warnings.append(f"{embedded_failures} embedded document(s) could not be read")
        meta = {k: v for k, v in container.items() if k != "X-TIKA:content" and not k.startswith("X-TIKA:Parsed-By")}
        pages = _first(meta, "xmpTPg:NPages") or _first(meta, "meta:page-count")
        return Extraction(text=text, extractor=self.name,
                          media_type=(_first(meta, "Content-Type") or "").split(";")[0] or None,
                          pages=int(pages) if pages and str(pages).isdigit() else None, metadata=meta,
                          warnings=warnings)

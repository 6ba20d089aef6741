"""Identify a file's format from its content, never from its name.

Signatures for the formats the archive accepts (PDF, OOXML and ODF packages by their members,
RFC 5322 e-mail, HTML, images, plain text); Tika's detected Content-Type refines the rest during
extraction. Zip-based files are also checked for decompression bombs here, before any parser
expands them.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_EXPANSION_RATIO = 100
MAX_EXPANDED_BYTES = 1024**3

EXTENSIONS = {
    "application/pdf": {".pdf"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {".docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {".xlsx"},
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {".pptx"},
    "application/vnd.oasis.opendocument.text": {".odt"},
    "application/vnd.oasis.opendocument.spreadsheet": {".ods"},
    "message/rfc822": {".eml"},
    "text/html": {".html", ".htm"},
    "text/plain": {".txt", ".text", ".csv"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/png": {".png"},
    "image/tiff": {".tif", ".tiff"},
    "application/msword": {".doc"},
    "application/vnd.ms-excel": {".xls"},
}

ACCEPTED = set(EXTENSIONS)


@dataclass(frozen=True)
class Identification:
    media_type: str | None
    """None when the content matches no accepted format."""
    extension_matches: bool
    problem: str | None = None
    """A rejection code found while identifying (``resource_limit`` for a zip bomb)."""
    detail: str | None = None


def _zip_type(path: Path) -> tuple[str | None, str | None, str | None]:
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            expanded = sum(i.file_size for i in infos)
            packed = max(1, sum(i.compress_size for i in infos))
            if expanded > MAX_EXPANDED_BYTES or (expanded > 50 * 1024**2 and expanded / packed > MAX_EXPANSION_RATIO):
                return None, "resource_limit", f"zip expands to {expanded:,} bytes from {packed:,}"
            if "mimetype" in names:
                mt = z.read("mimetype")[:100].decode("ascii", "replace").strip()
                return mt, None, None
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document", None, None
                if any(n.startswith("xl/") for n in names):
                    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", None, None
                if any(n.startswith("ppt/") for n in names):
                    return "application/vnd.openxmlformats-officedocument.presentationml.presentation", None, None
            return "application/zip", None, None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return None, "corrupt", f"broken zip package: {exc}"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a multi-byte character cut by the sample's end
            return True
    try:
        head.decode("cp1258")  # Vietnamese Windows code page
        return sum(b < 32 and b not in (9, 10, 12, 13) for b in head) == 0
    except UnicodeDecodeError:
        return False


def identify(path: Path, name: str | None = None) -> Identification:
    with open(path, "rb") as f:
        head = f.read(8192)
    media_type, problem, detail = None, None, None
    stripped = head.lstrip()
    lower = stripped[:1024].lower()
    if b"%PDF-" in head[:1024]:
        media_type = "application/pdf"
    elif head.startswith(b"PK\x03\x04"):
        media_type, problem, detail = _zip_type(path)
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        media_type = "application/msword" if (name or "").lower().endswith(".doc") else "application/vnd.ms-excel"
    elif head.startswith(b"\xff\xd8\xff"):
        media_type = "image/jpeg"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        media_type = "image/png"
    elif head[:4] in (b"II*\x00", b"MM\x00*"):
        media_type = "image/tiff"
    elif _looks_like_text(head):
        if lower.startswith((b"<!doctype html", b"<html")) or b"<html" in lower[:512]:
            media_type = "text/html"
        elif _is_email(head):
            media_type = "message/rfc822"
        else:
            media_type = "text/plain"
    suffix = Path(name or path.name).suffix.lower()
    matches = media_type is not None and suffix in EXTENSIONS.get(media_type, set())
    if media_type is not None and media_type not in ACCEPTED and problem is None:
        problem, detail = "unsupported_format", f"format {media_type} is not accepted"
    if media_type is None and problem is None:
        problem, detail = "unsupported_format", "the content matches no accepted format"
    return Identification(media_type=media_type, extension_matches=matches, problem=problem, detail=detail)


def _is_email(head: bytes) -> bool:
    headers = head.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0].lower()
    keys = {line.split(b":", 1)[0].strip() for line in headers.splitlines() if b":" in line[:40]}
    return len(keys & {b"from", b"to", b"subject", b"date", b"message-id", b"mime-version"}) >= 3

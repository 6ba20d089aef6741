"""Formats are identified from content, never from the name; zip bombs are caught before parsing."""

from __future__ import annotations

import io
import zipfile

import pytest

from ingest.identify import identify


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


DOCX = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODT = zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})
EML = ("From: Văn thư <vanthu@hanoi.gov.vn>\nTo: so.tc@hanoi.gov.vn\nSubject: =?utf-8?b?Q8O0bmcgdsSDbg==?=\n"
       "Date: Mon, 15 Dec 2021 08:00:00 +0700\nMIME-Version: 1.0\n\nKính gửi Sở Tài chính").encode()


@pytest.mark.parametrize("name, data, expected", [
    ("a.pdf", b"%PDF-1.7\n...", "application/pdf"),
    ("a.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("a.odt", ODT, "application/vnd.oasis.opendocument.text"),
    ("a.eml", EML, "message/rfc822"),
    ("a.html", "<!DOCTYPE html><html><body>Ủy ban</body></html>".encode(), "text/html"),
    ("a.txt", "Ủy ban nhân dân thành phố Hà Nội".encode(), "text/plain"),
    ("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png"),
    ("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
])
def test_known_formats(tmp_path, name, data, expected):
    found = identify(write(tmp_path, name, data))
    assert (found.media_type, found.extension_matches, found.problem) == (expected, True, None)


def test_a_pdf_named_docx_is_a_pdf(tmp_path):
    found = identify(write(tmp_path, "cong-van.docx", b"%PDF-1.4\n..."))
    assert found.media_type == "application/pdf" and not found.extension_matches and found.problem is None


def test_text_named_pdf_is_text(tmp_path):
    found = identify(write(tmp_path, "bao-cao.pdf", "Báo cáo tổng kết năm 2024".encode()))
    assert found.media_type == "text/plain" and not found.extension_matches


def test_the_submitted_name_counts_not_the_storage_name(tmp_path):
    path = write(tmp_path, "upload-1234", b"%PDF-1.4\n...")
    assert identify(path, "Quyết định 15.pdf").extension_matches


def test_zip_bomb_is_refused_before_parsing(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"\x00" * (1 << 20)
            for _ in range(1100):  # 1.1 GB of zeros, a few MB packed
                member.write(block)
    path = write(tmp_path, "bom.docx", buf.getvalue())
    assert path.stat().st_size < 5 * 1024 * 1024
    found = identify(path)
    assert found.problem == "resource_limit" and "expands" in found.detail


@pytest.mark.parametrize("data", [b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4, bytes(range(256)) * 8])
def test_binary_of_no_accepted_format(tmp_path, data):
    found = identify(write(tmp_path, "x.pdf", data))
    assert found.problem == "unsupported_format"


def test_broken_zip(tmp_path):
    found = identify(write(tmp_path, "x.docx", b"PK\x03\x04" + b"\x00" * 100))
    assert found.problem == "corrupt"

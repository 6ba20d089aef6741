"""Fixtures of the ingest tests: the edXML importer's synthetic samples, message builders, a test PKI; OCR tools present."""

from __future__ import annotations

import base64
import io
import os
import zipfile
from pathlib import Path

import pytest

SAMPLES = Path("/work/shared/domain/samples/edxml")
"""The synthetic QCVN 102 messages of the domain notes (samples/README.md); copied to tests/data/edxml."""
DATA = Path(__file__).resolve().parents[1] / "data" / "edxml"


@pytest.fixture(scope="session")
def samples() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(DATA.glob("*.edxml"))}


def build_message(*, subject: str = "V/v thử nghiệm", code_number: str = "7", code_notation: str = "UBND-VP",
                  organ_id: str = "000.00.00.H26", document_id: str = "000.00.00.H26,2026/01/02,7/UBND-VP",
                  date: str = "2026/01/02", signer: str = "Nguyễn Văn A", attachments=None,
                  signature: str = "", extra_header: str = "", root_ns: str = "http://www.mic.gov.vn/TBT/QCVN_102_2016",
                  prolog: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    """A QCVN 102 document message in the VPCP SDK layout; ``attachments``: ``(name, bytes, zip?)``."""
    from xml.sax.saxutils import escape

    subject, code_number, code_notation, signer = map(escape, (subject, code_number, code_notation, signer))
    attachments = attachments if attachments is not None else [("van-ban.txt", "Nội dung thử.".encode(), False)]
    refs, encoded = [], []
    for i, (name, data, zipped) in enumerate(attachments):
        cid = f"att-{i}"
        if zipped:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(f"{cid}.bin", data)
            data = buf.getvalue()
        payload = base64.encodebytes(data).decode() if isinstance(data, bytes) else data
        refs.append(f"<edXML:Reference><edXML:ContentId>cid:{cid}</edXML:ContentId>"
                    f"<edXML:AttachmentName>{escape(name)}</edXML:AttachmentName></edXML:Reference>")
        encoded.append(f"<Attachment><ContentId>{cid}</ContentId><AttachmentName>{escape(name)}</AttachmentName>"
                       f"<ContentType>application/octet-stream</ContentType>"
                       f"<ContentTransferEncoded>{payload}</ContentTransferEncoded></Attachment>")
    return f"""{prolog}
<edXML xmlns="{root_ns}">
<edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">
<edXML:edXMLHeader><edXML:MessageHeader>
<edXML:From><edXML:OrganId>{organ_id}</edXML:OrganId><edXML:OrganName>UBND thành phố Hà Nội</edXML:OrganName></edXML:From>
<edXML:To><edXML:OrganId>000.00.00.G22</edXML:OrganId></edXML:To>
<edXML:DocumentId>{document_id}</edXML:DocumentId>
<edXML:Code><edXML:CodeNumber>{code_number}</edXML:CodeNumber><edXML:CodeNotation>{code_notation}</edXML:CodeNotation></edXML:Code>
<edXML:PromulgationInfo><edXML:Place>Hà Nội</edXML:Place>
<edXML:PromulgationDate>{date}</edXML:PromulgationDate></edXML:PromulgationInfo>
<edXML:DocumentType><edXML:Type>1</edXML:Type><edXML:TypeName>Công văn</edXML:TypeName></edXML:DocumentType>
<edXML:Subject>{subject}</edXML:Subject>
<edXML:SignerInfo><edXML:Position>Chủ tịch</edXML:Position><edXML:FullName>{signer}</edXML:FullName></edXML:SignerInfo>
<edXML:OtherInfo><edXML:Priority>2</edXML:Priority></edXML:OtherInfo>{extra_header}
</edXML:MessageHeader>
<edXML:TraceHeaderList><edXML:TraceHeader><edXML:OrganId>{organ_id}</edXML:OrganId>
<edXML:Timestamp>2026/01/02 09:00:00</edXML:Timestamp></edXML:TraceHeader></edXML:TraceHeaderList>
{signature}</edXML:edXMLHeader>
<edXML:edXMLBody><edXML:edXMLManifest version="1.0">{''.join(refs)}</edXML:edXMLManifest></edXML:edXMLBody>
</edXML:edXMLEnvelope>
<AttachmentEncoded>{''.join(encoded)}</AttachmentEncoded>
</edXML>""".encode()


@pytest.fixture(scope="session")
def message_builder():
    return build_message


@pytest.fixture(scope="session")
def ocr_ready():
    """Tesseract with the Vietnamese model and OCRmyPDF: required under CI, else the test is skipped."""
    from ingest.ocr.engine import tools

    if tools("vie")["missing"]:
        if os.environ.get("CI") == "true":
            pytest.fail("Tesseract with vie and OCRmyPDF are required under CI")
        pytest.skip("Tesseract with vie or OCRmyPDF missing")

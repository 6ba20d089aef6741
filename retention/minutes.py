"""Biên bản hủy tài liệu: the destruction minutes as a PDF in the Decree 30 layout, signed (and
time-stamped) by the archive's own identity with pyHanko.

Layout (Nghị định 30/2020/NĐ-CP Phụ lục I): agency name top left, Quốc hiệu and Tiêu ngữ top
right, number and symbol under the agency, place and date under the Tiêu ngữ, the type name
(BIÊN BẢN) and the subject centred, the body, then the signature blocks and ``Nơi nhận``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from archive.keys import ArchiveIdentity

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"


def _fonts() -> tuple[str, str]:
    from pathlib import Path

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "LuuTruSerif" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("LuuTruSerif", FONT))
        pdfmetrics.registerFont(TTFont("LuuTruSerif-Bold", FONT_BOLD if Path(FONT_BOLD).exists() else FONT))
    return "LuuTruSerif", "LuuTruSerif-Bold"


def render(*, organ_name: str, number: str, place: str, at: datetime, batch: dict, items: Sequence[dict]) -> bytes:
    """The unsigned PDF. ``batch``: title, decision, approved_by, council, proposed_by; ``items``:
    the destruction register rows (record id, số ký hiệu, subject, SHA-256…)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    p = ParagraphStyle("p", fontName=regular, fontSize=11, leading=15, alignment=TA_JUSTIFY)
    c = ParagraphStyle("c", parent=p, alignment=TA_CENTER)
    cb = ParagraphStyle("cb", parent=c, fontName=bold)
    small = ParagraphStyle("s", parent=p, fontSize=8, leading=10, alignment=0)
    buf = io.BytesIO()
    # Decree 30 margins: top 20–25 mm, bottom 20–25, left 30–35, right 15–20
    doc = SimpleDocTemplate(buf, pagesize=A4, topMargin=20 * mm, bottomMargin=20 * mm, leftMargin=30 * mm,
                            rightMargin=15 * mm, title="Biên bản hủy tài liệu", author=organ_name,
                            subject=batch.get("title") or "", creator="luutru")
    header = Table([
        [Paragraph(organ_name.upper(), cb), Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", cb)],
        [Paragraph("_______", c), Paragraph("<u>Độc lập - Tự do - Hạnh phúc</u>", cb)],
        [Paragraph(f"Số: {number}", c),
         Paragraph(f"<i>{place}, ngày {at.day:02d} tháng {at.month:02d} năm {at.year}</i>", c)],
    ], colWidths=[65 * mm, 100 * mm])
    story = [header, Spacer(1, 8 * mm), Paragraph("BIÊN BẢN", cb),
             Paragraph("Hủy tài liệu lưu trữ hết giá trị", cb), Spacer(1, 6 * mm),
             Paragraph(f"Căn cứ {batch.get('decision') or 'Quyết định hủy tài liệu'};", p),
             Paragraph(f"Danh mục: {batch.get('title')} (mã đợt hủy {batch.get('id')});", p),
             Paragraph(f"Người đề nghị: {batch.get('proposed_by')}; người phê duyệt: {batch.get('approved_by')}; "
                       f"Hội đồng xét hủy: {', '.join(batch.get('council') or [])}.", p),
             Paragraph(f"Hôm nay, hồi {at:%H} giờ {at:%M} (UTC) ngày {at:%d/%m/%Y}, hệ thống lưu trữ đã hủy "
                       f"{len(items)} tài liệu điện tử dưới đây: toàn bộ bản gốc, bản sao và dữ liệu chỉ mục đã "
                       "bị xóa khỏi kho, không thể khôi phục; siêu dữ liệu và mã băm SHA-256 được giữ lại trong "
                       "Danh mục tài liệu đã hủy.", p), Spacer(1, 4 * mm)]
    rows = [[Paragraph(h, small) for h in ("STT", "Mã tài liệu", "Số, ký hiệu", "Trích yếu", "SHA-256 bản gốc")]]
    for n, it in enumerate(items, start=1):
        original = next((x for x in it["components"] if x["role"] == "original"), it["components"][0]
                        if it["components"] else {"sha256": ""})
        rows.append([Paragraph(str(n), small), Paragraph(it["record_id"], small),
                     Paragraph(it.get("so_ky_hieu") or "", small), Paragraph(it.get("subject") or "", small),
                     Paragraph(original["sha256"], small)])
    table = Table(rows, colWidths=[10 * mm, 35 * mm, 25 * mm, 50 * mm, 45 * mm], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [table, Spacer(1, 8 * mm),
              Paragraph("Biên bản được lập và ký số bởi hệ thống lưu trữ.", p), Spacer(1, 6 * mm),
              Table([[Paragraph("<b>NGƯỜI THỰC HIỆN HỦY</b>", c), Paragraph("<b>ĐẠI DIỆN CƠ QUAN</b>", c)],
                     [Paragraph(batch.get("actor") or "", c), Paragraph(batch.get("approved_by") or "", c)]],
                    colWidths=[80 * mm, 85 * mm]),
              Spacer(1, 6 * mm), Paragraph("<b><i>Nơi nhận:</i></b>", small),
              Paragraph("- Hồ sơ hủy tài liệu;", small), Paragraph("- Lưu: VT, lưu trữ.", small)]
    doc.build(story)
    return buf.getvalue()


def sign(pdf: bytes, identity: ArchiveIdentity, *, timestamp: bool = True) -> bytes:
    """Sign with the archive's signing certificate (PAdES), time-stamped by its local TSA."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    def cert(path):
        data = path.read_bytes()
        return asn1_x509.Certificate.load(pem.unarmor(data)[2] if pem.detect(data) else data)

    def key(path):
        data = path.read_bytes()
        return asn1_keys.PrivateKeyInfo.load(pem.unarmor(data)[2])

    ca = cert(identity.ca_cert)
    signer = signers.SimpleSigner(signing_cert=cert(identity.signing_cert), signing_key=key(identity.signing_key),
                                  cert_registry=SimpleCertificateStore.from_certs([ca]))
    stamper = None
    if timestamp:
        stamper = DummyTimeStamper(tsa_cert=cert(identity.tsa_cert), tsa_key=key(identity.tsa_key),
                                   certs_to_embed=SimpleCertificateStore.from_certs([ca]))
    out = io.BytesIO()
    meta = signers.PdfSignatureMetadata(field_name="ChuKyKhoLuuTru", reason="Biên bản hủy tài liệu",
                                        location="Kho lưu trữ điện tử", subfilter=None)
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer, timestamper=stamper,
                     output=out)
    return out.getvalue()


def verify(pdf: bytes, ca_cert_path) -> dict:
    """Validate every signature against the archive CA (used by tests and ``report``)."""
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    data = open(ca_cert_path, "rb").read()
    ca = asn1_x509.Certificate.load(pem.unarmor(data)[2])
    vc = ValidationContext(trust_roots=[ca], allow_fetching=False)
    reader = PdfFileReader(io.BytesIO(pdf))
    out = []
    for sig in reader.embedded_signatures:
        st = validate_pdf_signature(sig, signer_validation_context=vc, ts_validation_context=vc)
        out.append({"field": sig.field_name, "intact": st.intact, "valid": st.valid, "trusted": st.trusted,
                    "timestamped": st.timestamp_validity is not None and st.timestamp_validity.valid,
                    "signer": st.signing_cert.subject.human_friendly,
                    "coverage": str(st.coverage)})
    return {"signatures": out, "ok": bool(out) and all(s["intact"] and s["valid"] and s["trusted"] for s in out)}

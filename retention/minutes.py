"""Biên bản hủy tài liệu: the destruction minutes as a PDF in the Decree 30 layout, signed and
time-stamped (RFC 3161) with the archive's own identity through pyHanko.

Layout (NĐ 30/2020 Điều 8, Phụ lục I; requirements-vn.md §1.3–1.9), on A4 with the decree's margins:

* box 2 and 3, top left: the superior agency (regular capitals, if any), the issuing agency (bold
  capitals), a short rule, ``Số: 05/BB-HTL``;
* box 1 and 4, top right: Quốc hiệu (bold capitals), Tiêu ngữ (bold), a rule, then place and date in
  italics: ``Hà Nam, ngày 06 tháng 12 năm 2026`` (days below 10 and the months 1 and 2 with a
  leading 0, II.4);
* box 5a: the type name ``BIÊN BẢN`` in bold capitals and the subject in bold, centred;
* box 6: the grounds (Căn cứ …: the law, the decision by its số ký hiệu and date, the council's
  minutes), who took part (by name and title), the council's opinion on every dossier with the
  dissenting votes, the documents destroyed by số ký hiệu and trích yếu, and the totals;
* box 7: the signer blocks (title, name), box 9b: ``Nơi nhận`` ending with ``Lưu: VT, …``;
* page numbers centred in the top margin from page 2 on.

``render`` takes a ``MinutesDocument`` whose every text is already what people read (names, codes,
local times): the renderer never sees an id. DejaVu Serif stands in for Times New Roman (it has every
Vietnamese glyph and is on every Debian/Ubuntu machine).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import Any

from archive.keys import ArchiveIdentity

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"
FONT_ITALIC = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf"
FONT_BOLD_ITALIC = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-BoldItalic.ttf"
FONT_MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_CONDENSED = "/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed.ttf"
FONT_CONDENSED_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed-Bold.ttf"

VOTES_VI = {"approve": "đồng ý hủy", "reject": "không đồng ý hủy", "abstain": "không biểu quyết",
            None: "không cho ý kiến"}


# --- what people read -----------------------------------------------------------------------------
def vn_date(d: date) -> str:
    """``ngày 06 tháng 12 năm 2026``: NĐ 30 Phụ lục I II.4 — a leading 0 for days below 10 and for
    the months 1 and 2 only (``ngày 05 tháng 3 năm 2020``, ``ngày 05 tháng 01 năm 2020``)."""
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def vn_time(t: datetime) -> str:
    """``14 giờ 05`` (local time)."""
    return f"{t.hour:02d} giờ {t.minute:02d}"


def dmy(d: date | None) -> str:
    """``03/02/2026``; empty for no date."""
    return f"{d.day:02d}/{d.month:02d}/{d.year}" if d else ""


@dataclass(frozen=True)
class Person:
    name: str
    title: str | None = None

    def __str__(self) -> str:
        return f"{self.name}, {self.title}" if self.title else self.name


@dataclass(frozen=True)
class Opinion:
    """A council member's vote on one dossier (``None``: did not vote), with the reasons given."""

    member: Person
    vote: str | None
    opinion: str | None = None

    def __str__(self) -> str:
        text = f"{self.member}: {VOTES_VI.get(self.vote, self.vote)}"
        return text + (f" — «{self.opinion}»" if self.opinion else "")


@dataclass(frozen=True)
class RecordEntry:
    reference: str
    """Số, ký hiệu (``12/QĐ-UBND``); without one: the type and the date (``Công văn ngày 03/02/2010``)."""
    issued: str
    """dd/mm/yyyy or empty."""
    subject: str
    """Trích yếu nội dung."""
    pages: int | None
    sha256: str
    size: int


@dataclass(frozen=True)
class DossierEntry:
    code: str
    title: str
    retention: str | None
    destroyed: bool
    approve: int
    members: int
    dissent: Sequence[Opinion] = ()
    records: Sequence[RecordEntry] = ()
    note: str | None = None


@dataclass(frozen=True)
class MinutesDocument:
    agency_name: str
    number: str
    issued_at: datetime
    """Local time (Asia/Ho_Chi_Minh): the date line and the opening time."""
    batch_number: str
    batch_title: str
    grounds: Sequence[str]
    """Căn cứ lines, without the leading ``Căn cứ`` and the closing ``;``."""
    proposer: Person
    council: Sequence[Person]
    approver: Person
    destroyer: Person
    dossiers: Sequence[DossierEntry]
    destroyed_from: datetime | None = None
    destroyed_to: datetime | None = None
    superior_name: str | None = None
    place: str | None = None
    fonds: Sequence[str] = field(default_factory=tuple)
    """Agencies of the fonds, when the minutes cover several."""

    @property
    def records(self) -> list[RecordEntry]:
        return [r for d in self.dossiers if d.destroyed for r in d.records]

    def totals(self) -> dict:
        recs = self.records
        pages = [r.pages for r in recs if r.pages is not None]
        return {"dossiers": sum(1 for d in self.dossiers if d.destroyed), "documents": len(recs),
                "pages": sum(pages), "pages_unknown": len(recs) - len(pages), "bytes": sum(r.size for r in recs)}


def size_vi(n: int) -> str:
    """``1,5 MB (1.572.864 byte)``: Vietnamese separators (``.`` for thousands, ``,`` for decimals)."""
    exact = f"{n:,}".replace(",", ".") + " byte"
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f}".replace(".", ",") + f" {unit} ({exact})"
    return exact


# --- rendering --------------------------------------------------------------------------------------
def _fonts() -> dict[str, str]:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    names = {"regular": "LuuTruSerif", "bold": "LuuTruSerif-Bold", "italic": "LuuTruSerif-Italic",
             "bolditalic": "LuuTruSerif-BoldItalic", "mono": "LuuTruMono", "condensed": "LuuTruSerifCond",
             "condensed_bold": "LuuTruSerifCond-Bold"}
    if names["regular"] not in pdfmetrics.getRegisteredFontNames():
        files = {"regular": FONT, "bold": FONT_BOLD, "italic": FONT_ITALIC, "bolditalic": FONT_BOLD_ITALIC,
                 "mono": FONT_MONO, "condensed": FONT_CONDENSED, "condensed_bold": FONT_CONDENSED_BOLD}
        for face, path in files.items():
            pdfmetrics.registerFont(TTFont(names[face], path if Path(path).exists() else FONT))
        # <b>, <i> in paragraphs pick the faces of the family
        addMapping(names["regular"], 0, 0, names["regular"])
        addMapping(names["regular"], 1, 0, names["bold"])
        addMapping(names["regular"], 0, 1, names["italic"])
        addMapping(names["regular"], 1, 1, names["bolditalic"])
        addMapping(names["condensed"], 0, 0, names["condensed"])
        addMapping(names["condensed"], 1, 0, names["condensed_bold"])
        addMapping(names["condensed"], 0, 1, names["italic"])
        addMapping(names["condensed"], 1, 1, names["bolditalic"])
    return names


def _e(text: object) -> str:
    """Text into a reportlab paragraph: markup characters escaped (a title may hold ``<`` or ``&``)."""
    return escape(str(text), quote=False)


def render(doc: MinutesDocument) -> bytes:
    """The unsigned PDF."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    f = _fonts()
    # DejaVu Serif is about a tenth wider than Times New Roman: 12 pt reads like the decree's 13–14 pt
    body = ParagraphStyle("body", fontName=f["regular"], fontSize=12, leading=17, alignment=TA_JUSTIFY,
                          firstLineIndent=10 * mm, spaceAfter=3)
    plain = ParagraphStyle("plain", parent=body, firstLineIndent=0)
    item = ParagraphStyle("item", parent=plain, leftIndent=10 * mm)
    head = ParagraphStyle("head", parent=plain, fontName=f["bold"], spaceBefore=6)
    centre = ParagraphStyle("centre", parent=plain, alignment=TA_CENTER, fontSize=12, leading=16, spaceAfter=0)
    centre_b = ParagraphStyle("centre_b", parent=centre, fontName=f["bold"])
    # boxes 1–4 in the condensed face: Quốc hiệu and an agency's name fit on one line each, as printed
    top = ParagraphStyle("top", parent=centre, fontName=f["condensed"], fontSize=11.5, leading=15)
    top_b = ParagraphStyle("top_b", parent=top, fontName=f["condensed_bold"])
    type_name = ParagraphStyle("type", parent=centre_b, fontSize=14, leading=19)
    cell = ParagraphStyle("cell", fontName=f["regular"], fontSize=9.5, leading=12, alignment=TA_LEFT)
    cell_b = ParagraphStyle("cell_b", parent=cell, fontName=f["condensed_bold"], fontSize=9)
    mono = ParagraphStyle("mono", parent=cell, fontName=f["mono"], fontSize=6.5, leading=8)
    small = ParagraphStyle("small", fontName=f["regular"], fontSize=11, leading=13)

    buf = io.BytesIO()
    # NĐ 30 Phụ lục I: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm
    pdf = SimpleDocTemplate(buf, pagesize=A4, topMargin=20 * mm, bottomMargin=20 * mm, leftMargin=30 * mm,
                            rightMargin=15 * mm, title=f"Biên bản hủy tài liệu số {doc.number}",
                            author=doc.agency_name, subject=f"Hủy tài liệu lưu trữ hết giá trị — {doc.batch_title}",
                            creator="luutru")
    width = A4[0] - 45 * mm

    def page_number(canvas, _doc):  # NĐ 30: centred in the top margin, not on the first page
        canvas.saveState()
        canvas.setFont(f["regular"], 12)
        canvas.drawCentredString(30 * mm + width / 2, A4[1] - 12 * mm, str(canvas.getPageNumber()))
        canvas.restoreState()

    when = doc.issued_at
    date_line = (f"{_e(doc.place)}, " if doc.place else "") + vn_date(when.date())
    left = ([Paragraph(_e(doc.superior_name.upper()), top)] if doc.superior_name else []) + [
        Paragraph(_e(doc.agency_name.upper()), top_b), Paragraph("―――――", top),
        Paragraph(f"Số: {_e(doc.number)}", top)]
    right = ([Paragraph("", top)] if doc.superior_name else []) + [
        Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", top_b),
        Paragraph("Độc lập - Tự do - Hạnh phúc", top_b), Paragraph("―――――――――――", top),
        Paragraph(f"<i>{date_line}</i>", top)]
    header = Table([[left, right]], colWidths=[72 * mm, width - 72 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 1),
                                ("RIGHTPADDING", (0, 0), (-1, -1), 1)]))
    story = [header, Spacer(1, 9 * mm), Paragraph("BIÊN BẢN", type_name),
             Paragraph("Hủy tài liệu lưu trữ hết giá trị", centre_b), Paragraph("―――――――", centre),
             Spacer(1, 5 * mm)]
    story += [Paragraph(f"Căn cứ {_e(g)};", body) for g in doc.grounds]
    opened = f"Hôm nay, hồi {vn_time(when)} {vn_date(when.date())}" + (f", tại {_e(doc.place)}" if doc.place else "")
    story += [Paragraph(opened + ", chúng tôi gồm:", body),
              Paragraph(f"1. Người thực hiện hủy: <b>{_e(doc.destroyer.name)}</b>"
                        + (f", {_e(doc.destroyer.title)}" if doc.destroyer.title else "") + ";", item),
              Paragraph(f"2. Người quyết định hủy: <b>{_e(doc.approver.name)}</b>"
                        + (f", {_e(doc.approver.title)}" if doc.approver.title else "") + ";", item),
              Paragraph(f"3. Người lập danh mục tài liệu hết giá trị: <b>{_e(doc.proposer.name)}</b>"
                        + (f", {_e(doc.proposer.title)}" if doc.proposer.title else "") + ";", item),
              Paragraph("4. Hội đồng xét hủy tài liệu gồm:", item)]
    story += [Paragraph(f"- <b>{_e(p.name)}</b>" + (f", {_e(p.title)}" if p.title else "") + ";",
                        ParagraphStyle("member", parent=item, leftIndent=16 * mm)) for p in doc.council]
    if doc.fonds:
        story.append(Paragraph("Tài liệu thuộc các phông: " + _e("; ".join(doc.fonds)) + ".", body))
    story.append(Paragraph(f"Đã tiến hành hủy tài liệu lưu trữ điện tử hết giá trị của đợt hủy số "
                           f"{_e(doc.batch_number)} «{_e(doc.batch_title)}» như sau:", body))

    story.append(Paragraph("I. Ý kiến của Hội đồng xét hủy tài liệu", head))
    for d in doc.dossiers:
        verdict = (f"Hội đồng đồng ý hủy ({d.approve}/{d.members} thành viên)" if d.destroyed else
                   f"Không hủy, hồ sơ được giữ lại ({_e(d.note or 'không đủ đa số')})")
        story.append(Paragraph(f"- Hồ sơ <b>{_e(d.code)}</b> «{_e(d.title)}»: {verdict}.", plain))
        for o in d.dissent:
            story.append(Paragraph(f"Ý kiến khác: {_e(o)}.", ParagraphStyle("dissent", parent=item)))
    if not any(d.dissent for d in doc.dossiers):
        story.append(Paragraph("Không có ý kiến khác.", plain))

    story.append(Paragraph("II. Tài liệu đã hủy", head))
    rows: list[list[Paragraph | str]]
    rows = [[Paragraph(h, cell_b) for h in ("STT", "Số, ký hiệu; ngày", "Trích yếu nội dung", "Số trang",
                                            "Mã băm SHA-256 bản gốc")]]
    dossier_row = ParagraphStyle("dossier_row", parent=cell_b, fontSize=10, leading=12.5)
    spans, n = [], 0
    for d in (d for d in doc.dossiers if d.destroyed):
        spans.append(len(rows))
        rows.append([Paragraph(f"Hồ sơ {_e(d.code)} — {_e(d.title)}"
                               + (f" (thời hạn bảo quản: {_e(d.retention)})" if d.retention else ""), dossier_row),
                     "", "", "", ""])
        for r in d.records:
            n += 1
            rows.append([Paragraph(str(n), cell),
                         Paragraph(_e(r.reference) + (f"<br/>{r.issued}" if r.issued else ""), cell),
                         Paragraph(_e(r.subject or "—"), cell),
                         Paragraph("" if r.pages is None else str(r.pages), cell),
                         Paragraph(r.sha256, mono)])
    table = Table(rows, colWidths=[11 * mm, 30 * mm, width - 11 * mm - 30 * mm - 15 * mm - 50 * mm, 15 * mm, 50 * mm],
                  repeatRows=1)
    commands: list[tuple[Any, ...]] = [("GRID", (0, 0), (-1, -1), 0.4, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE"))]
    table.setStyle(TableStyle(commands + [("SPAN", (0, r), (-1, r)) for r in spans]))
    story += [table, Spacer(1, 3 * mm)]

    t = doc.totals()
    pages = f"{t['pages']} trang" + (f" (và {t['pages_unknown']} văn bản không rõ số trang)" if t["pages_unknown"] else "")
    story += [Paragraph("III. Tổng cộng", head),
              Paragraph(f"Đã hủy {t['dossiers']} hồ sơ, gồm {t['documents']} văn bản, {pages}; dung lượng bản gốc "
                        f"{size_vi(t['bytes'])}.", body),
              Paragraph("Toàn bộ bản gốc, bản sao, văn bản trích xuất và dữ liệu chỉ mục của các tài liệu trên đã bị "
                        "xóa khỏi kho lưu trữ, không thể khôi phục. Siêu dữ liệu và mã băm SHA-256 của từng tài liệu "
                        "được giữ lại trong Danh mục tài liệu đã hủy kèm theo biên bản này.", body)]
    if doc.destroyed_from and doc.destroyed_to:
        first, last = doc.destroyed_from, doc.destroyed_to
        span = (f"lúc {vn_time(last)} {vn_date(last.date())}" if vn_time(first) == vn_time(last)
                and first.date() == last.date() else
                f"từ {vn_time(first)} đến {vn_time(last)} {vn_date(last.date())}" if first.date() == last.date() else
                f"từ {vn_time(doc.destroyed_from)} {vn_date(doc.destroyed_from.date())} đến "
                f"{vn_time(doc.destroyed_to)} {vn_date(doc.destroyed_to.date())}")
        story.append(Paragraph(f"Việc hủy được thực hiện trên hệ thống {span} (giờ Việt Nam).", body))
    story.append(Paragraph(f"Biên bản kết thúc hồi {vn_time(when)} cùng ngày, được lập thành bản điện tử, ký số bằng "
                           "chứng thư số của kho lưu trữ và gắn dấu thời gian; những người có tên trên đã thực hiện "
                           "phần việc của mình trên hệ thống bằng tài khoản cá nhân.", body))

    sign_l = [Paragraph("NGƯỜI THỰC HIỆN HỦY", centre_b)] + (
        [Paragraph(_e(doc.destroyer.title), centre)] if doc.destroyer.title else []) + [
        Spacer(1, 14 * mm), Paragraph(_e(doc.destroyer.name), centre_b)]
    sign_r = [Paragraph("NGƯỜI QUYẾT ĐỊNH HỦY", centre_b)] + (
        [Paragraph(_e(doc.approver.title), centre)] if doc.approver.title else []) + [
        Spacer(1, 14 * mm), Paragraph(_e(doc.approver.name), centre_b)]
    signatures = Table([[sign_l, sign_r]], colWidths=[width / 2, width / 2])
    signatures.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    recipients = [Paragraph("<b><i>Nơi nhận:</i></b>", small),
                  Paragraph(f"- {_e(doc.approver.name)} (người quyết định hủy);", small),
                  Paragraph("- Hội đồng xét hủy tài liệu;", small),
                  Paragraph(f"- Lưu: VT, Hồ sơ hủy tài liệu đợt {_e(doc.batch_number)}.", small)]
    story += [Spacer(1, 6 * mm), KeepTogether([signatures, Spacer(1, 6 * mm), *recipients])]
    pdf.build(story, onLaterPages=page_number)
    return buf.getvalue()


# --- signing ----------------------------------------------------------------------------------------
def sign(pdf: bytes, identity: ArchiveIdentity, *, timestamper=None, reason: str = "Biên bản hủy tài liệu",
         location: str | None = None) -> bytes:
    """Sign (PAdES) with the archive's signing certificate; ``timestamper`` — a pyHanko
    ``TimeStamper``: the archive's TSA or the external one — adds the RFC 3161 signature timestamp
    that proves the signing time. The chain (archive CA) is embedded."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from archive.timestamping import run_sync

    def cert(path):
        data = path.read_bytes()
        return asn1_x509.Certificate.load(pem.unarmor(data)[2] if pem.detect(data) else data)

    key_data = identity.signing_key.read_bytes()
    signer = signers.SimpleSigner(signing_cert=cert(identity.signing_cert),
                                  signing_key=asn1_keys.PrivateKeyInfo.load(pem.unarmor(key_data)[2]),
                                  cert_registry=SimpleCertificateStore.from_certs([cert(identity.ca_cert)]))
    meta = signers.PdfSignatureMetadata(field_name="ChuKyKhoLuuTru", reason=reason,
                                        location=location or "Kho lưu trữ điện tử", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES)
    out = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    run_sync(lambda: signers.async_sign_pdf(writer, meta, signer=signer, timestamper=timestamper, output=out))
    return out.getvalue()

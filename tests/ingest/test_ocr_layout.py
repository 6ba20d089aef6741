"""A page's text from Tesseract's hOCR with side-by-side columns read one after the other
(``ingest.ocr.layout``)."""

from __future__ import annotations

from collections import Counter
from html import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.ocr.layout import Word, column_cut, leading, page_text, parse_hocr, rows, text_from_hocr


def hocr(paragraphs: list[list[list[Word]]]) -> str:
    """hOCR as Tesseract 5 writes it (XHTML, ocr_carea > ocr_par > ocr_line > ocrx_word)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"'
           ' "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
           '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en"><head><title></title></head><body>'
           "<div class='ocr_page' id='page_1' title='image \"x.png\"; bbox 0 0 1654 2339; ppageno 0'>"]
    for p, par in enumerate(paragraphs):
        out.append(f"<div class='ocr_carea' id='block_1_{p}'><p class='ocr_par' id='par_1_{p}' lang='vie'>")
        for n, line in enumerate(par):
            out.append(f"<span class='ocr_line' id='line_{p}_{n}' title=\"bbox 0 0 1 1; baseline 0 0\">")
            for k, w in enumerate(line):
                out.append(f"<span class='ocrx_word' id='word_{p}_{n}_{k}' "
                           f"title='bbox {w.x0} {w.y0} {w.x1} {w.y1}; x_wconf 95'>{escape(w.text)}</span> ")
            out.append("</span>")
        out.append("</p></div>")
    out.append("</div></body></html>")
    return "".join(out)


def _line(y: int, *spans: tuple[int, str]) -> list[Word]:
    """Words of a line starting at the given x, 20 px per character, 12 px apart, 35 px high."""
    words = []
    for x, text in spans:
        for t in text.split():
            words.append(Word(t, x, y, x + 20 * len(t), y + 35))
            x += 20 * len(t) + 12
    return words


HEADER = [[_line(123, (211, "UBND THÀNH PHỐ HÀ NỘI"), (727, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")),
           _line(171, (352, "SỞ NỘI VỤ"), (888, "Độc lập - Tự do - Hạnh phúc"))],
          [_line(271, (310, "Số: 03/CTr-SNV"), (839, "Hà Nội, ngày 05 tháng 3 năm 2020"))],
          [_line(357, (703, "CHƯƠNG TRÌNH")), _line(408, (339, "Hành động thực hiện giải ngân vốn"))]]


def test_a_decree_30_header_reads_organ_then_motto_then_the_number_line():
    text = text_from_hocr(hocr(HEADER))
    assert text is not None
    assert text.split("\n\n")[0].splitlines() == ["UBND THÀNH PHỐ HÀ NỘI", "SỞ NỘI VỤ",
                                                   "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                                   "Độc lập - Tự do - Hạnh phúc"]
    # one line only: the same across or column by column; a paragraph without a wide gap is untouched
    assert text.split("\n\n")[1] == "Số: 03/CTr-SNV Hà Nội, ngày 05 tháng 3 năm 2020"
    assert text.split("\n\n")[2] == "CHƯƠNG TRÌNH\nHành động thực hiện giải ngân vốn"


def test_the_number_and_date_row_below_the_header_in_the_same_paragraph_stays_a_row():
    """Tesseract sometimes puts the row of số ký hiệu and date in the header's paragraph: it is its
    own row (further below than a line spacing), read across, after the organ and the motto."""
    par = HEADER[0] + HEADER[1]
    assert [len(r) for r in rows(par)] == [2, 1]
    assert page_text([par]).splitlines() == ["UBND THÀNH PHỐ HÀ NỘI", "SỞ NỘI VỤ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                              "Độc lập - Tự do - Hạnh phúc",
                                              "Số: 03/CTr-SNV Hà Nội, ngày 05 tháng 3 năm 2020", ""]


def test_a_signer_block_whose_order_is_the_same_either_way_keeps_its_lines():
    """The last recipient on the left, the seal's specks then the signer's name on the right:
    reading across already gives left then right, so Tesseract's lines stay (the Decree 30 parser
    reads the signer from them)."""
    par = [_line(1965, (204, "- Lưu: VT, XDCQ."), (1084, "v R 5")), _line(1995, (1023, "Hoàng Công Thăng"))]
    assert column_cut(par) is not None
    assert page_text([par]) == "- Lưu: VT, XDCQ. v R 5\nHoàng Công Thăng\n\n"


def test_columns_below_the_header_keep_tesseracts_order():
    """The Nơi nhận list beside the signer's block, after the body: which comes first has no
    answer, so the footer is read as Tesseract reads it; the header above is still reordered."""
    footer = [_line(1812, (202, "Nơi nhận:"), (1112, "GIÁM ĐỐC")), _line(1858, (204, "- Sở Nội vụ;")),
              _line(1900, (1023, "Hoàng Công Thăng"))]
    body = [_line(600, (236, "với các nội dung sau: một dòng dài chạy qua giữa trang"))]
    text = page_text([HEADER[0][0:2], body, footer])
    assert text.startswith("UBND THÀNH PHỐ HÀ NỘI\nSỞ NỘI VỤ\nCỘNG HÒA")
    assert text.endswith("Nơi nhận: GIÁM ĐỐC\n- Sở Nội vụ;\nHoàng Công Thăng\n\n")


def test_a_paragraph_whose_lines_cross_the_gap_is_not_cut():
    """A wide gap on one line, but another line has a word over it: body text, read across."""
    par = [_line(100, (100, "Nơi nhận:"), (1100, "GIÁM ĐỐC")), _line(140, (100, "một dòng dài chạy qua giữa trang"))]
    assert column_cut(par) is None
    assert page_text([par]) == "Nơi nhận: GIÁM ĐỐC\nmột dòng dài chạy qua giữa trang\n\n"


def test_what_is_not_hocr_gives_none_and_tesseracts_text_is_kept():
    assert text_from_hocr("<html><body><p class='ocr_par'>") is None
    assert text_from_hocr("not xml at all & <") is None
    assert text_from_hocr(hocr([])) == ""


_word_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
                     min_size=1, max_size=8).filter(lambda t: t.strip() == t and t)


@st.composite
def lines(draw):
    y = draw(st.integers(0, 3000))
    h = draw(st.integers(5, 60))
    x = draw(st.integers(0, 400))
    words = []
    for _ in range(draw(st.integers(1, 7))):
        text = draw(_word_text)
        w = draw(st.integers(1, 200))
        words.append(Word(text, x, y, x + w, y + h))
        x += w + draw(st.one_of(st.integers(1, 30), st.integers(100, 900)))  # word spacing or a column gap
    return words


paragraphs = st.lists(st.lists(lines(), min_size=1, max_size=5), max_size=5)


@settings(max_examples=200, deadline=None)
@given(pars=paragraphs)
def test_every_word_is_kept_once_and_only_the_order_within_a_paragraph_changes(pars):
    parsed = parse_hocr(hocr(pars))
    assert parsed == pars  # the reader gets back what Tesseract wrote
    text = page_text(pars)
    blocks = text.split("\n\n")[:-1]
    assert len(blocks) == len(pars)
    top = leading(pars)
    for n, (par, block) in enumerate(zip(pars, blocks, strict=True)):
        assert Counter(block.split()) == Counter(w.text for line in par for w in line)
        if n >= top:  # below the header: Tesseract's order and lines
            assert block.splitlines() == [" ".join(w.text for w in line) for line in par]
            continue
        words, pos = block.split(), 0
        for row in rows(par):  # rows keep their order; only words within a row move
            across = [w.text for line in row for w in line]
            chunk, pos = words[pos:pos + len(across)], pos + len(across)
            cut = column_cut(row)
            if cut is None:
                assert chunk == across
            else:
                assert all(w.x1 <= cut or w.x0 >= cut for line in row for w in line)
                left = [w.text for line in row for w in line if w.x1 <= cut]
                right = [w.text for line in row for w in line if w.x1 > cut]
                assert chunk == left + right
        if all(column_cut(row) is None for row in rows(par)):
            assert block.splitlines() == [" ".join(w.text for w in line) for line in par]


@settings(max_examples=100, deadline=None)
@given(junk=st.text(max_size=300))
def test_any_string_gives_text_or_none_never_an_exception(junk):
    result = text_from_hocr(junk)
    assert result is None or isinstance(result, str)

"""A page's text from Tesseract's hOCR with side-by-side columns read one after the other
(``ingest.ocr.layout``)."""

from __future__ import annotations

from collections import Counter
from html import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.ocr.layout import Word, column_cut, columns, foot, leading, page_text, parse_hocr, rows, text_from_hocr


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


def test_a_header_whose_lines_tesseract_made_paragraphs_of_their_own_reads_by_columns():
    """On a skewed scan Tesseract may give each header line its own paragraph: no paragraph has two
    lines to cut, so the header is found from the geometry (the page's first line runs across both
    columns) and read band by band, organ before motto."""
    pars = [[HEADER[0][0]], [HEADER[0][1]], HEADER[1], [BODY[0]], [BODY[1]]]
    assert leading(pars) == 0
    text = page_text(pars, page_width=1654)
    assert text.splitlines()[:6] == ["UBND THÀNH PHỐ HÀ NỘI", "SỞ NỘI VỤ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                     "Độc lập - Tự do - Hạnh phúc", "Số: 03/CTr-SNV", "Hà Nội, ngày 05 tháng 3 năm 2020"]
    # a page whose first line is not across (page 2: the body) keeps Tesseract's order
    assert page_text(pars[3:], page_width=1654) == "\n\n".join(" ".join(w.text for w in p[0]) for p in pars[3:]) + "\n\n"


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


BODY = [_line(1500, (236, "Điều 3. Chánh Văn phòng, Trưởng phòng Tổ chức cán bộ và các cá nhân")),
        _line(1548, (202, "có liên quan chịu trách nhiệm thi hành Quyết định này./."))]
"""The body's last lines: the first spans ~80 % of the 1654 px page, as a justified line does."""

NOI_NHAN = ["Nơi nhận:", "- Như trên;", "- Sở Nội vụ;", "- Lưu: VT, XDCQ."]
SIGNER = ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Hoàng Công Thăng"]


def _foot(recipients: list[str] = NOI_NHAN, y: int = 1640, name_y: int = 1900) -> tuple[list, list, list]:
    """A Decree 30 foot at 200 dpi: Nơi nhận at the left (46 px apart), the signer's title lines at
    the right beside it, the name below the signature space. Returns (left lines, titles, name)."""
    left = [_line(y + 46 * n, (202 if n == 0 else 214, t)) for n, t in enumerate(recipients)]
    titles = [_line(y + 46 * n, (1040, t)) for n, t in enumerate(SIGNER[:2])]
    return left, titles, [_line(name_y, (1010, SIGNER[2]))]


def _across(*groups: list) -> list:
    """Lines of several columns merged as Tesseract reads across: words of one height joined in x."""
    by_y: dict[int, list[Word]] = {}
    for group in groups:
        for line in group:
            by_y.setdefault(line[0].y0, []).extend(line)
    return [sorted(words, key=lambda w: w.x0) for _, words in sorted(by_y.items())]


def test_the_foot_reads_noi_nhan_then_the_signers_block_whatever_tesseracts_paragraphs():
    """The Nơi nhận list beside the signer's block: read across ("Nơi nhận: KT. GIÁM ĐỐC") before;
    now the left column, then the right one — and the same whichever way Tesseract grouped them."""
    left, titles, name = _foot()
    want = "\n".join(NOI_NHAN + SIGNER)
    across = [BODY, _across(left, titles, name)]
    signer_first = [BODY, titles, left, name]
    name_alone_first = [BODY, name, left + titles]
    for pars in (across, signer_first, name_alone_first):
        text = page_text(pars, page_width=1654)
        assert text.startswith(" ".join(w.text for w in BODY[0]) + "\n"), pars
        assert text.endswith(want + "\n\n"), text
        assert Counter(text.split()) == Counter(w.text for p in pars for line in p for w in line)
    # the first version of the layout left the foot as Tesseract read it
    assert "Nơi nhận: KT. GIÁM ĐỐC" not in page_text(across, page_width=1654)


def test_a_long_noi_nhan_list_beside_the_whole_signers_block_is_one_band():
    recipients = NOI_NHAN[:1] + [f"- Phòng {n} Sở Nội vụ;" for n in range(1, 9)] + NOI_NHAN[-1:]
    left, titles, name = _foot(recipients)
    text = page_text([BODY, _across(left, titles, name)], page_width=1654)
    assert text.endswith("\n".join(recipients + SIGNER) + "\n\n")


def test_a_signer_without_noi_nhan_keeps_tesseracts_order():
    _, titles, name = _foot()
    body = "\n".join(" ".join(w.text for w in line) for line in BODY)
    assert page_text([BODY, titles + name], page_width=1654) == body + "\n\n" + "\n".join(SIGNER) + "\n\n"
    assert foot(BODY + titles + name, 1654) is None


def test_two_signers_side_by_side_each_read_whole_then_the_noi_nhan_below():
    """A joint document: two signers' blocks side by side (titles, signature space, names), the
    Nơi nhận list below at the left. Each signer's block reads whole, left one first."""
    l_titles = [_line(1640, (250, "TM. SỞ NỘI VỤ")), _line(1686, (300, "GIÁM ĐỐC"))]
    r_titles = [_line(1640, (1000, "TM. SỞ TÀI CHÍNH")), _line(1686, (1060, "GIÁM ĐỐC"))]
    names = [_line(1880, (230, "Nguyễn Văn An")), _line(1880, (1010, "Trần Thị Bình"))]
    below = [_line(2000 + 46 * n, (202, t)) for n, t in enumerate(NOI_NHAN)]
    pars = [BODY, _across(l_titles, r_titles), _across(names), below]
    text = page_text(pars, page_width=1654)
    assert text.endswith("TM. SỞ NỘI VỤ\nGIÁM ĐỐC\nNguyễn Văn An\nTM. SỞ TÀI CHÍNH\nGIÁM ĐỐC\nTrần Thị Bình\n"
                         + "\n".join(NOI_NHAN) + "\n\n"), text
    assert Counter(text.split()) == Counter(w.text for p in pars for line in p for w in line)


def test_a_page_ending_in_body_text_keeps_tesseracts_order():
    """Page 1 of two: the body runs to the bottom; its last, short line is no column."""
    pars = [HEADER[0], [*BODY, _line(1596, (236, "Điều 4. Hiệu lực thi hành."))]]
    text = page_text(pars, page_width=1654)
    assert text.split("\n\n")[1].splitlines() == [" ".join(w.text for w in line) for line in pars[1]]


def test_a_speck_in_the_margin_does_not_make_the_body_a_column():
    """A speck read as a letter right of the body's last line: the foot's strip may narrow, never
    move to the margin and take the body in with the foot's columns."""
    left, titles, name = _foot()
    speck = [Word("'", 1600, 1550, 1606, 1560)]
    pars = [[BODY[0], BODY[1] + speck], _across(left, titles, name)]
    text = page_text(pars, page_width=1654)
    assert text.startswith(" ".join(w.text for w in BODY[0]) + "\n" + " ".join(w.text for w in BODY[1]) + " '\n")
    assert text.endswith("\n".join(NOI_NHAN + SIGNER) + "\n\n")


def test_a_paragraph_whose_lines_cross_the_gap_is_not_cut():
    """A wide gap on one line, but another line has a word over it: body text, read across (as a
    header paragraph, and as the foot: the line crossing the gap is the body's)."""
    par = [_line(100, (100, "Nơi nhận:"), (1100, "GIÁM ĐỐC")), _line(140, (100, "một dòng dài chạy qua giữa trang"))]
    assert column_cut(par) is None
    long = "một dòng dài chạy qua giữa trang đến tận lề phải của tờ giấy"
    par[1] = _line(140, (100, long))
    assert page_text([par]) == f"Nơi nhận: GIÁM ĐỐC\n{long}\n\n"
    assert page_text([[_line(60, (100, "Điều 2. Quyết định này có hiệu lực từ ngày ký."))], par],
                     page_width=1654).endswith(f"Nơi nhận: GIÁM ĐỐC\n{long}\n\n")


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
def test_every_word_is_kept_once_and_only_the_order_of_column_parts_changes(pars):
    parsed = parse_hocr(hocr(pars))
    assert parsed == pars  # the reader gets back what Tesseract wrote
    text = page_text(pars)
    assert Counter(text.split()) == Counter(w.text for par in pars for line in par for w in line)
    blocks = text.split("\n\n")[:-1]
    top = leading(pars)
    for par, block in zip(pars[:top], blocks, strict=False):  # the header
        assert Counter(block.split()) == Counter(w.text for line in par for w in line)
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
    top, head, found = columns(pars)
    out = [ln for block in blocks[top:] for ln in block.splitlines()]
    if head is None and found is None:  # below the header: Tesseract's order and lines
        assert blocks[top:] == ["\n".join(" ".join(w.text for w in line) for line in par) for par in pars[top:]]
        return
    assert top == 0 or head is None
    parts, moved = [], set()
    for keys, cut in (x for x in (head, found) if x is not None):
        lines = [pars[n][k] for n, k in keys]
        assert all(w.x1 <= cut or w.x0 >= cut for line in lines for w in line)  # no word is cut
        parts += [" ".join(w.text for w in line if (w.x1 <= cut) is side) for line in lines for side in (True, False)]
        moved |= set(keys)
    others = [" ".join(w.text for w in line) for n in range(top, len(pars)) for k, line in enumerate(pars[n])
              if (n, k) not in moved]
    # every other line as Tesseract read it; every line of the header or foot cut in two at most,
    # each part a line of its own: nothing across the columns
    assert Counter(out) == Counter([p for p in parts if p] + others)


@settings(max_examples=100, deadline=None)
@given(junk=st.text(max_size=300))
def test_any_string_gives_text_or_none_never_an_exception(junk):
    result = text_from_hocr(junk)
    assert result is None or isinstance(result, str)

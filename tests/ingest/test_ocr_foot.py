"""The foot of a scanned page read as a person reads it (``ingest.ocr.layout.foot``): Nơi nhận (left)
then the signer's block (right), each column whole — on real Tesseract output of generated scans
and of pages whose foot differs (a signer alone; two signers side by side, Nơi nhận below) — and
the truth of the generated scans in the same order (``kit.corpus.scans.foot_in_reading_order``)."""

from __future__ import annotations

import difflib
import os
import random
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from ingest.ocr.layout import parse_hocr, text_from_hocr
from kit.corpus.generator import DEFAULT_FONT_DIR, FONT_DIR_ENV, generate_pdf, noi_nhan_lines, random_doc_spec
from kit.corpus.scans import foot_in_reading_order, scan
from kit.ocr_accuracy import cer, normalize


@pytest.fixture(scope="module")
def tesseract():
    from ingest.ocr.engine import tools

    if tools("vie")["missing"]:
        if os.environ.get("CI") == "true":
            pytest.fail("Tesseract with vie is required under CI")
        pytest.skip("Tesseract with vie missing")


def _hocr(image, tmp_path: Path) -> str:
    """Tesseract's hOCR of a page image, as OCRmyPDF has it made (one thread, vie)."""
    path = tmp_path / "page.png"
    image.save(path, dpi=(200, 200))
    out = subprocess.run(["tesseract", str(path), "stdout", "-l", "vie", "hocr"], capture_output=True, text=True,
                         env={**os.environ, "OMP_THREAD_LIMIT": "1"}, check=True, timeout=300)
    return out.stdout


def _read(image, tmp_path: Path) -> list[str]:
    """The page's lines as the layout reads them, after checking that it lost or added no word."""
    hocr = _hocr(image, tmp_path)
    text = text_from_hocr(hocr)
    assert text is not None
    pars = parse_hocr(hocr)
    assert pars is not None
    assert Counter(text.split()) == Counter(w.text for p in pars for line in p for w in line)
    return [normalize(ln) for ln in text.splitlines() if ln.strip()]


def _at(lines: list[str], wanted: str, start: int = 0) -> int:
    """Index of the first line from ``start`` that reads as ``wanted`` (OCR may miss a letter)."""
    for i in range(start, len(lines)):
        if difflib.SequenceMatcher(None, lines[i].lower(), normalize(wanted).lower()).ratio() >= 0.8:
            return i
    raise AssertionError(f"{wanted!r} not read as a line of its own in {lines}")


def _specs(count: int) -> list:
    return [random_doc_spec(random.Random(f"ocr-foot/{i}"), pages=1, marks=False) for i in range(count)]


def test_the_truth_of_generated_scans_reads_noi_nhan_before_the_signer():
    """PDFium gives the generator's drawing order (signer's block, then Nơi nhận); the truth moves
    the Nơi nhận list first, lines unchanged, for every document of the generator's sample."""
    import pypdfium2 as pdfium

    for spec in _specs(40):
        doc = pdfium.PdfDocument(generate_pdf(spec))
        pages = []
        for page in doc:
            tp = page.get_textpage()
            pages.append(tp.get_text_bounded().replace("\r\n", "\n"))
        doc.close()
        whole = "\n".join(pages)
        ordered = "\n".join(foot_in_reading_order(p, spec) for p in pages)
        assert Counter(whole.split("\n")) == Counter(ordered.split("\n"))
        lines = [normalize(ln) for ln in ordered.split("\n")]
        for who in ([spec.original, spec] if spec.original is not None else [spec]):
            last = normalize(noi_nhan_lines(who)[-1])
            name = max(i for i, ln in enumerate(lines) if ln == normalize(who.signer_name))
            assert any(ln.startswith(last[:12]) for ln in lines[:name]), spec.so_ky_hieu
            assert lines[name - 1] == normalize(who.signer_lines[-1])


@pytest.mark.parametrize("seed", [0, 1])
def test_a_generated_scans_foot_reads_like_its_truth(tesseract, tmp_path, seed):
    """GIVEN a clean 200 dpi scan of a generated one-page document
    WHEN Tesseract reads it and the layout rebuilds the text
    THEN no word is lost or added, the Nơi nhận list ends before the signer's title and the name
    follows the title with no recipient between, and the foot's CER against the truth's is that of
    its misread characters (under 10 %: "GIAM ĐỐC", "Nguyên", specks in the signature space; read
    across the columns, as before, about half of the foot's characters were off)."""
    spec = _specs(seed + 1)[seed]
    s = scan(spec, quality="clean", seed=seed)
    lines = _read(s.pages[-1], tmp_path)
    first = _at(lines, "Nơi nhận:")
    luu = _at(lines, noi_nhan_lines(spec)[-1], first)
    title = _at(lines, spec.signer_lines[-1], luu)
    name = _at(lines, spec.signer_name, title)
    assert not any(ln.startswith("-") for ln in lines[title:name])
    truth = s.truth_text.split("\f")[-1]
    truth_foot = truth[truth.index("Nơi nhận:"):]
    errors, chars = cer(truth_foot, "\n".join(lines[first:]))
    assert errors / chars < 0.10


def _font(face: str, points: float):
    from PIL import ImageFont

    name = {"r": "DejaVuSerif.ttf", "b": "DejaVuSerif-Bold.ttf", "bi": "DejaVuSerif-BoldItalic.ttf"}[face]
    return ImageFont.truetype(str(Path(os.environ.get(FONT_DIR_ENV, DEFAULT_FONT_DIR)) / name), int(points * 200 / 72))


BODY = ("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; theo đề nghị của Giám đốc "
        "Sở Nội vụ về việc kiện toàn tổ chức bộ máy, các cơ quan, đơn vị có liên quan chịu trách nhiệm thi "
        "hành quyết định này kể từ ngày ký; các phòng chuyên môn phối hợp thực hiện và báo cáo kết quả về "
        "Ủy ban nhân dân tỉnh trước ngày 30 tháng 12 năm 2025 để tổng hợp./.")


def _page(foot: list[tuple[float, int, str, str, float]]):
    """An A4 page at 200 dpi: a Decree 30 header, a body paragraph over the full width, then
    ``foot``: (centre x, or −left x, y, text, face, points) lines."""
    from PIL import Image, ImageDraw

    page = Image.new("L", (1654, 2339), 255)
    d = ImageDraw.Draw(page)

    def put(x: float, y: int, text: str, face: str, points: float) -> None:
        font = _font(face, points)
        left = -x if x < 0 else x - font.getlength(text) / 2
        d.text((left, y), text, font=font, fill=0)

    for x, y, text, face in [(455, 160, "UBND TỈNH NAM ĐỊNH", "r"), (455, 210, "SỞ TÀI CHÍNH", "b"),
                             (1160, 160, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "b"),
                             (1160, 210, "Độc lập - Tự do - Hạnh phúc", "b"), (827, 400, "QUYẾT ĐỊNH", "b")]:
        put(x, y, text, face, 12.5)
    font, words, y, line = _font("r", 13), BODY.split(), 520, ""
    for word in words:
        if font.getlength(f"{line} {word}".strip()) > 1300:
            put(-236, y, line, "r", 13)
            y, line = y + 62, word
        else:
            line = f"{line} {word}".strip()
    put(-236, y, line, "r", 13)
    for x, top, text, face, points in foot:
        put(x, y + top, text, face, points)
    return page


def test_a_signer_without_noi_nhan_keeps_every_word_and_reads_title_then_name(tesseract, tmp_path):
    lines = _read(_page([(1160, 140, "TM. ỦY BAN NHÂN DÂN", "b", 12.5), (1160, 185, "CHỦ TỊCH", "b", 12.5),
                         (1160, 400, "Nguyễn Văn An", "b", 13)]), tmp_path)
    authority = _at(lines, "TM. ỦY BAN NHÂN DÂN")
    assert _at(lines, "CHỦ TỊCH", authority) < _at(lines, "Nguyễn Văn An", authority) == len(lines) - 1


def test_two_signers_side_by_side_each_read_whole_then_noi_nhan(tesseract, tmp_path):
    """A joint document: two signers' blocks side by side, Nơi nhận below at the left. Read across
    (before), each line held both signers' titles, then both names."""
    lines = _read(_page([(455, 140, "TM. SỞ TÀI CHÍNH", "b", 12.5), (455, 185, "GIÁM ĐỐC", "b", 12.5),
                         (455, 400, "Trần Thị Bình", "b", 13),
                         (1160, 140, "TM. SỞ NỘI VỤ", "b", 12.5), (1160, 185, "GIÁM ĐỐC", "b", 12.5),
                         (1160, 400, "Lê Văn Cường", "b", 13),
                         (-200, 520, "Nơi nhận:", "bi", 12), (-200, 560, "- UBND tỉnh;", "r", 11),
                         (-200, 595, "- Như Điều 3;", "r", 11), (-200, 630, "- Lưu: VT, TCCB.", "r", 11)]), tmp_path)
    left = _at(lines, "TM. SỞ TÀI CHÍNH", _at(lines, "12 năm 2025 để tổng hợp./."))
    assert _at(lines, "GIÁM ĐỐC", left) == left + 1
    assert _at(lines, "Trần Thị Bình", left) == left + 2
    assert _at(lines, "TM. SỞ NỘI VỤ", left) == left + 3
    assert _at(lines, "GIÁM ĐỐC", left + 2) == left + 4
    assert _at(lines, "Lê Văn Cường", left) == left + 5
    assert _at(lines, "Nơi nhận:", left) == left + 6
    assert _at(lines, "- Lưu: VT, TCCB.", left) == len(lines) - 1


def test_a_standard_foot_on_a_drawn_page_reads_noi_nhan_then_the_signer(tesseract, tmp_path):
    lines = _read(_page([(-200, 140, "Nơi nhận:", "bi", 12), (-200, 180, "- Như Điều 3;", "r", 11),
                         (-200, 215, "- UBND tỉnh (để b/c);", "r", 11), (-200, 250, "- Lưu: VT, TCCB.", "r", 11),
                         (1160, 140, "KT. GIÁM ĐỐC", "b", 12.5), (1160, 185, "PHÓ GIÁM ĐỐC", "b", 12.5),
                         (1160, 400, "Phạm Thị Hoa", "b", 13)]), tmp_path)
    first = _at(lines, "Nơi nhận:")
    foot = ("Nơi nhận:", "- Như Điều 3;", "- UBND tỉnh (để b/c);", "- Lưu: VT, TCCB.", "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC",
            "Phạm Thị Hoa")
    assert [_at(lines, t, first) for t in foot] == list(range(first, first + 7)) and first + 7 == len(lines)

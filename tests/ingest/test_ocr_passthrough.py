"""The scanned page's JPEG handed to Tesseract as stored (``ingest.ocr.passthrough``), and the
lossless OCR run that keeps the page as scanned in the searchable copy (``run_ocr``)."""

from __future__ import annotations

import io
import random
import struct
from pathlib import Path

import img2pdf
import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from ingest.ocr.passthrough import jpeg_with_dpi, page_jpeg


def _jpeg(size=(120, 90), mode="RGB", dpi=None, quality=80) -> bytes:
    im = Image.new(mode, size, "white" if mode != "CMYK" else (0, 0, 0, 0))
    for x in range(0, size[0], 7):  # some content, so that a decode differs from a blank
        im.putpixel((x, x % size[1]), 0 if mode == "L" else (0, 0, 0, 255)[: len(mode)])
    out = io.BytesIO()
    im.save(out, format="JPEG", quality=quality, **({"dpi": dpi} if dpi else {}))
    return out.getvalue()


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=200), dpi=st.tuples(st.floats(0, 70000), st.floats(0, 70000)),
       app0=st.booleans())
def test_jpeg_with_dpi_writes_one_jfif_segment_and_keeps_every_other_byte(body, dpi, app0):
    old = (b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00") if app0 else b""
    data = b"\xff\xd8" + old + body
    out = jpeg_with_dpi(data, dpi)
    assert out[:2] == b"\xff\xd8" and out[2:4] == b"\xff\xe0" and out[6:11] == b"JFIF\x00"
    x, y = struct.unpack(">HH", out[14:18])
    assert out[13] == 1 and (x, y) == tuple(max(1, min(65535, round(v))) for v in dpi)
    assert out[20:] == body  # the old JFIF segment gone, the rest untouched


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=64))
def test_jpeg_with_dpi_refuses_what_is_not_a_jpeg(data):
    if data[:2] == b"\xff\xd8":
        assert jpeg_with_dpi(data, (200, 200))[:2] == b"\xff\xd8"
    else:
        with pytest.raises(ValueError):
            jpeg_with_dpi(data, (200, 200))


@settings(max_examples=25, deadline=None)
@given(w=st.integers(8, 300), h=st.integers(8, 300), mode=st.sampled_from(["RGB", "L"]),
       old_dpi=st.sampled_from([None, (72, 72), (300, 150)]), dpi=st.integers(50, 1200))
def test_a_real_jpeg_keeps_its_pixels_and_reads_back_with_the_new_dpi(w, h, mode, old_dpi, dpi):
    data = _jpeg((w, h), mode, old_dpi)
    with Image.open(io.BytesIO(data)) as a, Image.open(io.BytesIO(jpeg_with_dpi(data, (dpi, dpi)))) as b:
        assert b.size == a.size and b.mode == a.mode
        assert tuple(round(v) for v in b.info["dpi"]) == (dpi, dpi)
        assert a.tobytes() == b.tobytes()


def _pdf_of(jpeg: bytes, dpi: int = 200) -> bytes:
    return img2pdf.convert([jpeg], layout_fun=img2pdf.get_fixed_dpi_layout_fun((dpi, dpi)))


def _dpi(v):
    return (v, v)


def test_a_scanners_page_gives_its_jpeg_as_stored(tmp_path):
    jpeg = _jpeg((400, 566), "RGB", (200, 200))
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(_pdf_of(jpeg))
    out = page_jpeg(pdf, 1, _dpi(200), _dpi(200), 0, False, False)
    assert out is not None
    with pikepdf.open(pdf) as p:  # the bytes of the page's image, only the JFIF header rewritten
        stored = next(iter(p.pages[0].resources.XObject.values())).read_raw_bytes()
    assert out == jpeg_with_dpi(stored, (200, 200))


def _variant(tmp_path: Path, how: str) -> Path:
    """A PDF page that is *not* one JPEG over the whole page, in the way ``how`` says."""
    jpeg = _jpeg((400, 566), "RGB", (200, 200))
    pdf = pikepdf.open(io.BytesIO(_pdf_of(jpeg)))
    page = pdf.pages[0]
    name = next(iter(page.resources.XObject.keys()))
    if how == "rotated":
        page.Rotate = 90
    elif how == "margin":
        page.Contents = pdf.make_stream(f"q 100 0 0 141 10 10 cm {name} Do Q".encode())
    elif how == "text":
        page.Contents = pdf.make_stream(page.Contents.read_bytes() + b" BT ET")
    elif how == "two_images":
        page.Contents = pdf.make_stream(page.Contents.read_bytes() + f" q 10 0 0 10 0 0 cm {name} Do Q".encode())
    elif how == "flate":
        png = io.BytesIO()
        Image.new("RGB", (400, 566), "white").save(png, format="PNG")
        return _write(tmp_path, how, img2pdf.convert([png.getvalue()],
                                                     layout_fun=img2pdf.get_fixed_dpi_layout_fun((200, 200))))
    elif how == "cmyk":
        return _write(tmp_path, how, _pdf_of(_jpeg((400, 566), "CMYK", (200, 200))))
    elif how == "smask":
        image = page.resources.XObject[name]
        image.SMask = pdf.make_stream(b"\xff" * 4, Width=2, Height=2, ColorSpace=pikepdf.Name.DeviceGray,
                                      BitsPerComponent=8)
    out = io.BytesIO()
    pdf.save(out)
    return _write(tmp_path, how, out.getvalue())


def _write(tmp_path: Path, how: str, data: bytes) -> Path:
    p = tmp_path / f"{how}.pdf"
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("how", ["rotated", "margin", "text", "two_images", "flate", "cmyk", "smask"])
def test_any_other_page_is_left_to_the_renderer(tmp_path, how):
    assert page_jpeg(_variant(tmp_path, how), 1, _dpi(200), _dpi(200), 0, False, False) is None


def test_a_rotation_asked_for_a_filter_or_another_resolution_is_left_to_the_renderer(tmp_path):
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(_pdf_of(_jpeg((400, 566), "RGB", (200, 200))))
    assert page_jpeg(pdf, 1, _dpi(200), _dpi(200), 90, False, False) is None
    assert page_jpeg(pdf, 1, _dpi(200), _dpi(200), 0, True, False) is None
    assert page_jpeg(pdf, 1, _dpi(300), _dpi(300), 0, False, False) is None
    assert page_jpeg(pdf, 2, _dpi(200), _dpi(200), 0, False, False) is None


def test_the_lossless_run_keeps_the_scanned_jpeg_and_reads_the_same_text(tmp_path, ocr_ready):
    """GIVEN a noisy image-only scan
    WHEN it is OCRed the lossless way (the default) and the old way (force: the page re-rendered)
    THEN the copy keeps the page's JPEG byte for byte, is a PDF/A-2b by veraPDF, and the text is as good."""
    import difflib

    from ingest.ocr.engine import run_ocr
    from ingest.pdfa import VeraPdfValidator
    from kit.corpus.generator import random_doc_spec
    from kit.corpus.scans import scan

    s = scan(random_doc_spec(random.Random("passthrough/1"), pages=1, marks=False), dpi=200, quality="noisy",
             seed=1)
    source = tmp_path / "scan.pdf"
    source.write_bytes(s.pdf_bytes())
    results = {lossless: run_ocr(source, "application/pdf", tmp_path / f"w{lossless}", deskew=False,
                                 drop_red=True, red_stamps=True, lossless=lossless)
               for lossless in (True, False)}
    with pikepdf.open(source) as a, pikepdf.open(results[True]["pdf"]) as b, pikepdf.open(results[False]["pdf"]) as c:
        original = next(iter(a.pages[0].resources.XObject.values())).read_raw_bytes()
        kept = [x.read_raw_bytes() for x in b.pages[0].images.values()]
        redrawn = [x.read_raw_bytes() for x in c.pages[0].images.values()]
    assert kept == [original] and redrawn != [original]

    def ratio(text: str) -> float:
        return difflib.SequenceMatcher(None, " ".join(s.truth_text.split()), " ".join(text.split()),
                                       autojunk=False).ratio()

    # the JPEG decoded by libjpeg through Pillow rather than rendered by PDFium: a few characters
    # read differently (one seed: "CHANH VẬN" for "CHÁNH VĂN"), never a page misplaced or garbled
    assert ratio(results[True]["texts"][0]) >= ratio(results[False]["texts"][0]) - 0.03
    assert results[True]["pages"][0]["words"] > 100 and results[True]["pages"][0]["confidence"] > 80
    validator = VeraPdfValidator.find("verapdf")
    if validator is not None:
        assert validator.validate(Path(results[True]["pdf"]), "2b").compliant


def test_a_chosen_page_with_some_text_after_two_text_pages_is_ocred_and_its_text_kept(tmp_path, ocr_ready):
    """GIVEN a PDF of two born-digital pages then a scanned page carrying a few characters of text
    (a scanner's page number)
    WHEN page 3 alone is OCRed
    THEN OCRmyPDF's skip mode would leave it: it is OCRed in force mode, and its text is page 3's
    (OCRmyPDF's sidecar writes pages 1–2 as one "[OCR skipped on page(s) 1-2]": the text used to be
    read from it by position and page 3's was lost)."""
    from ingest.ocr.engine import run_ocr
    from kit.corpus.generator import random_doc_spec
    from kit.corpus.scans import scan

    s = scan(random_doc_spec(random.Random("passthrough/2"), pages=1, marks=False), dpi=200, quality="clean",
             seed=2)
    pdf = pikepdf.new()
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    for n in (1, 2):
        page = pdf.add_blank_page(page_size=(595, 842))
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.Contents = pdf.make_stream(f"BT /F1 12 Tf 72 700 Td (Trang van ban {n}) Tj ET".encode())
    scanned = pikepdf.open(io.BytesIO(s.pdf_bytes()))
    pdf.pages.append(scanned.pages[0])
    page = pdf.pages[2]
    page.Resources.Font = pikepdf.Dictionary(F1=font)
    page.Contents = pdf.make_stream(page.Contents.read_bytes() + b" BT /F1 8 Tf 10 10 Td (3) Tj ET")
    source = tmp_path / "mixed.pdf"
    pdf.save(source)
    r = run_ocr(source, "application/pdf", tmp_path / "w", pages=[3], deskew=False, drop_red=True)
    assert [p["page"] for p in r["pages"]] == [3] and r["pages"][0]["words"] > 100
    assert len(r["texts"]) == 3 and r["texts"][0] == r["texts"][1] == ""
    assert "Số" in r["texts"][2] and "Trang van ban" not in r["texts"][2]

"""The skew estimate that decides which scans are straightened (``ingest.ocr.skew``) and the
``LUUTRU_OCR__DESKEW`` setting it serves.

Real pages: documents of the corpus generator rendered by PDFium at 200 dpi, turned by Pillow as a
skewed scan is (``kit.corpus.scans`` turns its noisy pages the same way)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from archive.errors import SettingsError
from archive.settings import OcrSettings, Settings
from ingest.ocr.skew import THRESHOLD_DEGREES, estimate_skew, needs_deskew
from kit.corpus.generator import generate_pdf, random_doc_spec


@pytest.fixture(scope="module")
def pages() -> list[Image.Image]:
    """Three straight pages of different layouts (a Decree 30 header and foot, body text), 200 dpi, RGB."""
    import pypdfium2 as pdfium

    out = []
    for seed, n in ((1, 0), (2, 1), (3, 0)):
        doc = pdfium.PdfDocument(generate_pdf(random_doc_spec(random.Random(f"skew-test/{seed}"), pages=2,
                                                              marks=False)))
        image = doc[n].render(scale=200 / 72).to_pil().convert("RGB")
        image.info["dpi"] = (200, 200)
        out.append(image)
        doc.close()
    return out


def _turned(page: Image.Image, angle: float) -> Image.Image:
    turned = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(255, 255, 255))
    turned.info["dpi"] = page.info["dpi"]
    return turned


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(angle=st.floats(min_value=-4.0, max_value=4.0, allow_nan=False), which=st.integers(0, 2))
def test_the_estimate_finds_the_angle_a_page_was_turned_by(pages, angle, which):
    """GIVEN a real page turned counter-clockwise by ``angle`` (within ±4°)
    THEN the estimate is within 0.15° of it (the threshold is 0.5°: no straight page is turned, no
    page skewed by 0.65° or more is missed)."""
    assert estimate_skew(_turned(pages[which], angle)) == pytest.approx(angle, abs=0.15)


def test_straight_pages_and_blank_pages_are_not_skewed(pages):
    """GIVEN straight pages, in colour, grey, at 100 dpi, and a blank page
    THEN each estimate is 0.0 and none needs deskewing."""
    for page in pages:
        grey = page.convert("L")
        grey.info["dpi"] = (200, 200)
        small = page.reduce(2)
        small.info["dpi"] = (100, 100)
        for image in (page, grey, small):
            assert estimate_skew(image) == 0.0
            assert not needs_deskew(estimate_skew(image))
    assert estimate_skew(Image.new("RGB", (1654, 2339), "white")) == 0.0
    assert needs_deskew(THRESHOLD_DEGREES) and needs_deskew(-THRESHOLD_DEGREES)


def test_a_red_seal_across_the_lines_does_not_move_the_estimate(pages):
    """GIVEN a page turned by 2° with a red ring (a round seal) over its text
    THEN the estimate is still within 0.15° (the red channel is used: red ink reads as paper)."""
    from PIL import ImageDraw

    page = pages[0].copy()
    ImageDraw.Draw(page).ellipse((900, 1500, 1400, 2000), outline=(200, 30, 30), width=14)
    page.info["dpi"] = (200, 200)
    assert estimate_skew(_turned(page, 2.0)) == pytest.approx(2.0, abs=0.15)


def test_the_deskew_setting_is_a_choice_and_the_old_booleans_still_work(monkeypatch):
    """GIVEN ``LUUTRU_OCR__DESKEW`` as deployments set it before it was a choice (true/false)
    THEN true means always and false off; the default is auto; another word is refused."""
    assert OcrSettings().deskew == "auto"
    for value, mode in (("true", "always"), ("false", "off"), ("True", "always"), ("0", "off"), ("auto", "auto"),
                        ("always", "always"), ("off", "off"), ("AUTO", "auto")):
        monkeypatch.setenv("LUUTRU_OCR__DESKEW", value)
        assert Settings().ocr.deskew == mode, value
    assert OcrSettings(deskew=True).deskew == "always" and OcrSettings(deskew=False).deskew == "off"
    monkeypatch.setenv("LUUTRU_OCR__DESKEW", "sometimes")
    with pytest.raises((SettingsError, ValueError)):
        Settings()

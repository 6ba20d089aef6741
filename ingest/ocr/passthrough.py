"""The page image of a scanned PDF page handed to Tesseract as it is stored, without rendering.

OCRmyPDF renders each page it OCRs (PDFium), writes the bitmap as PNG, and reads it back to make the
image Tesseract sees: on a 200 dpi colour scan that took about as long as a fifth of Tesseract's
own recognition (bench/ocr.py profile, 06/12/2026). A scanner's PDF page is most often one JPEG
drawn over the whole page and nothing else; its pixels *are* the rendering at the image's own
resolution. ``page_jpeg`` recognises that case and returns the JPEG's bytes with the page's
resolution written in their JFIF header (``jpeg_with_dpi``), so OCRmyPDF and Tesseract read the
same pixels PDFium would have drawn, decoded once. Anything else — several images, another
filter (JBIG2, CCITT, Flate), masks, a /Decode array, CMYK, rotation, a content stream doing more
than placing the image, a size that does not fit the resolution asked — returns None and
OCRmyPDF renders the page as before.
"""

from __future__ import annotations

import struct
from pathlib import Path

_SOI = b"\xff\xd8"


def jpeg_with_dpi(data: bytes, dpi: tuple[float, float]) -> bytes:
    """``data`` (a JPEG) with a JFIF APP0 segment right after SOI giving ``dpi`` (dots per inch);
    a JFIF APP0 segment already there is replaced, every other byte kept. ValueError if ``data``
    does not start like a JPEG."""
    if data[:2] != _SOI:
        raise ValueError("not a JPEG (no SOI marker)")
    x, y = (max(1, min(65535, round(float(v)))) for v in dpi)
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x02\x01" + struct.pack(">HH", x, y) + b"\x00\x00"
    rest = data[2:]
    if rest[:2] == b"\xff\xe0" and len(rest) >= 9 and rest[4:9] == b"JFIF\x00":
        length = struct.unpack(">H", rest[2:4])[0]
        if 2 <= length <= len(rest) - 2:
            rest = rest[2 + length:]
    return _SOI + app0 + rest


def _close(a: float, b: float, tolerance: float = 0.5) -> bool:
    return abs(a - b) <= tolerance


def page_jpeg(input_file: Path, pageno: int, raster_dpi, page_dpi, rotation: int | None,
              filter_vector: bool, use_cropbox: bool) -> bytes | None:
    """The JPEG of page ``pageno`` (1-based) with the DPI of ``page_dpi`` (``raster_dpi`` when
    None), when the page is exactly one DCT-encoded RGB or grey image over its whole MediaBox at
    ``raster_dpi``; None otherwise (the caller renders the page)."""
    import pikepdf

    if rotation or filter_vector:
        return None
    with pikepdf.open(input_file) as pdf:
        if not 0 < pageno <= len(pdf.pages):
            return None
        page = pdf.pages[pageno - 1]
        if int(page.obj.get("/Rotate", 0)) % 360:
            return None
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        if use_cropbox and [float(v) for v in page.cropbox] != [x0, y0, x1, y1]:
            return None
        xobjects = page.resources.get("/XObject")
        if not isinstance(xobjects, pikepdf.Dictionary) or len(xobjects.keys()) != 1:
            return None
        name = next(iter(xobjects.keys()))
        image = xobjects[name]
        if not isinstance(image, pikepdf.Stream) or image.get("/Subtype") != pikepdf.Name.Image:
            return None
        filters = image.get("/Filter")
        if isinstance(filters, pikepdf.Array):
            filters = filters[0] if len(filters) == 1 else None
        if filters != pikepdf.Name.DCTDecode or image.get("/DecodeParms") not in (None, pikepdf.Array()):
            return None
        if any(k in image for k in ("/SMask", "/Mask", "/Decode", "/ImageMask")):
            return None
        cs = image.get("/ColorSpace")
        if cs not in (pikepdf.Name.DeviceRGB, pikepdf.Name.DeviceGray) or int(image.get("/BitsPerComponent", 0)) != 8:
            return None
        cm_seen = do_seen = False
        for instruction in pikepdf.parse_content_stream(page):
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                return None
            operands, op = instruction.operands, str(instruction.operator)
            if op in ("q", "Q"):
                continue
            if op == "cm" and not cm_seen and not do_seen:
                a, b, c, d, e, f = (float(v) for v in operands)
                if not (b == 0 and c == 0 and _close(a, x1 - x0) and _close(d, y1 - y0) and _close(e, x0)
                        and _close(f, y0)):
                    return None
                cm_seen = True
            elif op == "Do" and cm_seen and not do_seen and str(operands[0]) == name:
                do_seen = True
            else:
                return None
        if not do_seen:
            return None
        width, height = int(image.Width), int(image.Height)
        rx, ry = float(raster_dpi[0]), float(raster_dpi[1])
        if abs(width - (x1 - x0) / 72.0 * rx) > 1 or abs(height - (y1 - y0) / 72.0 * ry) > 1:
            return None
        data = image.read_raw_bytes()
    try:
        out = jpeg_with_dpi(data, page_dpi if page_dpi is not None else raster_dpi)
    except ValueError:
        return None
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(out)) as im:  # the header only: size and mode as PDFium would see them
            if im.format != "JPEG" or im.size != (width, height) or im.mode not in ("RGB", "L"):
                return None
    except Exception:  # noqa: BLE001 - a JPEG Pillow cannot read: let PDFium render the page
        return None
    return out

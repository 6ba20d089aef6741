"""Decree 30 reading, part 4: the header steps (Phụ lục I boxes 1–5, 9a, 10, 11): number, place
and date, type line, V/v and subject, agency, Kính gửi, markings and the electronic copy box."""

from __future__ import annotations

import re
from datetime import date

from ingest.describe.decree30.patterns import (
    _AUTHORITY,
    _BARE_NORMATIVE,
    _BODY_START,
    _BULLET,
    _CONNECTOR_END,
    _DATE,
    _DATE_NUMERIC,
    _DATE_START,
    _ISO_DATE,
    _KINH_GUI,
    _MOTTO,
    _NOT_A_PLACE,
    _NUMBER_LABEL,
    _NUMBERED,
    _SECTION,
    _SO,
    _STRAY,
    _VE_VIEC,
    _VV,
    _agency_units,
    _clean_entry,
    _copy_marker,
    _is_caps,
    _is_noise,
    _is_separator,
    _letters,
    _marking,
    _place_start,
)
from ingest.describe.decree30.reading import _Reading, _Symbol
from ingest.describe.decree30.text import (
    _CELL_GAP,
    HEURISTIC,
    INFERRED,
    LAYOUT_DEFECT,
    LENIENT,
    STRICT,
    WEAK,
    _collapse,
    _fold,
    _Line,
    _make_line,
    _tone,
)


class _HeaderSteps(_Reading):
    """The steps that read the header, above the body."""

    def _body_start(self) -> None:
        for line in self.head:
            if line.text and _BODY_START.match(line.text):
                self.body_start = line.index
                return

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

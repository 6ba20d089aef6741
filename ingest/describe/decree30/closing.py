"""Decree 30 reading, part 5: the closing steps (boxes 7 and 9b, and the paper copy block): signer
block with its authority chain, Nơi nhận, Lưu, circulation, and a copy's own block."""

from __future__ import annotations

import re
from datetime import date

from ingest.describe.decree30.patterns import (
    _APPEARANCE_NAME,
    _AS_ABOVE,
    _AUTHORITY,
    _AUTHORITY_LENIENT,
    _BULLET,
    _DATE,
    _LUU,
    _LUU_COUNT,
    _NOI_NHAN,
    _POSITION_TITLES,
    _SIGNED_MARK,
    _SO,
    _SURNAMES,
    _agency_units,
    _clean_entry,
    _copy_marker,
    _is_caps,
    _is_caps_person_name,
    _is_noise,
    _is_person_name,
    _is_separator,
    _letters,
    _marking,
    _split_title,
)
from ingest.describe.decree30.reading import _Reading
from ingest.describe.decree30.text import HEURISTIC, INFERRED, LENIENT, STRICT, WEAK, _collapse, _fold, _Line


class _ClosingSteps(_Reading):
    """The steps that read the closing, below the body."""

    def _closing(self) -> None:
        self.header_end = max(x for x in (
            -1, self.symbol.line if self.symbol else None, self.date_line, self.type_line, self.vv_end,
            self.vv_line, self.subject_end, self.kinh_gui_end, self.agency_end,
        ) if x is not None)
        lines = [line for line in self.tail if line.index > self.header_end]
        # A paper copy block (SAO Y / SAO LỤC / TRÍCH SAO) closes the text; the original's
        # signer and recipients are above it.
        for pos, line in enumerate(lines):
            marker = next((m for m in map(_copy_marker, line.cells) if m), None)
            copy_syms = [s for s in self._symbols_in(line) if self._is_copy_symbol(s)] if marker is None else []
            if marker or copy_syms:
                if copy_syms and "copy_form" not in self.fields:
                    c = copy_syms[0]
                    self.set("copy_form", c.groups[0], c.confidence, "symbol:copy_form", c.flags)
                    if c.so_ky_hieu:
                        self.set("copy_so_ky_hieu", c.so_ky_hieu, c.confidence,
                                 "closing:copy_so_ky_hieu_line", c.flags)
                elif marker and "copy_form" not in self.fields:
                    self.set("copy_form", marker, INFERRED, "closing:copy_marking")
                for later in lines[pos: pos + 6]:
                    for sym in self._symbols_in(later):
                        if (self._is_copy_symbol(sym) and sym.so_ky_hieu
                                and "copy_so_ky_hieu" not in self.fields):
                            self.set("copy_so_ky_hieu", sym.so_ky_hieu, sym.confidence,
                                     "closing:copy_so_ky_hieu_line", sym.flags)
                            if self.fields["copy_form"].confidence < sym.confidence:
                                self.set("copy_form", sym.groups[0], sym.confidence, "symbol:copy_form")
                start = self._copy_block(lines, pos)
                lines = lines[:start]
                break

        stream, entries = self._split_closing(lines)
        self._circulation_in(stream)
        self._recipients(entries)
        self._signer(stream)

    def _copy_block(self, lines: list[_Line], pos: int) -> int:
        """Read the copying agency, date and signer of a paper copy block whose marker or
        SY/TrS/SL number is on ``lines[pos]`` (Phụ lục I, Phần II); return where it starts."""
        start = pos
        agency_lines: list[str] = []
        while start > 0:
            prev = lines[start - 1]
            if not prev.text or _is_separator(prev.text):
                start -= 1
                continue
            if (_is_caps(prev.text, 20) and not _AUTHORITY.match(prev.text) and not _copy_marker(prev.text)
                    and prev.text not in _POSITION_TITLES):
                agency_lines.insert(0, prev.text)
                start -= 1
                continue
            break
        for line in lines[pos: pos + 3]:
            if _SO.search(line.raw) or _DATE.search(line.raw):
                break
            agency_lines += [c for c in line.cells if _is_caps(c, 20) and not _copy_marker(c)
                             and not _marking(c, self.lenient)]
        src = "closing:copy_block"
        if agency_lines:
            self.set("copy_issuing_agency", _agency_units(agency_lines)[-1], HEURISTIC, src)
        block = lines[pos:]
        for line in block:
            hit = self._date_in(line)
            if hit:
                m = hit[0]
                try:
                    copied = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
                except (TypeError, ValueError):
                    break
                self.set("copy_issued_date", copied, STRICT, src)
                break
        stream, _ = self._split_closing(block)
        self._signer(stream, prefix="copy_signer", source=src)
        return start

    def _split_closing(self, lines: list[_Line]) -> tuple[list[str], list[str]]:
        """Separate the Nơi nhận list (left column) from everything else (signer block, body)."""
        nn = None
        for pos, line in enumerate(lines):
            if line.cells and self._label(_NOI_NHAN, line.cells[0], "nơi nhận"):
                nn = pos
        stream: list[str] = []
        entries: list[str] = []
        if nn is None:
            for line in lines:
                stream.extend(line.cells)
            return stream, entries
        for line in lines[:nn]:
            stream.extend(line.cells)
        first = lines[nn].cells
        m = _NOI_NHAN.match(_fold(first[0][:24]))
        assert m is not None  # nn is the line whose first cell this label opens
        rest = first[0][m.end():].strip()
        in_list = True

        def route(cells: tuple[str, ...] | list[str]) -> None:
            for c in cells:
                if entries and not self._signerish(c) and in_list:
                    entries[-1] = f"{entries[-1]} {c}"
                else:
                    stream.append(c)

        def add_entry(text: str) -> None:
            nonlocal in_list
            entry, glued = self._unglue(text)
            entries.append(entry)
            if glued:
                stream.append(glued)
            if _LUU.match(_clean_entry(entry)):
                in_list = False

        if rest:
            if _BULLET.match(rest):
                add_entry(rest)
            else:
                stream.append(rest)
        route(first[1:])
        for line in lines[nn + 1:]:
            if not line.cells:
                continue
            c0 = line.cells[0]
            if in_list and line.indent < 20 and _BULLET.match(c0):
                add_entry(c0)
                route(line.cells[1:])
            elif (in_list and line.indent < 20 and entries
                  and not entries[-1].rstrip().endswith((";", "."))
                  and (c0[0].islower() or not self._signer_line(c0))):
                # A wrapped entry ("- Trung tâm Lưu trữ quốc gia I, II, III," / "IV;").
                entries[-1] = f"{entries[-1]} {c0}"
                route(line.cells[1:])
            else:
                stream.extend(line.cells)
        return stream, entries

    def _signer_line(self, cell: str) -> bool:
        """A line of a signer block, even when printed in the recipients' column."""
        c = _SIGNED_MARK.sub("", cell).strip()
        return ((_is_caps(c) and _letters(c) >= 4) or _is_person_name(c) or _is_noise(c)
                or bool(_AUTHORITY.match(c)))

    def _signerish(self, cell: str) -> bool:
        c = _SIGNED_MARK.sub("", cell).strip()
        return (not c or _is_caps(c) or _is_person_name(c) or _is_noise(c)
                or bool(_AUTHORITY.match(c)))

    def _unglue(self, text: str) -> tuple[str, str | None]:
        """Split a signer line glued to a recipient entry by a single space:
        "- Như trên; KT. CHỦ TỊCH" -> ("- Như trên;", "KT. CHỦ TỊCH")."""
        m = re.match(r"^(?P<entry>.*?[;.])\s+(?P<tail>\S.*)$", text)
        if m:
            tail = m.group("tail").strip()
            if (_is_caps(tail) and _letters(tail) >= 4) or _is_person_name(tail) or _AUTHORITY.match(tail):
                return m.group("entry"), tail
        return text, None

    def _circulation_in(self, stream: list[str]) -> None:
        for cell in stream:
            hit = _marking(cell, self.lenient)
            if hit and hit[0] == "circulation" and "circulation" not in self.fields:
                self.set("circulation", hit[1], STRICT if hit[2] else LENIENT, "closing:marking")

    def _recipients(self, entries: list[str]) -> None:
        closing: list[str] = []
        for entry in entries:
            clean = _clean_entry(entry)
            m = _LUU.match(clean)
            if m:
                self._luu(m.group("rest"))
                continue
            closing.extend(p for p in (_clean_entry(x) for x in clean.split(";")) if p)
        recipients = list(dict.fromkeys(
            r for r in (*self.kinh_gui, *closing) if not _AS_ABOVE.match(_fold(r))))
        if not recipients:
            return
        sources = [s for s, part in (("header:kinh_gui", self.kinh_gui), ("closing:noi_nhan", closing))
                   if part]
        self.set("recipients", recipients, HEURISTIC, "+".join(sources))

    def _luu(self, rest: str) -> None:
        count = None
        m = _LUU_COUNT.search(rest)
        if m:
            count = int(m.group("n"))
            rest = rest[: m.start()] + rest[m.end():]
        units = [u for u in (_collapse(x).strip(" .;:") for x in rest.split(",")) if u]
        if units:
            self.set("file_copy_units", units, STRICT, "closing:luu_line")
        if count is not None:
            self.set("file_copy_count", count, STRICT, "closing:luu_line")

    def _signer(self, stream: list[str], *, prefix: str = "signer",
                source: str = "closing:signer_block") -> None:
        """Read the signer block (II.7) at the end of ``stream`` into ``<prefix>_name``,
        ``_position``, ``_authority`` (+ ``_authority_chain``) and ``_on_behalf_of``."""
        appearance_name = None
        cells: list[str] = []
        # Only the end of the stream can hold the signer block; read it backwards.
        for cell in reversed(stream):
            if len(cells) >= 14:
                break
            m = _APPEARANCE_NAME.match(cell)
            if m and appearance_name is None:
                candidate = _collapse(m.group("name"))
                if _is_person_name(candidate) and candidate.split()[0] in _SURNAMES:
                    appearance_name = candidate
            c = _collapse(_SIGNED_MARK.sub(" ", cell)) if "ký" in cell.lower() else cell
            # A bullet line is a recipient even where the Nơi nhận label was not recognised.
            if c and not _is_noise(c) and not _BULLET.match(c) and not _marking(c, self.lenient):
                cells.append(c)
        cells.reverse()

        def authority(c: str) -> tuple[str, str, bool] | None:
            m = _AUTHORITY.match(c)
            if m:
                return m.group("p") + ".", m.group("rest").strip(), True
            if self.lenient:
                m = _AUTHORITY_LENIENT.match(c)
                if m:
                    return m.group("p").replace(" ", "").replace("/", "") + ".", m.group("rest").strip(), False
            return None

        name, name_caps, block = None, False, []
        title = None
        for i in range(len(cells) - 1, 0, -1):
            t, c = _split_title(cells[i])
            plain = _is_person_name(c)
            caps_name = not plain and self.lenient and _is_caps_person_name(c)
            if (plain or caps_name) and _is_caps(cells[i - 1]):
                name, name_caps, title = c, caps_name, t
                j = i - 1
                while j >= 0 and i - j <= 5 and _is_caps(cells[j]):
                    j -= 1
                block = cells[j + 1: i]
                break
        if name is None:
            for i in range(len(cells) - 1, -1, -1):
                if _is_caps(cells[i]) and authority(cells[i]):
                    j = i
                    while j > 0 and _is_caps(cells[j - 1]) and authority(cells[j - 1]):
                        j -= 1
                    k = i + 1
                    while k < len(cells) and k - i <= 2 and _is_caps(cells[k]) and not authority(cells[k]):
                        k += 1
                    block = cells[j:k]
                    break
        if not block and name is None:
            if appearance_name:
                self.set(f"{prefix}_name", appearance_name, WEAK, "closing:signature_appearance")
            return

        # Keep the prefix run nearest the name and at most two title lines after it.
        last_prefix = max((p for p, c in enumerate(block) if authority(c)), default=None)
        if last_prefix is not None:
            first_prefix = last_prefix
            while first_prefix > 0 and authority(block[first_prefix - 1]):
                first_prefix -= 1
            chain_cells = block[first_prefix: last_prefix + 1]
            titles = block[last_prefix + 1:][:2]
        else:
            chain_cells, titles = [], block[-1:]
        # every cell of the run is an authority (the run was chosen so): the filter only narrows the type
        chain = [a for a in (authority(c) for c in chain_cells) if a is not None]
        src = source
        if chain:
            strict = all(a[2] for a in chain)
            flags = () if strict else ("authority_nonstandard_form",)
            conf = STRICT if strict else LENIENT
            self.set(f"{prefix}_authority", chain[-1][0], conf, src, flags)
            if len(chain) > 1:
                self.set(f"{prefix}_authority_chain", [a[0] for a in chain], conf, src, flags)
            if chain[0][0] == "Q." and len(chain) == 1 and not titles:
                titles = [chain[0][1]]
            else:
                self.set(f"{prefix}_on_behalf_of", chain[0][1], HEURISTIC, src)
        if titles:
            self.set(f"{prefix}_position", " ".join(titles), HEURISTIC, src)
        if name is not None:
            if name_caps:
                self.set(f"{prefix}_name", name.title(), WEAK, src, ("name_all_caps",))
            else:
                self.set(f"{prefix}_name", name, STRICT, src, ("title_before_name",) if title else ())
        elif appearance_name:
            self.set(f"{prefix}_name", appearance_name, WEAK, "closing:signature_appearance")

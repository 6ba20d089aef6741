"""Detection: the document's evidence first (one encoding throughout: the fast path), else each
line scored and labelled, lines grouped into blocks, and each block kept only on its own evidence
or on the document's."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from ingest.vnlegacy.evidence import _BITS, _F_STATE, _F_UNICODE, _KEPT_VALID, _TOKEN_OR_NEWLINE_RE, _line_tokens, _lines, _Stats
from ingest.vnlegacy.letters import _UNICODE_ONLY_RE
from ingest.vnlegacy.tables import ENCODINGS

_HINT_RE = re.compile("[\u00a1-\u00ff]")

_THRESHOLD = 0.5
_SAMPLE = 1200  # distinct non-ASCII words scored at document level

# UTF-8 read as cp1252/Latin-1 ("Cá»™ng hÃ²a"): a lead byte followed by continuation bytes.
# Not TCVN3 or VNI, and not for this module to convert. (A no-break space is left out of the
# continuation bytes: it may follow a TCVN3 toned vowel.)
_CONTINUATION = (
    "\u0080-\u009f\u00a1-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152"
    "\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178"
)
_UTF8_MOJIBAKE_RE = re.compile(
    f"[\u00c2-\u00df][{_CONTINUATION}]|[\u00e0-\u00ef][{_CONTINUATION}]{{2}}"
)


def _looks_like_utf8_mojibake(text: str, words: Counter[str]) -> bool:
    hits = len(_UTF8_MOJIBAKE_RE.findall(text))
    if hits < 3:
        return False
    non_ascii = sum(n for t, n in words.items() if not t.isascii())
    return hits >= 0.2 * non_ascii


@dataclass
class _Block:
    start: int  # first line
    end: int  # past the last line
    encoding: int
    confidence: float
    weight: int  # improved tokens


def _analyse(text: str) -> tuple[list[str], list[_Block], float]:
    """Split ``text`` into lines and find the blocks of lines to convert. Also returns the
    best candidate score seen, for the confidence of a negative answer."""
    lines = _lines(text)
    items = _TOKEN_OR_NEWLINE_RE.findall(text)  # word tokens and newlines, in one pass
    counter = Counter(items)
    counter.pop("\n", None)
    if _looks_like_utf8_mojibake(text, counter):
        return lines, [], 0.0
    if len(counter) <= _SAMPLE:
        doc = _Stats.of(list(counter), list(counter.values()))
    else:
        ascii_words = [tok for tok in counter if tok.isascii()]
        legacy_like = sorted((tok for tok in counter if not tok.isascii()), key=counter.__getitem__, reverse=True)
        unicode_only = sum(counter[tok] for tok in legacy_like if _UNICODE_ONLY_RE.search(tok))
        total = sum(counter[tok] for tok in legacy_like)
        # Score the most frequent words only and scale up: bounded work on varied text.
        sample = legacy_like[:_SAMPLE]
        doc = _Stats.of(sample, [counter[tok] for tok in sample])
        doc.scale(total / max(sum(counter[tok] for tok in sample), 1))
        doc.add(_Stats.of(ascii_words, [counter[tok] for tok in ascii_words]))
        doc.set_field(_F_UNICODE, unicode_only)
    doc_conf = [doc.confidence(0), doc.confidence(1)]
    best_score = max(doc_conf)
    gains = [doc.gain(0), doc.gain(1)]
    candidates = [e for e in (0, 1) if gains[e] > 0 and doc.n_distinct(e) >= 2]
    if not candidates:
        return lines, [], best_score
    top = max(candidates, key=lambda e: gains[e])
    candidates = [e for e in candidates if e == top or gains[e] >= 0.25 * gains[top]]

    # Fast path: the whole text is legacy text of one encoding, with nothing that the
    # conversion would break or leave as junk (a foreign paragraph, say).
    if (
        len(candidates) == 1
        and doc.unicode == 0
        and doc.worsened(top) == 0
        and doc.junk(top) <= 0.03 * doc.improved(top)
        and doc.plausibility(top) >= 0.85
        and doc_conf[top] >= _THRESHOLD
    ):
        return lines, [_Block(0, len(lines), top, doc_conf[top], doc.improved(top))], best_score

    # Mixed or doubtful text: label each line, then group lines into blocks.
    stats = [_Stats.of(toks) for toks in _line_tokens(items, len(lines))]
    labels: list[int | None] = []  # encoding, -1 for "keep as is", None for neutral
    weak: dict[int, int] = {}  # neutral lines that only convert between lines of that encoding
    untouched = _F_STATE[0] * _BITS  # counters from there on are zero: no word would change
    for i, st in enumerate(stats):
        if lines[i].isascii() or not st.x >> untouched:
            labels.append(-1 if st.unicode else None)
            continue
        margins = {e: st.gain(e) - st.unicode for e in candidates}
        best = max(candidates, key=lambda e: margins[e])
        tie = sum(1 for e in candidates if margins[e] == margins[best]) > 1
        if margins[best] > 0 and not tie and st.gain(best) > st.junk(best):
            if st.plausibility(best) >= 0.5:
                labels.append(best)  # converting helps more words than it leaves broken
            else:  # it helps a few words, but the line does not read as Vietnamese (French "où")
                labels.append(None)
                weak[i] = best
        elif st.unicode:
            labels.append(-1)
        elif margins[best] > 0 and tie:
            labels.append(None)  # both encodings fit: the neighbours decide
        elif all(st.junk(e) or st.worsened(e) for e in candidates):
            labels.append(-1)  # converting would only break words or leave junk
        else:
            labels.append(None)
    n = len(lines)
    prev_label: list[int | None] = [None] * n
    next_label: list[int | None] = [None] * n
    last: int | None = None
    for i in range(n):
        prev_label[i] = last
        last = labels[i] if labels[i] is not None else last
    last = None
    for i in range(n - 1, -1, -1):
        next_label[i] = last
        last = labels[i] if labels[i] is not None else last
    final: list[int] = []
    for i, label in enumerate(labels):
        if label is None:
            p, q = prev_label[i], next_label[i]
            cand = p if p is not None and p >= 0 else q if q is not None and q >= 0 else None
            st = stats[i]
            if i in weak:
                ok = p == q == weak[i]
            else:
                ok = cand is not None and (
                    lines[i].isascii()
                    or p == q == cand
                    or (st.count(cand, _KEPT_VALID) == 0 and st.worsened(cand) <= st.improved(cand))
                )
            label = cand if ok and cand is not None else -1  # ok implies a candidate (weak[i] is one)
        final.append(label)

    # The document's evidence: every line but those already in Unicode (not only the lines
    # that happen to improve, or three Swedish "på" would make a case).
    overall = _Stats()
    for st in stats:
        if not st.unicode:
            overall.add(st)
    doc_conf = [overall.confidence(0), overall.confidence(1)]

    # Blocks of consecutive lines with the same decision.
    spans: list[tuple[int, int, int, _Stats, int]] = []
    i = 0
    while i < n:
        enc = final[i]
        j = i
        while j < n and final[j] == enc:
            j += 1
        if enc >= 0:
            agg = _Stats()
            letters = 0
            for k in range(i, j):
                agg.add(stats[k])
                if labels[k] is not None:
                    letters += stats[k].letters
            spans.append((i, j, enc, agg, letters))
        i = j
    blocks: list[_Block] = []
    for i, j, enc, agg, letters in spans:
        conf = agg.confidence(enc, letters)
        best_score = max(best_score, conf)
        # A block stands on its own evidence, or on the document's when it points the same way.
        if (
            conf < _THRESHOLD
            and doc_conf[enc] >= _THRESHOLD
            and agg.gain(enc) > agg.junk(enc)
            and not agg.unicode
        ):
            conf = doc_conf[enc]
        if conf >= _THRESHOLD:
            blocks.append(_Block(i, j, enc, conf, agg.improved(enc)))
    return lines, blocks, best_score


def _summary(blocks: list[_Block], best_score: float) -> tuple[str | None, float]:
    if not blocks:
        return None, round(1.0 - min(best_score, 1.0), 4)
    weight = [0, 0]
    total = [0.0, 0.0]
    for b in blocks:
        weight[b.encoding] += b.weight
        total[b.encoding] += b.weight * b.confidence
    e = 0 if weight[0] >= weight[1] else 1
    return ENCODINGS[e], round(total[e] / max(weight[e], 1), 4)


def detect(text: str) -> tuple[str | None, float]:
    """Detect legacy Vietnamese text: ``("tcvn3" | "vni", confidence)`` or ``(None, confidence)``.

    For a mixed document the encoding of its legacy part is returned (the one with the most
    evidence if both occur). With None, the confidence is the certainty that no legacy text
    is present (1 minus the best rejected candidate's score).
    """
    if not text:
        return None, 1.0
    text = unicodedata.normalize("NFC", text)
    if not _HINT_RE.search(text):
        return None, 1.0
    _, blocks, best_score = _analyse(text)
    return _summary(blocks, best_score)

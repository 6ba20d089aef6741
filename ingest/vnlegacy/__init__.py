"""Detect and convert pre-Unicode Vietnamese text: TCVN3 (ABC) and VNI Windows.

Documents typed with the legacy Vietnamese fonts come out of every text extractor (PDFium,
Tika, python-docx, ...) as mojibake: the extractor reports the font's byte values as the
Latin-1 / cp1252 code points of the same number. This module recognises such text and maps it
back to NFC Unicode.

Encodings covered
-----------------
**TCVN3** -- TCVN 5712:1993, table VN3 (the 8-bit "ABC" set used by the ``.VnTime``,
``.VnArial``... fonts). VN3 has a code point for every lower-case Vietnamese letter
(``ă â ê ô ơ ư đ`` at 0xA8-0xAE and the 5 tones x 12 vowels in 0xB5-0xFE) and for the seven
upper-case letters without tone ``Ă Â Ê Ô Ơ Ư Đ`` (0xA1-0xA7). Upper-case vowels *with* a
tone mark do not exist in VN3: typists switched to the companion caps fonts (``.VnTimeH``,
``.VnArialH``...), which draw the lower-case code points as capitals. The font name is lost
on extraction, so :func:`to_unicode` restores the case from context:

* a word with no lower-case ASCII letter and an upper-case letter after its first position
  (``CéNG`` -> ``CỘNG``, ``ñY`` -> ``ỦY``) is upper-cased;
* on a line written in capitals (more caps syllables such as ``HéI`` than words with a
  lower-case ASCII letter) every word without a lower-case ASCII letter is upper-cased
  (``X·`` -> ``XÃ``, ``ë`` -> ``Ở``);
* a toned vowel that starts a sentence (start of the text, after ``. ! ?``, after a line
  ending in ``:`` or after a blank line) is capitalised (``ñy ban`` -> ``Ủy ban``).

A title-case word beginning with a toned vowel in the middle of a sentence (``... của Ủy ban``)
cannot be told apart from the lower-case word and comes back in lower case; so does a caps
word made only of toned vowels on a line that is not in capitals, and text typed in a caps
font with lower-case ASCII keys. :func:`from_unicode` writes upper-case toned vowels with
the caps-font code points (the lower-case ones), exactly as the legacy fonts did.

**VNI** -- VNI Windows (VNI-Times...), a de facto encoding: an ASCII base vowel followed by
a combining code character (``a`` + ``ù`` = ``á``, ``a`` + ``â`` = ``â``, ``a`` + ``á`` =
``ấ``, ``a`` + ``é`` = ``ắ``...), with single code points for ``ơ`` (``ô``), ``ư`` (``ö``),
``đ`` (``ñ``), ``i`` with a tone (``í ì æ ó ò``) and ``ỵ`` (``î``), and an upper-case code
for every upper-case form (``AÙ`` = ``Á``, ``Ñ`` = ``Đ``, ``Ô`` = ``Ơ``, ``Î`` = ``Ỵ``...).
All 134 letters are representable, so the conversion is exact. The decoder also accepts a
code of the other case (``Aù``) and a base followed by two codes (``aâù`` = ``ấ``).

Detection
---------
Every word that a candidate encoding would change is checked, before and after conversion,
with a small Vietnamese syllable validator (:func:`is_vietnamese_syllable`: onset + rhyme +
at most one tone, on an allowed vowel; stop endings take only the sắc/nặng tones). Words
that become valid syllables count for the encoding; words that stop being valid, words that
stay non-Vietnamese ("junk") and words holding Unicode-only Vietnamese letters (``ộ ư đ``...,
which legacy text cannot contain) count against it. The confidence combines

* the share of changed words that became valid;
* the number of *distinct* improved words (one accidental hit such as ``µm`` is not enough);
* the density, relative to the letter count, of characters and bigrams characteristic of
  the encoding and impossible in Unicode Vietnamese (``µ ¸ ¹ Ö Ü`` for TCVN3, ``aø oä uû ö
  ñ`` for VNI);
* the plausibility of the converted text (:func:`plausibility`, the share of its words that
  are valid syllables), which must rise and end high: Norwegian ``på``/``så`` become the valid
  syllables ``pồ``/``sồ`` in TCVN3, but the text around them does not.

A text that is legacy throughout is converted in one go. Otherwise (a Unicode header over a
TCVN3 body, a foreign paragraph, TCVN3 and VNI in one file) every line is scored and labelled,
lines are grouped into blocks, and each block is converted only when it passes on its own
evidence, or when the document points to the same encoding and the block's words improve.
Text that looks like UTF-8 read as cp1252 (``Cá»™ng``) is left alone: it is a different
problem.

Limits: the soft hyphen U+00AD (TCVN3 ``ư``) is deleted by some extractors and cannot be
recovered; a line that mixes legacy and Unicode words is converted word by word, skipping
words that contain Unicode-only letters. A foreign paragraph inside a legacy document is kept
when converting would garble its words (French ``été`` -> ``ộtộ``); one whose converted words
happen to be valid syllables (Norwegian ``på`` -> ``pồ``) may be converted with the rest. A
lone word, or a two-word line whose other words are not Vietnamese, is not enough evidence.

Layout
------
``letters`` (the Vietnamese letters), ``tables`` (TCVN3 and VNI: encoders, decoders, names),
``syllables`` (the validator), ``case`` (TCVN3 case restoration), ``evidence`` (per-word evidence
and the confidence), ``detection`` (lines, blocks, :func:`detect`), ``convert`` (the three
conversions). Callers import from this package only; the names with an underscore are shared
between its modules, not with the rest of the code.
"""

from ingest.vnlegacy.convert import Conversion, fix_legacy_text, from_unicode, to_unicode
from ingest.vnlegacy.detection import detect
from ingest.vnlegacy.evidence import plausibility
from ingest.vnlegacy.letters import VIETNAMESE_LETTERS
from ingest.vnlegacy.syllables import is_vietnamese_syllable
from ingest.vnlegacy.tables import ENCODINGS

__all__ = [
    "ENCODINGS",
    "VIETNAMESE_LETTERS",
    "Conversion",
    "detect",
    "fix_legacy_text",
    "from_unicode",
    "is_vietnamese_syllable",
    "plausibility",
    "to_unicode",
]

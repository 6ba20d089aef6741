"""The measures of OCR text against its truth (``kit.ocr_accuracy``), the flexible character
accuracy checked against the examples of the paper that defines it (Clausner, Pletschacher,
Antonacopoulos, Pattern Recognition Letters 131, 2020, figures 3 and 4)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kit.ocr_accuracy import Edits, cer, diacritic_word_accuracy, flexible_character_accuracy, line_errors

# Figure 3: a quotation in three "configurations" of OCR output, the same characters read, the
# blocks in other orders or merged.
TRUTH = '"I have\nno special\ntalent.\nI am only\npassionately\ncurious."\nAlbert\nEinstein'
CONFIG_I = '1 hav\nnospecial\ntalents.\nI am one\npassionate\ncuriousity."\nAlberto\nEmstein'
CONFIG_II = '1 hav\nnospecial\ntalents. Alberto\nI am one Emstein\npassionate\ncuriousity."'
CONFIG_III = 'Alberto\nEmstein\n1 hav\nnospecial\ntalents.\nI am one\npassionate\ncuriousity."'


def test_figure_3_the_quotation_in_any_block_order_has_the_same_errors():
    """68 characters; 3 replaced, 5 inserted, 7 deleted whether the name comes after or before the
    quotation (I, III); the strict CER counts the moved block as well."""
    for ocr in (CONFIG_I, CONFIG_III):
        result = flexible_character_accuracy(TRUTH, ocr)
        assert result.edits == Edits(match=68 - 7 - 3, replace=3, insert=5, delete=7)
        assert result.accuracy == pytest.approx(1 - 15 / 68)
    strict_i, strict_iii = cer(TRUTH, CONFIG_I), cer(TRUTH, CONFIG_III)
    assert strict_iii[0] > strict_i[0] + 10


def test_figure_3_names_merged_into_the_quotes_lines_cost_only_the_joining_spaces():
    """II: "Alberto" and "Emstein" read on the lines of the quotation: the same errors plus at most
    the two spaces that joined them (dinglehopper's reading of the figure: one inserted, one
    replacing a deletion)."""
    result = flexible_character_accuracy(TRUTH, CONFIG_II)
    assert 15 <= result.edits.errors <= 17
    assert result.edits.characters == 68


SENTENCE = ("Eight", "happy", "frogs", "scuba", "dived", "Jenny", "chick", "flaps", "white", "wings", "", "\n")


def _text(order: tuple[int, ...]) -> str:
    return " ".join(SENTENCE[i] for i in order).replace(" \n ", "\n")


FULL = (0, 1, 2, 3, 4, 11, 5, 6, 7, 8, 9)


@pytest.mark.parametrize(("gt", "ocr", "accuracy"), [
    (FULL, FULL, 1.0),  # A: no errors
    (FULL, (5, 6, 7, 8, 9, 11, 0, 1, 2, 3, 4), 1.0),  # B: blocks in another order
    ((0, 1, 2, 11, 3, 4, 11, 5, 6, 7, 11, 8, 9), (0, 1, 2, 5, 6, 7, 11, 3, 4, 8, 9), 0.964),  # C: merged across columns
    (FULL, (0, 1, 2, 11, 5, 6, 7, 11, 3, 4, 11, 8, 9), 0.966),  # D: over-segmented
    (FULL, (0, 1, 2, 3, 4), 0.50),  # E: a part missing
    (FULL, (5, 6, 7, 8, 9), 0.50),
    (FULL, (), 0.0),  # F: all missing
    ((0, 1, 2, 3, 4), FULL[:8], 0.621),  # G: parts added
])
def test_figure_4_the_papers_cases(gt, ocr, accuracy):
    assert flexible_character_accuracy(_text(gt), _text(ocr)).accuracy == pytest.approx(accuracy, abs=0.001)


def test_a_moved_foot_costs_the_strict_cer_and_not_the_fca():
    """The foot of a Decree 30 page read left column first or signer first: the strict CER counts
    the order, the FCA does not."""
    recipients = ["Nơi nhận:", "- Như trên;", "- Sở Nội vụ;", "- Lưu: VT, XDCQ."]
    signer = ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Hoàng Công Thăng"]
    body = "Điều 3. Chánh Văn phòng và các cá nhân có liên quan chịu trách nhiệm thi hành Quyết định này./."
    truth, moved = "\n".join([body, *recipients, *signer]), "\n".join([body, *signer, *recipients])
    assert cer(truth, moved)[0] > 40
    assert flexible_character_accuracy(truth, moved).accuracy == 1.0


def test_line_errors_and_diacritic_words():
    assert line_errors("một hai\nba bốn", "ba bôn một hai") == (1, 13)
    assert line_errors("trang một\fhai", "trang một\fhai") == (0, 12)
    assert diacritic_word_accuracy("Quyết định này có hiệu lực", "Quyet định này có hiêu lực") == (4, 6)


_texts = st.lists(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạ ", max_size=25), max_size=6).map("\n".join)


@settings(max_examples=150, deadline=None)
@given(truth=_texts, ocr=_texts)
def test_fca_counts_the_truths_characters_every_added_one_and_is_one_for_the_same_lines(truth, ocr):
    """Line breaks are no characters; what the OCR has beyond the truth's length is inserted; the
    same lines in any order are read without error."""
    result = flexible_character_accuracy(truth, ocr, coefficients=[(15, 0, 0, 0), (20, 3, 1, 1)])
    lines_t = [ln for ln in truth.splitlines() if ln]
    lines_o = [ln for ln in ocr.splitlines() if ln]
    chars = sum(map(len, lines_t))
    assert result.edits.characters == chars
    assert result.edits.insert >= max(0, sum(map(len, lines_o)) - chars)
    if sorted(lines_t) == sorted(lines_o):
        assert result.accuracy == 1.0


def test_a_page_of_text_in_shuffled_blocks_measures_in_reasonable_time():
    """A page of 60 lines, its blocks shuffled and a few characters changed: the paper's grid of 768
    coefficient sets runs (the bench measures ~18 such pages per set)."""
    rng = random.Random(7)
    words = ["quyết", "định", "này", "có", "hiệu", "lực", "kể", "từ", "ngày", "ký", "ban", "hành", "các", "cơ",
             "quan", "đơn", "vị", "liên"]
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) for _ in range(60)]
    blocks = [lines[i:i + 6] for i in range(0, 60, 6)]
    rng.shuffle(blocks)
    ocr = "\n".join(ln.replace("ế", "é", 1) for b in blocks for ln in b)
    result = flexible_character_accuracy("\n".join(lines), ocr)
    assert result.edits.replace >= 1
    assert 0.95 < result.accuracy < 1.0

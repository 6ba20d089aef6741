"""The Mục lục văn bản's "tên loại và trích yếu" column: one phrase, as Vietnamese documents cite
themselves (``Thông báo về việc …``), whatever case the header's trích yếu was written in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from archive.dossier_listing import title


def test_type_and_subject_read_as_one_phrase():
    assert title("Thông báo", "Về việc tổ chức sắp xếp lại nhà, đất") == "Thông báo về việc tổ chức sắp xếp lại nhà, đất"
    assert title("Quyết định", "về việc nâng bậc lương") == "Quyết định về việc nâng bậc lương"
    assert title("Công văn", "V/v góp ý dự thảo") == "Công văn V/v góp ý dự thảo"  # an abbreviation stays
    assert title("Tờ trình", "UBND tỉnh đề nghị") == "Tờ trình UBND tỉnh đề nghị"
    assert title("Kế hoạch", "Kế hoạch triển khai năm 2026") == "Kế hoạch triển khai năm 2026"
    assert title(None, "Về việc x") == "Về việc x" and title("Báo cáo", None) == "Báo cáo" and title(None, None) == ""


@given(st.one_of(st.none(), st.text(max_size=30)), st.one_of(st.none(), st.text(max_size=80)))
def test_title_never_fails_and_keeps_the_words(kind, subject):
    got = title(kind, subject)
    assert isinstance(got, str)
    if subject and subject.strip():
        assert subject.strip()[1:] in got  # only the first letter's case may change

"""Found by the disposal journey (tests/journeys/test_disposal_procedure.py): ``luutru fonds create``
could not set the fonds' place and superior agency (``POST /fonds`` neither), which the Biên bản hủy
tài liệu prints — only ``ArchiveService.ensure_fonds`` in code could, so the minutes of a fonds made
with the CLI alone had no place (``place_missing``) and no superior agency."""

from __future__ import annotations

import json

ORGAN = "000.00.00.H26"


def _json(out):
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def test_a_fonds_made_over_the_cli_has_its_place_and_superior(cli, data_dir):
    made = _json(cli("fonds", "create", ORGAN, "--name", "Văn phòng Ủy ban nhân dân tỉnh Hà Nam", "--place",
                     "Phủ Lý", "--superior", "Ủy ban nhân dân tỉnh Hà Nam", "--json"))
    assert (made["place"], made["superior_name"]) == ("Phủ Lý", "Ủy ban nhân dân tỉnh Hà Nam")
    shown = cli("fonds", "show", ORGAN)
    assert "Phủ Lý" in shown.output and "Ủy ban nhân dân tỉnh Hà Nam" in shown.output
    bad = cli("fonds", "create", "000.00.00.H27", "--name", "Sở Nội vụ", "--place", "Phủ\x07Lý")
    assert bad.exit_code != 0 and "Địa danh" in bad.output
    assert [f["organ_id"] for f in _json(cli("fonds", "list", "--json"))] == [ORGAN]

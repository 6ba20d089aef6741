"""Numbers in addresses and forms as a careless or hostile person sends them: digits Python's
``isdigit`` accepts but ``int`` refuses ("²", Arabic-Indic "٣"), a number of 5,000 digits (more than
``int`` reads), signs, blanks. Each page answers as for a number it does not take (page 1, the
filter left out, the one 404), never 500 — ``/admin/audit?before=²``, ``/retention/due?page=²``,
``/retention/schedules/…?version=²`` and a 5,000-digit year on the search or holdings pages did."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.web.numbers import int_in

HOSTILE = ["²", "٣", "9" * 5000, "-1", "+3", "1e3", "0x10", " ", "", "1_000", "３"]


@given(st.text(max_size=60), st.integers(-10, 10), st.integers(0, 10**12))
def test_int_in_never_fails_and_stays_in_range(text, low, span):
    high = low + span
    got = int_in(text, low, high)
    assert got is None or (isinstance(got, int) and low <= got <= high)
    if got is not None:
        assert text.strip().isascii() and int(text.strip()) == got


@given(st.integers(0, 10**9))
def test_int_in_reads_every_number_in_range(n):
    assert int_in(str(n), 0, 10**9) == n and int_in(f" {n} ", 0, 10**9) == n
    assert int_in(str(n), n + 1, n + 2) is None


def test_non_ascii_digits_and_huge_numbers_are_not_numbers():
    for text in HOSTILE:
        assert int_in(text, 0, 10**6) is None, text


@pytest.mark.parametrize("value", HOSTILE[:4])
def test_no_page_fails_on_a_number_it_cannot_read(web, login, dossier, value):
    from apienv import PASSWORD

    _services, client = web
    token = client.post("/api/v1/auth/login", json={"username": "luutruvien", "password": PASSWORD}).json()
    r = client.post("/api/v1/retention/schedules/ubnd-ha-nam/csv", content="item_code,description,period\n"
                    "01,Công văn trao đổi,10\n".encode(), headers={"Authorization": f"Bearer {token['access_token']}",
                                                                  "Content-Type": "text/csv"})
    assert r.status_code == 201, r.text
    lan = login("quantri")
    pages = [f"/admin/audit?before={value}", f"/retention/due?page={value}", f"/search?q=a&year={value}",
             f"/search?q=a&page={value}", f"/holdings/{dossier['fonds_id']}?year={value}",
             f"/holdings/{dossier['fonds_id']}?year=2026&page={value}", f"/dossiers/{dossier['id']}?page={value}",
             f"/holdings/{dossier['fonds_id']}/muc-luc-ho-so.csv?year={value}",
             f"/retention/schedules/ubnd-ha-nam?version={value}"]
    for url in pages:
        r = lan.get(url)
        assert r.status_code in (200, 404), (url[:80], r.status_code)
        assert "muc-luc" in url or r.status_code == 200, url[:80]

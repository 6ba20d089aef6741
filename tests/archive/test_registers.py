"""The archive's register of the documents it issues: numbers per register and year, from 1, never
given twice — also when several threads or processes take numbers at the same moment."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from archive.catalogue.retention_tables import Register
from archive.registers import format_number, take_number


def _take(catalogue, code: str, year: int) -> int:
    with catalogue.session() as s:
        return take_number(s, code, year)


def test_numbers_run_per_register_and_year(catalogue):
    assert [_take(catalogue, "BB-HTL", 2026) for _ in range(3)] == [1, 2, 3]
    assert _take(catalogue, "BB-HTL", 2027) == 1  # a new year starts again at 01 (NĐ 30 Điều 15.1)
    assert _take(catalogue, "QĐ-LT", 2026) == 1  # another register has its own series
    assert _take(catalogue, "BB-HTL", 2026) == 4


def test_a_number_taken_in_a_transaction_that_rolls_back_is_not_spent(catalogue):
    _take(catalogue, "BB-HTL", 2026)
    with pytest.raises(RuntimeError), catalogue.session() as s:
        assert take_number(s, "BB-HTL", 2026) == 2
        raise RuntimeError("the document was not issued")
    assert _take(catalogue, "BB-HTL", 2026) == 2


def test_concurrent_threads_never_share_a_number(catalogue):
    """GIVEN 8 threads taking 15 numbers each at once WHEN done THEN 1..120, each exactly once."""
    start, taken, errors = threading.Barrier(8), [], []

    def work():
        try:
            start.wait()
            for _ in range(15):
                taken.append(_take(catalogue, "BB-HTL", 2026))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert sorted(taken) == list(range(1, 121))
    with catalogue.session() as s:
        assert s.execute(sa.select(Register.last_number)).scalar_one() == 120


CHILD = textwrap.dedent("""
    import sys
    from archive.catalogue import Catalogue
    from archive.registers import take_number

    cat = Catalogue(sys.argv[1])
    for _ in range(int(sys.argv[2])):
        with cat.session() as s:
            print(take_number(s, "BB-HTL", 2026), flush=True)
""")


@pytest.mark.postgres
def test_concurrent_processes_never_share_a_number(postgres_url):
    """GIVEN 4 processes on one PostgreSQL catalogue, the year's row not there yet, WHEN each takes 20
    numbers at once THEN 1..80, each exactly once (the first INSERT of the year races too)."""
    from archive.catalogue import Catalogue

    cat = Catalogue(postgres_url)
    cat.migrate()
    cat.dispose()
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, postgres_url, "20"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    taken = [int(line) for out, _ in outs for line in out.split()]
    assert sorted(taken) == list(range(1, 81))


@given(st.integers(min_value=1, max_value=99_999), st.from_regex(r"[A-ZĐ][A-Za-z]{1,4}-[A-Z]{2,6}", fullmatch=True))
def test_the_number_is_printed_as_decree_30_prints_it(n, notation):
    text = format_number(n, notation)
    number, _, symbol = text.partition("/")
    assert symbol == notation and " " not in text and int(number) == n
    assert len(number) >= 2 and (len(number) == 2 or not number.startswith("0"))

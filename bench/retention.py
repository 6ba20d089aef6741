"""Retention at scale: 1M dossiers, "due as of a date" and the sweep, on SQLite and PostgreSQL.

    .venv/bin/python bench/retention.py [--rows 1000000] [--db sqlite] [--db postgresql://127.0.0.1/test]

``--db`` (repeatable): ``sqlite`` (a temporary file), ``sqlite:///PATH``, or a PostgreSQL URL, in
which the bench creates its own schema and drops it afterwards. Default: SQLite and the local
PostgreSQL. Dossiers get due dates spread over 1987–2120 and a due action (1 in 17 a transfer);
10% are permanent (no due date). Prints the timings and the query plans: "due as of" (the first
page and the whole list), the first sweep over the backlog (a one-off bulk insert), then two
yearly sweeps. Target: ≤ 1 s for "due as of" and for the yearly sweep.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa

# Run as a script, this file's folder comes first on sys.path and "retention" would be this file.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

from archive.catalogue import Catalogue  # noqa: E402
from archive.catalogue.models import Dossier, Fonds  # noqa: E402
from retention.service import RetentionService  # noqa: E402

AS_OF = date(2025, 12, 31)


def fill(cat: Catalogue, rows: int) -> None:
    rnd = random.Random(7)
    now = datetime.now(UTC)
    fonds_id = str(uuid.uuid4())
    with cat.session() as s:
        s.add(Fonds(id=fonds_id, organ_id="000.00.00.H26", name="Bench", created_at=now))
    t = time.perf_counter()
    chunk = 20000
    with cat.engine.begin() as conn:
        for start in range(0, rows, chunk):
            batch = []
            for i in range(start, min(rows, start + chunk)):
                permanent = rnd.random() < 0.1
                year = rnd.randint(1985, 2050)
                due = None if permanent else date(min(2120, year + rnd.choice((2, 5, 10, 20, 30, 50, 70))), 12, 31)
                batch.append({"id": str(uuid.uuid4()), "fonds_id": fonds_id, "code": f"B.{i}", "year": year,
                              "notation": f"{i}.VP", "title": f"Hồ sơ {i}", "permanent": permanent,
                              "access_regime": "internal", "language": "vi", "status": "closed",
                              "created_at": now, "due_date": due,
                              "due_action": None if due is None else ("transfer" if i % 17 == 0 else "review_destroy")})
            conn.execute(sa.insert(Dossier), batch)
    if cat.dialect == "postgresql":
        with cat.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE dossiers")
    else:
        with cat.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    print(f"  inserted {rows:,} dossiers in {time.perf_counter() - t:.1f} s")


def run(name: str, url: str, rows: int) -> None:
    print(f"== {name}: {url}")
    cat = Catalogue(url)
    cat.migrate()
    fill(cat, rows)
    svc = RetentionService(cat)
    t = time.perf_counter()
    page = svc.due(AS_OF, limit=1000)
    print(f"  due as of {AS_OF}, first 1,000 (one page): {time.perf_counter() - t:.3f} s ({len(page)})")
    t = time.perf_counter()
    due = svc.due(AS_OF)
    print(f"  due as of {AS_OF}, the whole list: {len(due):,} dossiers in {time.perf_counter() - t:.3f} s")
    print("  plan:\n    " + svc.explain_due(AS_OF).replace("\n", "\n    "))
    t = time.perf_counter()
    first = svc.sweep(date(2024, 12, 31), actor="bench")
    print(f"  first sweep (backlog to 2024, one-off): listed {len(first.listed):,}, reminders "
          f"{len(first.transfer_reminders):,} in {time.perf_counter() - t:.3f} s")
    for year in (2025, 2026, 2027):
        if year == 2026:
            # A year passes between sweeps: PostgreSQL's autovacuum has long removed the index
            # entries of the rows the backlog sweep updated (done here by hand).
            t = time.perf_counter()
            with cat.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for sql in (("VACUUM ANALYZE dossiers", "VACUUM ANALYZE disposal_items")
                            if cat.dialect == "postgresql" else ("ANALYZE",)):
                    conn.exec_driver_sql(sql)
            print(f"  (vacuum/analyze, as autovacuum does between yearly sweeps: {time.perf_counter() - t:.1f} s)")
        t = time.perf_counter()
        yearly = svc.sweep(date(year, 12, 31), actor="bench")
        print(f"  yearly sweep ({year}{', right after the backlog sweep' if year == 2025 else ''}): listed "
              f"{len(yearly.listed):,}, reminders {len(yearly.transfer_reminders):,} in {time.perf_counter() - t:.3f} s")
    print("  sweep plan:\n    " + explain_sweep(cat).replace("\n", "\n    "))
    cat.dispose()


def explain_sweep(cat: Catalogue) -> str:
    sql = ("SELECT id FROM dossiers WHERE due_state IS NULL AND due_action = 'review_destroy' "
           "AND due_date <= '2027-12-31' AND status <> 'disposed'")
    prefix = "EXPLAIN QUERY PLAN " if cat.dialect == "sqlite" else "EXPLAIN "
    with cat.engine.connect() as conn:
        return "\n".join(" ".join(str(c) for c in row) for row in conn.exec_driver_sql(prefix + sql))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--db", action="append", help="sqlite, sqlite:///PATH or a PostgreSQL URL (repeatable)")
    args = ap.parse_args()
    for db in args.db or ["sqlite", "postgresql+psycopg://postgres@127.0.0.1:5432/test"]:
        if db == "sqlite":
            folder = tempfile.mkdtemp()
            try:
                run("SQLite", f"sqlite:///{folder}/bench.db", args.rows)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        elif db.startswith("sqlite"):
            run("SQLite", db, args.rows)
        else:
            url = "postgresql+psycopg://" + db.split("://", 1)[1] if db.startswith("postgresql://") else db
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.exec_driver_sql(f'create schema "{schema}"')
            try:
                sep = "&" if "?" in url else "?"
                run("PostgreSQL", f"{url}{sep}options=-csearch_path%3D{schema}", args.rows)
            finally:
                with admin.connect() as c:
                    c.exec_driver_sql(f'drop schema "{schema}" cascade')
                admin.dispose()


if __name__ == "__main__":
    main()

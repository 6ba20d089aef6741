"""Retention at scale: 1M dossiers, "due as of a date" and the sweep, on SQLite and PostgreSQL.

    .venv/bin/python bench/retention.py [--rows 1000000] [--sqlite PATH] [--postgres URL]

Dossiers get due dates spread over 1990–2120 (about 1/130 per year) and a due action; 10% are
permanent (no due date). Prints the timings and the query plans. Target: ≤ 1 s each.
"""

from __future__ import annotations

import argparse
import os
import random
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
    due = svc.due(AS_OF)
    t_due = time.perf_counter() - t
    print(f"  due as of {AS_OF}: {len(due):,} dossiers in {t_due:.3f} s")
    t = time.perf_counter()
    page = svc.due(AS_OF, limit=1000)
    print(f"  due as of {AS_OF}, first 1,000 (one page): {time.perf_counter() - t:.3f} s ({len(page)})")
    print("  plan:\n    " + svc.explain_due(AS_OF).replace("\n", "\n    "))
    t = time.perf_counter()
    first = svc.sweep(date(2024, 12, 31), actor="bench")
    print(f"  first sweep (backlog to 2024): listed {len(first.listed):,}, reminders "
          f"{len(first.transfer_reminders):,} in {time.perf_counter() - t:.3f} s")
    t = time.perf_counter()
    yearly = svc.sweep(AS_OF, actor="bench")
    print(f"  yearly sweep (2025): listed {len(yearly.listed):,}, reminders {len(yearly.transfer_reminders):,} "
          f"in {time.perf_counter() - t:.3f} s")
    cat.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--sqlite", default=None)
    ap.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    path = args.sqlite or f"{tempfile.mkdtemp()}/bench.db"
    run("SQLite", f"sqlite:///{path}", args.rows)
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.exec_driver_sql(f'create schema "{schema}"')
        try:
            run("PostgreSQL", f"{args.postgres}?options=-csearch_path%3D{schema}", args.rows)
        finally:
            with admin.connect() as c:
                c.exec_driver_sql(f'drop schema "{schema}" cascade')


if __name__ == "__main__":
    main()

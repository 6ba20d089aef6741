"""Migration 0009 on a catalogue with dossiers and records (SQLite and PostgreSQL): the dates stored
before become the declared ones, the totals are counted from the records, and the effective dates
are left alone (``luutru dossiers refresh`` recomputes them with the due dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import command

from archive.catalogue import Catalogue


def test_existing_dossiers_get_declared_dates_and_totals(catalogue_url):
    cat = Catalogue(catalogue_url)
    try:
        cfg = cat._alembic_config()
        with cat.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0008")
        now = datetime.now(UTC).replace(tzinfo=None)
        with cat.engine.begin() as conn:
            conn.execute(sa.text("insert into fonds (id, organ_id, name, is_open, created_at) "
                                 "values ('f1', '000.00.00.H26', 'UBND', true, :now)"), {"now": now})
            conn.execute(sa.text(
                "insert into dossiers (id, fonds_id, code, year, notation, title, permanent, access_regime, language, "
                "status, start_date, end_date, created_at) values "
                "('d1', 'f1', '000.00.00.H26.2010.01.VP', 2010, '01.VP', 'Hồ sơ', false, 'internal', 'vi', 'open', "
                ":start, :end, :now), ('d2', 'f1', '000.00.00.H26.2010.02.VP', 2010, '02.VP', 'Trống', false, "
                "'internal', 'vi', 'open', null, null, :now)"),
                {"start": date(2010, 1, 1), "end": date(2010, 12, 31), "now": now})
            for i, (pages, issued) in enumerate(((3, date(2011, 5, 5)), (None, None), (4, date(2010, 2, 2)))):
                conn.execute(sa.text(
                    "insert into records (id, dossier_id, fonds_id, direction, language, access_level, status, "
                    "page_amount, issued_date, created_at, updated_at) values "
                    "(:id, 'd1', 'f1', 'internal', 'vi', 'internal', 'active', :pages, :issued, :now, :now)"),
                    {"id": f"r{i}", "pages": pages, "issued": issued, "now": now})
        cat.migrate()
        with cat.engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(sa.text(
                "select id, declared_start_date, declared_end_date, start_date, end_date, doc_total, page_total, "
                "closed_at from dossiers"))}

        def as_date(v):
            return date.fromisoformat(v) if isinstance(v, str) else v

        d1, d2 = rows["d1"], rows["d2"]
        assert (as_date(d1.declared_start_date), as_date(d1.declared_end_date)) == (date(2010, 1, 1), date(2010, 12, 31))
        assert (as_date(d1.start_date), as_date(d1.end_date)) == (date(2010, 1, 1), date(2010, 12, 31))  # untouched
        assert (d1.doc_total, d1.page_total, d1.closed_at) == (3, 7, None)
        assert (d2.declared_start_date, d2.doc_total, d2.page_total) == (None, 0, 0)
    finally:
        cat.dispose()

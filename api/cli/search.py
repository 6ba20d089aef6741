"""``luutru search`` and ``luutru reindex``: search the archive, rebuild or check the index.

The CLI is an administrator's tool: it searches as an unrestricted principal, and every search is
written to the audit log (``action="search"``) with the query and the number of hits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from api.cli.common import actor, console, fail, reader, services_or_exit, system_actor
from api.search_params import page_dict, query_from_dict
from search.query import QueryError


def _backend(services):
    backend = services.search_backend
    if backend is None:
        fail("Chưa cấu hình chỉ mục tìm kiếm", "no search backend is wired")
    return backend


def register(app: typer.Typer) -> None:
    @app.command()
    def search(query: str = typer.Argument("", help="Từ khóa: AND / OR / NOT, \"cụm từ\", số ký hiệu."),
               type_: list[str] = typer.Option(None, "--type", help="Tên loại văn bản (lặp lại được)."),
               agency: list[str] = typer.Option(None, "--agency", help="Cơ quan ban hành."),
               signer: list[str] = typer.Option(None, "--signer", help="Người ký."),
               date_from: str = typer.Option(None, "--from", help="Từ ngày (YYYY-MM-DD) hoặc năm."),
               date_to: str = typer.Option(None, "--to", help="Đến ngày (YYYY-MM-DD) hoặc năm."),
               limit: int = typer.Option(20, "--limit", help="Số kết quả."),
               sort: str = typer.Option("relevance", "--sort", help="relevance, date_desc, date_asc."),
               as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON."),
               batch: Path = typer.Option(None, "--batch", help="Tệp JSONL: mỗi dòng một truy vấn.")) -> None:
        """Tìm kiếm văn bản (có dấu hoặc không dấu). Search the archive."""
        with services_or_exit() as services:
            principal = reader(services)  # an account's own reading rights; the machine's operator: all
            backend = _backend(services)
            if batch is not None:
                _run_batch(services, backend, principal, batch)
                return
            d: dict = {"q": query, "type": type_ or None, "agency": agency or None, "signer": signer or None,
                       "limit": limit, "sort": sort, "facets": ["type", "agency", "year"]}
            for key, value in (("from", date_from), ("to", date_to)):
                if value and value.isdigit():
                    d["year_from" if key == "from" else "year_to"] = int(value)
                elif value:
                    d[key] = value
            try:
                q = query_from_dict(d)
                page = backend.search(q, principal)  # QueryError: beyond the bounds of docs/search.md
            except QueryError as exc:
                fail(f"Truy vấn không hợp lệ: {exc.message_vi}", f"invalid query ({exc.code}): {exc}", code=2)
            except ValueError as exc:
                fail(f"Truy vấn không hợp lệ: {exc}", f"invalid query: {exc}", code=2)
            services.archive.audit_access(actor=actor(write=False), action="search",
                                          detail={"q": query, "filters": {k: v for k, v in d.items()
                                                                          if k != "q" and v}, "total": page.total})
            if as_json:
                print(json.dumps(page_dict(page), ensure_ascii=False, indent=2))
                return
            table = Table(title=f"Kết quả tìm kiếm: {page.total} văn bản")
            for col in ("Mã", "Số ký hiệu", "Ngày", "Trích yếu", "Điểm"):
                table.add_column(col, no_wrap=col == "Mã")
            for h in page.hits:  # the short id: `luutru show` and `get` accept it
                table.add_row(h.record_id[:8], h.so_ky_hieu or "", h.date.strftime("%d/%m/%Y") if h.date else "",
                              h.title or "", f"{h.score:.2f}")
            console.print(table)

    @app.command()
    def reindex(check: bool = typer.Option(False, "--check", help="Chỉ so sánh danh mục với chỉ mục."),
                batch_size: int = typer.Option(500, "--batch-size", help="Số văn bản mỗi lô."),
                as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        """Xây dựng lại chỉ mục tìm kiếm (tiếp tục được nếu bị ngắt), hoặc kiểm tra với --check."""
        with services_or_exit() as services:
            indexer = services.search_indexer
            if indexer is None:
                fail("Chưa cấu hình chỉ mục tìm kiếm", "no search indexer is wired")
            if check:
                report = indexer.check()
                data = report.as_dict()
                if as_json:
                    print(json.dumps(data, ensure_ascii=False, indent=2))
                else:
                    console.print(f"Danh mục: {data['catalogue']} văn bản; chỉ mục: {data['indexed']}")
                    console.print(f"Thiếu trong chỉ mục: {len(data['missing'])}; thừa: {len(data['extra'])}")
                    console.print("[green]Chỉ mục khớp danh mục.[/]" if report.clean
                                  else "[yellow]Chạy `luutru reindex` để sửa.[/]")
                if not report.clean:
                    raise typer.Exit(1)
                return
            report = indexer.reindex(batch_size=batch_size)
            services.archive.audit_access(actor=system_actor(), action="search.reindex", detail=report.as_dict())
            if as_json:
                print(json.dumps(report.as_dict(), ensure_ascii=False))
            else:
                resumed = f" (tiếp tục sau {report.resumed_after})" if report.resumed_after else ""
                console.print(f"[green]Đã lập chỉ mục[/] {report.indexed} văn bản{resumed}; "
                              f"đã bỏ {report.removed} mục thừa")


def _run_batch(services, backend, principal, path: Path) -> None:
    stream = sys.stdin if str(path) == "-" else open(path, encoding="utf-8")
    with stream:
        for n, line in enumerate(stream, 1):
            if not line.strip():
                continue
            d = None
            try:
                d = json.loads(line)
                if not isinstance(d, dict):
                    raise ValueError("a line must be a JSON object")
                q = query_from_dict(d)
                page = backend.search(q, principal)
            except (ValueError, TypeError, RecursionError) as exc:
                error = {"id": d.get("id") if isinstance(d, dict) else None, "line": n, "error": str(exc)}
                if isinstance(exc, QueryError):
                    error.update(code=exc.code, error_vi=exc.message_vi)
                print(json.dumps(error, ensure_ascii=False, default=str), flush=True)
                continue
            services.archive.audit_access(actor=actor(write=False), action="search",
                                          detail={"q": q.q, "batch": str(path), "id": d.get("id"),
                                                  "total": page.total})
            print(json.dumps({"id": d.get("id"), **page_dict(page)}, ensure_ascii=False), flush=True)

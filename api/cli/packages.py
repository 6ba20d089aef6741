"""``luutru export aip`` and ``luutru import sip``: a dossier out as a TT 05/2025 package or a
BagIt bag, and a package or bag in as a dossier (``archive.packages``, ``ingest.packages``, through
``api.packages``, which the HTTP routes share).

Exit codes: 0 done; 1 the package was refused (every problem listed) or an original failed its
digest (nothing written); 2 bad usage or an unknown dossier."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from api.cli.common import actor, console, err, fail, identity, resolve, services_or_exit
from api.packages import importer_for, write_export

export_app = typer.Typer(help="Xuất hồ sơ thành gói tin lưu trữ (TT 05/2025) hoặc túi BagIt.", no_args_is_help=True)


@export_app.command("aip")
def export_aip(dossier: str = typer.Argument(..., help="Hồ sơ: mã hồ sơ, id hoặc id rút gọn."),
               output: Path = typer.Option(..., "-o", "--output", help="Tệp ZIP đích."),
               package: str = typer.Option("aip-hoso", "--package",
                                           help="aip-hoso | aip-tailieu | dip | sip-hoso | sip-tailieu"),
               fmt: str = typer.Option("tt05", "--format", help="tt05 (gói tin TT 05/2025) | bagit"),
               as_json: bool = typer.Option(False, "--json")) -> None:
    """Xuất một hồ sơ: gói AIP_hoso (mặc định), AIP_tailieu, DIP hoặc túi BagIt (--format bagit). Bản gốc
    được kiểm tra mã băm khi ghi; một bản gốc sai mã băm làm dừng việc xuất (không tạo tệp)."""
    from archive.errors import ArchiveError, IntegrityError

    if package not in ("aip-hoso", "aip-tailieu", "dip", "sip-hoso", "sip-tailieu"):
        fail(f"--package phải là aip-hoso, aip-tailieu, dip, sip-hoso hoặc sip-tailieu (không phải «{package}»)",
             "bad --package", code=2)
    if fmt not in ("tt05", "bagit"):
        fail(f"--format phải là tt05 hoặc bagit (không phải «{fmt}»)", "bad --format", code=2)
    with services_or_exit() as services:
        ident = identity(write=False)
        if package != "dip" and ident.caller is not None and not ident.caller.has("retention"):
            _audit(services, ident.actor, dossier[:64], "denied", package=package)
            fail(f"Tài khoản {ident.caller.name} chỉ xuất được gói DIP (--package dip): gói AIP (bảo quản, giao nộp) "
                 "cần quyền quản lý lưu trữ", "an AIP export needs the retention scope", code=1)
        dossier_id = resolve(services, "dossier", dossier)
        try:
            info = write_export(services, dossier_id, output, kind=package, fmt=fmt, caller=ident.caller)
        except IntegrityError as exc:
            _audit(services, ident.actor, dossier_id, "failure", package=package, error=str(exc))
            fail(exc.message_vi, str(exc), code=1)
        except ArchiveError as exc:
            fail(exc.message_vi, str(exc), code=2)
        _audit(services, ident.actor, dossier_id, "success", package=package if fmt == "tt05" else "bagit",
               documents=info["documents"], bytes=info["bytes"])
    if as_json:
        print(json.dumps(info, ensure_ascii=False))
    else:
        console.print(f"Đã xuất {info['documents']} văn bản, {info['files']} tệp ({info['bytes']:,} byte) vào {output}\n"
                      f"Mã gói tin (OBJID): {info['objid']}")


def _audit(services, who: str, dossier_id: str, outcome: str, **detail) -> None:
    services.archive.audit_access(actor=who, action="dossier.export", target_type="dossier", target_id=dossier_id,
                                  outcome=outcome, detail=detail)


def import_sip(path: Path = typer.Argument(..., help="Tệp ZIP của gói tin (hoặc túi BagIt với --format bagit)."),
               fmt: str = typer.Option("tt05", "--format", help="tt05 | bagit"),
               check_only: bool = typer.Option(False, "--check", help="Chỉ kiểm tra, không nhập."),
               as_json: bool = typer.Option(False, "--json")) -> None:
    """Nhập gói tin SIP_hoso/SIP_tailieu hoặc AIP của kho khác thành một hồ sơ. Gói tin được kiểm tra toàn bộ
    trước khi lưu; gói có lỗi bị từ chối nguyên gói, kèm danh sách từng lỗi (exit 1)."""
    from ingest.packages import PackageRejected

    if not path.is_file():
        fail(f"Không tìm thấy tệp {path}", f"not found: {path}", code=2)
    with services_or_exit(repair=True) as services:
        who = actor(scope="deposit")
        try:
            if fmt == "bagit":
                from ingest.packages_bag import import_bag_with

                result = import_bag_with(importer_for(services), path, actor=who)
            elif check_only:
                report = importer_for(services).check(path)
                _print(report.as_dict(), as_json)
                raise typer.Exit(0 if report.ok else 1)
            else:
                result = importer_for(services).run(path, actor=who)
        except PackageRejected as exc:
            services.archive.audit_access(actor=who, action="package.import", outcome="rejected",
                                          detail={"file": path.name, "problems": len(exc.problems)})
            rows = [p.as_dict() for p in exc.problems]
            if as_json:
                print(json.dumps({"outcome": "rejected", "problems": rows}, ensure_ascii=False))
            else:
                err.print(f"[bold red]Gói tin bị từ chối[/] ({len(rows)} lỗi, chưa lưu gì):")
                for r in rows:
                    err.print(f"  - {r['path'] or '(gói tin)'}: {r['message']}")
            raise typer.Exit(1) from None
        services.archive.audit_access(actor=who, action="package.import", target_type="dossier",
                                      target_id=result.dossier_id, outcome="partial" if result.partial else "success",
                                      detail={"file": path.name, "objid": result.objid, "records": len(result.records)})
        _print({"outcome": "partial" if result.partial else "imported", **result.as_dict()}, as_json)
    if result.partial:
        raise typer.Exit(1)


def _print(data: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return
    if "dossier_code" in data:
        console.print(f"Đã nhập hồ sơ {data['dossier_code']} với {len(data['records'])} văn bản "
                      f"(gói tin {data['objid']})")
        for r in data.get("rejected", []):
            err.print(f"  [yellow]Không nhập được[/] {r['path']}: {r['message'] or r['outcome']}")
    else:
        console.print("Gói tin hợp lệ" if data["ok"] else "Gói tin có lỗi:")
        for p in data["problems"]:
            console.print(f"  - {p['path'] or '(gói tin)'}: {p['message']}")


def register(app: typer.Typer) -> None:
    """``export`` is this module's group; ``sip`` joins the ``import`` group of ``api.cli.imports``
    (beside ``import edxml``)."""
    from api.cli.imports import import_app

    app.add_typer(export_app, name="export")
    import_app.command("sip")(import_sip)

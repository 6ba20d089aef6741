"""``luutru ingest`` and ``luutru watch``: files and folders into the archive, through the same
pipeline as the HTTP upload, inline or, in scale-out, uploaded to the object store and ingested by
the Celery workers."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from api.cli.common import actor, console, err, fail, services_or_exit
from archive.errors import DiskFull


def outcome_dict(path: Path, outcome) -> dict:
    """One line of ``--json``: the file and its outcome (``Outcome.as_dict``, the shape HTTP gives)."""
    return {"path": str(path), **outcome.as_dict()}


DISK_FULL_EXIT = 3
"""Exit code of a run stopped because the disk is full (1: some files rejected; 2: bad usage)."""


def _stopped(exc: DiskFull, rows: list[dict], total: int, as_json: bool) -> None:
    """The run stopped on a full disk: say so in the output asked for, with what was done."""
    done = len(rows)
    if as_json:
        print(json.dumps({"outcome": "stopped", "code": exc.code, "message_vi": exc.message_vi, "message_en": str(exc),
                          "done": done, "not_started": total - done}, ensure_ascii=False), flush=True)
    err.print(f"[bold red]Dừng nộp lưu:[/] {exc.message_vi}\n"
              f"Đã xử lý {done}/{total} tệp; {total - done} tệp chưa được nộp (không tệp nào bị đưa vào khu cách ly "
              f"vì lỗi này).\n[dim]{exc}[/]")


def register(app: typer.Typer) -> None:
    @app.command()
    def ingest(paths: list[Path] = typer.Argument(..., help="Tệp hoặc thư mục (duyệt đệ quy)."),
               dossier: str = typer.Option(None, "--dossier", help="Hồ sơ để đưa văn bản vào: mã hồ sơ hoặc id."),
               create_dossier: bool = typer.Option(False, "--create-dossier",
                                                   help="Lập hồ sơ --dossier nếu chưa có (phông phải có sẵn)."),
               title: str = typer.Option(None, "--title", help="Tiêu đề của hồ sơ lập mới (--create-dossier)."),
               set_: list[str] = typer.Option(None, "--set", metavar="TRƯỜNG=GIÁ_TRỊ",
                                              help="Siêu dữ liệu khai báo cho mọi tệp (lặp lại được): "
                                                   "type_name, code_number, code_notation, issued_date "
                                                   "(dd/mm/yyyy), organ_name, subject, signer_name, "
                                                   "signer_position, urgency, access_level, place, direction, "
                                                   "language, description."),
               metadata: Path = typer.Option(None, "--metadata", metavar="TỆP.json",
                                             help="Tệp JSON {trường: giá trị} khai báo cho mọi tệp (--set thắng)."),
               as_json: bool = typer.Option(False, "--json", help="Mỗi tệp một dòng JSON."),
               workers: int = typer.Option(None, "--workers", help="Số tệp xử lý song song.")) -> None:
        """Nộp tệp vào kho: trích xuất, mô tả, lưu bản gốc. Exit 0 if all ingested or duplicates, 1 if any
        rejected, 2 if the dossier is unknown or closed or the declared metadata is invalid (no file is
        touched), 3 if the disk is full (the run stops; run it again after freeing space)."""
        from ingest.pipeline import SourceFile
        from ingest.service import walk

        missing = [p for p in paths if not p.exists()]
        if missing:
            fail(f"Không tìm thấy: {', '.join(map(str, missing))}", f"not found: {missing}")
        if (create_dossier or title) and not dossier:
            fail("--create-dossier và --title cần --dossier MÃ_HỒ_SƠ", "--create-dossier needs --dossier", code=2)
        declared = declared_of_options(set_ or [], metadata, as_json=as_json)
        counts: Counter[str] = Counter()
        with services_or_exit(repair=True) as services:
            submitter = actor(scope="deposit")
            code = _dossier_code(services, dossier, create=create_dossier, title=title) if dossier else None
            files = list(walk(paths))
            sources = [SourceFile(path=p.resolve(), submit_name=p.name, submitter=submitter, dossier_code=code,
                                  declared=declared) for p in files]
            if services.settings.tasks.backend == "celery":
                results = _through_celery(services, sources)
            else:
                from api.wiring import build_ingest

                results = build_ingest(services, workers=workers).run_many(sources)
            started = time.perf_counter()
            rows = []
            stopped: DiskFull | None = None
            with Progress(TextColumn("[bold]Nộp lưu"), BarColumn(), MofNCompleteColumn(),
                          TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=err,
                          disable=as_json or not err.is_terminal) as progress:
                task = progress.add_task("ingest", total=len(sources), rate="")
                try:
                    for source, outcome in results:
                        counts[outcome.outcome] += 1
                        row = outcome_dict(source.path, outcome)
                        rows.append(row)
                        if as_json:
                            print(json.dumps(row, ensure_ascii=False), flush=True)
                        done = sum(counts.values())
                        progress.update(task, advance=1,
                                        rate=f"{done / max(time.perf_counter() - started, 1e-6):.1f} tệp/s")
                except DiskFull as exc:
                    stopped = exc
            if stopped is not None:
                _stopped(stopped, rows, len(sources), as_json)
                raise typer.Exit(DISK_FULL_EXIT)
            if not as_json:
                _summary(rows, counts, time.perf_counter() - started)
            _run_background_work(services, quiet=as_json)
        if counts["rejected"]:
            raise typer.Exit(1)

    @app.command()
    def watch(folder: Path = typer.Argument(..., help="Thư mục tiếp nhận (drop folder)."),
              interval: float = typer.Option(2.0, help="Chu kỳ quét (giây)."),
              once: bool = typer.Option(False, "--once", help="Quét một lần rồi dừng."),
              dossier: str | None = typer.Option(None, "--dossier", help="Mã hồ sơ cho mọi tệp.")) -> None:
        """Theo dõi thư mục tiếp nhận: tệp đã ổn định được nộp lưu rồi xóa khỏi thư mục
        (tệp bị từ chối được giữ trong khu cách ly kèm lý do)."""
        from api.wiring import build_ingest
        from ingest.pipeline import SourceFile
        from ingest.service import walk

        folder.mkdir(parents=True, exist_ok=True)
        with services_or_exit(repair=True) as services:
            dossier = _dossier_code(services, dossier) if dossier else None
            submitter = actor(scope="deposit")  # the intake's owner: an account or a token (LUUTRU_TOKEN)
            ingest_service = build_ingest(services)
            seen: dict[Path, tuple[int, float]] = {}
            console.print(f"Đang theo dõi {folder.resolve()} (Ctrl+C để dừng)")
            try:
                while True:
                    stable = []
                    for path in walk([folder]):
                        st = path.stat()
                        sig = (st.st_size, st.st_mtime)
                        if seen.get(path) == sig or once:
                            stable.append(path)
                        seen[path] = sig
                    sources = [SourceFile(path=p, submit_name=p.name, submitter=submitter, source="watch",
                                          dossier_code=dossier) for p in stable]
                    for source, outcome in ingest_service.run_many(sources):
                        row = outcome_dict(source.path, outcome)
                        print(json.dumps(row, ensure_ascii=False), flush=True)  # one JSON line per file
                        # The archive or the quarantine now holds the file durably.
                        source.path.unlink(missing_ok=True)
                        seen.pop(source.path, None)
                    if once:
                        break
                    time.sleep(interval)
            except KeyboardInterrupt:
                console.print("Đã dừng theo dõi.")


def declared_of_options(pairs: list[str], metadata: Path | None, *, as_json: bool = False) -> dict:
    """The declared metadata of ``--metadata FILE`` and ``--set FIELD=VALUE`` (which wins), checked
    by ``ingest.declared.DeclaredMetadata`` like an HTTP deposit's form: JSON-ready. Invalid: the
    command ends with exit 2 and the same ``invalid_metadata`` message as the HTTP deposit (with
    ``--json``, one JSON line ``{"outcome": "refused", "code", "message_vi", "message_en"}``)."""
    from ingest.declared import DEPOSIT_FIELDS, DeclaredMetadata, InvalidDeclared, assignments

    given: dict = {}
    try:
        if metadata is not None:
            try:
                given = json.loads(metadata.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise InvalidDeclared([(f"--metadata {metadata}: not a readable JSON file ({exc})",
                                        f"--metadata {metadata}: không đọc được tệp JSON ({exc})")]) from None
            if not isinstance(given, dict):
                raise InvalidDeclared([("--metadata: the file must hold one JSON object {field: value}",
                                        "--metadata: tệp phải chứa một đối tượng JSON {trường: giá trị}")])
        given = {**given, **assignments(pairs)}
        return DeclaredMetadata.parse(given, fields=DEPOSIT_FIELDS).as_json()
    except InvalidDeclared as exc:
        if as_json:
            print(json.dumps({"outcome": "refused", "code": exc.code, "message_vi": exc.message_vi,
                              "message_en": exc.message_en}, ensure_ascii=False), flush=True)
        fail(f"{exc.message_vi}. Chưa nộp tệp nào.", f"{exc.message_en}; no file was touched", code=2)
    raise AssertionError("unreachable")


def _dossier_code(services, ref: str, *, create: bool = False, title: str | None = None) -> str:
    """The mã hồ sơ of the dossier ``ref`` names, if it takes records: checked (or created, with
    ``create``) before any file is touched. An unknown, ambiguous or closed dossier ends the
    command with exit 2 and the reason, so no file is quarantined for it."""
    from archive.dossier_state import DossierClosed, DossierLocked
    from archive.errors import ArchiveError, RecordNotFound

    try:
        return services.dossiers.for_deposit(ref, create=create, title=title, actor=actor(scope="deposit")).code
    except (RecordNotFound, DossierClosed, DossierLocked) as exc:
        hint = ("" if create or not isinstance(exc, RecordNotFound) else
                "\nLập hồ sơ trước (luutru dossiers create MÃ_HỒ_SƠ --title …) hoặc thêm --create-dossier.")
        fail(f"{exc.message_vi}. Chưa nộp tệp nào.{hint}", f"{exc}; no file was touched", code=2)
    except ArchiveError as exc:  # ambiguous reference, invalid code
        fail(f"{exc.message_vi}. Chưa nộp tệp nào.", f"{exc}; no file was touched", code=2)
    raise AssertionError("unreachable")


def _run_background_work(services, *, quiet: bool) -> None:
    """Deferred tasks of the embedded default (e.g. long-term-validation copies of signed PDFs)."""
    pending = services.archive.counts()["pending_post_commit"]
    if not pending:
        return
    if not quiet:
        console.print(f"Đang xử lý {pending} việc nền (bản sao kiểm chứng dài hạn…)")
    _done, failed = services.archive.run_pending_tasks()
    if failed:
        err.print(f"[yellow]{failed} việc nền lỗi; sẽ chạy lại khi 'luutru repair'.[/]")


def _summary(rows: list[dict], counts: Counter, elapsed: float) -> None:
    table = Table(title="Kết quả nộp lưu")
    for col in ("Kết quả", "Số tệp"):
        table.add_column(col)
    labels = {"ingested": "Đã lưu", "duplicate": "Trùng (đã có trong kho)", "rejected": "Bị từ chối"}
    for key, label in labels.items():
        table.add_row(label, str(counts[key]))
    console.print(table)
    rejected = [r for r in rows if r["outcome"] == "rejected"]
    if rejected:
        t = Table(title="Tệp bị từ chối (đã chuyển vào khu cách ly)")
        for col in ("Tệp", "Lý do"):
            t.add_column(col)
        for r in rejected:
            t.add_row(r["path"], r["message_vi"])
        console.print(t)
    total = sum(counts.values())
    console.print(f"{total} tệp trong {elapsed:.1f} s ({total / max(elapsed, 1e-6):.1f} tệp/s)")


def _through_celery(services, sources):
    """Scale-out: upload each file to the object store's staging area (``api.deposits``) — a worker
    on another machine cannot read this one's files — and yield the workers' outcomes in order."""
    from api import deposits
    from ingest.pipeline import outcome_from_dict

    jobs = []
    for s in sources:
        with open(s.path, "rb") as f:
            jobs.append((s, deposits.stage(services, f, size=s.path.stat().st_size, submit_name=s.submit_name,
                                           submitter=s.submitter, declared=s.declared, dossier_code=s.dossier_code,
                                           source="cli")))
    app = deposits.celery_app(services)
    for source, job_id in jobs:
        d = app.AsyncResult(job_id).get(timeout=3600, propagate=True)
        yield source, outcome_from_dict(d)

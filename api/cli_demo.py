"""``luutru demo``: a working archive for a newcomer in one command — realistic Vietnamese sample
documents (the corpus generator) ingested on the embedded default, with searches to try."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from api.cli_common import actor, console, services_or_exit


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(count: int = typer.Option(40, help="Số văn bản mẫu."),
             seed: int = typer.Option(2026, help="Hạt giống sinh dữ liệu (cùng hạt giống, cùng tài liệu)."),
             folder: Path = typer.Option(None, help="Thư mục chứa tài liệu mẫu (mặc định: <data>/mau).")) -> None:
        """Tạo kho mẫu: sinh văn bản hành chính mẫu, nộp lưu và gợi ý cách tra cứu."""
        from api.wiring import build_ingest
        from ingest.corpus import generate
        from ingest.pipeline import SourceFile

        with services_or_exit(repair=True) as services:
            target = folder or services.settings.data_dir / "mau"
            console.print(f"Sinh {count} văn bản mẫu vào {target} …")
            truth = generate(target, seed=seed, count=count)
            sources = [SourceFile(path=(target / t["file"]).resolve(), submitter=actor(), source="demo")
                       for t in truth]
            counts: Counter[str] = Counter()
            for _, outcome in build_ingest(services).run_many(sources):
                counts[outcome.outcome] += 1
            services.archive.run_pending_tasks()
            console.print(f"[green]Đã lưu {counts['ingested']}[/] văn bản, trùng {counts['duplicate']}, "
                          f"từ chối {counts['rejected']}.")
            if counts["rejected"]:
                console.print(f"Tài liệu bị từ chối (ví dụ mang dấu độ mật) nằm trong khu cách ly "
                              f"{services.settings.quarantine_dir} kèm lý do.")
            example = next((t["metadata"] for t in truth if t["expected_outcome"] == "ingested"
                            and t["metadata"].get("so_ky_hieu")), None)
            console.print("\nThử tra cứu — try:")
            console.print('  luutru search "uy ban nhan dan"        (không dấu)')
            console.print('  luutru search "quyết định" --type "Quyết định"')
            if example:
                console.print(f'  luutru search "{example["so_ky_hieu"]}"  (số ký hiệu)')
            console.print("  luutru status")

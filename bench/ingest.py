"""Ingest benchmark on the embedded default.

Generates N born-digital Vietnamese administrative PDFs (1–20 pages, the corpus generator), then
measures in the same run:

* the raw text-extraction speed of the fastest correct extractor (PDFium) on the same files, with
  one process per core — the baseline;
* ``luutru ingest`` through the service layer (hash, identify, extract in worker processes,
  describe, fsync'd store, catalogue commit, index hook);

and prints docs/s, pages/s, MB/s, p50/p95 latency per document, peak RSS of the main process and
of the extraction workers, and the pipeline's speed as a share of the raw speed.

    python bench/ingest.py [--count 1000] [--workers 2] [--keep DIR] [--commit-group N] [--profile]

``--profile`` adds the time of each pipeline step (sum over documents, as the steps' threads saw
it: waiting included) and a cProfile of the ingest threads (one profile per document, merged;
the functions with the most cumulative time). The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _raw_extract(paths: list[str]) -> tuple[int, int]:
    import pypdfium2 as pdfium

    chars = pages = 0
    for p in paths:
        doc = pdfium.PdfDocument(p)
        for page in doc:
            tp = page.get_textpage()
            chars += len(tp.get_text_bounded())
            tp.close()
            page.close()
            pages += 1
        doc.close()
    return chars, pages


def make_corpus(folder: Path, count: int, seed: int) -> list[Path]:
    from kit.corpus import generate_pdf, random_doc_spec

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        spec = random_doc_spec(rng, pages=rng.randint(1, 20))
        path = folder / f"vb-{i:06d}.pdf"
        path.write_bytes(generate_pdf(spec))
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="keep the corpus and data here")
    ap.add_argument("--commit-group", type=int, default=None,
                    help="records per catalogue transaction at most (1: each on its own; default: the service's)")
    ap.add_argument("--profile", action="store_true", help="time per step and a cProfile of the ingest threads")
    args = ap.parse_args()
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))

    base = args.keep or Path(tempfile.mkdtemp(prefix="luutru-bench-"))
    t0 = time.perf_counter()
    files = make_corpus(base / "corpus", args.count, args.seed)
    total_bytes = sum(p.stat().st_size for p in files)
    print(f"corpus: {len(files)} PDFs, {total_bytes / 2**20:.1f} MiB, generated in {time.perf_counter() - t0:.1f} s")

    # Baseline: raw PDFium, one process per core, on the same files.
    chunks = [[str(p) for p in files[i::args.workers]] for i in range(args.workers)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as ex:
        results = list(ex.map(_raw_extract, chunks))
    raw_s = time.perf_counter() - t0
    raw_pages = sum(r[1] for r in results)
    raw_rate = len(files) / raw_s
    print(f"raw PDFium x{args.workers}: {raw_rate:.1f} docs/s, {raw_pages / raw_s:.0f} pages/s")

    # The pipeline on the embedded default.
    from api.wiring import build_ingest, build_services
    from archive.settings import load_settings
    from ingest.pipeline import SourceFile

    data = base / "data"
    shutil.rmtree(data, ignore_errors=True)
    services = build_services(load_settings({"LUUTRU_DATA_DIR": str(data)}))
    ingest = build_ingest(services, workers=args.workers)
    if args.commit_group is not None:
        ingest.commit_group = args.commit_group
    ingest.run(SourceFile(path=files[0]))  # warm the worker processes (not counted)
    step_time: dict[str, float] = {}
    profiles: list = []
    groups: list[int] = []
    orig_batch = services.archive.batch

    def batch(*a, **k):  # keeps the sizes of the groups committed (archive.unit_of_work.CommitGroup)
        cm = orig_batch(*a, **k)

        class Kept:
            def __enter__(self):
                self.b = cm.__enter__()
                return self.b

            def __exit__(self, *exc):
                if getattr(self.b, "commits", None) is not None:
                    groups.extend(self.b.commits.groups)
                return cm.__exit__(*exc)
        return Kept()

    services.archive.batch = batch
    if args.profile:
        import cProfile

        pipe_run = ingest.pipeline.run

        def profiled(source):
            prof = cProfile.Profile()
            prof.enable()
            try:
                outcome, ctx = pipe_run(source)
            finally:
                prof.disable()
                profiles.append(prof)
            for name, t in ctx.timings.items():
                step_time[name] = step_time.get(name, 0.0) + t
            return outcome, ctx

        ingest.pipeline.run = profiled
    sources = [SourceFile(path=p) for p in files[1:]]
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    started_at: dict[Path, float] = {}
    orig_run = ingest.run

    def timed(source):
        started_at[source.path] = time.perf_counter()
        outcome = orig_run(source)
        latencies.append(time.perf_counter() - started_at[source.path])
        return outcome

    ingest.run = timed
    t0 = time.perf_counter()
    for _, outcome in ingest.run_many(sources):
        outcomes[outcome.outcome] = outcomes.get(outcome.outcome, 0) + 1
    pipe_s = time.perf_counter() - t0
    services.close()
    n = len(sources)
    pages = raw_pages * n / len(files)
    mb = total_bytes * n / len(files) / 2**20
    rate = n / pipe_s
    lat = sorted(latencies)
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"pipeline x{args.workers}: {rate:.1f} docs/s, {pages / pipe_s:.0f} pages/s, {mb / pipe_s:.1f} MB/s "
          f"({outcomes})")
    print(f"latency per document: p50 {statistics.median(lat) * 1000:.0f} ms, "
          f"p95 {lat[int(0.95 * (len(lat) - 1))] * 1000:.0f} ms")
    print(f"peak RSS: main process {self_rss:.0f} MiB, largest worker {child_rss:.0f} MiB")
    print(f"pipeline / raw extraction: {rate / raw_rate:.0%} (target ≥ 70%); target ≥ 60 docs/s")
    if groups:
        print(f"catalogue transactions of the ingest: {len(groups)} for {sum(groups)} records "
              f"(largest group {max(groups)})")
    if step_time:
        print("time per document by step (thread time, waits included): " + ", ".join(
            f"{name} {t / n * 1000:.0f} ms" for name, t in sorted(step_time.items(), key=lambda kv: -kv[1])))
    if profiles:
        import io as _io
        import pstats

        out = _io.StringIO()
        stats = pstats.Stats(profiles[0], stream=out)
        for prof in profiles[1:]:
            stats.add(prof)
        stats.sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

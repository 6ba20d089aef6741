"""IngestService: runs the pipeline for one file or many, and keeps what it rejects.

Many files run in parallel threads; the heavy work (extraction) happens in the worker processes
of the ``ExtractionPool``, hashing releases the GIL, and the catalogue rows of the files ready at
the same time commit in one transaction (group commit, ``archive.unit_of_work.CommitGroup``).
One bad file never fails a batch: every file ends in an outcome. Re-running a folder after a crash
ingests only what is missing (the rest comes back as duplicates of their records).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import nullcontext
from pathlib import Path

from archive.errors import DiskFull, is_disk_full
from ingest.pipeline import IngestContext, Outcome, Pipeline, Rejected, RejectedOutcome, SourceFile
from ingest.quarantine import Quarantine

log = logging.getLogger(__name__)


class IngestService:
    def __init__(self, pipeline_steps: list, quarantine: Quarantine, *, workers: int = 2, archive=None,
                 threads: int | None = None, commit_group: int = 32):
        self.quarantine = quarantine
        self.archive = archive
        self.pipeline = Pipeline(pipeline_steps, on_reject=self._quarantine)
        self.workers = workers
        # More files in flight than extraction processes: while one file waits on fsync or on
        # the catalogue, another is being extracted.
        self.threads = threads or workers * 3
        # ``run_many``: records that reach the catalogue together commit together, up to this many
        # per transaction (archive.unit_of_work.CommitGroup; 1: each on its own)
        self.commit_group = commit_group

    def _quarantine(self, ctx: IngestContext, rej: Rejected) -> str:
        folder = self.quarantine.put(ctx.source.path, name=ctx.source.name, code=rej.code,
                                     message_vi=rej.message_vi, message_en=rej.message_en, sha256=ctx.sha256,
                                     submitter=ctx.source.submitter, source=ctx.source.source,
                                     declared=ctx.source.declared, dossier_code=ctx.source.dossier_code)
        return str(folder)

    def run(self, source: SourceFile, *, keep_rejected: bool = True) -> Outcome:
        """Raises ``DiskFull`` (the file is not at fault and is not quarantined: the run must stop).

        ``keep_rejected=False``: a rejected file is not put in the quarantine (a release from the
        quarantine: the entry already holds it and takes the new reason)."""
        pipeline = self.pipeline if keep_rejected else Pipeline(self.pipeline.steps)
        try:
            outcome, _ = pipeline.run(source)
        except ConnectionError:
            raise  # a service is down: transient, the caller (or Celery) retries
        except Exception as exc:  # a bug must not lose the file: quarantine it
            if is_disk_full(exc):
                raise DiskFull(str(getattr(exc, "filename", "") or "")) from exc
            log.exception("ingest of %s failed", source.path)
            rej = Rejected("corrupt", f"internal error {type(exc).__name__}: {exc}")
            if not keep_rejected:
                return RejectedOutcome(code="internal_error", message_vi=rej.message_vi, message_en=rej.message_en)
            try:
                where = self.quarantine.put(source.path, name=source.name, code="internal_error",
                                            message_vi=rej.message_vi, message_en=rej.message_en, sha256=None,
                                            submitter=source.submitter, source=source.source,
                                            declared=source.declared, dossier_code=source.dossier_code)
            except OSError as failed:
                if is_disk_full(failed):
                    raise DiskFull("quarantine") from failed
                raise
            return RejectedOutcome(code="internal_error", message_vi=rej.message_vi, message_en=rej.message_en,
                                   quarantine=str(where))
        return outcome

    def run_many(self, sources: Iterable[SourceFile],
                 on_done: Callable[[SourceFile, Outcome], None] | None = None) -> Iterator[tuple[SourceFile, Outcome]]:
        """Ingest many files with bounded parallelism; yields (source, outcome) as each finishes.

        A full disk stops the run: no further file is started, the files already in flight finish
        (and are yielded), then ``DiskFull`` is raised."""
        it = iter(sources)
        # the batch's index grouping and group commit, bound to each file's thread
        # (archive.unit_of_work): the files whose rows are ready at the same time commit in one
        # transaction (a file refused there commits alone, the others too), and another batch in
        # this process keeps its own grouping
        grouped = (self.archive.batch(commit_group=self.commit_group) if self.archive is not None
                   else nullcontext())
        stop: DiskFull | None = None
        with grouped as batch, ThreadPoolExecutor(max_workers=self.threads) as pool:
            run = batch.bind(self.run) if batch is not None else self.run
            pending = {}
            for source in it:
                pending[pool.submit(run, source)] = source
                if len(pending) >= self.threads * 2:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    source = pending.pop(fut)
                    try:
                        outcome = fut.result()
                    except DiskFull as exc:
                        if stop is None:
                            stop = exc
                            for queued in [f for f in pending if f.cancel()]:
                                pending.pop(queued)
                        continue
                    if on_done:
                        on_done(source, outcome)
                    yield source, outcome
                    nxt = next(it, None) if stop is None else None
                    if nxt is not None:
                        pending[pool.submit(run, nxt)] = nxt
        if stop is not None:
            raise stop


def walk(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given paths, recursively, in a stable order; hidden folders are skipped."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).parts
                if child.is_file() and not any(p.startswith(".") for p in rel[:-1]):
                    yield child
        else:
            yield path

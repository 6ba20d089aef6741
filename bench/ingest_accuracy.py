"""Field-level accuracy of ingest on the generated corpus (Decree 30 metadata vs the truth).

    python bench/ingest_accuracy.py [--count 200] [--seed 7]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    from api.wiring import build_ingest, build_services
    from archive.settings import load_settings
    from ingest.pipeline import SourceFile
    from kit.corpus import generate
    from kit.ingest_accuracy import compare

    base = Path(tempfile.mkdtemp(prefix="luutru-acc-"))
    try:
        truth = generate(base / "corpus", seed=args.seed, count=args.count, hostile=True)
        services = build_services(load_settings({"LUUTRU_DATA_DIR": str(base / "data")}))
        ingest = build_ingest(services)
        by_path = {str((base / "corpus" / t["file"]).resolve()): t for t in truth}
        sources = [SourceFile(path=Path(p), submit_name=t.get("submit_name")) for p, t in by_path.items()]
        pairs, outcome_ok, kinds = [], 0, {}
        for source, outcome in ingest.run_many(sources):
            t = by_path[str(source.path)]
            expected = (t["expected_outcome"], t.get("expected_reason"))
            got = (outcome.outcome, getattr(outcome, "code", None))
            outcome_ok += expected == got
            if expected != got:
                print(f"outcome differs for {t['file']}: expected {expected}, got {got}")
            if outcome.outcome == "ingested":
                record = services.archive.get_record(outcome.record_id, actor="bench")
                kind = t["media_type"].split("/")[-1][:20]
                kinds.setdefault(kind, []).append((t, record))
                pairs.append((t, record))
        services.close()
        print(f"\noutcomes as expected: {outcome_ok}/{len(truth)}")
        for kind, kpairs in [("all formats", pairs), *sorted(kinds.items())]:
            stats = compare(kpairs)
            print(f"\n{kind} ({len(kpairs)} records)")
            print(f"{'field':18} {'accuracy':>9} {'n':>5}")
            for field, s in sorted(stats.items()):
                print(f"{field:18} {s['accuracy']:9.1%} {s['total']:5d}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

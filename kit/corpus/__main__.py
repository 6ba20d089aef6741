"""Command line: ``python -m kit.corpus OUT_DIR --seed 1 --count 50 [--hostile] [--large]``."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from .generator import FORMATS, FontsMissing, generate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m kit.corpus",
                                 description="Write a deterministic corpus of Vietnamese administrative "
                                             "documents and its truth.jsonl.")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=50, help="number of regular documents (all formats)")
    ap.add_argument("--hostile", action="store_true", help="also write the hostile set under hostile/")
    ap.add_argument("--large", action="store_true", help="with --hostile: add the 200 MiB text file")
    ap.add_argument("--formats", default=",".join(FORMATS),
                    help=f"comma-separated subset of {','.join(FORMATS)}")
    args = ap.parse_args(argv)
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    t0 = time.perf_counter()
    try:
        rows = generate(args.out_dir, seed=args.seed, count=args.count, hostile=args.hostile or args.large,
                        large=args.large, formats=formats)
    except FontsMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    by_type = Counter(r["media_type"] for r in rows)
    print(f"wrote {len(rows)} files to {args.out_dir} in {time.perf_counter() - t0:.1f}s "
          f"({', '.join(f'{k}: {v}' for k, v in sorted(by_type.items()))}); truth: {args.out_dir / 'truth.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CLI: `python -m bench.synth dataset --out DIR --per-layout N --seed S [--perturb none|all]`
and `python -m bench.synth samples --out samples/`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.synth.dataset import write_dataset, write_samples
from bench.synth.layouts import LAYOUTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.synth", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    dataset = commands.add_parser("dataset", help="templates + queries + cases.json")
    dataset.add_argument("--out", type=Path, required=True)
    dataset.add_argument("--per-layout", type=int, default=20, help="queries per layout")
    dataset.add_argument("--seed", type=int, default=0)
    dataset.add_argument("--perturb", choices=("none", "all"), default="all")
    dataset.add_argument("--layouts", nargs="+", choices=sorted(LAYOUTS), default=list(LAYOUTS))
    samples = commands.add_parser("samples", help="the small sample set shipped in samples/")
    samples.add_argument("--out", type=Path, default=Path("samples"))
    args = parser.parse_args(argv)
    if args.command == "dataset":
        path = write_dataset(args.out, args.per_layout, args.seed, args.perturb, tuple(args.layouts))
        print(f"wrote {args.per_layout * len(args.layouts)} queries, cases in {path}")
    else:
        for path in write_samples(args.out):
            print(f"{path} {path.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Images per second of one OCR process, reading queries one by one and batched across jobs.

The figure the engine issue asks of a GPU ("images/s per GPU with recognition batched across jobs", target
>= 100 for a 5-field template on an H100): a 5-field template (the first five fields of the synthetic
ticket), photographed-like queries from bench.synth, decoded beforehand; `TemplateReader.read_many` over
batches of each size, as an OCR process of the worker reads the jobs waiting for it
(`CUSTOMOCR_OCR_BATCH_SIZE`). Alignment (SIFT) runs on the CPU for each query, detection and recognition
on `--device` in shared batches. Writes bench/results/throughput.json and .md.

    python -m bench.throughput [--device gpu] [--batch-sizes 1 4 16] [--queries 32] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.runs import code_version, run_header
from bench.synth import query_document, template_document
from common.schemas import parse_regions
from worker.pipeline import EngineConfig, TemplateData, TemplateReader, compile_template, decode_image

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
FIELDS = 5


def five_field_template(seed: int) -> TemplateData:
    document = template_document("ticket", seed)
    regions = parse_regions(document.regions)[:FIELDS]
    return TemplateData("ticket-5", document.image, regions, compile_template(document.image, regions))


def measure(
    reader: TemplateReader, queries: list[Any], template: TemplateData, batch: int, rounds: int
) -> dict:
    """Images/s over `rounds` passes through all queries in batches of `batch`, and per-batch latency."""
    latencies: list[float] = []
    started = time.perf_counter()
    for _ in range(rounds):
        for start in range(0, len(queries), batch):
            chunk = queries[start : start + batch]
            batch_started = time.perf_counter()
            results = reader.read_many([(query, template) for query in chunk])
            latencies.append(time.perf_counter() - batch_started)
            assert all(result.alignment.method != "none" for result in results)
    elapsed = time.perf_counter() - started
    return {
        "batch_size": batch,
        "images": rounds * len(queries),
        "images_per_s": round(rounds * len(queries) / elapsed, 2),
        "batch_latency_p50_ms": round(1000 * statistics.median(latencies), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--queries", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    code = code_version()
    config = EngineConfig(device=args.device)
    reader = TemplateReader(config)
    reader.warmup()
    template = five_field_template(args.seed)
    queries = [
        decode_image(query_document("ticket", args.seed, index, "all").query.data)
        for index in range(args.queries)
    ]
    reader.read_many([(query, template) for query in queries[: max(args.batch_sizes)]])  # compile shapes
    rows = [measure(reader, queries, template, batch, args.rounds) for batch in args.batch_sizes]
    report = {
        "run": {
            **run_header("bench.throughput", argv, code),
            "device": args.device,
            "profile": config.profile,
            "rec_batch_size": config.rec_batch_size,
            "fields": FIELDS,
            "queries": args.queries,
        },
        "rows": rows,
    }
    run = report["run"]
    lines = [
        "# OCR throughput of one process, batched across jobs",
        "",
        f"Run {run['finished']} of `{run['code']}` on {run['machine']} ({run['cpus']} CPUs), device "
        f"`{run['device']}`, profile `{run['profile']}`; {FIELDS}-field template, {args.queries} "
        f"photographed-like queries, {args.rounds} passes. Command: `{run['command']}`",
        "",
        "| queries per engine pass | images | images/s | latency of a pass p50 (ms) |",
        "|---:|---:|---:|---:|",
        *(
            f"| {r['batch_size']} | {r['images']} | {r['images_per_s']} | {r['batch_latency_p50_ms']} |"
            for r in rows
        ),
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "throughput.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (args.out / "throughput.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

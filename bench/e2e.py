"""End-to-end latency of the local stack next to the pure OCR time of the same jobs.

Starts moto's server, the gateway (`python -m producer`) and one CPU worker (`python -m worker`) as
separate processes, as they run in production, registers the shipped ticket sample (and the real jkb
screen when ../shared/eval is present), then sends synchronous CustomOCR queries at concurrency 1 and 8, with
the worker restarted for each OCR batch size (how many waiting jobs one OCR process reads in one engine pass).

For every job the worker reports its pure OCR time (the pipeline's own timings); the rest of the end-to-end
time is pipeline overhead: HTTP, S3/DynamoDB/SQS/SNS calls, queue wait, result polling. The job record's
timestamps split that overhead into gateway intake, queue wait (where moto's SQS long-poll sits), worker
(S3 reads/writes, DynamoDB, SNS) and the gateway noticing the result.

    python -m bench.e2e [--requests 20] [--ocr-batch-sizes 1 4] [--out bench/results/e2e.json]
"""

import argparse
import asyncio
import base64
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

from common.aws import AwsClients
from common.store import Store
from devstack.__main__ import local_settings
from devstack.resources import create_resources

REPO = Path(__file__).resolve().parents[1]
SHARED_EVAL = REPO.parent / "shared" / "eval" / "aws-healthcode"
MOTO_PORT, API_PORT = 5077, 8077


def _ts(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def cases() -> list[tuple[str, bytes, list[Any], bytes]]:
    found = [
        (
            "ticket (shipped sample)",
            (REPO / "samples/ticket-template.png").read_bytes(),
            json.loads((REPO / "samples/ticket-regions.json").read_text()),
            (REPO / "samples/ticket-query.jpg").read_bytes(),
        )
    ]
    if SHARED_EVAL.is_dir():
        regions = json.loads((SHARED_EVAL / "templates.json").read_text())["jkb"]
        found.append(
            (
                "jkb (real screen)",
                (SHARED_EVAL / "jkb-template.png").read_bytes(),
                regions,
                (SHARED_EVAL / "jkb-test-input.png").read_bytes(),
            )
        )
    return found


async def measure(
    http: aiohttp.ClientSession,
    url: str,
    store: Store,
    template_id: str,
    query: bytes,
    n: int,
    concurrency: int,
) -> dict[str, Any]:
    body = {"template_id": template_id, "img": base64.b64encode(query).decode()}
    e2e: list[float] = []
    ocr: list[float] = []
    stages: dict[str, list[float]] = {
        "gateway_intake": [],
        "queue_wait": [],
        "worker_inputs": [],
        "ocr_process_wait": [],
        "worker_outputs": [],
        "result_pickup": [],
    }
    semaphore = asyncio.Semaphore(concurrency)

    async def run() -> None:
        async with semaphore:
            started = time.time()
            # The synchronous CustomOCR call, as an old client makes it.
            async with http.post(f"{url}/custom_ocr", json=body) as response:
                assert response.status == 200, await response.text()
                await response.read()
                job_id = response.headers["x-job-id"]
            answered = time.time()
            record = await store.get_job(job_id)
            assert record is not None and record.started_at and record.finished_at
            result = await store.get_result(record.result_key)
            assert result.detail is not None
            e2e.append(answered - started)
            worker_ms = result.detail["worker_ms"]
            # The pure OCR time: decoding the image plus the engine's own total (align, detect, recognise).
            ocr_ms = worker_ms["decode"] + result.detail["timings"]["total_ms"]
            ocr.append(ocr_ms / 1000)
            stages["gateway_intake"].append(_ts(record.created_at) - started)
            stages["queue_wait"].append(_ts(record.started_at) - _ts(record.created_at))
            stages["worker_inputs"].append(worker_ms["inputs"] / 1000)
            # The engine call as the worker saw it, less the OCR time itself (decode + engine): waiting for
            # the one OCR process (queueing at concurrency > 1) plus moving bytes between processes.
            stages["ocr_process_wait"].append((worker_ms["ocr_call"] - ocr_ms) / 1000)
            stages["worker_outputs"].append(
                _ts(record.finished_at)
                - _ts(record.started_at)
                - (worker_ms["inputs"] + worker_ms["ocr_call"]) / 1000
            )
            stages["result_pickup"].append(answered - _ts(record.finished_at))

    wall = time.monotonic()
    await asyncio.gather(*(run() for _ in range(n)))
    wall = time.monotonic() - wall
    overhead = [e - o for e, o in zip(e2e, ocr, strict=True)]
    return {
        "concurrency": concurrency,
        "requests": n,
        "throughput_per_s": n / wall,
        "e2e_p50_s": statistics.median(e2e),
        "e2e_p95_s": float(np.percentile(e2e, 95)),
        "ocr_p50_s": statistics.median(ocr),
        "ocr_p95_s": float(np.percentile(ocr, 95)),
        "overhead_p50_s": statistics.median(overhead),
        "overhead_share_p50": statistics.median([o / e for o, e in zip(overhead, e2e, strict=True)]),
        "stages_p50_s": {name: statistics.median(values) for name, values in stages.items()},
    }


async def sqs_round_trip(clients: AwsClients, n: int = 20) -> float:
    """Median send → long-poll receive → delete on an idle moto queue: moto's own share of queue wait."""
    url = (await clients.sqs.create_queue(QueueName="bench-round-trip"))["QueueUrl"]
    times = []
    for _ in range(n):
        started = time.monotonic()
        await clients.sqs.send_message(QueueUrl=url, MessageBody="x")
        response = await clients.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20, MaxNumberOfMessages=1)
        await clients.sqs.delete_message(QueueUrl=url, ReceiptHandle=response["Messages"][0]["ReceiptHandle"])
        times.append(time.monotonic() - started)
    return statistics.median(times)


async def _spawn(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _until(check: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come up within {timeout_s:.0f} s")
        await asyncio.sleep(0.2)


async def main(requests: int, ocr_batch_sizes: list[int]) -> dict[str, Any]:
    """Run the stack as separate processes — moto's server, the gateway, one worker — as in production; the
    worker is restarted for each OCR batch size (CUSTOMOCR_OCR_BATCH_SIZE) and every set measured again."""
    settings = local_settings(MOTO_PORT, port=API_PORT)
    ready_file = Path(tempfile.mkdtemp()) / "worker-ready"
    env = {
        **os.environ,
        "CUSTOMOCR_AWS_ENDPOINT_URL": str(settings.aws_endpoint_url),
        "CUSTOMOCR_PORT": str(API_PORT),
        "CUSTOMOCR_READY_FILE": str(ready_file),
    }
    url = f"http://127.0.0.1:{API_PORT}"
    processes = [await _spawn("-m", "moto.server", "-H", "127.0.0.1", "-p", str(MOTO_PORT), env=env)]
    report: dict[str, Any] = {
        "machine": "this 2-core CPU machine; moto's server, the gateway and the worker as separate processes",
        "sets": {},
    }
    clients = await AwsClients.open(settings)
    try:

        async def resources_created() -> bool:
            try:
                await create_resources(clients, settings)
            except Exception:  # moto still starting
                return False
            return True

        await _until(resources_created, "moto's server")
        processes.append(await _spawn("-m", "producer", env=env))
        async with aiohttp.ClientSession() as http:

            async def gateway_up() -> bool:
                try:
                    async with http.get(f"{url}/healthz") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False

            async def worker_ready() -> bool:
                return ready_file.exists()

            await _until(gateway_up, "the gateway")
            report["moto_sqs_round_trip_p50_s"] = await sqs_round_trip(clients)
            store = Store(clients, settings)
            templates = []
            for name, template, regions, query in cases():
                async with http.post(
                    f"{url}/custom_ocr",
                    json={"type": "add", "img": base64.b64encode(template).decode(), "template": regions},
                ) as response:
                    templates.append((name, (await response.json())["template_id"], query))
            for batch_size in ocr_batch_sizes:
                ready_file.unlink(missing_ok=True)
                worker = await _spawn(
                    "-m", "worker", env={**env, "CUSTOMOCR_OCR_BATCH_SIZE": str(batch_size)}
                )
                processes.append(worker)
                await _until(worker_ready, "the worker")
                for name, template_id, query in templates:
                    await measure(http, url, store, template_id, query, 2, 1)  # warm caches
                    rows = report["sets"].setdefault(name, [])
                    for concurrency in (1, 8):
                        row = await measure(http, url, store, template_id, query, requests, concurrency)
                        rows.append({"ocr_batch_size": batch_size, **row})
                worker.terminate()
                await worker.wait()
    finally:
        await clients.close()
        for process in reversed(processes):
            if process.returncode is None:
                process.terminate()
                await process.wait()
    return report


def write(report: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    table = render(report)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    out.with_suffix(".md").write_text(table + "\n")
    print(table)
    print(f"written to {out} and {out.with_suffix('.md')}")


def render(report: dict[str, Any]) -> str:
    lines = [
        f"moto SQS send→receive→delete p50: {report['moto_sqs_round_trip_p50_s'] * 1000:.0f} ms",
        "| set | OCR batch | concurrency | e2e p50 / p95 (s) | OCR p50 (s) | overhead p50 (s, share of e2e) "
        "| intake / queue / inputs / OCR-process wait / outputs / pickup p50 (ms) | req/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, rows in report["sets"].items():
        for r in rows:
            st = {k: v * 1000 for k, v in r["stages_p50_s"].items()}
            lines.append(
                f"| {name} | {r['ocr_batch_size']} | {r['concurrency']} "
                f"| {r['e2e_p50_s']:.3f} / {r['e2e_p95_s']:.3f} "
                f"| {r['ocr_p50_s']:.3f} "
                f"| {r['overhead_p50_s']:.3f} ({r['overhead_share_p50']:.0%}) "
                f"| {st['gateway_intake']:.0f} / {st['queue_wait']:.0f} / {st['worker_inputs']:.0f} "
                f"/ {st['ocr_process_wait']:.0f} / {st['worker_outputs']:.0f} / {st['result_pickup']:.0f} "
                f"| {r['throughput_per_s']:.2f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--ocr-batch-sizes", type=int, nargs="+", default=[1, 4], help="CUSTOMOCR_OCR_BATCH_SIZE values"
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench/results/e2e.json")
    args = parser.parse_args()
    write(asyncio.run(main(args.requests, args.ocr_batch_sizes)), args.out)

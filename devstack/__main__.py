"""``python -m devstack``: the whole system on this machine, no AWS account.

moto's server answers S3/SQS/DynamoDB/SNS over real HTTP on 127.0.0.1; the same resources Terraform creates
are made there; then the gateway and one CPU worker run against it, exactly as in AWS but for the endpoint.
"""

import asyncio
import logging
import os
import signal
import time

from aiohttp import web
from moto.server import ThreadedMotoServer

from common.aws import AwsClients
from common.settings import Settings
from devstack.resources import create_resources
from producer.app import create_app
from worker.ocr import OcrPool
from worker.service import engine_config, serve

log = logging.getLogger("devstack")


def local_settings(moto_port: int, **overrides: object) -> Settings:
    """Production defaults, with moto's endpoint and moto's dummy credentials."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")
    os.environ.setdefault("CUSTOMOCR_AWS_ENDPOINT_URL", f"http://127.0.0.1:{moto_port}")
    return Settings(**overrides)  # type: ignore[arg-type]


def example(url: str, layout: str = "ticket") -> str:
    """A copy-paste session against the running stack, using the rendered samples the project ships.

    Bodies go through stdin (``-d @-``): a base64 image is longer than one command-line argument may be.
    """
    template, regions, query = (
        f"samples/{layout}-{part}" for part in ("template.png", "regions.json", "query.jpg")
    )
    return f"""Try it from the repository root:

  TID=$({{ printf '{{"type":"add","template":%s,"img":"' "$(cat {regions})"; \\
          base64 -w0 {template}; printf '"}}'; }} | curl -s {url}/custom_ocr -d @- \\
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["template_id"])')
  {{ printf '{{"template_id":"%s","img":"' "$TID"; base64 -w0 {query}; printf '"}}'; }} \\
    | curl -s {url}/custom_ocr -d @-
  curl -s {url}/custom_ocr -d '{{"type":"list"}}'

The API is described at {url}/openapi.json.
"""


async def main() -> None:
    moto_port = int(os.environ.get("CUSTOMOCR_MOTO_PORT", "5005"))
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    settings = local_settings(moto_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    clients = await AwsClients.open(settings)
    await create_resources(clients, settings)
    await clients.close()
    log.info(
        "moto server on %s with bucket %s, queue %s",
        settings.aws_endpoint_url,
        settings.bucket,
        settings.jobs_queue,
    )

    started = time.monotonic()
    ocr = OcrPool(engine_config(settings), settings.ocr_processes, settings.ocr_batch_size)
    runner = web.AppRunner(create_app(settings), access_log=None)
    try:
        await ocr.start()
        log.info("OCR models loaded and warm in %.1f s", time.monotonic() - started)
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.port).start()
        url = f"http://{settings.host}:{settings.port}"
        print(f"\ncustomocr is running at {url} (Ctrl-C stops everything)\n{example(url)}", flush=True)
        await serve(settings, ocr, stop)
    finally:
        await runner.cleanup()
        ocr.close()
        moto.stop()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(main())

"""``python -m worker``: load and warm up the models, then consume the jobs queue until SIGTERM/SIGINT."""

import asyncio
import logging
import signal
import time

from common.settings import get_settings
from worker.ocr import OcrPool
from worker.service import engine_config, serve

log = logging.getLogger("worker")


async def main() -> None:
    settings = get_settings()
    started = time.monotonic()
    ocr = OcrPool(engine_config(settings), settings.ocr_processes, settings.ocr_batch_size)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await ocr.start()
        log.info("%d OCR process(es) ready in %.1f s", settings.ocr_processes, time.monotonic() - started)
        # The container healthcheck looks for this file: it exists only once models are warm.
        settings.ready_file.write_text("ready\n")
        await serve(settings, ocr, stop)
    finally:
        settings.ready_file.unlink(missing_ok=True)
        ocr.close()
        log.info("worker stopped")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(main())

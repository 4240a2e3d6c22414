"""``python -m producer``: serve the gateway on CUSTOMOCR_HOST:CUSTOMOCR_PORT."""

import logging

from aiohttp import web

from common.settings import get_settings
from producer.app import create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None)


if __name__ == "__main__":
    main()

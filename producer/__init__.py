"""The thin aiohttp gateway: validates, stores templates, enqueues query jobs, answers polls."""

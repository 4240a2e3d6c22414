"""aiobotocore clients for every AWS service the system uses, built from the settings.

The only difference between AWS and the local stack is ``endpoint_url`` (moto's server) and the credentials.
"""

from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, Self

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from common.settings import Settings

# Retries of throttling and 5xx answers happen inside botocore ("standard" mode); what still fails is ours.
_CONFIG = AioConfig(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=50)


@dataclass
class AwsClients:
    s3: Any
    sqs: Any
    dynamodb: Any
    sns: Any
    secretsmanager: Any
    _stack: AsyncExitStack

    @classmethod
    async def open(cls, settings: Settings) -> Self:
        session = get_session()
        stack = AsyncExitStack()
        kwargs: dict[str, Any] = {"region_name": settings.aws_region, "config": _CONFIG}
        if settings.aws_endpoint_url:
            kwargs["endpoint_url"] = settings.aws_endpoint_url
        clients = [
            await stack.enter_async_context(session.create_client(name, **kwargs))  # type: ignore[call-overload]
            for name in ("s3", "sqs", "dynamodb", "sns", "secretsmanager")
        ]
        return cls(*clients, _stack=stack)

    async def close(self) -> None:
        await self._stack.aclose()


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None

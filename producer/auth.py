"""Optional API keys: a JSON list of keys in Secrets Manager; clients send one as ``x-api-key``."""

import hmac
import json
import time

from common.aws import AwsClients

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json"})
_REFRESH_S = 300.0


class ApiKeys:
    def __init__(self, clients: AwsClients, secret_id: str) -> None:
        self._clients = clients
        self._secret_id = secret_id
        self._keys: list[str] = []
        self._loaded_at = float("-inf")

    async def keys(self) -> list[str]:
        # Re-read now and then so a rotated secret takes effect without a restart.
        if time.monotonic() - self._loaded_at > _REFRESH_S:
            secret = await self._clients.secretsmanager.get_secret_value(SecretId=self._secret_id)
            keys = json.loads(secret["SecretString"])
            if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
                raise ValueError(f"secret {self._secret_id} must hold a JSON list of non-empty strings")
            self._keys, self._loaded_at = keys, time.monotonic()
        return self._keys

    async def allows(self, given: str) -> bool:
        return any(hmac.compare_digest(given.encode(), key.encode()) for key in await self.keys())

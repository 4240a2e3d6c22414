"""The one settings object. Every knob comes from a ``CUSTOMOCR_*`` environment variable.

Locally only ``CUSTOMOCR_AWS_ENDPOINT_URL`` differs from production: it points every client at moto's server.
"""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# moto's default account; in AWS the task definition sets the real topic ARN.
LOCAL_ACCOUNT_ID = "123456789012"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTOMOCR_", extra="ignore")

    # AWS access. Credentials come from the usual AWS chain (task role in ECS, env vars locally).
    aws_endpoint_url: str | None = None
    aws_region: str = "us-east-1"

    # Resource names: the same defaults as infra/terraform and devstack.
    bucket: str = "customocr-data"
    jobs_queue: str = "customocr-jobs"
    dlq: str = "customocr-jobs-dlq"
    templates_table: str = "customocr-templates"
    jobs_table: str = "customocr-jobs"
    topic_arn: str = f"arn:aws:sns:us-east-1:{LOCAL_ACCOUNT_ID}:customocr-events"
    api_keys_secret_id: str | None = None

    # Gateway.
    host: str = "127.0.0.1"
    port: int = 8080
    sync_wait_s: float = Field(25.0, ge=0, description="How long a query waits for its result before 202.")
    max_body_mb: int = 40
    url_fetch_timeout_s: float = 15.0
    max_image_bytes: int = 32 * 1024 * 1024

    # Jobs.
    job_ttl_days: int = 14
    max_receive_count: int = Field(5, ge=1, description="Redrive maxReceiveCount of the jobs queue.")

    # Worker.
    max_in_flight: int = Field(4, ge=1)
    receive_wait_s: int = Field(20, ge=0, le=20, description="SQS long-poll wait; also bounds shutdown.")
    visibility_timeout_s: int = Field(300, ge=10)
    retry_base_s: float = Field(5.0, ge=0, description="Backoff base for transient errors (doubles per try).")
    retry_max_s: float = 300.0
    shutdown_grace_s: float = 60.0
    ocr_processes: int = Field(1, ge=1)
    ready_file: Path = Path("/tmp/customocr-worker-ready")

    # OCR engine: which models, where, on what device. Model choice per device is configuration.
    model_profile: str = "ppocrv4-mobile"
    model_root: Path = Path("models/dev")
    device: str = "cpu"
    # Queries one OCR process reads in one engine pass when several are waiting. CPU: 1 — in
    # bench.e2e batches of 4 did not raise throughput on 2 cores (CPU cost grows with pixels either
    # way). GPU: 16, not measured (no GPU was lent); batching across jobs is what fills a GPU.
    ocr_batch_size: int = Field(default_factory=lambda data: 1 if data["device"] == "cpu" else 16, ge=1)


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""Create the stack's AWS resources — the same names and wiring as infra/terraform — on any endpoint.

Used by ``python -m devstack`` against moto's server and by the test suite.
"""

import json
from typing import Any

from common.aws import AwsClients, error_code
from common.settings import Settings

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


async def create_resources(clients: AwsClients, settings: Settings) -> None:
    """Idempotently create bucket, queues (with redrive), tables (with TTL), topic and the S3 → SQS wiring."""
    try:
        await clients.s3.create_bucket(Bucket=settings.bucket)
    except Exception as exc:
        if error_code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    queue_arn = await create_queues(clients, settings)

    await _create_table(clients, settings.templates_table, "template_id")
    await _create_table(clients, settings.jobs_table, "job_id")
    await clients.dynamodb.update_time_to_live(
        TableName=settings.jobs_table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )

    topic_name = settings.topic_arn.rsplit(":", 1)[-1]
    await clients.sns.create_topic(Name=topic_name)

    await clients.s3.put_bucket_notification_configuration(
        Bucket=settings.bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": f"incoming-{suffix[1:]}",
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {
                            "FilterRules": [
                                {"Name": "prefix", "Value": "incoming/"},
                                {"Name": "suffix", "Value": suffix},
                            ]
                        }
                    },
                }
                for suffix in IMAGE_SUFFIXES
            ]
        },
    )


async def create_queues(clients: AwsClients, settings: Settings) -> str:
    """The jobs queue with its redrive to the DLQ; returns the jobs queue's ARN."""
    dlq_url = (await clients.sqs.create_queue(QueueName=settings.dlq))["QueueUrl"]
    dlq_arn = await _queue_arn(clients, dlq_url)
    queue_url = (
        await clients.sqs.create_queue(
            QueueName=settings.jobs_queue,
            Attributes={
                "VisibilityTimeout": str(settings.visibility_timeout_s),
                "ReceiveMessageWaitTimeSeconds": "20",
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(settings.max_receive_count)}
                ),
            },
        )
    )["QueueUrl"]
    return await _queue_arn(clients, queue_url)


async def _queue_arn(clients: AwsClients, url: str) -> str:
    attributes = await clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


async def _create_table(clients: AwsClients, name: str, hash_key: str) -> None:
    spec: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": hash_key, "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": hash_key, "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    try:
        await clients.dynamodb.create_table(**spec)
    except Exception as exc:
        if error_code(exc) != "ResourceInUseException":
            raise

"""The SQS jobs queue: what the gateway sends and the worker receives."""

from dataclasses import dataclass
from typing import Any

from common.aws import AwsClients
from common.schemas import QueryJobMessage


@dataclass(frozen=True)
class ReceivedMessage:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int


class JobQueue:
    def __init__(self, clients: AwsClients, queue_name: str) -> None:
        self._sqs = clients.sqs
        self.name = queue_name
        self._url: str | None = None

    async def url(self) -> str:
        if self._url is None:
            self._url = (await self._sqs.get_queue_url(QueueName=self.name))["QueueUrl"]
        return self._url

    async def send(self, message: QueryJobMessage) -> None:
        await self.send_raw(message.model_dump_json())

    async def send_raw(self, body: str) -> None:
        await self._sqs.send_message(QueueUrl=await self.url(), MessageBody=body)

    async def receive(
        self, max_messages: int, wait_s: int, visibility_timeout_s: int
    ) -> list[ReceivedMessage]:
        response: dict[str, Any] = await self._sqs.receive_message(
            QueueUrl=await self.url(),
            MaxNumberOfMessages=max(1, min(10, max_messages)),
            WaitTimeSeconds=wait_s,
            VisibilityTimeout=visibility_timeout_s,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return [
            ReceivedMessage(
                message_id=m["MessageId"],
                receipt_handle=m["ReceiptHandle"],
                body=m["Body"],
                receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", "1")),
            )
            for m in response.get("Messages", [])
        ]

    async def delete(self, message: ReceivedMessage) -> None:
        await self._sqs.delete_message(QueueUrl=await self.url(), ReceiptHandle=message.receipt_handle)

    async def set_visibility(self, message: ReceivedMessage, seconds: int) -> None:
        await self._sqs.change_message_visibility(
            QueueUrl=await self.url(), ReceiptHandle=message.receipt_handle, VisibilityTimeout=seconds
        )

    async def depth(self) -> dict[str, int]:
        attributes = await self._sqs.get_queue_attributes(
            QueueUrl=await self.url(),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )
        return {k: int(v) for k, v in attributes["Attributes"].items()}
